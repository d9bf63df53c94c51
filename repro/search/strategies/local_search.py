"""First-improvement local search over the space's mutation neighbourhood, with restarts."""

from __future__ import annotations

from typing import Any

import numpy as np

from repro.errors import ReproError
from repro.search.strategies.base import Strategy, rank_key
from repro.spaces.base import SearchSpace


class LocalSearch(Strategy):
    """Local search: move to the first strictly better mutation neighbour; restart after `patience` misses in a row.

    From a random sample, each ask proposes one neighbour (``space.mutate`` of the current
    genome). A strictly better neighbour becomes the current genome at once (first improvement,
    not best improvement: the neighbourhood is sampled, never enumerated). After ``patience``
    consecutive neighbours that are not better, the walk restarts from a fresh sample.
    """

    def __init__(self, space: SearchSpace[Any], rng: np.random.Generator, patience: int = 20) -> None:
        super().__init__(space, rng)
        if patience < 1:
            raise ReproError(f"local search needs patience >= 1, got {patience}")
        self.patience = patience
        self.current: tuple[Any, float] | None = None
        self.misses = 0

    def ask(self) -> Any:
        if self.current is None:
            return self.space.sample(self.rng)
        return self.space.mutate(self.current[0], self.rng)

    def tell(self, genome: Any, value: float) -> None:
        if self.current is None or rank_key(value) > rank_key(self.current[1]):
            self.current, self.misses = (genome, value), 0
            return
        self.misses += 1
        if self.misses >= self.patience:
            self.current = None

    def config(self) -> dict[str, Any]:
        return {"patience": self.patience}
