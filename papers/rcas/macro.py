"""RCAS's algorithm on another real space: NAS-Bench-Macro's 6,561 CIFAR-10 networks (not RCAS's CIFAR-100 claims).

Every number here comes from the imported NAS-Bench-Macro rows (``repro tables import macro``:
:mod:`repro.tables.macro`, measured by its authors, Apache-2.0), read through the store like any
cache row; nothing is trained. The space is :mod:`repro.spaces.macro`.

- Elements are ``(position, type)``: one of the eight layers holding MB3_K3 (type 1) or MB6_K5
  (type 2); a position holds at most one element (``Problem.group``). S = ∅ is the all-identity
  network, where RCAS's Algorithm 2 starts (over all 16 elements). The paper's CIFAR rule fills the
  stride-2 positions first because an empty one would lose the downsampling; here an identity at a
  stride-2 layer is a strided 1x1 convolution, so every set is a working network and nothing needs
  pre-filling.
- F(S) = the network's test accuracy in the table (a fraction), the mean over its three seeds;
  each seed's alone serves as the noise check. Params and FLOPs are the table's (FLOPs stand in
  for RCAS's MAdds: the cost of AMR and the FLOPs budgets).
- Budgets: :data:`BUDGETS_PER_RESOURCE` evenly spaced limits from the smallest network (all
  identity) to the largest (all MB6_K5), on params alone and on FLOPs alone.
- Under each budget: the exact optimum by enumeration; RCAS (lazy CEG with UC, APR, AMR, best of
  the three), plain CEG with each cost; the approximation ratio (F(S) − F(∅)) / (F(opt) − F(∅))
  and the distinct sets and distinct networks each evaluated; random search and regularized
  evolution (``repro.search.strategies``) given RCAS's number of distinct networks, over
  :data:`SEARCH_SEEDS` seeds, both over :class:`WithinBudget` (a genome's cost is known without
  training, so neither ever proposes one over the budget).
- Monotonicity and diminishing returns on every addition and every triple ``(A ⊂ B, v)``
  (:mod:`repro.submodularity`), each violation against the table's seed noise: the pooled
  seed-to-seed standard deviation σ (over the 3,969 distinct networks), so a difference of
  network means has standard error σ·sqrt(Σ c²/3) (coefficients of one network merged).
- The submodularity ratio γ (Das & Kempe 2011) and the bound Theorem 1 would give with e^-γ in
  place of 1/e, ½(1 − e^-γ), beside the ratios RCAS achieves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from repro import stats
from repro.errors import ReproError
from repro.recipe import get_profile
from repro.search.greedy import Budget, GreedyResult, Problem, cost_effective_greedy, rcas, rcas_costs
from repro.search.strategies.evolution import RegularizedEvolution
from repro.spaces.macro import LAYERS, MacroSpace, canonical_genome
from repro.submodularity import additions, count, nested_triples, ratio_pairs, singleton_gain_sums
from repro.tables.macro import MACRO
from repro.tables.shipped import ImportedTables

TYPES = (1, 2)
GROUND = tuple((p, t) for p in range(LAYERS) for t in TYPES)
BUDGETS_PER_RESOURCE = 10
SEARCH_SEEDS = tuple(range(30))
NOISE_SES = 2.0
"""A violation exceeds the noise when it is larger than this many standard errors."""
CACHE = Path(__file__).resolve().parents[2] / "cache"
"""The shipped cache, whose imported rows the study reads."""
RESOURCES = {"params": "params", "flops": "madds"}
"""Our resource name -> the name :func:`repro.search.greedy.rcas` reads (FLOPs play RCAS's MAdds)."""


@dataclass(frozen=True)
class MacroTable:
    """The table as arrays indexed by ``int(genome, 3)`` (accuracies as fractions)."""

    mean: np.ndarray
    seeds: np.ndarray
    """Shape (6561, 3): each training seed's test accuracy."""
    params: np.ndarray
    flops: np.ndarray
    network: np.ndarray
    """The canonical network id of every genome (genomes that build one network share it)."""
    source: str

    @property
    def sigma(self) -> float:
        """Pooled seed-to-seed standard deviation of one training (ddof 1, over the distinct networks)."""
        _, first = np.unique(self.network, return_index=True)
        return float(np.sqrt(np.mean(np.var(self.seeds[first], axis=1, ddof=1))))


def genome(index: int) -> str:
    """The genome of a flat index."""
    return np.base_repr(index, 3).zfill(LAYERS)


def index_of(selected: frozenset) -> int:
    """The flat index of the network holding the blocks of ``selected``."""
    return sum(t * 3 ** (LAYERS - 1 - p) for p, t in selected)


@functools.lru_cache(maxsize=2)
def load(cache: Path = CACHE) -> MacroTable:
    """The imported rows of recipe ``macro-cifar10-50ep`` in ``cache``, as arrays over every genome (a genome
    gets the rows of its network's canonical key)."""
    import duckdb

    space, recipe = MacroSpace(), get_profile(MACRO.profiles[0])
    keys = [genome(i) for i in range(3**LAYERS)]
    # The store's reader of imported tables, on a connection of its own: a search or a reproduction may hold the
    # cache's database open for writing while the report is made.
    imported = ImportedTables(cache)
    manifest = imported.manifest_of(recipe.key)
    if manifest is None:
        raise ReproError(f"the cache {cache} has no NAS-Bench-Macro rows; import them with `repro tables import macro`")
    with duckdb.connect() as db:
        table = imported.slice(db, space.name, recipe.key)
        rows = [table.rows_of(space.canonical(k).key) for k in keys]
    if any(len(r) != 3 for r in rows):
        raise ReproError(
            f"the cache {cache}: some NAS-Bench-Macro networks lack their three seeds; rerun "
            "`repro tables import macro`"
        )
    seeds = np.array([[e.test_acc for e in r] for r in rows])
    canon = {c: i for i, c in enumerate(sorted({canonical_genome(k) for k in keys}))}
    source = manifest.sources[0]
    return MacroTable(
        # The mean taken in percent, as the table's own mean_acc is: equal to it bit for bit (a test checks).
        mean=(seeds * 100).mean(axis=1) / 100,
        seeds=seeds,
        params=np.array([r[0].params for r in rows]),
        flops=np.array([r[0].macs for r in rows]),
        network=np.array([canon[canonical_genome(k)] for k in keys]),
        source=f"{source['file']} (xiusu/NAS-Bench-Macro at 61a2bfc, {source['licence']}; imported rows, table "
        f"sha256 {manifest.sha256[:12]})",
    )


def problem(table: MacroTable, values: np.ndarray, limits: dict[str, float]) -> Problem:
    """RCAS's problem on the table: F from ``values``, budget ``limits`` on ``params`` and/or ``madds``."""

    def resources(selected: frozenset) -> dict[str, int]:
        i = index_of(selected)
        return {"params": int(table.params[i]), "madds": int(table.flops[i])}

    return Problem(GROUND, lambda s: float(values[index_of(s)]), Budget(resources, limits), group=lambda e: e[0])


def budgets(table: MacroTable, resource: str) -> list[int]:
    """:data:`BUDGETS_PER_RESOURCE` limits from the smallest network's cost to the largest's."""
    cost = getattr(table, resource)
    return [round(float(b)) for b in np.linspace(cost.min(), cost.max(), BUDGETS_PER_RESOURCE)]


def ratio(value: float, empty: float, best: float) -> float:
    """(F(S) − F(∅)) / (F(opt) − F(∅)); 1 when ∅ is optimal and S reaches it."""
    if best == empty:
        return 1.0 if value >= best else float("nan")
    return (value - empty) / (best - empty)


def _networks(table: MacroTable, result: GreedyResult) -> set[int]:
    return {int(table.network[index_of(s)]) for s in result.evaluated}


class WithinBudget(MacroSpace):
    """NAS-Bench-Macro under a budget: ``sample`` is uniform over the genomes within it (the uniform rule, rejection
    sampled) and ``mutate`` changes one position to a digit that stays within it (the parent itself if none does)."""

    def __init__(self, feasible: np.ndarray) -> None:
        self.feasible = feasible
        self.pool = np.flatnonzero(feasible)

    def sample(self, rng: np.random.Generator) -> str:
        return genome(int(self.pool[rng.integers(self.pool.size)]))

    def mutate(self, parent: str, rng: np.random.Generator) -> str:
        children = [parent[:p] + d + parent[p + 1 :] for p in range(LAYERS) for d in "012" if d != parent[p]]
        children = [c for c in children if self.feasible[int(c, 3)]]
        return children[int(rng.integers(len(children)))] if children else parent

    def config(self) -> dict[str, Any]:
        return {"within_budget": int(self.pool.size)}


def _evolution_best(
    rng: np.random.Generator, table: MacroTable, values: np.ndarray, feasible: np.ndarray, networks: int
) -> float:
    """Best F of regularized evolution (population 20, sample 5) over :class:`WithinBudget` once it has evaluated
    ``networks`` distinct networks (or asked 50 times that many genomes)."""
    strategy = RegularizedEvolution(WithinBudget(feasible), rng, population_size=20, sample_size=5)
    seen: set[int] = set()
    best = -np.inf
    for _ in range(50 * networks):
        g = strategy.ask()
        i = int(g, 3)
        strategy.tell(g, float(values[i]))
        seen.add(int(table.network[i]))
        best = max(best, float(values[i]))
        if len(seen) == networks:
            break
    return best


def _random_search_best(
    rng: np.random.Generator, table: MacroTable, values: np.ndarray, feasible: np.ndarray, networks: int
) -> float:
    """Best F of uniform draws among the genomes within the budget (:meth:`WithinBudget.sample`, drawn in one
    batch) up to ``networks`` distinct networks (or 50 times that many draws)."""
    pool = np.flatnonzero(feasible)
    draws = pool[rng.integers(pool.size, size=50 * networks)]
    _, first = np.unique(table.network[draws], return_index=True)
    stop = np.sort(first)[min(networks, first.size) - 1]
    return float(values[draws[: stop + 1]].max())


SEARCHES: dict[str, Callable[..., float]] = {
    "random search": _random_search_best,
    "regularized evolution": _evolution_best,
}


def run_budget(table: MacroTable, resource: str, limit: int) -> dict[str, Any]:
    """Everything measured under one budget: optimum, greedy variants, per-seed RCAS, random search and evolution."""
    values, name = table.mean, RESOURCES[resource]
    feasible = getattr(table, resource) <= limit
    best_index = int(np.flatnonzero(feasible)[np.argmax(table.mean[feasible])])
    empty, best = float(values[0]), float(values[best_index])
    prob = problem(table, values, {name: limit})
    winner, lazy = rcas(prob)
    plain = {cost: cost_effective_greedy(prob, fn) for cost, fn in rcas_costs(prob.budget.resources).items()}

    def summary(result: GreedyResult) -> dict[str, Any]:
        i = index_of(result.selected)
        return {
            "genome": genome(i),
            "F": result.value,
            "ratio": ratio(result.value, empty, best),
            "optimal": result.value >= best,
            "sets": result.evaluations,
            "networks": len(_networks(table, result)),
            "params": int(table.params[i]),
            "flops": int(table.flops[i]),
        }

    networks = len(set().union(*(_networks(table, r) for r in lazy.values())))
    feasible_networks = len(np.unique(table.network[feasible]))
    searches = {}
    for label, search in SEARCHES.items():
        found = [
            search(np.random.default_rng(seed), table, values, feasible, min(networks, feasible_networks))
            for seed in SEARCH_SEEDS
        ]
        searches[label] = {
            "F": found,
            "ratio": [ratio(v, empty, best) for v in found],
            "optimal": float(np.mean([v >= best for v in found])),
            "rcas_a12": stats.vargha_delaney_a12([lazy[winner].value], found),
        }
    per_seed = []
    for k in range(table.seeds.shape[1]):
        seed_values = table.seeds[:, k]
        seed_best = float(seed_values[feasible].max())
        seed_winner, seed_lazy = rcas(problem(table, seed_values, {name: limit}))
        chosen = seed_lazy[seed_winner]
        per_seed.append(
            {
                "ratio": ratio(chosen.value, float(seed_values[0]), seed_best),
                "genome": genome(index_of(chosen.selected)),
                "mean_F_ratio": ratio(float(values[index_of(chosen.selected)]), empty, best),
            }
        )
    return {
        "resource": resource,
        "limit": limit,
        "feasible_networks": feasible_networks,
        "optimum": {"genome": genome(best_index), "F": best},
        "empty_F": empty,
        "rcas_best": winner,
        "rcas": {cost: summary(r) for cost, r in lazy.items()},
        "rcas_networks": networks,
        "plain": {cost: {**summary(r), "same_as_lazy": r.path == lazy[cost].path} for cost, r in plain.items()},
        "searches": searches,
        "per_seed": per_seed,
    }


def _noise_se(table: MacroTable, ids: list[np.ndarray], coefs: list[int]) -> np.ndarray:
    """Standard error of ``Σ c_i F(network_i)`` with repeated networks merged (σ of one training, 3 seeds each)."""
    factor = np.full(ids[0].shape, float(sum(c * c for c in coefs)))
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            factor += 2 * coefs[i] * coefs[j] * (ids[i] == ids[j])
    return table.sigma * np.sqrt(factor / table.seeds.shape[1])


def _property(amounts: np.ndarray, se: np.ndarray, per_seed: list[np.ndarray]) -> dict[str, Any]:
    """A violation count (positive amounts) on mean F, against the noise, and seed by seed."""
    counted = count(amounts)
    beyond = amounts > NOISE_SES * se
    every_seed = np.logical_and.reduce([a > 1e-9 for a in per_seed])
    sizes = counted.sizes
    return {
        "checks": counted.checks,
        "violations": counted.violations,
        "fraction": counted.fraction,
        "beyond_noise": int(beyond.sum()),
        "beyond_noise_fraction": float(beyond.mean()),
        "every_seed": int(every_seed.sum()),
        "every_seed_fraction": float(every_seed.mean()),
        "per_seed_fraction": [float((a > 1e-9).mean()) for a in per_seed],
        "size_quantiles": {q: float(np.quantile(sizes, q)) if sizes.size else 0.0 for q in (0.5, 0.9, 0.99, 1.0)},
        "median_se": float(np.median(se)),
        "sizes_in_se": (amounts / se)[amounts > 1e-9],
    }


def exhaustive(table: MacroTable) -> dict[str, Any]:
    """Monotonicity, diminishing returns and the submodularity ratio over every set of the table."""
    n, m = LAYERS, len(TYPES)
    seeds = [table.seeds[:, k] for k in range(table.seeds.shape[1])]
    base, grown = additions(n, m)
    mono_se = _noise_se(table, [table.network[base], table.network[grown]], [-1, 1])
    mono = _property(table.mean[base] - table.mean[grown], mono_se, [s[base] - s[grown] for s in seeds])
    tri = nested_triples(n, m)
    ids = [table.network[i] for i in (tri.a, tri.a_v, tri.b, tri.b_v)]
    dr = _property(tri.excess(table.mean), _noise_se(table, ids, [1, -1, -1, 1]), [tri.excess(s) for s in seeds])
    a, b = ratio_pairs(n, m)
    joint = table.mean[b] - table.mean[a]
    joint_se = _noise_se(table, [table.network[a], table.network[b]], [-1, 1])
    sums = singleton_gain_sums(table.mean, n, m, a, b)
    gamma = {}
    # Accuracies are multiples of 1/30,000 (means of three 10,000-image tests): smaller gains are float ties.
    for label, keep in (("positive", joint > 1e-9), ("beyond_noise", joint > NOISE_SES * joint_se)):
        ratios = sums[keep] / joint[keep]
        gamma[label] = {
            "pairs": int(keep.sum()),
            "min": float(ratios.min()),
            "p01": float(np.quantile(ratios, 0.01)),
            "median": float(np.median(ratios)),
            "below_one": float((ratios < 1).mean()),
        }
    return {
        "sigma": table.sigma,
        "monotonicity": mono,
        "diminishing_returns": dr,
        "gamma": gamma,
        "pairs": (2 * m + 1) ** n - (m + 1) ** n,
    }


def bound(gamma: float) -> float:
    """Theorem 1's constant with e^-γ for 1/e: ½(1 − e^-γ) (≤ 0, so vacuous, when γ ≤ 0)."""
    return 0.5 * (1 - np.exp(-gamma))


@functools.lru_cache(maxsize=1)
def study(cache: Path = CACHE) -> dict[str, Any]:
    """The whole study as plain data (numpy arrays only under ``sizes_in_se``)."""
    table = load(cache)
    runs = [run_budget(table, resource, limit) for resource in RESOURCES for limit in budgets(table, resource)]
    found = exhaustive(table)
    rcas_ratios = [r["rcas"][r["rcas_best"]]["ratio"] for r in runs]
    pooled = {label: [x for r in runs for x in r["searches"][label]["ratio"]] for label in SEARCHES}
    comparisons = {label: stats.compare(rcas_ratios, values, names=("RCAS", label)) for label, values in pooled.items()}
    return {
        "source": table.source,
        "runs": runs,
        "exhaustive": found,
        "rcas_ratio": {
            "min": float(np.min(rcas_ratios)),
            "mean": float(np.mean(rcas_ratios)),
            "optimal": sum(r["rcas"][r["rcas_best"]]["optimal"] for r in runs),
            "budgets": len(runs),
        },
        "bound": {label: bound(g["min"]) for label, g in found["gamma"].items()},
        "pooled": {label: {"a12": c.a12, "mw_p": c.mw_p, "mean": c.mean_b} for label, c in comparisons.items()},
    }


__all__ = [
    "BUDGETS_PER_RESOURCE",
    "GROUND",
    "MacroTable",
    "bound",
    "budgets",
    "exhaustive",
    "genome",
    "index_of",
    "load",
    "problem",
    "ratio",
    "run_budget",
    "study",
]
