"""The NAR reproduction: Table 4's structural claims, and the report built end to end on a tiny experiment."""

from __future__ import annotations

import json

import pytest

from papers.nar import reproduce
from papers.nar.claims import measurements, structural_measurements
from papers.nar.report import write_report
from papers.replay import RecordNotCached
from repro.cache.store import Store
from repro.claims import Claim, Measured, judge, load_claims
from repro.context import RunContext
from repro.errors import ReproError
from repro.search.enas import EnasConfig


def test_table4_structural_claims_are_judged_with_their_known_deviations():
    claims = {c.id: c for c in load_claims(reproduce.HERE / "reported.toml")}
    measured = structural_measurements()
    verdicts = {c: judge(claims[c], measured, {}) for c in claims if claims[c].kind == "structural"}
    assert verdicts["resnet18_params"].measured.value == 11_689_512
    assert verdicts["resnet18_params"].status == verdicts["resnet18_8_params"].status == "matches"
    assert verdicts["resnet18_flops"].measured.value == 1_814_073_344
    assert verdicts["resnet18_flops"].status == "deviates" and "known deviation" in verdicts["resnet18_flops"].reason
    # Every structural claim that deviates says why; the ones that match need not.
    assert all(claims[c].deviation_why for c, v in verdicts.items() if v.status == "deviates")


def test_a_deviation_without_a_reason_is_not_excused():
    claim = Claim("x", "here", 1.0, "u", "structural", "w", "n", rounding=0.1)
    verdict = judge(claim, [Measured("x", "any", 2.0)], {})
    assert verdict.status == "deviates" and "known deviation" not in verdict.reason


def test_proxy_accuracy_is_never_compared_with_cifar10():
    claims = {c.id: c for c in load_claims(reproduce.HERE / "reported.toml")}
    verdict = judge(claims["resnet18_cifar10_acc"], [Measured("resnet18_cifar10_acc", "smoke", 93.46)], {})
    assert verdict.status == "not reproducible here" and verdict.context


def test_unknown_profile():
    with pytest.raises(ReproError, match="smoke, gpu, cifar10, proxy-full"):
        reproduce.get_experiment("huge")


def test_only_the_cifar10_profile_is_labelled_as_the_papers_dataset():
    from repro.recipe import get_profile

    assert reproduce.data_scale(get_profile("nar-smoke")) == "proxy"
    assert reproduce.data_scale(get_profile("nar-cifar10")) == "CIFAR-10"
    assert get_profile(reproduce.get_experiment("cifar10").recipe).dataset == "cifar-10"
    assert get_profile(reproduce.get_experiment("proxy-full").recipe).dataset == "fashion-mnist"
    assert "paper" not in reproduce.EXPERIMENTS  # no profile named for the paper runs a proxy


def test_the_cifar10_profile_follows_resnets_protocol_and_enas_controller():
    from repro.recipe import get_profile

    r = get_profile("nar-cifar10")
    assert (r.optimizer, r.lr, r.weight_decay, r.epochs, r.lr_milestones, r.augmentation, r.batch_size) == (
        "sgd-momentum",
        0.1,
        1e-4,
        164,
        (82, 123),
        "crop+flip",
        128,
    )
    s = reproduce.get_experiment("cifar10").search
    assert (s.epochs, s.lr, s.lr_min, s.hidden, s.controller_lr) == (150, 0.1, 1e-4, 100, 3.5e-4)


def test_flops_savings_and_replaced_operators_are_structural_claims():
    claims = {c.id: c for c in load_claims(reproduce.HERE / "reported.toml")}
    verdicts = {m.claim_id: judge(claims[m.claim_id], [m], {}) for m in structural_measurements()}
    assert verdicts["resnet18_8_flops_saving"].status == "matches"
    assert (
        verdicts["resnet18_16_operators_replaced"].status
        == verdicts["resnet18_8_operators_replaced"].status
        == "matches"
    )
    assert (
        verdicts["resnet18_16_flops_saving"].status == "deviates" and claims["resnet18_16_flops_saving"].deviation_why
    )


@pytest.mark.slow  # end to end: every figure and file of the report (CI runs it)
def test_report_end_to_end(tmp_path, tiny_mnist, tiny_recipe):
    experiment = reproduce.Experiment(
        "tiny",
        "resnet-small",
        tiny_recipe.with_changes(channels=2),
        EnasConfig(epochs=1, batch_size=16, controller_steps=1, controller_batch=2, derive_samples=2, derive_val=20),
        pretrain_epochs=1,
        seeds=(0, 1),
        train_seeds=(0, 1),
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
        # One training costs 60 + 20/3 passes; a NAR search 60 + (32 + 40)/3, one with PreTrain 60 more: random
        # search trains 2 and 3 vectors per seed. Then every label's vectors get both training seeds (baseline;
        # NAR, NAR-PreTrain, random and the 2 random searches' picks, one per seed).
        assert len(steps) == reproduce.total_evaluations(experiment) == 2 * (2 + 3) + (1 + 5 * 2) * 2
    with Store(tmp_path / "cache", read_only=True) as store:  # a replay needs no writes, no search, no training
        replay = reproduce.run(experiment, RunContext(store, on_miss="error", data_root=str(tiny_mnist)))
    assert replay.genomes == outcome.genomes
    with Store(tmp_path / "cache", read_only=True) as store:
        assert len(store.artefacts(reproduce.SEARCH_KIND)) == 4  # 2 variants x 2 seeds
    paths = write_report(replay, tmp_path / "report")
    assert [p.name for p in paths] == ["operator_frequencies.png", "summary.md", "numbers.json"]
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert "proxy" in summary and "| ResNet-18 | 93.46% |" in summary and "| 11,689,512 |" in summary
    assert "NAR-PreTrain" in summary and "random" in summary
    numbers = json.loads((tmp_path / "report" / "numbers.json").read_text())
    assert set(numbers["test_acc"]) == {"baseline", "NAR", "NAR-PreTrain", "random", *reproduce.RANDOM_SEARCH.values()}
    assert "### NAR-PreTrain vs random search (NAR-PreTrain budget)" in summary
    assert [len(p["drawn"]) for p in numbers["random_search"]["NAR-PreTrain"]] == [3, 3]
    ids = {m.claim_id for m in measurements(replay)}
    assert {"resnet18_cifar10_acc", "refined_beats_baseline", "nar_beats_random_search"} <= ids
