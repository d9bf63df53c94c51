"""Search strategies, looked up by name: ``make_strategy("re", space, rng, population_size=20)``."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from repro.errors import ReproError
from repro.spaces.base import SearchSpace
from repro.strategies.base import STRATEGIES, Strategy, rank_key
from repro.strategies.evolution import RandomMutationSearch, RegularizedEvolution
from repro.strategies.local_search import LocalSearch
from repro.strategies.one_plus_one import OnePlusOne
from repro.strategies.random_search import RandomSearch
from repro.strategies.reinforce import Reinforce

STRATEGIES.register("re", RegularizedEvolution)
STRATEGIES.register("rs", RandomSearch)
STRATEGIES.register("rs-mutation", RandomMutationSearch)
STRATEGIES.register("ls", LocalSearch)
STRATEGIES.register("es11", OnePlusOne)
STRATEGIES.register("reinforce", Reinforce)


def make_strategy(
    name: str, space: SearchSpace[Any], rng: np.random.Generator, strict: bool = True, **params: Any
) -> Strategy:
    """Build the registered strategy ``name``; ``None`` parameters mean "the strategy's default".

    A parameter the strategy does not take is an error, or with ``strict=False`` is left out (for
    callers that run several strategies under one protocol).
    """
    factory = STRATEGIES.get(name)
    given = {k: v for k, v in params.items() if v is not None}
    accepted = set(inspect.signature(factory).parameters) - {"space", "rng"}
    unknown = sorted(set(given) - accepted)
    if not strict:
        given = {k: v for k, v in given.items() if k in accepted}
    elif unknown:
        takes = ", ".join(sorted(accepted)) or "no parameters"
        raise ReproError(f"strategy {name!r} does not take {', '.join(unknown)} (it takes {takes})")
    return factory(space, rng, **given)


def describe(name: str) -> str:
    """The first line of a strategy's docstring."""
    doc = inspect.getdoc(STRATEGIES.get(name)) or ""
    return doc.splitlines()[0] if doc else ""


__all__ = ["STRATEGIES", "Strategy", "describe", "make_strategy", "rank_key"]
