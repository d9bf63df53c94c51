"""A store's cost per write, against the commit that compared whole tables (the path before), in the same run.

    PYTHONPATH=. python benchmarks/bench_writes.py                # 100 and 5,000 stored rows, 30 writes each
    PYTHONPATH=. python benchmarks/bench_writes.py --quick        # tiny sizes: checks that it works

Every write method's commit (:func:`repro.cache.layers.persist`) compares only the rows the write
named with the layers. The baseline, :func:`whole_table_persist`, is the commit before that change: it
found a write's new rows by comparing every row of the tables with every layer (``EXCEPT``), all
tables for ``put``, the trials table alone for ``record_trial``. Both run in this process on the same
fixture cache (rows that pass a merge's verification, each with its curve, under the smoke recipe),
in alternating blocks, so load on the machine hits both alike. Also printed: the time to open a store
over the shipped cache (``cache/``), as ``repro search`` does (writable, local layer on top) and as a
reader does.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb

import repro.cache.store as store_module
from repro.cache.layers import DEPENDENCIES, Layer, commit, tables
from repro.cache.store import METRICS_FILE, Store
from repro.records import Evaluation
from tests.rows import RECIPE, curve_of, sound_row

SHIPPED = Path(__file__).resolve().parent.parent / "cache"
NAMED_ROWS = store_module.persist
"""The commit under test: only the rows a write names are compared."""


def whole_table_persist(
    db: Any, layers: list[Layer], path: Path, changed: dict[str, set[tuple[Any, ...]]], keys: dict[str, tuple[str, ...]]
) -> int:
    """The baseline: the commit as it was, comparing every row of the tables a write method could change.

    ``put`` compared every table and ``record_run``/``record_trial`` their own (the tables named)."""
    only = set(changed) if set(changed) <= {"runs", "trials"} else None
    new: dict[str, int] = {}
    for table in tables(db) if only is None else sorted(only):
        layered = " ".join(f"EXCEPT SELECT * FROM {layer.name}.{table}" for layer in layers)
        db.execute(f"CREATE OR REPLACE TEMP TABLE new_{table} AS SELECT * FROM main.{table} {layered}")
        count = db.execute(f"SELECT count(*) FROM new_{table}").fetchone()[0]
        if count:
            new[table] = count
    statements: list[tuple[str, list[Any]]] = []
    for table in new:
        statements.append((f"INSERT OR REPLACE INTO {{into}}.{table} SELECT * FROM new_{table}", []))
        for needed in DEPENDENCIES.get(table, ()):
            same = " AND ".join(f"n.{k} = d.{k}" for k in keys[needed])
            statements.append(
                (
                    (
                        f"INSERT OR IGNORE INTO {{into}}.{needed} SELECT * FROM main.{needed} d "
                        f"WHERE EXISTS (SELECT 1 FROM new_{table} n WHERE {same})"
                    ),
                    [],
                )
            )
    if statements:
        commit(db, layers, path, statements)
    for table in new:
        db.execute(f"DROP TABLE new_{table}")
    return sum(new.values())


class _Clock:
    """Wall and CPU seconds of this process spent inside ``timed`` blocks."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.count = 0

    def timed(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        fn(*args, **kwargs)
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu
        self.count += 1

    def ms(self) -> str:
        return f"{1000 * self.wall / self.count:7.1f} ms wall {1000 * self.cpu / self.count:6.1f} ms CPU"


def _genomes(start: int) -> Iterator[str]:
    i = start
    while True:
        yield f'{{"nodes":[{i}]}}'
        i += 1


def bench_writes(stored: int, writes: int, blocks: int) -> None:
    """Per ``put`` and per replayed ``record_trial`` over a cache of ``stored`` rows: named rows vs whole tables."""
    genomes = _genomes(0)
    rows = [sound_row(0, genome=next(genomes)) for _ in range(stored)]
    clocks = {(what, path): _Clock() for what in ("put", "trial") for path in ("named", "whole")}
    with tempfile.TemporaryDirectory() as tmp:
        _fixture(Path(tmp), rows)
        with Store(Path(tmp)) as store:
            _alternate(store, genomes, rows, clocks, writes, blocks)
    for what, label in (("put", "put (a new row and its curve)"), ("trial", "record_trial, replayed (writes nothing)")):
        named, whole = clocks[what, "named"], clocks[what, "whole"]
        print(f"{stored:>6,} rows  {label:<42} named rows: {named.ms()} | whole tables: {whole.ms()}", end="")
        print(f" | ratio {whole.wall / named.wall:4.1f}x wall, {whole.cpu / named.cpu:4.1f}x CPU")


def _fixture(root: Path, rows: list[Evaluation]) -> None:
    """A cache at ``root`` with ``rows`` (and curves) and a run whose trials visit each row once."""
    with Store(root) as store:
        store.put_many(rows, RECIPE.to_json(), RECIPE.profile, [curve_of(r) for r in rows])
        store.record_run("run", space="remnet", recipe_key=RECIPE.key, budget=len(rows), seed=0)
    db = duckdb.connect(str(root / METRICS_FILE))  # the trials in one statement: a put per trial would take minutes
    db.execute(
        "INSERT INTO trials SELECT 'run', row_number() OVER (ORDER BY genome_key) - 1, genome_key, train_seed, "
        "genome, 'train' FROM evaluations JOIN genomes USING (space, genome_key)"
    )
    db.close()


def _alternate(
    store: Store,
    genomes: Iterator[str],
    rows: list[Evaluation],
    clocks: dict[tuple[str, str], _Clock],
    writes: int,
    blocks: int,
) -> None:
    """``writes`` puts and replayed trials on each path, in ``blocks`` blocks of each, alternating."""
    trials = dict(store.db.execute("SELECT step, genome_key FROM trials").fetchall())
    genome = {r.genome_key: r.genome for r in rows}
    step = 0
    try:
        for block in range(2 * blocks):
            path = "whole" if block % 2 else "named"
            store_module.persist = whole_table_persist if path == "whole" else NAMED_ROWS
            for _ in range(writes // blocks):
                row = sound_row(0, genome=next(genomes))
                clocks["put", path].timed(store.put, row, RECIPE.to_json(), RECIPE.profile, curve_of(row))
                key = trials[step % len(trials)]
                clocks["trial", path].timed(store.record_trial, "run", step % len(trials), key, 0, genome[key], "x")
                step += 1
    finally:
        store_module.persist = NAMED_ROWS
    assert store.query("SELECT count(*) FROM trials WHERE served_by = 'x'")[1] == [(0,)]


def _open_and_close(root: Path, read_only: bool) -> None:
    Store(root, shipped=SHIPPED, read_only=read_only).close()


def bench_open(repeat: int) -> None:
    """Opening a store over the shipped cache: writable with an empty local layer, and read-only."""
    with tempfile.TemporaryDirectory() as tmp:
        Store(Path(tmp), shipped=SHIPPED).close()
        for label, read_only in (
            ("writable, local layer over cache/", False),
            ("read-only, local layer over cache/", True),
        ):
            clock = _Clock()
            for _ in range(repeat):
                clock.timed(_open_and_close, Path(tmp), read_only)
            print(f"open {label:<37} {clock.ms()} (mean of {repeat})")


def main(argv: list[str] | None = None) -> int:
    """Print the per-write costs at each size and the open times; ``--quick`` shrinks them to a smoke check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check that the benchmark runs, not speed")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f} at the start")
    for stored in (20,) if args.quick else (100, 5000):
        bench_writes(stored, writes=4 if args.quick else 30, blocks=2 if args.quick else 3)
    bench_open(repeat=1 if args.quick else 5)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
