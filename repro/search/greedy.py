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
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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


@dataclass(frozen=True)
class Problem:
    """Maximise ``f`` over supersets of ``start`` drawn from ``ground`` within ``budget``, one element per ``group``."""

    ground: Sequence[Any]
    f: SetFunction
    budget: Budget
    start: frozenset = frozenset()
    group: Callable[[Any], Hashable] | None = None

    def eligible(self, element: Any, selected: frozenset) -> bool:
        """Whether ``element`` may be added to ``selected``."""
        if element in selected:
            return False
        if self.group is not None and self.group(element) in {self.group(e) for e in selected}:
            return False
        return self.budget.fits(selected | {element})


class _Search:
    """The state both greedy variants share: the set so far, its value, the path, every set evaluated."""

    def __init__(self, problem: Problem, cost: Cost) -> None:
        self.problem = problem
        self.cost = cost
        self.evaluated: set[frozenset] = set()
        self.selected = problem.start
        self.value = self.f(self.selected)
        self.path: list[tuple[Any, float]] = []

    def f(self, selected: frozenset) -> float:
        self.evaluated.add(selected)
        return self.problem.f(selected)

    def ratio(self, element: Any) -> float:
        """Marginal gain per unit cost of adding ``element`` now."""
        return (self.f(self.selected | {element}) - self.value) / self.cost(element, self.selected)

    def add(self, element: Any) -> None:
        self.selected = self.selected | {element}
        self.value = self.f(self.selected)
        self.path.append((element, self.value))

    def result(self) -> GreedyResult:
        return GreedyResult(self.selected, self.path, self.value, self.evaluated)


def unit_cost(_element: Any, _selected: frozenset) -> float:
    """UC: every element costs 1."""
    return 1.0


def resource_cost(resources: Callable[[frozenset], Mapping[str, float]], name: str) -> Cost:
    """APR / AMR: what adding the element adds to resource ``name`` (at least a tiny positive amount)."""

    def cost(element: Any, selected: frozenset) -> float:
        added = resources(selected | {element})[name] - resources(selected)[name]
        return max(float(added), 1e-12)

    return cost


def cost_effective_greedy(problem: Problem, cost: Cost = unit_cost) -> GreedyResult:
    """Alg. 1: add the eligible element of largest ``(f(S + v) - f(S)) / cost(v, S)`` until none is eligible."""
    search = _Search(problem, cost)
    while True:
        best: tuple[float, Any] | None = None
        for element in problem.ground:
            if problem.eligible(element, search.selected):
                ratio = search.ratio(element)
                if best is None or ratio > best[0]:
                    best = (ratio, element)
        if best is None:
            return search.result()
        search.add(best[1])


def lazy_cost_effective_greedy(problem: Problem, cost: Cost = unit_cost) -> GreedyResult:
    """Alg. 2: the choices of :func:`cost_effective_greedy`, re-evaluating only what reaches the top of the queue."""
    search = _Search(problem, cost)
    ground = problem.ground
    queue = [(-search.ratio(e), i, 0) for i, e in enumerate(ground) if problem.eligible(e, search.selected)]
    heapq.heapify(queue)
    while queue:
        _, index, stamp = heapq.heappop(queue)
        if not problem.eligible(ground[index], search.selected):
            continue  # ineligible for good: S only grows
        if stamp == len(search.path):  # fresh: computed after the latest addition
            search.add(ground[index])
        else:
            heapq.heappush(queue, (-search.ratio(ground[index]), index, len(search.path)))
    return search.result()


def rcas_costs(resources: Callable[[frozenset], Mapping[str, float]]) -> dict[str, Cost]:
    """Alg. 3's three costs: UC, APR (the ``params`` added) and AMR (the ``madds`` added)."""
    return {"UC": unit_cost, "APR": resource_cost(resources, "params"), "AMR": resource_cost(resources, "madds")}


def rcas(problem: Problem) -> tuple[str, dict[str, GreedyResult]]:
    """Alg. 3: lazy greedy under UC, APR (cost = params) and AMR (cost = MAdds); the name of the best and all three.

    ``problem.budget.resources`` must report ``params`` and ``madds``.
    """
    results = {name: lazy_cost_effective_greedy(problem, c) for name, c in rcas_costs(problem.budget.resources).items()}
    best = max(results, key=lambda name: results[name].value)  # first of equals: UC, APR, AMR
    return best, results


def marginal_gains(problem: Problem, result: GreedyResult) -> list[dict[Any, float]]:
    """``F(S_k + v) - F(S_k)`` for every ``v`` eligible at every prefix ``S_k`` of ``result``'s path.

    On a plain greedy's result every set asked about here was already evaluated by the search (each
    step scores every eligible element), so with a cached ``f`` this costs no new evaluation.
    """
    gains, selected = [], problem.start
    for element, _ in [*result.path, (None, None)]:
        base = problem.f(selected)
        gains.append({v: problem.f(selected | {v}) - base for v in problem.ground if problem.eligible(v, selected)})
        if element is not None:
            selected = selected | {element}
    return gains


@dataclass(frozen=True)
class Violations:
    """How often measured marginal gains break the two properties the greedy guarantees rest on."""

    monotonicity: int
    """Gains below zero (adding the element lowered F)."""
    gains: int
    diminishing_returns: int
    """Pairs ``S_i ⊂ S_j`` (i < j) and an element eligible at both whose gain at the larger set is larger."""
    pairs: int


def violations(gains: Sequence[Mapping[Any, float]], tolerance: float = 1e-9) -> Violations:
    """Count monotonicity and diminishing-returns violations in the gains of nested sets (:func:`marginal_gains`).

    Differences within ``tolerance`` are ties: equal gains summed in another order differ in the last bits.
    """
    negative = sum(g < -tolerance for step in gains for g in step.values())
    broken = pairs = 0
    for i, early in enumerate(gains):
        for late in gains[i + 1 :]:
            for element, gain in late.items():
                if element in early:
                    pairs += 1
                    broken += gain > early[element] + tolerance
    return Violations(negative, sum(len(step) for step in gains), broken, pairs)


def random_fill(problem: Problem, rng: np.random.Generator) -> list[frozenset]:
    """Random block additions (Section 4.3): uniform eligible elements until none fits; the chain of sets (f unused)."""
    chain = [problem.start]
    while True:
        options = [e for e in problem.ground if problem.eligible(e, chain[-1])]
        if not options:
            return chain
        chain.append(chain[-1] | {options[int(rng.integers(len(options)))]})
