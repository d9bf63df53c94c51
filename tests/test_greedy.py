"""Greedy set-function maximisation on synthetic monotone submodular functions."""

from __future__ import annotations

import numpy as np
import pytest

from repro.search.greedy import (
    Budget,
    Problem,
    cost_effective_greedy,
    lazy_cost_effective_greedy,
    marginal_gains,
    random_fill,
    rcas,
    resource_cost,
    violations,
)


def _coverage(seed: int, elements: int = 30, items: int = 40):
    """A weighted coverage function (monotone submodular) and additive params/MAdds costs."""
    rng = np.random.default_rng(seed)
    covers = [frozenset(np.flatnonzero(rng.random(items) < 0.15).tolist()) for _ in range(elements)]
    weight = rng.random(items)
    params = rng.integers(1, 10, elements)
    madds = rng.integers(1, 20, elements)

    def f(selected: frozenset) -> float:
        covered = set().union(*(covers[e] for e in selected)) if selected else set()
        return float(sum(weight[i] for i in covered))

    def resources(selected: frozenset) -> dict[str, float]:
        return {"params": float(sum(params[e] for e in selected)), "madds": float(sum(madds[e] for e in selected))}

    return list(range(elements)), f, resources


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("cost_name", ["unit", "params", "madds"])
def test_lazy_greedy_picks_the_plain_greedy_set_with_fewer_evaluations(seed, cost_name):
    ground, f, resources = _coverage(seed)
    budget = Budget(resources, {"params": 25, "madds": 50})
    kwargs = {} if cost_name == "unit" else {"cost": resource_cost(resources, cost_name)}
    problem = Problem(ground, f, budget)
    plain = cost_effective_greedy(problem, **kwargs)
    lazy = lazy_cost_effective_greedy(problem, **kwargs)
    assert [e for e, _ in lazy.path] == [e for e, _ in plain.path]
    assert lazy.value == plain.value
    assert lazy.evaluations < plain.evaluations
    for result in (plain, lazy):
        assert budget.fits(result.selected)
        assert all(not budget.fits(result.selected | {e}) for e in ground if e not in result.selected)


def test_groups_hold_one_element_and_start_is_kept():
    ground, f, resources = _coverage(1)
    budget = Budget(resources, {"params": 40, "madds": 80})
    group = lambda e: e % 5  # noqa: E731 - five "positions", one element each
    result = lazy_cost_effective_greedy(Problem(ground, f, budget, frozenset([0]), group))
    assert 0 in result.selected
    assert sorted(group(e) for e in result.selected) == sorted({group(e) for e in result.selected})
    assert result.path[0][1] >= f(frozenset([0]))


def test_rcas_returns_the_best_of_three_within_budget():
    ground, f, resources = _coverage(2)
    budget = Budget(resources, {"params": 20, "madds": 30})
    best, results = rcas(Problem(ground, f, budget))
    assert set(results) == {"UC", "APR", "AMR"}
    assert results[best].value == max(r.value for r in results.values())
    assert all(budget.fits(r.selected) for r in results.values())


def test_random_fill_respects_the_budget_and_ends_full():
    ground, f, resources = _coverage(3)
    budget = Budget(resources, {"params": 20, "madds": 30})
    for seed in range(20):
        chain = random_fill(Problem(ground, f, budget), np.random.default_rng(seed))
        assert all(budget.fits(s) for s in chain)
        assert [len(s) for s in chain] == list(range(len(chain)))
        assert all(not budget.fits(chain[-1] | {e}) for e in ground if e not in chain[-1])


def _counting(f):
    calls: set[frozenset] = set()

    def counted(selected: frozenset) -> float:
        calls.add(selected)
        return f(selected)

    return counted, calls


def test_marginal_gains_of_a_plain_greedy_need_no_new_evaluation_and_submodular_f_breaks_nothing():
    ground, f, resources = _coverage(3)
    counted, calls = _counting(f)
    problem = Problem(ground, counted, Budget(resources, {"params": 25, "madds": 50}))
    result = cost_effective_greedy(problem)
    before = set(calls)
    gains = marginal_gains(problem, result)
    assert calls == before
    assert len(gains) == len(result.path) + 1 and gains[-1] == {}
    found = violations(gains)
    assert found.monotonicity == 0 and found.diminishing_returns == 0
    assert found.gains == sum(len(g) for g in gains) and found.pairs > 0


def test_violations_count_negative_gains_and_growing_gains_on_nested_sets():
    gains = [{"a": 0.1, "b": 0.3, "c": -0.1}, {"a": 0.2, "c": 0.0}, {"a": 0.05}]
    found = violations(gains)
    assert (found.monotonicity, found.gains) == (1, 6)
    # pairs: (0,1) a, c; (0,2) a; (1,2) a -> a grows 0.1 -> 0.2 and c grows -0.1 -> 0.0
    assert (found.diminishing_returns, found.pairs) == (2, 4)
