"""Reproduce Xiong, Mehta & Singh, "Resource Constrained Neural Network Architecture Search" (ICCV 2019).

Composes registered parts: the ``rcas`` space, the greedy algorithms of :mod:`repro.search.greedy`, and
the cache-backed evaluator. F(S) is the validation accuracy of the network whose positions hold
the blocks of S (on top of the forced type-5 blocks), trained by the experiment's recipe with
training seed 0; every F goes through the cache. The budget is the cost of the experiment's
reference layout (MobileNetV2 on CIFAR; a MobileNetV2-like fill of the proxy skeleton on the
``smoke`` proxy): all trainable parameters, and the MAdds of the convolutions only, in closed form
(:mod:`repro.spaces.rcas.cost`, tested equal to counting the built network).

Beside RCAS (UC, APR, AMR): plain CEG with unit cost (for the evaluation count), random block
additions under the same budget (whose chains are also the monotonicity study of Section 4.3),
random search over position vectors with RCAS's count of distinct F evaluations (one run per
random seed, so RCAS's F is placed in a distribution), and a type-5-only RCAS (the block-diversity
ablation).

This module runs the experiments; :mod:`papers.rcas.numbers`, :mod:`papers.rcas.report` and
:mod:`papers.rcas.claims` turn an outcome into numbers, a report and our values for the claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from papers.replay import named_experiment, retrain_all
from repro import provenance
from repro.context import RunContext
from repro.data.datasets import get_spec
from repro.evaluator import Evaluator
from repro.recipe import Recipe, as_recipe
from repro.search.greedy import (
    Budget,
    GreedyResult,
    Problem,
    Violations,
    cost_effective_greedy,
    marginal_gains,
    random_fill,
    rcas,
    violations,
)
from repro.spaces import get_space
from repro.spaces.rcas.cost import costs
from repro.spaces.rcas.genome import BLOCK_TYPES, Genome, seed_genome
from repro.spaces.rcas.known import MOBILENETV2_CIFAR

HERE = Path(__file__).parent


PROXY_REFERENCE = (5, 5, 0, 5, 5, 0, 5, 5, 0)
"""The proxy budget's reference: two type-5 blocks per stage of a 9-position proxy skeleton (ours, not the paper's)."""


@dataclass(frozen=True)
class Experiment:
    """One scale of the reproduction."""

    name: str
    recipe: str | Recipe
    variant: str
    reference: tuple[int, ...]
    random_seeds: tuple[int, ...]
    about: str
    train_seed: int = 0
    types: tuple[int, ...] = tuple(BLOCK_TYPES)
    """The block types RCAS may place (the type-5-only ablation always uses ``(5,)``)."""
    final_recipe: str | Recipe | None = None
    """Training from scratch of RCAS's network and the reference (Table 2); None: no final training."""
    final_seeds: tuple[int, ...] = (0, 1, 2)


EXPERIMENTS = {
    "smoke": Experiment(
        "smoke",
        "rcas-smoke",
        "fmnist-small",
        PROXY_REFERENCE,
        (0, 1, 2, 3, 4),
        about="CPU proxy: Fashion-MNIST (not CIFAR-100), the 9-position fmnist-small skeleton, 500 training "
        "images, 2 epochs; the budget is the proxy reference's cost; final training on 2,000 images for 4 epochs",
        final_recipe="rcas-final-smoke",
    ),
    "gpu": Experiment(
        "gpu",
        "rcas-gpu",
        "cifar",
        MOBILENETV2_CIFAR,
        (0, 1, 2),
        about="CIFAR-100, the paper's 36-position skeleton and MobileNetV2 budget, 4 epochs per F: several "
        "GPU leases, resumable; final training 30 epochs",
        final_recipe="rcas-final-gpu",
    ),
    "paper": Experiment(
        "paper",
        "rcas-paper",
        "cifar",
        MOBILENETV2_CIFAR,
        tuple(range(20)),
        about="the paper's search recipe (10 epochs, lr decay at 4, 7, 9) on CIFAR-100 and its final training "
        "(200 epochs, decay at 60, 120, 180, crop + flip): GPU days",
        final_recipe="rcas-final",
        final_seeds=(0, 1, 2, 3, 4),
    ),
}


def get_experiment(name: str) -> Experiment:
    """The named experiment, or a ReproError listing them."""
    return named_experiment("rcas", EXPERIMENTS, name)


def genome_of(variant: str, selected: frozenset) -> Genome:
    """The seed genome with every ``(position, type)`` of ``selected`` filled in."""
    genome = seed_genome(variant)
    for position, block in sorted(selected):
        genome = genome.with_position(position, block)
    return genome


@dataclass
class Outcome:
    """Everything the report is made of; accuracies are validation accuracies in [0, 1]."""

    experiment: Experiment
    recipe: Recipe
    budget: dict[str, int]
    reference_value: float
    rcas_best: str
    rcas: dict[str, GreedyResult]
    plain_uc: GreedyResult
    type5_best: str
    type5: dict[str, GreedyResult]
    chains: list[list[float]]
    chain_sets: list[list[frozenset]]
    random_search: list[float]
    nested: Violations
    """Monotonicity and diminishing-returns violations among plain CEG's marginal gains on nested sets."""
    final: dict[str, list[Any]]
    """Final training (Table 2): ``"RCAS"`` and ``"reference"`` -> one cached row per final seed."""
    evaluations: list[Any]
    """Every cached row the outcome read, in order of first use."""


class _F:
    """F(S) through the evaluator, remembering the rows it read (for provenance and counts)."""

    def __init__(self, evaluator: Evaluator, experiment: Experiment, ctx: RunContext) -> None:
        self.evaluator = evaluator
        self.experiment = experiment
        self.ctx = ctx
        self.rows: dict[str, Any] = {}

    def genome(self, genome: Genome) -> float:
        evaluation, _ = self.evaluator.evaluate(genome, self.experiment.train_seed)
        if evaluation.genome_key not in self.rows:
            self.rows[evaluation.genome_key] = evaluation
            self.ctx.step()
        return evaluation.value("val_acc")

    def __call__(self, selected: frozenset) -> float:
        return self.genome(genome_of(self.experiment.variant, selected))


def _problem(experiment: Experiment, f: _F, budget: dict[str, int], types: tuple[int, ...]) -> Problem:
    spec = get_spec(f.evaluator.recipe.dataset)
    skeleton = seed_genome(experiment.variant).skeleton
    forced = set(skeleton.forced_positions())
    ground = [(p, t) for p in range(skeleton.size) if p not in forced for t in types]

    def resources(selected: frozenset) -> dict[str, int]:
        return costs(genome_of(experiment.variant, selected), spec.input_shape, spec.num_classes)

    return Problem(ground, f, Budget(resources, budget), frozenset(), group=lambda element: element[0])


def _random_vector(problem: Problem, rng: np.random.Generator) -> frozenset:
    """A random position vector within the budget: free positions in random order, each empty or a fitting type.

    Uniform rejection sampling of whole vectors almost never fits a MobileNetV2-sized budget, so
    each position draws uniformly among "empty" and the types that still fit.
    """
    by_position: dict[Any, list[Any]] = {}
    for element in problem.ground:
        by_position.setdefault(element[0], []).append(element)
    selected = problem.start
    for position in rng.permutation(sorted(by_position)):
        options = [None] + [e for e in by_position[int(position)] if problem.eligible(e, selected)]
        choice = options[int(rng.integers(len(options)))]
        if choice is not None:
            selected = selected | {choice}
    return selected


def _random_search(problem: Problem, count: int, seed: int) -> float:
    """Best F of ``count`` distinct random position vectors within the budget (fewer if the space runs out)."""
    rng = np.random.default_rng(seed)
    seen: set[frozenset] = set()
    for _ in range(20 * count):
        if len(seen) == count:
            break
        seen.add(_random_vector(problem, rng))
    return max(problem.f(s) for s in seen)


def run(experiment: Experiment, ctx: RunContext) -> Outcome:
    """Run (or replay from the cache) RCAS, its baselines and ablations for ``experiment``."""
    recipe = as_recipe(experiment.recipe)
    space = get_space("rcas", variant=experiment.variant)
    f = _F(ctx.evaluator(space, recipe), experiment, ctx)
    spec = get_spec(recipe.dataset)
    reference = Genome(experiment.variant, experiment.reference)
    budget = costs(reference, spec.input_shape, spec.num_classes)
    reference_value = f.genome(reference)
    problem = _problem(experiment, f, budget, experiment.types)
    best, results = rcas(problem)
    plain = cost_effective_greedy(problem)
    type5_best, type5 = rcas(_problem(experiment, f, budget, (5,)))
    chain_sets = [random_fill(problem, np.random.default_rng(seed)) for seed in experiment.random_seeds]
    chains = [[f(s) for s in chain] for chain in chain_sets]
    distinct = len(set().union(*(r.evaluated for r in results.values())))
    # Each random-search run costs as many distinct F evaluations as RCAS itself.
    searches = [_random_search(problem, distinct, seed) for seed in experiment.random_seeds]
    nested = violations(marginal_gains(problem, plain))
    finalists = {"RCAS": genome_of(experiment.variant, results[best].selected), "reference": reference}
    final = _final_training(experiment, space, ctx, finalists)
    return Outcome(
        experiment,
        recipe,
        budget,
        reference_value,
        best,
        results,
        plain,
        type5_best,
        type5,
        chains,
        chain_sets,
        searches,
        nested,
        final,
        list(f.rows.values()),
    )


def _final_training(
    experiment: Experiment, space: Any, ctx: RunContext, finalists: dict[str, Genome]
) -> dict[str, list[Any]]:
    """Train each finalist from scratch with the final recipe, once per final seed (rows through the cache)."""
    if experiment.final_recipe is None:
        return {}
    evaluator = ctx.evaluator(space, as_recipe(experiment.final_recipe))
    retrained = retrain_all(
        evaluator, {name: [genome] for name, genome in finalists.items()}, experiment.final_seeds, ctx.on_step
    )
    return {name: rows for name, (rows,) in retrained.items()}


def all_rows(outcome: Outcome) -> list[Any]:
    """Every cached row behind an outcome: the search's F evaluations, then the final trainings."""
    return outcome.evaluations + [row for rows in outcome.final.values() for row in rows]


def data_label(dataset: str) -> str:
    """The dataset, marked as a proxy unless it is the paper's CIFAR-100."""
    return dataset if dataset == "cifar-100" else f"{dataset} proxy"


def describe_profile(outcome: Outcome) -> str:
    """One line naming the scale, data and devices that produced an outcome's numbers."""
    e, r = outcome.experiment, outcome.recipe
    devices = [row.device for row in all_rows(outcome) if row.status == "ok"]
    return (
        f"profile `{e.name}`: skeleton {e.variant}, {data_label(r.dataset)}, "
        f"budget {outcome.budget['params']:,} params / {outcome.budget['madds']:,} MAdds, F = val_acc after {r.epochs} "
        f"epochs ({r.optimizer}, lr {r.lr}, milestones {list(r.lr_milestones)}), {r.train_size or 'all'} training "
        f"images, val {r.val_size}, training seed {e.train_seed}, random seeds {len(e.random_seeds)}, "
        f"device {provenance.describe_devices(devices)}"
    )


def total_evaluations(experiment: Experiment) -> int | None:
    """Greedy searches stop when the budget is spent, so the count is not known in advance (no progress total)."""
    return None


__all__ = [
    "EXPERIMENTS",
    "Experiment",
    "Outcome",
    "all_rows",
    "costs",
    "data_label",
    "describe_profile",
    "genome_of",
    "get_experiment",
    "run",
    "total_evaluations",
]
