"""Merging a shard: verified bulk merge vs one ``put`` per row (the old merge's path), in the same run.

    PYTHONPATH=. python benchmarks/bench_merge.py             # 20,000 rows with curves
    PYTHONPATH=. python benchmarks/bench_merge.py --rows 500  # a quick check

The shard is a fixture in a temporary folder: the tests' sound rows (``tests/rows.py``), whose genome
texts are made up (``{"nodes":[i]}``) but hashed to their keys, under the smoke recipe, each with a
two-epoch curve, so every row passes the merge's verification. The baseline stores a sample of the same rows one ``put`` at a time (a
transaction and an opening of the curves file each), as the merge did before it was verified.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_cache import FIXTURE_DEVICE

from repro.cache.store import Store
from repro.records import Evaluation
from tests.rows import RECIPE, curve_of, sound_row


def _rows(n: int) -> tuple[list[Evaluation], list[np.ndarray]]:
    """``n`` rows that pass the merge's verification (the tests' sound rows, marked as a fixture), with their curves."""
    rows = [
        sound_row(0, genome=f'{{"nodes":[{i}]}}', val_acc=0.5 + (i % 1000) / 4000, device=FIXTURE_DEVICE)
        for i in range(n)
    ]
    return rows, [curve_of(row) for row in rows]


def main() -> None:
    """Print the merge's time for ``--rows`` rows, the per-row baseline's rate and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--baseline-rows", type=int, default=300, help="rows the per-row baseline stores")
    args = parser.parse_args()
    rows, curves = _rows(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        with Store(Path(tmp) / "shard") as shard:
            shard.put_many(rows, RECIPE.to_json(), RECIPE.profile, curves)
        start, cpu = time.perf_counter(), time.process_time()
        with Store(Path(tmp) / "home") as home, Store(Path(tmp) / "shard", read_only=True) as shard:
            added, _, _ = home.merge(shard)
        merge_s, merge_cpu = time.perf_counter() - start, time.process_time() - cpu
        assert added == args.rows
        with Store(Path(tmp) / "home", read_only=True) as home:
            assert home.check() == []
        start, cpu = time.perf_counter(), time.process_time()
        with Store(Path(tmp) / "baseline") as base:
            for row, curve in zip(rows[: args.baseline_rows], curves):
                base.put(row, RECIPE.to_json(), RECIPE.profile, curve)
        per_row_s = (time.perf_counter() - start) / args.baseline_rows
        per_row_cpu = (time.process_time() - cpu) / args.baseline_rows
    merge_rate, base_rate = args.rows / merge_s, 1 / per_row_s
    print(
        f"verified merge: {args.rows:,} rows with curves in {merge_s:.1f} s wall, {merge_cpu:.1f} s CPU "
        f"({merge_rate:,.0f} rows/s)"
    )
    print(
        f"baseline, one put per row ({args.baseline_rows} rows): {base_rate:,.0f} rows/s, "
        f"{args.rows * per_row_s:.0f} s wall ({args.rows * per_row_cpu:.0f} s CPU) for {args.rows:,} rows"
    )
    print(f"ratio: the merge is {merge_rate / base_rate:.1f}x the per-row path")


if __name__ == "__main__":
    main()
