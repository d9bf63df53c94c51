"""The search loop: ask a strategy, evaluate through the cache, tell the result, log the step.

Training seeds: the k-th evaluation of an architecture within a run uses training seed k (k = 0,
1, ...), so an architecture sampled five times is trained five times with different seeds (the
paper's "sampled at least 5 times"), and runs with different search seeds share cached rows the
way a tabular benchmark does. Everything that decides the trajectory is the search seed and the
cached values, so a replay on a warm cache reproduces it exactly and trains nothing; a killed
run, rerun with the same command, replays its finished steps from the cache and continues.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repro import provenance
from repro.cache.store import Evaluation
from repro.evaluator import Evaluator
from repro.strategies import Strategy


@dataclass(frozen=True)
class Trial:
    """One step of a run."""

    step: int
    genome: str
    evaluation: Evaluation
    served_by: str
    value: float


@dataclass
class SearchResult:
    """A run's trajectory and identity."""

    run_id: str
    metric: str
    trials: list[Trial] = field(default_factory=list)

    @property
    def best(self) -> Trial | None:
        """The trial with the highest value (the earliest among ties); None if all were invalid."""
        valid = [t for t in self.trials if not math.isnan(t.value)]
        return max(valid, key=lambda t: t.value) if valid else None

    def served(self) -> Counter[str]:
        """How many steps each path served: cache, train, invalid, surrogate."""
        return Counter(t.served_by for t in self.trials)

    def values(self) -> np.ndarray:
        """The objective per step (NaN for invalid architectures)."""
        return np.array([t.value for t in self.trials], dtype=float)


def run_id(space: str, space_config: dict[str, Any], strategy: str, strategy_config: dict[str, Any],
           recipe_key: str, seed: int, metric: str) -> str:  # fmt: skip
    """Identify a run by everything that decides its trajectory (not its budget: a longer run extends it)."""
    ident = json.dumps([space, space_config, strategy, strategy_config, recipe_key, seed, metric], sort_keys=True)
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def run_search(
    strategy: Strategy,
    strategy_name: str,
    evaluator: Evaluator,
    budget: int,
    seed: int,
    metric: str = "val_acc",
    on_step: Callable[[Trial, SearchResult], None] | None = None,
) -> SearchResult:
    """Run ``budget`` evaluations of ``strategy`` (already seeded with ``seed``) through ``evaluator``."""
    space, store = evaluator.space, evaluator.store
    space_config = space.config()
    rid = run_id(space.name, space_config, strategy_name, strategy.config(), evaluator.recipe.key, seed, metric)
    # A read-only cache can only replay; the log of a replay would repeat what is stored.
    log = not store.read_only
    if log:
        store.record_run(
            rid, space=space.name, strategy=strategy_name,
            config=json.dumps({"space": space_config, "strategy": strategy.config()}, sort_keys=True),
            recipe_key=evaluator.recipe.key, seed=seed, budget=budget, metric=metric,
            code_version=provenance.code_version(), created_at=provenance.now(),
        )  # fmt: skip
    result = SearchResult(run_id=rid, metric=metric)
    occurrences: Counter[str] = Counter()
    for step in range(budget):
        genome = strategy.ask()
        key = evaluator.canonical(genome).key
        train_seed = occurrences[key]
        occurrences[key] += 1
        evaluation, served_by = evaluator.evaluate(genome, train_seed)
        value = evaluation.value(metric)
        strategy.tell(genome, value)
        genome_json = space.to_json(genome)
        if log:
            store.record_trial(rid, step, key, train_seed, genome_json, served_by)
        trial = Trial(step=step, genome=genome_json, evaluation=evaluation, served_by=served_by, value=value)
        result.trials.append(trial)
        if on_step is not None:
            on_step(trial, result)
    return result
