"""The command line as a user meets it: help, one-line errors, an end-to-end search on real data."""

from __future__ import annotations

import json
import runpy
import sys

import pytest

from repro.cli import main
from tests.conftest import fashion_available


def test_help_explains_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--space", "--strategy", "--budget", "--seed", "--profile", "--on-miss", "--cache", "--device"):
        assert option in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["search", "--space", "nope"],
            "unknown search space 'nope'; choose one of: darts, featurenet, handcrafted, macro, nar, nb201, rcas, remnet",
        ),
        (["search", "--strategy", "nope"], "unknown strategy 'nope'"),
        (["search", "--profile", "nope"], "unknown profile 'nope'"),
        (["search", "--strategy", "rs", "--population", "5"], "does not take population_size"),
        (["cache", "info", "--cache", "/nonexistent/cache"], "no cache at /nonexistent/cache"),
        (["search", "--executor", "simulated", "--workers", "4"], "replays the cache only: add --on-miss error"),
        (["evaluate", '{"layers": [[0, "CONV_9.N"]]}'], "not a REMNet genome"),
        (
            ["evaluate", '{"layers": [[0, "CONV_9.N"]], "connections": [[0, -2, 0, true], [1, 0, -1, true]]}'],
            "node 0 has unknown layer 'CONV_9.N'",
        ),
        (["evaluate", "@/nonexistent/genome.json"], "cannot read the genome file /nonexistent/genome.json"),
        (["evaluate", '{"nodes": ["IN", "OUT"], "edges": [[0, 1]]}', "--seeds", "3-x"], "bad seeds '3-x'"),
    ],
)
def test_bad_input_gives_one_line_error(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("repro: error: ") and message in err
    assert "\n" not in err and "Traceback" not in err


def test_bad_argument_values_are_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "--budget", "0"])
    assert exit_info.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_python_dash_m_runs(capsys, monkeypatch):
    # What ``python -m repro list`` runs, in this process: a fresh interpreter would only add its imports
    # (a fresh process's imports are test_layout's subject).
    monkeypatch.setattr(sys, "argv", ["repro", "list"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("repro", run_name="__main__", alter_sys=True)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "remnet" in out and "rs-mutation" in out and "smoke" in out


@pytest.mark.slow
@pytest.mark.skipif(not fashion_available(), reason="needs Debian's dataset-fashion-mnist")
def test_search_end_to_end_on_fashion_mnist(tmp_path, capsys):
    cache, out = tmp_path / "cache", tmp_path / "run.json"
    argv = [
        "search",
        "--budget",
        "5",
        "--population",
        "3",
        "--sample-size",
        "2",
        "--seed",
        "0",
        "--cache",
        str(cache),
        "--no-shipped",  # a fresh cache alone: everything is trained
        "--no-progress",
        "--output",
        str(out),
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "best val_acc" in printed and "architecture" in printed
    first = json.loads(out.read_text())
    assert len(first["trials"]) == 5
    assert {t["served_by"] for t in first["trials"]} <= {"train", "invalid"}
    valid = [t["value"] for t in first["trials"] if t["status"] == "ok"]
    assert valid and all(0.0 < v <= 1.0 for v in valid)

    assert main([*argv, "--on-miss", "error"]) == 0  # a replay needs nothing that is not cached
    replay = json.loads(out.read_text())
    assert [t["served_by"] for t in replay["trials"]] == ["cache"] * 5
    assert [(t["genome_key"], t["value"]) for t in replay["trials"]] == [
        (t["genome_key"], t["value"]) for t in first["trials"]
    ]

    assert main(["cache", "info", "--cache", str(cache), "--no-shipped"]) == 0
    assert "smoke" in capsys.readouterr().out
    query = ["cache", "query", "SELECT count(*) AS n FROM evaluations", "--cache", str(cache), "--no-shipped", "--csv"]
    assert main(query) == 0
    assert capsys.readouterr().out.split() == ["n", "5"]


def test_evaluate_reads_every_seed_from_the_cache(capsys):
    genome = '{"nodes":["IN","CONV_3.N","POOL_2.M","OUT"],"edges":[[0,1],[1,2],[2,3]]}'
    assert main(["evaluate", genome, "--seeds", "0-2", "--on-miss", "error", "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("1:CONV_3.N<-in 2:POOL_2.M<-1 out<-2")
    assert [line.split()[:3] for line in lines[2:5]] == [[str(s), "cache", "ok"] for s in range(3)]
    val = [float(line.split()[3]) for line in lines[2:5]]
    mean = sum(val) / 3
    sd = (sum((v - mean) ** 2 for v in val) / 2) ** 0.5
    assert lines[5].startswith(f"over 3 seeds (mean ± sample sd): val_acc {mean:.4f} ± {sd:.4f}, test_acc ")
