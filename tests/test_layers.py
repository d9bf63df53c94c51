"""The shipped cache stays read-only under a local layer, and readers never wait for a writing search."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from repro.cache.layers import commit
from repro.cache.store import Store
from repro.cli import main
from repro.errors import ReproError
from tests.rows import RECIPE, curve_of, placeholder_row, put_sound, sound_row

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "cache"
CURVE = np.array([[1, 0.9, 0.6, 0.8, 0.5]])


def _digests(root: Path) -> dict[str, str]:
    files = [root / "metrics.duckdb", *sorted((root / "curves").iterdir())]
    return {str(file.relative_to(root)): hashlib.sha256(file.read_bytes()).hexdigest() for file in files}


def _run(root: Path, store: Store, steps: list[tuple[str, int]]) -> None:
    store.record_run(
        "run",
        space="s",
        strategy="x",
        config="{}",
        recipe_key="r",
        seed=0,
        budget=len(steps),
        metric="val_acc",
        code_version="v",
        created_at=None,
    )
    for step, (key, seed) in enumerate(steps):
        store.record_trial("run", step, key, seed, "{}", "cache")


def test_writes_go_to_the_local_layer_and_reads_see_both(tmp_path):
    shipped, local = tmp_path / "shipped", tmp_path / "local"
    first, second = sound_row(0), sound_row(1)  # real keys: promoting them is a verified merge
    with Store(shipped) as store:
        put_sound(store, first)
    before = _digests(shipped)
    with Store(local, shipped=shipped) as store:
        assert store.get("remnet", first.genome_key, RECIPE.key, 0) is not None
        assert not store.put(
            first, RECIPE.to_json(), RECIPE.profile, curve_of(first)
        )  # stored beneath: nothing written
        assert store.put(second, RECIPE.to_json(), RECIPE.profile, curve_of(second))
        store.record_run(
            "run",
            space="remnet",
            strategy="x",
            config="{}",
            recipe_key=RECIPE.key,
            seed=0,
            budget=2,
            metric="val_acc",
            code_version="v",
            created_at=None,
        )
        for step, row in enumerate((first, second)):  # a local run may replay a shipped row
            store.record_trial("run", step, row.genome_key, row.train_seed, row.genome, "cache")
        assert store.check() == []
    assert _digests(shipped) == before
    with Store(local, read_only=True) as alone:  # a layer stands on its own: its rows bring genome and recipe
        assert [e.train_seed for e in alone.evaluations("remnet")] == [1]
        assert alone.recipe(RECIPE.key) == (RECIPE.profile, RECIPE.to_json()) and alone.curve(second) is not None
    with Store(local, read_only=True, shipped=shipped) as both:
        assert [e.train_seed for e in both.evaluations("remnet")] == [0, 1]
        assert both.curve(first) is not None and both.curve(second) is not None
        assert [layer.name for layer in both.layers] == ["shipped", "local"]
        assert both.query("SELECT count(*) FROM shipped.evaluations")[1] == [(1,)]
        assert both.query("SELECT train_seed FROM local.evaluations")[1] == [(1,)]
        assert both.check() == []
    with Store(shipped) as target, Store(local, read_only=True) as source:  # promoting on purpose
        assert target.merge(source)[0] == 1
    with Store(local, read_only=True, shipped=shipped) as both:
        assert both.query("SELECT count(*) FROM evaluations")[1] == [(2,)]  # a row in both layers counts once


def test_a_missing_local_layer_reads_the_shipped_cache_alone(tmp_path):
    with Store(tmp_path / "shipped") as store:
        store.put(placeholder_row(0), "{}", "p", CURVE)
    with Store(tmp_path / "local", read_only=True, shipped=tmp_path / "shipped") as store:
        assert len(store.evaluations("s")) == 1 and not (tmp_path / "local").exists()
    with pytest.raises(ReproError, match="no cache at"):
        Store(tmp_path / "local", read_only=True)


def test_a_read_only_query_cannot_change_the_snapshot(tmp_path, capsys):
    Store(tmp_path).close()
    for sql in ("DELETE FROM evaluations", "SELECT 1; DROP TABLE runs", "CREATE TABLE x (a INT)"):
        assert main(["cache", "query", sql, "--cache", str(tmp_path), "--no-shipped"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("repro: error: query failed: the cache is read-only") and err.count("\n") == 1


def test_a_replay_writes_nothing(tmp_path):
    shipped, local = tmp_path / "shipped", tmp_path / "local"
    with Store(shipped) as store:
        store.put(placeholder_row(0), "{}", "p", CURVE)
        _run(shipped, store, [("k", 0)])
    with Store(local, shipped=shipped) as store:
        _run(local, store, [("k", 0)])  # the same run, told the same again
    with Store(local, read_only=True) as alone:
        assert all(alone.query(f"SELECT count(*) FROM {t}")[1] == [(0,)] for t in ("evaluations", "runs", "trials"))


def test_a_write_commits_only_what_it_names_and_a_failed_commit_is_retried(tmp_path, monkeypatch):
    shipped, local = tmp_path / "shipped", tmp_path / "local"
    with Store(shipped) as store:
        put_sound(store, sound_row(0))
        _run(shipped, store, [(sound_row(0).genome_key, 0)])
    with Store(local, shipped=shipped) as store:
        store.record_trial("run", 0, sound_row(0).genome_key, 0, "{}", "cache")  # as the shipped layer logs it
        store.record_trial("run", 1, sound_row(0).genome_key, 0, "{}", "train")  # a new step: its run comes along
        failing = iter([OSError("disk full")])

        def commit_once(*args: object) -> None:
            error = next(failing, None)
            if error is not None:
                raise error
            commit(*args)

        monkeypatch.setattr("repro.cache.layers.commit", commit_once)
        with pytest.raises(OSError):
            put_sound(store, sound_row(1))
        put_sound(store, sound_row(2))  # commits the row of the failed write too
    with Store(local, read_only=True) as alone:
        assert alone.query("SELECT step FROM trials")[1] == [(1,)]
        assert alone.query("SELECT count(*) FROM runs")[1] == [(1,)]
        assert sorted(alone.query("SELECT train_seed FROM evaluations")[1]) == [(1,), (2,)]
        assert alone.query("SELECT count(*) FROM genomes")[1] == [(1,)]
        assert alone.query("SELECT count(*) FROM recipes")[1] == [(1,)]


def _writer(tiny_mnist: Path, gate: str, *argv: str) -> list[str]:
    return [sys.executable, "-m", "tests.cache_writer", str(tiny_mnist), gate, *argv]


def _search(cache: Path, seed: int, budget: int, *extra: str) -> list[str]:
    return [
        "search",
        "--space",
        "remnet",
        "--strategy",
        "rs",
        "--budget",
        str(budget),
        "--seed",
        str(seed),
        "--profile",
        "test-tiny",
        "--on-miss",
        "train",
        "--cache",
        str(cache),
        "--no-progress",
        *extra,
    ]


ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.mark.slow  # real processes: minutes on a busy 2-core machine
def test_a_user_search_leaves_the_shipped_cache_as_it_was(tmp_path, tiny_mnist, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    before = _digests(SHIPPED)
    local = tmp_path / "local"
    argv = _writer(tiny_mnist, "-", *_search(local, 123, 4))
    runs = [subprocess.run(argv, env=ENV, cwd=ROOT, capture_output=True, text=True, check=False) for _ in range(2)]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    assert "trained 0" not in runs[0].stdout
    assert "(cache 4, trained 0" in runs[1].stdout, runs[1].stdout  # replayed from the local layer
    assert _digests(SHIPPED) == before
    tracked = subprocess.run(
        ["git", "status", "--porcelain", "--", "cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert tracked.returncode != 0 or tracked.stdout == ""  # no new or changed file git would see (locks are ignored)

    assert main(["cache", "info", "--cache", str(local)]) == 0
    out = capsys.readouterr().out
    assert f"layer shipped: {SHIPPED.relative_to(ROOT)}" in out and f"layer local: {local}" in out
    assert main(["cache", "query", "SELECT count(*) AS n FROM local.evaluations", "--cache", str(local), "--csv"]) == 0
    local_rows = int(capsys.readouterr().out.split()[1])
    assert local_rows > 0
    assert main(["cache", "check", "--cache", str(local)]) == 0
    assert f"{local_rows} in local" in capsys.readouterr().out


def _lines(proc: subprocess.Popen[str], seen: list[str]) -> None:
    def read() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            seen.append(line.strip())

    threading.Thread(target=read, daemon=True).start()


def _wait_for(seen: list[str], line: str, proc: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while line not in seen:
        assert proc.poll() is None, f"the writer ended early: {seen}"
        assert time.monotonic() < deadline, f"no {line!r} after {timeout} s: {seen}"
        time.sleep(0.02)


def test_an_atomic_block_commits_a_row_and_its_trial_log_together(tmp_path):
    def seen() -> tuple[int, int]:
        with Store(tmp_path, read_only=True) as reader:  # what a reader, or a resumed search, finds in the file
            return tuple(reader.query(f"SELECT count(*) FROM {t}")[1][0][0] for t in ("evaluations", "trials"))

    with Store(tmp_path) as store:
        _run(tmp_path, store, [])
        with store.atomic():
            put_sound(store, sound_row(0))
            assert seen() == (0, 0)  # a kill here loses the step whole, row and log line
            store.record_trial("run", 0, sound_row(0).genome_key, 0, "{}", "train")
            assert seen() == (0, 0)
        assert seen() == (1, 1)
        put_sound(store, sound_row(1))  # a write outside a block commits at once, as before
        assert seen() == (2, 1)


def _rows(local: Path) -> int:
    with Store(local, read_only=True) as store:
        return store.query("SELECT count(*) FROM evaluations WHERE status != 'invalid'")[1][0][0]


@pytest.mark.slow  # real processes: minutes on a busy 2-core machine
def test_readers_run_while_a_search_writes(tmp_path, tiny_mnist):
    local, gate = tmp_path / "local", tmp_path / "gate"
    writer = subprocess.Popen(
        _writer(tiny_mnist, f"{gate}:3", *_search(local, 5, 10)),
        env=ENV,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    _lines(writer, seen)
    try:
        _wait_for(seen, "training 3", writer)  # two trainings stored, the third one held: mid-search
        query = subprocess.run(
            [
                sys.executable,
                "-m",
                "repro",
                "cache",
                "query",
                "--cache",
                str(local),
                "--csv",
                "SELECT count(*) AS n FROM local.evaluations WHERE status != 'invalid'",
            ],
            env=ENV,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert query.returncode == 0 and query.stdout.split() == ["n", "2"], query.stderr
        compare = subprocess.run(
            [
                sys.executable,
                "-m",
                "repro",
                "compare",
                "--space",
                "remnet",
                "--strategies",
                "rs",
                "--seeds",
                "0",
                "--budget",
                "5",
                "--on-miss",
                "error",
                "--cache",
                str(local),
                "--out",
                str(tmp_path / "compare"),
                "--no-progress",
            ],
            env=ENV,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert compare.returncode == 0, compare.stderr  # replays shipped rows through the layer being written
        assert writer.poll() is None  # both readers finished while the search was still writing
        with pytest.raises(ReproError, match="in use by another repro process"):
            Store(local)  # still one writer at a time
        gate.touch()
        counts = []
        while writer.poll() is None:  # reading over and over while it writes: never refused, never fewer rows
            counts.append(_rows(local))
        assert counts == sorted(counts) and counts[0] >= 2
    finally:
        writer.kill()
        writer.wait()
    assert writer.returncode == 0, writer.stderr.read()  # type: ignore[union-attr]
    assert main(["cache", "check", "--cache", str(local)]) == 0


def _trajectory(path: Path) -> list[tuple[str, int, float | None]]:
    trials = json.loads(path.read_text())["trials"]
    return [(t["genome_key"], t["train_seed"], None if t["value"] != t["value"] else t["value"]) for t in trials]


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_at_most_the_evaluation_in_flight(tmp_path, tiny_mnist):
    argv = _search(tmp_path / "whole", 7, 12, "--no-shipped", "--output", str(tmp_path / "whole.json"))
    subprocess.run(_writer(tiny_mnist, "-", *argv), env=ENV, cwd=ROOT, check=True, capture_output=True)
    whole = _trajectory(tmp_path / "whole.json")
    trained = _rows(tmp_path / "whole")
    rng = random.Random(0)
    for attempt in range(3):
        local, output = tmp_path / f"killed{attempt}", tmp_path / f"resumed{attempt}.json"
        argv = _search(local, 7, 12, "--no-shipped", "--output", str(output))
        writer = subprocess.Popen(
            _writer(tiny_mnist, "-", *argv),
            env=ENV,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        seen: list[str] = []
        _lines(writer, seen)
        _wait_for(seen, f"training {rng.randint(1, 6)}", writer)  # then a moment in that training or after it
        time.sleep(rng.uniform(0.0, 0.5))
        started = sum(line.startswith("training ") for line in seen)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        with Store(local, read_only=True) as store:
            # A kill between the curve and its row leaves that one curve without a row (the contract's orphan).
            left = store.check()
        assert len(left) <= 1 and all("has no row" in p for p in left), left
        kept = _rows(local)
        assert kept >= started - 1  # every training but the one in flight was stored
        again = subprocess.run(
            _writer(tiny_mnist, "-", *argv), env=ENV, cwd=ROOT, check=True, capture_output=True, text=True
        )
        assert (
            len(re.findall(r"^training \d+$", again.stdout, re.MULTILINE)) == trained - kept
        )  # nothing stored is trained again
        assert _trajectory(output) == whole
        with Store(local, read_only=True) as store:
            assert store.check() == []  # the resumed search wrote that key again, over the orphan
            # Every step was trained or found invalid in this cache, before or after the kill, and is logged so.
            assert "cache" not in {r[0] for r in store.query("SELECT served_by FROM trials")[1]}
