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
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from repro.errors import ReproError

SCHEMA_VERSION = 1
METRICS_FILE = "metrics.duckdb"
CURVES_FILE = "curves.h5"
MEASURED = ("ok", "invalid")
"""The statuses of stored rows; anything else (a surrogate's ``predicted``) is refused by :meth:`Store.put`."""
METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc")

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
"""


@dataclass(frozen=True)
class Evaluation:
    """One measured (or invalid) architecture: the same record whether it came from the cache or training.

    ``status`` is ``ok`` or ``invalid`` (then ``reason`` says why and the metrics are None); a surrogate
    serves ``predicted`` records (only the predicted metric set), which are never stored.
    """

    space: str
    genome_key: str
    recipe_key: str
    train_seed: int
    genome: str
    status: str
    reason: str | None = None
    train_loss: float | None = None
    train_acc: float | None = None
    val_loss: float | None = None
    val_acc: float | None = None
    test_loss: float | None = None
    test_acc: float | None = None
    params: int | None = None
    macs: int | None = None
    epochs: int | None = None
    train_seconds: float | None = None
    device: str | None = None
    code_version: str | None = None
    libraries: str | None = None
    created_at: dt.datetime | None = None

    def value(self, metric: str) -> float:
        """The named metric, NaN for an invalid architecture (which has no accuracy, not 0%)."""
        if metric not in METRICS:
            raise ReproError(f"unknown metric {metric!r}; choose one of: {', '.join(METRICS)}")
        v = getattr(self, metric)
        return math.nan if v is None else float(v)


_EVAL_COLUMNS = [f.name for f in dataclasses.fields(Evaluation) if f.name != "genome"]


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
        self._check_schema()

    def _check_schema(self) -> None:
        if not self.read_only:
            self.db.execute(_SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else None
        if version != SCHEMA_VERSION:
            raise ReproError(
                f"the cache {self.root} has schema version {version}, this repro reads version {SCHEMA_VERSION}; "
                "use the repro version that wrote it, or start a new cache with --cache"
            )

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
        rows = self._select(
            "e.space = ? AND e.genome_key = ? AND e.recipe_key = ? AND e.train_seed = ?",
            [space, genome_key, recipe_key, train_seed],
        )
        return rows[0] if rows else None

    def seeds(self, space: str, genome_key: str, recipe_key: str) -> list[int]:
        """The training seeds cached for one (genome, recipe)."""
        rows = self.db.execute(
            "SELECT train_seed FROM evaluations WHERE space = ? AND genome_key = ? AND recipe_key = ? ORDER BY 1",
            [space, genome_key, recipe_key],
        ).fetchall()
        return [r[0] for r in rows]

    def evaluations(self, space: str, recipe_key: str | None = None) -> list[Evaluation]:
        """All rows of a space (optionally of one recipe), in key and seed order."""
        if recipe_key is None:
            return self._select("e.space = ?", [space])
        return self._select("e.space = ? AND e.recipe_key = ?", [space, recipe_key])

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

    def recipe_json(self, recipe_key: str) -> str | None:
        """The stored recipe for a key."""
        row = self.db.execute("SELECT recipe FROM recipes WHERE recipe_key = ?", [recipe_key]).fetchone()
        return row[0] if row else None

    # -- curves --------------------------------------------------------------------------------

    @staticmethod
    def _curve_path(e: Evaluation) -> str:
        return f"{e.space}/{e.genome_key}/{e.recipe_key}/seed_{e.train_seed}"

    def _write_curve(self, e: Evaluation, curve: np.ndarray) -> None:
        import h5py

        from repro.trainer import CURVE_COLUMNS

        # Opened and closed per write: a kill can then only hit the one curve being written.
        with h5py.File(self.root / CURVES_FILE, "a") as f:
            path = self._curve_path(e)
            if path in f:
                del f[path]
            ds = f.create_dataset(path, data=curve)
            ds.attrs["columns"] = ",".join(CURVE_COLUMNS)

    def curve(self, e: Evaluation) -> np.ndarray | None:
        """The per-epoch curve of a stored evaluation (columns: ``repro.trainer.CURVE_COLUMNS``)."""
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

    # -- inspection ------------------------------------------------------------------------------

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

    def export(self, path: str | Path, table: str = "evaluations") -> Path:
        """Write a table (or a view joining genomes) to Parquet or CSV, chosen by the file's suffix."""
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
        path.parent.mkdir(parents=True, exist_ok=True)
        escaped = str(path).replace("'", "''")
        self.db.execute(f"COPY {source} TO '{escaped}' (FORMAT {fmt})")
        return path

    def _require_writable(self) -> None:
        if self.read_only:
            raise ReproError(f"the cache {self.root} was opened read-only")
