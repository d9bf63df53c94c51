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
    unit_cost,
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


def _accuracy_table(correct: dict[str, int], validation: int = 300):
    """F as the RCAS smoke proxy measures it: correct predictions out of 300 validation images, so values tie often."""
    table = {frozenset(k): n / validation for k, n in correct.items()}

    def f(selected: frozenset) -> float:
        return table[selected]

    def blocks(selected: frozenset) -> dict[str, float]:
        return {"blocks": float(len(selected))}

    return f, blocks


def test_ties_go_to_the_element_first_in_ground_in_both_greedy_variants():
    # Cached accuracies tie (148/300 three times, then 160/300 twice): the first of the tied elements is taken,
    # which is what makes the plain and lazy greedy pick the same network on the shipped RCAS cache.
    f, blocks = _accuracy_table(
        {
            "": 120,
            "a": 148,
            "b": 148,
            "c": 148,
            "ab": 160,
            "ac": 160,
            "bc": 155,
            "abc": 170,
        }
    )
    problem = Problem(["a", "b", "c"], f, Budget(blocks, {"blocks": 2}))
    for greedy in (cost_effective_greedy, lazy_cost_effective_greedy):
        result = greedy(problem)
        assert result.path == [("a", 148 / 300), ("b", 160 / 300)], greedy.__name__
    reordered = Problem(["c", "b", "a"], f, Budget(blocks, {"blocks": 2}))
    assert [e for e, _ in cost_effective_greedy(reordered).path] == ["c", "a"]


def test_a_set_exactly_at_the_budget_fits():
    f, blocks = _accuracy_table({"": 120, "a": 148, "b": 150, "ab": 160})
    budget = Budget(blocks, {"blocks": 2})
    assert budget.fits(frozenset("ab")) and not budget.fits(frozenset("abc"))
    assert cost_effective_greedy(Problem(["a", "b"], f, budget)).selected == frozenset("ab")


def test_elements_are_ranked_by_gain_per_unit_cost():
    # b gains less than a but costs a third as much: 0.1 / 1 beats 0.2 / 3.
    f = {frozenset(): 0.5, frozenset("a"): 0.7, frozenset("b"): 0.6, frozenset("ab"): 0.75}.__getitem__
    params = {"a": 3, "b": 1}

    def resources(selected: frozenset) -> dict[str, float]:
        return {"params": float(sum(params[e] for e in selected)), "madds": 0.0}

    problem = Problem(["a", "b"], f, Budget(resources, {"params": 4}))
    cost = resource_cost(resources, "params")
    for greedy in (cost_effective_greedy, lazy_cost_effective_greedy):
        assert [e for e, _ in greedy(problem, cost).path] == ["b", "a"]
    assert [e for e, _ in cost_effective_greedy(problem).path] == ["a", "b"]  # unit cost: the larger gain first


def test_costs_are_what_the_element_adds():
    _, _, resources = _coverage(4)
    params = resource_cost(resources, "params")
    selected = frozenset([1, 2])
    assert params(3, selected) == resources(selected | {3})["params"] - resources(selected)["params"] > 0
    assert 0 < params(1, selected) <= 1e-12  # already counted: it adds nothing, yet the ratio stays finite
    assert unit_cost(3, selected) == 1.0


def test_rcas_runs_each_cost_on_the_lazy_greedy():
    ground, f, resources = _coverage(2)
    problem = Problem(ground, f, Budget(resources, {"params": 20, "madds": 30}))
    _, results = rcas(problem)
    for name, cost in [
        ("UC", unit_cost),
        ("APR", resource_cost(resources, "params")),
        ("AMR", resource_cost(resources, "madds")),
    ]:
        assert results[name].path == lazy_cost_effective_greedy(problem, cost).path, name
    assert results["APR"].path != results["UC"].path


def test_differences_within_the_tolerance_are_not_violations():
    found = violations([{"a": 0.25, "b": -0.25}, {"a": 0.5}], tolerance=0.25)
    assert (found.monotonicity, found.diminishing_returns, found.pairs) == (0, 0, 1)
    found = violations([{"a": 0.25, "b": -0.5}, {"a": 0.625}], tolerance=0.25)
    assert (found.monotonicity, found.diminishing_returns) == (1, 1)
