"""Figures shared by the paper reports: anytime curves with bands, and ECDFs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402

from repro import stats  # noqa: E402

sns.set_theme(context="notebook", style="whitegrid")


def save_figure(fig: plt.Figure, path: Path, caption: str = "", *, bottom: float = 0.06, top: float = 1.0) -> Path:
    """Write ``fig`` to ``path`` (PNG, 150 dpi) with ``caption`` in small grey type below the axes, and close it.

    ``bottom`` is the share of the height kept for the caption; ``top`` leaves room for a suptitle.
    """
    if caption:
        fig.text(0.01, 0.01, caption, fontsize=7, color="0.35", ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, bottom if caption else 0, 1, top))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


def _finish(fig: plt.Figure, ax: plt.Axes, path: Path, caption: str, legend: str) -> Path:
    ax.legend(frameon=False, loc=legend)
    return save_figure(fig, path, caption)


def best_so_far_bands(
    runs: Mapping[str, Sequence[Sequence[float]]],
    path: Path,
    *,
    title: str,
    ylabel: str,
    xlabel: str = "evaluation",
    caption: str = "",
    reported: Mapping[str, float] | None = None,
    marker: tuple[float, str] | None = None,
    times: Mapping[str, Sequence[Sequence[float]]] | None = None,
) -> Path:
    """Mean best-so-far value with a 95% t-band over seeds, one line per strategy.

    ``runs`` maps a strategy name to its per-seed value trajectories (NaN = invalid). The x-axis
    is the evaluation count, or, with ``times`` (the same shape: when each evaluation finished,
    e.g. simulated seconds), time: each seed's best-so-far is then read on a common time grid.
    ``reported`` draws a paper's final numbers as dotted horizontal lines, labelled as reported;
    ``marker`` = (x, label) draws a vertical line, e.g. where the initial population ends.
    """
    fig, ax = plt.subplots(figsize=(7, 4.2))
    palette = sns.color_palette("colorblind")
    observed = []
    end = max((max(t) for per_seed in (times or {}).values() for t in per_seed if len(t)), default=0.0)
    grid = np.linspace(0.0, end, 400)
    for i, (name, trajectories) in enumerate(runs.items()):
        # Under a time budget the seeds' trajectories differ in length: only the time grid aligns them.
        per_seed = [stats.best_so_far(t) for t in trajectories]
        observed.append(np.concatenate([c[np.isfinite(c)] for c in per_seed]))
        if times is not None:
            curves, x = np.array([on_grid(c, t, grid) for c, t in zip(per_seed, times[name])]), grid
        else:
            curves = np.array(per_seed)
            x = np.arange(1, curves.shape[1] + 1)
        band = stats.curve_band(curves)
        ax.plot(x, band.mean, color=palette[i], label=f"{name} (n={len(trajectories)} seeds)")
        ax.fill_between(x, band.lower, band.upper, color=palette[i], alpha=0.2, linewidth=0)
    values = np.concatenate(observed)
    if values.size:
        # With few seeds a t-band can be far wider than any observed value: keep the axis on the data.
        pad = 0.05 * max(values.max() - values.min(), 1e-9)
        ax.set_ylim(values.min() - pad, values.max() + pad)
    for i, (name, value) in enumerate((reported or {}).items()):
        ax.axhline(value, color=palette[len(runs) + i], linestyle=":", label=f"{name} (reported)")
    if marker is not None:
        ax.axvline(marker[0], color="0.5", linestyle="--", linewidth=1, label=marker[1])
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return _finish(fig, ax, path, caption, legend="lower right")


def on_grid(best: np.ndarray, finished: Sequence[float], grid: np.ndarray) -> np.ndarray:
    """The best-so-far value known at each grid time (NaN before the first result)."""
    index = np.searchsorted(np.asarray(finished, dtype=float), grid, side="right") - 1
    return np.where(index >= 0, best[np.clip(index, 0, None)], np.nan)


def ecdfs(samples: Mapping[str, Sequence[float]], path: Path, *, title: str, xlabel: str, caption: str = "") -> Path:
    """Empirical CDFs of several samples (NaNs dropped) on one axis."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    palette = sns.color_palette("colorblind")
    for i, (name, values) in enumerate(samples.items()):
        x, p = stats.ecdf(values)
        n = int(np.isfinite(np.asarray(values, dtype=float)).sum())
        ax.step(np.r_[x[0], x], np.r_[0.0, p], where="post", color=palette[i], label=f"{name} (n={n})")
    ax.set(title=title, xlabel=xlabel, ylabel="fraction of architectures ≤ x")
    return _finish(fig, ax, path, caption, legend="upper left")


def operator_frequencies(
    panels: Mapping[str, np.ndarray],
    operators: Sequence[str],
    path: Path,
    *,
    title: str,
    caption: str = "",
    marker: Mapping[str, float] | None = None,
) -> Path:
    """One panel per search variant: each operator's share of the sampled vectors per epoch.

    ``panels`` maps a variant to an (epochs x operators) array of frequencies (mean over seeds);
    ``marker`` draws, per variant, a vertical line (e.g. where a random pre-training phase ends).
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), sharey=True, squeeze=False)
    palette = sns.color_palette("colorblind")
    for ax, (name, freq) in zip(axes[0], panels.items()):
        epochs = np.arange(1, freq.shape[0] + 1)
        for i, op in enumerate(operators):
            ax.plot(epochs, freq[:, i], marker="o", color=palette[i], label=op)
        if marker and name in marker:
            ax.axvline(marker[name], color="0.5", linestyle="--", linewidth=1, label="controller starts")
        ax.set(title=name, xlabel="supernet epoch", ylabel="share of sampled operators")
    fig.suptitle(title)
    for ax in axes[0][1:]:
        ax.legend(frameon=False, loc="upper right")
    return _finish(fig, axes[0][0], path, caption, legend="upper right")


def accuracy_vs_size(
    groups: Mapping[str, Sequence[tuple[float, float]]],
    path: Path,
    *,
    title: str,
    caption: str = "",
    references: Mapping[str, tuple[float, float]] | None = None,
) -> Path:
    """Scatter of (size, accuracy) points per group on a log size axis; ``references`` are drawn as stars."""
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    palette = sns.color_palette("colorblind")
    for i, (name, points) in enumerate(groups.items()):
        ax.scatter([p for p, _ in points], [a for _, a in points], s=18, alpha=0.7, color=palette[i],
                   label=f"{name} (n={len(points)})")  # fmt: skip
    for j, (name, (size, acc)) in enumerate((references or {}).items()):
        ax.scatter([size], [acc], marker="*", s=180, color=palette[(len(groups) + j) % len(palette)],
                   edgecolor="black", label=name)  # fmt: skip
    ax.set_xscale("log")
    ax.set(title=title, xlabel="trainable weights (log scale)", ylabel="test accuracy (%)")
    return _finish(fig, ax, path, caption, legend="best")


def epoch_curves(
    lines: Mapping[str, Sequence[float]], path: Path, *, title: str, ylabel: str, caption: str = ""
) -> Path:
    """One line per named per-epoch series (epochs from 1); names sharing the part before a comma share a colour."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    palette = sns.color_palette("colorblind")
    prefixes = list(dict.fromkeys(name.split(",")[0] for name in lines))
    for i, (name, values) in enumerate(lines.items()):
        colour = palette[prefixes.index(name.split(",")[0]) % len(palette)]
        ax.plot(range(1, len(values) + 1), values, color=colour, marker="os^v"[i % 4], linestyle=("-", "--")[i % 2],
                label=name)  # fmt: skip
    ax.set(title=title, xlabel="epoch", ylabel=ylabel)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    return _finish(fig, ax, path, caption, legend="best")
