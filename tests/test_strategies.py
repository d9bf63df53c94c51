"""Strategies through ask/tell on a toy space: who is sampled, who is mutated, who survives, and the registry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from repro.errors import ReproError
from repro.spaces import get_space
from repro.search.strategies import STRATEGIES, describe, make_strategy, rank_key
from repro.search.strategies.evolution import RandomMutationSearch, RegularizedEvolution
from repro.search.strategies.local_search import LocalSearch
from repro.search.strategies.one_plus_one import OnePlusOne
from repro.search.strategies.random_search import RandomSearch

NAN = float("nan")


class _Toy:
    """Genomes are strings: a sample is ``s<n>`` (n drawn from the rng), a mutation appends ``'``."""

    name = "toy"

    def sample(self, rng: np.random.Generator) -> str:
        return f"s{int(rng.integers(0, 10**9))}"

    def mutate(self, genome: str, rng: np.random.Generator) -> str:
        return genome + "'"


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_rank_key_puts_invalid_below_every_number():
    assert rank_key(NAN) == -math.inf
    assert rank_key(0.25) == 0.25 and rank_key(-1e300) == -1e300


def test_regularized_evolution_samples_until_the_population_is_full_then_mutates():
    re = RegularizedEvolution(_Toy(), _rng(), population_size=3, sample_size=3)
    initial = [re.ask() for _ in range(3)]
    assert all(g.startswith("s") and not g.endswith("'") for g in initial)
    for value, genome in enumerate(initial):
        re.tell(genome, float(value))
    assert re.ask() == initial[2] + "'"  # the whole population is the sample: the best is the parent


def test_regularized_evolution_samples_population_size_times_when_told_one_at_a_time():
    # The steady-state search: each result is told before the next ask.
    re = RegularizedEvolution(_Toy(), _rng(), population_size=3, sample_size=1)
    asked = []
    for value in range(3):
        asked.append(re.ask())
        re.tell(asked[-1], float(value))
    assert not any(g.endswith("'") for g in asked)
    assert re.ask().removesuffix("'") in asked


def test_regularized_evolution_samples_while_nothing_was_told():
    re = RegularizedEvolution(_Toy(), _rng(), population_size=2, sample_size=2)
    asked = [re.ask() for _ in range(4)]
    assert not any(g.endswith("'") for g in asked)


def test_regularized_evolution_tournament_of_a_population_smaller_than_the_sample():
    re = RegularizedEvolution(_Toy(), _rng(), population_size=5, sample_size=5)
    first = [re.ask() for _ in range(5)]
    re.tell(first[0], 0.5)
    re.tell(first[1], 0.75)
    assert re.ask() == first[1] + "'"


def test_regularized_evolution_ages_out_the_oldest_and_invalid_members_never_win():
    re = RegularizedEvolution(_Toy(), _rng(), population_size=3, sample_size=3)
    genomes = [re.ask() for _ in range(3)]
    for genome, value in zip(genomes, [0.9, NAN, 0.1], strict=True):
        re.tell(genome, value)
    assert [g for g, _ in re.population] == genomes
    re.tell("late", NAN)
    assert [g for g, _ in re.population] == genomes[1:] + ["late"]  # the 0.9 member died of age
    assert {re.ask() for _ in range(10)} == {genomes[2] + "'"}  # 0.1 beats two invalid members


def test_regularized_evolution_with_sample_size_one_picks_any_member():
    walk = RandomMutationSearch(_Toy(), _rng(), population_size=4)
    members = [walk.ask() for _ in range(4)]
    for value, genome in enumerate(members):
        walk.tell(genome, float(value))
    parents = {walk.ask().removesuffix("'") for _ in range(40)}
    assert parents == set(members)
    assert walk.config() == {"population_size": 4, "sample_size": 1}
    assert RandomMutationSearch(_Toy(), _rng()).config() == {"population_size": 20, "sample_size": 1}


@pytest.mark.parametrize(("population", "sample"), [(0, 1), (3, 0), (3, 4)])
def test_regularized_evolution_refuses_impossible_sizes(population, sample):
    with pytest.raises(ReproError, match=f"got population {population}, sample size {sample}"):
        RegularizedEvolution(_Toy(), _rng(), population_size=population, sample_size=sample)


def test_regularized_evolution_accepts_the_smallest_sizes():
    assert RegularizedEvolution(_Toy(), _rng(), 1, 1).config() == {"population_size": 1, "sample_size": 1}
    assert RegularizedEvolution(_Toy(), _rng()).config() == {"population_size": 20, "sample_size": 5}


def test_local_search_moves_only_to_strictly_better_neighbours():
    ls = LocalSearch(_Toy(), _rng(), patience=3)
    start = ls.ask()
    assert start.startswith("s") and not start.endswith("'")
    ls.tell(start, NAN)
    assert ls.ask() == start + "'"
    ls.tell("a", 0.5)  # better than invalid
    assert ls.current == ("a", 0.5) and ls.ask() == "a'"
    ls.tell("b", 0.5)  # equal: a miss
    assert ls.current == ("a", 0.5) and ls.misses == 1
    ls.tell("c", 0.75)
    assert ls.current == ("c", 0.75) and ls.misses == 0


def test_local_search_restarts_after_patience_misses_in_a_row():
    ls = LocalSearch(_Toy(), _rng(), patience=2)
    ls.tell("a", 0.5)
    ls.tell("b", 0.25)
    assert ls.current == ("a", 0.5)
    ls.tell("c", NAN)
    assert ls.current is None
    restart = ls.ask()
    assert restart.startswith("s") and not restart.endswith("'")
    ls.tell(restart, 0.0)  # anything is accepted as the new start
    assert ls.current == (restart, 0.0) and ls.misses == 0


def test_local_search_patience_is_checked():
    with pytest.raises(ReproError, match="patience >= 1, got 0"):
        LocalSearch(_Toy(), _rng(), patience=0)
    assert LocalSearch(_Toy(), _rng(), patience=1).config() == {"patience": 1}
    assert LocalSearch(_Toy(), _rng()).config() == {"patience": 20}


def test_one_plus_one_keeps_a_child_at_least_as_good():
    es = OnePlusOne(_Toy(), _rng())
    first = es.ask()
    assert first.startswith("s")
    es.tell(first, NAN)
    assert es.ask() == first + "'"
    es.tell("a", NAN)  # two invalid genomes are equal: drift
    assert es.parent == ("a", NAN)
    es.tell("b", 0.5)
    es.tell("c", 0.5)  # a plateau: the child replaces its parent
    es.tell("d", 0.25)
    es.tell("e", NAN)
    assert es.parent == ("c", 0.5) and es.ask() == "c'"
    assert es.config() == {}


def test_random_search_draws_from_its_rng_and_ignores_values():
    rs, again = RandomSearch(_Toy(), _rng(3)), RandomSearch(_Toy(), _rng(3))
    asked = [rs.ask() for _ in range(5)]
    rs.tell(asked[0], 1.0)
    assert asked == [again.ask() for _ in range(5)] and len(set(asked)) == 5
    assert rs.ask() == again.ask() and rs.config() == {}


def test_make_strategy_fills_defaults_and_passes_the_rng():
    rng = _rng()
    re = make_strategy("re", _Toy(), rng, population_size=None, sample_size=3)
    assert isinstance(re, RegularizedEvolution) and re.rng is rng
    assert re.config() == {"population_size": 20, "sample_size": 3}


def test_make_strategy_refuses_parameters_a_strategy_does_not_take():
    with pytest.raises(ReproError) as error:
        make_strategy("rs-mutation", _Toy(), _rng(), sample_size=3, patience=2)
    assert (
        str(error.value)
        == "strategy 'rs-mutation' does not take patience, sample_size (it takes population_size, replace)"
    )
    with pytest.raises(ReproError, match=r"does not take patience \(it takes population_size, replace, sample_size\)"):
        make_strategy("re", _Toy(), _rng(), patience=2)
    with pytest.raises(ReproError, match=r"does not take patience \(it takes no parameters\)"):
        make_strategy("es11", _Toy(), _rng(), patience=2)
    with pytest.raises(ReproError, match="unknown strategy 'nope'"):
        make_strategy("nope", _Toy(), _rng())


def test_make_strategy_drops_what_a_strategy_does_not_take_when_not_strict():
    walk = make_strategy("rs-mutation", _Toy(), _rng(), strict=False, population_size=7, sample_size=3)
    assert walk.config() == {"population_size": 7, "sample_size": 1}


def test_describe_gives_the_first_docstring_line(monkeypatch):
    assert describe("rs") == (
        "Random search: independent samples from the space (its initial-genome rule); values are ignored."
    )
    assert describe("es11").startswith("(1+1)-ES: one parent;")
    monkeypatch.setitem(STRATEGIES._items, "bare", lambda space, rng: RandomSearch(space, rng))
    assert describe("bare") == ""


@pytest.mark.parametrize("name", STRATEGIES.names())
def test_every_strategy_is_deterministic_given_its_seed(name):
    # REINFORCE samples one operation per cell edge: it runs on a cell space (and refuses remnet).
    space = get_space("nb201" if name == "reinforce" else "remnet")

    def run(seed):
        strategy = make_strategy(name, space, np.random.default_rng(seed))
        keys = []
        for step in range(40):
            genome = strategy.ask()
            keys.append(space.canonical(genome).key)
            strategy.tell(genome, float((step * 7919) % 100))
        return keys

    assert run(0) == run(0)
    assert run(0) != run(1)
