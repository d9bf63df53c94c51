"""The exhaustive counters of repro.submodularity on functions whose properties are known."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from repro.errors import ReproError
from repro.submodularity import (
    digits,
    diminishing_returns,
    monotonicity,
    nested_pairs,
    nested_triples,
    submodularity_ratios,
)


def _coverage(n: int, m: int, seed: int) -> np.ndarray:
    """|union of the items covered by the chosen (position, choice) elements|: monotone and submodular."""
    rng = np.random.default_rng(seed)
    covers = rng.random((n, m + 1, 12)) < 0.3
    covers[:, 0] = False  # an empty position covers nothing
    d = digits(n, m)
    return np.array([np.any(covers[np.arange(n), row], axis=0).sum() for row in d], dtype=float)


@pytest.mark.parametrize(("n", "m"), [(5, 1), (4, 2)])
def test_coverage_is_monotone_and_submodular(n, m):
    values = _coverage(n, m, seed=n)
    assert monotonicity(values, n, m).violations == 0
    dr = diminishing_returns(values, n, m)
    assert dr.violations == 0 and dr.checks > 0
    ratios = submodularity_ratios(values, n, m)
    assert ratios.size > 0 and ratios.min() >= 1 - 1e-12


def test_a_supermodular_function_breaks_every_triple():
    n, m = 4, 2
    size = (digits(n, m) > 0).sum(axis=1).astype(float)
    values = size**2  # Δ(v|S) = 2|S| + 1 grows with S
    dr = diminishing_returns(values, n, m)
    assert dr.violations == dr.checks == nested_triples(n, m).a.size
    assert monotonicity(values, n, m).violations == 0
    assert submodularity_ratios(values, n, m).min() < 1


def test_counts_agree_with_brute_force():
    n, m = 3, 2
    values = np.random.default_rng(0).normal(size=(m + 1) ** n)
    sets = list(itertools.product(range(m + 1), repeat=n))
    index = {s: i for i, s in enumerate(sets)}
    pairs = [(a, b) for a in sets for b in sets if a != b and all(x in (0, y) for x, y in zip(a, b))]
    assert len(pairs) == (2 * m + 1) ** n - (m + 1) ** n == len(nested_pairs(n, m)[0])
    broken = checks = lowered = adds = 0
    for a, b in pairs:
        for p, c in itertools.product(range(n), range(1, m + 1)):
            if b[p] == 0:
                a_v, b_v = a[:p] + (c,) + a[p + 1 :], b[:p] + (c,) + b[p + 1 :]
                checks += 1
                gain_a = values[index[a_v]] - values[index[a]]
                gain_b = values[index[b_v]] - values[index[b]]
                broken += gain_b > gain_a + 1e-9
    for s in sets:
        for p, c in itertools.product(range(n), range(1, m + 1)):
            if s[p] == 0:
                adds += 1
                lowered += values[index[s[:p] + (c,) + s[p + 1 :]]] < values[index[s]] - 1e-9
    dr, mono = diminishing_returns(values, n, m), monotonicity(values, n, m)
    assert (dr.checks, dr.violations) == (checks, broken)
    assert (mono.checks, mono.violations) == (adds, lowered)


def test_wrong_shape_is_named():
    with pytest.raises(ReproError, match="one value per set"):
        monotonicity(np.zeros(10), 3, 2)
