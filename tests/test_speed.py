"""The speed work keeps every number as it was: benchmarks run (quick mode, no timing asserted), bulk
writes and batch reads agree with single ones, and the CPU trainer reproduces cached rows exactly."""

from __future__ import annotations

import importlib
import math
import os
from pathlib import Path

import pytest
import torch

from repro import trainer
from repro.cache.store import Store
from repro.cache.table import CachedTable
from repro.errors import ReproError
from repro.recipe import Recipe
from repro.records import Evaluation, Request
from repro.spaces import get_space
from repro.spaces.remnet.known import REMNET
from repro.worker import TrainJob, run_job
from tests.conftest import fashion_available

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "cache"
shipped = pytest.mark.skipif(not (CACHE / "metrics.duckdb").exists(), reason="no shipped cache in this checkout")


@pytest.fixture
def benchmarks(monkeypatch):
    """Import a script from benchmarks/ as its command line would (its folder first on the path)."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    return importlib.import_module


def _row(seed: int, recipe_key: str = "r", status: str = "ok") -> Evaluation:
    return Evaluation(
        space="s",
        genome_key=f"k{seed % 3}",
        recipe_key=recipe_key,
        train_seed=seed,
        genome="{}",
        status=status,
        val_acc=seed / 10,
        device="cpu",
    )


@shipped
def test_cache_benchmarks_run_in_quick_mode(benchmarks, capsys):
    assert benchmarks("bench_cache").main(["--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and all("| target" in line for line in lines)


@shipped
def test_write_benchmark_runs_in_quick_mode(benchmarks, capsys):
    assert benchmarks("bench_writes").main(["--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sum("| ratio" in line for line in lines) == 2 and sum(line.startswith("open ") for line in lines) == 2


def test_gpu_trainer_benchmark_refuses_without_cuda(benchmarks, capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the benchmark would run")
    assert benchmarks("gpu_trainer").main([]) == 2
    assert "needs a CUDA GPU" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not fashion_available(), reason="needs Fashion-MNIST")
def test_cpu_trainer_benchmark_runs_in_quick_mode(benchmarks, capsys):
    assert benchmarks("bench_trainer_cpu").main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "ratio (textbook / fit)" in out and "eager, fp32" in out


def test_put_many_matches_put_and_keeps_existing_rows(tmp_path):
    rows = [_row(seed) for seed in range(6)]
    with Store(tmp_path / "one") as one, Store(tmp_path / "many") as many:
        for e in rows:
            one.put(e, "{}", "p")
        many.put(rows[0], "{}", "p")
        many.put_many(rows, "{}", "p")
        many.put_many([], "{}", "p")
        assert many.evaluations("s") == one.evaluations("s")
        with pytest.raises(ReproError, match="one recipe"):
            many.put_many([_row(0, "r"), _row(1, "q")], "{}", "p")
        with pytest.raises(ReproError, match="measured"):
            many.put_many([_row(9, status="predicted")], "{}", "p")
        assert len(many.evaluations("s")) == 6


def test_batch_lookup_agrees_with_point_lookups(tmp_path):
    with Store(tmp_path) as store:
        store.put_many([_row(seed) for seed in range(6)], "{}", "p")
        table = CachedTable(store, "s", "r")
        keys = [("k1", 4), ("k9", 0), ("k0", 3), ("k1", 4)]
        assert table.get_many(keys) == [table.get(*k) for k in keys]
        assert table.get_many(keys)[1] is None and table.get_many(keys)[0].val_acc == 0.4


def test_evaluation_sums_like_the_python_loop_it_replaced():
    """Validation numbers of cached CPU rows were float sums of per-batch float32 losses."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 10))
    x, y = torch.randn(2500, 1, 4, 4), torch.randint(0, 10, (2500,))
    recipe = Recipe(profile="t", epochs=1)
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(y), trainer.EVAL_BATCH):
            logits = model(x[start : start + trainer.EVAL_BATCH])
            target = y[start : start + trainer.EVAL_BATCH]
            loss_sum += torch.nn.functional.cross_entropy(logits, target, reduction="sum").item()
            correct += (logits.argmax(1) == target).sum().item()
    assert trainer._evaluate(model, x, y, recipe) == (loss_sum / len(y), correct / len(y))


def test_graph_capture_is_refused_where_it_cannot_work(tiny_recipe):
    assert trainer.graph_blocker(tiny_recipe, "cpu") == "not CUDA"
    assert trainer.graph_blocker(tiny_recipe, "cuda") is None
    assert "augmentation" in trainer.graph_blocker(tiny_recipe.with_changes(augmentation="flip+erase"), "cuda")


def test_cpu_threads_never_exceed_the_usable_cores():
    usable = len(os.sched_getaffinity(0))
    torch.set_num_threads(usable + 3)
    assert trainer.use_cpu_threads() == usable
    torch.set_num_threads(1)
    assert trainer.use_cpu_threads() == 1  # a lower setting (a worker pool's share) is kept


def test_a_trained_row_records_its_engine(tiny_mnist, tiny_recipe):
    space = get_space("remnet")
    genome = space.to_json(space.from_json(REMNET))
    form = space.canonical(space.from_json(genome))
    job = TrainJob(
        Request("remnet", form.key, tiny_recipe.key, 0, form.text),
        "remnet",
        space.config(),
        genome,
        tiny_recipe.to_json(),
        "cpu",
        str(tiny_mnist),
    )
    result = run_job(job)
    assert result.kind == "train" and result.device.startswith("cpu:") and result.device.endswith("; eager, fp32")


@shipped
@pytest.mark.slow
@pytest.mark.skipif(not fashion_available(), reason="needs Fashion-MNIST")
def test_cpu_training_reproduces_a_cached_smoke_row_exactly():
    with Store(CACHE, read_only=True) as store:
        key = "8f4f24879e764865"  # the smoke profile
        rows = [e for e in store.evaluations("remnet", key) if e.status == "ok" and e.device.startswith("cpu")]
        recipe = store.recipe(key)
    if not rows or recipe is None:
        pytest.skip("no CPU smoke rows in the shipped cache")
    cached = min(rows, key=lambda e: e.train_seconds)
    threads = int(cached.device.split("(")[1].split()[0])  # e.g. "cpu:x86_64 (2 threads)"
    if threads > len(os.sched_getaffinity(0)):
        pytest.skip(f"the row was trained with {threads} threads; this machine allows fewer")
    torch.set_num_threads(threads)  # the thread count is part of what fixes CPU float sums
    space = get_space("remnet")
    job = TrainJob(
        Request("remnet", cached.genome_key, key, cached.train_seed, cached.genome),
        "remnet",
        space.config(),
        cached.genome,
        recipe[1],
        "cpu",
        None,
    )
    result = run_job(job)
    assert result.outcome is not None
    for metric, value in result.outcome.metrics.items():
        assert value == getattr(cached, metric), metric


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@cuda
@pytest.mark.parametrize("optimizer", ["adam", "sgd-nesterov"])
def test_cuda_graph_training_runs_and_says_so(tiny_mnist, tiny_recipe, optimizer):
    """Three epochs of 3 full batches and a short one: warm-up, capture, replay, a recapture after the
    learning-rate milestone, and the eager last batch all happen."""
    from repro.data import load_dataset

    recipe = tiny_recipe.with_changes(epochs=3, lr_milestones=(2,), optimizer=optimizer)
    data = load_dataset(
        recipe.dataset, tiny_mnist, val_size=recipe.val_size, train_size=recipe.train_size, test_size=recipe.test_size
    )
    space = get_space("remnet")
    genome = space.from_json(REMNET)

    def build() -> torch.nn.Module:
        return space.build(genome, data.input_shape, data.num_classes, **recipe.model_options)

    graph = trainer.fit(build, data, recipe, 0, "cuda")
    eager = trainer.fit(build, data, recipe, 0, "cuda", cuda_graph=False)
    assert graph.engine == "cuda-graph, fp32, channels_last"
    assert eager.engine == "eager (CUDA graphs switched off), fp32, channels_last"
    assert all(math.isfinite(v) for v in graph.metrics.values())
    augmented = trainer.fit(build, data, recipe.with_changes(augmentation="flip+erase"), 0, "cuda")
    assert augmented.engine.startswith("eager (augmentation draws on the host)")
