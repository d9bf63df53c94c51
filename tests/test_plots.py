"""Figures: best-so-far bands on an evaluation or a time axis."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from repro import plots


def test_best_so_far_is_read_on_a_time_grid():
    best = np.array([0.1, 0.5, 0.5])
    on_grid = plots.on_grid(best, [1.0, 2.0, 3.0], np.array([0.0, 0.5, 1.0, 2.5, 6.0]))
    assert on_grid == pytest.approx([np.nan, np.nan, 0.1, 0.5, 0.5], nan_ok=True)


def test_bands_on_a_time_axis_are_drawn(tmp_path):
    runs = {"A": [[0.1, 0.5, 0.3], [0.2, 0.2, 0.9]]}
    times = {"A": [[1.0, 2.0, 3.0], [0.5, 4.0, 6.0]]}
    path = plots.best_so_far_bands(
        runs, tmp_path / "t.png", title="t", ylabel="v", xlabel="simulated seconds", times=times
    )
    assert path.stat().st_size > 10_000


def test_accuracy_vs_size_and_epoch_curves_are_drawn(tmp_path):
    groups = {"a": [(100.0, 50.0), (1e5, 80.0)], "b": [(1e3, 10.0)]}
    path = plots.accuracy_vs_size(groups, tmp_path / "s.png", title="t", caption="c", references={"ref": (5e5, 70.0)})
    assert path.stat().st_size > 10_000
    lines = {"x, train": [10.0, 20.0], "x, val": [9.0, 15.0], "y, train": [11.0, 19.0]}
    assert plots.epoch_curves(lines, tmp_path / "e.png", title="t", ylabel="acc").stat().st_size > 10_000


LONG_TITLE = (
    "A long title, as the reports write them: paper, scale, dataset and profile [smoke-darts], per search epoch"
)


@pytest.fixture
def no_warnings():
    """Every warning is an error: a plotting library's deprecation, or a text outside a figure's canvas."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_every_figure_keeps_its_texts_inside_the_canvas(tmp_path, no_warnings):
    caption = "Reproduced by repro (profile `smoke`: " + "a long profile description, " * 12 + ")."
    runs = {"ES": [[0.5, 0.8, 0.81], [0.4, 0.7, 0.9]], "RS": [[0.5, 0.8, 0.7], [0.4, 0.7, 0.75]]}
    plots.best_so_far_bands(
        runs,
        tmp_path / "a.png",
        title=LONG_TITLE,
        ylabel="best (%)",
        caption=caption,
        marker=(1.5, "population ends"),
        limits=(0.0, 1.0),
        lines={"reported": 0.85},
    )
    panels = {"seed 0": np.full((3, 8), 0.125), "seed 1": np.full((3, 8), 0.125)}
    plots.operator_frequencies(
        panels,
        [f"op{i}" for i in range(8)],
        tmp_path / "o.png",
        title=LONG_TITLE,
        caption=caption,
        reference=(0.125, "uniform 1/8"),
    )
    plots.ecdfs({"a": [1.0, 2.0], "b": [3.0]}, tmp_path / "e.png", title=LONG_TITLE, xlabel="x", caption=caption)
    plots.accuracy_vs_size({"a": [(1e3, 50.0)]}, tmp_path / "s.png", title=LONG_TITLE, caption=caption)
    plots.epoch_curves({"x, train": [1.0, 2.0]}, tmp_path / "c.png", title=LONG_TITLE, ylabel="acc", caption=caption)


def test_a_text_outside_the_canvas_is_named():
    fig, ax = plots.plt.subplots(figsize=(4, 3))
    ax.set_title("inside")
    fig.tight_layout()
    assert plots.outside_canvas(fig) == []
    fig.text(0.9, 0.5, "a label that runs off the right edge")
    assert plots.outside_canvas(fig) == ["text 'a label that runs off the right edge'"]
    ax.set_ylabel("y" * 400)
    assert "axes 'inside'" in plots.outside_canvas(fig)
    plots.plt.close(fig)


def test_a_figure_written_twice_is_byte_identical(tmp_path, no_warnings):
    runs = {"A": [[0.1, 0.5, 0.3], [0.2, 0.2, 0.9]]}
    a = plots.best_so_far_bands(runs, tmp_path / "a.png", title="t", ylabel="v", caption="c")
    b = plots.best_so_far_bands(runs, tmp_path / "b.png", title="t", ylabel="v", caption="c")
    assert a.read_bytes() == b.read_bytes()


def test_bands_are_clipped_to_the_limits_and_shared_starts_are_found():
    x = np.arange(1, 5)
    same = plots.Series(x, np.array([1.0, 2.0, 3.0, 4.0]), np.array([-5.0, 1.0, 2.0, 3.0]), np.array([9.0, 3, 4, 5]), 2)
    parted = plots.Series(x, np.array([1.0, 2.0, 3.5, 4.0]), same.lower, same.upper, 2)
    assert plots._coinciding({"a": same, "b": parted}) == 2.0
    assert plots._coinciding({"a": same}) is None
    assert plots._span([same], [], -np.inf) == pytest.approx((-5.7, 9.7))
    assert plots._span([same], [], 3) == pytest.approx((1.85, 5.15))
