"""The comparison benchmark (100 seeds x 3 strategies x 500 evaluations) under pytest-benchmark.

Skipped unless benchmarks are enabled (``pytest --benchmark-enable -n 0 tests/test_bench_compare.py``):
the project's pytest configuration disables them, and this one takes tens of seconds.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_compare.py"


def test_compare_100_seeds_3_strategies_budget_500(benchmark, request, monkeypatch):
    options = request.config.getoption
    if options("benchmark_disable") and not options("benchmark_enable"):
        pytest.skip("a benchmark: run with --benchmark-enable -n 0")
    monkeypatch.syspath_prepend(str(SCRIPT.parent))  # the script imports its neighbours, as when run directly
    spec = importlib.util.spec_from_file_location("bench_compare", SCRIPT)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    if not (bench.CACHE / "metrics.duckdb").exists():
        pytest.skip("no shipped cache")
    result = benchmark.pedantic(bench.full_comparison, rounds=1, iterations=1)
    assert len(result.runs) == 300 and all(len(r.values) == 500 for r in result.runs)
