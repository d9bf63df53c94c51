"""The NAS-Bench-Macro space: the authors' network, its costs against the whole table, and the canonical key."""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict

import numpy as np
import pytest
import torch

from repro.cost import count_macs, count_params
from repro.errors import ReproError
from repro.spaces import get_space
from repro.spaces.macro import MacroLayer, _layer_costs, canonical_genome, costs, layers
from repro.tables.macro import read_macro_table

ALL = ["".join(g) for g in itertools.product("012", repeat=8)]


@functools.lru_cache(maxsize=1)
def table():
    return read_macro_table()


def test_closed_form_costs_equal_the_table_for_every_key():
    rows = table()
    assert set(rows) == set(ALL)
    wrong = [k for k in ALL if costs(k) != {"params": rows[k].params, "flops": rows[k].flops}]
    assert wrong == []


def test_every_layer_config_counts_as_built():
    # Each (position, digit) is one distinct layer; build it alone and count it from its shapes.
    for genome in ("00000000", "11111111", "22222222"):
        for layer in layers(genome):
            module = MacroLayer(layer)
            params = count_params(module)
            macs = count_macs(module, (layer.c_in, layer.size, layer.size)) if params else 0  # a true identity
            assert (params, macs) == _layer_costs(layer)


@pytest.mark.parametrize("genome", ["00000000", "22222222", "01201120", "22212220"])
def test_whole_networks_count_as_the_table(genome):
    net = get_space("macro").build(genome, (3, 32, 32), 10)
    assert count_params(net) == table()[genome].params
    assert count_macs(net, (3, 32, 32), linear=True) == table()[genome].flops  # the table counts the classifier too
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.slow
def test_every_built_network_counts_as_the_table():
    space = get_space("macro")
    for genome in ALL:
        net = space.build(genome, (3, 32, 32), 10)
        assert (count_params(net), count_macs(net, (3, 32, 32))) == (table()[genome].params, table()[genome].flops), (
            genome
        )


def test_canonical_groups_are_the_authors_and_share_one_table_entry():
    groups = defaultdict(set)
    for key, row in table().items():
        groups[get_space("macro").canonical(key).key].add((row.test_acc, row.params, row.flops))
    assert len(groups) == 9 * 21 * 21
    assert all(len(entries) == 1 for entries in groups.values())


def _outputs_with_shared_weights(a: str, b: str) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    space = get_space("macro")
    net_a, net_b = space.build(a, (3, 32, 32), 10).eval(), space.build(b, (3, 32, 32), 10).eval()
    tensors_a = [*net_a.parameters(), *net_a.buffers()]
    tensors_b = [*net_b.parameters(), *net_b.buffers()]
    if [t.shape for t in tensors_a] != [t.shape for t in tensors_b]:
        return torch.zeros(1), torch.ones(1)
    with torch.no_grad():
        for x, y in zip(tensors_a, tensors_b):
            y.copy_(x)
    x = torch.randn(2, 3, 32, 32)
    return net_a(x), net_b(x)


def test_merged_genomes_build_the_same_network_and_others_do_not():
    space = get_space("macro")
    # Stage 2 is positions 2, 3, 4: an identity after its head moves freely; blocks keep their order.
    assert canonical_genome("00010000") == canonical_genome("00001000") == "00010000"
    assert canonical_genome("00012000") != canonical_genome("00021000")
    out_a, out_b = _outputs_with_shared_weights("00001000", "00010000")
    assert torch.allclose(out_a, out_b)
    out_a, out_b = _outputs_with_shared_weights("00012000", "00021000")
    assert not torch.allclose(out_a, out_b)
    # A stage head's identity is a strided 1x1 conv, not an identity: never merged.
    assert space.canonical("10000000") != space.canonical("01000000")
    assert space.canonical("00100000").key != space.canonical("00010000").key


def test_genome_text_and_errors():
    space = get_space("macro")
    assert space.from_json(space.to_json("01201120")) == "01201120"
    assert space.from_json("01201120") == "01201120"
    for bad in ('"0120112"', '"01201123"', "[0, 1]"):
        with pytest.raises(ReproError, match="8 digits 0/1/2"):
            space.from_json(bad)
    with pytest.raises(ReproError, match="unknown model options"):
        space.build("00000000", (3, 32, 32), 10, channels=8)
    rng = np.random.default_rng(0)
    child = space.mutate("00000000", rng)
    assert sum(a != b for a, b in zip(child, "00000000")) == 1
