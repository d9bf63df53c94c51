"""Random search: independent draws from the space's sampling rule."""

from __future__ import annotations

from typing import Any

from repro.search.strategies.base import Strategy


class RandomSearch(Strategy):
    """Random search: independent samples from the space (its initial-genome rule); values are ignored."""

    def ask(self) -> Any:
        return self.space.sample(self.rng)

    def tell(self, genome: Any, value: float) -> None:
        pass
