"""Canonical labelling of small vertex-labelled directed graphs.

Two genomes that build the same network must get the same cache key, so the key is a hash of a
*canonical form*: an encoding of the graph that is identical for isomorphic graphs and different
for non-isomorphic ones.

The form is defined by a search tree (individualisation-refinement, as in nauty):

1. Colour refinement: start from the vertex labels, repeatedly recolour every vertex by
   (its colour, the multiset of its predecessors' colours, the multiset of its successors'
   colours) until nothing splits. Colours are numbered by sorting these signatures, so the
   numbering depends only on the graph's structure, never on the input vertex order, and a
   class only ever splits into consecutive classes (each keeps its range of positions).
2. If some colour class still has several vertices, branch: for each vertex of the first such
   class, give it a class of its own just before the rest of its class, and refine again. Every
   leaf is a discrete colouring, i.e. an ordering of the vertices; encode the graph's edges in
   that order (the label at each position is fixed by step 1).
3. The canonical form is the lexicographically smallest leaf encoding of the whole tree, and
   ``order`` that of the first such leaf in depth-first order.

Why it is canonical: refinement and the choice of the class to branch on are defined through
colours alone, so for an isomorphism f: G -> H the search tree of H is the image of G's under f.
The *set* of leaf encodings is therefore the same for G and H and so is its minimum. Conversely
each encoding describes its graph completely (labels and edges), so equal forms imply isomorphic
graphs.

The search visits only part of the tree, skipping subtrees of two kinds:

* *Images under an automorphism.* An automorphism g that fixes the individualised vertices of a
  node maps the subtree of its child v onto that of child g(v): same encodings. Swapping two
  twins (same colour, predecessors and successors) is such an automorphism, known in advance;
  the others are found at leaves: when a leaf encodes like an earlier one, mapping the earlier
  leaf's vertex at each position to this leaf's is an automorphism. Per node, one child per
  orbit of the automorphisms found that fix its path is searched. And as an individualised
  vertex keeps the first position of its class, that automorphism maps the earlier leaf's
  path onto this one's: the child where the two paths part holds the image of its earlier
  sibling's subtree, searched already, so the search returns to the node where they part.
  This is what keeps k identical branches at k leaves instead of k!.
* *Subtrees that can only encode larger.* At a node whose first classes are single vertices,
  their rows of the encoding are already known (see :meth:`_Search.worse_than_best`); if they
  exceed the best leaf's, so does every leaf below.

Neither changes the result: a skipped image repeats encodings of an earlier subtree, searched
or itself skipped by the same rules, and a bounded subtree holds only larger encodings. So the
minimum is the whole tree's, and the first leaf attaining it in depth-first order (whose
preimage under a skipped image would come earlier with the same encoding) is visited: forms,
orders and cache keys are those of the full search. ``prune=False`` runs the full search (with
twin pruning only, as the labelling did before 2026-11-30), for tests and benchmarks.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Edge = tuple[int, int]


@dataclass(frozen=True)
class CanonicalGraph:
    """A graph in canonical vertex order: ``labels[i]`` is vertex i; edges are sorted pairs."""

    labels: tuple[str, ...]
    edges: tuple[Edge, ...]
    order: tuple[int, ...]
    """``order[i]`` is the original index of canonical vertex i."""


def _refine(
    colours: list[int], split: Iterable[int] | None, preds: list[list[int]], succs: list[list[int]]
) -> list[int]:
    """Colour refinement to a stable colouring.

    ``colours`` are class indices ``0..m-1``; ``split`` holds the vertices whose class just changed
    (None: any class may split). Each round recolours a vertex by (its colour, its predecessors'
    colours, its successors' colours) and numbers the classes in the order of these signatures.
    Only a class next to a vertex whose class split in the previous round can split, so only
    those are recomputed; the result is the same as recomputing every vertex every round.
    """
    touched = set(colours) if split is None else _classes_next_to(split, colours, preds, succs)
    while touched:
        members: dict[int, list[int]] = {c: [] for c in touched}
        for v, c in enumerate(colours):
            if c in members:
                members[c].append(v)
        parts: dict[int, list[list[int]]] = {}  # class -> its new classes, in signature order
        for c, vs in members.items():
            if len(vs) > 1:
                signature = {v: (_sorted_colours(colours, preds[v]), _sorted_colours(colours, succs[v])) for v in vs}
                if len(set(signature.values())) > 1:
                    by_signature: dict[tuple[tuple[int, ...], tuple[int, ...]], list[int]] = {}
                    for v in vs:
                        by_signature.setdefault(signature[v], []).append(v)
                    parts[c] = [by_signature[sig] for sig in sorted(by_signature)]
        if not parts:
            return colours
        shift, extra = {}, 0  # classes after a split one move up by its number of new classes
        for c in range(max(colours) + 1):
            shift[c] = extra
            extra += len(parts[c]) - 1 if c in parts else 0
        colours = [c + shift[c] for c in colours]
        for new in parts.values():
            for i, vs in enumerate(new):
                for v in vs:
                    colours[v] += i
        touched = _classes_next_to((v for new in parts.values() for vs in new for v in vs), colours, preds, succs)
    return colours


def _classes_next_to(
    vertices: Iterable[int], colours: list[int], preds: list[list[int]], succs: list[list[int]]
) -> set[int]:
    """The classes of the predecessors and successors of ``vertices``."""
    return {colours[u] for v in vertices for u in (*preds[v], *succs[v])}


def _sorted_colours(colours: list[int], vertices: list[int]) -> tuple[int, ...]:
    """The multiset of the colours of ``vertices``, as a sorted tuple (most vertices have one neighbour)."""
    if len(vertices) == 1:
        return (colours[vertices[0]],)
    return tuple(sorted([colours[u] for u in vertices]))


def _individualise(colours: list[int], vertex: int) -> list[int]:
    """Give ``vertex`` a class of its own, ordered just before the rest of its class."""
    own = colours[vertex]
    return [c + (c > own or (c == own and v != vertex)) for v, c in enumerate(colours)]


@dataclass
class SearchStats:
    """How much of the search tree one labelling visited (filled in by :func:`canonical_graph` on request)."""

    nodes: int = 0
    """Tree nodes refined, the root and the leaves included."""
    leaves: int = 0
    automorphisms: int = 0
    """Automorphisms found at leaves (twin swaps, known before the search, are not counted)."""


def canonical_graph(
    labels: Sequence[str], edges: Sequence[Edge], *, prune: bool = True, stats: SearchStats | None = None
) -> CanonicalGraph:
    """Return the canonical form of the directed graph with vertex ``labels`` and ``edges``.

    Vertices are ``0..len(labels)-1``; duplicate edges are ignored. ``prune=False`` searches the
    tree with twin pruning alone (exponential on many identical branches; for tests and
    benchmarks), with the same result. ``stats``, when given, receives the size of the search.
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
    start = _refine([label_rank[lab] for lab in labels], None, preds, succs)
    search = _Search(start, edge_set, preds, succs, prune, stats if stats is not None else SearchStats())
    search.node(start, ())
    assert search.best is not None
    order = search.best.order
    return CanonicalGraph(labels=tuple(labels[v] for v in order), edges=search.best.encoding, order=order)


@dataclass(frozen=True)
class _Leaf:
    encoding: tuple[Edge, ...]
    order: tuple[int, ...]
    path: tuple[int, ...]
    """The individualised vertices, root first."""


class _Search:
    """Depth-first individualisation-refinement keeping the smallest leaf, pruned by known automorphisms."""

    def __init__(
        self,
        colours: list[int],
        edge_set: list[Edge],
        preds: list[list[int]],
        succs: list[list[int]],
        prune: bool,
        stats: SearchStats,
    ) -> None:
        self.edge_set, self.preds, self.succs, self.prune, self.stats = edge_set, preds, succs, prune, stats
        self.best: _Leaf | None = None
        self.leaves: dict[tuple[Edge, ...], _Leaf] = {}
        """The first leaf of every encoding met."""
        self.generators: list[dict[int, int]] = []
        """Automorphisms found at leaves, as {vertex: image} of the vertices they move."""
        # Swapping two twins (same colour, predecessors and successors) is an automorphism that
        # fixes every other vertex, known before the search (and only needed if the root branches).
        twins: dict[tuple[int, tuple[int, ...], tuple[int, ...]], int] = {}
        self.twin = [
            twins.setdefault((c, tuple(preds[v]), tuple(succs[v])), v)
            for v, c in enumerate(colours if max(colours, default=-1) + 1 < len(colours) else ())
        ]
        """The first vertex of each vertex's twin class."""

    def node(self, colours: list[int], path: tuple[int, ...]) -> int:
        """Search below the node ``path``; return the depth the search resumes at (``len(path)``: carry on)."""
        self.stats.nodes += 1
        n_classes = max(colours, default=-1) + 1
        if n_classes == len(colours):
            return self.leaf(colours, path)
        size = [0] * n_classes
        for c in colours:
            size[c] += 1
        target = next(c for c in range(n_classes) if size[c] > 1)
        depth = len(path)
        if self.prune and self.best is not None and target and self.worse_than_best(colours, size, target):
            return depth
        cell = [v for v, c in enumerate(colours) if c == target]
        # Children in one orbit of the automorphisms that fix the path have equal subtrees: explore one.
        # Twins in the cell start in one orbit.
        first_twin: dict[int, int] = {}
        parent = {v: first_twin.setdefault(self.twin[v], v) for v in cell}

        def root(v: int) -> int:
            while parent[v] != v:
                parent[v] = v = parent[parent[v]]
            return v

        used = 0
        explored: list[int] = []
        for v in cell:
            if explored:
                for g in self.generators[used:]:
                    if g.keys().isdisjoint(path):
                        for a, b in g.items():  # g fixes the path, so it maps this cell onto itself
                            if a in parent:
                                parent[root(a)] = root(b)
                used = len(self.generators)
                if any(root(u) == root(v) for u in explored):
                    continue
            explored.append(v)
            resume = self.node(_refine(_individualise(colours, v), cell, self.preds, self.succs), (*path, v))
            if resume < depth:
                return resume
        return depth

    def worse_than_best(self, colours: list[int], size: list[int], fixed: int) -> bool:
        """Whether every leaf below this node encodes larger than the best leaf so far.

        The classes ``0..fixed-1`` are single vertices, at those positions in every leaf below. In a
        stable colouring a single vertex is joined to all or none of every class, and a class keeps
        its range of positions, so the rows of these vertices, the start of every encoding below,
        are already known; the rest of an encoding has sources from ``fixed`` on.
        """
        start = list(itertools.accumulate(size, initial=0))
        vertex = {c: v for v, c in enumerate(colours) if c < fixed}
        known = tuple(
            (s, t)
            for s in range(fixed)
            for c in sorted({colours[u] for u in self.succs[vertex[s]]})
            for t in range(start[c], start[c + 1])
        )
        best = self.best.encoding if self.best is not None else ()
        rest = ((fixed, -1),)  # below every later pair of an encoding below, above every pair of a known row
        return known + rest > best[: bisect.bisect_left(best, (fixed, -1))] + rest

    def leaf(self, colours: list[int], path: tuple[int, ...]) -> int:
        """Keep the leaf if it is the smallest so far; on meeting an earlier leaf's encoding again, record the
        automorphism and return to where the two paths part."""
        self.stats.leaves += 1
        order = tuple(sorted(range(len(colours)), key=colours.__getitem__))
        position = {v: i for i, v in enumerate(order)}
        leaf = _Leaf(tuple(sorted((position[a], position[b]) for a, b in self.edge_set)), order, path)
        if self.best is None or leaf.encoding < self.best.encoding:
            self.best = leaf
        if not self.prune:
            return len(path)
        known = self.leaves.setdefault(leaf.encoding, leaf)
        if known is leaf:
            return len(path)
        self.stats.automorphisms += 1
        self.generators.append({a: b for a, b in zip(known.order, order) if a != b})
        return next(i for i, (a, b) in enumerate(zip(known.path, path)) if a != b)


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
