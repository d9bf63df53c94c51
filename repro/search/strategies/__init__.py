"""Search strategies, looked up by name: ``make_strategy("re", space, rng, population_size=20)``."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np

from repro.errors import ReproError
from repro.search.strategies.base import STRATEGIES, Strategy, rank_key
from repro.search.strategies.evolution import RandomMutationSearch, RegularizedEvolution
from repro.search.strategies.local_search import LocalSearch
from repro.search.strategies.one_plus_one import OnePlusOne
from repro.search.strategies.random_search import RandomSearch
from repro.search.strategies.reinforce import Reinforce
from repro.spaces.base import SearchSpace

STRATEGIES.register("re", RegularizedEvolution)
STRATEGIES.register("rs", RandomSearch)
STRATEGIES.register("rs-mutation", RandomMutationSearch)
STRATEGIES.register("ls", LocalSearch)
STRATEGIES.register("es11", OnePlusOne)
STRATEGIES.register("reinforce", Reinforce)


def strategy_params(name: str, strict: bool = True, **params: Any) -> dict[str, Any]:
    """The parameters the registered strategy ``name`` is built with; ``None`` means "the strategy's default".

    A parameter the strategy does not take is an error, or with ``strict=False`` is left out (for
    callers that run several strategies under one protocol). An unknown name is an error too.
    """
    given = {k: v for k, v in params.items() if v is not None}
    accepted = _accepted(STRATEGIES.get(name))
    unknown = sorted(set(given) - accepted)
    if not strict:
        return {k: v for k, v in given.items() if k in accepted}
    if unknown:
        takes = ", ".join(sorted(accepted)) or "no parameters"
        raise ReproError(f"strategy {name!r} does not take {', '.join(unknown)} (it takes {takes})")
    return given


@functools.lru_cache(maxsize=None)
def _accepted(factory: Any) -> frozenset[str]:
    """The parameters a strategy factory takes besides the space and the generator (read once: a study builds
    thousands of strategies)."""
    return frozenset(inspect.signature(factory).parameters) - {"space", "rng"}


def make_strategy(
    name: str, space: SearchSpace[Any], rng: np.random.Generator, strict: bool = True, **params: Any
) -> Strategy:
    """Build the registered strategy ``name`` with :func:`strategy_params`."""
    return STRATEGIES.get(name)(space, rng, **strategy_params(name, strict, **params))


def describe(name: str) -> str:
    """The first line of a strategy's docstring."""
    doc = inspect.getdoc(STRATEGIES.get(name)) or ""
    return doc.splitlines()[0] if doc else ""


__all__ = ["STRATEGIES", "Strategy", "describe", "make_strategy", "rank_key", "strategy_params"]
