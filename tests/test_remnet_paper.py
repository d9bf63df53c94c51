"""The REMNet reproduction: selection rule, and the report built end to end on a tiny experiment."""

from __future__ import annotations

import json
import math

import matplotlib.image
import pytest

from papers.remnet import reproduce
from papers.remnet.report import write_report
from papers.replay import read_reported
from repro.cache.store import Store
from repro.context import RunContext
from repro.errors import ReproError
from repro.evaluator import MissingEvaluations
from repro.recipe import Recipe
from repro.selection import best_mean


def test_selection_takes_best_mean_among_often_sampled():
    samples = [("lucky", 0.99)] + [("steady", 0.90)] * 5 + [("weak", 0.80)] * 6 + [("steady", float("nan"))]
    choice = best_mean(samples, min_samples=5)
    assert choice.genome_key == "steady" and choice.count == 5 and math.isclose(choice.mean, 0.90)
    assert choice.min_samples == 5 and choice.candidates == 2 and ">= 5 times" in choice.note


def test_selection_lowers_the_threshold_and_says_so():
    choice = best_mean([("a", 0.7), ("a", 0.9), ("b", 0.95), ("c", 0.6), ("c", 0.7)], min_samples=5)
    assert choice.genome_key == "a" and choice.min_samples == 2
    assert "no architecture was evaluated 5 times (at most 2)" in choice.note


def test_selection_ties_and_empty():
    assert best_mean([("b", 0.5), ("a", 0.5)], min_samples=1).genome_key == "a"
    assert best_mean([("a", float("nan"))]) is None


def test_reported_numbers_are_data():
    claims = {c["id"]: c for c in read_reported(reproduce.HERE)["claim"]}
    assert claims["remnet128_params"]["value"] == 791338
    assert claims["es_best_test_acc"]["value"] == 93.62 and claims["rs_best_test_acc"]["value"] == 91.91
    assert {c["kind"] for c in claims.values()} == {"structural", "stochastic"}


def test_unknown_profile():
    with pytest.raises(ReproError, match="choose one of: smoke, gpu, paper"):
        reproduce.get_experiment("huge")


@pytest.fixture
def tiny_experiment(tiny_recipe):
    final = Recipe(
        profile="test-tiny-final",
        epochs=1,
        dataset="mnist",
        val_size=20,
        train_size=60,
        test_size=30,
        batch_size=16,
        augmentation="flip+erase",
        model=(("channels", 4),),
    )
    return reproduce.Experiment(
        "tiny",
        recipe=tiny_recipe,
        population=4,
        sample_size=2,
        budget=10,
        seeds=(0, 1),
        final_recipe=final,
        final_widths={"REMNet-128": 4, "REMNet-256": 6},
        min_samples=2,
    )


@pytest.mark.slow  # end to end: every figure and file of the report (CI runs it)
def test_report_end_to_end(tmp_path, tiny_mnist, tiny_experiment):
    with Store(tmp_path / "cache") as store:
        with pytest.raises(MissingEvaluations):
            reproduce.run(tiny_experiment, RunContext(store, on_miss="error", data_root=str(tiny_mnist)))
        steps = []
        outcome = reproduce.run(
            tiny_experiment,
            RunContext(
                store, on_miss="train", device="cpu", data_root=str(tiny_mnist), on_step=lambda: steps.append(1)
            ),
        )
        assert len(steps) == reproduce.total_evaluations(tiny_experiment) == 10 * 2 * 3
    with Store(tmp_path / "cache", read_only=True) as store:  # a replay needs no writes and no training
        replay = reproduce.run(tiny_experiment, RunContext(store, on_miss="error", data_root=str(tiny_mnist)))
    assert [t.value for r in replay.runs["ES"] for t in r.trials] == [
        t.value for r in outcome.runs["ES"] for t in r.trials
    ]

    paths = write_report(outcome, tmp_path / "reports")
    names = {p.name for p in paths}
    assert names == {
        "fig3_left_best_so_far.png",
        "fig3_right_ecdf.png",
        "fig4_overlay.png",
        "summary.md",
        "numbers.json",
    }
    for p in paths:
        if p.suffix == ".png":
            height, width, _ = matplotlib.image.imread(p).shape
            assert height > 300 and width > 500

    numbers = json.loads((tmp_path / "reports" / "numbers.json").read_text())
    es = numbers["numbers"]["ES"]
    es_values = [t.value for r in outcome.runs["ES"] for t in r.trials]
    assert es["best"] == max(v for v in es_values if not math.isnan(v))
    assert es["evaluations"] == 20
    invalid = sum(math.isnan(v) for v in es_values)
    assert es["invalid_fraction"] == invalid / 20
    assert numbers["numbers"]["active_nodes"]["n"] > 0
    assert {(f["row"], f["architecture"]) for f in numbers["final"]} >= {("REMNet-128", "paper's REMNet")}
    paper_128 = next(f for f in numbers["final"] if f["row"] == "REMNet-128" and f["architecture"] == "paper's REMNet")
    assert paper_128["params_at_paper_width"] == 791338

    summary = (tmp_path / "reports" / "summary.md").read_text()
    assert "profile `tiny`" in summary and "| 93.62% |" in summary and "reproduced: seed 0" in summary
    assert "791,338" in summary and "DENSER" in summary
