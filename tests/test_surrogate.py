"""The pieces a surrogate rests on: REMNet's shape-only check and features, the preloaded cache table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from repro.cache.store import Store
from repro.cache.table import CachedTable
from repro.evaluator import Evaluator
from repro.recipe import get_profile
from repro.spaces import InvalidArchitecture, get_space

SHIPPED = Path(__file__).resolve().parent.parent / "cache"


def _invalid(call) -> bool:
    try:
        call()
    except InvalidArchitecture:
        return True
    return False


def test_shape_check_agrees_with_building():
    space = get_space("remnet")
    rng = np.random.default_rng(5)
    genomes = [space.sample(rng) for _ in range(60)]
    genomes += [space.mutate(space.mutate(g, rng), rng) for g in genomes]
    verdicts = [
        (
            _invalid(lambda: space.check(g, (1, 28, 28), 10, channels=16)),
            _invalid(lambda: space.build(g, (1, 28, 28), 10, channels=16)),
        )
        for g in genomes
    ]
    assert all(check == build for check, build in verdicts)
    assert any(check for check, _ in verdicts) and not all(check for check, _ in verdicts)


def test_features_are_a_function_of_the_canonical_form():
    space = get_space("remnet")
    rng = np.random.default_rng(1)
    for _ in range(30):
        genome = space.sample(rng)
        again = space.from_json(space.canonical(genome).text)  # same network, other genes and numbering
        assert space.canonical(again).key == space.canonical(genome).key
        np.testing.assert_array_equal(space.features(genome), space.features(again))
    assert space.features(genome).shape == (185,)


@pytest.mark.skipif(not (SHIPPED / "metrics.duckdb").exists(), reason="no shipped cache")
def test_table_serves_what_the_store_serves():
    space, recipe = get_space("remnet"), get_profile("smoke")
    with Store(SHIPPED, read_only=True) as store:
        table = CachedTable(store, space.name, recipe.key)
        rows = store.evaluations(space.name, recipe.key)
        assert len(table) == len(rows) > 0
        plain = Evaluator(space, recipe, store, on_miss="error")
        fast = Evaluator(space, recipe, store, on_miss="error", table=table)
        for e in [r for r in rows if "nodes" in r.genome][::25]:  # a no-path row has no graph to rebuild
            genome = space.from_json(e.genome)
            assert fast.evaluate(genome, e.train_seed) == plain.evaluate(genome, e.train_seed) == (e, "cache")
