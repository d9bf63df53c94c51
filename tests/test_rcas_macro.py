"""RCAS on NAS-Bench-Macro: the study's functions on synthetic tables whose optimum and submodularity are known,
and the loader on the shipped table."""

from __future__ import annotations

import gzip
import itertools
import json

import numpy as np
import pytest

from papers.rcas import macro
from repro.errors import ReproError
from repro.tables.macro import SHIPPED, read_macro_table

KEYS = ["".join(g) for g in itertools.product("012", repeat=8)]
DIGITS = np.array([[int(c) for c in k] for k in KEYS])


def _synthetic(mean: np.ndarray, noise: float = 0.001) -> macro.MacroTable:
    """Every genome its own network; costs additive per (position, type); three seeds around ``mean``."""
    rng = np.random.default_rng(0)
    cost = np.array([[0, 3, 7]] * 8) * (1 + np.arange(8))[:, None]
    params = 100 + cost[np.arange(8), DIGITS].sum(axis=1)
    return macro.MacroTable(
        mean=mean,
        seeds=mean[:, None] + rng.normal(0, noise, (len(mean), 3)),
        params=params,
        flops=2 * params,
        network=np.arange(len(mean)),
        source="synthetic",
    )


def _additive() -> macro.MacroTable:
    """F = 0.1 + sum of positive per-element weights: monotone and modular (submodular with equality)."""
    weights = np.array([[0, 0.01, 0.03]] * 8) * (1 + np.arange(8)[::-1, None] / 8)
    return _synthetic(0.1 + weights[np.arange(8), DIGITS].sum(axis=1))


def test_index_and_genome_agree_with_the_table_order():
    assert macro.genome(int("01201120", 3)) == "01201120"
    assert macro.index_of(frozenset({(1, 1), (2, 2), (7, 1)})) == int("01200001", 3)


def test_additive_table_is_monotone_and_modular_and_rcas_finds_the_optimum_without_limits():
    table = _additive()
    found = macro.exhaustive(table)
    assert found["monotonicity"]["violations"] == 0
    assert found["diminishing_returns"]["violations"] == 0  # modular: every excess is 0 up to float ties
    assert found["gamma"]["positive"]["min"] == pytest.approx(1.0)
    assert found["diminishing_returns"]["checks"] == 1_215_008 and found["pairs"] == 5**8 - 3**8
    whole = macro.run_budget(table, "params", int(table.params.max()))
    assert whole["optimum"]["genome"] == "22222222"
    assert all(r["optimal"] and r["ratio"] == 1.0 for r in whole["rcas"].values())
    tiny = macro.run_budget(table, "flops", int(table.flops.min()))
    assert tiny["feasible_networks"] == 1 and tiny["rcas"]["UC"]["genome"] == "00000000"


def test_rcas_under_a_budget_against_the_enumerated_optimum():
    table = _additive()
    limit = int(np.quantile(table.params, 0.3))
    run = macro.run_budget(table, "params", limit)
    feasible = table.params <= limit
    assert run["optimum"]["F"] == pytest.approx(table.mean[feasible].max())
    best = run["rcas"][run["rcas_best"]]
    assert best["params"] <= limit and 0 < best["ratio"] <= 1
    assert best["ratio"] == max(r["ratio"] for r in run["rcas"].values())
    assert all(p["same_as_lazy"] for p in run["plain"].values())  # a modular F: lazy makes plain's choices
    for search in run["searches"].values():
        assert len(search["F"]) == len(macro.SEARCH_SEEDS) and max(search["ratio"]) <= 1


def test_a_supermodular_table_breaks_diminishing_returns_beyond_noise():
    blocks = (DIGITS > 0).sum(axis=1)
    found = macro.exhaustive(_synthetic(0.1 + 0.01 * blocks**2, noise=0.0001))
    dr = found["diminishing_returns"]
    assert dr["violations"] == dr["checks"] == dr["beyond_noise"] == dr["every_seed"]
    assert found["gamma"]["positive"]["min"] < 1 and macro.bound(found["gamma"]["positive"]["min"]) < macro.bound(1.0)


def test_the_shipped_table_reads_and_checks(tmp_path):
    table = read_macro_table()
    assert len(table) == 6561 and table["22212220"].mean_acc == pytest.approx(93.13, abs=0.005)
    broken = tmp_path / "broken.json.gz"
    with gzip.open(SHIPPED, "rt") as f:
        data = json.load(f)
    data["00000000"]["mean_acc"] = 99.0
    with gzip.open(broken, "wt") as f:
        json.dump(data, f)
    with pytest.raises(ReproError, match="'00000000' has test_acc"):
        read_macro_table(broken)
    with pytest.raises(ReproError, match="cannot read the NAS-Bench-Macro table"):
        read_macro_table(tmp_path / "missing.json.gz")


def test_the_study_reads_the_imported_rows_equal_to_the_table():
    """Through the store, every genome gets its network's three seeds, params and FLOPs as the table gives them,
    and the mean equals the table's mean_acc bit for bit (so the study's numbers did not move)."""
    table, rows = macro.load(), read_macro_table()
    keys = [macro.genome(i) for i in range(3**8)]
    assert np.array_equal(table.mean, np.array([rows[k].mean_acc for k in keys]) / 100)
    assert np.array_equal(table.seeds, np.array([rows[k].test_acc for k in keys]) / 100)
    assert np.array_equal(table.params, [rows[k].params for k in keys])
    assert np.array_equal(table.flops, [rows[k].flops for k in keys])
