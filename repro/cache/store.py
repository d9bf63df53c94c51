"""The evaluation cache: metrics in DuckDB, per-epoch curves in HDF5 segment files (:mod:`repro.cache.curves`).

Contract:
- Layers: a store reads the shipped cache (the repository's ``cache/``, read-only) beneath the
  user's own cache (``cache/local/`` by default, git-ignored) and writes only to the latter, so a
  user's searches never change a tracked file; :mod:`repro.cache.layers` has the details.
- One writer at a time per folder (a lock file held for the writer's life; a second writer gets a
  clear error at once), and readers never wait for it. DuckDB's own file lock cannot give both:
  an open writer locks out every reader for the hours a search runs, and an open reader locks out
  the writer. So no process keeps a cache file open. Each store works on an in-memory snapshot of
  its layers, copied when it opens (milliseconds for thousands of rows); the writer commits each
  write method's new rows to its folder's file in one short DuckDB transaction, and a reader's
  copy and the writer's commit exclude each other by a second lock file held for milliseconds.
  Weighed against this for the rows: a writer appending immutable segment files (one per evaluation, later
  compacted) also never blocks, but every query would read many files and compaction is one more writer to
  keep safe; a reader copying the files byte by byte can catch a checkpoint half-written. (Curves, which
  are only ever read by key, are kept that way: :mod:`repro.cache.curves`.) A snapshot is as old as its store: a reader opened during a search sees
  the rows committed by then (reopen to see more).
- A row is keyed by (space, genome key, recipe key, training seed). Finished rows are immutable:
  :meth:`Store.put` never overwrites; several seeds of one (genome, recipe) are separate rows.
- Durability order: the curve's segment file is written and renamed into place *before* the metrics row is
  committed, so a committed row always has its curve; a crash in between leaves only an orphan
  curve (``check`` reports it) that the next write of that key supersedes. No write changes an existing curve
  file, so a kill in the middle of one cannot damage the curves already stored. Each :meth:`put` is its own transaction
  (on the snapshot, then on the file), so an interrupted search loses at most the evaluation in flight.
- The schema carries a version; a file of another version is refused with the fix.
- Every row with a curve carries its checksum (``curve_sha256``: SHA-256 of the curve's shape and
  float64 values, :func:`repro.cache.verify.curve_checksum`). :meth:`Store.check` recomputes every
  one, and reports curves without a row (a row lost, e.g. to a damaged WAL) as well as rows without
  a curve. Version 3 added the column; the 2 -> 3 migration computes it from the stored curves, so
  a curve altered before the upgrade is trusted as it stands (the shipped curves are also in git). Version 4
  moved the curves from one HDF5 file with a dataset per curve (``curves.h5``) into segment files; the 3 -> 4
  migration copies them (a crash before its commit leaves ``curves.h5`` in place and the next upgrade copies it
  again, the newer copy winning).
- :meth:`Store.merge` trusts nothing of a shard: every row's keys are recomputed from its genome
  text and recipe and must be well formed (no key can name another row's curve), its status must be
  a measurement, its curve must match its checksum and the row, its data fingerprint the recipe's,
  and every logged trial must point at a row. One refused row refuses the shard, counted per
  reason; what is merged commits in one transaction (curves written first, as for ``put``).
- Data fingerprints. A recipe names its data (dataset, split seed and sizes), not the bytes: a copy
  of the data with every training label set to 0 has the same name and shape, trains to 0.9995
  validation accuracy, and would win every search and replay forever. So each row trained here
  records ``data_fingerprint`` (:mod:`repro.data.fingerprint`: digests of the dataset files read and
  the split parameters). The rule is *refuse*, not *key apart*: the first fingerprint recorded
  under a recipe is the recipe's, and training data with another fingerprint under that recipe is
  refused before anything trains, with one line naming both fingerprints and the fix (restore the
  files, or train into another cache). Keying rows apart would make the fingerprint part of every
  key, so every shipped key would change, and a search would silently start over on other data
  instead of saying that the data changed; an honest change of data (a new dataset version) is a
  new recipe (a new profile), which keys its rows apart by name. Rows trained before fingerprints
  existed (every row of schema versions 1 and 2, so the whole shipped cache) hold NULL, shown as
  "not recorded": nothing in them proves which files they read, so none is invented; they do not
  fix a recipe's fingerprint, and the first fingerprinted row does. Invalid rows, which read no
  data, hold NULL too.
- Besides evaluations, a replay may need *artefacts*: records that are not one architecture's
  training, such as a weight-sharing search's trajectory, a feature model's sampled
  configurations or a benchmark's measurement. They live in the same database (table
  ``artefacts``, keyed by (kind, key), JSON text), so the schema version, ``check``, ``merge`` and
  ``info`` cover them like rows; like rows they are immutable once stored. (Schema version 1 kept
  them as JSON files in folders of the cache; the migration to version 2 moves them in.)
- Imported tables (measurements made elsewhere, e.g. NAS-Bench-201's) are a second, read-only source
  of rows: compressed Parquet files under ``imported/`` with a manifest each
  (:mod:`repro.tables.shipped`), served by the same read path (:meth:`Store.evaluations`,
  :meth:`Store.get`, :meth:`Store.recipe`) beside the DuckDB rows and never copied into DuckDB, so
  git does not rewrite one large binary per import. Their recipes are marked ``imported``; the
  store refuses to :meth:`Store.put` rows under them. Such rows carry ``source`` (and the source's
  own architecture id and seed); rows trained here have ``source`` None. The provenance fields are
  not DuckDB columns: every DuckDB row is trained here, so they would only ever hold NULL, and
  leaving them out keeps the schema as it is.
- The recipe key hashes every recipe field *and the profile's name*. Kept on purpose: a recipe's fields do not
  capture everything that decides its numbers (NAS-Bench-201's cosine schedule, a paper's data pipeline are
  not fields), so the name stands for the protocol the fields leave out, and two papers' recipes that happen to
  agree field by field never serve each other's rows. The price is that a profile is never renamed (its rows would
  be orphaned); a new name is a new recipe, and an old name stays registered where its paper defines it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from repro.cache.layers import (
    FilesGuard,
    Layer,
    WriterLock,
    connect_error,
    file_version,
    load,
    persist,
    primary_keys,
    stack,
)
from repro.cache.curves import CURVES_DIR, LEGACY_FILE, CurveFiles, curve_path, legacy_curves
from repro.cache.verify import curve_checksum, data_mismatch, refusal, require_path_parts
from repro.errors import ReproError
from repro.records import MEASURED, METRICS, Evaluation
from repro.tables.shipped import IMPORTED_DIR, ImportedTables

METRICS_FILE = "metrics.duckdb"
ARTEFACT_KINDS = ("gdas-searches", "nar-searches", "featurenet-samples", "gdas-acceleration", "nb201-protocol")
"""The kinds of artefact a replay reads; version 1 caches kept each as ``<cache>/<kind>/<key>.json``."""
_ARTEFACTS = """CREATE TABLE IF NOT EXISTS artefacts (
    kind VARCHAR, key VARCHAR, record VARCHAR, code_version VARCHAR, created_at TIMESTAMP, PRIMARY KEY (kind, key));"""


def _artefact_files(store: Store) -> None:
    """Migration step 1 -> 2: move the JSON artefact files of a version-1 cache into the ``artefacts`` table."""
    for kind in ARTEFACT_KINDS:
        for path in sorted((store.root / kind).glob("*.json")):
            record = json.loads(path.read_text())
            store.db.execute(
                "INSERT INTO artefacts VALUES (?, ?, ?, ?, ?)",
                [
                    kind,
                    path.stem,
                    json.dumps(record),
                    record.get("code_version"),
                    dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).replace(tzinfo=None),
                ],
            )
            store._migrated_files.append(path)


def _curve_checksums(store: Store) -> None:
    """Migration step 2 -> 3: give every row with a stored curve the checksum of that curve (keys unchanged)."""
    rows = store.db.execute(
        "SELECT space, genome_key, recipe_key, train_seed FROM evaluations WHERE curve_sha256 IS NULL"
    ).fetchall()
    curves = legacy_curves(store.root)  # a version-2 cache keeps version 3's single curves file
    found = [(*row, curve_checksum(curves[curve_path(*row)])) for row in rows if curve_path(*row) in curves]
    if found:
        store.db.execute(
            "UPDATE evaluations e SET curve_sha256 = c.sha FROM (SELECT unnest(?::VARCHAR[]) AS space, "
            "unnest(?::VARCHAR[]) AS genome_key, unnest(?::VARCHAR[]) AS recipe_key, unnest(?::INTEGER[]) AS train_seed, "
            "unnest(?::VARCHAR[]) AS sha) c WHERE e.space = c.space AND e.genome_key = c.genome_key "
            "AND e.recipe_key = c.recipe_key AND e.train_seed = c.train_seed",
            [list(column) for column in zip(*found)],
        )


def _curve_segments(store: Store) -> None:
    """Migration step 3 -> 4: copy every curve of ``curves.h5`` into one segment file (deleted after the commit)."""
    store._curve_files[store.layers[-1].name].write(sorted(legacy_curves(store.root).items()))
    if (store.root / LEGACY_FILE).exists():
        store._migrated_files.append(store.root / LEGACY_FILE)


SCHEMA_VERSION = 4
MIGRATIONS: dict[int, tuple[str | Callable[[Store], None], ...]] = {
    1: (_ARTEFACTS, _artefact_files),
    2: (
        "ALTER TABLE evaluations ADD COLUMN IF NOT EXISTS curve_sha256 VARCHAR",
        "ALTER TABLE evaluations ADD COLUMN IF NOT EXISTS data_fingerprint VARCHAR",
        _curve_checksums,
    ),
    3: (_curve_segments,),
}
"""Version v -> the steps (SQL statements, or functions of the open store) that turn a version-v cache
into version v + 1. When the schema changes, bump SCHEMA_VERSION and add the step here; older caches
upgrade on their first writable open, all steps in one transaction."""

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS recipes (recipe_key VARCHAR PRIMARY KEY, profile VARCHAR, recipe VARCHAR);
CREATE TABLE IF NOT EXISTS genomes (
    space VARCHAR, genome_key VARCHAR, genome VARCHAR, PRIMARY KEY (space, genome_key));
CREATE TABLE IF NOT EXISTS evaluations (
    space VARCHAR, genome_key VARCHAR, recipe_key VARCHAR, train_seed INTEGER,
    status VARCHAR, reason VARCHAR,
    train_loss DOUBLE, train_acc DOUBLE, val_loss DOUBLE, val_acc DOUBLE, test_loss DOUBLE, test_acc DOUBLE,
    params BIGINT, macs BIGINT, epochs INTEGER, train_seconds DOUBLE,
    device VARCHAR, code_version VARCHAR, libraries VARCHAR, created_at TIMESTAMP,
    curve_sha256 VARCHAR, data_fingerprint VARCHAR,
    PRIMARY KEY (space, genome_key, recipe_key, train_seed));
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, space VARCHAR, strategy VARCHAR, config VARCHAR, recipe_key VARCHAR,
    seed INTEGER, budget INTEGER, metric VARCHAR, code_version VARCHAR, created_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS trials (
    run_id VARCHAR, step INTEGER, genome_key VARCHAR, train_seed INTEGER, genome VARCHAR, served_by VARCHAR,
    PRIMARY KEY (run_id, step));
"""
    + _ARTEFACTS
)


PROVENANCE = ("source", "source_arch", "source_seed", "seed_mean")
"""Fields only imported rows fill (see the module docstring: they are not DuckDB columns)."""
_EVAL_COLUMNS = [f.name for f in dataclasses.fields(Evaluation) if f.name not in ("genome", *PROVENANCE)]
ALL_FIELDS = [f.name for f in dataclasses.fields(Evaluation)]
"""Every field of an :class:`Evaluation`: the columns of an imported table's Parquet file."""
_MEASURED = ("status", "reason", *METRICS, "params", "macs", "epochs")


def _as_evaluation(row: dict[str, Any]) -> Evaluation:
    """The evaluation of a row read as a dict of columns (and ``genome``)."""
    return Evaluation(**{c: row[c] for c in _EVAL_COLUMNS}, genome=row["genome"])


class MergeRefused(ReproError):
    """A shard with rows that fail verification: nothing of it was merged. ``reasons`` counts rows per reason."""

    def __init__(self, shard: Path, reasons: Counter[str]) -> None:
        self.reasons = reasons
        super().__init__(
            f"{shard}: {sum(reasons.values())} row(s) refused, nothing merged; merge the sound rows "
            f"of a damaged cache into a new one with --skip-refused"
        )


def _writes(method: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a method that writes: it runs holding the writable layer's files lock, inside
    :meth:`Store.atomic` (its rows are committed when the outermost write or ``atomic`` block ends)."""

    @functools.wraps(method)
    def write(self: Store, *args: Any, **kwargs: Any) -> Any:
        with self.atomic(), self._guard(exclusive=True):
            return method(self, *args, **kwargs)

    return write


class Store:
    """Open (creating if needed) the cache in folder ``root``. Use as a context manager.

    ``shipped``: a cache folder read beneath ``root`` (the repository's ``cache/``), never written
    through this store; its rows win over ``root``'s on a clash (see :mod:`repro.cache.layers`).
    Every read sees both; every write goes to ``root``. ``root`` may be missing when read-only and
    stacked: the shipped cache alone is read.
    """

    def __init__(self, root: str | Path, read_only: bool = False, shipped: str | Path | None = None) -> None:
        import duckdb

        self.root = Path(root)
        self.read_only = read_only
        metrics_path = self.root / METRICS_FILE
        self.layers: list[Layer] = []
        is_shipped = shipped is not None and Path(shipped).resolve() == self.root.resolve()
        if shipped is not None and not is_shipped and (Path(shipped) / METRICS_FILE).exists():
            self.layers.append(Layer("shipped", Path(shipped), writable=False))
        if not read_only or metrics_path.exists() or not self.layers:
            if read_only and not metrics_path.exists():
                raise ReproError(
                    f"no cache at {self.root} (missing {METRICS_FILE}); run a search first or pass --cache"
                )
            self.layers.append(Layer("shipped" if is_shipped else "local", self.root, writable=not read_only))
        self._guards = {layer.name: FilesGuard(layer.root) for layer in self.layers}
        self._curve_files = {layer.name: CurveFiles(layer.root) for layer in self.layers}
        self._writer: WriterLock | None = None
        self._wrote_curves = False
        self._writing = 0
        self._named: dict[str, set[tuple[Any, ...]]] = {}
        if not read_only:
            if self.root.exists() and not self.root.is_dir():
                raise ReproError(f"--cache {self.root} is a file, not a cache folder; name a folder")
            self.root.mkdir(parents=True, exist_ok=True)
            self._writer = WriterLock(self.root, metrics_path)
        try:
            self.db = duckdb.connect(":memory:")
            if not read_only:
                with self._guard(exclusive=True):
                    # Opening the file writable costs a connection and a checkpoint: only to create or migrate it.
                    if file_version(self.db, metrics_path) != str(SCHEMA_VERSION):
                        self._open_file(metrics_path)
            for layer in self.layers:
                with self._guards[layer.name].hold(exclusive=False):
                    load(self.db, layer, layer.root / METRICS_FILE, str(SCHEMA_VERSION))
            stack(self.db, self.layers)
            self._keys = primary_keys(self.db)
            self._check_curves()
            # A user's own import (`repro tables import --cache DIR`) replaces the shipped tables.
            imported_root = next(
                (layer.root for layer in reversed(self.layers) if (layer.root / IMPORTED_DIR).is_dir()), self.root
            )
            self.imported = ImportedTables(imported_root)
        except BaseException:
            self.close()
            raise

    def _open_file(self, metrics_path: Path) -> None:
        """Create or migrate the writable layer's database file, then close it again (``self.db``, the
        snapshot, is the file's connection meanwhile: the migration steps work on ``store.db``)."""
        import duckdb

        snapshot = self.db
        try:
            self.db = duckdb.connect(str(metrics_path))
        except duckdb.Error as exc:
            raise connect_error(metrics_path, exc) from None
        try:
            self._check_schema()
        finally:
            self.db.close()
            self.db = snapshot

    def _guard(self, exclusive: bool) -> Any:
        """The files lock of the writable layer (exclusive while writing, shared while reading)."""
        return self._guards[self.layers[-1].name].hold(exclusive)

    def _check_curves(self) -> None:
        """Index every layer's curve segments now, so a damaged one is refused here, not halfway through a search;
        the writable layer's leftovers of a killed write are removed first."""
        for layer in self.layers:
            with self._guards[layer.name].hold(exclusive=layer.writable):
                if layer.writable:
                    self._curve_files[layer.name].clean()
                self._curve_files[layer.name].refresh()

    def _version(self) -> int | None:
        tables = {r[0] for r in self.db.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "meta" not in tables:
            return None
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else None

    def _check_schema(self) -> None:
        version = self._version()
        if not self.read_only:
            if version is not None and version < SCHEMA_VERSION:
                self._migrate(version)
            self.db.execute(_SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
            version = self._version()
        if version != SCHEMA_VERSION:
            fix = (
                "upgrade it with `repro cache upgrade`"
                if version is not None and version < SCHEMA_VERSION
                else "use the repro version that wrote it, or start a new cache with --cache"
            )
            raise ReproError(
                f"the cache {self.root} has schema version {version}, this repro reads version {SCHEMA_VERSION}; {fix}"
            )

    def _migrate(self, version: int) -> None:
        """Bring a cache of an older schema up to date, in one transaction (all steps or none).

        Files a step moved into the database are deleted only after the transaction commits; a crash
        before that leaves them beside an upgraded database, where ``check`` reports them."""
        self._migrated_files: list[Path] = []
        with self._transaction():
            for step in range(version, SCHEMA_VERSION):
                if step not in MIGRATIONS:
                    raise ReproError(f"no migration from cache schema version {step}; start a new cache with --cache")
                for statement in MIGRATIONS[step]:
                    if callable(statement):
                        statement(self)
                    else:
                        self.db.execute(statement)
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])
        for path in self._migrated_files:
            path.unlink()
            if not any(path.parent.iterdir()):
                path.parent.rmdir()

    def close(self) -> None:
        """Fold the curve files into one if this writer added any, drop the snapshot and let another writer in
        (every write is already in the files)."""
        try:
            if self._writer is not None and self._wrote_curves:
                self.compact()
        finally:
            if hasattr(self, "db"):
                self.db.close()
            if self._writer is not None:
                self._writer.release()
                self._writer = None

    def compact(self) -> int:
        """Fold the writable layer's curve segment files into one (:meth:`repro.cache.curves.CurveFiles.compact`);
        returns how many files were folded."""
        self._require_writable()
        with self._guard(exclusive=True):
            return self._curve_files[self.layers[-1].name].compact()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Commit every write made in the block in one transaction when the block ends (the outermost block, if
        nested): a search step's row and its trial-log line, so that a kill between them cannot log a step it
        trained as served by the cache after the resume.

        The rows the writes named (:meth:`_wrote`) are committed to the layer's file where no layer holds them as
        they are (:func:`repro.cache.layers.persist`), which makes a commit cost what the writes added, not the
        size of the tables. Rows named but not committed (the commit failed: a lock timed out, a disk filled) stay
        named, so the next write commits them too, as they stay in the snapshot. The files lock is not held
        between the writes (a reader may copy the file meanwhile, seeing none of the block's rows)."""
        self._require_writable()
        self._writing += 1
        try:
            yield
        finally:
            self._writing -= 1
            if not self._writing and self._named:
                with self._guard(exclusive=True):
                    persist(self.db, self.layers, self.root / METRICS_FILE, self._named, self._keys)
                self._named = {}

    def _wrote(self, table: str, keys: Iterable[tuple[Any, ...]]) -> None:
        """Name rows (their primary keys) that a write method added to ``table`` or changed, for its commit.

        A row needed beside a named one (an evaluation's genome and recipe, a trial's run) goes with
        it and need not be named (:data:`repro.cache.layers.DEPENDENCIES`)."""
        self._named.setdefault(table, set()).update(keys)

    # -- evaluations -------------------------------------------------------------------------

    def get(self, space: str, genome_key: str, recipe_key: str, train_seed: int) -> Evaluation | None:
        """The row for exactly this training seed, or None."""
        if self.imported.manifest_of(recipe_key) is not None:
            found = [
                e
                for e in self._imported_rows(space, recipe_key)
                if (e.genome_key, e.train_seed) == (genome_key, train_seed)
            ]
            return found[0] if found else None
        rows = self._select(
            "e.space = ? AND e.genome_key = ? AND e.recipe_key = ? AND e.train_seed = ?",
            [space, genome_key, recipe_key, train_seed],
        )
        return rows[0] if rows else None

    def evaluations(self, space: str, recipe_key: str | None = None) -> list[Evaluation]:
        """All rows of a space (optionally of one recipe), in key and seed order; imported rows included."""
        if recipe_key is None:
            rows = self._select("e.space = ?", [space]) + self._imported_rows(space, None)
            return sorted(rows, key=lambda e: (e.genome_key, e.recipe_key, e.train_seed))
        if self.imported.manifest_of(recipe_key) is not None:
            return self._imported_rows(space, recipe_key)
        return self._select("e.space = ? AND e.recipe_key = ?", [space, recipe_key])

    def _imported_rows(self, space: str, recipe_key: str | None) -> list[Evaluation]:
        return [Evaluation(*row) for row in self.imported.select(self.db, ALL_FIELDS, space, recipe_key)]

    def _select(self, where: str, params: Sequence[Any]) -> list[Evaluation]:
        columns = ", ".join(f"e.{c}" for c in _EVAL_COLUMNS)
        rows = self.db.execute(
            f"SELECT {columns}, g.genome FROM evaluations e JOIN genomes g USING (space, genome_key) "
            f"WHERE {where} ORDER BY e.genome_key, e.recipe_key, e.train_seed",
            list(params),
        ).fetchall()
        return [Evaluation(**dict(zip(_EVAL_COLUMNS, row[:-1])), genome=row[-1]) for row in rows]

    @_writes
    def put(
        self,
        evaluation: Evaluation,
        recipe_json: str,
        profile: str,
        curve: np.ndarray | None = None,
        data_fingerprint: str | None = None,
    ) -> bool:
        """Store a finished evaluation (and its curve); returns False if that row already existed.

        ``data_fingerprint`` (:mod:`repro.data.fingerprint`) names the data the row was trained on; a
        fingerprint other than the one the recipe's rows record is refused (see the module docstring).
        """
        self._require_writable()
        e = evaluation
        self._require_trainable(e.recipe_key)
        require_path_parts(e.space, e.genome_key, e.recipe_key)
        if e.status not in MEASURED:
            # Predictions (a surrogate's) must never pass for measurements of the architecture.
            raise ReproError(f"only measured evaluations ({', '.join(MEASURED)}) are stored, not {e.status!r} ones")
        if data_fingerprint is not None:
            self.require_data(e.recipe_key, data_fingerprint)
        if self.get(e.space, e.genome_key, e.recipe_key, e.train_seed) is not None:
            return False
        if curve is not None:
            self._write_curves([(e, curve)])
        with self._transaction():
            self.db.execute("INSERT OR IGNORE INTO recipes VALUES (?, ?, ?)", [e.recipe_key, profile, recipe_json])
            self.db.execute("INSERT OR IGNORE INTO genomes VALUES (?, ?, ?)", [e.space, e.genome_key, e.genome])
            columns = [*_EVAL_COLUMNS, "curve_sha256", "data_fingerprint"]
            self.db.execute(
                f"INSERT INTO evaluations ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                [
                    *(getattr(e, c) for c in _EVAL_COLUMNS),
                    None if curve is None else curve_checksum(curve),
                    data_fingerprint,
                ],
            )
        self._wrote("evaluations", [(e.space, e.genome_key, e.recipe_key, e.train_seed)])
        return True

    def data_fingerprint(self, recipe_key: str) -> str | None:
        """The data fingerprint the recipe's stored rows record (None: no row records one)."""
        row = self.db.execute(
            "SELECT data_fingerprint FROM evaluations WHERE recipe_key = ? AND data_fingerprint IS NOT NULL LIMIT 1",
            [recipe_key],
        ).fetchone()
        return None if row is None else row[0]

    def require_data(self, recipe_key: str, fingerprint: str) -> None:
        """Refuse, with both fingerprints and the fix, data other than what the recipe's rows were trained on."""
        recorded = self.data_fingerprint(recipe_key)
        if recorded is not None and recorded != fingerprint:
            raise data_mismatch(recipe_key, recorded, fingerprint)

    @_writes
    def put_many(
        self,
        evaluations: Sequence[Evaluation],
        recipe_json: str,
        profile: str,
        curves: Sequence[np.ndarray] | None = None,
    ) -> None:
        """Store many evaluations of one recipe in one transaction; rows already stored are kept.

        For bulk loads (a benchmark's fixture): one ``put`` per row costs a transaction each. ``curves``
        (one per evaluation, in order) are written, with their checksums, for the rows not yet stored.
        """
        self._require_writable()
        if any(e.status not in MEASURED for e in evaluations):
            raise ReproError(f"only measured evaluations ({', '.join(MEASURED)}) are stored")
        keys = {e.recipe_key for e in evaluations}
        if not keys:
            return
        if len(keys) > 1:
            raise ReproError(f"put_many stores rows of one recipe, got {len(keys)} recipe keys")
        key = next(iter(keys))
        self._require_trainable(key)
        for e in evaluations:
            require_path_parts(e.space, e.genome_key, e.recipe_key)
        checksums: list[str | None] = [None] * len(evaluations)
        if curves is not None:
            stored = set(
                self.db.execute(
                    "SELECT space, genome_key, train_seed FROM evaluations WHERE recipe_key = ?", [key]
                ).fetchall()
            )
            self._write_curves(
                [(e, c) for e, c in zip(evaluations, curves) if (e.space, e.genome_key, e.train_seed) not in stored]
            )
            checksums = [curve_checksum(c) for c in curves]
        with self._transaction():
            self.db.execute("INSERT OR IGNORE INTO recipes VALUES (?, ?, ?)", [key, profile, recipe_json])
            genomes = {(e.space, e.genome_key): e.genome for e in evaluations}
            self._insert_columns("genomes", ["space", "genome_key", "genome"], [[*k, g] for k, g in genomes.items()])
            self._insert_columns(
                "evaluations",
                [*_EVAL_COLUMNS, "curve_sha256"],
                [[*(getattr(e, c) for c in _EVAL_COLUMNS), sha] for e, sha in zip(evaluations, checksums)],
            )
        self._wrote("evaluations", [(e.space, e.genome_key, e.recipe_key, e.train_seed) for e in evaluations])

    def _insert_columns(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """INSERT OR IGNORE ``rows`` as one statement of column lists (``executemany`` costs a statement per row)."""
        types = dict(
            self.db.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [table]
            ).fetchall()
        )
        if not rows:
            return
        unnest = ", ".join(f"unnest(?::{types[c]}[]) AS {c}" for c in columns)
        self.db.execute(
            f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) SELECT {unnest}", [list(col) for col in zip(*rows)]
        )

    def recipe(self, recipe_key: str) -> tuple[str, str] | None:
        """The stored (profile, recipe JSON) for a recipe key (of a row trained here or of an imported table)."""
        row = self.db.execute("SELECT profile, recipe FROM recipes WHERE recipe_key = ?", [recipe_key]).fetchone()
        return (row[0], row[1]) if row else self.imported.recipe(recipe_key)

    # -- curves --------------------------------------------------------------------------------

    def _write_curves(self, curves: Sequence[tuple[Evaluation, np.ndarray]]) -> Path | None:
        """Write curves to the writable layer as one segment (its file, to take back if the rows fail)."""
        self._wrote_curves = True
        return self._curve_files[self.layers[-1].name].write(
            [(curve_path(e.space, e.genome_key, e.recipe_key, e.train_seed), curve) for e, curve in curves]
        )

    def curve(self, e: Evaluation) -> np.ndarray | None:
        """The per-epoch curve of a stored evaluation (columns: :data:`repro.records.CURVE_COLUMNS`)."""
        return self._curves([e])[0]

    def _curves(self, rows: Sequence[Evaluation]) -> list[np.ndarray | None]:
        """The curves of many rows (None where a row has none), searching the layers in the order their rows win
        (the shipped cache first)."""
        found: list[np.ndarray | None] = [None] * len(rows)
        for layer in self.layers:
            missing = [i for i, curve in enumerate(found) if curve is None]
            if not missing:
                break
            with self._guards[layer.name].hold(exclusive=False):
                got = self._curve_files[layer.name].read(
                    [curve_path(e.space, e.genome_key, e.recipe_key, e.train_seed) for e in (rows[i] for i in missing)]
                )
            for i, curve in zip(missing, got):
                found[i] = curve
        return found

    def _stored_curves(self) -> dict[str, tuple[np.ndarray, Path]]:
        """Every curve in every layer by its path (space/genome/recipe/seed_N), rows or not, with the file it is read
        from; on a path in two layers the one whose rows win (the shipped cache's)."""
        found: dict[str, tuple[np.ndarray, Path]] = {}
        for layer in reversed(self.layers):
            with self._guards[layer.name].hold(exclusive=False):
                found.update(self._curve_files[layer.name].everything())
        return found

    # -- artefacts -------------------------------------------------------------------------------

    def artefact(self, kind: str, key: str) -> dict[str, Any] | None:
        """The stored record of one artefact, or None."""
        row = self.db.execute("SELECT record FROM artefacts WHERE kind = ? AND key = ?", [kind, key]).fetchone()
        return None if row is None else json.loads(row[0])

    def artefacts(self, kind: str) -> list[dict[str, Any]]:
        """Every stored record of one kind, in key order."""
        rows = self.db.execute("SELECT record FROM artefacts WHERE kind = ? ORDER BY key", [kind]).fetchall()
        return [json.loads(r[0]) for r in rows]

    @_writes
    def put_artefact(self, kind: str, key: str, record: dict[str, Any]) -> bool:
        """Store an artefact (a JSON-ready dict); returns False if (kind, key) was already stored (kept as it is)."""
        self._require_writable()
        if kind not in ARTEFACT_KINDS:
            raise ReproError(f"unknown artefact kind {kind!r}; the store keeps: {', '.join(ARTEFACT_KINDS)}")
        if self.artefact(kind, key) is not None:
            return False
        self.db.execute(
            "INSERT INTO artefacts VALUES (?, ?, ?, ?, now()::TIMESTAMP)",
            [kind, key, json.dumps(record), record.get("code_version")],
        )
        self._wrote("artefacts", [(kind, key)])
        return True

    # -- runs and trials -------------------------------------------------------------------------

    @_writes
    def record_run(self, run_id: str, **fields: Any) -> None:
        """Create or update a search run's header (its budget grows when a run is extended)."""
        self._require_writable()
        self._wrote("runs", [(run_id,)])
        existing = self.db.execute("SELECT budget FROM runs WHERE run_id = ?", [run_id]).fetchone()
        if existing:
            self.db.execute("UPDATE runs SET budget = greatest(budget, ?) WHERE run_id = ?", [fields["budget"], run_id])
            return
        names = ["run_id", *fields]
        self.db.execute(
            f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
            [run_id, *fields.values()],
        )

    @_writes
    def record_trial(
        self, run_id: str, step: int, genome_key: str, train_seed: int, genome: str, served_by: str
    ) -> None:
        """Log one step of a run (idempotent: a replay rewrites the same step).

        A step replayed with the same evaluation keeps how it was *first* served: a run resumed
        after a kill gets its trained steps back from the cache, but they were trained."""
        self._require_writable()
        self.db.execute(
            "INSERT INTO trials VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, step) DO UPDATE SET "
            "served_by = CASE WHEN genome_key = excluded.genome_key AND train_seed = excluded.train_seed "
            "THEN served_by ELSE excluded.served_by END, genome_key = excluded.genome_key, "
            "train_seed = excluded.train_seed, genome = excluded.genome",
            [run_id, step, genome_key, train_seed, genome, served_by],
        )
        self._wrote("trials", [(run_id, step)])

    # -- integrity and merging -------------------------------------------------------------------

    def check(self) -> list[str]:
        """Every inconsistency between the metrics rows, their curves and the run logs (empty when sound)."""
        problems = self.imported.check()
        imported = [
            e for space in sorted({m.space for m in self.imported.manifests}) for e in self._imported_rows(space, None)
        ]
        curves = self._stored_curves()
        checksums = dict(
            self.db.execute(
                "SELECT concat_ws('/', space, genome_key, recipe_key, 'seed_' || train_seed), curve_sha256 FROM evaluations"
            ).fetchall()
        )
        for e in [*self._select("TRUE", []), *imported]:
            where = f"{e.space}/{e.genome_key} recipe {e.recipe_key} seed {e.train_seed}"
            path = curve_path(e.space, e.genome_key, e.recipe_key, e.train_seed)
            if e.imported:
                # Measured elsewhere: no curve exists to check, and a table may give only some metrics.
                if e.status != "ok" or all(getattr(e, m) is None for m in METRICS):
                    problems.append(f"{where}: imported row ({e.source}) needs status ok and a metric")
            elif e.status == "ok":
                if any(getattr(e, m) is None for m in METRICS):
                    problems.append(f"{where}: status ok but metrics missing")
                curve, file = curves.get(path, (None, None))
                if curve is None:
                    problems.append(f"{where}: no curve in {CURVES_DIR}/")
                elif checksums[path] != curve_checksum(curve):
                    problems.append(
                        f"{where}: its curve in {file} does not match the row's checksum "
                        f"{checksums[path]} (changed after it was stored)"
                    )
                elif len(curve) != e.epochs or not math.isclose(curve[-1, -1], e.val_acc or 0.0, abs_tol=1e-12):
                    problems.append(
                        f"{where}: curve has {len(curve)} epochs / last val_acc {curve[-1, -1]}, "
                        f"row says {e.epochs} / {e.val_acc}"
                    )
            elif e.status in ("invalid", "failed"):
                if not e.reason or any(getattr(e, m) is not None for m in METRICS):
                    problems.append(f"{where}: status {e.status} needs a reason and no metrics")
            else:
                problems.append(f"{where}: unknown status {e.status!r}")
        for path in sorted(set(curves) - set(checksums)):
            problems.append(
                f"curve {path} in {curves[path][1]} has no row (its row was lost, or a crash came between "
                "the curve and its row)"
            )
        orphans = self.db.execute(
            "SELECT count(*) FROM trials t JOIN runs r USING (run_id) LEFT JOIN evaluations e "
            "ON e.space = r.space AND e.genome_key = t.genome_key AND e.recipe_key = r.recipe_key "
            "AND e.train_seed = t.train_seed WHERE e.genome_key IS NULL AND t.served_by != 'oom'"
        ).fetchone()[0]
        if orphans:  # out-of-memory trials are logged but, by design, never stored
            problems.append(f"{orphans} logged trial(s) point at evaluations that are not stored")
        for kind, key, record in self.db.execute("SELECT kind, key, record FROM artefacts ORDER BY 1, 2").fetchall():
            try:
                if not isinstance(json.loads(record), dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                problems.append(f"artefact {kind}/{key}: unreadable record ({exc})")
        if (self.root / LEGACY_FILE).exists():
            problems.append(
                f"{self.root / LEGACY_FILE}: the curves file of a schema-3 cache left after the upgrade; its curves "
                f"are in {self.root / CURVES_DIR}, so move it away"
            )
        for kind in ARTEFACT_KINDS:
            if (self.root / kind).is_dir():
                problems.append(
                    f"{self.root / kind}: a folder of a schema-1 cache left after the upgrade; its records "
                    f"are in the database, so move it away"
                )
        return problems

    @_writes
    def merge(self, shard: Store, skip_refused: bool = False) -> tuple[int, int, list[str]]:
        """Fold another cache into this one: (rows and artefacts added, already identical, conflicts).

        Every row of the shard is verified first (:func:`repro.cache.verify.refusal`: keys hash to the
        genome text and recipe, a measured status, a curve matching its checksum and the row, the
        recipe's data fingerprint), and every logged trial must point at a row. One refused row refuses
        the whole shard (:class:`MergeRefused`, counting the reasons) and nothing is written; with
        ``skip_refused`` the sound rows are merged and the refused ones (and trials pointing at them)
        left out, to salvage a damaged cache. What is merged commits in one transaction.

        Every seed is kept; a row (or artefact) that exists here with different numbers is a conflict,
        reported and left as it is here. Runs and trial logs are added when new. Merging twice adds nothing.
        """
        self._require_writable()
        columns = [*_EVAL_COLUMNS, "curve_sha256", "data_fingerprint"]
        shard_rows = [
            dict(zip([*columns, "genome"], r))
            for r in shard.db.execute(
                f"SELECT {', '.join(f'e.{c}' for c in columns)}, g.genome FROM evaluations e "
                "LEFT JOIN genomes g USING (space, genome_key) ORDER BY e.space, e.genome_key, e.recipe_key, e.train_seed"
            ).fetchall()
        ]
        recipes = {
            k: (p, r) for k, p, r in shard.db.execute("SELECT recipe_key, profile, recipe FROM recipes").fetchall()
        }
        refused: Counter[str] = Counter()
        new, identical, conflicts = self._sort_rows(
            shard_rows, shard._curves([_as_evaluation(r) for r in shard_rows]), recipes, refused
        )
        runs, trials = shard.query("SELECT * FROM runs"), shard.query("SELECT * FROM trials")
        kept_trials = self._verified_trials(shard, trials[1], new, refused)
        artefacts = []
        for kind, key, record, code_version, created_at in shard.db.execute(
            "SELECT * FROM artefacts ORDER BY 1, 2"
        ).fetchall():
            mine_record = self.artefact(kind, key)
            try:
                theirs = json.loads(record)
            except ValueError:
                refused["artefact record unreadable"] += 1
                continue
            if mine_record is None:
                artefacts.append([kind, key, record, code_version, created_at])
            elif mine_record == theirs:
                identical += 1
            else:
                conflicts.append(f"artefact {kind}/{key}: the shard's record differs from this cache's")
        if refused and not skip_refused:
            raise MergeRefused(shard.root, refused)
        # Curves first, then every row in one transaction: a kill between leaves curves without rows,
        # which `check` reports and the next merge supersedes; an exception takes its curves back.
        segment = self._write_curves([(_as_evaluation(r), r["curve"]) for r in new if r["curve"] is not None])
        try:
            self._commit_merge(new, recipes, columns, artefacts, runs, (trials[0], kept_trials))
        except BaseException:
            if segment is not None:
                self._curve_files[self.layers[-1].name].remove(segment)
            raise
        return len(new) + len(artefacts), identical, conflicts

    def _sort_rows(
        self,
        rows: list[dict[str, Any]],
        curves: list[np.ndarray | None],
        recipes: dict[str, tuple[str, str]],
        refused: Counter[str],
    ) -> tuple[list[dict[str, Any]], int, list[str]]:
        """A shard's rows (with their curves) as (new here, count identical here, conflicts); refusals counted."""
        mine = {
            tuple(r[:4]): tuple(r[4:])
            for r in self.db.execute(
                f"SELECT space, genome_key, recipe_key, train_seed, {', '.join(_MEASURED)} FROM evaluations"
            ).fetchall()
        }
        fingerprints = dict(
            self.db.execute(
                "SELECT recipe_key, any_value(data_fingerprint) FROM evaluations "
                "WHERE data_fingerprint IS NOT NULL GROUP BY 1"
            ).fetchall()
        )
        new: list[dict[str, Any]] = []
        identical, conflicts = 0, []
        for row, curve in zip(rows, curves):
            key = (row["space"], row["genome_key"], row["recipe_key"], row["train_seed"])
            recipe = recipes.get(row["recipe_key"])
            reason = refusal(row, None if recipe is None else recipe[1], curve)
            if reason is None and self.imported.manifest_of(row["recipe_key"]) is not None:
                reason = "recipe is an imported table's here"
            fingerprint = row["data_fingerprint"]
            if (
                reason is None
                and fingerprint is not None
                and fingerprints.setdefault(row["recipe_key"], fingerprint) != fingerprint
            ):
                reason = "data fingerprint differs from the recipe's rows"
            if reason is not None:
                refused[reason] += 1
            elif key not in mine:
                new.append({**row, "curve": curve})
            elif mine[key] == tuple(row[f] for f in _MEASURED):
                identical += 1
            else:
                conflicts.append(
                    f"{'/'.join(key[:2])} recipe {key[2]} seed {key[3]}: "
                    f"here {mine[key]}, shard {tuple(row[f] for f in _MEASURED)}"
                )
        return new, identical, conflicts

    def _verified_trials(
        self, shard: Store, trials: list[tuple[Any, ...]], new: list[dict[str, Any]], refused: Counter[str]
    ) -> list[tuple[Any, ...]]:
        """The shard's logged trials that point at a row here or among the ``new`` ones; the others counted."""
        known = set(self.db.execute("SELECT space, genome_key, recipe_key, train_seed FROM evaluations").fetchall())
        known |= {(r["space"], r["genome_key"], r["recipe_key"], r["train_seed"]) for r in new}
        run_of = {
            run_id: (space, recipe_key)
            for db in (shard.db, self.db)
            for run_id, space, recipe_key in db.execute("SELECT run_id, space, recipe_key FROM runs").fetchall()
        }
        kept = []
        for t in trials:
            run_id, _, genome_key, train_seed, _, served_by = t
            if run_id not in run_of:
                refused["trial of a run the shard does not log"] += 1
                continue
            space, recipe_key = run_of[run_id]
            if served_by != "oom" and (space, genome_key, recipe_key, train_seed) not in known:  # oom: never stored
                refused["trial pointing at no stored row"] += 1
            else:
                kept.append(t)
        return kept

    def _commit_merge(
        self,
        new: list[dict[str, Any]],
        recipes: dict[str, tuple[str, str]],
        columns: list[str],
        artefacts: list[list[Any]],
        runs: tuple[list[str], list[tuple[Any, ...]]],
        trials: tuple[list[str], list[tuple[Any, ...]]],
    ) -> None:
        """Insert a verified shard's rows, artefacts, runs and trials in one transaction."""
        with self._transaction():
            self._insert_columns(
                "recipes",
                ["recipe_key", "profile", "recipe"],
                [[k, *recipes[k]] for k in sorted({r["recipe_key"] for r in new})],
            )
            self._insert_columns(
                "genomes",
                ["space", "genome_key", "genome"],
                sorted({(r["space"], r["genome_key"], r["genome"]) for r in new}),
            )
            self._insert_columns("evaluations", columns, [[r[c] for c in columns] for r in new])
            self._insert_columns("artefacts", ["kind", "key", "record", "code_version", "created_at"], artefacts)
            self._insert_columns("runs", runs[0], runs[1])
            self._insert_columns("trials", trials[0], trials[1])
        self._wrote("evaluations", [(r["space"], r["genome_key"], r["recipe_key"], r["train_seed"]) for r in new])
        self._wrote("artefacts", [(a[0], a[1]) for a in artefacts])
        self._wrote("runs", [(r[runs[0].index("run_id")],) for r in runs[1]])
        self._wrote("trials", [(t[trials[0].index("run_id")], t[trials[0].index("step")]) for t in trials[1]])

    # -- inspection ------------------------------------------------------------------------------

    def sandbox(self) -> None:
        """Confine this store's database to itself for the rest of the process, before running a user's SQL.

        DuckDB can read and write any file (``read_csv('/etc/passwd')``, ``COPY ... TO 'cache/curves/seg-000001.h5'``)
        and install extensions from the network; a read-only cache only stops writes to the database.
        Disabling external access and locking the configuration makes both impossible, and no
        statement can switch them back on.
        """
        if not self.read_only:
            raise ReproError("only a cache opened read-only is sandboxed for queries")
        self.db.execute("SET enable_external_access = false")
        self.db.execute("SET lock_configuration = true")

    def layered(self, table: str) -> str:
        """SQL for ``table``'s rows in every layer, with a ``layer`` column naming it (a row in two layers appears twice)."""
        return (
            "("
            + " UNION ALL ".join(
                f"SELECT '{layer.name}' AS layer, * FROM {layer.name}.{table}" for layer in self.layers
            )
            + ")"
        )

    def layer_counts(self, table: str = "evaluations") -> dict[str, int]:
        """How many rows of ``table`` each layer holds, by layer name."""
        return {
            layer.name: self.db.execute(f"SELECT count(*) FROM {layer.name}.{table}").fetchone()[0]
            for layer in self.layers
        }

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run SQL against the cache; returns (column names, rows)."""
        import duckdb

        try:
            if self.read_only:
                # The snapshot is an in-memory database that would take a change without complaint
                # (and forget it): a read-only store says so instead.
                kinds = {statement.type for statement in self.db.extract_statements(sql)}
                if not kinds <= {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}:
                    names = ", ".join(sorted(k.name for k in kinds))
                    raise ReproError(f"query failed: the cache is read-only, so only SELECT runs here, not {names}")
            cursor = self.db.execute(sql, list(params))
        except duckdb.Error as exc:
            raise ReproError(f"query failed: {str(exc).splitlines()[0]}") from None
        if cursor.description is None:
            return [], []
        return [d[0] for d in cursor.description], cursor.fetchall()

    def export(self, path: str | Path, table: str = "evaluations", imported: bool = False) -> Path:
        """Write a table (or a view joining genomes) to Parquet or CSV, chosen by the file's suffix.

        With ``imported`` the evaluations also hold every imported row, with its provenance columns and
        ``imported`` true (false for the rows trained here)."""
        path = Path(path)
        fmt = {".parquet": "PARQUET", ".csv": "CSV"}.get(path.suffix.lower())
        if fmt is None:
            raise ReproError(f"cannot export to {path.name}: use a .parquet or .csv file name")
        tables = {r[0] for r in self.db.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if table not in tables:
            raise ReproError(f"no table {table!r} in the cache; choose one of: {', '.join(sorted(tables))}")
        source = (
            "(SELECT e.*, g.genome FROM evaluations e JOIN genomes g USING (space, genome_key))"
            if table == "evaluations"
            else table
        )
        if imported:
            if table != "evaluations":
                raise ReproError(f"imported rows are evaluations; export --table evaluations with them, not {table!r}")
            source = self.imported.with_rows(source)
        path.parent.mkdir(parents=True, exist_ok=True)
        escaped = str(path).replace("'", "''")
        self.db.execute(f"COPY {source} TO '{escaped}' (FORMAT {fmt})")
        return path

    def _require_trainable(self, recipe_key: str) -> None:
        m = self.imported.manifest_of(recipe_key)
        if m is not None:
            raise ReproError(
                f"imported recipe {recipe_key}: rows come from the imported table {m.table}; "
                "nothing is stored under it here"
            )

    def _require_writable(self) -> None:
        if self.read_only:
            raise ReproError(f"the cache {self.root} was opened read-only")
