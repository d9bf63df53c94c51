"""Known-answer tests for repro.stats."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
from scipy import stats as scipy_stats

from repro.stats import (
    Band,
    Comparison,
    a12_magnitude,
    best_so_far,
    bootstrap_diff_ci,
    can_decide,
    compare,
    curve_band,
    ecdf,
    holm,
    mann_whitney,
    smallest_p,
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
    with pytest.raises(ValueError, match="confidence"):
        curve_band([[1.0]], confidence=0.0)
    with pytest.raises(ValueError, match=r"curves must be 2-D \(seeds x steps\), got shape \(2, 2, 2\)"):
        curve_band(np.zeros((2, 2, 2)))


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
    [
        (0.5, "negligible"),
        (0.55, "negligible"),
        (0.44, "small"),
        (0.63, "small"),
        (0.64, "medium"),
        (0.30, "medium"),
        (0.71, "large"),
        (0.0, "large"),
    ],
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


# Final accuracies of 15 seeds per strategy (four decimals, as the cache reports them).
BOOT_A = [
    0.8839,
    0.9049,
    0.8669,
    0.9131,
    0.9229,
    0.8909,
    0.9086,
    0.905,
    0.8921,
    0.8828,
    0.8593,
    0.9282,
    0.899,
    0.9504,
    0.9165,
]
BOOT_B = [
    0.8856,
    0.8669,
    0.9078,
    0.8699,
    0.9114,
    0.872,
    0.8837,
    0.8495,
    0.9269,
    0.8781,
    0.8723,
    0.8962,
    0.8622,
    0.8954,
    0.8566,
]


def test_bootstrap_defaults_and_resample_count() -> None:
    assert bootstrap_diff_ci(BOOT_A, BOOT_B) == bootstrap_diff_ci(
        BOOT_A, BOOT_B, n_resamples=10000, confidence=0.95, rng=np.random.default_rng(0)
    )
    est, lo, hi = bootstrap_diff_ci(BOOT_A, BOOT_B, n_resamples=1)
    assert lo == hi != est  # one resample: a point, not the estimate
    with pytest.raises(ValueError, match="n_resamples must be >= 1, got 0"):
        bootstrap_diff_ci(BOOT_A, BOOT_B, n_resamples=0)
    with pytest.raises(ValueError, match="confidence must be strictly between 0 and 1, got 0.0"):
        bootstrap_diff_ci(BOOT_A, BOOT_B, confidence=0.0)


@pytest.mark.parametrize("confidence", [0.95, 0.5])
def test_bootstrap_interval_is_scipys_percentile_interval(confidence: float) -> None:
    # scipy resamples the first sample, then the second, from the generator it is given, as we do: with the same
    # seed both draw the same resamples, so the percentile intervals agree to rounding.
    def diff(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    ref = scipy_stats.bootstrap(
        (BOOT_A, BOOT_B),
        diff,
        paired=False,
        vectorized=True,
        method="percentile",
        confidence_level=confidence,
        n_resamples=5000,
        random_state=np.random.default_rng(3),
    )
    est, lo, hi = bootstrap_diff_ci(
        BOOT_A, BOOT_B, n_resamples=5000, confidence=confidence, rng=np.random.default_rng(3)
    )
    assert est == pytest.approx(np.mean(BOOT_A) - np.mean(BOOT_B), abs=1e-15)
    assert (lo, hi) == pytest.approx(tuple(ref.confidence_interval), abs=1e-12)


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
    assert "A12 = 1.00 (large)" in md and "| n | 4 | 4 |" in md
    table = Comparison(
        n_a=4,
        n_b=5,
        mean_a=0.91234,
        mean_b=0.9,
        median_a=0.915,
        median_b=0.8999,
        a12=0.7,
        mw_u=12.5,
        mw_p=0.0412345,
        diff=0.01234,
        diff_lo=-0.00123,
        diff_hi=0.0256,
        ks_stat=0.55,
        ks_p=0.123456,
        names=("re", "rs"),
    )
    assert table.to_markdown() == (
        "| | re | rs |\n|---|---:|---:|\n| n | 4 | 5 |\n| mean | 0.9123 | 0.9 |\n| median | 0.915 | 0.8999 |\n\n"
        "- Mean difference (re - rs) = 0.01234, 95% bootstrap CI [-0.00123, 0.0256]\n"
        "- A12 = 0.70 (medium): probability that a value drawn from re exceeds one drawn from rs (ties count half)\n"
        "- Mann-Whitney U = 12.5, p = 0.0412 (two-sided)\n"
        "- KS dominance of re over rs: D = 0.55, p = 0.123"
    )


def test_compare_empty_raises() -> None:
    with pytest.raises(ValueError, match="no non-NaN values"):
        compare([NAN, NAN], [1.0])
    with pytest.raises(ValueError, match="sample re has"):
        compare([NAN], [1.0], names=("re", "rs"))
    with pytest.raises(ValueError, match="sample rs has"):
        compare([1.0], [NAN], names=("re", "rs"))


@pytest.mark.parametrize("test", [vargha_delaney_a12, mann_whitney, bootstrap_diff_ci, stochastic_dominance])
def test_two_sample_errors_name_the_empty_sample(test) -> None:
    with pytest.raises(ValueError, match="^sample a has no non-NaN values"):
        test([NAN], [1.0, 2.0])
    with pytest.raises(ValueError, match="^sample b has no non-NaN values"):
        test([1.0, 2.0], [NAN, NAN])


def test_none_counts_as_invalid_like_nan() -> None:
    # A SQL NULL (a missing accuracy) reads as None; every function treats it as NaN.
    with_none, with_nan = [0.5, None, 0.75, 0.25], [0.5, NAN, 0.75, 0.25]
    np.testing.assert_array_equal(best_so_far(with_none), best_so_far(with_nan))
    np.testing.assert_array_equal(best_so_far([None, 0.5]), [NAN, 0.5])
    np.testing.assert_array_equal(curve_band([with_none, with_nan]).mean, curve_band([with_nan, with_nan]).mean)
    np.testing.assert_array_equal(ecdf(with_none)[0], [0.25, 0.5, 0.75])
    assert compare(with_none, [0.1, 0.2]) == compare(with_nan, [0.1, 0.2])
    np.testing.assert_array_equal(holm([0.01, None]), [0.01, NAN])
    with pytest.raises(ValueError, match="B"):
        compare([1.0], [])


def test_holm_adjusts_in_order_and_keeps_nan():
    adjusted = holm([0.01, 0.04, 0.03, float("nan"), 0.005])
    np.testing.assert_allclose(adjusted[[0, 1, 2, 4]], [0.03, 0.06, 0.06, 0.02])
    assert np.isnan(adjusted[3])
    assert holm([0.6, 0.7]).tolist() == [1.0, 1.0]  # 0.6 x 2 = 1.2, and 0.7 raised to it: both capped


def test_a_comparison_too_small_for_any_test_says_it_cannot_decide():
    # Exact two-sided Mann-Whitney: the most extreme outcome has p = 2 / C(n_a + n_b, n_a).
    assert smallest_p(1, 1) == 1.0 and smallest_p(3, 3) == pytest.approx(0.1)
    assert smallest_p(4, 4) == pytest.approx(2 / 70) and smallest_p(0, 5) == 1.0
    assert not can_decide(3, 3) and can_decide(4, 4) and not can_decide(1, 20)
    one = compare([10.15], [9.85], names=("GDAS", "random"))
    assert one.verdict() == ("cannot decide", "1 run(s) against 1: too few for a test (the smallest possible p is 1)")
    text = one.to_markdown()
    assert "**Cannot decide**" in text and "Mann-Whitney" in text and "U =" not in text and "KS" not in text
    apart = compare([5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0])
    assert apart.verdict()[0] == "yes" and "U =" in apart.to_markdown()
    assert compare([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]).verdict()[0] == "no"
