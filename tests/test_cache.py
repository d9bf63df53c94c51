"""The cache's storage contract: round trip, immutability, curves, errors that name the fix."""

from __future__ import annotations

import json

import numpy as np
import pytest

from repro.cache.store import METRICS_FILE, Store
from repro.errors import ReproError
from repro.recipe import get_profile
from repro.records import Evaluation
from tests.rows import curve_files, segments, to_legacy_curves


def _evaluation(seed: int = 0, **changes: object) -> Evaluation:
    fields = dict(
        space="remnet",
        genome_key="k1",
        recipe_key="r1",
        train_seed=seed,
        genome='{"nodes":[]}',
        status="ok",
        train_loss=0.5,
        train_acc=0.8,
        val_loss=0.6,
        val_acc=0.75,
        test_loss=0.65,
        test_acc=0.74,
        params=100,
        macs=1000,
        epochs=2,
        train_seconds=1.5,
        device="cpu:test",
        code_version="0.1.0",
        libraries="torch x",
        created_at=None,
    )
    fields.update(changes)
    return Evaluation(**fields)  # type: ignore[arg-type]


def test_round_trip_with_curve_and_seeds(tmp_path):
    curve = np.array([[1, 0.9, 0.6, 0.8, 0.7], [2, 0.5, 0.8, 0.6, 0.75]])
    with Store(tmp_path) as store:
        assert store.put(_evaluation(0), get_profile("smoke").to_json(), "smoke", curve)
        assert store.put(_evaluation(1, val_acc=0.5), "{}", "smoke", curve * 2)
    with Store(tmp_path, read_only=True) as store:
        got = store.get("remnet", "k1", "r1", 0)
        assert got == _evaluation(0)
        assert [e.train_seed for e in store.evaluations("remnet", "r1") if e.genome_key == "k1"] == [0, 1]
        assert store.get("remnet", "k1", "r1", 1).val_acc == 0.5
        assert store.get("remnet", "k1", "r1", 2) is None
        np.testing.assert_array_equal(store.curve(got), curve)
        np.testing.assert_array_equal(store.curve(store.get("remnet", "k1", "r1", 1)), curve * 2)
        assert [e.train_seed for e in store.evaluations("remnet")] == [0, 1]


def test_rows_are_immutable(tmp_path):
    with Store(tmp_path) as store:
        assert store.put(_evaluation(0), "{}", "p")
        assert not store.put(_evaluation(0, val_acc=0.1), "{}", "p")
        assert store.get("remnet", "k1", "r1", 0).val_acc == 0.75


def test_invalid_rows_keep_reason_and_have_no_accuracy(tmp_path):
    invalid = _evaluation(
        0,
        status="invalid",
        reason="POOL_5.A needs 5x5",
        **{m: None for m in ("train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc")},
    )
    with Store(tmp_path) as store:
        store.put(invalid, "{}", "p")
        got = store.get("remnet", "k1", "r1", 0)
    assert got.reason == "POOL_5.A needs 5x5"
    assert np.isnan(got.value("val_acc"))
    with pytest.raises(ReproError, match="unknown metric"):
        got.value("accuracy")


def test_query_and_export(tmp_path):
    with Store(tmp_path / "c") as store:
        store.put(_evaluation(0), "{}", "p")
        columns, rows = store.query("SELECT genome_key, val_acc FROM evaluations")
        assert columns == ["genome_key", "val_acc"] and rows == [("k1", 0.75)]
        parquet = store.export(tmp_path / "out.parquet")
        csv = store.export(tmp_path / "out.csv", "recipes")
        with pytest.raises(ReproError, match=r"\.parquet or \.csv"):
            store.export(tmp_path / "out.xlsx")
        with pytest.raises(ReproError, match="no table"):
            store.export(tmp_path / "x.csv", "nope")
        with pytest.raises(ReproError, match="query failed"):
            store.query("SELECT * FROM nowhere")
        columns, rows = store.query(f"SELECT genome, test_acc FROM '{parquet}'")
        assert rows == [('{"nodes":[]}', 0.74)]
    assert csv.read_text().splitlines()[0] == "recipe_key,profile,recipe"


def test_corrupt_database_is_refused_with_the_fix(tmp_path):
    (tmp_path / METRICS_FILE).write_bytes(b"this is not a duckdb file" * 100)
    with pytest.raises(ReproError, match="not a readable DuckDB database.*git checkout"):
        Store(tmp_path)


def _edit(root, *statements: str) -> None:
    """Change a cache's database file behind the store's back (a store works on a snapshot of it)."""
    import duckdb

    with duckdb.connect(str(root / METRICS_FILE)) as db:
        for statement in statements:
            db.execute(statement)


def test_schema_version_mismatch_is_refused(tmp_path):
    Store(tmp_path).close()
    _edit(tmp_path, "UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(ReproError, match="schema version 999"):
        Store(tmp_path)


def test_read_only_and_missing_cache(tmp_path):
    with pytest.raises(ReproError, match="no cache at"):
        Store(tmp_path / "absent", read_only=True)
    Store(tmp_path).close()
    with Store(tmp_path, read_only=True) as store, pytest.raises(ReproError, match="read-only"):
        store.put(_evaluation(0), "{}", "p")


def test_corrupt_curve_file_is_reported(tmp_path):
    with Store(tmp_path) as store:
        store.put(_evaluation(0), "{}", "p", np.array([[1, 0.9, 0.6, 0.8, 0.75]]))
        segments(tmp_path)[0].write_bytes(b"garbage")
        with pytest.raises(ReproError, match="seg-000001.h5 is not a readable curve file"):
            store.curve(store.get("remnet", "k1", "r1", 0))


def test_an_older_schema_is_migrated_on_a_writable_open(tmp_path, monkeypatch):
    from repro.cache import store as store_module
    from repro.cli import main

    with Store(tmp_path) as store:
        store.put(_evaluation(0), "{}", "p")
    now = store_module.SCHEMA_VERSION
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", now + 1)
    monkeypatch.setattr(store_module, "MIGRATIONS", {now: ("ALTER TABLE evaluations ADD COLUMN note VARCHAR",)})
    with pytest.raises(
        ReproError,
        match=f"schema version {now}, this repro reads version {now + 1}; upgrade it with `repro cache upgrade`",
    ):
        Store(tmp_path, read_only=True)
    assert main(["cache", "upgrade", "--cache", str(tmp_path)]) == 0
    with Store(tmp_path, read_only=True) as store:
        columns, rows = store.query("SELECT val_acc, note FROM evaluations")
        assert rows == [(0.75, None)]
        assert store.query("SELECT value FROM meta WHERE key = 'schema_version'")[1] == [(str(now + 1),)]


def test_a_missing_migration_step_is_refused(tmp_path, monkeypatch):
    from repro.cache import store as store_module

    Store(tmp_path).close()
    now = store_module.SCHEMA_VERSION
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", now + 2)
    monkeypatch.setattr(store_module, "MIGRATIONS", {now: ()})
    with pytest.raises(ReproError, match=f"no migration from cache schema version {now + 1}"):
        Store(tmp_path)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", now)
    with Store(tmp_path, read_only=True) as store:  # the failed upgrade changed nothing
        assert store.query("SELECT value FROM meta WHERE key = 'schema_version'")[1] == [(str(now),)]


def test_a_schema_1_cache_moves_its_artefact_files_into_the_store(tmp_path):
    """Version 1 kept search records and samples as JSON files; the upgrade moves every one in, unchanged."""
    from repro.cache import store as store_module

    with Store(tmp_path) as store:
        store.put(_evaluation(0), "{}", "p", np.array([[1, 0.9, 0.6, 0.8, 0.7], [2, 0.5, 0.8, 0.6, 0.75]]))
    # Make it a version-1 cache: no artefacts table, records as files, one curves.h5.
    _edit(tmp_path, "DROP TABLE artefacts", "UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    to_legacy_curves(tmp_path)
    records = {
        ("gdas-searches", "aa11"): {"seed": 0, "logits": [[0.1, -0.2]], "code_version": "v1"},
        ("gdas-searches", "bb22"): {"seed": 1, "genome": "x"},
        ("featurenet-samples", "cc33"): {"groups": {"random": [["{}"]]}, "seconds": 1.5},
    }
    for (kind, key), record in records.items():
        (tmp_path / kind).mkdir(exist_ok=True)
        (tmp_path / kind / f"{key}.json").write_text(json.dumps(record, indent=1) + "\n")
    with pytest.raises(ReproError, match="schema version 1"):
        Store(tmp_path, read_only=True)
    Store(tmp_path).close()  # a writable open upgrades
    with Store(tmp_path, read_only=True) as store:
        assert store.artefacts("gdas-searches") == [records["gdas-searches", "aa11"], records["gdas-searches", "bb22"]]
        assert store.artefact("featurenet-samples", "cc33") == records["featurenet-samples", "cc33"]
        assert store.check() == []
        assert store.get("remnet", "k1", "r1", 0) == _evaluation(0)
    assert not any((tmp_path / kind).exists() for kind in store_module.ARTEFACT_KINDS)


def test_artefacts_are_immutable_and_merged_like_rows(tmp_path):
    with Store(tmp_path / "a") as a:
        assert a.put_artefact("nar-searches", "k", {"best": [1, 2]})
        assert not a.put_artefact("nar-searches", "k", {"best": [3]})  # kept as it was
        assert a.artefact("nar-searches", "k") == {"best": [1, 2]}
        with pytest.raises(ReproError, match="unknown artefact kind 'nope'"):
            a.put_artefact("nope", "k", {})
    with Store(tmp_path / "b") as b:
        b.put_artefact("nar-searches", "k", {"best": [9]})
        b.put_artefact("gdas-searches", "g", {"seed": 0})
    with Store(tmp_path / "a") as a, Store(tmp_path / "b", read_only=True) as b:
        added, identical, conflicts = a.merge(b)
        assert (added, identical) == (1, 0) and conflicts == [
            "artefact nar-searches/k: the shard's record differs from this cache's"
        ]
        assert a.artefact("gdas-searches", "g") == {"seed": 0} and a.artefact("nar-searches", "k") == {"best": [1, 2]}
        assert a.merge(b)[:2] == (0, 1)


@pytest.mark.parametrize(
    "sql",
    [
        "COPY (SELECT 'x') TO '{root}/curves/seg-000001.h5' (FORMAT CSV)",
        "SELECT * FROM read_csv('/etc/passwd')",
        "INSTALL httpfs",
        "ATTACH '{root}/other.duckdb' AS other",
        "SET enable_external_access = true",
    ],
)
def test_a_query_cannot_touch_files_or_the_network(tmp_path, capsys, sql):
    from repro.cli import main

    curve = np.array([[1, 0.9, 0.6, 0.8, 0.7], [2, 0.5, 0.8, 0.6, 0.75]])
    with Store(tmp_path) as store:
        store.put(_evaluation(0), "{}", "p", curve)
    before = curve_files(tmp_path)
    assert list(before) == ["seg-000001.h5"]
    assert main(["cache", "query", sql.format(root=tmp_path), "--cache", str(tmp_path), "--no-shipped"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("repro: error: query failed:") and err.count("\n") == 1
    assert curve_files(tmp_path) == before and not (tmp_path / "other.duckdb").exists()
    assert (
        main(["cache", "query", "SELECT count(*) AS n FROM evaluations", "--cache", str(tmp_path), "--no-shipped"]) == 0
    )
    assert capsys.readouterr().out.split() == ["n", "1"]
