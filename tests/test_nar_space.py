"""Tests for the NAR space: backbones, operators' channel handling, cost against torchvision and Table 4."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from repro.cost import count_macs, count_params
from repro.errors import ReproError
from repro.spaces import get_space
from repro.spaces.nar import NarGenome
from repro.spaces.nar.backbones import BACKBONES, OPERATORS, make_op

IMAGENET = (3, 224, 224)


def _cost(backbone: str, codes: list[int]) -> tuple[int, int]:
    space = get_space("nar", backbone=backbone)
    model = space.build(space.genome(codes), IMAGENET, 1000)
    return count_params(model), count_macs(model, IMAGENET)


@pytest.mark.parametrize("backbone", ["resnet18-8-imagenet", "resnet18-16-imagenet"])
def test_all_conv3_resnet18_is_torchvisions_resnet18(backbone):
    space = get_space("nar", backbone=backbone)
    ours = space.build(space.baseline(), IMAGENET, 1000)
    from torchvision.models import resnet18  # 3 s to import: every test worker would pay it while collecting

    theirs = resnet18(weights=None)
    assert count_params(ours) == count_params(theirs) == 11_689_512
    # Same conv/linear multiply-adds as torchvision: ~1.81 G, the paper prints 1.76 G (see the paper module).
    assert count_macs(ours, IMAGENET) == count_macs(theirs, IMAGENET) == 1_814_073_344
    x = torch.zeros(1, *IMAGENET)
    assert ours(x).shape == theirs(x).shape == (1, 1000)


def test_granularities_have_8_and_16_choices_and_the_cifar_stem_keeps_resolution():
    assert get_space("nar", backbone="resnet18-8-cifar").num_choices == 8
    assert get_space("nar", backbone="resnet18-16-cifar").num_choices == 16
    space = get_space("nar", backbone="resnet18-16-cifar")
    model = space.build(space.baseline(), (3, 32, 32), 10)
    assert count_params(model) == 11_173_962  # the usual CIFAR ResNet-18 (3x3 stem, no max-pool)
    assert count_macs(model, (3, 32, 32)) == 555_422_720


def test_table4_vectors_cost_less_as_the_paper_says():
    """ResNet-18-8 [1,0,...] and ResNet-18-16 [1,0,0,2,0,0,0,0,1,0,0,0,0,0,2] (+ a 16th 0: the paper prints 15)."""
    base = _cost("resnet18-8-imagenet", [0] * 8)
    r8 = _cost("resnet18-8-imagenet", [1] + [0] * 7)
    r16 = _cost("resnet18-16-imagenet", [1, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0])
    assert r8 == (11_625_128, 1_612_165_120)
    assert round(r8[0] / 1e7, 2) == 1.16  # as printed
    assert r16[0] < r8[0] < base[0] and r16[1] < r8[1] < base[1]
    # The paper: 11% and 20% fewer FLOPs than the baseline; ours, measured, 11% and 21%.
    assert round(1 - r8[1] / base[1], 2) == 0.11
    assert round(1 - r16[1] / base[1], 2) == 0.21


@pytest.mark.parametrize("op", OPERATORS)
@pytest.mark.parametrize(("cin", "cout", "stride"), [(8, 8, 1), (8, 16, 2)])
def test_every_operator_keeps_the_slot_shape(op, cin, cout, stride):
    out = make_op(op, cin, cout, stride)(torch.zeros(2, cin, 8, 8))
    assert out.shape == (2, cout, 8 // stride, 8 // stride)


def test_pooling_projects_only_where_channels_change_and_no_default_candidate_outweighs_conv3():
    def params(op, cin, cout):
        return sum(p.numel() for p in make_op(op, cin, cout, 1).parameters())

    assert params("max3", 8, 8) == params("avg3", 8, 8) == 0
    assert params("max3", 8, 16) == 8 * 16  # the 1x1 projection
    for op in ("dw3", "max3", "avg3"):
        assert params(op, 8, 16) < params("conv3", 8, 16)
    assert params("conv5", 8, 16) > params("conv3", 8, 16)


def test_canonical_is_backbone_and_vector():
    space = get_space("nar")
    a = space.genome([0, 1, 2, 3, 0, 1])
    assert space.canonical(a).text == '{"backbone":"resnet-small","ops":["conv3","dw3","max3","avg3","conv3","dw3"]}'
    same_ops_other_order = get_space("nar", candidates=("avg3", "max3", "dw3", "conv3")).genome([3, 2, 1, 0, 3, 2])
    assert space.canonical(same_ops_other_order) == space.canonical(a)
    deeper = NarGenome("resnet18-16-cifar", a.ops + ("conv3",) * 10)
    assert space.canonical(deeper).key != space.canonical(a).key
    assert space.describe(a) == "resnet-small [0,1,2,3,0,1] conv3 dw3 max3 avg3 conv3 dw3"


def test_mutation_changes_exactly_one_entry():
    space = get_space("nar")
    rng = np.random.default_rng(0)
    genome = space.sample(rng)
    for _ in range(20):
        child = space.mutate(genome, rng)
        assert sum(a != b for a, b in zip(genome.ops, child.ops)) == 1
        genome = child


@pytest.mark.parametrize(
    "text",
    [
        '{"backbone":"resnet-9","ops":[]}',
        '{"backbone":"resnet-small","ops":["conv3"]}',
        '{"backbone":"resnet-small","ops":["conv3","conv3","conv3","conv3","conv3","sep7"]}',
        "[1]",
    ],
)
def test_malformed_genomes_are_refused(text):
    with pytest.raises(ReproError):
        get_space("nar").from_json(text)


def test_unknown_backbone_or_candidates_are_refused():
    with pytest.raises(ReproError, match="backbone"):
        get_space("nar", backbone="vgg")
    with pytest.raises(ReproError, match="candidates"):
        get_space("nar", candidates=("conv3", "conv3"))
    assert set(BACKBONES) >= {"resnet18-8-imagenet", "resnet18-16-cifar", "resnet-small"}
