"""Every registered search space honours the SearchSpace contract."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from repro.data.datasets import DATASETS
from repro.spaces import SPACES, InvalidArchitecture, get_space


@pytest.fixture(params=SPACES.names())
def space(request):
    return get_space(request.param)


def test_sampling_and_mutation_are_seeded_and_pure(space):
    def walk(seed):
        rng = np.random.default_rng(seed)
        genome = space.sample(rng)
        texts = [space.to_json(genome)]
        for _ in range(30):
            child = space.mutate(genome, rng)
            assert space.to_json(genome) == texts[-1], "mutate must not change its parent"
            genome = child
            texts.append(space.to_json(genome))
        return texts

    assert walk(0) == walk(0)
    assert walk(0) != walk(1)


def test_json_round_trip_keeps_the_key(space):
    rng = np.random.default_rng(0)
    for _ in range(50):
        genome = space.mutate(space.sample(rng), rng)
        again = space.from_json(space.to_json(genome))
        assert space.canonical(again) == space.canonical(genome)


BUILD_OPTIONS = {
    "remnet": {"channels": 2},
    "darts": {"channels": 8, "layers": 1},
    "nb201": {"channels": 4, "layers": 1},
}
"""Small widths for spaces whose width is a build option (rcas's skeleton fixes its widths)."""


def test_build_gives_a_network_or_a_reason(space):
    rng = np.random.default_rng(1)
    spec = DATASETS["fashion-mnist"]
    built = 0
    for _ in range(40):
        genome = space.mutate(space.sample(rng), rng)
        try:
            model = space.build(genome, spec.input_shape, spec.num_classes, **BUILD_OPTIONS.get(space.name, {}))
        except InvalidArchitecture as exc:
            assert exc.reason
            continue
        built += 1
        with torch.no_grad():  # the output's shape is the check: no autograd graph to record
            assert model(torch.zeros(2, *spec.input_shape)).shape == (2, spec.num_classes)
    assert built > 0


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(SPACES.names()), seed=st.integers(0, 2**32 - 1), steps=st.integers(0, 40))
def test_property_mutation_chains_give_buildable_genomes_or_a_named_invalidity(name, seed, steps):
    space = get_space(name)
    rng = np.random.default_rng(seed)
    genome = space.sample(rng)
    for _ in range(steps):
        genome = space.mutate(genome, rng)
    again = space.from_json(space.to_json(genome))  # parsing re-checks the genome
    assert space.canonical(again) == space.canonical(genome)
    spec = DATASETS["fashion-mnist"]
    try:
        model = space.build(genome, spec.input_shape, spec.num_classes, **BUILD_OPTIONS.get(name, {}))
    except InvalidArchitecture as exc:
        assert exc.reason
        return
    with torch.no_grad():
        assert model(torch.zeros(1, *spec.input_shape)).shape == (1, spec.num_classes)
