"""Figures shared by the paper reports: anytime curves with bands, and ECDFs.

Every figure goes through :func:`save_figure`, which wraps the caption to the figure's width, keeps room for it, and
warns (:class:`FigureLayoutWarning`) when any text would fall outside the canvas, so a clipped title fails the tests
that turn warnings into errors.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from repro import stats  # noqa: E402

sns.set_theme(context="notebook", style="whitegrid")
# Fixed metadata so that an unchanged figure is written byte for byte the same (no software version or date).
_METADATA = {"Software": None}
CAPTION_POINTS = 7
DPI = 150


class FigureLayoutWarning(UserWarning):
    """Some text of a figure lies outside its canvas (a clipped title, label or legend)."""


def _add_caption(fig: plt.Figure, caption: str) -> float:
    """Draw ``caption`` wrapped to the figure's width at its bottom; returns the share of the height it takes."""
    renderer = fig.canvas.get_renderer()
    width = int(fig.get_figwidth() * 72 / (0.5 * CAPTION_POINTS))
    while True:
        text = fig.text(
            0.01,
            0.01,
            "\n".join(textwrap.wrap(caption, width)),
            fontsize=CAPTION_POINTS,
            color="0.35",
            ha="left",
            va="bottom",
        )
        box = text.get_window_extent(renderer)
        if box.x1 <= fig.bbox.x1 - 0.02 * fig.bbox.width or width < 20:
            return (box.y1 + 6) / fig.bbox.height
        text.remove()
        width = int(width * 0.92)


def _wrap_titles(fig: plt.Figure) -> None:
    """Break a suptitle or axes title that is wider than the figure onto several lines."""
    renderer = fig.canvas.get_renderer()
    # An axes title is centred on its axes, which the layout moves off the figure's centre: leave it more room.
    titles = [(fig._suptitle, 0.96)] if fig._suptitle is not None else []
    titles += [(ax.title, 0.85) for ax in fig.axes]
    for title, share in titles:
        text = title.get_text().replace("\n", " ")
        width = title.get_window_extent(renderer).width
        if text and width > share * fig.bbox.width:
            chars = int(len(text) * 0.95 * share * fig.bbox.width / width)
            title.set_text("\n".join(textwrap.wrap(text, chars)))


def outside_canvas(fig: plt.Figure) -> list[str]:
    """The parts of ``fig`` (axes with their titles, labels and ticks; figure texts and legends) whose tight bounding
    box reaches outside the canvas."""
    renderer = fig.canvas.get_renderer()
    canvas = fig.bbox
    found = []
    for artist in [*fig.axes, *fig.texts, *fig.legends, *([fig._suptitle] if fig._suptitle else [])]:
        box = artist.get_tightbbox(renderer)
        if box is None or not artist.get_visible():
            continue
        if box.x0 < canvas.x0 - 1 or box.x1 > canvas.x1 + 1 or box.y0 < canvas.y0 - 1 or box.y1 > canvas.y1 + 1:
            name = f"axes {artist.get_title()!r}" if isinstance(artist, plt.Axes) else type(artist).__name__.lower()
            text = artist.get_text()[:50] if isinstance(artist, Text) else ""
            found.append(f"{name} {text!r}" if text else name)
    return found


def save_figure(fig: plt.Figure, path: Path, caption: str = "", *, top: float = 1.0) -> Path:
    """Write ``fig`` to ``path`` (PNG, ``DPI`` dots per inch) with ``caption`` in small grey type below the axes, and close it.

    A figure legend is placed between the axes and the caption. ``top`` leaves room above the axes (a suptitle
    is laid out by matplotlib itself). Warns with
    :class:`FigureLayoutWarning` when a text does not fit the canvas.
    """
    fig.set_dpi(DPI)  # measure every text as it will be drawn: hinting makes widths differ between resolutions
    _wrap_titles(fig)
    bottom = _add_caption(fig, caption) if caption else 0.0
    for legend in fig.legends:  # a figure legend sits between the axes and the caption
        legend.set_bbox_to_anchor((0.5, bottom), transform=fig.transFigure)
        bottom += legend.get_window_extent(fig.canvas.get_renderer()).height / fig.bbox.height
    fig.tight_layout(rect=(0, bottom, 1, top))
    outside = outside_canvas(fig)
    if outside:
        warnings.warn(f"{path.name}: text outside the canvas: {', '.join(outside)}", FigureLayoutWarning, stacklevel=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, metadata=_METADATA)
    plt.close(fig)
    return path


def _finish(fig: plt.Figure, ax: plt.Axes, path: Path, caption: str, legend: str) -> Path:
    ax.legend(frameon=False, loc=legend)
    return save_figure(fig, path, caption)


@dataclass(frozen=True)
class Series:
    """One strategy's anytime curve: the mean best-so-far value at each ``x`` and its 95% band over ``runs`` runs."""

    x: np.ndarray
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    runs: int


def best_so_far_bands(
    runs: Mapping[str, Sequence[Sequence[float]]],
    path: Path,
    *,
    title: str,
    ylabel: str,
    xlabel: str = "evaluation",
    caption: str = "",
    lines: Mapping[str, float] | None = None,
    marker: tuple[float, str] | None = None,
    times: Mapping[str, Sequence[Sequence[float]]] | None = None,
    limits: tuple[float, float] | None = None,
) -> Path:
    """Mean best-so-far value with a 95% t-band over seeds, one line per strategy (see :func:`anytime`).

    ``runs`` maps a strategy name to its per-seed value trajectories (NaN = invalid). The x-axis
    is the evaluation count, or, with ``times`` (the same shape: when each evaluation finished,
    e.g. simulated seconds), time: each seed's best-so-far is then read on a common time grid.
    """
    end = max((max(t) for per_seed in (times or {}).values() for t in per_seed if len(t)), default=0.0)
    grid = np.linspace(0.0, end, 400)
    series = {}
    for name, trajectories in runs.items():
        # Under a time budget the seeds' trajectories differ in length: only the time grid aligns them.
        per_seed = [stats.best_so_far(t) for t in trajectories]
        if times is not None:
            curves, x = np.array([on_grid(c, t, grid) for c, t in zip(per_seed, times[name])]), grid
        else:
            curves = np.array(per_seed)
            x = np.arange(1, curves.shape[1] + 1)
        band = stats.curve_band(curves)
        series[name] = Series(x, band.mean, band.lower, band.upper, len(trajectories))
    return anytime(
        series,
        path,
        title=title,
        ylabel=ylabel,
        xlabel=xlabel,
        caption=caption,
        lines=lines,
        marker=marker,
        limits=limits,
    )


def _legend_below(fig: plt.Figure, axes: Sequence[plt.Axes], columns: int) -> None:
    """One figure legend of the axes' labelled artists (each label once), which :func:`save_figure` places between
    the axes and the caption, where it hides no data."""
    handles: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="lower center",
        ncol=min(len(handles), columns),
        frameon=False,
        fontsize=9,
    )


def _layered(i: int, n: int) -> dict[str, object]:
    """Line width and dashes of the i-th of n lines: the first widest and solid, each next one thinner and dashed
    differently, so that lines drawn over each other all stay visible."""
    return {"linewidth": 1.2 + 2.4 * (n - 1 - i) / max(n - 1, 1), "linestyle": ("-", "--", "-.", ":")[i % 4]}


def _coinciding(series: Mapping[str, Series]) -> float | None:
    """The last x up to which every series has the same mean curve (None if they part at once or there is one)."""
    curves = list(series.values())
    if len(curves) < 2 or any(len(s.x) != len(curves[0].x) or not np.array_equal(s.x, curves[0].x) for s in curves):
        return None
    same = np.all([np.isclose(s.mean, curves[0].mean, equal_nan=True) for s in curves[1:]], axis=0)
    parted = np.flatnonzero(~same)
    last = (parted[0] if parted.size else len(same)) - 1
    return float(curves[0].x[last]) if last >= 1 else None


def _span(series: Sequence[Series], lines: Sequence[float], start: float) -> tuple[float, float] | None:
    """The y-range of the bands and lines from x = ``start`` on, padded by 5%."""
    values = [np.r_[s.lower[s.x >= start], s.upper[s.x >= start], s.mean[s.x >= start]] for s in series]
    v = np.r_[np.concatenate(values), list(lines)]
    v = v[np.isfinite(v)]
    if not v.size:
        return None
    pad = 0.05 * max(v.max() - v.min(), 1e-9)
    return float(v.min() - pad), float(v.max() + pad)


def anytime(
    series: Mapping[str, Series],
    path: Path,
    *,
    title: str,
    ylabel: str,
    xlabel: str = "evaluation",
    caption: str = "",
    lines: Mapping[str, float] | None = None,
    marker: tuple[float, str] | None = None,
    limits: tuple[float, float] | None = None,
) -> Path:
    """Anytime curves in two panels: the whole run, and the tail zoomed (from ``marker``'s x, else a quarter in).

    Bands are clipped to ``limits`` (e.g. 0-100 for an accuracy in %), never to the axes: each panel's y-range holds
    its bands whole. Lines are drawn widest first with distinct dashes, so curves that coincide (e.g. the
    strategies' shared initial population) stay visible, and the span where all coincide is said on the figure.
    ``lines`` are labelled horizontal references (e.g. a paper's reported value); ``marker`` = (x, label) draws a
    vertical line, e.g. where the initial population ends.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), gridspec_kw={"width_ratios": (3, 2)})
    palette = sns.color_palette("colorblind")
    lines = dict(lines or {})
    low, high = limits if limits is not None else (-np.inf, np.inf)
    clipped = {
        name: Series(s.x, s.mean, np.clip(s.lower, low, high), np.clip(s.upper, low, high), s.runs)
        for name, s in series.items()
    }
    ends = [float(np.nanmax(s.x)) for s in series.values() if len(s.x)]
    start = marker[0] if marker is not None else 0.25 * max(ends, default=0.0)
    n = len(clipped)
    for ax in axes:
        for i, (name, s) in enumerate(clipped.items()):
            ax.plot(s.x, s.mean, color=palette[i % len(palette)], label=f"{name} (n={s.runs} runs)", **_layered(i, n))
            ax.fill_between(s.x, s.lower, s.upper, color=palette[i % len(palette)], alpha=0.15, linewidth=0)
        for j, (name, value) in enumerate(lines.items()):
            ax.axhline(value, color=palette[(n + j) % len(palette)], linestyle=":", linewidth=1.5, label=name)
        if marker is not None:
            ax.axvline(marker[0], color="0.5", linestyle="--", linewidth=1, label=marker[1])
        ax.set_xlabel(xlabel)
    full, tail = axes
    span = _span(list(clipped.values()), list(lines.values()), -np.inf)
    if span:
        full.set_ylim(*span)
    zoom = _span(list(clipped.values()), list(lines.values()), start)
    if zoom:
        tail.set_ylim(*zoom)
    tail.set_xlim(start, max(ends, default=start + 1.0))
    full.set_ylabel(ylabel)
    full.set_title("whole run", fontsize=10)
    tail.set_title(f"zoomed on the tail: {xlabel} {np.ceil(start):,.0f} on", fontsize=10)
    together = _coinciding(series)
    if together is not None:
        full.text(
            0.98,
            0.03,
            f"all lines coincide up to {xlabel} {together:g}",
            transform=full.transAxes,
            ha="right",
            va="bottom",
            fontsize=8,
            color="0.3",
        )
    _legend_below(fig, [full], columns=3)
    fig.suptitle(title, fontsize=12)
    return save_figure(fig, path, caption)


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
        ax.step(
            np.r_[x[0], x],
            np.r_[0.0, p],
            where="post",
            color=palette[i % len(palette)],
            label=f"{name} (n={n})",
            **_layered(i, len(samples)),
        )
    ax.set(title=title, xlabel=xlabel, ylabel="fraction of architectures ≤ x")
    return _finish(fig, ax, path, caption, legend="best")


def operator_frequencies(
    panels: Mapping[str, np.ndarray],
    operators: Sequence[str],
    path: Path,
    *,
    title: str,
    caption: str = "",
    marker: Mapping[str, float] | None = None,
    ylabel: str = "share of sampled operators",
    reference: tuple[float, str] | None = None,
) -> Path:
    """One panel per search variant: each operator's share (or probability) per epoch, the legend below the panels.

    ``panels`` maps a variant to an (epochs x operators) array (e.g. frequencies, mean over seeds);
    ``marker`` draws, per variant, a vertical line (e.g. where a random pre-training phase ends);
    ``reference`` = (y, label) draws a horizontal line, e.g. the uniform share 1/len(operators).
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(max(7.5, 4.5 * len(panels)), 4.6), sharey=True, squeeze=False)
    palette = sns.color_palette("colorblind")
    for ax, (name, freq) in zip(axes[0], panels.items()):
        epochs = np.arange(1, freq.shape[0] + 1)
        for i, op in enumerate(operators):
            ax.plot(epochs, freq[:, i], marker="o", color=palette[i % len(palette)], label=op)
        if reference is not None:
            ax.axhline(reference[0], color="black", linestyle=":", linewidth=1.5, label=reference[1])
        if marker and name in marker:
            ax.axvline(marker[name], color="0.5", linestyle="--", linewidth=1, label="controller starts")
        ax.set(title=name, xlabel="supernet epoch")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes[0][0].set_ylabel(ylabel)
    _legend_below(fig, axes[0], columns=5)
    fig.suptitle(title, fontsize=12)
    return save_figure(fig, path, caption)


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
        ax.scatter(
            [p for p, _ in points],
            [a for _, a in points],
            s=18,
            alpha=0.7,
            color=palette[i],
            label=f"{name} (n={len(points)})",
        )
    for j, (name, (size, acc)) in enumerate((references or {}).items()):
        ax.scatter(
            [size],
            [acc],
            marker="*",
            s=180,
            color=palette[(len(groups) + j) % len(palette)],
            edgecolor="black",
            label=name,
        )
    ax.set_xscale("log")
    ax.set(title=title, xlabel="trainable weights (log scale)", ylabel="test accuracy (%)")
    _legend_below(fig, [ax], columns=3)
    return save_figure(fig, path, caption)


def epoch_curves(
    lines: Mapping[str, Sequence[float]], path: Path, *, title: str, ylabel: str, caption: str = ""
) -> Path:
    """One line per named per-epoch series (epochs from 1); names sharing the part before a comma share a colour."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    palette = sns.color_palette("colorblind")
    prefixes = list(dict.fromkeys(name.split(",")[0] for name in lines))
    for i, (name, values) in enumerate(lines.items()):
        colour = palette[prefixes.index(name.split(",")[0]) % len(palette)]
        ax.plot(
            range(1, len(values) + 1),
            values,
            color=colour,
            marker="os^v"[i % 4],
            linestyle=("-", "--")[i % 2],
            label=name,
        )
    ax.set(title=title, xlabel="epoch", ylabel=ylabel)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    return _finish(fig, ax, path, caption, legend="best")
