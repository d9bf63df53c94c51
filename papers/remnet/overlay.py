"""The REMNet paper's Fig. 4: all evolved architectures drawn on one canvas, each with alpha 1/count."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from repro.canonical import CanonicalGraph, topological_order  # noqa: E402
from repro.spaces.remnet.genome import LAYERS  # noqa: E402

ROWS = ("IN", *LAYERS, "OUT")


def _depths(graph: CanonicalGraph) -> list[int]:
    """Longest-path distance of every vertex from the input."""
    depth = [0] * len(graph.labels)
    for v in topological_order(len(graph.labels), graph.edges):
        for a, b in graph.edges:
            if a == v:
                depth[b] = max(depth[b], depth[a] + 1)
    return depth


def plot_overlay(graphs: Sequence[CanonicalGraph], path: Path, *, title: str, caption: str = "") -> Path:
    """Draw every graph with nodes at (depth from input, layer type); frequent patterns come out dark.

    Each graph is drawn with alpha 1/len(graphs), as in the paper, so a node or edge drawn by
    every architecture is fully opaque and one drawn by a single architecture is barely visible.
    """
    alpha = 1.0 / max(len(graphs), 1)
    segments, points = [], []
    for graph in graphs:
        depth = _depths(graph)
        position = [(depth[v], ROWS.index(label)) for v, label in enumerate(graph.labels)]
        segments += [(position[a], position[b]) for a, b in graph.edges]
        points += position
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.add_collection(LineCollection(segments, colors="tab:blue", alpha=alpha, linewidths=2.0))
    if points:
        xs, ys = zip(*points)
        ax.scatter(xs, ys, s=90, color="black", alpha=alpha, marker="s", linewidths=0)
    max_depth = max((x for x, _ in points), default=1)
    ax.set_xlim(-0.5, max_depth + 0.5)
    ax.set_ylim(len(ROWS) - 0.5, -0.5)
    ax.set_yticks(range(len(ROWS)), ROWS)
    ax.set_xlabel("depth (longest path from the input)")
    ax.set_title(title)
    ax.grid(True, color="0.92")
    if caption:
        fig.text(0.01, 0.01, caption, fontsize=7, color="0.35", ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.05 if caption else 0, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path
