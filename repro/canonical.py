"""Canonical labelling of small vertex-labelled directed graphs.

Two genomes that build the same network must get the same cache key, so the key is a hash of a
*canonical form*: an encoding of the graph that is identical for isomorphic graphs and different
for non-isomorphic ones.

Method (individualisation-refinement, as in nauty, without its automorphism-group machinery):

1. Colour refinement: start from the vertex labels, repeatedly recolour every vertex by
   (its colour, the multiset of its predecessors' colours, the multiset of its successors'
   colours) until nothing splits. Colours are numbered by sorting these signatures, so the
   numbering depends only on the graph's structure, never on the input vertex order.
2. If some colour class still has several vertices, branch: for each vertex of the first such
   class, give it a colour of its own and refine again. Every leaf is a discrete colouring, i.e.
   an ordering of the vertices; encode the graph in that order.
3. The canonical form is the lexicographically smallest encoding over all leaves.

Why it is canonical: refinement and the choice of the class to branch on are defined through
colours alone, so for an isomorphism f: G -> H the search tree of H is the image of G's under f.
The *set* of leaf encodings is therefore the same for G and H and so is its minimum. Conversely
each encoding describes its graph completely (labels and edges), so equal forms imply isomorphic
graphs. The only pruning is of *twins* (same colour, same predecessors, same successors):
swapping two twins is an automorphism that fixes the current colouring, so their subtrees yield
the same encodings and exploring one suffices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Edge = tuple[int, int]


@dataclass(frozen=True)
class CanonicalGraph:
    """A graph in canonical vertex order: ``labels[i]`` is vertex i; edges are sorted pairs."""

    labels: tuple[str, ...]
    edges: tuple[Edge, ...]
    order: tuple[int, ...]
    """``order[i]`` is the original index of canonical vertex i."""


def _refine(colours: list[int], preds: list[list[int]], succs: list[list[int]]) -> list[int]:
    """Colour refinement to a stable colouring; colour ids are ranks of signatures."""
    n = len(colours)
    n_classes = len(set(colours))
    while True:
        if n_classes == n:
            # Discrete: every signature starts with a distinct colour, so ranking them only renumbers.
            rank = {c: i for i, c in enumerate(sorted(colours))}
            return [rank[c] for c in colours]
        signatures = [
            (colours[v], _sorted_colours(colours, preds[v]), _sorted_colours(colours, succs[v])) for v in range(n)
        ]
        rank = {sig: i for i, sig in enumerate(sorted(set(signatures)))}
        colours = [rank[sig] for sig in signatures]
        if len(rank) == n_classes:
            return colours
        n_classes = len(rank)


def _sorted_colours(colours: list[int], vertices: list[int]) -> tuple[int, ...]:
    """The multiset of the colours of ``vertices``, as a sorted tuple (most vertices have one neighbour)."""
    if len(vertices) == 1:
        return (colours[vertices[0]],)
    return tuple(sorted([colours[u] for u in vertices]))


def _individualise(colours: list[int], vertex: int) -> list[int]:
    """Give ``vertex`` a colour of its own, ordered just before the rest of its class."""
    return [2 * c + (0 if v == vertex else 1) if c == colours[vertex] else 2 * c for v, c in enumerate(colours)]


def canonical_graph(labels: Sequence[str], edges: Sequence[Edge]) -> CanonicalGraph:
    """Return the canonical form of the directed graph with vertex ``labels`` and ``edges``.

    Vertices are ``0..len(labels)-1``; duplicate edges are ignored. Exponential only in the number
    of non-twin symmetric vertices, which is tiny for the architectures searched here.
    """
    n = len(labels)
    edge_set = sorted(set((int(a), int(b)) for a, b in edges))
    for a, b in edge_set:
        if not (0 <= a < n and 0 <= b < n):
            raise ValueError(f"edge {(a, b)} names a vertex outside 0..{n - 1}")
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for a, b in edge_set:
        succs[a].append(b)
        preds[b].append(a)
    label_rank = {lab: i for i, lab in enumerate(sorted(set(labels)))}
    start = _refine([label_rank[lab] for lab in labels], preds, succs)

    best: tuple[tuple[Edge, ...], tuple[int, ...]] | None = None

    def search(colours: list[int]) -> None:
        nonlocal best
        classes: dict[int, list[int]] = {}
        for v, c in enumerate(colours):
            classes.setdefault(c, []).append(v)
        open_classes = [c for c in sorted(classes) if len(classes[c]) > 1]
        if not open_classes:
            order = tuple(sorted(range(n), key=colours.__getitem__))
            position = {v: i for i, v in enumerate(order)}
            encoding = tuple(sorted((position[a], position[b]) for a, b in edge_set))
            if best is None or encoding < best[0]:
                best = (encoding, order)
            return
        seen_twins: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
        for v in classes[open_classes[0]]:
            twin_key = (tuple(preds[v]), tuple(succs[v]))
            if twin_key in seen_twins:
                continue
            seen_twins.add(twin_key)
            search(_refine(_individualise(colours, v), preds, succs))

    search(start)
    assert best is not None
    encoding, order = best
    return CanonicalGraph(labels=tuple(labels[v] for v in order), edges=encoding, order=order)


def topological_order(n: int, edges: Sequence[Edge]) -> list[int]:
    """Kahn's order with the smallest ready index first, so a canonical graph has one build order."""
    indegree = [0] * n
    for _, b in edges:
        indegree[b] += 1
    ready = sorted(v for v in range(n) if indegree[v] == 0)
    order: list[int] = []
    while ready:
        v = ready.pop(0)
        order.append(v)
        for a, b in edges:
            if a == v:
                indegree[b] -= 1
                if indegree[b] == 0:
                    ready.append(b)
        ready.sort()
    return order
