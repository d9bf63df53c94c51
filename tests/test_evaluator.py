"""The evaluator's sources, in order: the cache first, then exactly one miss policy; what each stores and says.

Training itself is test_search.py's: here a finished job's result is handed to the evaluator as the
worker would send it back, so every path runs in milliseconds.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pytest

from repro import provenance
from repro.cache.store import Store
from repro.errors import ReproError
from repro.evaluator import Evaluator, MissingEvaluations
from repro.recipe import Recipe
from repro.records import Evaluation, Ready, Request
from repro.spaces import get_space
from repro.spaces.base import InvalidArchitecture
from repro.trainer import TrainOutcome
from repro.worker import JobResult, TrainJob

RECIPE = Recipe(
    profile="test-tiny",
    epochs=2,
    dataset="mnist",
    val_size=20,
    train_size=60,
    test_size=30,
    batch_size=16,
    model=(("channels", 4),),
)
CURVE = np.array([[1, 0.9, 0.6, 0.8, 0.7], [2, 0.5, 0.8, 0.6, 0.75]])
METRICS = dict(train_loss=0.5, train_acc=0.8, val_loss=0.6, val_acc=0.75, test_loss=0.65, test_acc=0.74)
TOO_SMALL = json.dumps(
    {"nodes": ["IN", "POOL_5.M", "POOL_5.M", "POOL_5.M", "OUT"], "edges": [[0, 1], [1, 2], [2, 3], [3, 4]]}
)
"""Three 5x5 poolings shrink 28x28 to 1x1 before the last: the space's check rejects it."""


@pytest.fixture
def space():
    return get_space("remnet")


@pytest.fixture
def genomes(space):
    rng = np.random.default_rng(5)
    found: list[Any] = []
    while len(found) < 3:  # three different networks that the space accepts
        g = space.sample(rng)
        if g not in found and all(space.canonical(g).key != space.canonical(f).key for f in found):
            try:
                space.check(g, (1, 28, 28), 10, channels=4)
            except InvalidArchitecture:
                continue
            found.append(g)
    return found


def stored(evaluator: Evaluator, genome: Any, seed: int, **changes: Any) -> Evaluation:
    """Put an ``ok`` row for ``genome`` under the evaluator's recipe, as a finished training would."""
    request = evaluator.request(genome, seed)
    e = Evaluation(
        space=request.space,
        genome_key=request.genome_key,
        recipe_key=request.recipe_key,
        train_seed=seed,
        genome=request.genome,
        status="ok",
        epochs=2,
        **{**METRICS, **changes},
    )
    evaluator.store.put(e, evaluator.recipe.to_json(), evaluator.recipe.profile, CURVE)
    return e


def outcome(**metrics: float) -> TrainOutcome:
    return TrainOutcome(metrics={**METRICS, **metrics}, curve=CURVE, params=1234, macs=5678, train_seconds=2.5)


class Predict:
    """A stand-in surrogate: predicts ``val_acc`` 0.5 and counts what it was asked."""

    def __init__(self) -> None:
        self.asked: list[Request] = []

    def serve(self, genome: Any, request: Request) -> Ready:
        self.asked.append(request)
        return Ready(Evaluation(**{**vars(request), "status": "predicted", "val_acc": 0.5}), "surrogate")


def test_bad_policies_are_refused_with_the_choices(tmp_path, space):
    with Store(tmp_path) as store:
        with pytest.raises(ReproError, match="--on-miss must be one of train, error, surrogate, got 'later'"):
            Evaluator(space, RECIPE, store, on_miss="later")
        with pytest.raises(ReproError, match="--on-miss surrogate needs a surrogate fit on the cache"):
            Evaluator(space, RECIPE, store, on_miss="surrogate")


def test_a_request_names_the_canonical_key_text_recipe_and_seed(tmp_path, space, genomes):
    g = genomes[0]
    with Store(tmp_path) as store:
        evaluator = Evaluator(space, RECIPE, store, on_miss="error")
        form = space.canonical(g)
        assert evaluator.request(g, 3) == Request("remnet", form.key, RECIPE.key, 3, form.text)
        assert evaluator.request(g, 4, form) == Request("remnet", form.key, RECIPE.key, 4, form.text)
        renumbered = space.from_json(form.text)  # the same network written another way: the same key
        assert evaluator.request(renumbered, 3) == evaluator.request(g, 3)
        assert evaluator.identify(g) == (space.to_json(g), form)


def test_each_genome_text_is_canonicalised_once(tmp_path, space, genomes, monkeypatch):
    calls: list[str] = []
    canonical = space.canonical
    monkeypatch.setattr(space, "canonical", lambda g: calls.append(space.to_json(g)) or canonical(g))
    with Store(tmp_path) as store:
        evaluator = Evaluator(space, RECIPE, store, on_miss="error")
        for g in (*genomes, *genomes, genomes[0]):
            evaluator.request(g, 0)
    assert calls == [space.to_json(g) for g in genomes]


def test_the_cache_answers_before_any_miss_policy(tmp_path, space, genomes):
    g, other, _ = genomes
    with Store(tmp_path) as store:
        row = stored(Evaluator(space, RECIPE, store, on_miss="error"), g, 1)
        longer = dataclasses.replace(RECIPE, epochs=3)
        stored(Evaluator(space, longer, store, on_miss="error"), other, 1)  # another recipe's row is no answer
        predict = Predict()
        for evaluator in (
            Evaluator(space, RECIPE, store, on_miss="error"),
            Evaluator(space, RECIPE, store),
            Evaluator(space, RECIPE, store, on_miss="surrogate", surrogate=predict),
        ):
            assert evaluator.evaluate(g, 1) == (row, "cache")
            assert evaluator.lookup(g, 1) == row
            assert evaluator.lookup(g, 0) is None and evaluator.lookup(other, 1) is None  # a lookup never trains
        assert predict.asked == []
        # The surrogate serves only misses, flagged, and nothing it predicts is stored.
        surrogate = Evaluator(space, RECIPE, store, on_miss="surrogate", surrogate=predict)
        evaluation, served = surrogate.evaluate(g, 0)
        assert served == "surrogate" and evaluation.status == "predicted" and evaluation.val_acc == 0.5
        assert predict.asked == [surrogate.request(g, 0)]
        assert store.get("remnet", evaluation.genome_key, RECIPE.key, 0) is None


def test_a_refused_miss_names_what_to_train(tmp_path, space, genomes):
    with Store(tmp_path) as store:
        evaluator = Evaluator(space, RECIPE, store, on_miss="error")
        with pytest.raises(MissingEvaluations) as one:
            evaluator.evaluate(genomes[0], 2)
        request = evaluator.request(genomes[0], 2)
        assert one.value.missing == [request]
        assert str(one.value) == (
            f"1 evaluation(s) not in the cache for recipe {RECIPE.key}: remnet/{request.genome_key} "
            "seed 2; rerun with --on-miss train to train them"
        )
    many = [Request("remnet", f"k{i}", "r", i, "{}") for i in range(7)]
    text = str(MissingEvaluations(many))
    assert text.startswith("7 evaluation(s) not in the cache for recipe r: remnet/k0 seed 0; remnet/k1 seed 1; ")
    assert "remnet/k4 seed 4 and 2 more; rerun" in text and "k5" not in text
    assert "more" not in str(MissingEvaluations(many[:5]))


def test_a_miss_under_train_is_a_job_for_exactly_that_request(tmp_path, space, genomes):
    g = genomes[0]
    with Store(tmp_path) as store:
        evaluator = Evaluator(space, RECIPE, store, device="cpu:1", data_root="/data/here")
        request = evaluator.request(g, 5)
        job = evaluator.serve(g, request)
        assert job == TrainJob(
            request, "remnet", space.config(), space.to_json(g), RECIPE.to_json(), "cpu:1", "/data/here"
        )
        assert store.evaluations("remnet") == []  # handing out a job stores nothing
        default = Evaluator(space, RECIPE, store).serve(g, request)
        assert (default.device, default.data_root) == ("auto", None)  # the worker picks the device


def test_an_architecture_the_space_rejects_is_stored_invalid_and_served_from_the_cache_after(tmp_path, space):
    g = space.from_json(TOO_SMALL)
    with Store(tmp_path) as store:
        evaluator = Evaluator(space, RECIPE, store)
        evaluation, served = evaluator.evaluate(g, 0)
        assert served == "invalid" and evaluation.status == "invalid"
        assert evaluation.reason == "POOL_5.M needs an input of at least 5x5 but gets 1x1"
        assert evaluation.device == "none (not trained)" and evaluation.val_acc is None
        assert evaluation.code_version == provenance.code_version() and evaluation.created_at is not None
        assert store.get("remnet", evaluation.genome_key, RECIPE.key, 0) == evaluation
        assert evaluator.evaluate(g, 0) == (evaluation, "cache")  # the in-memory table took the row too


def test_the_space_checks_the_network_the_recipe_would_build(tmp_path, space, genomes, monkeypatch):
    asked: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        space, "check", lambda genome, shape, classes, **options: asked.append((shape, classes, options))
    )
    cifar = Recipe(profile="test-cifar", epochs=1, dataset="cifar-100", model=(("channels", 8), ("dropout", 0.25)))
    with Store(tmp_path) as store:
        assert isinstance(
            Evaluator(space, cifar, store).serve(genomes[0], Request("remnet", "k", cifar.key, 0, "{}")), TrainJob
        )
    assert asked == [((3, 32, 32), 100, {"channels": 8, "dropout": 0.25})]


def test_a_finished_job_is_stored_with_its_curve_and_provenance(tmp_path, space, genomes, monkeypatch):
    g = genomes[0]
    epochs: list[int] = []
    ran: list[TrainJob] = []

    def worker(job: TrainJob, on_epoch: Any) -> JobResult:
        ran.append(job)
        on_epoch(1)
        return JobResult(job.request, "train", "cpu:test; eager", outcome=outcome(val_acc=0.7))

    monkeypatch.setattr("repro.evaluator.run_job", worker)
    with Store(tmp_path) as store:
        evaluator = Evaluator(space, RECIPE, store, on_epoch=epochs.append)
        evaluation, served = evaluator.evaluate(g, 3)
        assert served == "train" and epochs == [1] and len(ran) == 1
        request = evaluator.request(g, 3)
        assert evaluation == Evaluation(
            space="remnet",
            genome_key=request.genome_key,
            recipe_key=RECIPE.key,
            train_seed=3,
            genome=request.genome,
            status="ok",
            **{**METRICS, "val_acc": 0.7},
            params=1234,
            macs=5678,
            epochs=RECIPE.epochs,
            train_seconds=2.5,
            device="cpu:test; eager",
            code_version=provenance.code_version(),
            libraries=provenance.library_versions(),
            created_at=evaluation.created_at,
        )
        assert store.get("remnet", request.genome_key, RECIPE.key, 3) == evaluation
        assert store.recipe(RECIPE.key) == (RECIPE.profile, RECIPE.to_json())
        np.testing.assert_array_equal(store.curve(evaluation), CURVE)
        assert evaluator.evaluate(g, 3) == (evaluation, "cache") and len(ran) == 1


def test_failed_jobs_are_stored_and_out_of_memory_ones_are_not(tmp_path, space, genomes):
    with Store(tmp_path) as store:
        evaluator = Evaluator(space, RECIPE, store)
        broken, oom = evaluator.request(genomes[0], 0), evaluator.request(genomes[1], 0)
        ready = evaluator.record(JobResult(broken, "failed", "cpu:test", reason="NaN loss at epoch 1"))
        assert ready.served_by == "failed"
        assert ready.evaluation.status == "failed" and ready.evaluation.reason == "NaN loss at epoch 1"
        assert ready.evaluation.device == "cpu:test" and ready.evaluation.val_acc is None
        assert store.get("remnet", broken.genome_key, RECIPE.key, 0) == ready.evaluation
        assert evaluator.lookup(genomes[0], 0) == ready.evaluation
        later = evaluator.record(JobResult(oom, "oom", "cuda:0", reason="CUDA out of memory on cuda:0"))
        assert later.served_by == "oom" and later.evaluation.status == "failed"
        assert later.evaluation.reason == "CUDA out of memory on cuda:0"
        assert store.get("remnet", oom.genome_key, RECIPE.key, 0) is None  # a bigger device may train it later
        assert evaluator.lookup(genomes[1], 0) is None
    with Store(tmp_path) as store, pytest.raises(AssertionError, match="only the train policy hands out jobs"):
        Evaluator(space, RECIPE, store, on_miss="error").record(JobResult(broken, "failed", "cpu", reason="x"))


def test_a_given_table_is_the_one_served_and_extended(tmp_path, space, genomes, monkeypatch):
    from repro.cache.table import CachedTable

    with Store(tmp_path) as store:
        row = stored(Evaluator(space, RECIPE, store, on_miss="error"), genomes[0], 0)
        table = CachedTable(store, "remnet", RECIPE.key)
        monkeypatch.setattr(
            "repro.evaluator.run_job", lambda job, on_epoch: JobResult(job.request, "train", "cpu", outcome=outcome())
        )
        evaluator = Evaluator(space, RECIPE, store, table=table)
        assert evaluator.table is table and evaluator.evaluate(genomes[0], 0) == (row, "cache")
        trained, _ = evaluator.evaluate(genomes[1], 0)
        assert table.get(trained.genome_key, 0) == trained and len(table) == 2
