"""Tests for repro.canonical: canonical labelling of small vertex-labelled digraphs.

The canonical form must be invariant under vertex renumbering (soundness of the cache key) and
complete (equal forms only for isomorphic graphs). Isomorphism is decided independently here by
brute force over vertex permutations, and the number of isomorphism classes of all small
digraphs is checked against the known counts (OEIS A000273 / A000595 / A003087).
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import random
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from repro.cache.store import Store
from repro.canonical import (
    CanonicalGraph,
    SearchStats,
    _adjacency,
    _partition,
    _refine,
    canonical_graph,
    topological_order,
)
from repro.spaces import CanonicalForm, get_space, nb201
from repro.spaces.base import canonical_key

Edge = tuple[int, int]


# --- helpers -----------------------------------------------------------------------------------


def form(labels: Sequence[str], edges: Sequence[Edge]) -> tuple[tuple[str, ...], tuple[Edge, ...]]:
    """The comparable part of the canonical graph (``order`` legitimately differs between copies)."""
    cg = canonical_graph(labels, edges)
    return cg.labels, cg.edges


def permuted(
    labels: Sequence[str], edges: Sequence[Edge], rng: np.random.Generator, duplicates: bool = True
) -> tuple[list[str], list[Edge]]:
    """The same graph with vertices renumbered, edge list shuffled and (optionally) edges repeated."""
    n = len(labels)
    perm = [int(x) for x in rng.permutation(n)]  # old vertex v becomes perm[v]
    new_labels = [""] * n
    for v in range(n):
        new_labels[perm[v]] = labels[v]
    new_edges = [(perm[a], perm[b]) for a, b in edges]
    if duplicates and new_edges:
        extra = rng.integers(0, len(new_edges), size=int(rng.integers(0, 4)))
        new_edges += [new_edges[int(i)] for i in extra]
    order = rng.permutation(len(new_edges))
    return new_labels, [new_edges[int(i)] for i in order]


def random_graph(
    rng: np.random.Generator, n: int, n_labels: int, p: float, dag: bool, loops: bool = False
) -> tuple[list[str], list[Edge]]:
    labels = [f"L{int(rng.integers(n_labels))}" for _ in range(n)]
    edges = []
    for a in range(n):
        for b in range(n):
            if dag and a >= b:
                continue
            if a == b and not loops:
                continue
            if rng.random() < p:
                edges.append((a, b))
    if dag:  # a DAG in a random vertex numbering, not only in the upper-triangular one
        return permuted(labels, edges, rng, duplicates=False)
    return labels, edges


def regular_digraph(rng: np.random.Generator, n: int, k: int) -> tuple[list[str], list[Edge]]:
    """Union of k random fixed-point-free permutations: usually every vertex has in- and out-degree k,
    so colour refinement alone leaves one colour class and only individualisation can order it."""
    edges: set[Edge] = set()
    for _ in range(k):
        while True:
            perm = rng.permutation(n)
            if all(int(perm[v]) != v for v in range(n)):
                break
        edges |= {(v, int(perm[v])) for v in range(n)}
    return ["A"] * n, sorted(edges)


def isomorphic(la: Sequence[str], ea: Sequence[Edge], lb: Sequence[str], eb: Sequence[Edge]) -> bool:
    """Brute force: is there a label-preserving bijection f with f(ea) == eb (as sets)?"""
    if len(la) != len(lb) or sorted(la) != sorted(lb):
        return False
    sa, sb = set(ea), set(eb)
    if len(sa) != len(sb):
        return False
    n = len(la)
    for f in itertools.permutations(range(n)):
        if any(la[v] != lb[f[v]] for v in range(n)):
            continue
        if {(f[a], f[b]) for a, b in sa} == sb:
            return True
    return False


def check_order(labels: Sequence[str], edges: Sequence[Edge], cg: CanonicalGraph) -> None:
    n = len(labels)
    assert sorted(cg.order) == list(range(n)), "order must be a permutation of the vertices"
    assert len(cg.labels) == n
    for i in range(n):
        assert cg.labels[i] == labels[cg.order[i]]
    position = {v: i for i, v in enumerate(cg.order)}
    assert list(cg.edges) == sorted(set(cg.edges)), "edges must be sorted and free of duplicates"
    assert set(cg.edges) == {(position[a], position[b]) for a, b in edges}
    # and back: every canonical edge is an original edge
    assert {(cg.order[i], cg.order[j]) for i, j in cg.edges} == set(edges)


def undirected(pairs: Sequence[Edge]) -> list[Edge]:
    return [(a, b) for a, b in pairs] + [(b, a) for a, b in pairs]


# --- invariance --------------------------------------------------------------------------------


@pytest.mark.parametrize("dag", [True, False])
def test_invariant_under_vertex_permutation(dag: bool) -> None:
    rng = np.random.default_rng(20240 + dag)
    for _ in range(300):
        n = int(rng.integers(1, 8))
        labels, edges = random_graph(rng, n, int(rng.integers(2, 4)), float(rng.uniform(0.1, 0.7)), dag, loops=not dag)
        reference = form(labels, edges)
        for _ in range(4):
            pl, pe = permuted(labels, edges, rng)
            assert form(pl, pe) == reference, (labels, edges, pl, pe)


def test_invariant_on_symmetric_graphs_with_one_label() -> None:
    """Highly symmetric inputs are where the branching (and its pruning) matters most."""
    rng = np.random.default_rng(7)
    cases = [
        (["A"] * 6, [(i, (i + 1) % 6) for i in range(6)]),  # directed 6-cycle
        (["A"] * 6, [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)]),  # two directed 3-cycles
        (["A"] * 6, [(a, b) for a in range(6) for b in range(6) if a != b]),  # complete digraph
        (["A"] * 7, []),  # no edges
        (["A"] * 6, [(i, i) for i in range(6)]),  # only self-loops
        (["A"] * 6, undirected([(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (0, 3), (1, 4), (2, 5)])),  # prism
        (["A"] * 6, undirected([(0, 3), (0, 4), (0, 5), (1, 3), (1, 4), (1, 5), (2, 3), (2, 4), (2, 5)])),  # K3,3
    ]
    for labels, edges in cases:
        reference = form(labels, edges)
        for _ in range(10):
            assert form(*permuted(labels, edges, rng)) == reference


def test_invariant_on_graphs_colour_refinement_cannot_split() -> None:
    rng = np.random.default_rng(31)
    for _ in range(150):
        labels, edges = regular_digraph(rng, int(rng.integers(4, 9)), int(rng.integers(1, 4)))
        reference = form(labels, edges)
        for _ in range(4):
            assert form(*permuted(labels, edges, rng)) == reference, (labels, edges)


# --- completeness ------------------------------------------------------------------------------


def test_equal_forms_iff_isomorphic_random_pairs() -> None:
    rng = np.random.default_rng(99)
    n_iso = n_non_iso = 0
    for trial in range(500):
        n = int(rng.integers(1, 7))
        n_labels = int(rng.integers(1, 4))
        dag = bool(rng.random() < 0.5)
        p = float(rng.uniform(0.15, 0.6))
        la, ea = random_graph(rng, n, n_labels, p, dag, loops=not dag)
        kind = trial % 3
        if kind == 0:  # an isomorphic copy
            lb, eb = permuted(la, ea, rng)
        elif kind == 1:  # a permuted copy with one edge moved: same label multiset and edge count
            lb, eb = permuted(la, ea, rng, duplicates=False)
            eb = list(set(eb))
            candidates = [(a, b) for a in range(n) for b in range(n) if (a, b) not in eb and (a != b or not dag)]
            if eb and candidates:
                eb.pop(int(rng.integers(len(eb))))
                eb.append(candidates[int(rng.integers(len(candidates)))])
        else:  # an independent graph with the same labels and edge count
            lb, eb = permuted(la, ea, rng, duplicates=False)
            m = len(set(eb))
            all_pairs = [(a, b) for a in range(n) for b in range(n)]
            pick = rng.choice(len(all_pairs), size=m, replace=False)
            eb = [all_pairs[int(i)] for i in pick]
        iso = isomorphic(la, ea, lb, eb)
        n_iso += iso
        n_non_iso += not iso
        assert (form(la, ea) == form(lb, eb)) == iso, (la, ea, lb, eb, iso)
    # the test only means something if both answers occurred often
    assert n_iso > 150 and n_non_iso > 150, (n_iso, n_non_iso)


def test_equal_forms_iff_isomorphic_regular_pairs() -> None:
    """Pairs of WL-1-indistinguishable graphs (same size and degrees), half of them isomorphic copies."""
    rng = np.random.default_rng(47)
    n_iso = n_non_iso = 0
    for trial in range(200):
        n, k = int(rng.integers(5, 7)), int(rng.integers(1, 3))
        la, ea = regular_digraph(rng, n, k)
        lb, eb = permuted(la, ea, rng) if trial % 2 else regular_digraph(rng, n, k)
        iso = isomorphic(la, ea, lb, eb)
        n_iso += iso
        n_non_iso += not iso
        assert (form(la, ea) == form(lb, eb)) == iso, (ea, eb, iso)
    assert n_iso > 60 and n_non_iso > 30, (n_iso, n_non_iso)


@pytest.mark.parametrize(
    ("n", "loops", "dag", "expected"),
    [
        (3, False, False, 16),  # OEIS A000273: digraphs without loops
        (4, False, False, 218),
        (3, True, False, 104),  # OEIS A000595: binary relations (digraphs with loops)
        (4, False, True, 31),  # OEIS A003087: acyclic digraphs
    ],
)
def test_number_of_classes_of_all_small_digraphs(n: int, loops: bool, dag: bool, expected: int) -> None:
    """Canonicalise *every* digraph on n unlabelled vertices: exactly one form per isomorphism class."""
    pairs = [(a, b) for a in range(n) for b in range(n) if loops or a != b]
    labels = ["A"] * n
    forms = set()
    for mask in range(1 << len(pairs)):
        edges = [pairs[i] for i in range(len(pairs)) if mask >> i & 1]
        if dag and len(topological_order(n, edges)) < n:  # skip cyclic graphs
            continue
        cg = canonical_graph(labels, edges)
        forms.add(cg.edges)
    assert len(forms) == expected


def test_all_two_coloured_graphs_on_three_vertices_classes_match_brute_force() -> None:
    """Every labelled digraph on 3 vertices with labels from {A, B}: forms partition exactly like isomorphism."""
    pairs = [(a, b) for a in range(3) for b in range(3) if a != b]
    graphs = []
    for labels in itertools.product("AB", repeat=3):
        for mask in range(1 << len(pairs)):
            graphs.append((list(labels), [pairs[i] for i in range(len(pairs)) if mask >> i & 1]))
    # brute-force classes
    reps: list[tuple[list[str], list[Edge]]] = []
    rep_of: list[int] = []
    for la, ea in graphs:
        for k, (lb, eb) in enumerate(reps):
            if isomorphic(la, ea, lb, eb):
                rep_of.append(k)
                break
        else:
            rep_of.append(len(reps))
            reps.append((la, ea))
    forms = [form(*g) for g in graphs]
    by_form: dict[object, set[int]] = {}
    for f, k in zip(forms, rep_of):
        by_form.setdefault(f, set()).add(k)
    assert all(len(ks) == 1 for ks in by_form.values()), "equal forms for non-isomorphic graphs"
    assert len(by_form) == len(reps), "isomorphic graphs with different forms"


def test_six_cycle_vs_two_triangles_need_individualisation() -> None:
    """Colour refinement gives every vertex the same colour in both graphs; the forms must still differ."""
    cycle6 = (["A"] * 6, [(i, (i + 1) % 6) for i in range(6)])
    triangles = (["A"] * 6, [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)])
    assert not isomorphic(*cycle6, *triangles)
    assert form(*cycle6) != form(*triangles)
    # the same pair undirected (2-regular): still WL-1 indistinguishable
    u6 = (["A"] * 6, undirected([(i, (i + 1) % 6) for i in range(6)]))
    u33 = (["A"] * 6, undirected([(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)]))
    assert form(*u6) != form(*u33)
    # prism vs K3,3: both 3-regular on 6 vertices
    prism = (["A"] * 6, undirected([(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (0, 3), (1, 4), (2, 5)]))
    k33 = (["A"] * 6, undirected([(0, 3), (0, 4), (0, 5), (1, 3), (1, 4), (1, 5), (2, 3), (2, 4), (2, 5)]))
    assert not isomorphic(*prism, *k33)
    assert form(*prism) != form(*k33)

    # embedded between IN and OUT: IN feeds every cycle vertex, every cycle vertex feeds OUT
    def wrap(g: tuple[list[str], list[Edge]]) -> tuple[list[str], list[Edge]]:
        body = [(a + 2, b + 2) for a, b in g[1]]
        return ["IN", "OUT"] + g[0], body + [(0, v + 2) for v in range(6)] + [(v + 2, 1) for v in range(6)]

    assert form(*wrap(cycle6)) != form(*wrap(triangles))


def test_strongly_regular_pair_rook_vs_shrikhande() -> None:
    """4x4 rook's graph and the Shrikhande graph: both SRG(16, 6, 2, 2), not isomorphic (even 2-WL fails)."""
    cells = [(a, b) for a in range(4) for b in range(4)]
    index = {c: i for i, c in enumerate(cells)}
    rook = [(index[p], index[q]) for p in cells for q in cells if p != q and (p[0] == q[0] or p[1] == q[1])]
    steps = {(0, 1), (0, 3), (1, 0), (3, 0), (1, 1), (3, 3)}
    shrikhande = [(index[p], index[q]) for p in cells for q in cells if ((q[0] - p[0]) % 4, (q[1] - p[1]) % 4) in steps]
    assert len(rook) == len(shrikhande) == 16 * 6
    labels = ["A"] * 16
    f_rook, f_shri = form(labels, rook), form(labels, shrikhande)
    assert f_rook != f_shri
    rng = np.random.default_rng(16)
    assert form(*permuted(labels, rook, rng)) == f_rook
    assert form(*permuted(labels, shrikhande, rng)) == f_shri


def parallel_branches(k: int, chain: int) -> tuple[list[str], list[Edge]]:
    """IN -> (k identical chains of ``chain`` X vertices) -> OUT."""
    labels = ["IN", "OUT"]
    edges: list[Edge] = []
    for _ in range(k):
        prev = 0
        for _ in range(chain):
            labels.append("X")
            v = len(labels) - 1
            edges.append((prev, v))
            prev = v
        edges.append((prev, 1))
    return labels, edges


def test_parallel_branch_counts_and_chain_lengths_are_distinguished() -> None:
    rng = np.random.default_rng(3)
    # k twins IN->X->OUT
    forms = {k: form(*parallel_branches(k, 1)) for k in range(1, 6)}
    assert len(set(forms.values())) == 5
    for k in range(1, 6):
        g = parallel_branches(k, 1)
        check_order(*g, canonical_graph(*g))
        for _ in range(3):
            assert form(*permuted(*g, rng)) == forms[k]
    # identical chains of length 2 (X vertices of different chains are not twins)
    for k in range(1, 5):
        g = parallel_branches(k, 2)
        f = form(*g)
        for _ in range(3):
            assert form(*permuted(*g, rng)) == f
    # the same two chains of length 2, numbered differently (vertex 3 now ends the second chain)
    two_chains = (["IN", "OUT", "X", "X", "X", "X"], [(0, 2), (2, 3), (3, 1), (0, 4), (4, 5), (5, 1)])
    crossed = (["IN", "OUT", "X", "X", "X", "X"], [(0, 2), (2, 5), (3, 1), (0, 4), (4, 3), (5, 1)])
    assert isomorphic(*two_chains, *crossed)
    assert form(*two_chains) == form(*crossed)
    # a chain of 4 plus a skip IN->OUT: same labels and edge count, different shape
    one_long = (["IN", "OUT", "X", "X", "X", "X"], [(0, 2), (2, 3), (3, 4), (4, 5), (5, 1), (0, 1)])
    assert not isomorphic(*two_chains, *one_long)
    assert form(*two_chains) != form(*one_long)


def test_twins_with_different_neighbourhoods_are_not_merged() -> None:
    """Same label and same colour after refinement is not enough to be pruned as twins."""
    # a and b look alike to refinement (both IN->X->OUT shaped) but feed different successors
    g1 = (["IN", "X", "X", "Y", "Y", "OUT"], [(0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 5)])
    g2 = (["IN", "X", "X", "Y", "Y", "OUT"], [(0, 1), (0, 2), (1, 3), (1, 4), (3, 5), (4, 5)])
    assert not isomorphic(*g1, *g2)
    assert form(*g1) != form(*g2)


# --- order ------------------------------------------------------------------------------------


def test_order_maps_back_to_the_original_graph() -> None:
    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(1, 8))
        dag = bool(rng.random() < 0.5)
        labels, edges = random_graph(rng, n, int(rng.integers(2, 4)), float(rng.uniform(0.1, 0.7)), dag, loops=not dag)
        labels, edges = permuted(labels, edges, rng)  # with duplicate edges
        check_order(labels, edges, canonical_graph(labels, edges))


def test_labels_come_out_sorted_and_edges_canonical_for_a_known_graph() -> None:
    cg = canonical_graph(["OUT", "B", "IN", "A"], [(2, 3), (3, 1), (1, 0), (2, 3)])
    assert cg.labels == ("A", "B", "IN", "OUT")
    assert cg.edges == ((0, 1), (1, 3), (2, 0))
    assert cg.order == (3, 1, 2, 0)


def test_empty_and_single_vertex_graphs() -> None:
    assert canonical_graph([], []) == CanonicalGraph(labels=(), edges=(), order=())
    assert canonical_graph(["A"], []) == CanonicalGraph(labels=("A",), edges=(), order=(0,))
    assert canonical_graph(["A"], [(0, 0), (0, 0)]) == CanonicalGraph(labels=("A",), edges=((0, 0),), order=(0,))


def test_edges_outside_the_vertex_range_are_rejected() -> None:
    with pytest.raises(ValueError, match="outside"):
        canonical_graph(["A", "B"], [(0, 2)])
    with pytest.raises(ValueError, match="outside"):
        canonical_graph(["A", "B"], [(-1, 0)])


# --- topological_order ------------------------------------------------------------------------


def test_topological_order_known_answers() -> None:
    assert topological_order(0, []) == []
    assert topological_order(3, []) == [0, 1, 2]
    assert topological_order(4, [(3, 2), (2, 1), (1, 0)]) == [3, 2, 1, 0]
    # 1 becomes ready after 2 is taken and must be preferred over the waiting 3
    assert topological_order(4, [(2, 1), (3, 0)]) == [2, 1, 3, 0]
    assert topological_order(3, [(0, 2), (0, 2), (1, 2)]) == [0, 1, 2]  # duplicate edges
    assert topological_order(5, [(4, 0), (0, 3), (4, 3), (1, 2)]) == [1, 2, 4, 0, 3]


def test_topological_order_is_the_smallest_valid_order() -> None:
    """Smallest-ready-first Kahn gives the lexicographically smallest topological order."""
    rng = np.random.default_rng(11)
    for _ in range(150):
        n = int(rng.integers(1, 7))
        _, edges = random_graph(rng, n, 1, float(rng.uniform(0.1, 0.6)), dag=True)
        got = topological_order(n, edges)
        assert sorted(got) == list(range(n))
        position = {v: i for i, v in enumerate(got)}
        assert all(position[a] < position[b] for a, b in edges)
        valid = [list(p) for p in itertools.permutations(range(n)) if all(p.index(a) < p.index(b) for a, b in edges)]
        assert got == min(valid)


def test_topological_order_of_a_cyclic_graph_omits_the_cycle() -> None:
    order = topological_order(4, [(0, 1), (1, 2), (2, 1), (2, 3)])
    assert order == [0]


# --- performance sanity -----------------------------------------------------------------------


def test_eight_identical_parallel_branches_are_fast_and_invariant() -> None:
    """8 twins would mean 8! leaves without twin pruning; with it, one path to one leaf."""
    rng = np.random.default_rng(8)
    g = parallel_branches(8, 1)
    for prune in (True, False):
        cg, stats = searched(*g, prune=prune)
        assert (stats.nodes, stats.leaves) == (8, 1), stats  # the root, then 7 twins individualised
    check_order(*g, cg)
    for _ in range(5):
        assert form(*permuted(*g, rng)) == (cg.labels, cg.edges)
    # the same with an extra branch type mixed in: 8 twins of X and 3 twins of Y
    labels, edges = g
    labels = list(labels) + ["Y"] * 3
    ys = range(len(g[0]), len(labels))
    edges = list(edges) + [(0, v) for v in ys] + [(v, 1) for v in ys]
    f = form(labels, edges)
    for _ in range(5):
        assert form(*permuted(labels, edges, rng)) == f


# --- pinned forms: the keys of symmetric graphs must never change -----------------------------
#
# Every invariance test above passes for *any* canonical labelling (e.g. the largest leaf instead
# of the smallest, or the individualised vertex ordered after its class), but cache keys are the
# hash of this particular form. These values were computed with the labelling of 2026-11-30
# (before automorphism pruning) and pin it, forms, orders and keys, on graphs that need
# individualisation.


PINNED = [  # (name, labels, edges, canonical labels, canonical edges, order)
    (
        "directed 6-cycle",
        ["A"] * 6,
        [(i, (i + 1) % 6) for i in range(6)],
        ("A",) * 6,
        ((0, 1), (1, 3), (2, 0), (3, 5), (4, 2), (5, 4)),
        (0, 1, 5, 2, 4, 3),
    ),
    (
        "undirected 6-cycle",
        ["A"] * 6,
        undirected([(i, (i + 1) % 6) for i in range(6)]),
        ("A",) * 6,
        ((0, 1), (0, 2), (1, 0), (1, 3), (2, 0), (2, 4), (3, 1), (3, 5), (4, 2), (4, 5), (5, 3), (5, 4)),
        (0, 1, 5, 2, 4, 3),
    ),
    (
        "two directed triangles",
        ["A"] * 6,
        [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)],
        ("A",) * 6,
        ((0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)),
        (0, 1, 2, 3, 4, 5),
    ),
    (
        "K3,3",
        ["A"] * 6,
        undirected([(a, b) for a in range(3) for b in range(3, 6)]),
        ("A",) * 6,
        (
            (0, 1),
            (0, 2),
            (0, 3),
            (1, 0),
            (1, 4),
            (1, 5),
            (2, 0),
            (2, 4),
            (2, 5),
            (3, 0),
            (3, 4),
            (3, 5),
            (4, 1),
            (4, 2),
            (4, 3),
            (5, 1),
            (5, 2),
            (5, 3),
        ),
        (0, 3, 4, 5, 1, 2),
    ),
    (
        "two parallel chains",
        ["X", "IN", "X", "OUT", "X", "X"],
        [(1, 0), (0, 2), (2, 3), (1, 5), (5, 4), (4, 3)],
        ("IN", "OUT", "X", "X", "X", "X"),
        ((0, 2), (0, 3), (2, 4), (3, 5), (4, 1), (5, 1)),
        (1, 3, 0, 5, 2, 4),
    ),
    # leaves that individualise a 6-cycle vertex and a triangle vertex encode differently: the minimum matters
    (
        "6-cycle and two triangles",
        ["A"] * 12,
        [(0, 11), (1, 8), (2, 1), (3, 7), (4, 6), (5, 9), (6, 10), (7, 0), (8, 2), (9, 3), (10, 4), (11, 5)],
        ("A",) * 12,
        ((0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (6, 7), (7, 9), (8, 6), (9, 11), (10, 8), (11, 10)),
        (1, 8, 2, 4, 6, 10, 0, 11, 7, 5, 3, 9),
    ),
]


@pytest.mark.parametrize(
    ("name", "labels", "edges", "c_labels", "c_edges", "order"), PINNED, ids=[p[0] for p in PINNED]
)
def test_pinned_forms_of_graphs_that_need_individualisation(
    name: str,
    labels: list[str],
    edges: list[Edge],
    c_labels: tuple[str, ...],
    c_edges: tuple[Edge, ...],
    order: tuple[int, ...],
) -> None:
    assert canonical_graph(labels, edges) == CanonicalGraph(labels=c_labels, edges=c_edges, order=order)
    rng = np.random.default_rng(len(name))
    for _ in range(3):
        assert form(*permuted(labels, edges, rng)) == (c_labels, c_edges)


PINNED_KEYS = [  # (space, genome JSON, canonical text, key)
    (
        "remnet",
        '{"nodes":["CONV_3.N","IN","CONV_3.N","OUT","CONV_3.N","CONV_3.N"],'
        '"edges":[[1,0],[0,2],[2,3],[1,5],[5,4],[4,3]]}',
        '{"nodes":["CONV_3.N","CONV_3.N","CONV_3.N","CONV_3.N","IN","OUT"],"edges":[[0,5],[1,5],[2,0],[3,1],[4,2],[4,3]]}',
        "ce05e91cce9f4806cbd08a69e0c4aa0a",
    ),
    # three CONV_3.N -> POOL_2.M chains, two twin CONV_5.H and a skip connection
    (
        "remnet",
        '{"nodes":["IN","OUT","CONV_3.N","POOL_2.M","CONV_3.N","POOL_2.M","CONV_3.N","POOL_2.M","CONV_5.H",'
        '"CONV_5.H"],"edges":[[0,2],[2,3],[3,1],[0,4],[4,5],[5,1],[0,6],[6,7],[7,1],[0,8],[8,1],[0,9],[9,1],'
        "[0,1]]}",
        '{"nodes":["CONV_3.N","CONV_3.N","CONV_3.N","CONV_5.H","CONV_5.H","IN","OUT","POOL_2.M","POOL_2.M","POOL_2.M"],'
        '"edges":[[0,7],[1,8],[2,9],[3,6],[4,6],[5,0],[5,1],[5,2],[5,3],[5,4],[5,6],[7,6],[8,6],[9,6]]}',
        "f6bb6f264519e4a8ddd18f908fc14186",
    ),
    # IN -> 7 CONV_3.N -> 7 POOL_2.M -> OUT, the middle edges a 6-cycle and an 8-cycle: refinement cannot
    # tell the two cycles apart, and leaves starting in either encode differently
    (
        "remnet",
        '{"nodes":["IN","OUT","CONV_3.N","CONV_3.N","CONV_3.N","CONV_3.N","CONV_3.N","CONV_3.N","CONV_3.N",'
        '"POOL_2.M","POOL_2.M","POOL_2.M","POOL_2.M","POOL_2.M","POOL_2.M","POOL_2.M"],"edges":[[0,2],[0,3],'
        "[0,4],[0,5],[0,6],[0,7],[0,8],[2,9],[2,10],[3,10],[3,11],[4,11],[4,9],[5,12],[5,13],[6,13],[6,14],"
        "[7,14],[7,15],[8,15],[8,12],[9,1],[10,1],[11,1],[12,1],[13,1],[14,1],[15,1]]}",
        '{"nodes":["CONV_3.N","CONV_3.N","CONV_3.N","CONV_3.N","CONV_3.N","CONV_3.N","CONV_3.N","IN","OUT","POOL_2.M",'
        '"POOL_2.M","POOL_2.M","POOL_2.M","POOL_2.M","POOL_2.M","POOL_2.M"],"edges":[[0,9],[0,10],[1,9],[1,11],[2,10],'
        "[2,11],[3,12],[3,13],[4,12],[4,14],[5,13],[5,15],[6,14],[6,15],[7,0],[7,1],[7,2],[7,3],[7,4],[7,5],[7,6],"
        "[9,8],[10,8],[11,8],[12,8],[13,8],[14,8],[15,8]]}",
        "b7439a45f6e828f5233de3da77963fc7",
    ),
    # nodes 1 and 2 of the cell are interchangeable
    (
        "nb201",
        '"|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|skip_connect~1|skip_connect~2|"',
        '{"labels":["in","node","node","nor_conv_3x3","nor_conv_3x3","out","skip_connect","skip_connect"],'
        '"edges":[[0,3],[0,4],[1,6],[2,7],[3,1],[4,2],[6,5],[7,5]]}',
        "b09d5e93f31c54947b73563f978db9c1",
    ),
]


@pytest.mark.parametrize(("space_name", "genome", "text", "key"), PINNED_KEYS)
def test_pinned_keys_of_symmetric_genomes(space_name: str, genome: str, text: str, key: str) -> None:
    space = get_space(space_name)
    parsed = space.from_json(genome) if space_name == "remnet" else nb201.from_string(json.loads(genome))
    assert space.canonical(parsed) == CanonicalForm(text=text, key=key)


def test_pinned_digest_of_all_nas_bench_201_cells() -> None:
    """The canonical texts of all 15,625 NAS-Bench-201 encodings, hashed: every nb201 key stays as it was."""
    texts = sorted({nb201.canonical_text(g) for g in itertools.product(nb201.OPS, repeat=len(nb201.EDGES))})
    assert len(texts) == 8765
    assert hashlib.sha256("\n".join(texts).encode()).hexdigest() == (
        "dc1fac4b176e91e8f6d798d69a02994d375786f836faf5f18dc487dfc674ee35"
    )


def stable_random_graphs(seed: int, count: int) -> Iterator[tuple[list[str], list[Edge]]]:
    """Random graphs from Python's ``random`` (its stream is stable across versions, numpy's is not promised):
    DAGs with REMNet-like labels, digraphs with two labels and one-label unions of permutations (which
    colour refinement cannot split), each in a random vertex numbering."""
    rng = random.Random(seed)
    for i in range(count):
        n = rng.randrange(1, 11)
        if i % 3 == 2:
            labels = ["A"] * n
            edges = {(v, p[v]) for p in (rng.sample(range(n), n) for _ in range(rng.randrange(1, 3))) for v in range(n)}
        else:
            dag, p = i % 3 == 0, rng.uniform(0.1, 0.6)
            labels = [rng.choice(("CONV_3.N", "CONV_3.N", "POOL_2.M") if dag else "AAB") for _ in range(n)]
            edges = {(a, b) for a in range(n) for b in range(n) if (a < b if dag else a != b) and rng.random() < p}
        perm = rng.sample(range(n), n)  # old vertex v becomes perm[v]
        new_labels = [""] * n
        for v in range(n):
            new_labels[perm[v]] = labels[v]
        yield new_labels, sorted((perm[a], perm[b]) for a, b in edges)


def test_pinned_digest_of_random_graphs() -> None:
    """Forms and orders of 3,000 random graphs, hashed."""
    digest = hashlib.sha256()
    for labels, edges in stable_random_graphs(2023, 3000):
        cg = canonical_graph(labels, edges)
        digest.update(repr((cg.labels, cg.edges, cg.order)).encode())
    assert digest.hexdigest() == "3f3711fbb954ea33fae668d1eba56be13f4cbc50e5279c025996f3b6a9adcc65"


# --- the shipped cache: every stored key is reproduced --------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "cache"


def _relabelled(graph: dict[str, Any], names: str, rng: np.random.Generator) -> tuple[list[str], list[Edge]]:
    """The stored canonical graph ``{names: [...], "edges": [...]}`` in a random vertex numbering."""
    labels, edges = permuted(graph[names], [(a, b) for a, b in graph["edges"]], rng, duplicates=False)
    return labels, edges


def _cell_text(text: str, rng: np.random.Generator) -> str:
    """A stored nb201/darts cell text recomputed from a randomly renumbered copy of its graph."""
    cg = canonical_graph(*_relabelled(json.loads(text), "labels", rng))
    return json.dumps({"labels": cg.labels, "edges": cg.edges}, separators=(",", ":"))


@pytest.mark.skipif(not (CACHE / "metrics.duckdb").exists(), reason="no shipped cache in this checkout")
def test_every_shipped_key_of_a_labelled_space_is_reproduced() -> None:
    """remnet, nb201 and darts keys are hashes of canonical_graph forms: recompute each from a renumbered copy.

    remnet goes through the space (a renumbered stored graph is a genome ``from_json`` accepts);
    nb201 and darts store the canonical text only, so their cell graphs are relabelled directly.
    """
    with Store(CACHE, read_only=True) as store:
        _, rows = store.query(
            "SELECT space, genome_key, genome FROM genomes WHERE space IN ('remnet', 'nb201', 'darts')"
        )
    rng = np.random.default_rng(0)
    remnet = get_space("remnet")
    checked: dict[str, int] = {}
    for space, key, text in rows:
        data = json.loads(text)
        if space == "remnet" and "invalid" in data:
            new_text = text  # no graph: the text is fixed
        elif space == "remnet":
            labels, edges = _relabelled(data, "nodes", rng)
            new_text = remnet.canonical(remnet.from_json(json.dumps({"nodes": labels, "edges": edges}))).text
        elif space == "nb201":
            new_text = _cell_text(text, rng)
        else:
            reduce = data["reduce"] if data["reduce"] == "FRC" else _cell_text(data["reduce"], rng)
            new_text = json.dumps({"normal": _cell_text(data["normal"], rng), "reduce": reduce}, separators=(",", ":"))
        assert (new_text, canonical_key(space, new_text)) == (text, key), (space, key)
        checked[space] = checked.get(space, 0) + 1
    assert checked.get("remnet", 0) > 500 and checked.get("nb201", 0) > 10 and checked.get("darts", 0) > 5, checked


# --- hard cases for individualisation-refinement (issue 17) --------------------------------------
#
# The graphs are benchmarks/bench_canonical.py's, which times them; here the search is counted,
# never timed: without automorphism pruning k identical branches take k! leaves.


def _load_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_canonical", ROOT / "benchmarks" / "bench_canonical.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def searched(labels: Sequence[str], edges: Sequence[Edge], prune: bool = True) -> tuple[CanonicalGraph, SearchStats]:
    stats = SearchStats()
    return canonical_graph(labels, edges, prune=prune, stats=stats), stats


def test_parallel_chains_take_k_leaves_not_k_factorial() -> None:
    """Issue 17: k parallel IN -> CONV_3.N -> CONV_3.N -> OUT chains took 190 s at k = 10."""
    rng = np.random.default_rng(17)
    for k in (8, 12, 20):
        g = bench.parallel_chains(k)
        cg, stats = searched(*g)
        check_order(*g, cg)
        assert stats.leaves == k and stats.nodes == k * (k + 1) // 2, (k, stats)
        # the chains are interchangeable: every leaf after the first encodes like it, and each such leaf is one
        # automorphism found (SearchStats' documented count)
        assert stats.automorphisms == k - 1, (k, stats)
        for _ in range(2):
            pcg, pstats = searched(*permuted(*g, rng))
            assert (pcg.labels, pcg.edges) == (cg.labels, cg.edges)
            assert pstats.leaves <= k and pstats.nodes <= k * (k + 1) // 2, (k, pstats)
    # the counter counts what the unpruned search does: every ordering of the chains
    unpruned = searched(*bench.parallel_chains(6), prune=False)[1]
    assert unpruned.leaves == 720 and unpruned.automorphisms == 0  # without pruning no leaf is compared


@pytest.mark.parametrize("case", bench.CASES, ids=[c.name for c in bench.CASES])
def test_hard_cases_are_searched_in_polynomially_many_leaves_and_stay_invariant(case: Any) -> None:
    """At most one leaf per vertex, in any numbering."""
    labels, edges = case.graph()
    n = len(labels)
    cg, stats = searched(labels, edges)
    check_order(labels, edges, cg)
    rng = np.random.default_rng(n)
    for _ in range(2):
        pcg, pstats = searched(*permuted(labels, edges, rng))
        assert (pcg.labels, pcg.edges) == (cg.labels, cg.edges)
        assert pstats.leaves <= n and pstats.nodes <= n * n // 4, pstats
    assert stats.leaves <= n and stats.nodes <= n * n // 4, stats
    if case.quick:  # the unpruned search is small enough here: same form and same order
        assert searched(labels, edges, prune=False)[0] == cg


MIXED = [c for c in bench.CASES if c.mixed]


@pytest.mark.parametrize("case", MIXED, ids=[c.name for c in MIXED])
def test_components_of_several_kinds_take_few_leaves_in_every_numbering(case: Any) -> None:
    """Cycles of different lengths between two layers: refinement cannot tell the kinds apart, and a search
    that improves its best leaf one kind at a time took up to 167 leaves (72 layers) in 5 numberings."""
    labels, edges = case.graph()
    n = len(labels)
    rng = random.Random(n)
    for _ in range(8):
        _, stats = searched(*bench.renumbered((labels, edges), rng))
        assert stats.leaves <= n // 2 and stats.nodes <= n * n // 8, stats


# Forms and orders of the labelling before the search ordered its children by bounds (2026-11-30): cycles of
# 2h edges for h in each tuple, between two layers, in 4 numberings; sha256 of repr((labels, edges, order)),
# then of the form (labels, edges), the same in every numbering.
PINNED_MIXED = [
    ((2, 3), ("f1ae5ff739c24fe8", "173294ada1e166ec", "de539a9ff5700c05", "8423dd2341c47a30"), "b39e4bace57fbc40"),
    ((3, 4, 5), ("24a7290d140c9849", "92fca286aaa7e1ac", "4cd45c12be8e7126", "0dd879aabf0433cd"), "7c6390f372d49a7d"),
    (
        (3, 4, 5, 6, 7),
        ("0b3d3592ccf25d1b", "dfb3b047f7d86498", "e929d548d5a71c5d", "2a54bd70c6e02274"),
        "0ee31dc61f131431",
    ),
    (
        (3, 3, 4, 4, 5, 5),
        ("e8d60b86bb07af23", "3a34fb46910b72bb", "434e29181ffe46c1", "a5da7bb34e773db3"),
        "2cb798432f03999a",
    ),
    (
        (2, 3, 4, 5, 6, 7, 8),
        ("7e6ca2de88bbfb9d", "ba210fa242dddc1a", "bbc80e61451f212d", "c3c298f798065687"),
        "4d9a10acd195d3dd",
    ),
]


def _digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


@pytest.mark.parametrize(("halves", "digests", "form_digest"), PINNED_MIXED, ids=[str(p[0]) for p in PINNED_MIXED])
def test_pinned_forms_and_orders_of_mixed_cycles(
    halves: tuple[int, ...], digests: tuple[str, ...], form_digest: str
) -> None:
    graph = bench.cycle_layers(halves)
    rng = random.Random(sum(halves))
    for i, digest in enumerate(digests):
        cg = canonical_graph(*(graph if i == 0 else bench.renumbered(graph, rng)))
        assert _digest((cg.labels, cg.edges, cg.order)) == digest
        assert _digest((cg.labels, cg.edges)) == form_digest


def small_mixed_graph(rng: random.Random) -> tuple[list[str], list[Edge]]:
    """IN, OUT and up to three components (directed cycles, two-layer cycles, chains) with two labels, IN feeding
    some of them, a few random edges more: alike components of different kinds, small enough for the full search."""
    labels, edges = ["IN", "OUT"], []
    for _ in range(rng.randrange(1, 4)):
        base, label, kind = len(labels), rng.choice("AB"), rng.randrange(3)
        if kind == 0:
            m = rng.randrange(2, 5)
            labels += [label] * m
            edges += [(base + j, base + (j + 1) % m) for j in range(m)]
        elif kind == 1:
            h = rng.randrange(1, 4)
            labels += [label] * h + ["C"] * h
            edges += [(base + i, base + h + i) for i in range(h)] + [
                (base + i, base + h + (i + 1) % h) for i in range(h)
            ]
        else:
            m = rng.randrange(1, 4)
            labels += [label] * m
            edges += [(base + j, base + j + 1) for j in range(m - 1)] + [(base + m - 1, 1)]
        if rng.random() < 0.5:
            edges.append((0, base))
    for _ in range(rng.randrange(3)):
        edges.append((rng.randrange(len(labels)), rng.randrange(len(labels))))
    return labels, edges


def test_pruned_search_finds_the_full_search_leaf_on_small_mixed_graphs() -> None:
    """Same form and same order as the search without pruning, in random numberings: a bound or a visiting
    order that lost the smallest leaf, or found another leaf of it first, changes one of them."""
    rng = random.Random(5)
    compared = 0
    while compared < 300:
        graph = small_mixed_graph(rng)
        if len(graph[0]) > 12:
            continue
        for _ in range(2):
            renumbered = bench.renumbered(graph, rng)
            assert canonical_graph(*renumbered) == canonical_graph(*renumbered, prune=False), renumbered
        compared += 1


def test_forms_of_small_mixed_graphs_match_brute_force_isomorphism() -> None:
    """Pairs of small mixed graphs with the same labels and edge count: equal forms exactly when isomorphic."""
    rng = random.Random(9)
    n_iso = n_non_iso = 0
    while n_iso + n_non_iso < 300:
        a, b = small_mixed_graph(rng), small_mixed_graph(rng)
        if len(a[0]) > 8 or sorted(a[0]) != sorted(b[0]) or len(set(a[1])) != len(set(b[1])):
            continue
        b = bench.renumbered(b, rng)
        iso = isomorphic(*a, *b)
        n_iso += iso
        n_non_iso += not iso
        assert (form(*a) == form(*b)) == iso, (a, b, iso)
    assert n_iso > 30 and n_non_iso > 30, (n_iso, n_non_iso)


def reference_refinement(colours: list[int], preds: list[list[int]], succs: list[list[int]]) -> list[int]:
    """The definition: recolour every vertex by (colour, sorted predecessor colours, sorted successor colours),
    numbering the colours in the order of these signatures, until the number of colours stays the same."""
    while True:
        signature = [
            (c, sorted(colours[u] for u in preds[v]), sorted(colours[u] for u in succs[v]))
            for v, c in enumerate(colours)
        ]
        ranks = {s: i for i, s in enumerate(sorted({(c, tuple(p), tuple(q)) for c, p, q in signature}))}
        new = [ranks[(c, tuple(p), tuple(q))] for c, p, q in signature]
        if len(set(new)) == len(set(colours)):
            return new
        colours = new


def test_incremental_refinement_equals_recomputing_every_signature() -> None:
    """The refinement recomputes only the signatures next to a change; it must give the definition's ordered
    colouring, after the labels and after each individualisation down a random path."""
    rng = random.Random(13)
    for i in range(300):
        labels, edges = small_mixed_graph(rng) if i % 2 else next(stable_random_graphs(i, 1))
        n = len(labels)
        edge_set = sorted(set(edges))
        preds, succs = _adjacency(n, edge_set)
        ranks = {label: r for r, label in enumerate(sorted(set(labels)))}
        part = _partition([ranks[label] for label in labels], len(ranks))
        _refine(part, None, preds, succs)
        expected = reference_refinement([ranks[label] for label in labels], preds, succs)
        while True:
            ends = sorted(set(part.end))
            assert [ends.index(e) for e in part.end] == expected
            assert all(part.lab[part.pos[v]] == v for v in range(n))
            cell = part.first_cell(0)
            if cell is None:
                break
            v = rng.choice(part.lab[cell[0] : cell[1]])
            part = part.individualised(v)
            _refine(part, (v,), preds, succs)
            expected = reference_refinement(
                [c + (c > expected[v] or (c == expected[v] and u != v)) for u, c in enumerate(expected)], preds, succs
            )


def test_cfi_pairs_are_told_apart() -> None:
    """A CFI graph and its twisted copy: not isomorphic, yet colour refinement (even k-WL for small k) cannot tell."""
    for base in (bench.K4, bench.K33, bench.CUBE):
        plain, twisted = bench.cfi(base), bench.cfi(base, twisted=True)
        assert sorted(plain[0]) == sorted(twisted[0]) and len(plain[1]) == len(twisted[1])
        assert form(*plain) != form(*twisted)
        rng = np.random.default_rng(len(base))
        assert form(*permuted(*twisted, rng)) == form(*twisted)


def test_cycle_unions_are_told_apart() -> None:
    """12 + 12 layers joined by cycles of different lengths: refinement sees one class per layer in all."""
    unions = [(6,), (3, 3), (2, 4), (2, 2, 2)]
    forms = {form(*bench.cycle_layers(u)) for u in unions}
    assert len(forms) == len(unions)


def test_unions_of_directed_cycles_are_invariant_and_cheap() -> None:
    """Beyond DAGs: disjoint unions of directed cycles, equal or of mixed lengths, with one label."""
    rng = np.random.default_rng(23)
    for lengths in ((3,) * 10, (3, 3, 4, 4, 5, 5, 6), (2, 3, 4, 5, 6, 7)):
        edges: list[Edge] = []
        for m in lengths:
            base = len(edges)  # one edge per vertex so far
            edges += [(base + i, base + (i + 1) % m) for i in range(m)]
        labels = ["A"] * sum(lengths)
        cg, stats = searched(labels, edges)
        assert stats.leaves <= len(labels), (lengths, stats)
        for _ in range(2):
            assert form(*permuted(labels, edges, rng)) == (cg.labels, cg.edges)


def test_pruned_and_unpruned_search_agree_on_random_graphs() -> None:
    """Same form and same order (so the same keys) as the search without automorphism pruning."""
    for labels, edges in stable_random_graphs(7, 600):
        assert canonical_graph(labels, edges) == canonical_graph(labels, edges, prune=False), (labels, edges)


def test_canonical_benchmark_runs_in_quick_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--quick"]) == 0
    assert "20 parallel" not in capsys.readouterr().out  # quick mode: small cases only
