"""NAS-Bench-201's protocol: REINFORCE, a budget in simulated seconds, final metrics and known answers,
on the shipped imported tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from repro.cache.store import Store
from repro.compare import run_comparison
from repro.errors import ReproError
from repro.recipe import get_profile
from repro.spaces import get_space
from repro.spaces.nb201 import to_string
from repro.search.strategies import make_strategy

SHIPPED = Path(__file__).resolve().parent.parent / "cache"
needs_tables = pytest.mark.skipif(not (SHIPPED / "imported" / "nb201.parquet").exists(), reason="no imported tables")


def test_reinforce_learns_a_known_target_and_recommends_its_argmax() -> None:
    space = get_space("nb201")
    target = ("nor_conv_3x3", "skip_connect", "nor_conv_1x1", "avg_pool_3x3", "nor_conv_3x3", "none")
    strategy = make_strategy("reinforce", space, np.random.default_rng(0), learning_rate=0.05)
    for _ in range(300):
        genome = strategy.ask()
        strategy.tell(genome, sum(a == b for a, b in zip(genome, target)) / 6)
    assert strategy.recommend() == target
    fresh = make_strategy("reinforce", space, np.random.default_rng(0))
    asked = fresh.ask()
    fresh.tell(asked, float("nan"))  # an invalid architecture leaves the policy as it was
    assert all(np.abs(v).max() < 0.01 for v in fresh.logits.values())
    with pytest.raises(ReproError, match="no per-edge candidates"):
        make_strategy("reinforce", get_space("remnet"), np.random.default_rng(0))


@needs_tables
def test_time_budget_final_metrics_and_known_answers() -> None:
    budget = 3000.0
    with Store(SHIPPED, read_only=True) as store:
        c = run_comparison(
            get_space("nb201"),
            get_profile("nb201-cifar10-valid-12ep"),
            store,
            ["rs", "re", "reinforce"],
            [0, 1, 2],
            10_000,
            time_budget=budget,
            params={"population_size": 10, "sample_size": 3},
            final=["nb201-cifar10-200ep:test_acc", "nb201-cifar10-valid-200ep:val_acc"],
        )
    for run in c.runs:
        assert 0 < run.times[-1] <= budget and run.times == sorted(run.times)
        assert run.final_genome is not None and set(run.final) == set(c.final)
        assert all(0.05 < v < 0.95 for v in run.final.values())
    # A run stops before the evaluation that would pass the budget: with a longer budget the same run
    # (deterministic given its seed) goes on, and its next evaluation finishes after the first budget.
    with Store(SHIPPED, read_only=True) as store:
        longer = run_comparison(
            get_space("nb201"),
            get_profile("nb201-cifar10-valid-12ep"),
            store,
            ["rs", "re"],
            [0, 1],
            10_000,
            time_budget=2 * budget,
            params={"population_size": 10, "sample_size": 3},
        )
    for run in longer.runs:
        short = next(r for r in c.runs if (r.strategy, r.seed) == (run.strategy, run.seed))
        n = len(short.values)
        assert run.values[:n] == short.values and run.times[n] > budget
    known = c.known["nb201-cifar10-200ep:test_acc"]
    assert known["best"] == pytest.approx(0.94373, abs=1e-5)  # SOURCES.md: best test_top1 94.373
    assert known["average"] < known["ResNet-like cell"] < known["best"]
    assert c.known["nb201-cifar10-valid-200ep:val_acc"]["best"] == pytest.approx(0.91607, abs=1e-5)
    rows = {r.strategy: r for r in c.rows}
    assert rows["rs"].a12 is None and rows["re"].a12 is not None
    assert all(r.gap_closed is not None and r.gap_closed < 1 for r in c.rows)
    rs_runs = c.runs_of("rs")
    assert rows["rs"].final["nb201-cifar10-200ep:test_acc"][0] == pytest.approx(
        np.mean([r.final["nb201-cifar10-200ep:test_acc"] for r in rs_runs])
    )
    # REINFORCE ends with its policy's most likely cell, not necessarily one it evaluated.
    assert all(isinstance(r.final_genome, str) and r.final_genome.count("~") == 6 for r in c.runs_of("reinforce"))
    assert to_string(get_space("nb201").references()["ResNet-like cell"]).startswith("|nor_conv_3x3~0|")


def test_identity_merge_joins_skip_detours_only() -> None:
    from repro.spaces.nb201 import canonical_text, from_string

    direct = from_string("|skip_connect~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|nor_conv_1x1~2|")
    detour = from_string("|skip_connect~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|nor_conv_1x1~2|")
    # Node 1 copies the input, so conv(node 1) is conv(input): one function, two keys today.
    assert canonical_text(direct) != canonical_text(detour)
    assert canonical_text(direct, merge_identities=True) == canonical_text(detour, merge_identities=True)
    conv = from_string("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|nor_conv_1x1~2|")
    assert canonical_text(conv, merge_identities=True) != canonical_text(detour, merge_identities=True)
    assert canonical_text(from_string("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"), True) == "identity"


def test_hash_study_on_the_fixture_cut(tmp_path) -> None:
    import dataclasses

    from repro.tables.studies import hash_study
    from repro.tables.importer import import_table
    from repro.tables.nb201 import NB201
    from repro.tables.shipped import sha256_of

    fixtures = Path(__file__).parent / "fixtures" / "nb201"
    sources = tuple(dataclasses.replace(s, sha256=sha256_of(fixtures / s.name)) for s in NB201.sources)
    Store(tmp_path).close()
    import_table(dataclasses.replace(NB201, sources=sources), fixtures, tmp_path)
    with Store(tmp_path, read_only=True) as store:
        h = hash_study(store.evaluations("nb201", get_profile("nb201-cifar10-valid-200ep").key))
    assert h["strings"] == 40 and h["keys"] < 40 and h["keys_with_several_strings"] >= 1
    assert h["flagged_keys"] == 0 and 0 < h["between_strings_sd"] < 0.05 and 0 < h["seed_sd"] < 0.05
    assert h["identity_classes"] <= h["keys"]


@needs_tables
def test_every_shipped_source_string_is_the_space_json_of_its_genome() -> None:
    """The importer's cheap ``genome_json`` (the string itself) equals ``to_json(from_string(s))`` for every
    string of the shipped table, so a search finds each imported key by its genome's JSON text."""
    from repro.spaces.nb201 import from_string
    from repro.tables.nb201 import NB201

    space = get_space("nb201")
    with Store(SHIPPED, read_only=True) as store:
        archs = {r[0] for r in store.imported.select(store.db, ["source_arch"], "nb201", None)}
    assert len(archs) == 15_625
    assert all(NB201.json_of(space)(a) == space.to_json(from_string(a)) for a in archs)
