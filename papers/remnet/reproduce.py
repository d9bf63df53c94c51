"""Reproduce Kyriakides & Margaritis, "Regularized Evolution for Macro Neural Architecture Search" (AIAI 2020).

Composes registered parts only: the ``remnet`` space, the ``re`` / ``rs-mutation`` / ``rs``
strategies, the cache-backed evaluator, :mod:`repro.stats`, :mod:`repro.plots` and the selection
rule. ES is regularized evolution; RS is the paper's baseline (ES with sample size 1);
"RS-independent" is uniform random sampling of genomes under the same budget.

Fitness is test accuracy, as in the paper; validation accuracy is stored in every row too, so
the selection can be redone without the test set.

This module runs the experiments; :mod:`papers.remnet.numbers`, :mod:`papers.remnet.report` and
:mod:`papers.remnet.claims` turn an outcome into numbers, a report and our values for the claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from papers.replay import named_experiment
from repro import provenance
from repro.context import RunContext
from repro.cost import count_params
from repro.data.datasets import get_spec
from repro.recipe import Recipe, as_recipe
from repro.search.loop import SearchResult, run_search
from repro.selection import Choice, best_mean
from repro.spaces import get_space
from repro.spaces.remnet import RemnetSpace
from repro.spaces.remnet.known import REMNET

HERE = Path(__file__).parent
STRATEGIES = {"ES": "re", "RS": "rs-mutation", "RS-independent": "rs"}
"""Report label -> registered strategy."""


@dataclass(frozen=True)
class Experiment:
    """One scale of the reproduction: search protocol, seeds, and the final-training rows of Table 2."""

    name: str
    recipe: str | Recipe
    population: int
    sample_size: int
    budget: int
    seeds: tuple[int, ...]
    final_recipe: str | Recipe
    final_widths: dict[str, int] = field(default_factory=dict)
    final_seeds: tuple[int, ...] = (0,)
    metric: str = "test_acc"
    min_samples: int = 5
    per_run: bool = False
    """The paper's single-run reading: the final-architecture rule and "best found" per ES run, never pooled over
    seeds (within a run an architecture's k-th occurrence trains with seed k, so five samples are five trainings;
    pooled over runs, the same cached rows come back once per run). Each run's choice is retrained."""
    parents_with_replacement: bool = False
    """Draw the sample of parents with replacement, as the authors' code does (the paper does not say)."""
    about: str = ""


EXPERIMENTS = {
    "smoke": Experiment(
        "smoke",
        recipe="smoke",
        population=20,
        sample_size=5,
        budget=60,
        seeds=(0, 1, 2, 3, 4),
        final_recipe="remnet-final-smoke",
        final_widths={"REMNet-128": 16, "REMNet-256": 32},
        about="CPU minutes: 3,000 training images, 2 epochs, 16 channels; final rows at 16/32 channels",
    ),
    "gpu": Experiment(
        "gpu",
        recipe="remnet-gpu",
        population=16,
        sample_size=4,
        budget=40,
        seeds=(0, 1, 2),
        final_recipe="remnet-final",
        final_widths={"REMNet-128": 128, "REMNet-256": 256},
        about="one GPU lease with a fast trainer: full data, 64 channels, 3 epochs, 3 seeds",
    ),
    "paper": Experiment(
        "paper",
        recipe="remnet-paper",
        population=100,
        sample_size=25,
        budget=500,
        seeds=(0, 1, 2),
        final_recipe="remnet-final",
        final_widths={"REMNet-128": 128, "REMNet-256": 256},
        per_run=True,
        parents_with_replacement=True,
        about="the paper's protocol (P=100, S=25 drawn with replacement, 400 cycles, 10 epochs, 64 channels, all 60k "
        "training images; choice and best found per run): GPU hours, resumable",
    ),
}


@dataclass
class Outcome:
    """Everything the report is made of."""

    experiment: Experiment
    recipe: Recipe
    runs: dict[str, list[SearchResult]]
    choice: Choice | None
    """The Section 4.2 choice: pooled over the ES runs, or (``per_run``) the first seed's run's."""
    chosen_genome: str | None
    final: list[dict[str, Any]]
    run_choices: list[tuple[int, Choice, str]] = field(default_factory=list)
    """(seed, choice, genome) of each ES run with a choice, when the experiment chooses ``per_run``."""


def run(experiment: Experiment, ctx: RunContext) -> Outcome:
    """Run (or replay from the cache) every search and final training of ``experiment``."""
    space = get_space("remnet")
    recipe = as_recipe(experiment.recipe)
    evaluator = ctx.evaluator(space, recipe)
    runs: dict[str, list[SearchResult]] = {}
    for label, strategy_name in STRATEGIES.items():
        runs[label] = []
        for seed in experiment.seeds:
            params: dict[str, Any] = {"population_size": experiment.population, "sample_size": experiment.sample_size}
            if experiment.parents_with_replacement:
                params["replace"] = True
            runs[label].append(
                run_search(
                    strategy_name,
                    evaluator,
                    experiment.budget,
                    seed,
                    experiment.metric,
                    params,
                    strict=False,
                    on_step=lambda trial, result: ctx.step(),
                )
            )
    if experiment.per_run:
        run_choices = [
            (seed, *picked)
            for seed, r in zip(experiment.seeds, runs["ES"])
            if (picked := _choose([r], experiment.min_samples)) is not None
        ]
        choice, chosen = (run_choices[0][1], run_choices[0][2]) if run_choices else (None, None)
        to_train = {f"our choice (ES seed {seed})": genome for seed, _, genome in run_choices}
    else:
        run_choices = []
        choice, chosen = _choose(runs["ES"], experiment.min_samples) or (None, None)
        to_train = {"our choice": chosen} if chosen is not None else {}
    final = _final_training(experiment, space, ctx, to_train)
    return Outcome(experiment, recipe, runs, choice, chosen, final, run_choices)


def _choose(runs: list[SearchResult], min_samples: int) -> tuple[Choice, str] | None:
    """The Section 4.2 rule over the trials of ``runs``, with the chosen genome."""
    choice = best_mean([(t.evaluation.genome_key, t.value) for r in runs for t in r.trials], min_samples)
    if choice is None:
        return None
    return choice, next(t.genome for r in runs for t in r.trials if t.evaluation.genome_key == choice.genome_key)


def _final_training(
    experiment: Experiment, space: RemnetSpace, ctx: RunContext, chosen: dict[str, str]
) -> list[dict[str, Any]]:
    """Table 2's retrained rows: the paper's REMNet and our chosen architecture(s) (label -> genome), at each width."""
    base = as_recipe(experiment.final_recipe)
    architectures = {"paper's REMNet": space.from_json(REMNET)}
    architectures.update({label: space.from_json(genome) for label, genome in chosen.items()})
    rows = []
    for row_name, width in experiment.final_widths.items():
        paper_width = int(row_name.split("-")[1])
        recipe = base.with_changes(channels=width)
        evaluator = ctx.evaluator(space, recipe)
        spec = get_spec(recipe.dataset)
        for arch_name, genome in architectures.items():
            evaluations = [evaluator.evaluate(genome, seed)[0] for seed in experiment.final_seeds]
            model = space.build(genome, spec.input_shape, spec.num_classes, channels=paper_width)
            rows.append(
                {
                    "row": row_name,
                    "architecture": arch_name,
                    "channels": width,
                    "recipe": recipe,
                    "evaluations": evaluations,
                    "params_at_paper_width": count_params(model),
                    "describe": space.describe(genome),
                }
            )
    return rows


def describe_profile(outcome: Outcome) -> str:
    """One line naming the scale, seeds and devices that produced an outcome's numbers."""
    e, r = outcome.experiment, outcome.recipe
    devices = {
        t.evaluation.device
        for runs in outcome.runs.values()
        for result in runs
        for t in result.trials
        if t.evaluation.status == "ok"
    }
    return (
        f"profile `{e.name}`: budget {e.budget} evaluations per run (P={e.population}, S={e.sample_size}, "
        f"{e.budget - e.population} cycles), fitness {e.metric}, {r.epochs} epochs, "
        f"{r.model_options['channels']} channels, {r.train_size or 'all'} training images "
        f"({r.dataset}, split seed {r.split_seed}, val {r.val_size}, test {r.test_size or 'all'}), "
        f"seeds {', '.join(map(str, e.seeds))}, device {provenance.describe_devices(devices)}"
    )


def total_evaluations(experiment: Experiment) -> int:
    """How many search steps a reproduction runs (for progress bars)."""
    return experiment.budget * len(experiment.seeds) * len(STRATEGIES)


def get_experiment(name: str) -> Experiment:
    """The named experiment, or a ReproError listing them."""
    return named_experiment("remnet", EXPERIMENTS, name)


__all__ = ["EXPERIMENTS", "Experiment", "Outcome", "describe_profile", "get_experiment", "run", "total_evaluations"]
