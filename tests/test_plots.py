"""Figures: best-so-far bands on an evaluation or a time axis."""

from __future__ import annotations

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
    path = plots.best_so_far_bands(runs, tmp_path / "t.png", title="t", ylabel="v", xlabel="simulated seconds",
                                   times=times)  # fmt: skip
    assert path.stat().st_size > 10_000


def test_accuracy_vs_size_and_epoch_curves_are_drawn(tmp_path):
    groups = {"a": [(100.0, 50.0), (1e5, 80.0)], "b": [(1e3, 10.0)]}
    path = plots.accuracy_vs_size(groups, tmp_path / "s.png", title="t", caption="c", references={"ref": (5e5, 70.0)})
    assert path.stat().st_size > 10_000
    lines = {"x, train": [10.0, 20.0], "x, val": [9.0, 15.0], "y, train": [11.0, 19.0]}
    assert plots.epoch_curves(lines, tmp_path / "e.png", title="t", ylabel="acc").stat().st_size > 10_000
