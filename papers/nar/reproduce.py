"""Reproduce Jiang, Zhao & Pang, "Neural Architecture Refinement" (NAR): ENAS over operator vectors of a fixed ResNet.

Composes registered parts: the ``nar`` space, its ENAS search (:mod:`repro.search.enas`, with and
without the random "PreTrain"), the cache-backed evaluator for every retraining from scratch,
:mod:`repro.stats` and :mod:`repro.plots`. Baselines: the unmodified backbone; uniformly random
operator vectors, as many as each NAR variant retrains; and, per search seed and variant, random
search under that search's compute budget (:mod:`repro.search.budgeted`: its example passes plus the
final training of its vector, spent on whole trainings of distinct random vectors, the best by
validation accuracy kept).

Every experiment but ``cifar10`` is a **proxy** on Fashion-MNIST (no ImageNet experiment is
defined), so their accuracies are shown beside the paper's Table 5 but never compared with it.

A supernet search is not a cached evaluation, so its result (the derived vectors and the operator
frequencies) is stored in the cache as an artefact of kind ``nar-searches``, keyed by everything
that decides it; replays read it and never search.

This module runs the experiments; :mod:`papers.nar.numbers`, :mod:`papers.nar.report` and
:mod:`papers.nar.claims` turn an outcome into numbers, a report and our values for the claims.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from papers.replay import named_experiment, retrain_all, stored_record
from repro import provenance
from repro.context import RunContext
from repro.data import load_dataset
from repro.recipe import Recipe, as_recipe
from repro.records import Evaluation
from repro.search.budgeted import (
    FORWARD_ONLY,
    BudgetedRandomSearch,
    random_search,
    split_sizes,
    training_cost,
    trainings_within,
)
from repro.search.enas import EnasConfig, enas_search
from repro.spaces import get_space
from repro.spaces.nar import NarGenome, NarSpace
from repro.trainer import pick_device

HERE = Path(__file__).parent
SEARCH_KIND = "nar-searches"


@dataclass(frozen=True)
class Experiment:
    """One scale: the backbone, the recipe (data split for the search, and the retraining), the search settings."""

    name: str
    backbone: str
    recipe: str | Recipe
    search: EnasConfig
    pretrain_epochs: int
    seeds: tuple[int, ...]
    train_seeds: tuple[int, ...]
    about: str


PAPER_SEARCH = EnasConfig(
    epochs=150,
    batch_size=128,
    lr=0.1,
    lr_min=1e-4,
    controller_lr=3.5e-4,
    hidden=100,
    controller_steps=100,
    derive_samples=32,
    derive_val=5000,
)
"""The CIFAR-10 search: the only schedule the paper states (Section 4.1.1: 150 epochs, lr 0.1 -> 1e-4; its SGDR
restarts at T_0=10, T_mult=2 are cosine without restarts here, see reported.toml) and ENAS's controller (Pham et
al. 2018: LSTM with 100 hidden units, Adam lr 3.5e-4). ENAS's tanh constant 2.5 and temperature 5 are not
implemented by repro.search.enas's controller."""

EXPERIMENTS = {
    "smoke": Experiment(
        "smoke",
        "resnet-small",
        "nar-smoke",
        EnasConfig(epochs=4),
        pretrain_epochs=2,
        seeds=(0, 1, 2),
        train_seeds=(0, 1),
        about="proxy, CPU minutes: Fashion-MNIST (3,000 training images), a 3-block ResNet at 8 channels, "
        "4 supernet epochs (+2 random for PreTrain), retraining 2 epochs",
    ),
    "gpu": Experiment(
        "gpu",
        "resnet18-16-cifar",
        "remnet-gpu",
        EnasConfig(epochs=10, batch_size=128, controller_steps=50, derive_samples=16, derive_val=5000),
        pretrain_epochs=3,
        seeds=(0, 1, 2),
        train_seeds=(0, 1, 2),
        about="proxy, one GPU lease: Fashion-MNIST (50k/10k), ResNet-18-16 with the CIFAR stem at 64 channels",
    ),
    "cifar10": Experiment(
        "cifar10",
        "resnet18-16-cifar",
        "nar-cifar10",
        PAPER_SEARCH,
        pretrain_epochs=10,
        seeds=(0, 1, 2),
        train_seeds=(0, 1, 2),
        about="the paper's dataset and protocol: CIFAR-10 from a local copy (--data-root, or $REPRO_DATA/cifar-10), "
        "ResNet-18-16 with the CIFAR stem at 64 channels, 150 supernet epochs at lr 0.1 -> 1e-4, ENAS's controller "
        "(LSTM 100, Adam 3.5e-4), retraining by ResNet's CIFAR protocol (164 epochs, SGD momentum, crop + flip); "
        "GPU days, resumable",
    ),
    "proxy-full": Experiment(
        "proxy-full",
        "resnet18-16-cifar",
        "nar-proxy-full",
        EnasConfig(epochs=50, batch_size=128, controller_steps=100, derive_samples=32, derive_val=10000),
        pretrain_epochs=10,
        seeds=(0, 1, 2),
        train_seeds=(0, 1, 2),
        about="proxy at the paper's search scale: Fashion-MNIST (50k/10k), ResNet-18-16 (CIFAR stem), GPU hours",
    ),
}


VARIANTS = ("NAR", "NAR-PreTrain")
RANDOM_SEARCH = {v: f"random search ({v} budget)" for v in VARIANTS}
"""Per NAR variant, the label of random search under that variant's budget."""
LABELS = ("baseline", *VARIANTS, "random", *RANDOM_SEARCH.values())


@dataclass
class Outcome:
    """Everything the report is made of: per label, the retrained genomes and their evaluations."""

    experiment: Experiment
    recipe: Recipe
    searches: dict[str, list[dict[str, Any]]]
    genomes: dict[str, list[NarGenome]]
    evaluations: dict[str, list[list[Evaluation]]]
    random_search: dict[str, list[BudgetedRandomSearch]]
    """Per NAR variant, per search seed, random search under that search's budget (picks in ``genomes``)."""


def _config(experiment: Experiment, variant: str) -> EnasConfig:
    pretrain = experiment.pretrain_epochs if variant == "NAR-PreTrain" else 0
    return dataclasses.replace(experiment.search, pretrain_epochs=pretrain)


def search_budget(experiment: Experiment, recipe: Recipe, variant: str) -> float:
    """Example passes of one search of ``variant`` plus the final training of the vector it finds."""
    return _config(experiment, variant).example_passes(*split_sizes(recipe), FORWARD_ONLY) + training_cost(recipe)


def _search(
    experiment: Experiment, space: NarSpace, recipe: Recipe, variant: str, seed: int, ctx: RunContext
) -> dict[str, Any]:
    """The stored search of (experiment, variant, seed), run and stored first if allowed."""
    config = _config(experiment, variant)
    what = {"space": space.config(), "recipe": recipe.key, "config": dataclasses.asdict(config), "seed": seed}
    device = pick_device(ctx.device)

    def search() -> dict[str, Any]:
        data = load_dataset(
            recipe.dataset,
            ctx.data_root,
            val_size=recipe.val_size,
            split_seed=recipe.split_seed,
            train_size=recipe.train_size,
            test_size=recipe.test_size,
        )
        result = enas_search(space, data, config, seed, recipe.model_options["channels"], recipe.normalize, device)
        return {
            "variant": variant,
            "best": list(result.best),
            "derived": [[list(v), acc] for v, acc in result.derived],
            "frequencies": result.frequencies.tolist(),
        }

    return stored_record(ctx, SEARCH_KIND, what, f"nar {experiment.name}: search {variant} seed {seed}", search, device)


def run(experiment: Experiment, ctx: RunContext) -> Outcome:
    """Run (or replay from the cache) every search and retraining of ``experiment``."""
    space = get_space("nar", backbone=experiment.backbone)
    assert isinstance(space, NarSpace)
    recipe = as_recipe(experiment.recipe)
    evaluator = ctx.evaluator(space, recipe)
    searches = {v: [_search(experiment, space, recipe, v, s, ctx) for s in experiment.seeds] for v in VARIANTS}
    first = experiment.train_seeds[0]
    picks = {
        v: [
            random_search(evaluator, space.sample, s, search_budget(experiment, recipe, v), first, ctx.on_step)
            for s in experiment.seeds
        ]
        for v in VARIANTS
    }
    genomes = {
        "baseline": [space.baseline()],
        **{v: [space.genome(r["best"]) for r in searches[v]] for v in VARIANTS},
        # One random vector per search seed: as many retrained architectures as each NAR variant.
        "random": [space.sample(np.random.default_rng(seed)) for seed in experiment.seeds],
        **{RANDOM_SEARCH[v]: [p.best for p in picks[v]] for v in VARIANTS},
    }
    evaluations = retrain_all(evaluator, genomes, experiment.train_seeds, ctx.on_step)
    return Outcome(experiment, recipe, searches, genomes, evaluations, picks)


def is_proxy(recipe: Recipe) -> bool:
    """Whether ``recipe`` trains on a proxy, not the paper's CIFAR-10."""
    return recipe.dataset != "cifar-10"


def data_scale(recipe: Recipe) -> str:
    """How every table and figure names the data: the paper's dataset, or a labelled proxy."""
    return "proxy" if is_proxy(recipe) else "CIFAR-10"


def describe_profile(outcome: Outcome) -> str:
    """One line naming the scale, seeds and devices that produced an outcome's numbers."""
    e, r = outcome.experiment, outcome.recipe
    devices = {ev.device for rows in outcome.evaluations.values() for row in rows for ev in row if ev.status == "ok"}
    return (
        f"profile `{e.name}` ({data_scale(r)}: {r.dataset}): backbone {e.backbone}, "
        f"{e.search.epochs} supernet epochs (+{e.pretrain_epochs} for PreTrain), search seeds "
        f"{', '.join(map(str, e.seeds))}; retraining {r.epochs} epochs, {r.model_options['channels']} channels, "
        f"{r.train_size or 'all'} training images, training seeds {', '.join(map(str, e.train_seeds))}; "
        f"device {provenance.describe_devices(devices)}"
    )


def total_evaluations(experiment: Experiment) -> int:
    """How many evaluations a reproduction makes (for progress bars): the random searches' trainings, then
    every training seed of the baseline, the NAR vectors, the random vectors and random search's picks."""
    recipe = as_recipe(experiment.recipe)
    searched = sum(trainings_within(search_budget(experiment, recipe, v), recipe) for v in VARIANTS)
    return len(experiment.seeds) * searched + (1 + 5 * len(experiment.seeds)) * len(experiment.train_seeds)


def get_experiment(name: str) -> Experiment:
    """The named experiment, or a ReproError listing them."""
    return named_experiment("nar", EXPERIMENTS, name)


__all__ = ["EXPERIMENTS", "Experiment", "Outcome", "describe_profile", "get_experiment", "run", "total_evaluations"]
