"""Benchmark of ``repro compare``: 100 seeds x (re, rs, ls) x 500 evaluations on the shipped cache, misses predicted.

    PYTHONPATH=. python benchmarks/bench_compare.py

Prints the elapsed time of the whole comparison (table load and surrogate fit included) and,
on a smaller slice measured in the same process, the time per evaluation of the preloaded-table
path against the per-row DuckDB lookup path it replaces.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench_cache import PerRowEvaluator

from repro.cache.store import Store
from repro.cache.table import CachedTable
from repro.compare import StrategyStudy, run_comparison
from repro.data.datasets import get_spec
from repro.evaluator import Evaluator
from repro.recipe import get_profile
from repro.search.loop import run_search
from repro.spaces import get_space
from repro.surrogate import Surrogate

CACHE = Path(__file__).resolve().parent.parent / "cache"
STRATEGIES = ("re", "rs", "ls")


def full_comparison(seeds: int = 100, budget: int = 500) -> StrategyStudy:
    """The benchmarked workload: every strategy x seed through :func:`repro.compare.run_comparison`."""
    with Store(CACHE, read_only=True) as store:
        return run_comparison(
            get_space("remnet"), get_profile("smoke"), store, STRATEGIES, range(seeds), budget, on_miss="surrogate"
        )


def per_evaluation(preloaded: bool, seeds: int = 5, budget: int = 100) -> float:
    """Seconds per evaluation on a small slice, with the preloaded table or with one DuckDB query per lookup."""
    space, recipe = get_space("remnet"), get_profile("smoke")
    spec = get_spec(recipe.dataset)
    with Store(CACHE, read_only=True) as store:
        table = CachedTable(store, space.name, recipe.key)
        surrogate = Surrogate(space, table, "val_acc", spec.input_shape, spec.num_classes, recipe.model_options)
        evaluator = (Evaluator if preloaded else PerRowEvaluator)(
            space, recipe, store, on_miss="surrogate", surrogate=surrogate, table=table
        )
        started = time.perf_counter()
        for name in STRATEGIES:
            for seed in range(seeds):
                run_search(name, evaluator, budget, seed)
        return (time.perf_counter() - started) / (len(STRATEGIES) * seeds * budget)


def main() -> None:
    """Run the benchmark and print its numbers."""
    started = time.perf_counter()
    result = full_comparison()
    elapsed = time.perf_counter() - started
    evaluations = sum(len(r.values) for r in result.runs)
    print(
        f"compare remnet/smoke, {', '.join(STRATEGIES)} x 100 seeds x 500 evaluations, --on-miss surrogate: "
        f"{elapsed:.1f}s ({evaluations:,} evaluations, {1e6 * elapsed / evaluations:.0f} us each)"
    )
    slow, fast = per_evaluation(preloaded=False), per_evaluation(preloaded=True)
    print(
        f"slice of 5 seeds x 100 evaluations: per-row DuckDB lookups {1e6 * slow:.0f} us/evaluation, "
        f"preloaded table {1e6 * fast:.0f} us/evaluation: {slow / fast:.1f}x faster"
    )


if __name__ == "__main__":
    main()
