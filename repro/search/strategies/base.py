"""The strategy contract: ask for a genome, tell its value. Strategies never train anything.

A strategy's whole state follows from its seed and the values it was told, so replaying a stored
trial log rebuilds it exactly (and a search on the cache, on a GPU or on a cluster runs the same
strategy code).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from repro.registry import Registry
from repro.spaces.base import SearchSpace


class Strategy(ABC):
    """Base class. ``value`` is the objective to maximise; NaN marks an invalid architecture."""

    def __init__(self, space: SearchSpace[Any], rng: np.random.Generator) -> None:
        self.space = space
        self.rng = rng

    @abstractmethod
    def ask(self) -> Any:
        """The next genome to evaluate."""

    @abstractmethod
    def tell(self, genome: Any, value: float) -> None:
        """Report the value of a genome this strategy asked for."""

    def config(self) -> dict[str, Any]:
        """The strategy's parameters, stored with the run so a run id names one configuration."""
        return {}

    def recommend(self) -> Any | None:
        """The architecture the strategy itself ends with, or None: the best one it was told about."""
        return None


def rank_key(value: float) -> float:
    """A sort key for told values: NaN (an invalid architecture) ranks below every number."""
    return -math.inf if math.isnan(value) else value


STRATEGIES: Registry[Any] = Registry("strategy")
"""Name -> factory ``(space, rng, **params) -> Strategy``."""
