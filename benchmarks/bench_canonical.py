"""Canonical labelling of symmetric REMNet graphs: the hard cases of individualisation-refinement.

    PYTHONPATH=. python benchmarks/bench_canonical.py           # every case (about a minute on 2 cores)
    PYTHONPATH=. python benchmarks/bench_canonical.py --quick   # small cases only: checks that it works

Each case is a REMNet active graph (``IN``, ``OUT`` and Table 1 layers, every layer on an
input-to-output path), hashed as the cache does it: ``RemnetSpace.canonical`` of the genome
whose active graph it is (labelling + SHA-256 key). The same-run baseline is the search without
automorphism pruning (``canonical_graph(..., prune=False)``, the labelling before 2026-11-30,
whose tree has k! leaves on k identical branches), run only on the cases where it finishes in
seconds. Whether a case's network would build (layer shapes) does not matter for its key.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
import timeit
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from repro.canonical import SearchStats, canonical_graph
from repro.spaces import get_space

Graph = tuple[list[str], list[tuple[int, int]]]
TARGET_MS = 50.0


def _add(labels: list[str], layer: str) -> int:
    labels.append(layer)
    return len(labels) - 1


def parallel_chains(k: int, length: int = 2) -> Graph:
    """IN -> k identical chains of ``length`` CONV_3.N layers -> OUT (the case of issue 17)."""
    labels, edges = ["IN", "OUT"], []
    for _ in range(k):
        prev = 0
        for _ in range(length):
            v = _add(labels, "CONV_3.N")
            edges.append((prev, v))
            prev = v
        edges.append((prev, 1))
    return labels, edges


def nested_chains(hubs: int, chains: int) -> Graph:
    """IN -> ``hubs`` CONV_3.N, each feeding ``chains`` POOL_2.M -> CONV_5.H chains -> OUT (nested symmetry)."""
    labels, edges = ["IN", "OUT"], []
    for _ in range(hubs):
        hub = _add(labels, "CONV_3.N")
        edges.append((0, hub))
        for _ in range(chains):
            a, b = _add(labels, "POOL_2.M"), _add(labels, "CONV_5.H")
            edges += [(hub, a), (a, b), (b, 1)]
    return labels, edges


def crown(m: int) -> Graph:
    """IN -> m CONV_3.N -> m POOL_2.M -> OUT, layer i feeding every layer j != i: symmetric, without twins."""
    labels, edges = ["IN", "OUT"], []
    a = [_add(labels, "CONV_3.N") for _ in range(m)]
    b = [_add(labels, "POOL_2.M") for _ in range(m)]
    edges += [(0, x) for x in a] + [(a[i], b[j]) for i in range(m) for j in range(m) if i != j] + [(y, 1) for y in b]
    return labels, edges


def cycle_layers(halves: tuple[int, ...]) -> Graph:
    """IN -> CONV_3.N layers -> POOL_2.M layers -> OUT, the middle edges a disjoint union of cycles of
    2h edges for h in ``halves``: every layer looks alike to colour refinement, whatever the cycle lengths."""
    labels, edges = ["IN", "OUT"], []
    for h in halves:
        a = [_add(labels, "CONV_3.N") for _ in range(h)]
        b = [_add(labels, "POOL_2.M") for _ in range(h)]
        edges += [(0, x) for x in a] + [(y, 1) for y in b]
        edges += [(a[i], b[i]) for i in range(h)] + [(a[i], b[(i + 1) % h]) for i in range(h)]
    return labels, edges


def cfi(base: list[tuple[int, int]], twisted: bool = False) -> Graph:
    """The Cai-Fürer-Immerman graph of a base graph as a DAG: IN -> CONV_3.N gadget centres (one per even
    subset of a base vertex's edges) -> POOL_2.M edge ends (two per base vertex and edge) -> CONV_5.H links
    (joining the matching ends of an edge's two base vertices; crossed on the first edge if ``twisted``) -> OUT."""
    labels, edges = ["IN", "OUT"], []
    incident: dict[int, list[int]] = {}
    for e, (u, v) in enumerate(base):
        incident.setdefault(u, []).append(e)
        incident.setdefault(v, []).append(e)
    end = {}
    for u, es in incident.items():
        for e in es:
            end[u, e, 0], end[u, e, 1] = _add(labels, "POOL_2.M"), _add(labels, "POOL_2.M")
        for bits in itertools.product((0, 1), repeat=len(es)):
            if sum(bits) % 2 == 0:
                centre = _add(labels, "CONV_3.N")
                edges += [(0, centre)] + [(centre, end[u, e, b]) for e, b in zip(es, bits)]
    for e, (u, v) in enumerate(base):
        for i in (0, 1):
            link = _add(labels, "CONV_5.H")
            edges += [(end[u, e, i], link), (end[v, e, 1 - i if twisted and e == 0 else i], link), (link, 1)]
    return labels, edges


K4 = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
K33 = [(a, b) for a in range(3) for b in range(3, 6)]
CUBE = [(a, a ^ bit) for a in range(8) for bit in (1, 2, 4) if a < a ^ bit]
PETERSEN = (
    [(i, (i + 1) % 5) for i in range(5)] + [(i, i + 5) for i in range(5)] + [(5 + i, 5 + (i + 2) % 5) for i in range(5)]
)


@dataclass(frozen=True)
class Case:
    """One graph to hash; ``baseline`` if the unpruned search finishes in seconds; ``quick`` if small.

    ``mixed``: components of different kinds that colour refinement cannot tell apart. No
    automorphism maps one kind onto another, and the visiting order of the search depends on
    the vertex numbering, so the worst of 5 random numberings is reported too.
    """

    name: str
    graph: Callable[[], Graph]
    baseline: bool = False
    quick: bool = False
    mixed: bool = False


CASES = [
    Case("6 parallel 2-layer chains", lambda: parallel_chains(6), baseline=True, quick=True),
    Case("8 parallel 2-layer chains", lambda: parallel_chains(8), baseline=True),
    Case("10 parallel 2-layer chains", lambda: parallel_chains(10)),
    Case("12 parallel 2-layer chains", lambda: parallel_chains(12)),
    Case("20 parallel 2-layer chains", lambda: parallel_chains(20)),
    Case("12 parallel 3-layer chains", lambda: parallel_chains(12, 3)),
    Case("4 hubs x 4 chains", lambda: nested_chains(4, 4)),
    Case("6 hubs x 3 chains", lambda: nested_chains(6, 3)),
    Case("crown, 6 + 6 layers", lambda: crown(6), baseline=True, quick=True),
    Case("crown, 16 + 16 layers", lambda: crown(16)),
    Case("cycles 6,8,10 between 2 layers", lambda: cycle_layers((3, 4, 5)), baseline=True, quick=True, mixed=True),
    Case("cycles 6,8,10,12,14", lambda: cycle_layers((3, 4, 5, 6, 7)), mixed=True),
    Case("cycles 6,6,8,8,10,10", lambda: cycle_layers((3, 3, 4, 4, 5, 5)), mixed=True),
    Case("cycles 4,6,...,16", lambda: cycle_layers((2, 3, 4, 5, 6, 7, 8)), mixed=True),
    Case("8 cycles of 6", lambda: cycle_layers((3,) * 8)),
    Case("CFI(K4)", lambda: cfi(K4), baseline=True, quick=True),
    Case("CFI(K4), twisted", lambda: cfi(K4, twisted=True), baseline=True),
    Case("CFI(K3,3)", lambda: cfi(K33)),
    Case("CFI(3-cube)", lambda: cfi(CUBE)),
    Case("CFI(Petersen)", lambda: cfi(PETERSEN)),
]


def _best_of(fn: Callable[[], Any], repeat: int) -> float:
    """The least CPU time of this process over ``repeat`` calls (the machine is shared; see README)."""
    return min(timeit.repeat(fn, repeat=repeat, number=1, timer=time.process_time))


def renumbered(graph: Graph, rng: random.Random) -> Graph:
    """The same graph with its vertices numbered at random."""
    labels, edges = graph
    perm = rng.sample(range(len(labels)), len(labels))  # vertex v becomes perm[v]
    new_labels = [""] * len(labels)
    for v, label in enumerate(labels):
        new_labels[perm[v]] = label
    return new_labels, [(perm[a], perm[b]) for a, b in edges]


def run_case(case: Case, repeat: int) -> dict[str, Any]:
    """Hash the case through the space, count its search, and time the unpruned baseline where it finishes."""
    labels, edges = case.graph()
    space = get_space("remnet")

    def hashing(graph: Graph) -> float:
        genome = space.from_json(json.dumps({"nodes": graph[0], "edges": graph[1]}))
        return _best_of(lambda: space.canonical(genome), repeat)

    stats = SearchStats()
    graph = canonical_graph(labels, edges, stats=stats)
    row: dict[str, Any] = {
        "case": case.name,
        "vertices": len(labels),
        "edges": len(edges),
        "nodes": stats.nodes,
        "leaves": stats.leaves,
        "ms": 1000 * hashing((labels, edges)),
        "baseline_ms": None,
        "baseline_leaves": None,
        "worst_ms": None,
        "worst_leaves": None,
    }
    if case.mixed:
        rng = random.Random(0)
        numberings = [renumbered((labels, edges), rng) for _ in range(5)]
        counts = [SearchStats() for _ in numberings]
        for other, count in zip(numberings, counts):
            canonical_graph(*other, stats=count)
        row.update(
            worst_ms=1000 * max(hashing(other) for other in numberings),
            worst_leaves=max(count.leaves for count in counts),
        )
    if case.baseline:
        full = SearchStats()
        baseline = _best_of(lambda: canonical_graph(labels, edges, prune=False, stats=full), 1)
        assert canonical_graph(labels, edges, prune=False) == graph, case.name  # same form and order
        row.update(baseline_ms=1000 * baseline, baseline_leaves=full.leaves)
    return row


def line(row: dict[str, Any]) -> str:
    """The printed line: size, search tree, time, baseline, ratio and the target."""
    base = "not run (too slow)"
    if row["baseline_ms"] is not None:
        ratio = row["baseline_ms"] / row["ms"]
        base = f"{row['baseline_ms']:9.1f} ms, {row['baseline_leaves']:,} leaves, {ratio:6.0f}x"
    worst = ""
    if row["worst_ms"] is not None:
        worst = f" | worst of 5 numberings: {row['worst_ms']:7.1f} ms, {row['worst_leaves']} leaves"
    verdict = "meets" if max(row["ms"], row["worst_ms"] or 0) < TARGET_MS else "MISSES"
    return (
        f"{row['case']:<32} {row['vertices']:4d} vertices {row['nodes']:4d} nodes {row['leaves']:3d} leaves "
        f"{row['ms']:7.1f} ms | unpruned: {base}{worst} | target < {TARGET_MS:.0f} ms ({verdict})"
    )


def run_all(quick: bool) -> Iterator[dict[str, Any]]:
    """Every case in turn (``quick``: the small ones, one repeat)."""
    for case in CASES:
        if case.quick or not quick:
            yield run_case(case, repeat=1 if quick else 5)


def main(argv: list[str] | None = None) -> int:
    """Run the cases and print one line each; ``--quick`` runs the small ones once."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small cases only: check that it runs, not speed")
    args = parser.parse_args(argv)
    for row in run_all(args.quick):
        print(line(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
