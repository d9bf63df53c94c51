"""What the store refuses to trust: merged rows are verified, curves carry checksums, data carries a fingerprint.

Each of issue 17's findings (items 2, 3, 4 and 8) has a test here that failed before the fix.
"""

from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pytest

from repro.cache import store as store_module
from repro.cache.curves import curve_path
from repro.cache.store import MergeRefused, Store
from repro.cache.verify import curve_checksum
from repro.cli import main
from repro.errors import ReproError
from tests.rows import (
    RECIPE,
    alter_curve,
    curve_files,
    curve_of,
    put_sound,
    segments,
    sound_row,
    to_legacy_curves,
    write_curve,
)


def _raw_put(root, e, recipe_json: str | None = RECIPE.to_json(), curve=None) -> None:
    """Write a row as a damaged or hostile cache would hold it, past every check of ``Store.put`` (straight into the
    database file: a store writes through its in-memory snapshot)."""
    Store(root).close()  # a cache of the current schema
    with duckdb.connect(str(root / "metrics.duckdb")) as s:
        if recipe_json is not None:
            s.execute("INSERT OR IGNORE INTO recipes VALUES (?, ?, ?)", [e.recipe_key, "smoke", recipe_json])
        s.execute("INSERT OR IGNORE INTO genomes VALUES (?, ?, ?)", [e.space, e.genome_key, e.genome])
        columns = [*store_module._EVAL_COLUMNS, "curve_sha256"]
        s.execute(
            f"INSERT INTO evaluations ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [*(getattr(e, c) for c in store_module._EVAL_COLUMNS), None if curve is None else curve_checksum(curve)],
        )
    if curve is not None:
        write_curve(root, curve_path(e.space, e.genome_key, e.recipe_key, e.train_seed), curve)


def _merge_refused(tmp_path, reason: str) -> None:
    """Merging ``shard`` into ``main`` is refused for ``reason`` and changes nothing in ``main``."""
    with Store(tmp_path / "main") as main_store:
        put_sound(main_store, sound_row(0))
    before = curve_files(tmp_path / "main")
    assert before  # the sound row's curve
    with Store(tmp_path / "main") as main_store, Store(tmp_path / "shard", read_only=True) as shard:
        with pytest.raises(MergeRefused) as refused:
            main_store.merge(shard)
        assert reason in refused.value.reasons
        assert main_store.query("SELECT count(*) FROM evaluations")[1] == [(1,)]
        assert main_store.query("SELECT count(*) FROM trials")[1] == [(0,)]
        assert main_store.check() == []
    assert curve_files(tmp_path / "main") == before


def test_a_recipe_key_ending_in_a_slash_cannot_replace_another_rows_curve(tmp_path):
    row = sound_row(0)
    hostile = sound_row(0, val_acc=0.99, recipe_key=RECIPE.key + "/")
    # Its curve's path remnet/G/K//seed_0 is one HDF5 reads as remnet/G/K/seed_0, the sound row's (schema version 3
    # kept a dataset per path): a key part holding '/' is refused wherever curves are kept.
    _raw_put(tmp_path / "shard", hostile, curve=curve_of(hostile))
    with Store(tmp_path / "shard") as shard_store:
        put_sound(shard_store, sound_row(5))  # a sound row beside it is not merged either
    _merge_refused(tmp_path, "recipe key malformed (not [0-9a-f]{16} hex)")
    with Store(tmp_path / "main", read_only=True) as store:
        np.testing.assert_array_equal(store.curve(store.get("remnet", row.genome_key, RECIPE.key, 0)), curve_of(row))
    with Store(tmp_path / "other") as store, pytest.raises(ReproError, match="cannot name a curve"):
        store.put(hostile, RECIPE.to_json(), "smoke", curve_of(hostile))


def test_a_genome_that_does_not_hash_to_its_key_is_refused(tmp_path):
    forged = sound_row(1, genome='{"nodes":[2]}', val_acc=0.9995, genome_key=sound_row().genome_key)
    with Store(tmp_path / "shard") as shard:
        put_sound(shard, sound_row(7, genome='{"nodes":[9]}'))
        put_sound(shard, forged)
    _merge_refused(tmp_path, "genome text does not hash to its key")


def test_a_predicted_row_refuses_the_whole_shard(tmp_path):
    with Store(tmp_path / "shard") as shard_store:
        put_sound(shard_store, sound_row(3))
    _raw_put(tmp_path / "shard", sound_row(4, status="predicted"), curve=curve_of(sound_row(4)))
    _merge_refused(tmp_path, "status 'predicted' is not a measurement")


def test_a_row_without_its_recipe_refuses_the_whole_shard(tmp_path):
    with Store(tmp_path / "shard") as shard_store:
        put_sound(shard_store, sound_row(3))
    other = sound_row(0, recipe_key="0123456789abcdef")
    _raw_put(tmp_path / "shard", other, recipe_json=None, curve=curve_of(other))
    _merge_refused(tmp_path, "recipe missing")


def test_a_dangling_trial_refuses_the_whole_shard(tmp_path):
    with Store(tmp_path / "shard") as shard:
        put_sound(shard, sound_row(3))
        shard.record_run(
            "run",
            space="remnet",
            strategy="rs",
            config="{}",
            recipe_key=RECIPE.key,
            seed=0,
            budget=1,
            metric="val_acc",
            code_version="v",
            created_at=None,
        )
        shard.record_trial("run", 0, "f" * 32, 0, "{}", "train")
    _merge_refused(tmp_path, "trial pointing at no stored row")


def test_refusals_are_counted_per_reason_and_skip_refused_salvages_the_sound_rows(tmp_path, capsys):
    with Store(tmp_path / "shard") as shard:
        put_sound(shard, sound_row(3, genome='{"nodes":[9]}'))
        put_sound(shard, sound_row(4, genome='{"nodes":[2]}', genome_key=sound_row().genome_key))
        put_sound(shard, sound_row(5, genome='{"nodes":[2]}', genome_key=sound_row().genome_key))
    argv = ["cache", "merge", str(tmp_path / "shard"), "--cache", str(tmp_path / "main")]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"{tmp_path / 'shard'}: refused 2 row(s): genome text does not hash to its key"]
    assert err.count("\n") == 1 and "nothing merged" in err
    assert main([*argv, "--skip-refused"]) == 0
    assert "1 row(s) added" in capsys.readouterr().out
    with Store(tmp_path / "main", read_only=True) as store:
        assert [e.train_seed for e in store.evaluations("remnet", RECIPE.key)] == [3]
        assert store.check() == []


def test_merge_verifies_curves_against_their_checksums(tmp_path):
    with Store(tmp_path / "shard") as shard_store:
        put_sound(shard_store, sound_row(3))
    alter_curve(tmp_path / "shard", f"remnet/{sound_row().genome_key}/{RECIPE.key}/seed_3", 0, 1, 1e30)
    _merge_refused(tmp_path, "curve checksum differs from the row's")


def test_check_names_a_row_whose_curve_was_altered_and_the_advice_works(tmp_path, capsys):
    with Store(tmp_path / "c") as store:
        put_sound(store, sound_row(0))
        put_sound(store, sound_row(1))
    alter_curve(
        tmp_path / "c", f"remnet/{sound_row().genome_key}/{RECIPE.key}/seed_1", 0, 2, -5.0
    )  # epoch 1's train_acc
    with Store(tmp_path / "c", read_only=True) as store:
        assert store.check() == [
            f"remnet/{sound_row().genome_key} recipe {RECIPE.key} seed 1: its curve in {segments(tmp_path / 'c')[0]} "
            f"does not match the row's checksum {curve_checksum(curve_of(sound_row(1)))} "
            "(changed after it was stored)"
        ]
    assert main(["cache", "check", "--cache", str(tmp_path / "c")]) == 1
    advice = capsys.readouterr().out.splitlines()[-1]
    command = advice[advice.index("(repro cache merge") + 1 : -2].replace("NEW", str(tmp_path / "new")).split()
    assert main(command[1:]) == 0  # the advice, run as printed
    with Store(tmp_path / "new", read_only=True) as store:
        assert store.check() == [] and [e.train_seed for e in store.evaluations("remnet")] == [0]


def test_check_reports_a_curve_without_a_row(tmp_path):
    with Store(tmp_path) as store:
        put_sound(store, sound_row(0))
    write_curve(tmp_path, f"remnet/{'a' * 32}/{RECIPE.key}/seed_0", np.zeros((1, 5)))
    with Store(tmp_path, read_only=True) as store:
        assert store.check() == [
            f"curve remnet/{'a' * 32}/{RECIPE.key}/seed_0 in {tmp_path}/curves/seg-000002.h5 has no row (its row was "
            "lost, or a crash came between the curve and its row)"
        ]


def test_a_version_2_cache_gets_checksums_of_its_stored_curves_and_keeps_its_keys(tmp_path):
    rows = [
        sound_row(0),
        sound_row(1, val_acc=0.7),
        sound_row(
            0,
            status="invalid",
            reason="x",
            genome='{"nodes":[3]}',
            **{m: None for m in ("train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc")},
        ),
    ]
    with Store(tmp_path) as store:
        put_sound(store, rows[0])
        put_sound(store, rows[1])
        store.put(rows[2], RECIPE.to_json(), "smoke")
    # Make it the version-2 layout: no checksum or fingerprint columns (in the file: a store writes through a snapshot),
    # one curves.h5.
    with duckdb.connect(str(tmp_path / "metrics.duckdb")) as db:
        db.execute("ALTER TABLE evaluations DROP COLUMN curve_sha256")
        db.execute("ALTER TABLE evaluations DROP COLUMN data_fingerprint")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    to_legacy_curves(tmp_path)
    with pytest.raises(ReproError, match="schema version 2, this repro reads version 4"):
        Store(tmp_path, read_only=True)
    assert main(["cache", "upgrade", "--cache", str(tmp_path)]) == 0
    assert not (tmp_path / "curves.h5").exists() and len(segments(tmp_path)) == 1
    with Store(tmp_path, read_only=True) as store:
        got = store.query(
            "SELECT genome_key, train_seed, curve_sha256, data_fingerprint FROM evaluations ORDER BY 1, 2"
        )[1]
        assert got == sorted(
            [
                (r.genome_key, r.train_seed, None if r.status != "ok" else curve_checksum(curve_of(r)), None)
                for r in rows
            ]
        )
        assert store.evaluations("remnet") == sorted(rows, key=lambda e: (e.genome_key, e.recipe_key, e.train_seed))
        assert store.check() == []


def test_a_version_3_cache_moves_its_curves_into_a_segment_and_keeps_keys_and_checksums(tmp_path):
    rows = [sound_row(0), sound_row(1, val_acc=0.7), sound_row(0, genome='{"nodes":[2]}', val_acc=0.6)]
    with Store(tmp_path) as store:
        for row in rows:
            put_sound(store, row)
        before = store.query("SELECT * FROM evaluations ORDER BY ALL")
    to_legacy_curves(tmp_path)
    with duckdb.connect(str(tmp_path / "metrics.duckdb")) as db:
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    with pytest.raises(ReproError, match="schema version 3, this repro reads version 4; upgrade it"):
        Store(tmp_path, read_only=True)
    assert main(["cache", "upgrade", "--cache", str(tmp_path)]) == 0
    assert not (tmp_path / "curves.h5").exists() and [f.name for f in segments(tmp_path)] == ["seg-000001.h5"]
    with Store(tmp_path, read_only=True) as store:
        assert store.query("SELECT * FROM evaluations ORDER BY ALL") == before
        for row in rows:
            np.testing.assert_array_equal(store.curve(row), curve_of(row))
        assert store.check() == []
        (tmp_path / "curves.h5").write_bytes(b"")  # as a crash between the upgrade's commit and its clean-up leaves it
        assert store.check() == [
            f"{tmp_path}/curves.h5: the curves file of a schema-3 cache left after the upgrade; its curves are in "
            f"{tmp_path}/curves, so move it away"
        ]


def _zero_labels(src, dst):
    """A copy of an IDX dataset with every training label set to 0 (well-formed, wrong)."""
    from repro.data.idx import read_idx, write_idx

    shutil.copytree(src, dst)
    labels = dst / "train-labels-idx1-ubyte.gz"
    write_idx(labels, np.zeros_like(read_idx(labels)))


def test_training_on_other_data_under_the_same_recipe_is_refused(tmp_path, tiny_mnist, tiny_recipe):
    from repro.evaluator import Evaluator
    from repro.spaces import get_space

    space = get_space("remnet")
    genomes = [space.sample(np.random.default_rng(seed)) for seed in range(2)]
    _zero_labels(tiny_mnist, tmp_path / "zeros")
    with Store(tmp_path / "c") as store:
        evaluation, served = Evaluator(space, tiny_recipe, store, device="cpu", data_root=str(tiny_mnist)).evaluate(
            genomes[0], 0
        )
        recorded = store.data_fingerprint(tiny_recipe.key)
        assert served == "train" and recorded is not None
        zeros = Evaluator(space, tiny_recipe, store, device="cpu", data_root=str(tmp_path / "zeros"))
        with pytest.raises(ReproError) as refused:
            zeros.evaluate(genomes[1], 0)
        message = str(refused.value)
        assert recorded in message and "restore the dataset files" in message and message.count("fingerprint") == 2
        assert zeros.lookup(genomes[0], 0) == evaluation  # what the normal data trained is still served
        assert store.query("SELECT count(*) FROM evaluations")[1] == [(1,)]  # nothing from the zero labels
        with pytest.raises(ReproError, match="fingerprint"):
            store.put(sound_row(0, recipe_key=tiny_recipe.key), tiny_recipe.to_json(), "x", data_fingerprint="0" * 16)
    # The other way round: a cache first trained on the zero labels refuses the normal data.
    with Store(tmp_path / "z") as store:
        Evaluator(space, tiny_recipe, store, device="cpu", data_root=str(tmp_path / "zeros")).evaluate(genomes[0], 0)
        with pytest.raises(ReproError, match=recorded):
            Evaluator(space, tiny_recipe, store, device="cpu", data_root=str(tiny_mnist)).evaluate(genomes[1], 0)


def test_file_digests_are_computed_once_per_file_version(tmp_path, monkeypatch):
    from pathlib import Path

    from repro.data import fingerprint

    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    reads = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or real(self))
    first = fingerprint.file_digest(path)
    assert fingerprint.file_digest(path) == first and len(reads) == 1
    path.write_bytes(b"abd")  # another size or mtime: digested again
    assert fingerprint.file_digest(path) != first and len(reads) == 2


def test_a_resumed_run_keeps_how_each_step_was_first_served(tmp_path, tiny_mnist, tiny_recipe):
    from repro.evaluator import Evaluator
    from repro.search.loop import run_search
    from repro.spaces import get_space

    space = get_space("remnet")
    with Store(tmp_path) as store:
        first = run_search("rs", Evaluator(space, tiny_recipe, store, device="cpu", data_root=str(tiny_mnist)), 2, 5)
        # The run resumed (after a kill, or extended): its first steps now come from the cache.
        resumed = run_search("rs", Evaluator(space, tiny_recipe, store, device="cpu", data_root=str(tiny_mnist)), 3, 5)
        logged = [r[0] for r in store.query("SELECT served_by FROM trials ORDER BY step")[1]]
    assert "train" in [t.served_by for t in first.trials]
    assert [t.served_by for t in resumed.trials[:2]] == ["cache", "cache"]
    assert logged[:2] == [t.served_by for t in first.trials]
    assert logged[2] == resumed.trials[2].served_by
