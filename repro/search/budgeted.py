"""Random search under the compute budget of a weight-sharing search: the baseline GDAS and NAR are tested against.

A budget is counted in *example passes*: one training example through a forward and a backward
pass is 1, one example through a forward pass only (a validation pass, a controller's reward,
deriving) is :data:`FORWARD_ONLY`, since a backward costs about two forwards (the convention FLOP
counts use). A weight-sharing step runs one child network per example (GDAS samples one
operation per edge; ENAS trains one sampled path), so a search and a retraining are counted in
the same unit. Examples, not seconds: the budget is then the same on every machine and under any
load, and a replay needs no timing. (On the shared 2-core machine the smoke searches ran on, NAR's
three searches of one size took 13, 22 and 41 seconds.)

Random search gets what the search spent plus the final training of the architecture it found,
and spends it on whole trainings under the same recipe: ``max(1, budget // cost)`` distinct
random architectures, drawn from a generator seeded by the search seed, the pick being the best
by validation accuracy (the test split decides nothing).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from repro.data.datasets import get_spec
from repro.evaluator import Evaluator
from repro.recipe import Recipe
from repro.records import Evaluation

FORWARD_ONLY = 1 / 3
"""Cost of one example through a forward pass only, in training-example passes."""

STREAM = 0x52_53
"""Mixed into the search seed so that random search draws apart from the search's own generator."""


def split_sizes(recipe: Recipe) -> tuple[int, int]:
    """(training, validation) images of ``recipe``'s split, from the dataset's official training-set size."""
    total = get_spec(recipe.dataset).train_images
    train = total - recipe.val_size
    return (min(train, recipe.train_size) if recipe.train_size else train), recipe.val_size


def training_cost(recipe: Recipe) -> float:
    """Example passes of one training under ``recipe``: every epoch trains on the training split and
    evaluates the validation split (the final test pass decides nothing and is not counted)."""
    train, val = split_sizes(recipe)
    return recipe.epochs * (train + FORWARD_ONLY * val)


def trainings_within(budget: float, recipe: Recipe) -> int:
    """Whole trainings under ``recipe`` that ``budget`` example passes pay for (at least one)."""
    return max(1, int(budget // training_cost(recipe)))


@dataclass(frozen=True)
class BudgetedRandomSearch:
    """One budget-matched random search: what it drew, how each trained, and its pick."""

    seed: int
    budget: float
    """Example passes: the search's plus the final training of what it found."""
    genomes: list[Any]
    evaluations: list[Evaluation]
    """One per genome, at the first training seed (the one the search decides on)."""
    pick: int
    """Index of the best validation accuracy (the first of equals)."""

    @property
    def best(self) -> Any:
        """The picked genome."""
        return self.genomes[self.pick]

    def describe(self, space: Any) -> str:
        """Every drawn architecture with its validation accuracy (%), in draw order, the pick in bold."""
        return "; ".join(
            f"{'**' if i == self.pick else ''}`{space.describe(g)}` ({100 * e.value('val_acc'):.1f})"
            f"{'**' if i == self.pick else ''}"
            for i, (g, e) in enumerate(zip(self.genomes, self.evaluations))
        )

    def summary(self, space: Any) -> dict[str, Any]:
        """JSON-ready: seed, budget, trainings, every drawn genome with its validation accuracy, the pick."""
        return {
            "seed": self.seed,
            "budget_passes": self.budget,
            "trainings": len(self.genomes),
            "drawn": [[space.to_json(g), e.val_acc] for g, e in zip(self.genomes, self.evaluations)],
            "pick": self.pick,
        }


def random_search(
    evaluator: Evaluator,
    sample: Callable[[np.random.Generator], Any],
    seed: int,
    budget: float,
    train_seed: int,
    on_step: Callable[[], None] | None = None,
) -> BudgetedRandomSearch:
    """Train ``trainings_within(budget)`` distinct architectures drawn by ``sample`` (through the cache) and pick one.

    Distinct means distinct canonical forms: a redrawn network would be a free lookup, not a training.
    A space with fewer networks than the budget pays for gets each of those drawn (within 1,000 draws per training).
    """
    rng = np.random.default_rng([STREAM, seed])
    wanted = trainings_within(budget, evaluator.recipe)
    genomes: list[Any] = []
    seen: set[str] = set()
    for _ in range(1000 * wanted):
        if len(genomes) == wanted:
            break
        genome = sample(rng)
        key = evaluator.space.canonical(genome).key
        if key not in seen:
            seen.add(key)
            genomes.append(genome)
    evaluations = []
    for genome in genomes:
        evaluations.append(evaluator.evaluate(genome, train_seed)[0])
        if on_step:
            on_step()
    scores = [e.value("val_acc") for e in evaluations]  # NaN: invalid or failed, never the pick over a number
    pick = max(range(len(genomes)), key=lambda i: -math.inf if math.isnan(scores[i]) else scores[i])
    return BudgetedRandomSearch(seed, budget, genomes, evaluations, pick)
