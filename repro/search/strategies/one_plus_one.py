"""The (1+1) evolution strategy."""

from __future__ import annotations

from typing import Any

import numpy as np

from repro.search.strategies.base import Strategy, rank_key
from repro.spaces.base import SearchSpace


class OnePlusOne(Strategy):
    """(1+1)-ES: one parent; its mutated child replaces it when at least as good (NaN loses to any number).

    Accepting equal values lets the walk drift across plateaus (and away from an invalid parent:
    two invalid genomes are equal).
    """

    def __init__(self, space: SearchSpace[Any], rng: np.random.Generator) -> None:
        super().__init__(space, rng)
        self.parent: tuple[Any, float] | None = None

    def ask(self) -> Any:
        if self.parent is None:
            return self.space.sample(self.rng)
        return self.space.mutate(self.parent[0], self.rng)

    def tell(self, genome: Any, value: float) -> None:
        if self.parent is None or rank_key(value) >= rank_key(self.parent[1]):
            self.parent = (genome, value)
