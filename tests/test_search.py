"""Evaluator paths, searches through ask/tell, replay determinism and resume (strategies alone: test_strategies.py)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from repro.cache.store import Store
from repro.evaluator import Evaluator, MissingEvaluations
from repro.search.loop import run_search
from repro.search.strategies import STRATEGIES, Strategy
from repro.spaces import get_space

REMNET_128 = json.dumps(
    {
        "nodes": ["IN", "CONV_2.N", "CONV_2.N", "CONV_3.N", "CONV_5.N", "POOL_5.A", "CONV_3.H", "CONV_3.H", "OUT"],
        "edges": [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [5, 7], [6, 8], [7, 8]],
    }
)


def _search(store, recipe, root, strategy="re", seed=0, budget=12, on_miss="train"):
    space = get_space("remnet")
    evaluator = Evaluator(space, recipe, store, on_miss=on_miss, device="cpu", data_root=str(root))
    params = {"population_size": 4, "sample_size": 2} if strategy == "re" else {}
    return run_search(strategy, evaluator, budget, seed, params=params)


def _trajectory(result):
    return [(t.evaluation.genome_key, t.evaluation.train_seed, t.value) for t in result.trials]


def test_training_records_metrics_curve_and_provenance(tmp_path, tiny_mnist, tiny_recipe):
    space = get_space("remnet")
    genome = space.from_json(REMNET_128.replace("CONV_5.N", "CONV_2.H").replace("POOL_5.A", "POOL_2.M"))
    with Store(tmp_path) as store:
        evaluator = Evaluator(space, tiny_recipe, store, device="cpu", data_root=str(tiny_mnist))
        evaluation, served = evaluator.evaluate(genome, 0)
        assert served == "train" and evaluation.status == "ok"
        for metric in ("train_acc", "val_acc", "test_acc"):
            assert 0.0 <= getattr(evaluation, metric) <= 1.0
        assert evaluation.params > 0 and evaluation.macs > 0 and evaluation.train_seconds > 0
        assert evaluation.device.startswith("cpu") and "torch" in evaluation.libraries
        assert evaluation.code_version and evaluation.created_at is not None
        curve = store.curve(evaluation)
        assert curve.shape == (tiny_recipe.epochs, 5) and curve[-1, 4] == evaluation.val_acc
        again, served_again = evaluator.evaluate(genome, 0)
        assert served_again == "cache" and again == evaluation


def test_same_seed_trains_identically(tmp_path, tiny_mnist, tiny_recipe):
    space = get_space("remnet")
    genome = space.sample(np.random.default_rng(3))
    results = []
    for name in ("a", "b"):
        with Store(tmp_path / name) as store:
            results.append(
                Evaluator(space, tiny_recipe, store, device="cpu", data_root=str(tiny_mnist)).evaluate(genome, 0)[0]
            )
    assert results[0].status == results[1].status
    assert results[0].val_loss == results[1].val_loss


def test_invalid_architecture_is_recorded_not_trained(tmp_path, tiny_mnist, tiny_recipe):
    space = get_space("remnet")
    genome = space.from_json(
        json.dumps(
            {"nodes": ["IN", "POOL_5.M", "POOL_5.M", "POOL_5.M", "OUT"], "edges": [[0, 1], [1, 2], [2, 3], [3, 4]]}
        )
    )
    with Store(tmp_path) as store:
        evaluation, served = Evaluator(space, tiny_recipe, store, data_root=str(tiny_mnist)).evaluate(genome, 0)
        assert served == "invalid" and evaluation.status == "invalid"
        assert evaluation.reason == "POOL_5.M needs an input of at least 5x5 but gets 1x1"
        assert evaluation.val_acc is None and math.isnan(evaluation.value("val_acc"))
        assert store.get("remnet", evaluation.genome_key, tiny_recipe.key, 0).reason == evaluation.reason


def test_on_miss_error_names_missing_keys(tmp_path, tiny_recipe):
    space = get_space("remnet")
    genome = space.sample(np.random.default_rng(0))
    with Store(tmp_path) as store:
        evaluator = Evaluator(space, tiny_recipe, store, on_miss="error")
        with pytest.raises(MissingEvaluations, match="--on-miss train") as info:
            evaluator.evaluate(genome, 0)
        assert info.value.missing == [evaluator.request(genome, 0)]
        assert info.value.missing[0].genome_key == space.canonical(genome).key


def test_replay_is_identical_and_trains_nothing(tmp_path, tiny_mnist, tiny_recipe):
    with Store(tmp_path) as store:
        first = _search(store, tiny_recipe, tiny_mnist)
        replay = _search(store, tiny_recipe, tiny_mnist, on_miss="error")
    assert _trajectory(first) == _trajectory(replay)
    assert first.run_id == replay.run_id
    assert set(replay.served()) == {"cache"}
    assert first.served()["train"] > 0


def test_interrupted_run_resumes_to_the_uninterrupted_trajectory(tmp_path, tiny_mnist, tiny_recipe):
    with Store(tmp_path / "whole") as store:
        whole = _search(store, tiny_recipe, tiny_mnist, budget=14)
    with Store(tmp_path / "split") as store:
        _search(store, tiny_recipe, tiny_mnist, budget=6)  # "killed" after 6 evaluations
        resumed = _search(store, tiny_recipe, tiny_mnist, budget=14)
        runs = store.query("SELECT count(*), max(budget) FROM runs")[1]
        steps = store.query("SELECT count(*) FROM trials")[1]
    assert _trajectory(resumed) == _trajectory(whole)
    assert all(t.served_by == "cache" for t in resumed.trials[:6])
    assert runs == [(1, 14)] and steps == [(14,)]


def test_seeds_change_the_trajectory(tmp_path, tiny_mnist, tiny_recipe):
    with Store(tmp_path) as store:
        a = _search(store, tiny_recipe, tiny_mnist, strategy="rs", seed=0, budget=5)
        b = _search(store, tiny_recipe, tiny_mnist, strategy="rs", seed=1, budget=5)
    assert _trajectory(a) != _trajectory(b)
    assert a.run_id != b.run_id


class _Repeat(Strategy):
    """Asks the same genome every time (test double)."""

    def ask(self):
        return self.space.sample(np.random.default_rng(7))

    def tell(self, genome, value):
        pass


def test_repeated_architecture_gets_successive_training_seeds(tmp_path, tiny_mnist, tiny_recipe, monkeypatch):
    monkeypatch.setitem(STRATEGIES._items, "repeat", _Repeat)
    space = get_space("remnet")
    with Store(tmp_path) as store:
        evaluator = Evaluator(space, tiny_recipe, store, device="cpu", data_root=str(tiny_mnist))
        result = run_search("repeat", evaluator, 3, 0)
        keys = {t.evaluation.genome_key for t in result.trials}
        assert len(keys) == 1
        assert [t.evaluation.train_seed for t in result.trials] == [0, 1, 2]
        key = keys.pop()
        assert [e.train_seed for e in store.evaluations("remnet", tiny_recipe.key) if e.genome_key == key] == [0, 1, 2]
