"""FeatureNet's feature model: every constraint, the compiler's pending outputs, sampling and diversity."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from repro.errors import ReproError
from repro.spaces import InvalidArchitecture, get_space
from repro.spaces.featurenet import known
from repro.spaces.featurenet.compile import compile_graph
from repro.spaces.featurenet.graph import Violation
from repro.spaces.featurenet.known import BLOCK, IDENTITY, OUT, ZEROS, conv, dense, pool, to_cell
from repro.spaces.featurenet.model import CONSTRAINTS, Cell, Config, choice, from_json, to_json
from repro.spaces.featurenet.sample import (
    Limits,
    diverse_sample,
    lenet5_family,
    mean_pairwise_distance,
    product,
    random_config,
)
from repro.spaces.handcrafted import lenet5 as handwritten_lenet5

MNIST = (1, 28, 28)
LIMITS = Limits()


def _lenet_with(block: int, cell: int, **changes) -> Config:
    blocks = [list(b) for b in known.lenet5().blocks]
    blocks[block][cell] = dataclasses.replace(blocks[block][cell], **changes)
    return Config(tuple(tuple(b) for b in blocks))


def _one_block(*cells: Cell) -> Config:
    return Config((tuple(cells),))


VIOLATING = {
    "cardinality": lambda: Config(()),
    "alternative_group": lambda: _lenet_with(0, 0, input1=choice("Recurrent")),
    "attribute_domain": lambda: _lenet_with(0, 0, input1=conv(256, 5)),
    "block_requires_previous": lambda: Config((known.lenet5().blocks[0], None, known.lenet5().blocks[2])),
    "cell_requires_previous": lambda: Config(((None, Cell(dense(10), ZEROS, output=OUT)),)),
    "block_output_needs_next_block": lambda: _lenet_with(2, 1, output=BLOCK),
    "cell_output_in_range": lambda: _lenet_with(0, 0, output=to_cell(1)),
    "cell_target_at_most_two": lambda: _one_block(
        Cell(conv(4, 3), ZEROS, output=to_cell(2)),
        Cell(conv(4, 3), ZEROS, output=to_cell(1)),
        Cell(conv(4, 3), ZEROS, output=to_cell(0)),
        Cell(IDENTITY, IDENTITY, output=OUT),
    ),
    "kernel_fits_input": lambda: _one_block(
        *[Cell(conv(4, 5, 3, "valid"), ZEROS) for _ in range(2)], Cell(conv(4, 5, 3, "valid"), ZEROS, output=OUT)
    ),
    "no_flatten_of_vector": lambda: _lenet_with(2, 1, operation1=choice("Flatten")),
    "combination_shapes_compatible": lambda: _lenet_with(1, 0, input2=conv(6, 5)),
    "padding_needs_matrix": lambda: _lenet_with(2, 1, operation1=choice("Padding", size=1)),
    "single_out_output": lambda: _lenet_with(0, 0, output=OUT),
    "cell_has_an_input": lambda: _lenet_with(0, 1, input1=ZEROS),
    "no_batch_normalization": lambda: _lenet_with(0, 0, operation1=choice("BatchNormalization")),
    "no_padding_operation": lambda: _lenet_with(0, 0, operation1=choice("Padding", size=2)),
    "no_concat_or_product": lambda: _lenet_with(0, 0, combination=choice("Product")),
    "max_params": lambda: known.lenet5(),
    "max_macs": lambda: known.lenet5(),
}
"""One configuration per constraint that breaks it (and, the test checks, no constraint checked before it)."""

CAPS = {"max_params": dict(max_params=500_000), "max_macs": dict(max_macs=1_000_000)}
FULL = {"padding_needs_matrix"}
"""Constraints only reachable in the ``full`` variant (the paper variant forbids the Padding operation first)."""


def test_every_constraint_has_a_violating_configuration():
    assert set(VIOLATING) == {c.name for c in CONSTRAINTS}


@pytest.mark.parametrize("name", sorted(VIOLATING))
def test_each_constraint_rejects_with_its_name(name):
    limits = Limits(variant="full" if name in FULL else "paper", **CAPS.get(name, {}))
    with pytest.raises(Violation) as caught:
        limits.check(VIOLATING[name]())
    assert caught.value.constraint == name and caught.value.reason.startswith(f"{name}: ")


def test_violations_are_invalid_architectures_with_a_reason():
    space = get_space("featurenet")
    with pytest.raises(InvalidArchitecture, match="kernel_fits_input: block 1 cell 3: Convolution kernel 5 on a 2x2"):
        space.build(VIOLATING["kernel_fits_input"](), MNIST, 10)
    with pytest.raises(Violation, match="kernel_fits_input: block 1 cell 2: Pooling on a vector of 10"):
        space.build(_one_block(Cell(dense(10), ZEROS), Cell(pool(), ZEROS, output=OUT)), MNIST, 10)
    with pytest.raises(ReproError, match="not a FeatureNet configuration"):
        space.from_json('{"blocks": [[{"input1": 3}]]}')
    with pytest.raises(ReproError, match="unknown variant"):
        get_space("featurenet", variant="huge")


def test_lenet5_round_trip_and_equivalence_with_the_handwritten_one():
    config = known.lenet5()
    assert from_json(to_json(config)) == config
    graph = LIMITS.check(config)
    assert graph.params == 545_546  # Table 1's LeNet5 on MNIST
    torch.manual_seed(0)
    ours = compile_graph(graph)
    torch.manual_seed(0)
    theirs = handwritten_lenet5(MNIST, 10)
    assert [p.shape for p in ours.parameters()] == [p.shape for p in theirs.parameters()]
    x = torch.randn(3, *MNIST)
    # Same seed, same layers in the same order: the same initial weights and the same function.
    assert torch.allclose(ours(x), theirs(x))


def test_inception_module_branches_and_merges_through_pending_outputs():
    config = known.inception_module(width=4)
    with pytest.raises(Violation, match="cardinality"):
        LIMITS.check(config)
    graph = dataclasses.replace(LIMITS, variant="full").check(config)
    lines = graph.text().splitlines()
    concats = [line for line in lines if line.startswith("concat")]
    # Cell 5 joins the 3x3 (node 2) and 5x5 (node 4) branches, cell 8 adds the pool branch (7),
    # cell 9 the 1x1 convolution of the block input (node 9, reading node 0).
    assert concats == ["concat()<-2,4", "concat()<-5,7", "concat()<-8,9"]
    assert lines[9].endswith("<-0") and lines[6].startswith("pool(kernel=3")
    assert compile_graph(graph)(torch.zeros(2, *MNIST)).shape == (2, 10)
    assert graph.nodes[-2].shape == (4 * 2 + 4 + 4 + 4, 28, 28)


def test_same_padding_and_average_pooling_follow_keras():
    config = _one_block(Cell(conv(4, 4, stride=2), ZEROS), Cell(pool(3, 2, "same", "average"), ZEROS, output=OUT))
    graph = LIMITS.check(config)
    assert [n.shape for n in graph.nodes[1:3]] == [(4, 14, 14), (4, 7, 7)]
    net = compile_graph(graph)
    pool_layer = net.layers["2"]
    assert torch.allclose(pool_layer(torch.ones(1, 4, 14, 14)), torch.ones(1, 4, 7, 7))


def test_canonical_key_is_the_network_not_the_feature_set():
    space = get_space("featurenet")
    base = known.lenet5()
    unused = _lenet_with(0, 0, operation2=choice("Dropout", rate=0.5))  # on the Zeros input: never applied
    identity = Config(((Cell(IDENTITY, ZEROS), *base.blocks[0]), *base.blocks[1:]))
    first, second, third = base.blocks
    regrouped = Config((first[:1] + (dataclasses.replace(first[1], output=to_cell(0)),) + second, third))
    assert product(unused) != product(base)
    for same in (unused, identity, regrouped):
        assert space.canonical(same).key == space.canonical(base).key
    assert space.canonical(_lenet_with(0, 0, input1=conv(8, 5))).key != space.canonical(base).key


def test_sampled_configurations_are_valid_and_build():
    rng = np.random.default_rng(0)
    configs = [random_config(rng, LIMITS) for _ in range(400)]  # the sampler's ~8 ms each is most of this test
    # Real weights on the CPU, one network at a time: on the meta device every layer's shape rule runs in Python,
    # several times slower than these small networks' arithmetic.
    with torch.no_grad():
        for config in configs:
            graph = LIMITS.check(config)
            assert compile_graph(graph)(torch.zeros(2, *MNIST)).shape == (2, 10)
    assert len({to_json(c) for c in configs}) > 395  # one-cell networks can repeat
    assert {len(c.present()) for c in configs} == {1, 2, 3, 4, 5}


def test_sampling_is_seeded_and_respects_caps():
    capped = Limits(max_params=200_000, max_macs=2_000_000)
    draw = [to_json(random_config(np.random.default_rng(3), capped)) for _ in range(2)]
    assert draw[0] == draw[1]
    rng = np.random.default_rng(4)
    for _ in range(30):
        graph = capped.check(random_config(rng, capped))
        assert graph.params <= 200_000 and graph.macs <= 2_000_000


def test_lenet5_families_keep_the_structure():
    rng = np.random.default_rng(0)
    for kernel, stride in ((5, 1), (3, 3)):
        config = lenet5_family(rng, LIMITS, kernel, stride)
        kinds = [[c.input1.kind for c in row] for row in config.present()]
        assert kinds == [["Convolution", "Pooling"], ["Convolution", "Pooling"], ["Convolution", "Dense"]]
        assert {
            (c.input1["kernel"], c.input1["stride"])
            for row in config.present()
            for c in row
            if c.input1.kind == "Convolution"
        } == {(kernel, stride)}


def test_diversity_search_beats_random_sampling():
    draw = lambda rng: random_config(rng, LIMITS)  # noqa: E731
    for seed in (0, 1):
        random_set = [draw(np.random.default_rng(seed)) for _ in range(12)]
        diverse = diverse_sample(12, np.random.default_rng(seed), draw, iterations=150)
        assert diverse.replacements > 0 and list(diverse.diversity) == sorted(diverse.diversity)
        assert mean_pairwise_distance(list(diverse.configs)) == pytest.approx(diverse.diversity[-1])
        assert diverse.diversity[-1] > mean_pairwise_distance(random_set)
    again = diverse_sample(12, np.random.default_rng(1), draw, iterations=150)
    assert [to_json(c) for c in again.configs] == [to_json(c) for c in diverse.configs]
