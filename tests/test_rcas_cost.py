"""RCAS's closed-form params and MAdds equal counting the built network (every block kind, whole networks)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from papers.rcas.reproduce import PROXY_REFERENCE
from repro.cost import count_macs, count_params
from repro.spaces import get_space
from repro.spaces.rcas.builder import Block, BlockSpec
from repro.spaces.rcas.cost import block_costs, costs
from repro.spaces.rcas.genome import BLOCK_TYPES, SKELETONS, Genome
from repro.spaces.rcas.known import MOBILENETV2_CIFAR, RCNET_PUBLISHED

SHAPES = {
    "cifar": ((3, 32, 32), 100),
    "imagenet": ((3, 224, 224), 1000),
    "fmnist-proxy": ((1, 28, 28), 10),
    "fmnist-small": ((1, 28, 28), 10),
}


def _specs() -> list[BlockSpec]:
    """Every block type, strided or not, with and without a channel change; the t=1 block with and without expansion."""
    specs = [
        BlockSpec(8, c_out, bt.t, bt.g_e, bt.g_p, stride)
        for bt in BLOCK_TYPES.values()
        for stride in (1, 2)
        for c_out in (8, 16)
    ]
    return specs + [BlockSpec(8, c_out, 1, 1, 1, 1, expand) for c_out in (8, 16) for expand in (True, False)]


def test_every_block_kind_counts_as_built():
    for spec in _specs():
        for size in (7, 8):  # odd sides round up under stride 2
            params, madds, height, width = block_costs(spec, size, size)
            built = Block(spec)
            assert (params, madds) == (count_params(built), count_macs(built, (8, size, size))), spec
            assert built(torch.zeros(1, 8, size, size)).shape[2:] == (height, width)


def _built(genome: Genome) -> dict[str, int]:
    shape, classes = SHAPES[genome.variant]
    net = get_space("rcas").build(genome, shape, classes)
    return {"params": count_params(net), "madds": count_macs(net, shape, linear=False)}


@pytest.mark.parametrize(
    "genome",
    [Genome("cifar", MOBILENETV2_CIFAR), Genome("cifar", RCNET_PUBLISHED), Genome("fmnist-small", PROXY_REFERENCE)],
    ids=["mobilenetv2", "rcnet", "proxy"],
)
def test_the_papers_networks_count_as_built(genome):
    assert costs(genome, *SHAPES[genome.variant]) == _built(genome)


def test_random_networks_of_every_skeleton_count_as_built():
    rng = np.random.default_rng(0)
    # imagenet differs from cifar only by its stride-2 stem, which fmnist-small has too (and costs 49x the pixels).
    for variant in sorted(set(SKELETONS) - {"imagenet"}):
        space = get_space("rcas", variant=variant)
        for _ in range(3):
            genome = space.sample(rng)
            assert costs(genome, *SHAPES[variant]) == _built(genome), space.describe(genome)
