"""Faults and bad input never cost a finished evaluation or produce a silently wrong number."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from repro import trainer
from repro.cache.store import Store
from repro.cli import main
from repro.errors import ReproError
from repro.evaluator import Evaluator
from repro.search.loop import run_search
from repro.spaces import get_space
from tests.conftest import fashion_available
from tests.rows import placeholder_row

ROOT = Path(__file__).resolve().parent.parent


def _search_argv(cache: Path, output: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "repro",
        "search",
        "--budget",
        "6",
        "--seed",
        "3",
        "--population",
        "3",
        "--sample-size",
        "2",
        "--cache",
        str(cache),
        "--no-shipped",  # a fresh cache alone: every step trains
        "--output",
        str(output),
    ]


@pytest.mark.slow
@pytest.mark.skipif(not fashion_available(), reason="needs Debian's dataset-fashion-mnist")
def test_kill_9_mid_search_then_rerun_resumes_to_the_same_trajectory(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    whole = tmp_path / "whole.json"
    subprocess.run(
        [*_search_argv(tmp_path / "a", whole), "--no-progress"], env=env, check=True, capture_output=True, cwd=ROOT
    )

    resumed = tmp_path / "resumed.json"
    proc = subprocess.Popen(
        _search_argv(tmp_path / "b", resumed), env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    seen = bytearray()

    def read_progress() -> None:
        for byte in iter(lambda: proc.stderr.read(1), b""):
            seen.extend(byte)

    threading.Thread(target=read_progress, daemon=True).start()
    deadline = time.monotonic() + 900  # two trainings: seconds idle, minutes on a saturated 2-core machine
    while b"| 2/6" not in seen and time.monotonic() < deadline:  # the progress bar: 2 evaluations committed
        time.sleep(0.05)
    assert b"| 2/6" in seen, seen.decode(errors="replace")[-500:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not resumed.exists()

    subprocess.run(
        [*_search_argv(tmp_path / "b", resumed), "--no-progress"], env=env, check=True, capture_output=True, cwd=ROOT
    )
    first, second = json.loads(whole.read_text()), json.loads(resumed.read_text())
    key = [(t["genome_key"], t["train_seed"], t["value"]) for t in first["trials"]]
    assert [(t["genome_key"], t["train_seed"], t["value"]) for t in second["trials"]] == key
    served = [t["served_by"] for t in second["trials"]]
    assert served[:2] == ["cache", "cache"]  # finished before the kill: never redone
    assert served.count("cache") <= 3  # at most the one in flight was also finished
    with Store(tmp_path / "b", read_only=True) as store:
        assert store.check() == []
        logged = [r[0] for r in store.query("SELECT served_by FROM trials ORDER BY step")[1]]
    # The log keeps how each step was first served: trained before the kill, logged as trained (a step's row and
    # its log line commit together, so no kill can leave a trained row that the resumed log calls cached).
    assert logged == [t["served_by"] for t in first["trials"]] and "cache" not in logged


def test_a_second_writer_is_refused_clearly(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from repro.cache.store import Store; s = Store(sys.argv[1]); "
            "print('open', flush=True); time.sleep(60)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert holder.stdout.readline().strip() == b"open"
        with pytest.raises(ReproError, match="in use by another repro process"):
            Store(tmp_path)
    finally:
        holder.kill()
        holder.wait()


def test_truncated_files_are_refused_at_open(tmp_path):
    with Store(tmp_path / "c") as store:
        store.put(placeholder_row(), "{}", "p", np.zeros((1, 5)))
    curves = tmp_path / "c" / "curves" / "seg-000001.h5"
    curves.write_bytes(curves.read_bytes()[:100])
    with pytest.raises(ReproError, match="seg-000001.h5 is not a readable curve file"):
        Store(tmp_path / "c")
    metrics = tmp_path / "c" / "metrics.duckdb"
    metrics.write_bytes(metrics.read_bytes()[:5000])
    with pytest.raises(ReproError, match="not a readable DuckDB database"):
        Store(tmp_path / "c")


def test_check_finds_missing_curves_and_orphan_trials(tmp_path):
    with Store(tmp_path) as store:
        store.put(placeholder_row(0), "{}", "p", np.array([[1, 1.0, 0.5, 1.0, 0.5]]))
        assert store.check() == []
        store.put(placeholder_row(1), "{}", "p")  # no curve
        store.record_run(
            "run",
            space="s",
            strategy="x",
            config="{}",
            recipe_key="r",
            seed=0,
            budget=1,
            metric="val_acc",
            code_version="v",
            created_at=None,
        )
        store.record_trial("run", 0, "missing-key", 0, "{}", "train")
        problems = store.check()
    assert any("seed 1: no curve" in p for p in problems)
    assert any("1 logged trial(s) point at evaluations that are not stored" in p for p in problems)
    assert main(["cache", "check", "--cache", str(tmp_path)]) == 1


def test_merge_keeps_every_seed_reports_conflicts_and_is_idempotent(tmp_path, capsys):
    from tests.rows import RECIPE, put_sound, sound_row

    with Store(tmp_path / "main") as store:
        put_sound(store, sound_row(0))
    with Store(tmp_path / "shard") as shard:
        put_sound(shard, sound_row(0))  # identical
        put_sound(shard, sound_row(1))  # a new seed
        put_sound(shard, sound_row(2))
    with Store(tmp_path / "other") as other:
        put_sound(other, sound_row(0, val_acc=0.9))  # same key, seed and recipe, different numbers
    assert main(["cache", "merge", str(tmp_path / "shard"), "--cache", str(tmp_path / "main")]) == 0
    assert "2 row(s) added, 1 already here, 0 conflict(s)" in capsys.readouterr().out
    assert main(["cache", "merge", str(tmp_path / "shard"), "--cache", str(tmp_path / "main")]) == 0
    assert "0 row(s) added, 3 already here" in capsys.readouterr().out
    assert main(["cache", "merge", str(tmp_path / "other"), "--cache", str(tmp_path / "main")]) == 1
    assert "conflict (kept this cache's value)" in capsys.readouterr().out
    key = sound_row().genome_key
    with Store(tmp_path / "main", read_only=True) as store:
        assert [e.train_seed for e in store.evaluations("remnet", RECIPE.key) if e.genome_key == key] == [0, 1, 2]
        assert store.get("remnet", key, RECIPE.key, 0).val_acc == 0.5
        assert store.check() == []


class _NaNModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return self.w * torch.full((x.shape[0], 10), float("nan"))


def test_nan_loss_raises_training_failed(tiny_mnist, tiny_recipe):
    from repro.data import load_dataset

    data = load_dataset("mnist", tiny_mnist, val_size=20, train_size=60, test_size=30)
    with pytest.raises(trainer.TrainingFailed, match="loss became nan in epoch 1"):
        trainer.fit(_NaNModel, data, tiny_recipe, seed=0)


def test_failed_training_is_recorded_and_the_search_goes_on(tmp_path, tiny_mnist, tiny_recipe, monkeypatch):
    calls = []

    def flaky_fit(make_model, data, recipe, seed, device="cpu", on_epoch=None):
        calls.append(seed)
        if len(calls) == 1:
            raise trainer.TrainingFailed("the training loss became nan in epoch 1")
        if len(calls) == 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return real_fit(make_model, data, recipe, seed, device, on_epoch)

    real_fit = trainer.fit
    monkeypatch.setattr(trainer, "fit", flaky_fit)
    space = get_space("remnet")
    with Store(tmp_path) as store:
        evaluator = Evaluator(space, tiny_recipe, store, device="cpu", data_root=str(tiny_mnist))
        result = run_search("rs", evaluator, 6, 2)
        served = [t.served_by for t in result.trials]
        assert "failed" in served and "oom" in served
        failed = result.trials[served.index("failed")]
        oom = result.trials[served.index("oom")]
        assert np.isnan(failed.value) and np.isnan(oom.value)
        stored = store.get("remnet", failed.evaluation.genome_key, tiny_recipe.key, failed.evaluation.train_seed)
        assert stored.status == "failed" and "nan" in stored.reason
        assert store.get("remnet", oom.evaluation.genome_key, tiny_recipe.key, oom.evaluation.train_seed) is None
        assert store.check() == []
