"""The acceleration benchmark's stored record reaches the GDAS report (a tiny supernet, one step per mode)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from papers.gdas import reproduce
from papers.gdas.report import write_report
from repro.cache.store import Store
from repro.context import RunContext
from repro.search.gdas import GdasConfig

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_gdas_acceleration.py"


@pytest.mark.slow
def test_benchmark_record_is_shown_in_the_report(tmp_path, tiny_mnist, tiny_recipe):
    env = {**os.environ, "PYTHONPATH": str(SCRIPT.parent.parent)}
    out = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--space",
            "nb201",
            "--channels",
            "4",
            "--layers",
            "1",
            "--steps",
            "1",
            "--warmup",
            "1",
            "--batch-size",
            "4",
            "--store",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert "mixed/hard: time" in out.stdout
    with Store(tmp_path / "cache", read_only=True) as store:
        (record,) = store.artefacts(reproduce.ACCELERATION_KIND)
    assert record["hard"]["ms_per_step"] > 0 and record["mixed"]["ms_per_step"] > 0
    experiment = reproduce.Experiment(
        "tiny",
        "nb201",
        False,
        tiny_recipe.with_changes(model=(("channels", 4), ("layers", 1))),
        GdasConfig(epochs=1, search_images=32, batch_size=16),
        seeds=(0,),
        random_cells=1,
        train_seeds=(0,),
        about="test",
    )
    with Store(tmp_path / "cache") as store:
        outcome = reproduce.run(experiment, RunContext(store, on_miss="train", device="cpu", data_root=str(tiny_mnist)))
    assert outcome.acceleration == [record]
    write_report(outcome, tmp_path / "report")
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert f"| {record['device']} | nb201 C=4 N=1 | 4 |" in summary
