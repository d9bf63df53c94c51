"""The comparison workbench: statistics with a known winner, plug-in strategies, surrogate flags, reproducibility."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from repro import compare
from repro.cache.store import Store
from repro.cache.table import CachedTable
from repro.cli import main
from repro.errors import ReproError
from repro.recipe import Recipe
from repro.records import Evaluation
from repro.search.strategies import STRATEGIES, Strategy
from repro.spaces.base import CanonicalForm, SearchSpace, canonical_key
from repro.surrogate import PREDICTED

SHIPPED = Path(__file__).resolve().parent.parent / "cache"
needs_shipped = pytest.mark.skipif(not (SHIPPED / "metrics.duckdb").exists(), reason="no shipped cache")

TOP = 99
"""The toy space's best genome: its sampling rule never draws it, so only a strategy that aims for it finds it."""


class ToySpace(SearchSpace[int]):
    """Genomes are integers 0..99 and an architecture's val_acc is genome / 100; sampling draws 0..89."""

    name = "toy-compare"

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(0, 90))

    def mutate(self, genome: int, rng: np.random.Generator) -> int:
        return min(genome + 1, TOP)

    def canonical(self, genome: int) -> CanonicalForm:
        return CanonicalForm(str(genome), canonical_key(self.name, str(genome)))

    def build(self, genome, input_shape, num_classes, **options):
        raise AssertionError("a cached comparison never builds")

    def to_json(self, genome: int) -> str:
        return str(genome)

    def from_json(self, text: str) -> int:
        return int(text)


class AimHigh(Strategy):
    """Asks the best genome every time (test double: the known winner)."""

    def ask(self) -> int:
        return TOP

    def tell(self, genome: int, value: float) -> None:
        pass


class AimLow(Strategy):
    """Asks the worst genome every time (test double: the known loser)."""

    def ask(self) -> int:
        return 0

    def tell(self, genome: int, value: float) -> None:
        pass


@pytest.fixture(scope="module", autouse=True)
def toy_strategies() -> Iterator[None]:
    """Plug the test doubles in through the registry, as any new strategy would be, for this module only.

    At test time, not import time: the registry's conformance test is parametrised over the
    registered names when it is collected, and these doubles are deterministic on purpose. They are
    taken out again afterwards: protocols that run every registered strategy (NB201's) must not meet them.
    """
    names = [name for name in ("test-aim-high", "test-aim-low") if name not in STRATEGIES]
    for name, factory in (("test-aim-high", AimHigh), ("test-aim-low", AimLow)):
        if name in names:  # the registry refuses a second registration
            STRATEGIES.register(name, factory)
    yield
    for name in names:
        del STRATEGIES._items[name]


BUDGET = 8
TOY_RECIPE = Recipe(profile="toy", epochs=1, dataset="mnist", val_size=20, train_size=60)


@pytest.fixture(scope="module")
def toy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every toy genome with training seeds 0..BUDGET-1 (the k-th visit of a genome uses seed k)."""
    root = tmp_path_factory.mktemp("toy-cache")
    space = ToySpace()
    forms = [space.canonical(g) for g in range(TOP + 1)]
    with Store(root) as store:  # one transaction (a put commits each row)
        store.put_many(
            [
                Evaluation(space.name, form.key, TOY_RECIPE.key, seed, form.text, "ok", val_acc=g / 100)
                for g, form in enumerate(forms)
                for seed in range(BUDGET)
            ],
            TOY_RECIPE.to_json(),
            "toy",
        )
    return root


def _toy_comparison(cache: Path, seeds=range(10)) -> compare.StrategyStudy:
    with Store(cache, read_only=True) as store:
        return compare.run_comparison(
            ToySpace(), TOY_RECIPE, store, ["test-aim-high", "rs", "test-aim-low"], list(seeds), BUDGET, on_miss="error"
        )


def test_known_winner_wins_every_statistic(toy_cache):
    c = _toy_comparison(toy_cache)
    rows = {r.strategy: r for r in c.rows}
    high, low, rs = rows["test-aim-high"], rows["test-aim-low"], rows["rs"]
    assert high.mean_best == high.median_best == pytest.approx(TOP / 100)
    assert high.a12 == 1.0 and high.p_holm < 0.05
    assert low.p == high.p and high.p_holm == low.p_holm == pytest.approx(2 * high.p)  # Holm over 2 equal p-values
    assert low.a12 == 0.0 and low.p_holm < 0.05
    assert (high.mean_rank, rs.mean_rank, low.mean_rank) == (1.0, 2.0, 3.0)
    assert rs.a12 is None and rs.p is None and rs.p_holm is None
    assert high.coverage == {"cache": 10 * BUDGET, "surrogate": 0, "invalid": 0, "train": 0}
    # The k-th ask of the same genome is served by training seed k.
    assert all(run.served_by == ["cache"] * BUDGET for run in c.runs)


def test_ties_share_the_average_rank(toy_cache):
    c = _toy_comparison(toy_cache, seeds=[0])
    c.strategies = ["test-aim-high", "rs", "test-aim-low"]
    c.runs = [compare.Run(s, 0, "x", [0.5, 0.5], ["cache", "cache"]) for s in c.strategies[:2]] + [
        compare.Run("test-aim-low", 0, "x", [float("nan")] * 2, ["invalid", "invalid"])
    ]
    rows = {r.strategy: r for r in compare.leaderboard(c)}
    assert rows["test-aim-high"].mean_rank == rows["rs"].mean_rank == 1.5
    assert rows["test-aim-low"].mean_rank == 3.0 and np.isnan(rows["test-aim-low"].mean_best)


def test_surrogate_needs_a_feature_encoding(toy_cache):
    with Store(toy_cache, read_only=True) as store, pytest.raises(ReproError, match="no feature encoding"):
        compare.run_comparison(ToySpace(), TOY_RECIPE, store, ["rs"], [0], BUDGET, on_miss="surrogate")


def test_store_refuses_predicted_evaluations(tmp_path):
    with Store(tmp_path) as store, pytest.raises(ReproError, match="only measured evaluations"):
        store.put(Evaluation("remnet", "k", "r", 0, "{}", PREDICTED, val_acc=0.9), "{}", "p")


def test_surrogate_comparison_refuses_a_writable_store(toy_cache):
    with Store(toy_cache) as store, pytest.raises(ReproError, match="read-only"):
        compare.run_comparison(ToySpace(), TOY_RECIPE, store, ["rs"], [0], BUDGET, on_miss="surrogate")


@pytest.mark.parametrize(
    ("text", "seeds"), [("0-3", [0, 1, 2, 3]), ("5,1,1", [1, 5]), ("0-2,7, 9-10", [0, 1, 2, 7, 9, 10])]
)
def test_seed_syntax(text, seeds):
    assert compare.parse_seeds(text) == seeds
    assert compare.parse_seeds(compare.seeds_label(seeds)) == seeds


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seeds", "a-b"], "bad seeds 'a-b'"),
        (["--seeds", "5-1"], "runs backwards"),
        (["--seeds", ""], "bad seeds"),
        (["--strategies", "re,nope,rs"], "unknown strategy 'nope'"),
        (["--strategies", "re,re,rs"], "listed twice"),
        (["--strategies", "re,ls"], "the baseline 'rs' is not among the strategies"),
        (["--profile", "nope"], "unknown profile 'nope'"),
    ],
)
def test_bad_compare_input_gives_one_line_error(argv, message, capsys):
    assert main(["compare", "--cache", str(SHIPPED), "--no-progress", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("repro: error: ") and message in err and "\n" not in err


def test_compare_help_names_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    out = capsys.readouterr().out
    for option in (
        "--strategies",
        "--seeds",
        "--budget",
        "--on-miss",
        "surrogate",
        "--baseline",
        "--out",
        "--patience",
    ):
        assert option in out


SURROGATE_ARGS = [
    "--strategies",
    "ls,es11,rs",
    "--seeds",
    "0-2",
    "--budget",
    "25",
    "--on-miss",
    "surrogate",
    "--no-progress",
]


@pytest.fixture(scope="module")
def surrogate_reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, int]:
    """The same surrogate comparison run twice on a copy of the shipped cache; the copy's row count before."""
    root = tmp_path_factory.mktemp("surrogate")
    cache = root / "cache"
    shutil.copytree(SHIPPED, cache)
    with Store(cache, read_only=True) as store:
        rows_before = store.query("SELECT count(*) FROM evaluations")[1][0][0]
    for out in ("a", "b"):
        assert main(["compare", "--cache", str(cache), "--out", str(root / out), *SURROGATE_ARGS]) == 0
    return cache, root / "a", root / "b", rows_before


@needs_shipped
def test_surrogate_flag_survives_into_every_output(surrogate_reports):
    cache, out, _, rows_before = surrogate_reports
    results = json.loads((out / "results.json").read_text())
    quality = results["surrogate"]
    assert -1 <= quality["kendall_tau"] <= 1 and quality["mae"] > 0 and quality["test_keys"] > 0
    predicted = sum(run["served_by"].count("surrogate") for run in results["runs"])
    assert predicted > 0 and f"{predicted:,} of" in results["surrogate_note"]
    for run in results["runs"]:
        assert sum(run["coverage"].values()) == len(run["values"]) == len(run["served_by"]) == 25
        if run["best_predicted"]:
            assert run["served_by"][run["best_step"]] == "surrogate"
    board = (out / "leaderboard.md").read_text()
    assert "SURROGATE" in board and f"Kendall tau {quality['kendall_tau']:.3f}" in board
    assert any(r["best_predicted"] for r in results["leaderboard"]) == ("†" in board)
    with Store(cache, read_only=True) as store:
        assert store.query("SELECT count(*) FROM evaluations")[1][0][0] == rows_before
        assert store.query("SELECT count(*) FROM evaluations WHERE status NOT IN ('ok', 'invalid')")[1] == [(0,)]
        assert store.query("SELECT count(*) FROM runs WHERE strategy IN ('ls', 'es11')")[1] == [(0,)]


@needs_shipped
def test_comparison_is_reproducible_from_its_seeds(surrogate_reports):
    _, a, b, _ = surrogate_reports
    for name in ("results.json", "leaderboard.md", "anytime.png"):  # byte for byte: no date, no unseeded jitter
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@needs_shipped
def test_surrogate_leaderboard_shows_the_best_measured_value_and_the_measured_range(surrogate_reports):
    _, out, _, _ = surrogate_reports
    results = json.loads((out / "results.json").read_text())
    board = (out / "leaderboard.md").read_text()
    assert "| mean best measured |" in board
    for row in results["leaderboard"]:
        runs = [r for r in results["runs"] if r["strategy"] == row["strategy"]]
        measured = [
            max(v for v, by in zip(r["values"], r["served_by"]) if by == "cache" and v is not None) for r in runs
        ]
        assert row["mean_best_measured"] == pytest.approx(sum(measured) / len(measured))
        assert row["mean_best_measured"] <= results["measured_max"]
    above = [row["strategy"] for row in results["leaderboard"] if row["mean_best"] > results["measured_max"]]
    assert ("rests on predictions outside the measured range" in board) == bool(above)
    assert ("within the measured range" in board) == (not above)


@needs_shipped
def test_surrogate_trials_are_flagged_and_measured_ones_are_not():
    from repro.evaluator import Evaluator
    from repro.recipe import get_profile
    from repro.search.loop import run_search
    from repro.spaces import get_space
    from repro.surrogate import Surrogate

    space, recipe = get_space("remnet"), get_profile("smoke")
    with Store(SHIPPED, read_only=True) as store:
        table = CachedTable(store, space.name, recipe.key)
        surrogate = Surrogate(space, table, "val_acc", (1, 28, 28), 10, recipe.model_options)
        evaluator = Evaluator(space, recipe, store, on_miss="surrogate", table=table, surrogate=surrogate)
        result = run_search("ls", evaluator, 40, 0)
    statuses = {t.served_by: set() for t in result.trials}
    for t in result.trials:
        statuses[t.served_by].add(t.evaluation.status)
    assert statuses.get("surrogate") == {PREDICTED}
    assert statuses.get("cache", {"ok"}) <= {"ok", "invalid"} and statuses.get("invalid", {"invalid"}) == {"invalid"}
    for t in result.trials:
        if t.served_by == "surrogate":
            assert t.evaluation.reason.startswith("surrogate: ") and t.evaluation.device == "none (not trained)"


def test_train_on_miss_stores_measurements_and_replays_them(tmp_path, tiny_mnist, tiny_recipe):
    from repro.spaces import get_space

    space = get_space("remnet")
    with Store(tmp_path) as store:
        first = compare.run_comparison(
            space, tiny_recipe, store, ["es11", "rs"], [0], 3, on_miss="train", device="cpu", data_root=str(tiny_mnist)
        )
        stored = store.query("SELECT count(*) FROM evaluations")[1][0][0]
        again = compare.run_comparison(space, tiny_recipe, store, ["es11", "rs"], [0], 3, on_miss="error")
    assert {s for r in first.runs for s in r.served_by} <= {"train", "invalid", "cache"}
    assert stored == sum(r.served_by.count("train") + r.served_by.count("invalid") for r in first.runs) > 0
    np.testing.assert_array_equal([r.values for r in again.runs], [r.values for r in first.runs])  # NaN == NaN here
    assert all(set(r.served_by) == {"cache"} for r in again.runs)


def test_simulated_clock_comparison_adds_a_time_axis(tmp_path):
    from repro.cache.store import Store
    from repro.recipe import get_profile
    from repro.spaces import get_space

    cache = Path(__file__).resolve().parent.parent / "cache"
    with Store(cache, read_only=True) as store:
        result = compare.run_comparison(
            get_space("remnet"), get_profile("smoke"), store, ["rs"], [0, 1], 60, metric="test_acc", workers=4
        )
        with pytest.raises(ReproError, match="replays measured rows only"):
            compare.run_comparison(
                get_space("remnet"), get_profile("smoke"), store, ["rs"], [0], 5, on_miss="surrogate", workers=2
            )
    times = result.runs[0].times
    assert len(times) == 60 and times == sorted(times) and times[-1] > 0
    paths = compare.write_report(result, tmp_path)
    assert (tmp_path / "anytime_simulated_time.png") in paths
    assert compare.default_name(result).endswith("-error-simulated4")
