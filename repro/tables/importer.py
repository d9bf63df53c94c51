"""Import a public table of measurements as cache rows: verify, convert, number, write once.

The steps, each failing with one line that names the file and the problem (a ReproError; the CLI
exits 2 and nothing is written):

1. every source file exists and has the sha256 the definition records (the file SOURCES.md
   describes, not another release of it);
2. it is read completely (a truncated gzip is an error, not a short table) and has the columns the
   definition needs;
3. the definition turns its rows into :class:`Measurement` s; each architecture is parsed by the
   space (an unknown operation is an error naming the line) and canonicalised;
4. measurements of one canonical architecture under one recipe become rows numbered 0, 1, ... in
   the order (source architecture, source seed): strings NB201 trained separately that build the
   same network are independent measurements of it, so all of them are kept, each naming the
   string and seed it came from; two measurements of the same (recipe, source architecture,
   source seed) that disagree are a conflict;
5. the rows are compared with the table already imported, if any: the same sources and importer
   version make the import a no-op; a row that exists with other numbers is a conflict;
6. the Parquet file and then the manifest are written to temporary names and renamed into place.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import math
import os
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repro.cache.store import ALL_FIELDS
from repro.errors import ReproError
from repro.recipe import get_profile
from repro.records import METRICS, Evaluation
from repro.spaces.base import SearchSpace
from repro.tables.shipped import IMPORTED_DIR, MANIFEST_SUFFIX, Manifest, sha256_of

_TYPES = {
    "train_seed": "INTEGER",
    "source_seed": "INTEGER",
    "params": "BIGINT",
    "macs": "BIGINT",
    "epochs": "INTEGER",
    "created_at": "TIMESTAMP",
    "seed_mean": "BOOLEAN",
    **{m: "DOUBLE" for m in METRICS},
    "train_seconds": "DOUBLE",
}
"""DuckDB column types of the Parquet file (VARCHAR for the rest)."""


@dataclass(frozen=True)
class SourceFile:
    """One file a table is imported from, with what SOURCES.md records about it."""

    name: str
    sha256: str
    columns: tuple[str, ...]
    """The columns the definition reads (a file lacking one is refused)."""
    licence: str
    citation: str
    origin: str
    """Where it comes from: repository or package, path, commit."""


@dataclass(frozen=True)
class Measurement:
    """One measured (architecture, recipe, seed or seed mean), as a definition produces it."""

    profile: str
    source: str
    """The source file the metrics come from."""
    line: int
    """Its data line (1 = the first row after the header), for error messages."""
    arch: str
    """The source's name of the architecture, parsed by the definition's ``parse``."""
    metrics: dict[str, float]
    """Fractions in [0, 1] for accuracies (the unit of rows trained here)."""
    seed: int | None = None
    """The source's training seed; None for a seed mean."""
    params: int | None = None
    macs: int | None = None
    train_seconds: float | None = None


Rows = dict[str, list[dict[str, Any]]]
"""Source file name -> its rows, each a column -> value mapping (text for CSV files)."""


@dataclass(frozen=True)
class TableDefinition:
    """A benchmark's table: its files, the recipes it fills and how rows become measurements."""

    name: str
    space: Callable[[], SearchSpace[Any]]
    parse: Callable[[str], Any]
    """Source architecture text -> genome (raises ReproError on an unknown operation)."""
    sources: tuple[SourceFile, ...]
    profiles: tuple[str, ...]
    measurements: Callable[[Rows], Iterable[Measurement]]
    version: str
    """Bumped when the conversion changes, so a re-import rewrites the table."""
    notes: dict[str, str] = field(default_factory=dict)
    """Per profile: which column of which file fills which metric (shown by ``cache info``)."""
    shipped: Path | None = None
    """The folder of the repository that holds copies of the source files, if they ship (the default source)."""
    genome_json: Callable[[str], str] | None = None
    """Source architecture text -> the space's JSON text of its genome, where that is cheaper than
    ``space.to_json(parse(text))`` (which it must equal); a search looks imported keys up by it."""

    def json_of(self, space: SearchSpace[Any]) -> Callable[[str], str]:
        """Source architecture text -> the space's JSON text of its genome."""
        return self.genome_json or (lambda arch: space.to_json(self.parse(arch)))


@dataclass(frozen=True)
class ImportResult:
    """What an import did: ``written`` False when the table was already up to date."""

    table: str
    path: Path
    rows: int
    per_profile: dict[str, tuple[int, int]]
    """Profile -> (rows, canonical architectures)."""
    written: bool


def number(row: dict[str, Any], column: str, where: str) -> float:
    """A finite float from ``row[column]``; anything else is a ReproError naming ``where`` and the column."""
    try:
        value = float(row[column])
    except (KeyError, ValueError):
        raise ReproError(f"{where}: column {column!r} is not a number ({row.get(column)!r})") from None
    if not math.isfinite(value):
        raise ReproError(f"{where}: column {column!r} is {value}")
    return value


def read_source(path: Path, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Every row of a source file (gzip-compressed when ``.gz``), each of which must have ``columns``.

    A CSV file's rows are its lines; a JSON file is an object keyed by architecture, each value an
    object of fields, and each key becomes a row with the key in column ``arch``."""
    try:
        raw = path.read_bytes()
        text = gzip.decompress(raw).decode() if path.suffix == ".gz" else raw.decode()
        keyed = path.name.removesuffix(".gz").endswith(".json")
        if keyed:
            data = json.loads(text)
            if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
                raise ValueError("not a JSON object of objects keyed by architecture")
            rows: list[dict[str, Any]] = [{"arch": key, **value} for key, value in data.items()]
            fields = [list(r) for r in rows]
        else:
            reader = csv.DictReader(io.StringIO(text, newline=""))
            rows, fields = list(reader), [list(reader.fieldnames or [])]
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError, csv.Error, ValueError) as exc:
        raise ReproError(f"{path}: unreadable ({exc}); restore the file from its origin") from None
    for line, have in enumerate(fields, 1):
        missing = [c for c in columns if c not in have]
        if missing:
            where = f"entry {rows[line - 1]['arch']!r}" if keyed else f"it has {', '.join(have)}"
            raise ReproError(f"{path}: missing column(s) {', '.join(missing)} ({where})")
    return rows


def read_checked(folder: Path, source: SourceFile, columns: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The rows of ``source`` in ``folder``, after checking the file is there with the sha256 SOURCES.md records;
    ``columns`` (default: the columns the definition reads) must be in it."""
    path = folder / source.name
    if not path.is_file():
        raise ReproError(f"{path}: no such file; pass the folder holding {source.name} with --source")
    digest = sha256_of(path)
    if digest != source.sha256:
        raise ReproError(
            f"{path}: sha256 {digest} differs from the recorded {source.sha256} "
            "(another release of the file?); use the file SOURCES.md describes"
        )
    return read_source(path, columns or source.columns)


def source_folder(definition: TableDefinition, given: Path | None = None) -> Path:
    """Where ``definition``'s source files are read: ``given``, else the copy that ships with the repository (unless
    $REPRO_TABLES is set), else $REPRO_TABLES/NAME, else ../shared/tables/NAME."""
    if given is not None:
        return given
    if definition.shipped is not None and "REPRO_TABLES" not in os.environ:
        return definition.shipped
    return Path(os.environ.get("REPRO_TABLES", "../shared/tables")) / definition.name


def import_table(definition: TableDefinition, source_dir: Path, cache: Path) -> ImportResult:
    """Import ``definition`` from the files in ``source_dir`` into ``cache/imported`` (see the module docstring)."""
    rows: Rows = {source.name: read_checked(source_dir, source) for source in definition.sources}
    evaluations = _rows(definition, definition.measurements(rows))
    folder = cache / IMPORTED_DIR
    manifest_path = folder / f"{definition.name}{MANIFEST_SUFFIX}"
    parquet = folder / f"{definition.name}.parquet"
    per_profile = _counts(definition.profiles, evaluations)
    old = Manifest.read(manifest_path) if manifest_path.exists() else None
    if old is not None and parquet.exists():
        _check_conflicts(evaluations, parquet)
        same_sources = [s["sha256"] for s in old.sources] == [s.sha256 for s in definition.sources]
        if same_sources and old.importer == definition.version and old.sha256 == sha256_of(parquet):
            return ImportResult(definition.name, parquet, len(evaluations), per_profile, written=False)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = parquet.with_name(parquet.name + ".tmp")
    _write_parquet(evaluations, tmp)
    manifest = Manifest(
        table=definition.name,
        space=definition.space().name,
        parquet=parquet.name,
        sha256=sha256_of(tmp),
        rows=len(evaluations),
        sources=[
            {
                "file": s.name,
                "sha256": s.sha256,
                "licence": s.licence,
                "citation": s.citation,
                "origin": s.origin,
                "columns": list(s.columns),
            }
            for s in definition.sources
        ],
        recipes={
            get_profile(p).key: {
                "profile": p,
                "recipe": get_profile(p).to_json(),
                "rows": per_profile[p][0],
                "architectures": per_profile[p][1],
                "columns": definition.notes.get(p, ""),
            }
            for p in definition.profiles
        },
        importer=definition.version,
        imported_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )
    tmp_manifest = manifest_path.with_name(manifest_path.name + ".tmp")
    manifest.write(tmp_manifest)
    os.replace(tmp, parquet)
    os.replace(tmp_manifest, manifest_path)
    return ImportResult(definition.name, parquet, len(evaluations), per_profile, written=True)


def _rows(definition: TableDefinition, measurements: Iterable[Measurement]) -> list[Evaluation]:
    """Parse, canonicalise, de-duplicate and number the measurements (steps 3 and 4)."""
    space = definition.space()
    recipes = {p: get_profile(p) for p in definition.profiles}
    forms: dict[str, Any] = {}
    seen: dict[tuple[str, str, int | None, str], Measurement] = {}
    groups: dict[tuple[str, str], list[tuple[Measurement, str]]] = defaultdict(list)
    for m in measurements:
        where = f"{m.source} line {m.line}"
        if m.profile not in recipes:
            raise ReproError(f"{where}: profile {m.profile!r} is not one of the table's {', '.join(recipes)}")
        if m.arch not in forms:
            try:
                forms[m.arch] = space.canonical(definition.parse(m.arch))
            except ReproError as exc:
                raise ReproError(f"{where}: {exc}") from None
        ident = (m.profile, m.arch, m.seed, m.source)
        earlier = seen.get(ident)
        if earlier is not None:
            if (earlier.metrics, earlier.params, earlier.macs, earlier.train_seconds) != (
                m.metrics,
                m.params,
                m.macs,
                m.train_seconds,
            ):
                raise ReproError(
                    f"{where}: conflicting rows for {m.arch} seed {m.seed} ({m.profile}): "
                    f"{earlier.metrics} at line {earlier.line}, {m.metrics} here"
                )
            continue
        seen[ident] = m
        form = forms[m.arch]
        groups[(m.profile, form.key)].append((m, form.text))
    out = []
    for (profile, key), members in sorted(groups.items()):
        recipe = recipes[profile]
        members.sort(key=lambda pair: (pair[0].arch, -1 if pair[0].seed is None else pair[0].seed, pair[0].source))
        for train_seed, (m, text) in enumerate(members):
            out.append(
                Evaluation(
                    space=space.name,
                    genome_key=key,
                    recipe_key=recipe.key,
                    train_seed=train_seed,
                    genome=text,
                    status="ok",
                    params=m.params,
                    macs=m.macs,
                    epochs=recipe.epochs,
                    train_seconds=m.train_seconds,
                    code_version=f"repro.tables.{definition.name} {definition.version}",
                    source=f"{definition.name}/{m.source}",
                    source_arch=m.arch,
                    source_seed=m.seed,
                    seed_mean=m.seed is None,
                    **m.metrics,
                )
            )
    return out


def _counts(profiles: Sequence[str], evaluations: Sequence[Evaluation]) -> dict[str, tuple[int, int]]:
    """Profile -> (rows, canonical architectures)."""
    rows: dict[str, int] = defaultdict(int)
    keys: dict[str, set[str]] = defaultdict(set)
    for e in evaluations:
        rows[e.recipe_key] += 1
        keys[e.recipe_key].add(e.genome_key)
    return {p: (rows[k], len(keys[k])) for p in profiles for k in [get_profile(p).key]}


def _check_conflicts(evaluations: Sequence[Evaluation], parquet: Path) -> None:
    """Refuse rows that exist in the imported table with other numbers (step 5)."""
    import duckdb

    try:
        with duckdb.connect() as db:
            old = [
                Evaluation(*r)
                for r in db.execute(f"SELECT {', '.join(ALL_FIELDS)} FROM read_parquet(?)", [str(parquet)]).fetchall()
            ]
    except duckdb.Error as exc:
        raise ReproError(f"{parquet}: unreadable ({str(exc).splitlines()[0]}); move it away and import again") from None
    mine = {(e.recipe_key, e.genome_key, e.train_seed): e for e in evaluations}
    for e in old:
        new = mine.get((e.recipe_key, e.genome_key, e.train_seed))
        if new is not None and _measured(new) != _measured(e):
            raise ReproError(
                f"{parquet}: row {e.genome_key} seed {e.train_seed} of recipe {e.recipe_key} is imported as "
                f"{e.source_arch} {_measured(e)}, the sources now give {new.source_arch} {_measured(new)}; "
                "move the old table away to replace it"
            )


def _measured(e: Evaluation) -> tuple[Any, ...]:
    return (e.source_arch, e.source_seed, e.params, e.macs, e.train_seconds, *(getattr(e, m) for m in METRICS))


def _write_parquet(evaluations: Sequence[Evaluation], path: Path) -> None:
    """All fields of ``evaluations`` as one zstd Parquet file, sorted by recipe, genome key and row number."""
    import duckdb

    columns = ", ".join(f"{f} {_TYPES.get(f, 'VARCHAR')}" for f in ALL_FIELDS)
    with duckdb.connect() as db:
        db.execute("SET enable_progress_bar = false")
        db.execute(f"CREATE TABLE rows ({columns})")
        unnest = ", ".join(f"unnest(?::{_TYPES.get(f, 'VARCHAR')}[])" for f in ALL_FIELDS)
        db.execute(f"INSERT INTO rows SELECT {unnest}", [[getattr(e, f) for e in evaluations] for f in ALL_FIELDS])
        escaped = str(path).replace("'", "''")
        db.execute(
            f"COPY (SELECT * FROM rows ORDER BY recipe_key, genome_key, train_seed) TO '{escaped}' "
            "(FORMAT PARQUET, COMPRESSION ZSTD)"
        )
