"""``scripts/gpu-check --dry-run``: every step of the GPU check, on the CPU at tiny sizes, so the script cannot rot."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from repro.cache.store import Store
from tests.conftest import fashion_available

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.skipif(not fashion_available(), reason="needs Fashion-MNIST")
def test_the_dry_run_writes_what_the_device_tool_brings_back_and_merge_takes(tmp_path):
    """Two to three minutes on 2 idle cores, ten under heavy load: the benchmark's processes, the CUDA tests
    (skipped), the weights on 100 images, tiny rows trained for 45 s and interrupted."""
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gpu-check"), "--dry-run", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    log = (out / "gpu-check.log").read_text()
    assert done.returncode == 0, log
    for step in ("prepare", "gpu_trainer", "pytest -k cuda", "weights"):
        assert re.search(rf"^{re.escape(step)}: exit 0 after", done.stdout, re.M), log
    assert re.search(r"^remnet-gpu rows: exit (0|124|130)", done.stdout, re.M), log
    # The device tool brings back at most 8 files, at most 2 folders down, with plain names.
    files = [p.relative_to(out) for p in out.rglob("*") if p.is_file()]
    assert len(files) <= 8 and all(len(p.parts) <= 3 and re.fullmatch(r"[\w.\-/]+", str(p)) for p in files), files
    report = json.loads((out / "gpu_trainer.json").read_text())
    assert report["dry_run"] and report["complete"] and set(report["in_flight"]) == {"2"}
    assert len(report["sanity"]["fast_val_acc"]) == 2 and len(report["configs"]) == 6
    section = (out / "gpu_trainer.md").read_text()
    assert section.startswith("**Dry run") and "| fit bf16 b128 cuda-graph |" in section
    assert "passed" in (out / "pytest_cuda.txt").read_text() or "skipped" in (out / "pytest_cuda.txt").read_text()
    assert json.loads((out / "weights_cuda.json").read_text())["images"] == 100
    with Store(tmp_path / "home") as home, Store(out / "cache", read_only=True) as shard:
        added, _, clashes = home.merge(shard)
    assert added >= 1 and not clashes
