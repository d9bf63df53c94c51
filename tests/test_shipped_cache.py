"""The shipped cache replays what the README and the reproductions promise, with provenance on every row."""

from __future__ import annotations

from pathlib import Path

import pytest

from papers.remnet import reproduce
from papers.remnet.report import write_report
from repro.cache.store import Store
from repro.cli import main
from repro.context import RunContext

CACHE = Path(__file__).resolve().parent.parent / "cache"
pytestmark = pytest.mark.skipif(not (CACHE / "metrics.duckdb").exists(), reason="no shipped cache in this checkout")


def test_every_row_has_provenance_and_metrics():
    with Store(CACHE, read_only=True) as store:
        columns, rows = store.query(
            "SELECT count(*) FILTER (WHERE code_version IS NULL OR device IS NULL OR libraries IS NULL "
            "OR created_at IS NULL), "
            "count(*) FILTER (WHERE status = 'ok' AND (val_acc IS NULL OR test_acc IS NULL OR params IS NULL "
            "OR train_seconds IS NULL)), "
            "count(*) FILTER (WHERE status IN ('invalid', 'failed') AND (reason IS NULL OR val_acc IS NOT NULL)), "
            "count(*) FILTER (WHERE status NOT IN ('ok', 'invalid', 'failed')), count(*) FROM evaluations"
        )
    no_provenance, ok_without_metrics, bad_invalid, unknown_status, total = rows[0]
    assert total > 0
    assert (no_provenance, ok_without_metrics, bad_invalid, unknown_status) == (0, 0, 0, 0)


def test_shipped_cache_is_consistent():
    with Store(CACHE, read_only=True) as store:
        assert store.check() == []


def test_readme_search_replays_without_training(capsys):
    argv = [
        "search",
        "--space",
        "remnet",
        "--strategy",
        "re",
        "--budget",
        "60",
        "--seed",
        "0",
        "--cache",
        str(CACHE),
        "--on-miss",
        "error",
        "--no-progress",
    ]
    assert main(argv) == 0
    assert "(cache 60, trained 0, newly invalid 0;" in capsys.readouterr().out


def test_remnet_smoke_reproduction_replays(tmp_path):
    with Store(CACHE, read_only=True) as store:
        outcome = reproduce.run(reproduce.get_experiment("smoke"), RunContext(store, on_miss="error"))
    paths = write_report(outcome, tmp_path)
    assert len(paths) == 5 and all(p.stat().st_size > 0 for p in paths)
