"""Every failure of the command line is one line on stderr and exit 2, refused before any work (issue 17, item 6)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repro.cache.store import Store
from repro.cli import main
from repro.errors import ReproError
from tests.rows import drop_curves, placeholder_row, segments

ROOT = Path(__file__).resolve().parents[1]
GENOME = '{"layers": [[0, "CONV_3.N"]], "connections": [[0, -2, 0, true], [1, 0, -1, true]]}'


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    """Run ``argv``; assert it exits 0 or 2, with exactly one stderr line, an error with no traceback, on 2."""
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own refusals
        status = exc.code
    err = capsys.readouterr().err
    assert status in (0, 2), (argv, err)
    assert "Traceback" not in err, (argv, err)
    if status == 2:
        assert len(err.strip().splitlines()) == 1 and "error: " in err, (argv, err)
    return status, err.strip()


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run ``argv``; assert it fails in one line (exit 2); return that line."""
    status, err = _run(capsys, argv)
    assert status == 2, (argv, err)
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["evaluate", '{"layers": [[1e400, "CONV_3.N"]], "connections": [[0, -2, 0, true]]}'], "got inf"),
        (["evaluate", '{"layers": [[0.7, "CONV_3.N"]], "connections": [[0, -2, 0, true]]}'], "got 0.7"),
        (["evaluate", '{"nodes": ["IN", "CONV_3.N", "OUT"], "edges": [[0, 1.5], [1, 2]]}'], "got 1.5"),
        (["evaluate", "[1,2,3]"], 'the genome is a JSON list, not an object); expected JSON like {"layers"'),
        (["evaluate", GENOME, "--seeds", "2147483648"], "seeds go up to 2,147,483,647"),
        (["evaluate", GENOME, "--seeds", "0-100000000"], "at most 10,000 seeds per command"),
        (["evaluate", GENOME, "--seeds", "9" * 5000], "seeds go up to"),
        (["search", "--seed", "2147483648"], "argument --seed: must be at most 2,147,483,647"),
        (["search", "--budget", "1e3"], "argument --budget: expected a whole number, got '1e3'"),
        (["search", "--channels", "1000000"], "argument --channels: must be at most 1,024"),
        (["search", "--device", "nope"], "unknown device 'nope'"),
        (["search", "--cache", "README.md"], "README.md is a file, not a cache folder"),
        (["evaluate", GENOME, "--cache", "README.md"], "README.md is a file, not a cache folder"),
        (["compare", "--time-budget", "nan"], "must be a finite number above 0"),
        (["search", "--on-miss", "maybe"], "invalid choice: 'maybe'"),
        (["nope"], "invalid choice: 'nope'"),
    ],
)
def test_bad_input_is_refused_in_one_line_before_any_work(argv, message, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)  # README.md is the file given as a cache
    assert message in _one_line_error(capsys, argv)


def test_cuda_without_a_gpu_is_refused_up_front(capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert "this machine has no CUDA GPU; use --device cpu" in _one_line_error(
        capsys, ["evaluate", GENOME, "--device", "cuda"]
    )


def _small_cache(root: Path) -> Path:
    row = placeholder_row()
    with Store(root) as store:
        for seed in range(4):
            store.put(
                row.__class__(**{**row.__dict__, "train_seed": seed}), "{}", "p", np.array([[1, 1.0, 0.5, 1.0, 0.5]])
            )
    return root


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_a_truncated_database_is_one_line(tmp_path, capsys, keep):
    shutil.copytree(ROOT / "cache", tmp_path / "c", ignore=shutil.ignore_patterns("imported"))
    metrics = tmp_path / "c" / "metrics.duckdb"
    data = metrics.read_bytes()
    metrics.write_bytes(data[: int(len(data) * keep)])
    statuses = [
        _run(capsys, [*command, "--cache", str(tmp_path / "c")])[0]
        for command in (["cache", "info"], ["cache", "check"], ["cache", "query", "SELECT * FROM evaluations"])
    ]
    # DuckDB reads pages lazily: a cut the command never reads past may go unnoticed, one it reads is an error.
    assert keep > 0.5 or statuses == [2, 2, 2]


def test_garbage_inside_the_curves_file_is_one_line(tmp_path, capsys):
    shutil.copytree(ROOT / "cache", tmp_path / "c", ignore=shutil.ignore_patterns("imported"))
    (curves,) = segments(tmp_path / "c")
    data = bytearray(curves.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 50_000] = np.random.default_rng(0).bytes(50_000)
    curves.write_bytes(bytes(data))
    assert f"{curves.name} is not a readable curve file" in _one_line_error(
        capsys, ["cache", "check", "--cache", str(tmp_path / "c")]
    )


def test_a_missing_curve_stops_a_paper_replay_with_one_line(tmp_path):
    from papers.featurenet.reproduce import _curve
    from repro.context import RunContext

    root = _small_cache(tmp_path / "c")
    drop_curves(root, "s/k/r/seed_3")
    with Store(root, read_only=True) as store:
        rows = store.evaluations("s")
        assert _curve(RunContext(store), rows[0]).shape == (1, 5)
        with pytest.raises(ReproError, match="s/k seed 3 has no curve in .*/c/curves/; restore the cache"):
            _curve(RunContext(store), rows[3])
    shutil.rmtree(root / "curves")
    with Store(root, read_only=True) as store, pytest.raises(ReproError, match="seed 0 has no curve"):
        _curve(RunContext(store), store.evaluations("s")[0])


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["deleted file", "deleted dataset"])
def test_paper_commands_on_a_cache_without_curves_fail_in_one_line(tmp_path, capsys, damage, monkeypatch):
    shutil.copytree(ROOT / "cache", tmp_path / "c")
    if damage == "deleted file":
        shutil.rmtree(tmp_path / "c" / "curves")
    else:
        drop_curves(tmp_path / "c", "featurenet/")
    for argv in (
        ["regress", "featurenet"],
        ["reproduce", "featurenet", "--out", str(tmp_path / "r")],
        ["report", "--out", str(tmp_path / "r"), "--readme", str(tmp_path / "none.md")],
    ):
        argv = [*argv, "--cache", str(tmp_path / "c"), "--no-shipped", "--no-progress"]  # the damaged copy alone
        assert "has no curve" in _one_line_error(capsys, argv)


# Generated command lines: every command, its options with values drawn from good and bad ones. Only commands that
# stop before training or replaying much are drawn, so the fast suite stays fast.
_VALUES = st.one_of(
    st.sampled_from(
        [
            "0",
            "-1",
            "1",
            "0.7",
            "1e400",
            "2147483648",
            "0-100000000",
            "nan",
            "inf",
            "",
            "x",
            "README.md",
            "cuda",
            "nope",
            "[1,2,3]",
            "{}",
            GENOME,
            "@/nonexistent",
            "9" * 30,
            "0-2",
            "3-1",
            "re,rs",
        ]
    ),
    st.text(max_size=12),
)
_OPTIONS = {
    "search": [
        "--space",
        "--strategy",
        "--budget",
        "--seed",
        "--profile",
        "--epochs",
        "--channels",
        "--population",
        "--sample-size",
        "--patience",
        "--metric",
        "--executor",
        "--workers",
        "--device",
        "--cache",
    ],
    "evaluate": ["--space", "--seeds", "--profile", "--epochs", "--channels", "--device", "--cache"],
    "compare": [
        "--space",
        "--strategies",
        "--seeds",
        "--budget",
        "--baseline",
        "--time-budget",
        "--final",
        "--metric",
        "--device",
        "--cache",
    ],
    "cache query": ["--cache"],
    "regress": ["--cache"],
}


@st.composite
def _command_lines(draw: st.DrawFn, out: Path) -> list[str]:
    command = draw(st.sampled_from(sorted(_OPTIONS)))
    argv = command.split()
    if command == "evaluate":
        argv.append(draw(_VALUES))
    if command == "cache query":
        argv.append(draw(st.sampled_from(["SELECT 1", "SELECT", "COPY x TO 'y'", "DROP TABLE evaluations"])))
    if command == "regress":
        argv.append(draw(st.sampled_from(["nope", "x y", "-"])))
    if command in ("search", "evaluate", "compare"):  # replay only, small; drawn options below override these
        argv += ["--on-miss", "error", "--no-progress", *(["--budget", "2"] if command != "evaluate" else [])]
    if command == "compare":
        argv += ["--seeds", "0", "--out", str(out)]
    for option in draw(st.lists(st.sampled_from(_OPTIONS[command]), min_size=1, max_size=3, unique=True)):
        argv += [option, draw(_VALUES)]
    return argv


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_command_lines_end_cleanly_or_in_one_line(data, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)  # the shipped cache is the default one; nothing is written to it (replays only)
    _run(capsys, data.draw(_command_lines(tmp_path / "compare")))


def test_clip_cuts_only_long_lines_and_marks_the_cut():
    from repro.cli.options import clip, table

    text = table(("claim", "why"), [("a", "short"), ("b", "x" * 200)])
    assert "  \n" not in text + "\n" and not text.endswith(" ")  # no padding after the last column
    clipped = clip(text, 30).splitlines()
    assert clipped[1] == "a      short" and clipped[2] == "b      " + "x" * 22 + "…" and len(clipped[2]) == 30
    assert clip(text, 300) == text
