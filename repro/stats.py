"""Statistics for comparing two NAS search strategies run over several seeds.

Typical use: each strategy (e.g. regularized evolution vs random search) is run with N seeds and
yields one final accuracy per seed, plus a per-step trajectory of validation accuracies.

* `best_so_far` / `curve_band` summarise trajectories (mean best-so-far curve with a t-interval).
* `ecdf` gives the empirical distribution of final results for plotting.
* `vargha_delaney_a12`, `mann_whitney`, `bootstrap_diff_ci` and `stochastic_dominance` compare two
  samples of final results; `compare` runs them all and renders a Markdown summary.

NaN marks an invalid architecture (it has no accuracy); None, as a SQL NULL reads, counts as NaN.
Trajectory functions treat it as "no improvement"; the two-sample functions drop it before testing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import comb

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "Band",
    "Comparison",
    "Dominance",
    "a12_magnitude",
    "best_so_far",
    "bootstrap_diff_ci",
    "can_decide",
    "compare",
    "curve_band",
    "ecdf",
    "first_order_dominance",
    "holm",
    "mann_whitney",
    "smallest_p",
    "stochastic_dominance",
    "vargha_delaney_a12",
]

_ALTERNATIVES = ("two-sided", "less", "greater")


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")


def _sample(values: ArrayLike, label: str) -> np.ndarray:
    """Flatten to float and drop NaNs; an empty result cannot be tested, so it is an error."""
    arr = np.asarray(values, dtype=float).ravel()
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        raise ValueError(f"sample {label} has no non-NaN values; every run needs at least one valid result")
    return arr


def best_so_far(values: Sequence[float]) -> np.ndarray:
    """Running maximum of a search trajectory.

    Args:
        values: Per-step objective values (e.g. validation accuracy); NaN marks an invalid
            architecture.

    Returns:
        Float array of the same length: entry i is the best finite value among values[:i+1].
        NaNs never raise the best; entries before the first non-NaN value are NaN, because no
        valid architecture has been seen yet.
    """
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"best_so_far expects a 1-D trajectory, got shape {arr.shape}")
    missing = np.isnan(arr)
    running = np.maximum.accumulate(np.where(missing, -np.inf, arr))
    # Only the prefix before any valid value is undefined; a genuine -inf later stays -inf.
    seen = np.logical_or.accumulate(~missing)
    running[~seen] = np.nan
    return running


@dataclass(frozen=True)
class Band:
    """Per-step mean of best-so-far curves across seeds with a confidence band.

    Attributes:
        mean: Mean over the seeds with a finite value at each step (NaN if none).
        lower: Lower band edge; equals `mean` where fewer than 2 seeds are finite.
        upper: Upper band edge; equals `mean` where fewer than 2 seeds are finite.
        n: Number of seeds (rows) given; per-step counts may be smaller where values are NaN.
        method: Human-readable description of the interval, for plot legends and reports.
    """

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n: int
    method: str


def curve_band(curves: ArrayLike, confidence: float = 0.95) -> Band:
    """Student-t confidence interval of the mean best-so-far curve across seeds.

    Args:
        curves: Array of shape (seeds, steps); a 1-D array is taken as a single seed.
        confidence: Two-sided coverage of the interval, in (0, 1).

    Returns:
        A `Band`. At each step only seeds with a finite value are used (a seed may not have
        found a valid architecture yet), so the t quantile uses that step's own degrees of
        freedom.
    """
    _check_confidence(confidence)
    data = np.atleast_2d(np.asarray(curves, dtype=float))
    if data.ndim != 2:
        raise ValueError(f"curves must be 2-D (seeds x steps), got shape {data.shape}")
    finite = np.isfinite(data)
    k = finite.sum(axis=0)
    filled = np.where(finite, data, 0.0)
    # Explicit sums instead of nanmean/nanstd: all-NaN steps are expected early in a search and
    # should give NaN silently rather than RuntimeWarnings.
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(k > 0, filled.sum(axis=0) / k, np.nan)
        sq = np.where(finite, (data - mean) ** 2, 0.0).sum(axis=0)
        sem = np.sqrt(sq / (k - 1)) / np.sqrt(k)
    has_spread = k >= 2
    half = np.zeros_like(mean)
    quantile = stats.t.ppf(0.5 + confidence / 2.0, k[has_spread] - 1)
    half[has_spread] = quantile * sem[has_spread]
    return Band(
        mean=mean,
        lower=mean - half,
        upper=mean + half,
        n=int(data.shape[0]),
        method=f"Student-t {confidence:.0%} CI of the mean across seeds",
    )


def ecdf(values: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Empirical cumulative distribution function of the finite values.

    Args:
        values: Sample; non-finite entries (invalid architectures) are ignored.

    Returns:
        (x, p): the distinct finite values in increasing order and p[i] = fraction of values
        <= x[i], i.e. the right-continuous ECDF at its jump points; p[-1] == 1.0. Ties are
        merged so each jump appears once. Both arrays are empty if no value is finite.
    """
    arr = np.asarray(values, dtype=float).ravel()
    arr = arr[np.isfinite(arr)]
    x, counts = np.unique(arr, return_counts=True)
    return x, np.cumsum(counts) / arr.size


def vargha_delaney_a12(a: ArrayLike, b: ArrayLike) -> float:
    """Vargha-Delaney A12 effect size: P(X > Y) + 0.5 * P(X == Y), X from a, Y from b.

    Computed from the rank sum of `a` in the pooled sample (midranks for ties), which is
    O(n log n) and equals U_a / (n_a * n_b). NaNs are dropped.
    """
    xa, xb = _sample(a, "a"), _sample(b, "b")
    m, n = xa.size, xb.size
    rank_sum = stats.rankdata(np.concatenate([xa, xb]))[:m].sum()
    return float((rank_sum / m - (m + 1) / 2.0) / n)


def a12_magnitude(a12: float) -> str:
    """Vargha-Delaney magnitude label of an A12 value, symmetric around 0.5.

    Thresholds on max(A12, 1 - A12): negligible < 0.56, small < 0.64, medium < 0.71, else large.
    """
    effect = max(a12, 1.0 - a12)
    if effect < 0.56:
        return "negligible"
    if effect < 0.64:
        return "small"
    if effect < 0.71:
        return "medium"
    return "large"


def mann_whitney(a: ArrayLike, b: ArrayLike, alternative: str = "two-sided") -> tuple[float, float]:
    """Mann-Whitney U test via `scipy.stats.mannwhitneyu`.

    Args:
        a, b: Samples; NaNs are dropped.
        alternative: "two-sided", "greater" (a tends to be larger) or "less".

    Returns:
        (U statistic of `a`, p-value). U_a / (n_a * n_b) is the A12 effect size.
    """
    if alternative not in _ALTERNATIVES:
        raise ValueError(f"alternative must be one of {_ALTERNATIVES}, got {alternative!r}")
    res = stats.mannwhitneyu(_sample(a, "a"), _sample(b, "b"), alternative=alternative)
    return float(res.statistic), float(res.pvalue)


ALPHA = 0.05
"""The significance level every "does A beat B" verdict of the reports uses."""


def smallest_p(n_a: int, n_b: int) -> float:
    """The smallest two-sided Mann-Whitney p that samples of these sizes can reach: 2 / C(n_a + n_b, n_a), when one
    sample lies wholly above the other (exact test, no ties); 1 when a sample is empty."""
    if n_a < 1 or n_b < 1:
        return 1.0
    return min(1.0, 2.0 / float(comb(n_a + n_b, n_a)))


def can_decide(n_a: int, n_b: int, alpha: float = ALPHA) -> bool:
    """Whether a Mann-Whitney test of samples this size could ever come out significant at ``alpha`` (with 1 run
    against 1, or 3 against 3, no outcome can: the verdict must then be "cannot decide", not "no")."""
    return smallest_p(n_a, n_b) < alpha


def holm(pvalues: ArrayLike) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (family-wise error control for several tests at once).

    The i-th smallest of m p-values is multiplied by (m - i), then made non-decreasing in that
    order and capped at 1; reject where the adjusted value is below alpha. NaN stays NaN and
    does not count as a test.
    """
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full_like(p, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    m = order.size
    scaled = p[order] * (m - np.arange(m))
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def bootstrap_diff_ci(
    a: ArrayLike,
    b: ArrayLike,
    statistic: Callable[..., np.ndarray] = np.mean,
    n_resamples: int = 10000,
    confidence: float = 0.95,
    rng: np.random.Generator | None = None,
) -> tuple[float, float, float]:
    """Percentile bootstrap CI of statistic(a) - statistic(b).

    The two samples are resampled independently (different seeds of different strategies are
    unpaired), all resamples at once.

    Args:
        a, b: Samples; NaNs are dropped.
        statistic: Reduction called as statistic(x, axis=-1), e.g. numpy.mean or numpy.median.
        n_resamples: Number of bootstrap resamples.
        confidence: Two-sided coverage of the interval, in (0, 1).
        rng: Source of randomness; None uses numpy.random.default_rng(0) so that reports are
            reproducible run to run.

    Returns:
        (point estimate, lower, upper).
    """
    _check_confidence(confidence)
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    xa, xb = _sample(a, "a"), _sample(b, "b")
    gen = np.random.default_rng(0) if rng is None else rng
    estimate = float(statistic(xa, axis=-1) - statistic(xb, axis=-1))
    boot_a = statistic(xa[gen.integers(0, xa.size, size=(n_resamples, xa.size))], axis=-1)
    boot_b = statistic(xb[gen.integers(0, xb.size, size=(n_resamples, xb.size))], axis=-1)
    alpha = 1.0 - confidence
    lo, hi = np.quantile(boot_a - boot_b, [alpha / 2.0, 1.0 - alpha / 2.0])
    return estimate, float(lo), float(hi)


def stochastic_dominance(a: ArrayLike, b: ArrayLike) -> tuple[float, float]:
    """One-sided two-sample Kolmogorov-Smirnov test that `a` is stochastically larger than `b`.

    H0: F_a(x) >= F_b(x) for all x (a is not stochastically larger);
    H1: F_a(x) < F_b(x) for some x, i.e. a's ECDF lies below b's, so a puts more mass on
    higher values. In scipy's convention this is ``ks_2samp(a, b, alternative="less")``: the
    alternative names how the CDF of the *first* sample compares to the second's, which is the
    reverse of how the values compare.

    Returns:
        (statistic, p-value), where statistic = max_x (F_b(x) - F_a(x)) clipped at 0.
        NaNs are dropped.
    """
    res = stats.ks_2samp(_sample(a, "a"), _sample(b, "b"), alternative="less")
    return float(res.statistic), float(res.pvalue)


@dataclass(frozen=True)
class Dominance:
    """Whether sample ``a`` first-order stochastically dominates ``b`` (see :func:`first_order_dominance`)."""

    holds: bool
    p_larger: float
    """One-sided KS p that ``a`` is stochastically larger somewhere (small: a strict difference is shown)."""
    p_crossing: float
    """One-sided KS p that ``b`` is stochastically larger somewhere (small: the ECDFs cross, no dominance)."""
    max_violation: float
    """max_x (F_a(x) - F_b(x)) clipped at 0: how far a's ECDF rises above b's anywhere (0: dominance in-sample)."""
    alpha: float = 0.05

    def describe(self) -> str:
        """One line with both tests and the in-sample violation."""
        return (
            f"{'dominates' if self.holds else 'no dominance shown'}: a larger somewhere p = {self.p_larger:.3g}, "
            f"ECDFs cross p = {self.p_crossing:.3g} (alpha {self.alpha}), largest ECDF violation {self.max_violation:.3f}"
        )


def first_order_dominance(a: ArrayLike, b: ArrayLike, alpha: float = 0.05) -> Dominance:
    """Test first-order stochastic dominance of ``a`` over ``b`` (F_a(x) <= F_b(x) for every x, strictly somewhere).

    A one-sided KS difference alone shows only that a is larger *somewhere*; dominance also needs that b is
    larger *nowhere*. So it holds when the one-sided test for a's side rejects at ``alpha`` and the one-sided
    test for b's side does not (a dominance null in the manner of McFadden 1989 and Barrett & Donald 2003, with
    the KS statistic): the ECDFs may touch within sampling noise but must not cross significantly. NaNs are
    dropped; a caller that scores invalid results (e.g. as 0) substitutes them first.
    """
    xa, xb = _sample(a, "a"), _sample(b, "b")
    _, p_larger = stochastic_dominance(xa, xb)
    _, p_crossing = stochastic_dominance(xb, xa)
    grid = np.union1d(xa, xb)
    ecdf_a = np.searchsorted(np.sort(xa), grid, side="right") / xa.size
    ecdf_b = np.searchsorted(np.sort(xb), grid, side="right") / xb.size
    violation = float(max(0.0, np.max(ecdf_a - ecdf_b)))
    return Dominance(p_larger < alpha and p_crossing >= alpha, p_larger, p_crossing, violation, alpha)


@dataclass(frozen=True)
class Comparison:
    """All statistics of `compare` for two samples of final results.

    `diff*` refer to mean(a) - mean(b) with a 95% percentile-bootstrap CI; `mw_p` is two-sided;
    `ks_*` test that a is stochastically larger than b.
    """

    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    median_a: float
    median_b: float
    a12: float
    mw_u: float
    mw_p: float
    diff: float
    diff_lo: float
    diff_hi: float
    ks_stat: float
    ks_p: float
    names: tuple[str, str]

    @property
    def decidable(self) -> bool:
        """Whether these sample sizes allow a significant result at all (see :func:`can_decide`)."""
        return can_decide(self.n_a, self.n_b)

    def to_markdown(self) -> str:
        """Render a short Markdown table of the two samples followed by the test results, or, when the samples are
        too small for any test to decide, by saying so instead."""
        na, nb = self.names
        lines = [
            f"| | {na} | {nb} |",
            "|---|---:|---:|",
            f"| n | {self.n_a} | {self.n_b} |",
            f"| mean | {self.mean_a:.4g} | {self.mean_b:.4g} |",
            f"| median | {self.median_a:.4g} | {self.median_b:.4g} |",
            "",
        ]
        if not self.decidable:
            return "\n".join(
                lines
                + [
                    f"- **Cannot decide**: with {self.n_a} run(s) against {self.n_b}, no outcome can reach p < {ALPHA:g} "
                    f"(the smallest two-sided Mann-Whitney p is {smallest_p(self.n_a, self.n_b):.3g}), so no test is "
                    "reported; the numbers below only describe these runs.",
                    f"- Mean difference ({na} - {nb}) = {self.diff:.4g}; A12 = {self.a12:.2f}",
                ]
            )
        lines += [
            f"- Mean difference ({na} - {nb}) = {self.diff:.4g}, "
            f"95% bootstrap CI [{self.diff_lo:.4g}, {self.diff_hi:.4g}]",
            f"- A12 = {self.a12:.2f} ({a12_magnitude(self.a12)}): probability that a value drawn from "
            f"{na} exceeds one drawn from {nb} (ties count half)",
            f"- Mann-Whitney U = {self.mw_u:.4g}, p = {self.mw_p:.3g} (two-sided)",
            f"- KS dominance of {na} over {nb}: D = {self.ks_stat:.3g}, p = {self.ks_p:.3g}",
        ]
        return "\n".join(lines)

    def verdict(self) -> tuple[str, str]:
        """Whether the first sample beats the second, and how that was decided: ("yes", ...) when the two-sided
        Mann-Whitney p < ALPHA and A12 > 0.5, ("cannot decide", ...) when the sample sizes allow no significant
        result, else ("no", ...)."""
        if not self.decidable:
            return "cannot decide", (
                f"{self.n_a} run(s) against {self.n_b}: too few for a test (the smallest "
                f"possible p is {smallest_p(self.n_a, self.n_b):.3g})"
            )
        how = f"Mann-Whitney p = {self.mw_p:.3g}, A12 = {self.a12:.2f}"
        return ("yes" if self.mw_p < ALPHA and self.a12 > 0.5 else "no"), how


def compare(
    a: ArrayLike,
    b: ArrayLike,
    *,
    names: tuple[str, str] = ("A", "B"),
    rng: np.random.Generator | None = None,
) -> Comparison:
    """Compare final results of strategy `a` against strategy `b`.

    NaNs (invalid architectures) are dropped first; a sample left empty raises ValueError.
    `rng` drives the bootstrap; None means numpy.random.default_rng(0).
    """
    xa, xb = _sample(a, names[0]), _sample(b, names[1])
    mw_u, mw_p = mann_whitney(xa, xb)
    diff, diff_lo, diff_hi = bootstrap_diff_ci(xa, xb, rng=rng)
    ks_stat, ks_p = stochastic_dominance(xa, xb)
    return Comparison(
        n_a=int(xa.size),
        n_b=int(xb.size),
        mean_a=float(np.mean(xa)),
        mean_b=float(np.mean(xb)),
        median_a=float(np.median(xa)),
        median_b=float(np.median(xb)),
        a12=vargha_delaney_a12(xa, xb),
        mw_u=mw_u,
        mw_p=mw_p,
        diff=diff,
        diff_lo=diff_lo,
        diff_hi=diff_hi,
        ks_stat=ks_stat,
        ks_p=ks_p,
        names=(names[0], names[1]),
    )
