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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repro.errors import ReproError

WRITER_LOCK = ".repro-writer.lock"
FILES_LOCK = ".repro-files.lock"
LOCK_TIMEOUT_S = 120.0
"""How long one file operation waits for the other side's operation (each takes milliseconds)."""
DEPENDENCIES = {"evaluations": ("genomes", "recipes"), "trials": ("runs",)}
"""Rows a layer must hold beside a new row so that the layer stands on its own (table -> the tables of the
rows it needs, found by their key columns, which the needing row has under the same names)."""


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


def tables(db: Any, schema: str = "main", database: str | None = None) -> list[str]:
    """The tables of one schema of the in-memory snapshot (or of an attached ``database``), in name order."""
    rows = db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = coalesce(?, current_database()) "
        "AND table_schema = ? ORDER BY 1",
        [database, schema],
    ).fetchall()
    return [r[0] for r in rows]


def _attached_version(db: Any) -> str | None:
    """The schema version recorded by the file attached as ``layer_file`` (None: it records none)."""
    if "meta" not in tables(db, "main", "layer_file"):
        return None
    found = db.execute("SELECT value FROM layer_file.meta WHERE key = 'schema_version'").fetchone()
    return None if found is None else found[0]


def file_version(db: Any, path: Path) -> str | None:
    """The schema version the database file ``path`` records, read through the snapshot ``db`` without
    writing; None where there is no file, no version, or a file DuckDB cannot open (opening it says why)."""
    import duckdb

    if not path.exists():
        return None
    try:
        db.execute(f"ATTACH '{_quoted(path)}' AS layer_file (READ_ONLY)")
    except duckdb.Error:
        return None
    try:
        return _attached_version(db)
    except duckdb.Error:
        return None
    finally:
        db.execute("DETACH layer_file")


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
        have = _attached_version(db)
        if have != version:
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


def primary_keys(db: Any) -> dict[str, tuple[str, ...]]:
    """Each table of the snapshot's ``main`` schema by the columns of its primary key."""
    rows = db.execute(
        "SELECT table_name, constraint_column_names FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
        "AND database_name = current_database() AND schema_name = 'main'"
    ).fetchall()
    return {table: tuple(columns) for table, columns in rows}


def _keyed(schema: str, table: str, columns: Sequence[str]) -> str:
    """SQL for the rows of ``schema.table`` whose key ``columns`` match one of the keys given as one list per column."""
    keys = ", ".join(f"unnest(?) AS {c}" for c in columns)
    return f"SELECT * FROM {schema}.{table} SEMI JOIN (SELECT {keys}) USING ({', '.join(columns)})"


def _by_column(keys: Iterable[tuple[Any, ...]]) -> list[list[Any]]:
    """Keys (tuples) as one list per key column: the parameters of :func:`_keyed`."""
    return [list(column) for column in zip(*keys)]


def new_rows(
    db: Any, layers: list[Layer], table: str, columns: Sequence[str], keys: Iterable[tuple[Any, ...]]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The keys, among ``keys``, whose row in the snapshot no layer holds as it is (new, or changed since),
    and those of them whose row the top layer holds with other values (to be replaced there).

    Only those rows are read, one query over the snapshot and every layer, and compared here: their
    number, not the table's, sets the cost. A key the snapshot has no row for is none of them."""
    params = _by_column(keys)
    if not params:
        return [], []
    sources = ["main", *(layer.name for layer in layers)]
    cursor = db.execute(
        " UNION ALL ".join(
            f"SELECT {i} AS source, * FROM ({_keyed(s, table, columns)})" for i, s in enumerate(sources)
        ),
        params * len(sources),
    )
    where = [[d[0] for d in cursor.description].index(c) - 1 for c in columns]  # the row without its source
    snapshot: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    stored: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    in_top = set()
    for source, *row in cursor.fetchall():
        key = tuple(row[i] for i in where)
        if source == 0:
            snapshot[key] = tuple(row)
        else:
            stored.setdefault(key, []).append(tuple(row))
            if source == len(layers):
                in_top.add(key)
    new = sorted(key for key, row in snapshot.items() if row not in stored.get(key, ()))
    return new, [key for key in new if key in in_top]


def persist(
    db: Any,
    layers: list[Layer],
    path: Path,
    changed: dict[str, set[tuple[Any, ...]]],
    keys: dict[str, tuple[str, ...]],
) -> int:
    """Write the rows a write named that no layer holds yet to the top layer's file ``path``, in one transaction.

    ``changed``: table -> the primary keys (``keys``: each table's key columns) of the rows the write
    added or changed. Only those rows are compared with the layers (:func:`new_rows`), so a write's
    commit costs what it wrote, not the size of the cache; each new row brings the rows it needs that
    the layer lacks (:data:`DEPENDENCIES`). Returns the number of new rows written. Nothing is
    opened when nothing is new (a replay only re-logs its trials as they were).

    Rows are replaced by a DELETE and a plain INSERT, and needed rows looked up before they are
    inserted: DuckDB's ``INSERT OR REPLACE`` / ``OR IGNORE`` cost several times as much per statement."""
    top = layers[-1].name
    inserts: dict[str, set[tuple[Any, ...]]] = {}
    deletes: dict[str, list[tuple[Any, ...]]] = {}
    written = 0
    for table, named in sorted(changed.items()):
        new, deletes[table] = new_rows(db, layers, table, keys[table], named)
        written += len(new)
        inserts.setdefault(table, set()).update(new)
        for needed in DEPENDENCIES.get(table, ()) if new else ():
            columns = ", ".join(keys[needed])
            missing = db.execute(
                f"SELECT {columns} FROM main.{needed} SEMI JOIN ({_keyed('main', table, keys[table])}) "
                f"USING ({columns}) ANTI JOIN {top}.{needed} USING ({columns})",
                _by_column(new),
            ).fetchall()
            inserts.setdefault(needed, set()).update(missing)
    statements: list[tuple[str, list[list[Any]]]] = []
    for table, rows in sorted(inserts.items()):
        columns = keys[table]
        if deletes.get(table):
            unnest = ", ".join("unnest(?)" for _ in columns)
            statements.append(
                (
                    f"DELETE FROM {{into}}.{table} WHERE ({', '.join(columns)}) IN (SELECT {unnest})",
                    _by_column(deletes[table]),
                )
            )
        if rows:
            statements.append((f"INSERT INTO {{into}}.{table} {_keyed('main', table, columns)}", _by_column(rows)))
    if statements:
        commit(db, layers, path, statements)
    return written


def commit(db: Any, layers: list[Layer], path: Path, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """Run ``statements`` (SQL naming the schema written ``{into}``, and its parameters) in one transaction
    on the top layer's file ``path``, then on the snapshot's copy of that layer, which then equals the file."""
    import duckdb

    try:
        db.execute(f"ATTACH '{_quoted(path)}' AS layer_file")
    except duckdb.Error as exc:
        raise connect_error(path, exc) from None
    try:
        db.execute("BEGIN TRANSACTION")
        try:
            for statement, params in statements:
                db.execute(statement.format(into="layer_file"), params)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    finally:
        db.execute("DETACH layer_file")  # checkpoints: the file alone holds everything
    for statement, params in statements:
        db.execute(statement.format(into=layers[-1].name), params)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
