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
  leaf's vertex at each position to this leaf's is an automorphism. Per node, a child is skipped
  when its orbit under the automorphisms found that fix the path holds a child searched or
  bounded (below) already. And as an individualised vertex keeps the first position of its
  class, that automorphism maps the earlier leaf's path onto this one's: the child where the
  two paths part holds the image of its earlier sibling's subtree, searched already, so the
  search returns to the node where they part. This keeps k identical branches at k leaves
  instead of k!.
* *Subtrees that can only encode larger.* The first rows of every encoding below a node are
  bounded from below by its colouring alone (exact for classes of one vertex, see
  :meth:`_Search.bound`); if these bounds exceed the best leaf's rows, so does every leaf below.

The order in which a node's children are searched does not change the minimum. Children go in
index order until one whose bound lies strictly below the best leaf's rows (each of its leaves
would be a new best); then the remaining children are refined and searched in the order of their
bounds, ties by index, so that the better leaves come first and bound the rest. Without this,
components of several kinds that refinement cannot tell apart (cycles of different lengths) had
the search improve its best leaf one kind at a time, in as many orders of the kinds as the vertex
numbering happened to give (hundreds of milliseconds for seven kinds in some numberings).

None of this changes the result: a skipped image repeats encodings of an earlier subtree, searched
or itself skipped by the same rules, and a bounded subtree holds only larger encodings. So the
minimum is the whole tree's. The children of a node whose subtrees hold leaves of the minimal
encoding form one orbit of the automorphisms fixing its path; they share their bounds, so they are
met in index order in either phase, and the first of them is the one the depth-first search in
index order meets first. Each later member is skipped or searched after it, and only a strictly
smaller encoding replaces the best leaf: by induction down the tree, ``order`` is that of the
first minimal leaf in depth-first order. Forms, orders and cache keys are those of the full
search. ``prune=False`` runs the full search (with twin pruning only, as the labelling did before
2026-11-30), for tests and benchmarks.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

Edge = tuple[int, int]


@dataclass(frozen=True)
class CanonicalGraph:
    """A graph in canonical vertex order: ``labels[i]`` is vertex i; edges are sorted pairs."""

    labels: tuple[str, ...]
    edges: tuple[Edge, ...]
    order: tuple[int, ...]
    """``order[i]`` is the original index of canonical vertex i."""


@dataclass
class _Partition:
    """An ordered partition of the vertices, each cell a range of positions.

    ``lab[p]`` is the vertex at position p and ``pos`` its inverse. A vertex's colour is ``end[v]``,
    the end (exclusive) of its cell's range, so colours compare like the cells' order; ``start[e]``
    is the start of the cell ending at e. Positions inside a cell carry no meaning.
    """

    lab: list[int]
    pos: list[int]
    end: list[int]
    start: list[int]

    def individualised(self, vertex: int) -> _Partition:
        """A copy in which ``vertex`` has a cell of its own, just before the rest of its cell."""
        lab, pos, end, start = self.lab[:], self.pos[:], self.end[:], self.start[:]
        e = end[vertex]
        s = start[e]
        other, p = lab[s], pos[vertex]
        lab[s], lab[p], pos[vertex], pos[other] = vertex, other, s, p
        end[vertex], start[s + 1], start[e] = s + 1, s, s + 1
        return _Partition(lab, pos, end, start)

    def first_cell(self, scan_from: int) -> tuple[int, int] | None:
        """The first cell with several vertices at or after position ``scan_from`` (a cell start), or None."""
        s, n = scan_from, len(self.lab)
        while s < n:
            e = self.end[self.lab[s]]
            if e - s > 1:
                return s, e
            s = e
        return None


def _partition(ranks: list[int], classes: int) -> _Partition:
    """The partition of the vertices by ``ranks`` (``0..classes-1``), cells in rank order."""
    size = [0] * classes
    for r in ranks:
        size[r] += 1
    ends = list(itertools.accumulate(size))
    lab = sorted(range(len(ranks)), key=ranks.__getitem__)
    pos = [0] * len(ranks)
    for p, v in enumerate(lab):
        pos[v] = p
    start = [0] * (len(ranks) + 1)
    for e, k in zip(ends, size):
        start[e] = e - k
    return _Partition(lab, pos, [ends[r] for r in ranks], start)


def _refine(
    part: _Partition,
    changed: Iterable[int] | None,
    preds: list[list[int]],
    succs: list[list[int]],
) -> None:
    """Colour refinement of ``part``, in place, to a stable colouring.

    Each round gives every vertex the signature (sorted colours of its predecessors, sorted colours
    of its successors), computed with the colours the round starts from, and splits every cell into
    parts in the order of their signatures. ``changed`` holds the vertices whose colour just
    changed (None: a first refinement, every signature is computed).

    Only a member of a cell next to a vertex whose colour changed can get a new signature; the
    others keep the one they shared in the round before. Colours only decrease (a split cell's last
    part keeps its end), and a sorted tuple in which some entries decrease compares smaller, so
    every new signature is smaller than that shared one: the untouched members stay together as
    the cell's last part, keeping their colour. A round therefore costs the neighbourhood of the
    changed vertices, and its result is that of recomputing every signature.
    """
    lab, pos, end, start = part.lab, part.pos, part.end, part.start
    while True:
        members: dict[int, list[int]] = {}  # cell (its end) -> the members whose signature may have changed
        if changed is None:
            for w in range(len(lab)):
                members.setdefault(end[w], []).append(w)
        else:
            for w in {w for v in changed for near in (preds[v], succs[v]) for w in near}:
                e = end[w]
                if e - start[e] > 1:
                    members.setdefault(e, []).append(w)
        splits = []
        for e, ws in members.items():
            size = e - start[e]
            if len(ws) == 1 < size:  # one new signature, below the others'
                splits.append((e, [ws]))
            elif size > 1:
                groups: dict[tuple[tuple[int, ...], tuple[int, ...]], list[int]] = {}
                for w in ws:
                    signature = (_sorted_colours(end, preds[w]), _sorted_colours(end, succs[w]))
                    if signature in groups:
                        groups[signature].append(w)
                    else:
                        groups[signature] = [w]
                if len(groups) > 1 or len(ws) < size:
                    splits.append((e, [groups[signature] for signature in sorted(groups)]))
        if not splits:
            return
        changed = []
        for e, parts in splits:  # the cells are disjoint ranges: split each in place
            i = start[e]
            for vs in parts:
                begin = i
                for w in vs:
                    other, p = lab[i], pos[w]
                    lab[i], lab[p], pos[w], pos[other] = w, other, i, p
                    i += 1
                if i < e:  # not the last part: a new, smaller colour
                    start[i] = begin
                    for w in vs:
                        end[w] = i
                    changed += vs
                else:
                    start[e] = begin
            if i < e:  # the untouched members
                start[e] = i


def _sorted_colours(colours: list[int], vertices: list[int]) -> tuple[int, ...]:
    """The multiset of the colours of ``vertices``, as a sorted tuple (most vertices have one or two neighbours)."""
    if len(vertices) == 1:
        return (colours[vertices[0]],)
    if len(vertices) == 2:
        a, b = colours[vertices[0]], colours[vertices[1]]
        return (a, b) if a <= b else (b, a)
    return tuple(sorted([colours[u] for u in vertices]))


@dataclass
class SearchStats:
    """How much of the search tree one labelling visited (filled in by :func:`canonical_graph` on request)."""

    nodes: int = 0
    """Tree nodes refined, the root and the leaves included."""
    leaves: int = 0
    automorphisms: int = 0
    """Automorphisms found at leaves (twin swaps, known before the search, are not counted)."""


def _adjacency(n: int, edges: list[tuple[int, int]]) -> tuple[list[list[int]], list[list[int]]]:
    """Each vertex's predecessors and successors, in the order of ``edges``."""
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges:
        succs[a].append(b)
        preds[b].append(a)
    return preds, succs


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
    preds, succs = _adjacency(n, edge_set)
    label_rank = {lab: i for i, lab in enumerate(sorted(set(labels)))}
    search = _Search(edge_set, preds, succs, prune, stats if stats is not None else SearchStats())
    root = _partition([label_rank[lab] for lab in labels], len(label_rank))
    search.refine(root, None)
    search.node(root, (), (), None)
    assert search.best is not None
    order = search.best.order
    return CanonicalGraph(labels=tuple(labels[v] for v in order), edges=search.best.encoding, order=order)


@dataclass(frozen=True)
class _Leaf:
    encoding: tuple[Edge, ...]
    order: tuple[int, ...]
    path: tuple[int, ...]
    """The individualised vertices, root first."""


class _Rows(NamedTuple):
    """Rows of the encoding for the positions ``start..end-1``, as its pairs."""

    start: int
    pairs: tuple[Edge, ...]
    end: int

    def key(self) -> tuple[Edge, ...]:
        """The pairs, then one below every later pair of an encoding and above every pair of these rows:
        comparing keys compares what the rows say of the encodings."""
        return (*self.pairs, (self.end, -1))


def _root(parent: dict[int, int], v: int) -> int:
    """The root of v in the union-find forest ``parent``, halving the path."""
    while parent[v] != v:
        parent[v] = v = parent[parent[v]]
    return v


class _Search:
    """Depth-first individualisation-refinement keeping the smallest leaf, pruned by known automorphisms."""

    def __init__(
        self, edge_set: list[Edge], preds: list[list[int]], succs: list[list[int]], prune: bool, stats: SearchStats
    ) -> None:
        self.edge_set, self.preds, self.succs, self.prune, self.stats = edge_set, preds, succs, prune, stats
        self.best: _Leaf | None = None
        self.leaves: dict[tuple[Edge, ...], _Leaf] = {}
        """The first leaf of every encoding met."""
        self.generators: list[dict[int, int]] = []
        """Automorphisms found at leaves, as {vertex: image} of the vertices they move."""
        self.twin: list[int] = []
        """The first vertex of each vertex's twin class."""

    def refine(self, part: _Partition, changed: Iterable[int] | None) -> None:
        """Refine ``part`` in place (see :func:`_refine`), counting a node."""
        self.stats.nodes += 1
        _refine(part, changed, self.preds, self.succs)

    def set_twins(self, root: _Partition) -> None:
        """Swapping two twins (same colour, predecessors and successors) is an automorphism that fixes
        every other vertex, known before the search."""
        twins: dict[tuple[int, tuple[int, ...], tuple[int, ...]], int] = {}
        self.twin = [
            twins.setdefault((c, tuple(self.preds[v]), tuple(self.succs[v])), v) for v, c in enumerate(root.end)
        ]

    def node(self, part: _Partition, path: tuple[int, ...], known: tuple[Edge, ...], rows: _Rows | None) -> int:
        """Search below the node ``path``; return the depth the search resumes at (``len(path)``: carry on).

        ``known`` are the (exact) rows of the single vertices before ``rows.start``, ``rows`` those
        of :meth:`bound` from there (None at the root: all of them).
        """
        target = part.first_cell(0 if rows is None else rows.start)
        if target is None:
            return self.leaf(part, path)
        if rows is None:  # the root, which branches
            rows = self.bound(part, 0) if self.prune else _Rows(0, (), 0)
            self.set_twins(part)
        s, e = target
        depth = len(path)
        known += rows.pairs[: bisect.bisect_left(rows.pairs, (s, -1))]  # every cell before s is a single vertex
        cell = sorted(part.lab[s:e])
        # Children in one orbit of the automorphisms that fix the path have equal subtrees: search one.
        # Twins in the cell start in one orbit.
        first_twin: dict[int, int] = {}
        parent = {v: first_twin.setdefault(self.twin[v], v) for v in cell}
        used = 0

        def orbit(v: int) -> int:
            """The least vertex of v's orbit under the automorphisms found so far that fix the path."""
            nonlocal used
            for g in self.generators[used:]:
                if g.keys().isdisjoint(path):
                    for a, b in g.items():  # g fixes the path, so it maps this cell onto itself
                        if a in parent:
                            ra, rb = _root(parent, a), _root(parent, b)
                            parent[max(ra, rb)] = min(ra, rb)
            used = len(self.generators)
            return _root(parent, v)

        evaluated: dict[int, tuple[_Rows, _Partition]] = {}

        def child(v: int) -> tuple[_Rows, _Partition]:
            """The refined child that individualises v, and its rows from s on."""
            if v not in evaluated:
                q = part.individualised(v)
                self.refine(q, (v,))
                evaluated[v] = (self.bound(q, s) if self.prune else _Rows(s, (), s)), q
            return evaluated[v]

        queue, k, ordered = cell, 0, False
        done: set[int] = set()  # searched, or all its leaves encode larger than the best
        while k < len(queue):
            v = queue[k]
            k += 1
            if orbit(v) in {orbit(u) for u in done}:
                continue
            rows_v, q = child(v)
            order = self.compare(known, rows_v) if self.prune else 0
            if order < 0 and not ordered and self.best is not None:
                # Every leaf below v beats the best so far: refine the rest of the cell and search it in
                # the order of the rows, so that the best of these leaves tends to come first.
                ordered = True
                queue, k = sorted((u for u in queue[k - 1 :] if orbit(u) == u), key=lambda u: (child(u)[0].key(), u)), 0
                continue
            done.add(v)
            if order > 0:
                continue
            resume = self.node(q, (*path, v), known, rows_v)
            if resume < depth:
                return resume
        return depth

    def bound(self, part: _Partition, scan_from: int) -> _Rows:
        """Rows no larger than those of any leaf below ``part``, from position ``scan_from`` (a cell start) up
        to its first cell of more than two vertices.

        The rows of an encoding (the sorted targets of the vertex at each position) compare like
        the encodings, and the positions of a cell's vertices in every leaf below are its range.
        In a stable colouring each vertex of a cell X has the same number d of successors in a
        cell Y. A single vertex is joined to all of Y or none, so its row is exact (and stays so
        below). For X of two vertices, either both are joined to all of Y, or each to half of it
        (every vertex of Y having one predecessor in X): the smallest first row takes Y's first
        half, and then the second row holds the other half; so where a leaf's first row agrees
        with this one its second row does too, and where it differs it is larger. Larger cells
        give weak bounds, so the rows stop there.
        """
        lab, end, start, succs = part.lab, part.end, part.start, self.succs
        pairs: list[Edge] = []
        s, n = scan_from, len(lab)
        while s < n:
            e = end[lab[s]]
            if e - s > 2:
                break
            count: dict[int, int] = {}  # cell (its end) -> targets there
            for u in succs[lab[s]]:
                count[end[u]] = count.get(end[u], 0) + 1
            for i in range(e - s):
                for y in sorted(count):
                    d = count[y]
                    first = start[y] + i * (y - start[y] - d)  # all of a cell joined to both rows, else half each
                    pairs += [(s + i, t) for t in range(first, first + d)]
            s = e
        return _Rows(scan_from, tuple(pairs), s)

    def compare(self, known: tuple[Edge, ...], rows: _Rows) -> int:
        """-1, 0 or 1 as the rows ``known`` then ``rows`` are below, equal to or above the best leaf's first
        rows: 1 means every leaf below encodes larger than the best, -1 smaller."""
        if self.best is None:
            return -1
        best = self.best.encoding
        middle = bisect.bisect_left(best, (rows.start, -1))
        for mine, theirs in (
            (_Rows(0, known, rows.start), _Rows(0, best[:middle], rows.start)),
            (rows, _Rows(rows.start, best[middle : bisect.bisect_left(best, (rows.end, -1))], rows.end)),
        ):
            if mine != theirs:
                return -1 if mine.key() < theirs.key() else 1
        return 0

    def leaf(self, part: _Partition, path: tuple[int, ...]) -> int:
        """Keep the leaf if it is the smallest so far; on meeting an earlier leaf's encoding again, record the
        automorphism and return to where the two paths part."""
        self.stats.leaves += 1
        position = part.pos
        leaf = _Leaf(tuple(sorted((position[a], position[b]) for a, b in self.edge_set)), tuple(part.lab), path)
        if self.best is None or leaf.encoding < self.best.encoding:
            self.best = leaf
        if not self.prune:
            return len(path)
        known = self.leaves.setdefault(leaf.encoding, leaf)
        if known is leaf:
            return len(path)
        self.stats.automorphisms += 1
        self.generators.append({a: b for a, b in zip(known.order, leaf.order) if a != b})
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
