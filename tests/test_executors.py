"""Executors: the same strategy code in-process, on a local pool, on Ray, and on a simulated clock."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from repro.cache.store import Store
from repro.errors import ReproError
from repro.evaluator import Evaluator
from repro.executors import make_executor
from repro.search.loop import run_search
from repro.spaces import get_space


def _run(store, recipe, root, executor=None, strategy="re", budget=8, seed=0, on_miss="train"):
    space = get_space("remnet")
    evaluator = Evaluator(space, recipe, store, on_miss=on_miss, device="cpu", data_root=str(root))
    params = {"population_size": 3, "sample_size": 2} if strategy == "re" else {}
    return run_search(strategy, evaluator, budget, seed, params=params, executor=executor)


def _rows(store):
    return store.query("SELECT genome_key, train_seed, status, val_acc FROM evaluations ORDER BY 1, 2")[1]


@pytest.fixture(scope="module")
def filled(tmp_path_factory, tiny_mnist, tiny_recipe):
    """A cache holding a synchronous random-search run (random search ignores values, so any
    executor asks for the same genomes and the simulated clock finds them all); the tests only read it."""
    cache = tmp_path_factory.mktemp("filled") / "cache"
    with Store(cache) as store:
        sync = _run(store, tiny_recipe, tiny_mnist, strategy="rs", budget=10)
    return cache, sync


def test_simulated_single_worker_reproduces_the_synchronous_run(filled, tiny_mnist, tiny_recipe):
    cache, sync = filled
    with Store(cache, read_only=True) as store:
        simulated = _run(store, tiny_recipe, tiny_mnist, make_executor("simulated", 1), "rs", 10, on_miss="error")
    assert [t.evaluation for t in simulated.trials] == [t.evaluation for t in sync.trials]
    seconds = [t.evaluation.train_seconds or 0.0 for t in sync.trials]
    assert [t.time for t in simulated.trials] == pytest.approx(np.cumsum(seconds))
    assert simulated.seconds["wall"] == pytest.approx(sum(seconds))


def test_simulated_workers_finish_in_simulated_order(filled, tiny_mnist, tiny_recipe):
    cache, sync = filled
    with Store(cache, read_only=True) as store:
        runs = [
            _run(store, tiny_recipe, tiny_mnist, make_executor("simulated", 3), "rs", 10, on_miss="error")
            for _ in range(2)
        ]
    times = [t.time for t in runs[0].trials]
    assert times == sorted(times)
    total = sum(t.evaluation.train_seconds or 0.0 for t in sync.trials)
    assert max(times) < total  # three workers beat one
    assert runs[0].seconds["wall"] >= total / 3 - 1e-9
    assert sorted(t.evaluation.genome_key for t in runs[0].trials) == sorted(
        t.evaluation.genome_key for t in sync.trials
    )
    assert [t.evaluation for t in runs[0].trials] == [t.evaluation for t in runs[1].trials]  # deterministic
    assert runs[0].run_id != sync.run_id  # the trajectory depends on the worker count, so does the run id


def test_simulated_executor_refuses_to_train(tmp_path, tiny_mnist, tiny_recipe):
    with Store(tmp_path) as store, pytest.raises(ReproError, match="only replays the cache"):
        _run(store, tiny_recipe, tiny_mnist, make_executor("simulated", 2), budget=2)


@pytest.mark.slow  # two spawned workers importing torch: 12-19 s of the 2-core machine
def test_asynchronous_evolution_on_a_local_pool(tmp_path, tiny_mnist, tiny_recipe):
    executor = make_executor("pool", 2)
    try:
        with Store(tmp_path) as store:
            result = _run(store, tiny_recipe, tiny_mnist, executor, "re", 8)
            assert len(result.trials) == 8 and [t.step for t in result.trials] == list(range(8))
            assert {t.served_by for t in result.trials} <= {"train", "invalid", "cache"}
            assert store.check() == []
            trained = [t for t in result.trials if t.served_by == "train"]
            assert trained and all(t.evaluation.status == "ok" for t in trained)
            assert len(_rows(store)) == len({(t.evaluation.genome_key, t.evaluation.train_seed) for t in result.trials})
    finally:
        executor.close()


@pytest.mark.slow  # starting a Ray instance and its workers takes ~20 s of the 2-core machine
@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="Ray is not installed")
def test_a_tiny_search_on_a_local_ray_instance(tmp_path, tiny_mnist, tiny_recipe):
    import ray

    executor = make_executor("ray", 2)
    try:
        with Store(tmp_path) as store:
            result = _run(store, tiny_recipe, tiny_mnist, executor, "rs", 6)
            assert store.check() == []
            rows = _rows(store)
        assert len(rows) == len({(t.evaluation.genome_key, t.evaluation.train_seed) for t in result.trials})
        trained = [t for t in result.trials if t.served_by == "train"]
        assert trained and all(0.0 <= t.evaluation.val_acc <= 1.0 for t in trained)
    finally:
        ray.shutdown()
