"""Cost-effective greedy maximisation of a set function under resource budgets (RCAS, ICCV 2019, Alg. 1-3).

Pure functions over a set function ``f(S) -> float`` on frozensets of hashable elements, so they
run on synthetic functions in tests and on cache-backed accuracies in papers/rcas alike.

- :func:`cost_effective_greedy` (Alg. 1): each step evaluates every eligible element and adds the
  one with the largest marginal gain per unit cost.
- :func:`lazy_cost_effective_greedy` (Alg. 2): the same choices, found with a priority queue of
  stale gain/cost ratios. For a submodular ``f`` and costs that do not fall as ``S`` grows, a
  stale ratio bounds the fresh one from above, so an element whose ratio is fresh at the top of
  the queue is the plain greedy's choice; only the elements that reach the top are re-evaluated.
- :func:`rcas` (Alg. 3): the lazy greedy with unit cost (UC), params (APR) and MAdds (AMR) as
  the cost; the best of the three final sets wins.

Ties go to the element that comes first in ``ground``, in both greedy variants, so they agree
exactly. An element is eligible while it is not chosen, its ``group`` (e.g. a network position,
which holds one block) is still free, and adding it keeps every resource within its limit.
Resources never shrink as S grows, so an element that has become ineligible stays so.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Element = Hashable
Set = frozenset
SetFunction = Callable[[frozenset], float]
Cost = Callable[[Any, frozenset], float]
"""The cost of adding an element to a set (marginal, so costs that depend on context work too)."""


@dataclass(frozen=True)
class Budget:
    """Resource limits: ``resources(S)`` gives e.g. ``{"params": ..., "madds": ...}``; each must stay <= its limit."""

    resources: Callable[[frozenset], Mapping[str, float]]
    limits: Mapping[str, float]

    def fits(self, selected: frozenset) -> bool:
        """Whether ``selected`` respects every limit."""
        used = self.resources(selected)
        return all(used[name] <= limit for name, limit in self.limits.items())


@dataclass
class GreedyResult:
    """The chosen set, the additions in order with f after each, and the distinct sets f was asked about."""

    selected: frozenset
    path: list[tuple[Any, float]]
    value: float
    evaluated: set[frozenset] = field(default_factory=set)

    @property
    def evaluations(self) -> int:
        """How many distinct sets were evaluated (each one is a network trained, unless cached)."""
        return len(self.evaluated)


class _Recorder:
    """Calls ``f`` and remembers which sets were asked for (f itself may be memoised or a cache)."""

    def __init__(self, f: SetFunction) -> None:
        self.f = f
        self.evaluated: set[frozenset] = set()

    def __call__(self, selected: frozenset) -> float:
        self.evaluated.add(selected)
        return self.f(selected)


def unit_cost(_element: Any, _selected: frozenset) -> float:
    """UC: every element costs 1."""
    return 1.0


def resource_cost(resources: Callable[[frozenset], Mapping[str, float]], name: str) -> Cost:
    """APR / AMR: what adding the element adds to resource ``name`` (at least a tiny positive amount)."""

    def cost(element: Any, selected: frozenset) -> float:
        added = resources(selected | {element})[name] - resources(selected)[name]
        return max(float(added), 1e-12)

    return cost


def _eligible(
    element: Any, selected: frozenset, budget: Budget, group: Callable[[Any], Hashable] | None
) -> bool:
    if element in selected:
        return False
    if group is not None and group(element) in {group(e) for e in selected}:
        return False
    return budget.fits(selected | {element})


def cost_effective_greedy(
    ground: Sequence[Any],
    f: SetFunction,
    budget: Budget,
    cost: Cost = unit_cost,
    start: Iterable[Any] = (),
    group: Callable[[Any], Hashable] | None = None,
) -> GreedyResult:
    """Alg. 1: add the eligible element of largest ``(f(S + v) - f(S)) / cost(v, S)`` until none is eligible."""
    record = _Recorder(f)
    selected = frozenset(start)
    value = record(selected)
    path: list[tuple[Any, float]] = []
    while True:
        best: tuple[float, Any, float] | None = None
        for element in ground:
            if not _eligible(element, selected, budget, group):
                continue
            new = record(selected | {element})
            ratio = (new - value) / cost(element, selected)
            if best is None or ratio > best[0]:
                best = (ratio, element, new)
        if best is None:
            return GreedyResult(selected, path, value, record.evaluated)
        _, element, value = best
        selected = selected | {element}
        path.append((element, value))


def lazy_cost_effective_greedy(
    ground: Sequence[Any],
    f: SetFunction,
    budget: Budget,
    cost: Cost = unit_cost,
    start: Iterable[Any] = (),
    group: Callable[[Any], Hashable] | None = None,
) -> GreedyResult:
    """Alg. 2: the choices of :func:`cost_effective_greedy`, re-evaluating only what reaches the top of the queue."""
    record = _Recorder(f)
    selected = frozenset(start)
    value = record(selected)
    path: list[tuple[Any, float]] = []
    additions = 0  # an entry is fresh when computed after the latest addition
    queue: list[tuple[float, int, int]] = []
    for index, element in enumerate(ground):
        if _eligible(element, selected, budget, group):
            ratio = (record(selected | {element}) - value) / cost(element, selected)
            queue.append((-ratio, index, additions))
    heapq.heapify(queue)
    while queue:
        _, index, stamp = heapq.heappop(queue)
        element = ground[index]
        if not _eligible(element, selected, budget, group):
            continue  # ineligible for good: S only grows
        if stamp == additions:
            selected = selected | {element}
            value = record(selected)
            path.append((element, value))
            additions += 1
            continue
        ratio = (record(selected | {element}) - value) / cost(element, selected)
        heapq.heappush(queue, (-ratio, index, additions))
    return GreedyResult(selected, path, value, record.evaluated)


def rcas(
    ground: Sequence[Any],
    f: SetFunction,
    budget: Budget,
    start: Iterable[Any] = (),
    group: Callable[[Any], Hashable] | None = None,
) -> tuple[str, dict[str, GreedyResult]]:
    """Alg. 3: lazy greedy under UC, APR (cost = params) and AMR (cost = MAdds); the name of the best and all three.

    ``budget.resources`` must report ``params`` and ``madds``.
    """
    costs: dict[str, Cost] = {
        "UC": unit_cost,
        "APR": resource_cost(budget.resources, "params"),
        "AMR": resource_cost(budget.resources, "madds"),
    }
    start = frozenset(start)
    results = {name: lazy_cost_effective_greedy(ground, f, budget, c, start, group) for name, c in costs.items()}
    best = max(results, key=lambda name: results[name].value)  # first of equals: UC, APR, AMR
    return best, results


def random_fill(
    ground: Sequence[Any],
    budget: Budget,
    rng: np.random.Generator,
    start: Iterable[Any] = (),
    group: Callable[[Any], Hashable] | None = None,
) -> list[frozenset]:
    """Random block additions (Section 4.3): uniform eligible elements until none fits; the chain of sets."""
    chain = [frozenset(start)]
    while True:
        options = [e for e in ground if _eligible(e, chain[-1], budget, group)]
        if not options:
            return chain
        chain.append(chain[-1] | {options[int(rng.integers(len(options)))]})
