"""Cache folders stacked as layers, and the file locks that let readers run beside a writer.

A :class:`~repro.cache.store.Store` reads one or two cache folders: the *shipped* cache (the
repository's ``cache/``, read-only unless it is itself the one being written) under the user's
*local* cache (default ``cache/local/``, git-ignored), which takes every write. A local row
brings its genome and recipe along and a local trial its run, so ``repro cache merge cache/local
--cache cache`` can promote the layer deliberately; a local run's trials may name rows of the
shipped cache, so the local layer is checked with the shipped one beneath it (as every command
reads it). On a clash (a key with different numbers in both) the shipped row wins: it is the one
every clone sees, and ``cache merge`` reports the clash.

Concurrency: every opened store reads an in-memory *snapshot* of its layers, copied when it opens;
no process keeps a cache file open. The locks (``fcntl.flock``, released by the kernel when a
process dies, even by kill -9) of one folder are:

- ``.repro-writer.lock``: held exclusively by the one writer for its whole life (the single-writer
  guarantee; a second writer is refused at once with one line);
- ``.repro-files.lock``: held exclusively while a write touches the folder's files (a curve plus
  one DuckDB transaction, milliseconds) and shared while a reader copies the database or reads a
  curve (milliseconds); each side waits at most for one such operation of the other.

A writer therefore writes each finished evaluation (the store's write method, then
:func:`persist`) in one short transaction, and a reader never waits for the search itself.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repro.errors import ReproError

WRITER_LOCK = ".repro-writer.lock"
FILES_LOCK = ".repro-files.lock"
LOCK_TIMEOUT_S = 120.0
"""How long one file operation waits for the other side's operation (each takes milliseconds)."""
DEPENDENCIES = {
    "evaluations": (("genomes", ("space", "genome_key")), ("recipes", ("recipe_key",))),
    "trials": (("runs", ("run_id",)),),
}
"""Rows a layer must hold beside a new row so that the layer stands on its own (table -> (needed table, key))."""


@dataclass(frozen=True)
class Layer:
    """One cache folder of a store: ``name`` is also the schema holding its tables in the snapshot."""

    name: str
    root: Path
    writable: bool


def _lock_fd(path: Path) -> int | None:
    """An open descriptor of a lock file, or None where the folder cannot hold one (a read-only copy)."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None


class WriterLock:
    """The exclusive right to write to one cache folder, held until :meth:`release` (or the process ends)."""

    def __init__(self, root: Path, what: Path) -> None:
        self.fd = os.open(root / WRITER_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise ReproError(
                f"the cache {what} is in use by another repro process; wait for it or use another --cache"
            ) from None

    def release(self) -> None:
        """Let another writer in."""
        if self.fd >= 0:
            os.close(self.fd)  # closing the descriptor drops its flock
            self.fd = -1


class FilesGuard:
    """The short lock around one folder's file operations; re-entrant within one store."""

    def __init__(self, root: Path) -> None:
        self.path = root / FILES_LOCK
        self.fd: int | None = None
        self.depth = 0

    @contextmanager
    def hold(self, exclusive: bool) -> Iterator[None]:
        """Hold the lock (shared for reading, exclusive for writing) for the block, waiting if needed."""
        if self.depth:  # this store already holds it (a write method reading a curve)
            self.depth += 1
            try:
                yield
            finally:
                self.depth -= 1
            return
        fd = _lock_fd(self.path)
        if fd is not None:
            _acquire(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH, self.path)
        self.fd, self.depth = fd, 1
        try:
            yield
        finally:
            self.depth = 0
            if fd is not None:
                os.close(fd)
            self.fd = None


def _acquire(fd: int, mode: int, path: Path) -> None:
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise ReproError(
                    f"{path} stayed locked for {LOCK_TIMEOUT_S:.0f} s; is a repro process hung? stop it and retry"
                ) from None
            time.sleep(0.01)


def connect_error(path: Path, exc: Exception) -> ReproError:
    """The one-line error for a DuckDB file that cannot be opened."""
    import duckdb

    if isinstance(exc, duckdb.IOException):
        if "lock" in str(exc).lower():
            return ReproError(f"the cache {path} is in use by another program; wait for it or use another --cache")
        return ReproError(
            f"{path} is not a readable DuckDB database ({str(exc).splitlines()[0]}); restore it "
            f"(git checkout -- {path}) or move it away to start a new cache"
        )
    return ReproError(f"cannot open the cache {path}: {str(exc).splitlines()[0]}")


def tables(db: Any, schema: str = "main") -> list[str]:
    """The tables of one schema of the in-memory snapshot, in name order."""
    rows = db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = ? "
        "ORDER BY 1",
        [schema],
    ).fetchall()
    return [r[0] for r in rows]


def load(db: Any, layer: Layer, path: Path, version: str) -> None:
    """Copy one layer's database file into schema ``layer.name`` of the snapshot ``db``.

    The tables are created with the file's own definitions (primary keys included), in the layer's
    schema and, for the first layer, in ``main`` (where :func:`stack` unites the layers). A file of
    another schema version (``version``: the one this repro reads) is refused with the fix."""
    import duckdb

    try:
        db.execute(f"ATTACH '{_quoted(path)}' AS layer_file (READ_ONLY)")
    except duckdb.Error as exc:
        raise connect_error(path, exc) from None
    try:
        definitions = db.execute(
            "SELECT table_name, sql FROM duckdb_tables() WHERE database_name = 'layer_file' ORDER BY 1"
        ).fetchall()
        found = (
            db.execute("SELECT value FROM layer_file.meta WHERE key = 'schema_version'").fetchone()
            if "meta" in dict(definitions)
            else None
        )
        if found is None or found[0] != version:
            have = None if found is None else found[0]
            fix = (
                f"upgrade it with `repro cache upgrade` (--cache {layer.root})"
                if have is not None and int(have) < int(version)
                else "use the repro version that wrote it, or start a new cache with --cache"
            )
            raise ReproError(
                f"the cache {layer.root} has schema version {have}, this repro reads version {version}; {fix}"
            )
        db.execute(f"CREATE SCHEMA {layer.name}")
        for schema in (layer.name, "main") if not tables(db) else (layer.name,):
            db.execute(f"USE {schema}")
            try:
                for _, sql in definitions:
                    db.execute(sql)
            finally:
                db.execute("USE main")
        for table, _ in definitions:
            db.execute(f"INSERT INTO {layer.name}.{table} SELECT * FROM layer_file.{table}")
    except duckdb.Error as exc:  # a file that opens but whose pages cannot be read (e.g. truncated)
        raise connect_error(path, duckdb.IOException(" ".join(str(exc).split()))) from None
    finally:
        db.execute("DETACH layer_file")


def stack(db: Any, layers: list[Layer]) -> None:
    """Fill the snapshot's main tables with every layer's rows; on a clash the lower layer's row wins.

    A lower layer is the shipped cache: its rows are the ones every clone sees, so a local row can
    add to them but never silently replace one (a clash is a conflict ``cache merge`` reports)."""
    for layer in layers:
        for table in tables(db, layer.name):
            db.execute(f"INSERT OR IGNORE INTO main.{table} SELECT * FROM {layer.name}.{table}")


def persist(db: Any, layers: list[Layer], path: Path, only: set[str] | None = None) -> int:
    """Write the snapshot's new rows (in no layer yet) to the top layer's file ``path``, in one transaction.

    ``only``: the tables that can have changed (None: all). Returns the number of rows written.
    Nothing is opened when nothing is new (a replay only re-logs its trials as they were)."""
    import duckdb

    top = layers[-1]
    new: dict[str, int] = {}
    for table in tables(db) if only is None else sorted(only):
        layered = " ".join(f"EXCEPT SELECT * FROM {layer.name}.{table}" for layer in layers)
        db.execute(f"CREATE OR REPLACE TEMP TABLE new_{table} AS SELECT * FROM main.{table} {layered}")
        count = db.execute(f"SELECT count(*) FROM new_{table}").fetchone()[0]
        if count:
            new[table] = count
    if not new:
        return 0
    statements = []
    for table in new:
        statements.append(f"INSERT OR REPLACE INTO {{into}}.{table} SELECT * FROM new_{table}")
        for needed, key in DEPENDENCIES.get(table, ()):
            same = " AND ".join(f"n.{k} = d.{k}" for k in key)
            statements.append(
                f"INSERT OR IGNORE INTO {{into}}.{needed} SELECT * FROM main.{needed} d "
                f"WHERE EXISTS (SELECT 1 FROM new_{table} n WHERE {same})"
            )
    try:
        db.execute(f"ATTACH '{_quoted(path)}' AS layer_file")
    except duckdb.Error as exc:
        raise connect_error(path, exc) from None
    try:
        db.execute("BEGIN TRANSACTION")
        try:
            for statement in statements:
                db.execute(statement.format(into="layer_file"))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    finally:
        db.execute("DETACH layer_file")  # checkpoints: the file alone holds everything
    for statement in statements:  # the snapshot's copy of the layer now equals its file
        db.execute(statement.format(into=top.name))
    for table in new:
        db.execute(f"DROP TABLE new_{table}")
    return sum(new.values())


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
