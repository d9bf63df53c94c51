"""Known-answer tests for repro.stats."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest

from repro.stats import (
    Band,
    Comparison,
    a12_magnitude,
    best_so_far,
    bootstrap_diff_ci,
    compare,
    curve_band,
    ecdf,
    mann_whitney,
    stochastic_dominance,
    vargha_delaney_a12,
)

# Student-t 97.5% quantiles, from tables, so the band test does not reuse scipy's answer.
T975_DF1 = 12.706204736174707
T975_DF2 = 4.302652729911275

NAN = float("nan")


# --- best_so_far -------------------------------------------------------------------------------


def test_best_so_far_plain() -> None:
    np.testing.assert_array_equal(best_so_far([0.1, 0.3, 0.2, 0.5, 0.4]), [0.1, 0.3, 0.3, 0.5, 0.5])


def test_best_so_far_nans_never_raise_and_leading_nans_stay() -> None:
    got = best_so_far([NAN, NAN, 0.5, NAN, 0.3, 0.7, NAN])
    np.testing.assert_array_equal(got, [NAN, NAN, 0.5, 0.5, 0.5, 0.7, 0.7])


def test_best_so_far_all_nan_and_empty() -> None:
    assert np.isnan(best_so_far([NAN, NAN])).all()
    assert best_so_far([]).shape == (0,)


def test_best_so_far_rejects_2d() -> None:
    with pytest.raises(ValueError, match="1-D"):
        best_so_far(np.zeros((2, 3)))


# --- curve_band --------------------------------------------------------------------------------


def test_band_constant_curves_have_zero_width() -> None:
    curves = np.tile([0.1, 0.5, 0.9], (5, 1))
    band = curve_band(curves)
    np.testing.assert_allclose(band.mean, [0.1, 0.5, 0.9])
    np.testing.assert_allclose(band.lower, band.mean)
    np.testing.assert_allclose(band.upper, band.mean)
    assert band.n == 5


def test_band_hand_checked_t_interval() -> None:
    # Each step: values m-2, m, m+2 -> sd 2, sem 2/sqrt(3), t(0.975, df=2).
    band = curve_band([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    half = T975_DF2 * 2.0 / math.sqrt(3.0)
    np.testing.assert_allclose(band.mean, [3.0, 4.0])
    np.testing.assert_allclose(band.lower, [3.0 - half, 4.0 - half])
    np.testing.assert_allclose(band.upper, [3.0 + half, 4.0 + half])
    assert "95%" in band.method


def test_band_confidence_changes_width() -> None:
    curves = [[1.0], [3.0], [5.0]]
    wide, narrow = curve_band(curves, 0.99), curve_band(curves, 0.5)
    assert (wide.upper - wide.lower)[0] > (narrow.upper - narrow.lower)[0] > 0


def test_band_nan_aware_per_step() -> None:
    curves = [
        [NAN, NAN, 1.0, NAN],
        [NAN, 1.0, 2.0, NAN],
        [NAN, 3.0, NAN, 7.0],
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        band = curve_band(curves)
    # step 0: no finite seed; step 1: {1, 3}; step 2: {1, 2}; step 3: {7} only.
    assert np.isnan(band.mean[0]) and np.isnan(band.lower[0]) and np.isnan(band.upper[0])
    np.testing.assert_allclose(band.mean[1:], [2.0, 1.5, 7.0])
    half1 = T975_DF1 * math.sqrt(2.0) / math.sqrt(2.0)
    half2 = T975_DF1 * math.sqrt(0.5) / math.sqrt(2.0)
    np.testing.assert_allclose(band.lower[1:], [2.0 - half1, 1.5 - half2, 7.0])
    np.testing.assert_allclose(band.upper[1:], [2.0 + half1, 1.5 + half2, 7.0])
    assert band.n == 3


def test_band_is_frozen_and_validates_confidence() -> None:
    band = curve_band([[1.0, 2.0]])
    assert isinstance(band, Band)
    with pytest.raises(dataclasses.FrozenInstanceError):
        band.n = 2  # type: ignore[misc]
    with pytest.raises(ValueError, match="confidence"):
        curve_band([[1.0]], confidence=1.0)


# --- ecdf --------------------------------------------------------------------------------------


def test_ecdf_small_list_with_ties_and_nan() -> None:
    x, p = ecdf([3.0, 1.0, 2.0, NAN, 2.0])
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(p, [0.25, 0.75, 1.0])


def test_ecdf_empty() -> None:
    x, p = ecdf([NAN])
    assert x.size == 0 and p.size == 0


# --- A12 ---------------------------------------------------------------------------------------


def test_a12_identical_samples() -> None:
    assert vargha_delaney_a12([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == pytest.approx(0.5)


def test_a12_fully_separated() -> None:
    assert vargha_delaney_a12([5.0, 6.0, 7.0], [1.0, 2.0]) == pytest.approx(1.0)
    assert vargha_delaney_a12([1.0, 2.0], [5.0, 6.0, 7.0]) == pytest.approx(0.0)


def test_a12_hand_computed_ties() -> None:
    # a=1: 0 wins; a=2: two ties (0.5 each) vs 2,2; a=3: beats 2,2 -> (0 + 1 + 2) / 9.
    assert vargha_delaney_a12([1.0, 2.0, 3.0], [2.0, 2.0, 4.0]) == pytest.approx(1.0 / 3.0)


def test_a12_matches_pairwise_definition_with_many_ties() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 5, size=37).astype(float)
    b = rng.integers(0, 5, size=23).astype(float)
    diff = a[:, None] - b[None, :]
    expected = ((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size
    assert vargha_delaney_a12(a, b) == pytest.approx(expected)
    assert vargha_delaney_a12(b, a) == pytest.approx(1.0 - expected)


def test_a12_drops_nan() -> None:
    assert vargha_delaney_a12([NAN, 5.0], [1.0, NAN]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("value", "label"),
    [(0.5, "negligible"), (0.55, "negligible"), (0.44, "small"), (0.63, "small"),
     (0.64, "medium"), (0.30, "medium"), (0.71, "large"), (0.0, "large")],
)
def test_a12_magnitude_labels(value: float, label: str) -> None:
    assert a12_magnitude(value) == label


# --- Mann-Whitney ------------------------------------------------------------------------------


def test_mann_whitney_u_hand_case() -> None:
    u, p = mann_whitney([1.0, 2.0, 3.0], [2.0, 2.0, 4.0])
    assert u == pytest.approx(3.0)
    assert 0.0 < p <= 1.0


def test_mann_whitney_shifted_vs_identical() -> None:
    rng = np.random.default_rng(42)
    a, b = rng.normal(2.0, 1.0, 30), rng.normal(0.0, 1.0, 30)
    _, p_shift = mann_whitney(a, b)
    assert p_shift < 1e-6
    c, d = rng.normal(0.0, 1.0, 30), rng.normal(0.0, 1.0, 30)
    _, p_same = mann_whitney(c, d)
    assert p_same > 0.2


def test_mann_whitney_one_sided_direction() -> None:
    a, b = [5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0]
    assert mann_whitney(a, b, "greater")[1] < 0.05
    assert mann_whitney(a, b, "less")[1] > 0.9
    with pytest.raises(ValueError, match="alternative"):
        mann_whitney(a, b, "bigger")


# --- bootstrap ---------------------------------------------------------------------------------


def test_bootstrap_covers_true_difference() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.normal(1.0, 1.0, 200), rng.normal(0.0, 1.0, 200)
    est, lo, hi = bootstrap_diff_ci(a, b, rng=np.random.default_rng(1))
    assert est == pytest.approx(a.mean() - b.mean())
    assert lo < 1.0 < hi
    assert lo > 0.0
    # Normal theory: se = sqrt(2/200) = 0.1, so a 95% interval is about 0.39 wide.
    assert 0.3 < hi - lo < 0.5


def test_bootstrap_deterministic() -> None:
    # Continuous samples, so different resamples give different percentiles.
    rng = np.random.default_rng(9)
    a, b = rng.normal(0.9, 0.02, 15), rng.normal(0.88, 0.02, 15)
    first = bootstrap_diff_ci(a, b, rng=np.random.default_rng(5))
    assert bootstrap_diff_ci(a, b, rng=np.random.default_rng(5)) == first
    assert bootstrap_diff_ci(a, b) == bootstrap_diff_ci(a, b)
    assert bootstrap_diff_ci(a, b, rng=np.random.default_rng(6)) != first


def test_bootstrap_median_and_confidence() -> None:
    a, b = [1.0, 2.0, 100.0], [0.0, 1.0, 2.0]
    est, lo, hi = bootstrap_diff_ci(a, b, statistic=np.median, n_resamples=2000)
    assert est == pytest.approx(1.0)
    assert lo <= est <= hi
    _, lo50, hi50 = bootstrap_diff_ci(a, b, confidence=0.5)
    _, lo95, hi95 = bootstrap_diff_ci(a, b, confidence=0.95)
    assert hi50 - lo50 < hi95 - lo95


# --- stochastic dominance ----------------------------------------------------------------------


def test_dominance_statistic_hand_case() -> None:
    # a entirely above b: F_b reaches 1 before F_a leaves 0.
    assert stochastic_dominance([3.0, 4.0], [1.0, 2.0])[0] == pytest.approx(1.0)
    assert stochastic_dominance([1.0, 2.0], [3.0, 4.0])[0] == pytest.approx(0.0)


def test_dominance_direction_on_shifted_normals() -> None:
    rng = np.random.default_rng(11)
    base = rng.normal(0.0, 1.0, 100)
    _, p_up = stochastic_dominance(rng.normal(1.0, 1.0, 100), base)
    _, p_down = stochastic_dominance(rng.normal(-1.0, 1.0, 100), base)
    assert p_up < 1e-3
    assert p_down > 0.5


# --- compare -----------------------------------------------------------------------------------


def test_compare_consistent_with_parts() -> None:
    rng = np.random.default_rng(0)
    a = np.append(rng.normal(0.93, 0.01, 20), NAN)
    b = np.insert(rng.normal(0.92, 0.01, 25), 3, NAN)
    res = compare(a, b, names=("RE", "RS"), rng=np.random.default_rng(2))
    assert isinstance(res, Comparison)
    fa, fb = a[~np.isnan(a)], b[~np.isnan(b)]
    assert (res.n_a, res.n_b) == (20, 25)
    assert res.mean_a == pytest.approx(fa.mean()) and res.mean_b == pytest.approx(fb.mean())
    assert res.median_a == pytest.approx(np.median(fa))
    assert res.median_b == pytest.approx(np.median(fb))
    assert res.a12 == pytest.approx(vargha_delaney_a12(fa, fb))
    assert (res.mw_u, res.mw_p) == pytest.approx(mann_whitney(fa, fb))
    assert res.mw_u == pytest.approx(res.a12 * 20 * 25)
    assert (res.diff, res.diff_lo, res.diff_hi) == pytest.approx(
        bootstrap_diff_ci(fa, fb, rng=np.random.default_rng(2))
    )
    assert (res.ks_stat, res.ks_p) == pytest.approx(stochastic_dominance(fa, fb))
    assert res.names == ("RE", "RS")


def test_compare_markdown() -> None:
    res = compare([5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.5], names=("evo", "random"))
    md = res.to_markdown()
    assert "evo" in md and "random" in md
    assert "A12 = 1.00 (large)" in md
    assert "| n | 4 | 4 |" in md


def test_compare_empty_raises() -> None:
    with pytest.raises(ValueError, match="no non-NaN values"):
        compare([NAN, NAN], [1.0])
    with pytest.raises(ValueError, match="B"):
        compare([1.0], [])


def test_holm_adjusts_in_order_and_keeps_nan():
    from repro.stats import holm

    adjusted = holm([0.01, 0.04, 0.03, float("nan"), 0.005])
    np.testing.assert_allclose(adjusted[[0, 1, 2, 4]], [0.03, 0.06, 0.06, 0.02])
    assert np.isnan(adjusted[3])
    assert holm([0.5, 0.9]).tolist() == [1.0, 1.0]
