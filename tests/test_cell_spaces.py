"""The NAS-Bench-201 and DARTS cell spaces: string format, canonical-hash invariances, the paper's cells."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from repro.cost import count_params
from repro.errors import ReproError
from repro.spaces import get_space
from repro.spaces.darts import DartsGenome, from_genotype
from repro.spaces.darts_known import PUBLISHED
from repro.spaces.nb201 import EDGES, OPS, from_string, live_edges, to_string, unique_cells

NB201 = get_space("nb201")
DARTS = get_space("darts")


def key(genome, space=NB201):
    return space.canonical(genome).key


def test_nb201_string_round_trip_over_random_cells():
    rng = np.random.default_rng(0)
    for _ in range(200):
        genome = NB201.sample(rng)
        assert from_string(to_string(genome)) == genome
        assert NB201.from_json(NB201.to_json(genome)) == genome
    text = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    assert to_string(from_string(text)) == text


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|none~0|+|none~0|none~1|",
    ],
)
def test_nb201_bad_strings_are_one_line_errors(bad):
    with pytest.raises(ReproError, match="not a NAS-Bench-201 cell string"):
        from_string(bad)


def test_nb201_edges_cut_off_by_none_do_not_change_the_key():
    # Node 1 receives nothing: whatever its outgoing edges hold, they carry no signal.
    base = from_string("|none~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_1x1~2|")
    dead_out = from_string("|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")
    assert key(base) == key(dead_out)
    # Node 2 feeds nothing: its incoming edges are dead too.
    a = from_string("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|")
    b = from_string("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|skip_connect~0|nor_conv_3x3~1|none~2|")
    assert key(a) == key(b)
    # ...but a live edge changing does change it.
    c = from_string("|nor_conv_1x1~0|+|none~0|skip_connect~1|+|skip_connect~0|nor_conv_3x3~1|none~2|")
    assert key(a) != key(c)


def test_nb201_isomorphic_node_orders_share_a_key():
    # With no 1->2 edge, nodes 1 and 2 swap: edges (0,1)<->(0,2) and (1,3)<->(2,3).
    rng = np.random.default_rng(1)
    for _ in range(100):
        g = list(NB201.sample(rng))
        g[EDGES.index((1, 2))] = "none"
        swapped = list(g)
        for x, y in (((0, 1), (0, 2)), ((1, 3), (2, 3))):
            swapped[EDGES.index(x)], swapped[EDGES.index(y)] = g[EDGES.index(y)], g[EDGES.index(x)]
        assert key(tuple(g)) == key(tuple(swapped))


def test_nb201_every_cell_without_a_path_is_the_zero_cell():
    no_path = [g for g in itertools.product(OPS, repeat=6) if not live_edges(g)]
    assert len(no_path) > 1 and {NB201.canonical(g).text for g in no_path} == {"zero"}


def test_nb201_unique_cells_is_a_proper_reduction_and_keys_separate_live_differences():
    n = unique_cells()
    assert 1 < n < 15_625
    # Cells whose every edge is live and that are not swaps of each other must stay apart: no op on
    # the 1->2 edge being none means no symmetry, so all 4^6 such cells are distinct.
    live = [g for g in itertools.product(OPS[1:], repeat=6)][:500]
    assert len({key(g) for g in live}) == len(live)


def test_nb201_network_widths():
    g = from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    small = NB201.build(g, (3, 32, 32), 10, channels=16, layers=5)
    assert small(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert count_params(small) < count_params(NB201.build(g, (3, 32, 32), 10, channels=32, layers=5))


GDAS_V1 = PUBLISHED["GDAS"]


def test_darts_the_two_operations_of_a_node_commute():
    normal = list(GDAS_V1.normal)
    normal[1] = (normal[1][1], normal[1][0])
    assert key(DartsGenome(tuple(normal), GDAS_V1.reduce), DARTS) == key(GDAS_V1, DARTS)


def test_darts_isomorphic_node_orders_share_a_key():
    # Nodes 2 and 3 read only the cell inputs; swapping them (and renaming inputs 2<->3 later) is an isomorphism.
    a = (
        ((("sep_conv_3x3", 0), ("skip_connect", 1))),
        (("max_pool_3x3", 0), ("dil_conv_3x3", 1)),
        (("sep_conv_5x5", 2), ("avg_pool_3x3", 3)),
        (("skip_connect", 2), ("sep_conv_3x3", 4)),
    )
    b = (
        (("max_pool_3x3", 0), ("dil_conv_3x3", 1)),
        (("sep_conv_3x3", 0), ("skip_connect", 1)),
        (("sep_conv_5x5", 3), ("avg_pool_3x3", 2)),
        (("skip_connect", 3), ("sep_conv_3x3", 4)),
    )
    c = (
        (("max_pool_3x3", 0), ("dil_conv_3x3", 1)),
        (("sep_conv_3x3", 0), ("skip_connect", 1)),
        (("sep_conv_5x5", 2), ("avg_pool_3x3", 3)),
        (("skip_connect", 3), ("sep_conv_3x3", 4)),
    )
    assert key(DartsGenome(a, None), DARTS) == key(DartsGenome(b, None), DARTS)
    assert key(DartsGenome(a, None), DARTS) != key(DartsGenome(c, None), DARTS)
    # The two cell inputs are not interchangeable, and FRC is not a searched reduction cell.
    swapped_inputs = tuple(tuple((op, 1 - s if s < 2 else s) for op, s in pair) for pair in a)
    assert key(DartsGenome(a, None), DARTS) != key(DartsGenome(swapped_inputs, None), DARTS)
    assert key(DartsGenome(a, None), DARTS) != key(DartsGenome(a, a), DARTS)


def test_darts_the_papers_cells_build_to_the_reported_sizes():
    # Table 1: GDAS 3.4M, GDAS (FRC) 2.5M parameters at C=36, N=6 on CIFAR-10 (no auxiliary head).
    frc = from_genotype(
        [
            ("skip_connect", 0),
            ("skip_connect", 1),
            ("skip_connect", 0),
            ("sep_conv_3x3", 2),
            ("skip_connect", 0),
            ("sep_conv_3x3", 2),
            ("skip_connect", 0),
            ("sep_conv_3x3", 2),
        ],
        None,
    )
    assert round(count_params(DARTS.build(GDAS_V1, (3, 32, 32), 10, channels=36, layers=6)) / 1e6, 1) == 3.4
    assert round(count_params(DARTS.build(frc, (3, 32, 32), 10, channels=36, layers=6)) / 1e6, 1) == 2.5


def test_darts_bad_genomes_are_one_line_errors():
    with pytest.raises(ReproError, match="repeats input"):
        from_genotype([("skip_connect", 0), ("skip_connect", 0)] * 4, None)
    with pytest.raises(ReproError, match="outside 0..2"):
        from_genotype([("skip_connect", 0), ("skip_connect", 3)] * 4, None)
    with pytest.raises(ReproError, match="not a darts genome"):
        DARTS.from_json("[1, 2]")
    with pytest.raises(ReproError, match="multiple of 8"):
        DARTS.build(DartsGenome(GDAS_V1.normal, None), (1, 28, 28), 10, channels=6, layers=1)


def test_darts_derive_keeps_two_strongest_inputs_without_zeroize():
    rng = np.random.default_rng(0)
    logits = {k: rng.normal(size=(14, 8)) for k in ("normal", "reduce")}
    logits["normal"][:, 0] = 50.0  # zeroize dominates everywhere, yet is never kept
    genome = DARTS.derive(logits)
    assert all(op != "none" for pair in genome.normal for op, _ in pair)
    assert all(pair[0][1] < pair[1][1] for pair in genome.normal + genome.reduce)
    assert get_space("darts", frc=True).derive(logits).reduce is None
