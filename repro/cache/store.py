"""The evaluation cache: metrics in DuckDB, per-epoch curves in HDF5.

Contract:
- One writer at a time (DuckDB's file lock enforces it; a second writer gets a clear error).
- A row is keyed by (space, genome key, recipe key, training seed). Finished rows are immutable:
  :meth:`Store.put` never overwrites; several seeds of one (genome, recipe) are separate rows.
- Durability order: the curve is written and its HDF5 file closed *before* the metrics row is
  committed, so a committed row always has its curve; a crash in between leaves only an orphan
  curve that the next write of that key replaces. Each :meth:`put` is its own transaction, so an
  interrupted search loses at most the evaluation in flight.
- The schema carries a version; a file of another version is refused with the fix.
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
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from repro.errors import ReproError
from repro.records import CURVE_COLUMNS, MEASURED, METRICS, Evaluation
from repro.tables.shipped import ImportedTables

METRICS_FILE = "metrics.duckdb"
CURVES_FILE = "curves.h5"
ARTEFACT_KINDS = ("gdas-searches", "nar-searches", "featurenet-samples", "gdas-acceleration", "nb201-protocol")
"""The kinds of artefact a replay reads; version 1 caches kept each as ``<cache>/<kind>/<key>.json``."""
_ARTEFACTS = """CREATE TABLE IF NOT EXISTS artefacts (
    kind VARCHAR, key VARCHAR, record VARCHAR, code_version VARCHAR, created_at TIMESTAMP, PRIMARY KEY (kind, key));"""


def _artefact_files(store: Store) -> None:
    """Migration step 1 -> 2: move the JSON artefact files of a version-1 cache into the ``artefacts`` table."""
    for kind in ARTEFACT_KINDS:
        for path in sorted((store.root / kind).glob("*.json")):
            record = json.loads(path.read_text())
            store.db.execute("INSERT INTO artefacts VALUES (?, ?, ?, ?, ?)",
                             [kind, path.stem, json.dumps(record), record.get("code_version"),
                              dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).replace(tzinfo=None)])  # fmt: skip
            store._migrated_files.append(path)


SCHEMA_VERSION = 2
MIGRATIONS: dict[int, tuple[str | Callable[[Store], None], ...]] = {1: (_ARTEFACTS, _artefact_files)}
"""Version v -> the steps (SQL statements, or functions of the open store) that turn a version-v cache
into version v + 1. When the schema changes, bump SCHEMA_VERSION and add the step here; older caches
upgrade on their first writable open, all steps in one transaction."""

_SCHEMA = """
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
    PRIMARY KEY (space, genome_key, recipe_key, train_seed));
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, space VARCHAR, strategy VARCHAR, config VARCHAR, recipe_key VARCHAR,
    seed INTEGER, budget INTEGER, metric VARCHAR, code_version VARCHAR, created_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS trials (
    run_id VARCHAR, step INTEGER, genome_key VARCHAR, train_seed INTEGER, genome VARCHAR, served_by VARCHAR,
    PRIMARY KEY (run_id, step));
""" + _ARTEFACTS


PROVENANCE = ("source", "source_arch", "source_seed", "seed_mean")
"""Fields only imported rows fill (see the module docstring: they are not DuckDB columns)."""
_EVAL_COLUMNS = [f.name for f in dataclasses.fields(Evaluation) if f.name not in ("genome", *PROVENANCE)]
ALL_FIELDS = [f.name for f in dataclasses.fields(Evaluation)]
"""Every field of an :class:`Evaluation`: the columns of an imported table's Parquet file."""
_MEASURED = ("status", "reason", *METRICS, "params", "macs", "epochs")


def _measured(e: Evaluation) -> tuple[Any, ...]:
    """The fields that must agree for two rows of one key to be the same measurement."""
    return tuple(getattr(e, f) for f in _MEASURED)


class Store:
    """Open (creating if needed) the cache in folder ``root``. Use as a context manager."""

    def __init__(self, root: str | Path, read_only: bool = False) -> None:
        import duckdb

        self.root = Path(root)
        self.read_only = read_only
        metrics_path = self.root / METRICS_FILE
        if read_only and not metrics_path.exists():
            raise ReproError(f"no cache at {self.root} (missing {METRICS_FILE}); run a search first or pass --cache")
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            self.db = duckdb.connect(str(metrics_path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise ReproError(
                    f"the cache {metrics_path} is in use by another repro process; wait for it or use another --cache"
                ) from None
            raise ReproError(
                f"{metrics_path} is not a readable DuckDB database ({exc}); restore it (git checkout -- {metrics_path}) "
                "or move it away to start a new cache"
            ) from None
        except duckdb.Error as exc:
            raise ReproError(f"cannot open the cache {metrics_path}: {exc}") from None
        try:
            self._check_schema()
            self._check_curves_file()
            self.imported = ImportedTables(self.root)
        except BaseException:
            self.db.close()
            raise

    def _check_curves_file(self) -> None:
        """Refuse a truncated or corrupt curves file now, not halfway through a search."""
        import h5py

        path = self.root / CURVES_FILE
        if not path.exists():
            return
        try:
            with h5py.File(path, "r"):
                pass
        except OSError as exc:
            raise ReproError(
                f"{path} is not a readable HDF5 file ({str(exc).splitlines()[0]}); restore it (git checkout -- {path}) "
                "or move it away (the metrics rows stay; `repro cache check` lists rows without curves)"
            ) from None

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
        """Checkpoint and close the database."""
        self.db.close()

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

    # -- evaluations -------------------------------------------------------------------------

    def get(self, space: str, genome_key: str, recipe_key: str, train_seed: int) -> Evaluation | None:
        """The row for exactly this training seed, or None."""
        if self.imported.manifest_of(recipe_key) is not None:
            found = [e for e in self._imported_rows(space, recipe_key) if (e.genome_key, e.train_seed) == (genome_key, train_seed)]
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

    def put(self, evaluation: Evaluation, recipe_json: str, profile: str, curve: np.ndarray | None = None) -> bool:
        """Store a finished evaluation (and its curve); returns False if that row already existed."""
        self._require_writable()
        e = evaluation
        self._require_trainable(e.recipe_key)
        if e.status not in MEASURED:
            # Predictions (a surrogate's) must never pass for measurements of the architecture.
            raise ReproError(f"only measured evaluations ({', '.join(MEASURED)}) are stored, not {e.status!r} ones")
        if self.get(e.space, e.genome_key, e.recipe_key, e.train_seed) is not None:
            return False
        if curve is not None:
            self._write_curve(e, curve)
        with self._transaction():
            self.db.execute("INSERT OR IGNORE INTO recipes VALUES (?, ?, ?)", [e.recipe_key, profile, recipe_json])
            self.db.execute("INSERT OR IGNORE INTO genomes VALUES (?, ?, ?)", [e.space, e.genome_key, e.genome])
            placeholders = ", ".join("?" for _ in _EVAL_COLUMNS)
            self.db.execute(
                f"INSERT INTO evaluations ({', '.join(_EVAL_COLUMNS)}) VALUES ({placeholders})",
                [getattr(e, c) for c in _EVAL_COLUMNS],
            )
        return True

    def put_many(self, evaluations: Sequence[Evaluation], recipe_json: str, profile: str) -> None:
        """Store many curve-less evaluations of one recipe in one transaction; rows already stored are kept.

        For bulk loads (a benchmark's fixture): one ``put`` per row costs a transaction each.
        """
        self._require_writable()
        if any(e.status not in MEASURED for e in evaluations):
            raise ReproError(f"only measured evaluations ({', '.join(MEASURED)}) are stored")
        keys = {e.recipe_key for e in evaluations}
        if not keys:
            return
        if len(keys) > 1:
            raise ReproError(f"put_many stores rows of one recipe, got {len(keys)} recipe keys")
        self._require_trainable(next(iter(keys)))
        with self._transaction():
            for key in keys:
                self.db.execute("INSERT OR IGNORE INTO recipes VALUES (?, ?, ?)", [key, profile, recipe_json])
            genomes = {(e.space, e.genome_key): e.genome for e in evaluations}
            self._insert_columns("genomes", ["space", "genome_key", "genome"], [[*k, g] for k, g in genomes.items()])
            self._insert_columns("evaluations", _EVAL_COLUMNS, [[getattr(e, c) for c in _EVAL_COLUMNS] for e in evaluations])

    def _insert_columns(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """INSERT OR IGNORE ``rows`` as one statement of column lists (``executemany`` costs a statement per row)."""
        types = dict(self.db.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall())  # fmt: skip
        unnest = ", ".join(f"unnest(?::{types[c]}[]) AS {c}" for c in columns)
        self.db.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) SELECT {unnest}", [list(col) for col in zip(*rows)])

    def recipe(self, recipe_key: str) -> tuple[str, str] | None:
        """The stored (profile, recipe JSON) for a recipe key (of a row trained here or of an imported table)."""
        row = self.db.execute("SELECT profile, recipe FROM recipes WHERE recipe_key = ?", [recipe_key]).fetchone()
        return (row[0], row[1]) if row else self.imported.recipe(recipe_key)

    # -- curves --------------------------------------------------------------------------------

    @staticmethod
    def _curve_path(e: Evaluation) -> str:
        return f"{e.space}/{e.genome_key}/{e.recipe_key}/seed_{e.train_seed}"

    def _write_curve(self, e: Evaluation, curve: np.ndarray) -> None:
        import h5py

        # Opened and closed per write: a kill can then only hit the one curve being written.
        with h5py.File(self.root / CURVES_FILE, "a") as f:
            path = self._curve_path(e)
            if path in f:
                del f[path]
            ds = f.create_dataset(path, data=curve)
            ds.attrs["columns"] = ",".join(CURVE_COLUMNS)

    def curve(self, e: Evaluation) -> np.ndarray | None:
        """The per-epoch curve of a stored evaluation (columns: :data:`repro.records.CURVE_COLUMNS`)."""
        import h5py

        path = self.root / CURVES_FILE
        if not path.exists():
            return None
        try:
            with h5py.File(path, "r") as f:
                key = self._curve_path(e)
                return np.asarray(f[key]) if key in f else None
        except OSError as exc:
            raise ReproError(f"{path} is not a readable HDF5 file ({exc}); restore it from git or move it away") from None

    # -- artefacts -------------------------------------------------------------------------------

    def artefact(self, kind: str, key: str) -> dict[str, Any] | None:
        """The stored record of one artefact, or None."""
        row = self.db.execute("SELECT record FROM artefacts WHERE kind = ? AND key = ?", [kind, key]).fetchone()
        return None if row is None else json.loads(row[0])

    def artefacts(self, kind: str) -> list[dict[str, Any]]:
        """Every stored record of one kind, in key order."""
        rows = self.db.execute("SELECT record FROM artefacts WHERE kind = ? ORDER BY key", [kind]).fetchall()
        return [json.loads(r[0]) for r in rows]

    def put_artefact(self, kind: str, key: str, record: dict[str, Any]) -> bool:
        """Store an artefact (a JSON-ready dict); returns False if (kind, key) was already stored (kept as it is)."""
        self._require_writable()
        if kind not in ARTEFACT_KINDS:
            raise ReproError(f"unknown artefact kind {kind!r}; the store keeps: {', '.join(ARTEFACT_KINDS)}")
        if self.artefact(kind, key) is not None:
            return False
        self.db.execute("INSERT INTO artefacts VALUES (?, ?, ?, ?, now()::TIMESTAMP)",
                        [kind, key, json.dumps(record), record.get("code_version")])  # fmt: skip
        return True

    # -- runs and trials -------------------------------------------------------------------------

    def record_run(self, run_id: str, **fields: Any) -> None:
        """Create or update a search run's header (its budget grows when a run is extended)."""
        self._require_writable()
        existing = self.db.execute("SELECT budget FROM runs WHERE run_id = ?", [run_id]).fetchone()
        if existing:
            self.db.execute(
                "UPDATE runs SET budget = greatest(budget, ?) WHERE run_id = ?", [fields["budget"], run_id]
            )
            return
        names = ["run_id", *fields]
        self.db.execute(
            f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
            [run_id, *fields.values()],
        )

    def record_trial(self, run_id: str, step: int, genome_key: str, train_seed: int, genome: str, served_by: str) -> None:
        """Log one step of a run (idempotent: a replay rewrites the same step)."""
        self._require_writable()
        self.db.execute(
            "INSERT OR REPLACE INTO trials VALUES (?, ?, ?, ?, ?, ?)",
            [run_id, step, genome_key, train_seed, genome, served_by],
        )

    # -- integrity and merging -------------------------------------------------------------------

    def check(self) -> list[str]:
        """Every inconsistency between the metrics rows, their curves and the run logs (empty when sound)."""
        problems = self.imported.check()
        imported = [e for space in sorted({m.space for m in self.imported.manifests}) for e in self._imported_rows(space, None)]
        for e in [*self._select("TRUE", []), *imported]:
            where = f"{e.space}/{e.genome_key} recipe {e.recipe_key} seed {e.train_seed}"
            if e.imported:
                # Measured elsewhere: no curve exists to check, and a table may give only some metrics.
                if e.status != "ok" or all(getattr(e, m) is None for m in METRICS):
                    problems.append(f"{where}: imported row ({e.source}) needs status ok and a metric")
            elif e.status == "ok":
                if any(getattr(e, m) is None for m in METRICS):
                    problems.append(f"{where}: status ok but metrics missing")
                curve = self.curve(e)
                if curve is None:
                    problems.append(f"{where}: no curve in {CURVES_FILE}")
                elif len(curve) != e.epochs or not math.isclose(curve[-1, -1], e.val_acc or 0.0, abs_tol=1e-12):
                    problems.append(f"{where}: curve has {len(curve)} epochs / last val_acc {curve[-1, -1]}, "
                                    f"row says {e.epochs} / {e.val_acc}")  # fmt: skip
            elif e.status in ("invalid", "failed"):
                if not e.reason or any(getattr(e, m) is not None for m in METRICS):
                    problems.append(f"{where}: status {e.status} needs a reason and no metrics")
            else:
                problems.append(f"{where}: unknown status {e.status!r}")
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
        for kind in ARTEFACT_KINDS:
            if (self.root / kind).is_dir():
                problems.append(f"{self.root / kind}: a folder of a schema-1 cache left after the upgrade; its records "
                                f"are in the database, so move it away")  # fmt: skip
        return problems

    def merge(self, shard: Store) -> tuple[int, int, list[str]]:
        """Fold another cache into this one: (rows and artefacts added, already identical, conflicts).

        Every seed is kept; a row (or artefact) that exists here with different numbers is a conflict,
        reported and left as it is here. Runs and trial logs are added when new. Merging twice adds nothing.
        """
        self._require_writable()
        added, identical, conflicts = 0, 0, []
        for e in shard._select("TRUE", []):
            mine = self.get(e.space, e.genome_key, e.recipe_key, e.train_seed)
            if mine is None:
                recipe = shard.recipe(e.recipe_key)
                assert recipe is not None
                profile, recipe_json = recipe
                self.put(e, recipe_json, profile, shard.curve(e))
                added += 1
            elif _measured(mine) == _measured(e):
                identical += 1
            else:
                conflicts.append(f"{e.space}/{e.genome_key} recipe {e.recipe_key} seed {e.train_seed}: "
                                 f"here {_measured(mine)}, shard {_measured(e)}")  # fmt: skip
        for kind, key, record in shard.db.execute("SELECT kind, key, record FROM artefacts ORDER BY 1, 2").fetchall():
            mine_record = self.db.execute("SELECT record FROM artefacts WHERE kind = ? AND key = ?", [kind, key]).fetchone()
            if mine_record is None:
                self.put_artefact(kind, key, json.loads(record))
                added += 1
            elif json.loads(mine_record[0]) == json.loads(record):
                identical += 1
            else:
                conflicts.append(f"artefact {kind}/{key}: the shard's record differs from this cache's")
        for table in ("runs", "trials"):
            columns, rows = shard.query(f"SELECT * FROM {table}")
            if rows:
                self.db.executemany(
                    f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                    [list(r) for r in rows],
                )
        return added, identical, conflicts

    # -- inspection ------------------------------------------------------------------------------

    def sandbox(self) -> None:
        """Confine this store's database to itself for the rest of the process, before running a user's SQL.

        DuckDB can read and write any file (``read_csv('/etc/passwd')``, ``COPY ... TO 'cache/curves.h5'``)
        and install extensions from the network; a read-only cache only stops writes to the database.
        Disabling external access and locking the configuration makes both impossible, and no
        statement can switch them back on.
        """
        if not self.read_only:
            raise ReproError("only a cache opened read-only is sandboxed for queries")
        self.db.execute("SET enable_external_access = false")
        self.db.execute("SET lock_configuration = true")

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run SQL against the cache; returns (column names, rows)."""
        import duckdb

        try:
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
            raise ReproError(f"imported recipe {recipe_key}: rows come from the imported table {m.table}; "
                             "nothing is stored under it here")  # fmt: skip

    def _require_writable(self) -> None:
        if self.read_only:
            raise ReproError(f"the cache {self.root} was opened read-only")
