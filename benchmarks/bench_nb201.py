"""NAS-Bench-201 protocol benchmark: repro's replay of the imported tables against a plain-Python loop.

    PYTHONPATH=. python benchmarks/bench_nb201.py [--seeds 500] [--re-only]

Measured in one process: (1) opening the shipped cache and loading the imported tables the
protocol reads (the 12-epoch rewards and the 200-epoch test accuracies), after importing DuckDB and
h5py (timed apart: every use of the cache pays them once per process); (2) the baseline: a plain
dict from NB201 string to (12-epoch accuracy, 12-epoch cost, 200-epoch test accuracy) and
regularized evolution written as a bare loop (population 10, tournament 3, 12,000 s budget);
(3) ``repro compare`` running the same protocol for ``re`` and then for every registered
strategy. The baseline runs interleaved with repro's runs (one plain run of the same seed after
each of repro's, from ``run_comparison``'s ``on_run``), so both see the same machine load on a
shared machine; its time is taken out of repro's. Prints microseconds per evaluation and the ratio.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import deque
from pathlib import Path

from repro.cache.store import Store
from repro.cache.table import CachedTable
from repro.compare import Run, run_comparison
from repro.recipe import get_profile
from repro.spaces import get_space
from repro.spaces.nb201 import EDGES, OPS
from repro.search.strategies import STRATEGIES

CACHE = Path(__file__).resolve().parent.parent / "cache"
BUDGET = 12000.0
FINAL = "nb201-cifar10-200ep:test_acc"


def load_tables() -> tuple[float, float, dict[str, tuple[float, float, float]]]:
    """Seconds to import DuckDB and h5py, seconds to open the cache and load both tables through the store,
    and the baseline's dict built from them."""
    started = time.perf_counter()
    import duckdb  # noqa: F401
    import h5py  # noqa: F401

    imports = time.perf_counter() - started
    started = time.perf_counter()
    with Store(CACHE, read_only=True) as store:
        twelve = CachedTable(store, "nb201", get_profile("nb201-cifar10-valid-12ep").key)
        test = CachedTable(store, "nb201", get_profile("nb201-cifar10-200ep").key)
        seconds = time.perf_counter() - started
        tests = {e.source_arch: e.test_acc for e in test.rows.values()}
        table = {e.source_arch: (e.val_acc, e.train_seconds, tests[e.source_arch]) for e in twelve.rows.values()}
    return imports, seconds, table  # type: ignore[return-value]


def plain_re(table: dict[str, tuple[float, float, float]], seed: int) -> tuple[int, float]:
    """Regularized evolution as a bare loop over strings: (evaluations, final test accuracy)."""
    rng = random.Random(seed)

    def string(ops: list[str]) -> str:
        return "+".join(
            "|" + "|".join(f"{ops[i]}~{s}" for i, (s, t) in enumerate(EDGES) if t == node) + "|" for node in (1, 2, 3)
        )

    population: deque[tuple[list[str], float]] = deque()
    history, spent = [], 0.0
    while True:
        if len(population) < 10:
            ops = [rng.choice(OPS) for _ in EDGES]
        else:
            parent = max(rng.sample(list(population), 3), key=lambda m: m[1])[0]
            ops = list(parent)
            edge = rng.randrange(len(ops))
            ops[edge] = rng.choice([op for op in OPS if op != ops[edge]])
        acc, cost, test = table[string(ops)]
        if spent + cost > BUDGET:
            break
        spent += cost
        population.append((ops, acc))
        if len(population) > 10:
            population.popleft()
        history.append((acc, test))
    return len(history), max(history)[1]


def main() -> None:
    """Run the three measurements and print them."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--re-only", action="store_true", help="measure re alone, not then every strategy")
    args = parser.parse_args()
    seeds = range(args.seeds)
    imports, load_seconds, table = load_tables()
    print(
        f"import duckdb + h5py: {imports:.3f} s; open the cache and load the imported NB201 tables "
        f"(12-epoch rewards, 200-epoch test): {load_seconds:.3f} s"
    )
    params = {"population_size": 10, "sample_size": 3}
    with Store(CACHE, read_only=True) as store:
        for names in (["re"],) if args.re_only else (["re"], STRATEGIES.names()):
            plain: list[tuple[int, float]] = []
            plain_seconds = 0.0

            def interleaved(run: Run) -> None:
                nonlocal plain_seconds
                started = time.perf_counter()
                plain.append(plain_re(table, run.seed))
                plain_seconds += time.perf_counter() - started

            started = time.perf_counter()
            c = run_comparison(
                get_space("nb201"),
                get_profile("nb201-cifar10-valid-12ep"),
                store,
                names,
                seeds,
                10_000,
                baseline=names[0],
                params=params,
                time_budget=BUDGET,
                final=[FINAL],
                on_run=interleaved,
            )
            elapsed = time.perf_counter() - started - plain_seconds
            evaluations = sum(len(r.values) for r in c.runs)
            plain_per_eval = plain_seconds / sum(n for n, _ in plain)
            print(
                f"plain-Python dict + RE loop (interleaved): {len(plain)} runs, {sum(n for n, _ in plain):,} "
                f"evaluations, {1e6 * plain_per_eval:.1f} us/evaluation, mean final test "
                f"{100 * sum(t for _, t in plain) / len(plain):.2f}%"
            )
            finals = ", ".join(f"{r.strategy} {100 * r.final[FINAL][0]:.2f}" for r in c.rows)
            print(
                f"repro compare, {len(names)} strateg{'y' if len(names) == 1 else 'ies'} x {len(seeds)} seeds: "
                f"{elapsed:.1f} s (final test loads included), {evaluations:,} evaluations, "
                f"{1e6 * elapsed / evaluations:.1f} us/evaluation ({elapsed / evaluations / plain_per_eval:.1f}x the "
                f"plain loop); mean final test: {finals}"
            )


if __name__ == "__main__":
    main()
