"""The GDAS reproduction: Table 1's structural claims, and the report built end to end on a tiny experiment."""

from __future__ import annotations

import warnings

import pytest

from papers.gdas import reproduce
from papers.gdas.claims import measurements, structural_measurements
from papers.gdas.report import write_report
from papers.replay import RecordNotCached
from repro.cache.store import Store
from repro.claims import judge, load_claims
from repro.context import RunContext
from repro.errors import ReproError
from repro.search.gdas import GdasConfig


def test_table1_parameter_counts_match_the_published_cells():
    claims = {c.id: c for c in load_claims(reproduce.HERE / "reported.toml")}
    measured = structural_measurements()
    for claim_id in ("gdas_params", "gdas_frc_params"):
        assert judge(claims[claim_id], measured, {}).status == "matches"
    values = {m.claim_id: m.value for m in measured}
    assert values["gdas_params"] == 3_368_782 and values["gdas_frc_params"] == 2_543_014


def test_accuracies_and_search_cost_are_never_compared_below_the_papers_scale():
    claims = {c.id: c for c in load_claims(reproduce.HERE / "reported.toml")}
    for claim in claims.values():
        if claim.kind == "stochastic":  # judged only at a scale this project does not run (yet)
            assert claim.profiles and not set(claim.profiles) & set(reproduce.EXPERIMENTS), claim.id


def test_unknown_profile():
    with pytest.raises(ReproError, match="smoke, smoke-darts, gpu, cifar10"):
        reproduce.get_experiment("huge")


@pytest.mark.slow  # end to end: every figure and file of the report, twice (CI runs it)
@pytest.mark.parametrize("space,frc", [("nb201", False), ("darts", True)])
def test_report_end_to_end(tmp_path, tiny_mnist, tiny_recipe, space, frc):
    recipe = tiny_recipe.with_changes(model=(("channels", 8), ("layers", 1)))
    experiment = reproduce.Experiment(
        "tiny",
        space,
        frc,
        recipe,
        GdasConfig(epochs=2, search_images=32, batch_size=16),
        seeds=(0, 1),
        random_cells=3,
        train_seeds=(0,),
        about="test",
    )
    with Store(tmp_path / "cache") as store:
        with pytest.raises(RecordNotCached):
            reproduce.run(experiment, RunContext(store, on_miss="error", data_root=str(tiny_mnist)))
        steps = []
        outcome = reproduce.run(
            experiment,
            RunContext(
                store, on_miss="train", device="cpu", data_root=str(tiny_mnist), on_step=lambda: steps.append(1)
            ),
        )
        assert len(steps) == reproduce.total_evaluations(experiment) == 2 * 1 + (2 * 2 + 3) * 1
    with Store(tmp_path / "cache", read_only=True) as store:  # a replay needs no writes, no search, no training
        replay = reproduce.run(experiment, RunContext(store, on_miss="error", data_root=str(tiny_mnist)))
    assert replay.genomes == outcome.genomes and replay.random_search == outcome.random_search
    with Store(tmp_path / "cache", read_only=True) as store:
        records = store.artefacts(reproduce.SEARCH_KIND)
    assert len(records) == 2
    record = records[0]
    assert len(record["logits"]) == 2 and record["device"] and record["seconds"] > 0
    for seed, search, pick in zip(experiment.seeds, replay.random_search, replay.genomes["random search"]):
        # 2 epochs x 32 search images + one training of 1 x (60 + 20 / 3) passes: one random cell's training
        assert search.seed == seed and search.budget == pytest.approx(64 + 60 + 20 / 3) and len(search.genomes) == 1
        assert search.genomes[search.pick] == pick
    assert replay.random_search[0].genomes != replay.random_search[1].genomes
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation from the plotting libraries, no text outside a figure
        paths = write_report(replay, tmp_path / "report")
        with Store(tmp_path / "cache", read_only=True) as store:
            again = reproduce.run(experiment, RunContext(store, on_miss="error", data_root=str(tiny_mnist)))
        second = write_report(again, tmp_path / "again")
    for first, rewritten in zip(paths, second, strict=True):  # a second reproduction rewrites every file byte for byte
        assert first.read_bytes() == rewritten.read_bytes(), first.name
    assert [p.name for p in paths] == ["operator_probabilities.png", "accuracy_ecdf.png", "summary.md", "numbers.json"]
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert (
        "proxy" in summary
        and "| GDAS (FRC) [C=36,N=6] + CutOut | 1 | 0.17 | 2.5 | 2.82% | 18.13% | 2,543,014 |" in summary
    )
    assert "### GDAS vs random search" in summary
    ids = {m.claim_id for m in measurements(replay)}
    assert {"gdas_derived_test_acc", "gdas_beats_random"} <= ids
    assert ("gdas_frc_search_gpu_days" in ids) == frc
