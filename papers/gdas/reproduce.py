"""Reproduce Dong & Yang, "Searching for A Robust Neural Architecture in Four GPU Hours" (GDAS, CVPR 2019).

Composes registered parts: the cell spaces ``nb201`` and ``darts`` (with the fixed reduction cell,
"FRC"), the GDAS search (:mod:`repro.search.gdas`), the cache-backed evaluator for every retraining,
:mod:`repro.stats` and :mod:`repro.plots`. Two baselines in the same cell space, trained with the
same recipe through the cache: seeded random cells (what a random architecture scores), and, per
GDAS seed, random search under that search's compute budget (:mod:`repro.search.budgeted`: its example
passes plus the final training of its cell, spent on whole trainings of distinct random cells, the
best by validation accuracy kept).

The accuracies of every profile but ``cifar10`` are a **proxy** (Fashion-MNIST). A supernet
search is not a cached evaluation, so its trajectory (logits and derived cell per epoch, seconds,
device) is stored in the cache as an artefact of kind ``gdas-searches``, keyed by everything that
decides it; replays read it and never search. Acceleration measurements
(``benchmarks/bench_gdas_acceleration.py --store``) are the cache's ``gdas-acceleration`` artefacts.

This module runs the experiments; :mod:`papers.gdas.numbers`, :mod:`papers.gdas.report` and
:mod:`papers.gdas.claims` turn an outcome into numbers, a report and our values for the claims.
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
from repro.search.budgeted import BudgetedRandomSearch, random_search, training_cost, trainings_within
from repro.search.gdas import GdasConfig, gdas_search
from repro.spaces import get_space
from repro.trainer import pick_device

HERE = Path(__file__).parent
SEARCH_KIND = "gdas-searches"
ACCELERATION_KIND = "gdas-acceleration"


@dataclass(frozen=True)
class Experiment:
    """One scale: the cell space, the retraining recipe, the search settings, seeds and random cells."""

    name: str
    space: str
    frc: bool
    recipe: str | Recipe
    search: GdasConfig
    seeds: tuple[int, ...]
    random_cells: int
    train_seeds: tuple[int, ...]
    about: str


PAPER_SEARCH = {"tau_min": 0.1, "augment": True, "batch_size": 256}
"""The paper-scale searches' settings where the paper is silent or corrected: tau ends at 0.1 (the authors'
README: "should decrease from 10 to 0.1"), crop + flip on the search halves and batch 256 (the authors'
search loaders and config). The logit-gradient rule is the DARTS space's, argmax-only (the paper)."""

EXPERIMENTS = {
    "smoke": Experiment(
        "smoke",
        "nb201",
        False,
        "gdas-nb201-smoke",
        GdasConfig(epochs=8, search_images=2000),
        seeds=(0, 1, 2),
        random_cells=6,
        train_seeds=(0,),
        about="proxy, CPU minutes: Fashion-MNIST (3,000 training images; the search uses 1,000/1,000 of them), "
        "NAS-Bench-201 cells at C=8 with one cell per stage, 8 search epochs, retraining 2 epochs",
    ),
    "smoke-darts": Experiment(
        "smoke-darts",
        "darts",
        True,
        "gdas-darts-smoke",
        GdasConfig(epochs=3, search_images=1000, edge_gradient="all"),
        seeds=(0,),
        random_cells=3,
        train_seeds=(0,),
        about="proxy, CPU minutes: Fashion-MNIST (1,000 training images; the search uses 500/500 of them), the paper's "
        "DARTS cells with the fixed reduction cell (GDAS (FRC)) at C=8 with one cell per stage, one 3-epoch search, "
        "retraining 1 epoch; kept on the add-back gradient rule its stored search ran with (the paper-scale profiles "
        "follow the paper's argmax-only rule)",
    ),
    "gpu": Experiment(
        "gpu",
        "darts",
        False,
        "gdas-gpu",
        GdasConfig(epochs=10, channels=16, layers=2, search_images=50000, **PAPER_SEARCH),
        seeds=(0, 1),
        random_cells=6,
        train_seeds=(0, 1),
        about="proxy, one ~25-minute GPU lease: Fashion-MNIST (25k/25k search halves, 50k/10k retraining), "
        "normal + reduction DARTS cells at the paper's search size (C=16, N=2), 10 search epochs, retraining 4 epochs",
    ),
    "cifar10": Experiment(
        "cifar10",
        "darts",
        False,
        "gdas-cifar10",
        GdasConfig(epochs=50, channels=16, layers=2, search_images=45000, **PAPER_SEARCH),
        seeds=(0, 1, 2, 3),
        random_cells=8,
        train_seeds=(0, 1),
        about="the paper's dataset: CIFAR-10 from a local copy (--data-root, or $REPRO_DATA/cifar-10), DARTS cells "
        "at C=16, N=2, 50 search epochs on 22.5k/22.5k (the paper: 240 on 25k/25k), retraining 30 epochs; GPU hours",
    ),
}


LABELS = ("GDAS", "random cells", "random search")


@dataclass
class Outcome:
    """Everything the report is made of."""

    experiment: Experiment
    recipe: Recipe
    searches: list[dict[str, Any]]
    genomes: dict[str, list[Any]]
    evaluations: dict[str, list[list[Evaluation]]]
    random_search: list[BudgetedRandomSearch]
    """Per GDAS seed, random search under that search's budget; its picks are ``genomes["random search"]``."""
    acceleration: list[dict[str, Any]]


def space_of(experiment: Experiment) -> Any:
    """The cell space an experiment searches and retrains in."""
    return get_space("darts", frc=experiment.frc) if experiment.space == "darts" else get_space(experiment.space)


def _search(experiment: Experiment, space: Any, recipe: Recipe, seed: int, ctx: RunContext) -> dict[str, Any]:
    """The stored search of (experiment, seed), run and stored first if allowed."""
    what = {
        "space": space.name,
        "space_config": space.config(),
        "recipe": recipe.key,
        "config": experiment.search.key(space),
        "seed": seed,
    }
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
        result = gdas_search(space, data, experiment.search, seed, recipe.normalize, device)
        return {**dataclasses.asdict(result), "genome": result.derived[-1]}

    return stored_record(ctx, SEARCH_KIND, what, f"gdas {experiment.name}: search seed {seed}", search, device)


def search_budget(experiment: Experiment, recipe: Recipe) -> float:
    """Example passes of one GDAS search plus the final training of the cell it derives."""
    return experiment.search.example_passes + training_cost(recipe)


def run(experiment: Experiment, ctx: RunContext) -> Outcome:
    """Run (or replay from the cache) every search and retraining of ``experiment``."""
    space = space_of(experiment)
    recipe = as_recipe(experiment.recipe)
    evaluator = ctx.evaluator(space, recipe)
    searches = [_search(experiment, space, recipe, s, ctx) for s in experiment.seeds]
    budget = search_budget(experiment, recipe)
    picks = [
        random_search(evaluator, space.sample, s, budget, experiment.train_seeds[0], ctx.on_step)
        for s in experiment.seeds
    ]
    rng = np.random.default_rng(1000)  # apart from the search seeds, so the cells differ from any search's draws
    genomes = {
        "GDAS": [space.from_json(r["genome"]) for r in searches],
        "random cells": [space.sample(rng) for _ in range(experiment.random_cells)],
        "random search": [p.best for p in picks],
    }
    evaluations = retrain_all(evaluator, genomes, experiment.train_seeds, ctx.on_step)
    acceleration = ctx.store.artefacts(ACCELERATION_KIND)
    return Outcome(experiment, recipe, searches, genomes, evaluations, picks, acceleration)


def data_scale(recipe: Recipe) -> str:
    """How every table and figure names the data: the paper's dataset, or a labelled proxy."""
    return "CIFAR-10" if recipe.dataset == "cifar-10" else "proxy"


def devices_used(outcome: Outcome) -> str:
    """The devices of the searches and the trained rows (:func:`repro.provenance.describe_devices`)."""
    found = [r["device"] for r in outcome.searches]
    found += [e.device for rows in outcome.evaluations.values() for row in rows for e in row if e.status == "ok"]
    return provenance.describe_devices(found)


def describe_profile(outcome: Outcome) -> str:
    """One line naming the scale, space, seeds and devices that produced an outcome's numbers."""
    e, r, c = outcome.experiment, outcome.recipe, outcome.experiment.search
    space = f"{e.space}{' (FRC)' if e.frc else ''}"
    return (
        f"profile `{e.name}` ({data_scale(r)}: {r.dataset}): {space} cells, supernet C={c.channels} N={c.layers}, "
        f"{c.epochs} search epochs on {c.search_images // 2}/{c.search_images // 2} images"
        f"{' (crop + flip)' if c.augment else ''}, batch {c.batch_size}, tau {c.tau_max:g}->{c.tau_min:g}, "
        f"{c.gradient_rule(space_of(e))} logit gradient, search seeds {', '.join(map(str, e.seeds))}; retraining {r.epochs} epochs at "
        f"C={r.model_options['channels']} N={r.model_options['layers']} on {r.train_size or 'all'} training images, "
        f"training seeds {', '.join(map(str, e.train_seeds))}; {e.random_cells} random cells; "
        f"device {devices_used(outcome)}"
    )


def total_evaluations(experiment: Experiment) -> int:
    """How many evaluations a reproduction makes (for progress bars): random search's trainings, then
    every training seed of the GDAS cells, the random cells and random search's picks."""
    recipe = as_recipe(experiment.recipe)
    searched = trainings_within(search_budget(experiment, recipe), recipe)
    return len(experiment.seeds) * searched + (2 * len(experiment.seeds) + experiment.random_cells) * len(
        experiment.train_seeds
    )


def get_experiment(name: str) -> Experiment:
    """The named experiment, or a ReproError listing them."""
    return named_experiment("gdas", EXPERIMENTS, name)


__all__ = [
    "EXPERIMENTS",
    "Experiment",
    "Outcome",
    "data_scale",
    "describe_profile",
    "devices_used",
    "get_experiment",
    "run",
    "search_budget",
    "space_of",
    "total_evaluations",
]
