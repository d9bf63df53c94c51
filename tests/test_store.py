"""The store's public round trips: put/get/evaluations/curves, bulk loads, runs and trials, check and merge.

test_cache.py holds the storage contract's error paths (corrupt files, schema versions, sandboxed
queries); these tests pin what a reader gets back from what a writer stored, field by field, and what
``check`` and ``merge`` report, through the public methods only.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest

from repro.cache.store import Store
from repro.cache.table import CachedTable
from repro.errors import ReproError
from repro.recipe import Recipe
from repro.records import Evaluation
from repro.spaces.base import canonical_key

CURVE = np.array([[1, 0.9, 0.6, 0.8, 0.7], [2, 0.5, 0.8, 0.6, 0.75]])
"""Two epochs; the last column is val_acc, and its last value is the row's."""
OTHER_CURVE = np.array([[1, 0.3, 0.1, 0.8, 0.7], [2, 0.2, 0.2, 0.6, 0.75]])
"""Another curve of the same row (the same last val_acc)."""


def row(seed: int = 0, key: str = "k1", recipe: str = "r1", space: str = "remnet", **changes: object) -> Evaluation:
    """An ``ok`` evaluation with every stored field set (distinct values, so a swapped column shows)."""
    fields = dict(
        space=space,
        genome_key=key,
        recipe_key=recipe,
        train_seed=seed,
        genome=f'{{"g": "{key}"}}',
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
        code_version="v1",
        libraries="torch x",
        created_at=dt.datetime(2026, 11, 30, 12, 0, 0),
    )
    fields.update(changes)
    return Evaluation(**fields)  # type: ignore[arg-type]


def failed(seed: int = 0, **changes: object) -> Evaluation:
    """A row whose training broke down: a reason and no metrics."""
    nothing = dict.fromkeys(("train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc"))
    return row(seed, **{**nothing, "status": "failed", "reason": "NaN loss at epoch 1", **changes})  # type: ignore[arg-type]


# --- rows -------------------------------------------------------------------------------------


def test_every_field_comes_back_and_each_key_part_selects(tmp_path):
    with Store(tmp_path / "a" / "nested") as store:  # the folder, parents included, is created
        assert store.put(row(0), '{"epochs": 2}', "smoke", CURVE)
        assert store.put(row(1, val_acc=0.5), '{"epochs": 2}', "smoke")
        assert store.put(row(0, key="k2", train_loss=0.1), "{}", "other")
        assert store.put(row(0, recipe="r2", test_acc=0.2), '{"r": 2}', "second")
        assert store.put(row(0, space="nb201", params=7), "{}", "smoke")
    with Store(tmp_path / "a" / "nested", read_only=True) as store:
        assert store.get("remnet", "k1", "r1", 0) == row(0)
        assert store.get("remnet", "k1", "r1", 1) == row(1, val_acc=0.5)
        assert store.get("remnet", "k2", "r1", 0) == row(0, key="k2", train_loss=0.1)
        assert store.get("remnet", "k1", "r2", 0) == row(0, recipe="r2", test_acc=0.2)
        assert store.get("nb201", "k1", "r1", 0) == row(0, space="nb201", params=7)
        for missing in (
            ("remnet", "k1", "r1", 2),
            ("remnet", "k3", "r1", 0),
            ("remnet", "k1", "r3", 0),
            ("darts", "k1", "r1", 0),
        ):
            assert store.get(*missing) is None
        assert store.recipe("r1") == ("smoke", '{"epochs": 2}')  # the first put of a recipe names it
        assert store.recipe("r2") == ("second", '{"r": 2}')
        assert store.recipe("nope") is None


def test_evaluations_are_one_space_in_key_recipe_and_seed_order(tmp_path):
    with Store(tmp_path) as store:
        for e in (row(1, key="b"), row(0, key="b", recipe="r0"), row(2, key="a"), row(0, key="b"), row(0, space="x")):
            store.put(e, "{}", "p")
        assert [(e.genome_key, e.recipe_key, e.train_seed) for e in store.evaluations("remnet")] == [
            ("a", "r1", 2),
            ("b", "r0", 0),
            ("b", "r1", 0),
            ("b", "r1", 1),
        ]
        assert [(e.genome_key, e.train_seed) for e in store.evaluations("remnet", "r1")] == [
            ("a", 2),
            ("b", 0),
            ("b", 1),
        ]
        assert store.evaluations("remnet", "r9") == [] and store.evaluations("darts") == []
        assert [e.genome for e in store.evaluations("remnet", "r0")] == ['{"g": "b"}']


def test_a_row_is_kept_as_first_stored_and_predictions_are_refused(tmp_path):
    with Store(tmp_path) as store:
        assert store.put(failed(0), "{}", "p")
        assert not store.put(row(0), "{}", "p", CURVE)  # a finished row is never overwritten, nor given a curve
        assert store.get("remnet", "k1", "r1", 0) == failed(0)
        assert store.curve(failed(0)) is None
        with pytest.raises(ReproError, match="only measured evaluations .* not 'predicted'"):
            store.put(row(1, status="predicted"), "{}", "p")
        assert store.get("remnet", "k1", "r1", 1) is None


def test_curves_round_trip_per_seed_and_an_orphan_curve_is_replaced(tmp_path):
    with Store(tmp_path) as store:
        assert store.curve(row(0)) is None  # no curves file yet
        store.put(row(0), "{}", "p", CURVE)
        assert store.curve(row(1)) is None  # a key without a curve
        # A crash after the curve and before the row leaves an orphan curve; the next write of that key replaces it.
        store.put(row(1), "{}", "p", CURVE * 9)
        store.query("DELETE FROM evaluations WHERE train_seed = 1")
        store.put(row(1), "{}", "p", OTHER_CURVE)
        np.testing.assert_array_equal(store.curve(row(0)), CURVE)
        np.testing.assert_array_equal(store.curve(row(1)), OTHER_CURVE)
        assert store.check() == []


def test_put_many_stores_like_put_and_keeps_what_exists(tmp_path):
    rows = [row(0), row(1, key="k2"), failed(2)]
    with Store(tmp_path / "many") as many:
        many.put(row(0, val_acc=0.1), "{}", "first")
        many.put_many(rows, '{"bulk": 1}', "bulk")
        many.put_many([], "{}", "p")  # nothing to do
        assert many.get("remnet", "k1", "r1", 0).val_acc == 0.1  # kept
        assert many.get("remnet", "k2", "r1", 1) == row(1, key="k2")
        assert many.get("remnet", "k1", "r1", 2) == failed(2)
        assert many.recipe("r1") == ("first", "{}")
        with pytest.raises(ReproError, match="one recipe, got 2 recipe keys"):
            many.put_many([row(5), row(5, recipe="r2")], "{}", "p")
        with pytest.raises(ReproError, match=r"only measured evaluations \(ok, invalid, failed\) are stored"):
            many.put_many([row(6), row(7, status="predicted")], "{}", "p")
        assert many.get("remnet", "k1", "r1", 5) is None and many.get("remnet", "k1", "r1", 6) is None
        assert many.recipe("r2") is None
    with Store(tmp_path / "bulk") as bulk:
        bulk.put_many(rows, '{"bulk": 1}', "bulk")
        assert bulk.recipe("r1") == ("bulk", '{"bulk": 1}')
        assert bulk.evaluations("remnet", "r1") == sorted(rows, key=lambda e: (e.genome_key, e.train_seed))


def test_imported_rows_come_back_through_the_same_read_path(tmp_path):
    from repro.tables.importer import import_table
    from tests.test_tables import FIXTURES, TWELVE, definition_for

    Store(tmp_path).close()
    import_table(definition_for(FIXTURES), FIXTURES, tmp_path)
    with Store(tmp_path) as store:
        store.put(row(0, space="nb201"), "{}", "p")
        rows = store.evaluations("nb201", TWELVE.key)
        assert rows and all(e.imported and e.recipe_key == TWELVE.key for e in rows)
        for e in rows[:3] + rows[-3:]:
            assert store.get("nb201", e.genome_key, TWELVE.key, e.train_seed) == e
        assert store.get("nb201", rows[0].genome_key, TWELVE.key, 999) is None
        assert store.get("nb201", "k1", TWELVE.key, 0) is None
        assert store.recipe(TWELVE.key)[0] == TWELVE.profile
        everything = store.evaluations("nb201")  # the row trained here and every imported recipe's
        assert row(0, space="nb201") in everything and set(rows) <= set(everything)
        assert everything == sorted(everything, key=lambda e: (e.genome_key, e.recipe_key, e.train_seed))


def test_a_newer_cache_is_refused_with_the_fix(tmp_path):
    Store(tmp_path).close()
    with duckdb.connect(str(tmp_path / "metrics.duckdb")) as db:  # in the file: a store writes through a snapshot
        db.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    for read_only in (False, True):
        with pytest.raises(
            ReproError,
            match=r"schema version 999, this repro reads version \d+; use the repro version "
            "that wrote it, or start a new cache with --cache",
        ):
            Store(tmp_path, read_only=read_only)


def test_a_read_only_store_refuses_every_write(tmp_path):
    Store(tmp_path).close()
    with Store(tmp_path, read_only=True) as store:
        writes = [
            lambda: store.put_many([row(0)], "{}", "p"),
            lambda: store.put_artefact("nar-searches", "k", {}),
            lambda: store.record_run("run", budget=1),
            lambda: store.record_trial("run", 0, "k", 0, "{}", "cache"),
            lambda: store.merge(store),
        ]
        for write in writes:
            with pytest.raises(ReproError, match="opened read-only"):
                write()
    with Store(tmp_path) as store, pytest.raises(ReproError, match="only a cache opened read-only is sandboxed"):
        store.sandbox()


# --- runs, trials and artefacts -------------------------------------------------------------


def test_a_run_header_keeps_its_fields_and_only_grows_its_budget(tmp_path):
    with Store(tmp_path) as store:
        store.record_run(
            "run1",
            space="remnet",
            strategy="re",
            config="{}",
            recipe_key="r1",
            seed=3,
            budget=10,
            metric="val_acc",
            code_version="v1",
            created_at=dt.datetime(2026, 1, 1),
        )
        store.record_run("run1", budget=25)
        store.record_run("run1", budget=5)  # resuming with a smaller budget keeps the larger
        assert store.query("SELECT run_id, space, strategy, seed, budget, metric FROM runs")[1] == [
            ("run1", "remnet", "re", 3, 25, "val_acc")
        ]
        store.record_trial("run1", 0, "k1", 0, "{}", "train")
        store.record_trial("run1", 0, "k1", 0, "{}", "cache")  # a replay keeps how the step was first served
        store.record_trial("run1", 1, "k2", 1, '{"g": 2}', "oom")
        columns, trials = store.query("SELECT * FROM trials ORDER BY step")
        assert columns == ["run_id", "step", "genome_key", "train_seed", "genome", "served_by"]
        assert trials == [("run1", 0, "k1", 0, "{}", "train"), ("run1", 1, "k2", 1, '{"g": 2}', "oom")]


def test_artefacts_come_back_by_kind_in_key_order(tmp_path):
    with Store(tmp_path) as store:
        for key in ("b", "a", "c"):
            assert store.put_artefact("gdas-searches", key, {"key": key, "code_version": f"v-{key}"})
        store.put_artefact("nar-searches", "a", {"other": True})
        assert [r["key"] for r in store.artefacts("gdas-searches")] == ["a", "b", "c"]
        assert store.artefacts("featurenet-samples") == [] and store.artefact("gdas-searches", "z") is None
        assert store.artefact("nar-searches", "a") == {"other": True}
        assert store.query("SELECT key, code_version FROM artefacts WHERE kind = 'gdas-searches' ORDER BY key")[1] == [
            ("a", "v-a"),
            ("b", "v-b"),
            ("c", "v-c"),
        ]


# --- check ----------------------------------------------------------------------------------


def _problems(tmp_path, setup) -> list[str]:
    with Store(tmp_path) as store:
        setup(store)
        return store.check()


def test_check_is_silent_on_a_sound_cache(tmp_path):
    def sound(store: Store) -> None:
        store.put(row(0), "{}", "p", CURVE)
        store.put(failed(1), "{}", "p")
        store.put(
            row(
                2,
                status="invalid",
                reason="too small",
                **dict.fromkeys(("val_acc", "val_loss", "train_loss", "train_acc", "test_loss", "test_acc")),
            ),
            "{}",
            "p",
        )
        store.record_run("run", space="remnet", recipe_key="r1", budget=3)
        store.record_trial("run", 0, "k1", 0, "{}", "train")
        store.record_trial("run", 1, "k9", 0, "{}", "oom")  # out of memory: logged, never stored
        store.put_artefact("nar-searches", "k", {"a": 1})

    assert _problems(tmp_path, sound) == []


@pytest.mark.parametrize(
    "case, expected",
    [
        ("no curve", "remnet/k1 recipe r1 seed 0: no curve"),
        ("short curve", "remnet/k1 recipe r1 seed 0: curve has 1 epochs"),
        ("other last val_acc", "remnet/k1 recipe r1 seed 0: curve has 2 epochs / last val_acc 0.9"),
        ("missing metric", "remnet/k1 recipe r1 seed 0: status ok but metrics missing"),
        ("failed with a metric", "remnet/k1 recipe r1 seed 0: status failed needs a reason"),
        ("failed without a reason", "remnet/k1 recipe r1 seed 0: status failed needs a reason"),
        ("unknown status", "remnet/k1 recipe r1 seed 0: unknown status 'weird'"),
        ("orphan trial", "1 logged trial(s) point at evaluations that are not stored"),
        ("unreadable artefact", "artefact nar-searches/k: unreadable record"),
        ("artefact not an object", "artefact nar-searches/k: unreadable record (not a JSON object)"),
        ("schema-1 folder", "gdas-searches: a folder of a schema-1 cache"),
    ],
)
def test_check_names_each_inconsistency(tmp_path, case, expected):
    def broken(store: Store) -> None:
        e = {
            "missing metric": row(0, test_loss=None),
            "failed with a metric": failed(0, val_acc=0.5),
            "failed without a reason": failed(0, reason=None),
            "unknown status": row(0, status="invalid"),
        }.get(case, row(0))
        curve = {"no curve": None, "short curve": CURVE[:1], "other last val_acc": CURVE.copy()}.get(case, CURVE)
        if e.status == "failed":
            curve = None
        if case == "other last val_acc":
            curve[-1, -1] = 0.9
        store.put(e, "{}", "p", curve)
        if case == "unknown status":
            store.query("UPDATE evaluations SET status = 'weird'")
        if case == "orphan trial":
            store.record_run("run", space="remnet", recipe_key="r1", budget=2)
            store.record_trial("run", 0, "k1", 0, "{}", "train")
            store.record_trial("run", 1, "k2", 0, "{}", "train")
        if case in ("unreadable artefact", "artefact not an object"):
            record = "{not json" if case == "unreadable artefact" else "[1, 2]"
            store.query("INSERT INTO artefacts (kind, key, record) VALUES ('nar-searches', 'k', ?)", [record])
        if case == "schema-1 folder":
            (store.root / "gdas-searches").mkdir()

    problems = _problems(tmp_path, broken)
    assert len(problems) == 1 and expected in problems[0], problems


# --- merge ----------------------------------------------------------------------------------


def test_merge_adds_new_rows_with_curves_counts_identical_ones_and_reports_conflicts(tmp_path):
    # Rows as a search writes them (a merge may verify that keys hash from the genome text and recipe).
    recipe, other = Recipe(profile="home", epochs=2), Recipe(profile="shard", epochs=3)

    def real(seed: int, text: str, make=row, under: Recipe = recipe, **changes: object) -> Evaluation:
        return make(seed, key=canonical_key("remnet", text), recipe=under.key, genome=text, **changes)

    a, b = '{"nodes": ["IN", "CONV_3.N", "OUT"]}', '{"nodes": ["IN", "POOL_2.M", "OUT"]}'
    with Store(tmp_path / "home") as home:
        home.put(real(0, a), recipe.to_json(), recipe.profile, CURVE)
        home.put(real(1, a), recipe.to_json(), recipe.profile, CURVE)
    with Store(tmp_path / "shard") as shard:
        shard.put(real(0, a, created_at=None, device="other"), recipe.to_json(), "p", CURVE)  # same numbers
        shard.put(real(1, a, test_acc=0.1), recipe.to_json(), "p", CURVE)  # other numbers: a conflict
        shard.put(real(0, b), recipe.to_json(), "p", OTHER_CURVE)
        shard.put(real(0, a, failed, other), other.to_json(), other.profile)
        shard.record_run("run", space="remnet", recipe_key=recipe.key, budget=1)
        shard.record_trial("run", 0, real(0, b).genome_key, 0, b, "train")
        shard.put_artefact("nar-searches", "x", {"x": 1})
        shard.put_artefact("gdas-searches", "y", {"y": 2})
    with Store(tmp_path / "home") as home, Store(tmp_path / "shard", read_only=True) as shard:
        added, identical, conflicts = home.merge(shard)
        assert (added, identical) == (4, 1)  # two rows and two artefacts
        assert home.artefact("nar-searches", "x") == {"x": 1} and home.artefact("gdas-searches", "y") == {"y": 2}
        assert len(conflicts) == 1 and conflicts[0].startswith(
            f"remnet/{real(1, a).genome_key} recipe {recipe.key} seed 1"
        )
        assert "0.74" in conflicts[0] and "0.1" in conflicts[0]
        assert home.get("remnet", real(1, a).genome_key, recipe.key, 1) == real(1, a)  # the conflict is left as here
        assert home.get("remnet", real(0, b).genome_key, recipe.key, 0) == real(0, b)
        np.testing.assert_array_equal(home.curve(real(0, b)), OTHER_CURVE)
        assert home.get("remnet", real(0, a).genome_key, other.key, 0) == real(0, a, failed, other)
        assert home.recipe(other.key) == ("shard", other.to_json())
        assert home.query("SELECT run_id, budget FROM runs")[1] == [("run", 1)]
        assert home.query("SELECT step, genome FROM trials")[1] == [(0, b)]
        assert home.check() == []
        again = home.merge(shard)
        assert again[:2] == (0, 5) and len(again[2]) == 1
        assert home.query("SELECT count(*) FROM trials")[1] == [(1,)]


# --- the in-memory table --------------------------------------------------------------------


def test_cached_table_serves_one_space_and_recipe_and_takes_new_rows(tmp_path):
    with Store(tmp_path) as store:
        for e in (row(0), row(1), row(0, key="k2"), row(0, recipe="r2"), row(0, space="nb201")):
            store.put(e, "{}", "p")
        table = CachedTable(store, "remnet", "r1")
        assert (table.space, table.recipe_key, len(table)) == ("remnet", "r1", 3)
        assert not table.imported
        assert table.get("k1", 1) == row(1) and table.get("k2", 0) == row(0, key="k2")
        assert table.get("k1", 2) is None  # a row trained here is never stood in for by another seed
        assert table.get_many([("k2", 0), ("k9", 0), ("k1", 0)]) == [row(0, key="k2"), None, row(0)]
        table.add(row(2))
        assert table.get("k1", 2) == row(2) and len(table) == 4
        assert table.get("k3", 0) is None


# --- what the mutation run (benchmarks/mutation.py, issue 23) found untested ---------------------------


def test_the_data_fingerprint_is_the_one_the_recipes_rows_record(tmp_path):
    with Store(tmp_path) as store:
        assert store.data_fingerprint("r1") is None  # no row at all
        store.put(row(0), "{}", "p")
        assert store.data_fingerprint("r1") is None  # a row that records none
        store.put(row(1), "{}", "p", data_fingerprint="f1")
        store.put(row(0, recipe="r2"), "{}", "p", data_fingerprint="f2")
        assert (store.data_fingerprint("r1"), store.data_fingerprint("r2")) == ("f1", "f2")


def test_a_read_only_query_is_refused_naming_every_statement_kind(tmp_path):
    Store(tmp_path).close()
    with Store(tmp_path, read_only=True) as store:
        with pytest.raises(ReproError, match=r"only SELECT runs here, not CREATE, INSERT$"):
            store.query("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)")


def test_a_store_whose_shipped_cache_is_its_own_folder_reads_it_once(tmp_path):
    from tests.rows import put_sound, sound_row

    with Store(tmp_path / "ship") as store:
        put_sound(store, sound_row(0))
    with Store(tmp_path / "ship", shipped=tmp_path / "ship") as store:
        assert [layer.name for layer in store.layers] == ["shipped"]
        assert store.evaluations("remnet") == [sound_row(0)]
    with Store(tmp_path / "local", shipped=tmp_path / "ship") as store:
        assert [layer.name for layer in store.layers] == ["shipped", "local"]
        assert store.evaluations("remnet") == [sound_row(0)]


def test_a_corrupt_curves_file_is_reported_with_the_reason_h5py_gives(tmp_path):
    import h5py

    Store(tmp_path).close()
    (tmp_path / "curves").mkdir()
    (tmp_path / "curves" / "seg-000001.h5").write_bytes(b"garbage")
    with pytest.raises(OSError) as h5py_says:
        h5py.File(tmp_path / "curves" / "seg-000001.h5", "r")
    with pytest.raises(ReproError) as refused:
        Store(tmp_path)
    assert f"seg-000001.h5 is not a readable curve file ({str(h5py_says.value).splitlines()[0]})" in str(refused.value)


def test_merge_refuses_rows_of_an_imported_recipe_and_of_other_data(tmp_path):
    from repro.cache.store import MergeRefused
    from repro.tables.importer import import_table
    from tests.rows import RECIPE, curve_of, put_sound, sound_row
    from tests.test_tables import FIXTURES, TWELVE, definition_for

    Store(tmp_path / "home").close()
    import_table(definition_for(FIXTURES), FIXTURES, tmp_path / "home")
    with Store(tmp_path / "shard") as shard:  # the shard imported nothing, so it trained under NB201's recipe
        imported_recipe = sound_row(0, recipe_key=TWELVE.key)
        shard.put(imported_recipe, TWELVE.to_json(), TWELVE.profile, curve_of(imported_recipe))
    with Store(tmp_path / "home") as home, Store(tmp_path / "shard", read_only=True) as shard:
        with pytest.raises(MergeRefused) as refused:
            home.merge(shard)
        assert refused.value.reasons == {"recipe is an imported table's here": 1}

    def stored(name: str, rows: list, fingerprint: str) -> Store:
        with Store(tmp_path / name) as store:
            for r in rows:
                store.put(r, RECIPE.to_json(), RECIPE.profile, curve_of(r), data_fingerprint=fingerprint)
        return Store(tmp_path / name, read_only=True)

    with Store(tmp_path / "mine") as mine:
        put_sound(mine, sound_row(0))  # a row that records no fingerprint decides nothing
        mine.put(sound_row(1), RECIPE.to_json(), RECIPE.profile, curve_of(sound_row(1)), data_fingerprint="f1")
        with stored("same", [sound_row(2)], "f1") as same:
            assert mine.merge(same)[0] == 1
        with stored("other", [sound_row(3), sound_row(4)], "f2") as other, pytest.raises(MergeRefused) as refused:
            mine.merge(other)
        assert refused.value.reasons == {"data fingerprint differs from the recipe's rows": 2}
        assert mine.get("remnet", sound_row(3).genome_key, RECIPE.key, 3) is None


def test_a_failed_merge_takes_the_curves_it_wrote_back(tmp_path, monkeypatch):
    from tests.rows import put_sound, sound_row

    with Store(tmp_path / "shard") as shard:
        put_sound(shard, sound_row(0))
    with Store(tmp_path / "home") as home, Store(tmp_path / "shard", read_only=True) as shard:
        put_sound(home, sound_row(1))

        def crash(*args: object) -> None:
            raise KeyboardInterrupt  # a kill between the curves and the rows' commit

        monkeypatch.setattr(home, "_commit_merge", crash)
        with pytest.raises(KeyboardInterrupt):
            home.merge(shard)
        assert home.curve(sound_row(0)) is None and home.curve(sound_row(1)) is not None
        assert home.check() == []  # no curve left without its row


def test_merge_counts_every_trial_of_a_run_the_shard_does_not_log(tmp_path):
    from repro.cache.store import MergeRefused
    from tests.rows import put_sound, sound_row

    with Store(tmp_path / "shard") as shard:
        put_sound(shard, sound_row(0))
        for step in (0, 1):  # a trial log whose run header was lost
            shard.record_trial("lost", step, sound_row(0).genome_key, 0, sound_row(0).genome, "train")
    with Store(tmp_path / "home") as home, Store(tmp_path / "shard", read_only=True) as shard:
        with pytest.raises(MergeRefused) as refused:
            home.merge(shard)
        assert refused.value.reasons == {"trial of a run the shard does not log": 2}
