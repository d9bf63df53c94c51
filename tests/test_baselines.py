"""Local search and the (1+1)-ES: the moves they make on a space whose values are known."""

from __future__ import annotations

import math

import numpy as np

from repro.search.strategies import make_strategy

NAN = math.nan


class _Line:
    """Genomes are integers; a sample is a fresh integer, a mutation adds one."""

    name = "line"

    def __init__(self) -> None:
        self.samples = 0

    def sample(self, rng):
        self.samples += 1
        return 1000 * self.samples

    def mutate(self, genome, rng):
        return genome + 1


def test_local_search_moves_on_strict_improvement_and_restarts_after_patience():
    space = _Line()
    ls = make_strategy("ls", space, np.random.default_rng(0), patience=2)
    start = ls.ask()
    ls.tell(start, 0.5)
    assert ls.ask() == start + 1
    ls.tell(start + 1, 0.5)  # equal is not an improvement: a miss
    assert ls.ask() == start + 1
    ls.tell(start + 1, 0.7)  # strictly better: move, misses reset
    assert ls.ask() == start + 2
    ls.tell(start + 2, NAN)  # invalid: a miss
    assert ls.ask() == start + 2
    ls.tell(start + 2, 0.1)  # second miss in a row: restart from a fresh sample
    assert ls.ask() == 2000


def test_local_search_leaves_an_invalid_start_for_any_valid_neighbour():
    space = _Line()
    ls = make_strategy("ls", space, np.random.default_rng(0))
    ls.tell(ls.ask(), NAN)
    ls.tell(ls.ask(), 0.0)
    assert ls.current == (1001, 0.0)


def test_one_plus_one_replaces_the_parent_when_the_child_is_at_least_as_good():
    space = _Line()
    es = make_strategy("es11", space, np.random.default_rng(0))
    parent = es.ask()
    es.tell(parent, 0.5)
    es.tell(es.ask(), 0.4)  # worse: the parent stays
    assert es.parent == (parent, 0.5) and es.ask() == parent + 1
    es.tell(parent + 1, 0.5)  # equal: the child replaces it
    assert es.parent == (parent + 1, 0.5)
    es.tell(es.ask(), NAN)  # invalid loses to any number
    assert es.parent == (parent + 1, 0.5)
    assert space.samples == 1
