"""Regularized (aging) evolution, Real et al. 2019, as used by REMNet (Section 3.2)."""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from repro.draws import choice_indices
from repro.errors import ReproError
from repro.search.strategies.base import Strategy, rank_key
from repro.spaces.base import SearchSpace


class RegularizedEvolution(Strategy):
    """Regularized (aging) evolution: a tournament picks the parent to mutate; the oldest member dies.

    The first ``population_size`` asks are random samples; after that each ask samples
    ``sample_size`` members of the population, without replacement unless ``replace`` (REMNet's
    authors draw with replacement), and returns a mutated copy of the best (invalid members,
    valued NaN, rank below every valid one, as the authors' fitness 0 does). Every told genome joins
    the population and the oldest member leaves once it is full.

    With ``sample_size=1`` the parent is a uniformly random member: the paper's random-search
    baseline, a random mutation walk with aging.
    """

    def __init__(
        self,
        space: SearchSpace[Any],
        rng: np.random.Generator,
        population_size: int = 20,
        sample_size: int = 5,
        replace: bool = False,
    ) -> None:
        super().__init__(space, rng)
        if population_size < 1 or not 1 <= sample_size <= population_size:
            raise ReproError(
                f"regularized evolution needs population >= 1 and 1 <= sample size <= population, "
                f"got population {population_size}, sample size {sample_size}"
            )
        self.population_size = population_size
        self.sample_size = sample_size
        self.replace = bool(replace)
        self.population: deque[tuple[Any, float]] = deque()
        self.asked = 0

    def ask(self) -> Any:
        self.asked += 1
        if self.asked <= self.population_size or not self.population:
            return self.space.sample(self.rng)
        size = self.sample_size if self.replace else min(self.sample_size, len(self.population))
        picks = choice_indices(self.rng, len(self.population), size, self.replace)  # rng.choice's draws, cheaper
        # The best pick, the earliest among ties (as max() would; a loop costs a replayed step less).
        parent, best = self.population[picks[0]]
        best = rank_key(best)
        for i in picks[1:]:
            genome, value = self.population[i]
            if rank_key(value) > best:
                parent, best = genome, rank_key(value)
        return self.space.mutate(parent, self.rng)

    def tell(self, genome: Any, value: float) -> None:
        self.population.append((genome, value))
        if len(self.population) > self.population_size:
            self.population.popleft()

    def config(self) -> dict[str, Any]:
        # ``replace`` only when set, so the configs of runs stored before it existed are unchanged.
        config: dict[str, Any] = {"population_size": self.population_size, "sample_size": self.sample_size}
        if self.replace:
            config["replace"] = True
        return config


class RandomMutationSearch(RegularizedEvolution):
    """The REMNet paper's random-search baseline: regularized evolution with sample size 1."""

    def __init__(
        self, space: SearchSpace[Any], rng: np.random.Generator, population_size: int = 20, replace: bool = False
    ) -> None:
        super().__init__(space, rng, population_size=population_size, sample_size=1, replace=replace)
