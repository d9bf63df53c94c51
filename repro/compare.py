"""Strategy comparison workbench: many strategies x many seeds on one cached table, and their leaderboard.

Every run goes through :func:`repro.search.run_search`, so the training-seed rule and the
replay guarantees are those of ``repro search``. A run is bounded by a number of evaluations or,
with ``time_budget``, by simulated seconds of the rows' recorded training times (NAS-Bench-201's
protocol: 12,000 s of 12-epoch trainings). With ``final`` metrics (``profile:metric``, e.g. the
200-epoch test accuracy), the architecture each run ends with (the strategy's own pick, else the
best it found) is valued under other recipes (the mean over every row of its canonical
architecture), the statistics compare those values, and known answers from the same rows (the
best network, the space's reference cells, the average network) stand beside them. The cache slice is read once into a
:class:`~repro.cache.table.CachedTable`; misses raise, train, or are predicted by a
:class:`~repro.surrogate.Surrogate`. A predicted value is flagged at every level: each step's
``served_by`` is ``"surrogate"``, each run counts them, and the leaderboard marks aggregates that
include a predicted best value.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import rankdata

from repro import plots, stats
from repro.cache.store import Store
from repro.cache.table import CachedTable
from repro.data.datasets import get_spec
from repro.errors import ReproError
from repro.evaluator import Evaluator
from repro.executors import Simulated
from repro.recipe import Recipe
from repro.records import MAX_INT
from repro.search.loop import SearchResult, run_search
from repro.search.strategies import STRATEGIES, rank_key
from repro.spaces.base import SearchSpace
from repro.surrogate import Quality, Surrogate

SERVED = ("cache", "surrogate", "invalid", "train")
"""How a step can be served (see :meth:`repro.evaluator.Evaluator.evaluate`), in report order."""

_SEEDS = re.compile(r"^\d+(-\d+)?$")
MAX_SEEDS = 10_000
"""The most seeds one command takes (each is a search or a training)."""


def parse_seeds(text: str) -> list[int]:
    """Seeds from ``"0-99"``, ``"0,1,5"`` or a mix (``"0-4,10"``): sorted, without repeats."""
    ranges = []
    for part in text.replace(" ", "").split(","):
        if not _SEEDS.match(part):
            raise ReproError(f"bad seeds {text!r}: use a range like 0-99, a list like 0,1,5, or both (0-4,10)")
        first, _, last = part.partition("-")
        # Longer than any stored seed: not parsed (Python refuses ints of more than 4,300 digits anyway).
        lo, hi = (int(x) if len(x) <= 10 else MAX_INT + 1 for x in (first, last or first))
        if hi < lo:
            raise ReproError(f"bad seeds {text!r}: the range {part} runs backwards")
        if hi > MAX_INT:
            raise ReproError(
                f"bad seeds {text!r}: seeds go up to {MAX_INT:,} (the cache stores them as 32-bit integers)"
            )
        ranges.append(range(lo, hi + 1))
    # Counted before any set is built: a typo like 0-100000000 must not allocate gigabytes first.
    if sum(len(r) for r in ranges) > MAX_SEEDS:
        raise ReproError(
            f"bad seeds {text!r}: at most {MAX_SEEDS:,} seeds per command; split the work into several commands"
        )
    return sorted(set().union(*ranges))


def seeds_label(seeds: Sequence[int]) -> str:
    """The compact form :func:`parse_seeds` reads back, e.g. ``[0, 1, 2, 5]`` -> ``"0-2,5"``."""
    parts: list[str] = []
    ordered = sorted(seeds)
    start = prev = ordered[0]
    for s in [*ordered[1:], None]:
        if s is not None and s == prev + 1:
            prev = s
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if s is not None:
            start = prev = s
    return ",".join(parts)


def parse_strategies(text: str, baseline: str) -> list[str]:
    """Registered strategy names from a comma list; the baseline must be among them."""
    names = [n for n in text.replace(" ", "").split(",") if n]
    for name in names:
        STRATEGIES.get(name)  # an unknown name raises, listing the known ones
    if len(set(names)) != len(names):
        raise ReproError(f"strategy listed twice in {text!r}")
    if baseline not in names:
        raise ReproError(f"the baseline {baseline!r} is not among the strategies {text!r}; add it or pass --baseline")
    return names


@dataclass(frozen=True)
class Run:
    """One strategy x seed run: its per-step values (NaN = invalid) and how each step was served."""

    strategy: str
    seed: int
    run_id: str
    values: list[float]
    served_by: list[str]
    times: list[float] = field(default_factory=list)
    """Simulated finish time of each step (``workers`` or a time budget given), else empty."""
    final: dict[str, float] = field(default_factory=dict)
    """The architecture the run ends with, valued under each final metric (label -> mean of its rows)."""
    final_genome: str | None = None
    """That architecture, as the space describes it."""

    @property
    def best_step(self) -> int | None:
        """The step of the best value (the earliest among ties), None if every step was invalid."""
        if all(math.isnan(v) for v in self.values):
            return None
        return max(range(len(self.values)), key=lambda i: (rank_key(self.values[i]), -i))

    @property
    def best(self) -> float:
        """The best value found (NaN if none was valid)."""
        step = self.best_step
        return math.nan if step is None else self.values[step]

    @property
    def best_predicted(self) -> bool:
        """Whether the best value is a surrogate's prediction rather than a measurement."""
        step = self.best_step
        return step is not None and self.served_by[step] == "surrogate"

    @property
    def best_measured(self) -> float:
        """The best value among the steps that were measured, not predicted (NaN if none was)."""
        measured = [v for v, by in zip(self.values, self.served_by) if by != "surrogate" and not math.isnan(v)]
        return max(measured, key=rank_key) if measured else math.nan

    def coverage(self) -> dict[str, int]:
        """Steps per serving path (cache, surrogate, invalid, train)."""
        counts = Counter(self.served_by)
        return {path: counts[path] for path in SERVED}


@dataclass(frozen=True)
class Row:
    """A strategy's line of the leaderboard; ``a12``/``p``/``p_holm`` compare its best values with the baseline's."""

    strategy: str
    seeds: int
    mean_best: float
    median_best: float
    mean_rank: float
    a12: float | None
    p: float | None
    p_holm: float | None
    coverage: dict[str, int]
    best_predicted: int
    final: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Final metric label -> (mean, standard deviation) over seeds."""
    mean_best_measured: float = math.nan
    """Mean over seeds of the best value each run measured (predictions left out); equal to ``mean_best`` without a
    surrogate."""
    gap_closed: float | None = None
    """(mean final value - the average network's) / (the best network's - the average network's), first final metric."""


@dataclass(frozen=True)
class FinalMetric:
    """A metric of another recipe's rows, by canonical architecture: what a run's pick is reported by."""

    profile: str
    metric: str
    means: dict[str, float]
    """Genome key -> the mean of the metric over all its rows (every string and seed)."""
    names: dict[str, str]
    """Genome key -> a readable name (the source's architecture text for imported rows, else the canonical text)."""

    @property
    def label(self) -> str:
        return f"{self.profile}:{self.metric}"

    def of(self, genome_key: str) -> float:
        """The mean value of an architecture, NaN when the rows lack it."""
        return self.means.get(genome_key, math.nan)


def final_metric(store: Store, space: str, spec: str) -> FinalMetric:
    """Read ``profile:metric`` (e.g. ``nb201-cifar10-200ep:test_acc``) from the store's rows of ``space``."""
    from repro.cache.store import METRICS
    from repro.recipe import get_profile

    profile, _, metric = spec.partition(":")
    if metric not in METRICS:
        raise ReproError(f"bad final metric {spec!r}: write PROFILE:METRIC with METRIC one of {', '.join(METRICS)}")
    key = get_profile(profile).key
    columns = ["genome_key", "status", metric, "source_arch", "genome"]
    if store.imported.manifest_of(key) is not None:  # five columns of a table, not a record per row
        rows = store.imported.select(store.db, columns, space, key)
    else:
        rows = [tuple(getattr(e, c) for c in columns) for e in store.evaluations(space, key)]
    values: dict[str, list[float]] = {}
    names: dict[str, str] = {}
    for genome_key, status, value, source_arch, genome in rows:
        if status == "ok" and value is not None:
            values.setdefault(genome_key, []).append(value)
            names.setdefault(genome_key, source_arch or genome)
    if not values:
        raise ReproError(f"final metric {spec}: the cache has no {metric} rows of {space} under profile {profile}")
    return FinalMetric(profile, metric, {k: sum(v) / len(v) for k, v in values.items()}, names)


@dataclass
class StrategyStudy:
    """A study of strategies x seeds under one budget: every run, its leaderboard and what was decided (named apart
    from :class:`repro.stats.Comparison`, the statistics of two samples); :func:`write_report` renders it."""

    space: str
    recipe: Recipe
    metric: str
    budget: int
    seeds: list[int]
    strategies: list[str]
    baseline: str
    on_miss: str
    params: dict[str, dict[str, Any]]
    runs: list[Run]
    surrogate: Quality | None = None
    workers: int | None = None
    rows: list[Row] = field(default_factory=list)
    time_budget: float | None = None
    final: list[str] = field(default_factory=list)
    """Final metric labels; the first is the one the statistics compare."""
    known: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Final metric label -> known answers from the rows: ``best`` (and ``best_arch``), ``average``, references."""
    measured_max: float | None = None
    """With a surrogate: the best value of ``metric`` ever measured in the cache for this recipe (the surrogate's
    measured range ends there)."""

    def runs_of(self, strategy: str) -> list[Run]:
        """The runs of one strategy, in seed order."""
        return [r for r in self.runs if r.strategy == strategy]


def run_comparison(
    space: SearchSpace[Any],
    recipe: Recipe,
    store: Store,
    strategies: Sequence[str],
    seeds: Sequence[int],
    budget: int,
    *,
    baseline: str = "rs",
    metric: str = "val_acc",
    on_miss: str = "error",
    params: dict[str, Any] | None = None,
    device: str = "auto",
    data_root: str | None = None,
    on_run: Callable[[Run], None] | None = None,
    workers: int | None = None,
    time_budget: float | None = None,
    final: Sequence[str] = (),
    log_runs: bool = True,
) -> StrategyStudy:
    """Run every strategy with every seed for ``budget`` evaluations and rank them.

    ``params`` (e.g. ``population_size``) go to each strategy that takes them; a strategy's
    own defaults fill the rest. With ``on_miss="surrogate"`` a surrogate is fit on the cached
    rows of this space and recipe first. With ``workers``, every run is an asynchronous search on
    the simulated clock of that many workers (cached rows only), and each step's simulated finish
    time is kept for anytime curves over time. ``time_budget`` bounds every run by simulated
    seconds instead (on ``workers`` or one simulated worker; ``budget`` then caps the
    evaluations); ``final`` names ``profile:metric`` pairs the ending architectures are valued by.
    ``log_runs=False`` keeps the runs out of a writable store's run log.
    """
    if time_budget is not None and workers is None:
        workers = 1
    if workers is not None and on_miss != "error":
        raise ReproError("a simulated-clock comparison (--workers) replays measured rows only: use --on-miss error")
    if on_miss == "surrogate" and not store.read_only:
        # A writable store would log the runs, predicted steps included, beside measured ones.
        raise ReproError("a surrogate comparison needs the cache opened read-only")
    table = CachedTable(store, space.name, recipe.key)
    surrogate = None
    if on_miss == "surrogate":
        spec = get_spec(recipe.dataset)
        surrogate = Surrogate(space, table, metric, spec.input_shape, spec.num_classes, dict(recipe.model_options))
    evaluator = Evaluator(
        space, recipe, store, on_miss=on_miss, device=device, data_root=data_root, table=table, surrogate=surrogate
    )
    finals = [final_metric(store, space.name, spec) for spec in final]
    runs: list[Run] = []
    configs: dict[str, dict[str, Any]] = {}
    for name in strategies:
        for seed in seeds:
            executor = None if workers is None else Simulated(workers)
            result = run_search(
                name,
                evaluator,
                budget,
                seed,
                metric,
                params,
                strict=False,
                executor=executor,
                time_budget=time_budget,
                log=log_runs,
            )
            configs[name] = result.strategy_config
            times = [t.time for t in result.trials] if executor is not None else []
            pick, key = _pick(result, evaluator)
            run = Run(
                name,
                seed,
                result.run_id,
                result.values().tolist(),
                [t.served_by for t in result.trials],
                times,
                final={f.label: f.of(key) for f in finals} if key else {},
                final_genome=None if pick is None else space.describe(pick),
            )
            runs.append(run)
            if on_run is not None:
                on_run(run)
    comparison = StrategyStudy(
        space=space.name,
        recipe=recipe,
        metric=metric,
        budget=budget,
        seeds=list(seeds),
        strategies=list(strategies),
        baseline=baseline,
        on_miss=on_miss,
        params=configs,
        runs=runs,
        surrogate=None if surrogate is None else surrogate.quality,
        workers=workers,
        time_budget=time_budget,
        final=[f.label for f in finals],
        known={f.label: known_answers(f, space) for f in finals},
        measured_max=None if surrogate is None else _measured_max(table, metric),
    )
    comparison.rows = leaderboard(comparison)
    return comparison


def _measured_max(table: CachedTable, metric: str) -> float | None:
    """The best value of ``metric`` among the table's measured rows (None if it has none)."""
    values = [e.value(metric) for e in table.rows.values() if e.status == "ok" and not math.isnan(e.value(metric))]
    return max(values, key=rank_key) if values else None


def _pick(result: SearchResult, evaluator: Evaluator) -> tuple[Any, str | None]:
    """The architecture a run ends with (the strategy's recommendation, else its best trial) and its key."""
    genome = result.recommended
    if genome is None:
        best = result.best
        if best is None:
            return None, None
        genome = evaluator.space.from_json(best.genome)
    return genome, evaluator.identify(genome)[1].key


def known_answers(f: FinalMetric, space: SearchSpace[Any]) -> dict[str, Any]:
    """What the rows themselves say: the best network, the average one (each canonical network once), the references."""
    best = max(f.means, key=lambda k: f.means[k])
    answers: dict[str, Any] = {
        "best": f.means[best],
        "best_arch": f.names[best],
        "average": float(np.mean(list(f.means.values()))),
    }
    for name, genome in space.references().items():
        answers[name] = f.of(space.canonical(genome).key)
    return answers


def leaderboard(c: StrategyStudy) -> list[Row]:
    """Per strategy: mean/median best found, average rank within seeds, and the test against the baseline.

    Ranks: within each seed the strategies are ranked by best value (1 = best, ties share the
    average rank, a run with no valid architecture ranks last). Tests: two-sided Mann-Whitney U
    of best values against the baseline's, Holm-Bonferroni-corrected over all strategies
    compared with it, with the Vargha-Delaney A12 effect size. With final metrics, ranks and tests
    use the first one (the value of the architecture each run ends with) instead of the best value.
    """
    primary = c.final[0] if c.final else None
    found = {s: np.array([r.best for r in c.runs_of(s)]) for s in c.strategies}
    best = (
        found
        if primary is None
        else {s: np.array([r.final.get(primary, math.nan) for r in c.runs_of(s)]) for s in c.strategies}
    )
    per_seed = np.array([[rank_key(v) for v in best[s]] for s in c.strategies])  # strategies x seeds
    ranks = np.apply_along_axis(lambda col: rankdata(-col, method="average"), 0, per_seed)
    tested = [s for s in c.strategies if s != c.baseline]
    raw = {s: _test(best[s], best[c.baseline]) for s in tested}
    corrected = dict(zip(tested, stats.holm([raw[s][1] for s in tested]))) if tested else {}
    rows = []
    for i, s in enumerate(c.strategies):
        runs = c.runs_of(s)
        coverage = Counter[str]()
        for r in runs:
            coverage.update(r.coverage())
        valid = found[s][~np.isnan(found[s])]
        measured = np.array([r.best_measured for r in runs])
        measured = measured[~np.isnan(measured)]
        a12, p = raw.get(s, (None, None))
        finals = {label: _mean_sd([r.final.get(label, math.nan) for r in runs]) for label in c.final}
        rows.append(
            Row(
                strategy=s,
                seeds=len(runs),
                mean_best=float(valid.mean()) if valid.size else math.nan,
                median_best=float(np.median(valid)) if valid.size else math.nan,
                mean_rank=float(ranks[i].mean()),
                a12=a12,
                p=p,
                p_holm=_or_none(corrected.get(s)),
                coverage={path: coverage[path] for path in SERVED},
                best_predicted=sum(r.best_predicted for r in runs),
                final=finals,
                mean_best_measured=float(measured.mean()) if measured.size else math.nan,
                gap_closed=None if primary is None else _gap(finals[primary][0], c.known[primary]),
            )
        )
    return rows


def _mean_sd(values: Sequence[float]) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    return (float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else math.nan) if v.size else (math.nan, math.nan)


def _gap(value: float, known: dict[str, Any]) -> float | None:
    span = known["best"] - known["average"]
    return None if math.isnan(value) or span <= 0 else (value - known["average"]) / span


def _test(a: np.ndarray, b: np.ndarray) -> tuple[float | None, float]:
    """(A12, two-sided Mann-Whitney p) of a against b; NaN p when a side has no valid run."""
    if np.isnan(a).all() or np.isnan(b).all():
        return None, math.nan
    return stats.vargha_delaney_a12(a, b), stats.mann_whitney(a, b)[1]


def _or_none(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


GRID_POINTS = 49
"""Points of the simulated-time grid the anytime bands are kept on (every 250 s of 12,000 s)."""


def summary(c: StrategyStudy) -> dict[str, Any]:
    """A time-budgeted comparison as compact data (what a stored record keeps). Per strategy: runs, mean evaluations, mean best reward, the final values (mean, sd), A12 / p / Holm p
    against the baseline on the first final value, the gap closed; the known answers; and the anytime band
    (mean and 95% band of the best reward so far over simulated seconds)."""
    assert c.time_budget is not None
    grid = np.linspace(0.0, c.time_budget, GRID_POINTS)
    rows = {}
    for row in c.rows:
        runs = c.runs_of(row.strategy)
        curves = np.array([plots.on_grid(stats.best_so_far(r.values), r.times, grid) for r in runs])
        band = stats.curve_band(curves)
        rows[row.strategy] = {
            "runs": row.seeds,
            "evaluations": float(np.mean([len(r.values) for r in runs])),
            "mean_best_reward": row.mean_best,
            "final": {k: list(v) for k, v in row.final.items()},
            "a12": row.a12,
            "p": row.p,
            "p_holm": row.p_holm,
            "mean_rank": row.mean_rank,
            "gap_closed": row.gap_closed,
            "band": {"mean": band.mean.tolist(), "lower": band.lower.tolist(), "upper": band.upper.tolist()},
        }
    return {
        "profile": c.recipe.profile,
        "recipe_key": c.recipe.key,
        "metric": c.metric,
        "time_budget": c.time_budget,
        "baseline": c.baseline,
        "final": c.final,
        "known": c.known,
        "params": c.params,
        "grid": grid.tolist(),
        "strategies": rows,
    }


def default_name(c: StrategyStudy) -> str:
    """A report folder name that encodes space, profile, budget, seeds and the miss policy."""
    clock = "" if c.workers is None else f"-simulated{c.workers}"
    budget = f"budget{c.budget}" if c.time_budget is None else f"time{c.time_budget:g}s"
    return f"{c.space}-{c.recipe.profile}-{budget}-seeds{seeds_label(c.seeds)}-{c.on_miss}{clock}"


def write_report(c: StrategyStudy, folder: Path) -> list[Path]:
    """Write ``leaderboard.md``, ``anytime.png`` and ``results.json`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    figures = []
    scale, name, unit = _axis(c.metric)
    values = {s: [scale * np.asarray(r.values, dtype=float) for r in c.runs_of(s)] for s in c.strategies}
    lines = {} if c.measured_max is None else {"best value measured in the cache": scale * c.measured_max}
    limits = (0.0, 100.0) if unit == "%" else None
    if c.time_budget is None:  # under a time budget the runs' lengths differ: only the time axis aligns them
        figures.append(
            plots.best_so_far_bands(
                values,
                folder / "anytime.png",
                title=f"{c.space}, {c.recipe.profile}: best {name} so far",
                ylabel=f"best {name} so far{f' ({unit})' if unit else ''}",
                lines=lines,
                limits=limits,
                caption=surrogate_note(c) or "Every value measured (cache hits).",
            )
        )
    if c.workers is not None:
        figures.append(
            plots.best_so_far_bands(
                values,
                folder / "anytime_simulated_time.png",
                title=f"{c.space}, {c.recipe.profile}: best {name} over simulated time, {c.workers} workers",
                ylabel=f"best {name} so far{f' ({unit})' if unit else ''}",
                xlabel="simulated seconds",
                limits=limits,
                times={s: [r.times for r in c.runs_of(s)] for s in c.strategies},
                caption="Every value measured (cache hits); asynchronous searches on a simulated clock whose seconds are "
                "the recorded training times.",
            )
        )
    board = folder / "leaderboard.md"
    board.write_text(render_markdown(c))
    results = folder / "results.json"
    results.write_text(json.dumps(to_json(c), indent=1, allow_nan=False) + "\n")
    return [board, *figures, results]


METRIC_NAMES = {"val_acc": "validation accuracy", "test_acc": "test accuracy", "train_acc": "training accuracy"}


def _axis(metric: str) -> tuple[float, str, str]:
    """(scale, name, unit) of a metric on a figure's axis: accuracies in %, other metrics as stored."""
    if metric in METRIC_NAMES:
        return 100.0, METRIC_NAMES[metric], "%"
    return 1.0, metric, ""


def surrogate_note(c: StrategyStudy) -> str:
    """The warning every output carries when some values are predictions, empty otherwise."""
    predicted = sum(r.served_by.count("surrogate") for r in c.runs)
    if not predicted:
        return ""
    total = sum(len(r.served_by) for r in c.runs)
    assert c.surrogate is not None
    return (
        f"SURROGATE: {predicted:,} of {total:,} evaluations ({predicted / total:.1%}) are predictions, not "
        f"measurements: {c.surrogate.summary()}"
    )


def _num(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def render_markdown(c: StrategyStudy) -> str:
    """The leaderboard as Markdown: setup, surrogate warning, table, and how to read it."""
    r = c.recipe
    lines = [
        f"# Strategy comparison: {c.space}, profile {r.profile}",
        "",
        f"Recipe {r.key}; objective {c.metric} (higher is better), best found within "
        + (
            f"{c.budget} evaluations; "
            if c.time_budget is None
            else f"{c.time_budget:,.0f} simulated seconds of recorded training time (at most {c.budget} evaluations); "
        )
        + f"{len(c.seeds)} seeds ({seeds_label(c.seeds)}); misses: {c.on_miss}; baseline {c.baseline}.",
        "",
    ]
    note = surrogate_note(c)
    if note:
        lines += [f"> **{note}.** Values marked † include a seed whose best value is predicted.", ""]
        lines += [*_range_warning(c), ""]
    measured = c.measured_max is not None
    lines += [
        "| strategy | seeds | mean best | " + ("mean best measured | " if measured else "") + "median best | "
        f"average rank | A12 vs {c.baseline} | p | p (Holm) | cache | surrogate | invalid | train | predicted best |",
        "|---|---:|---:|" + ("---:|" if measured else "") + "---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in sorted(c.rows, key=lambda x: x.mean_rank):
        dagger = "†" if row.best_predicted else ""
        cov = row.coverage
        lines.append(
            f"| {row.strategy} | {row.seeds} | {_num(row.mean_best)}{dagger} | "
            + (f"{_num(row.mean_best_measured)} | " if measured else "")
            + f"{_num(row.median_best)}{dagger} | {row.mean_rank:.2f} | {_num(row.a12, 2)} | {_num(row.p, 3)} | "
            f"{_num(row.p_holm, 3)} | {cov['cache']} | {cov['surrogate']} | {cov['invalid']} | {cov['train']} | "
            f"{row.best_predicted} |"
        )
    ranked_by = "best value" if not c.final else f"final {c.final[0]}"
    lines += _final_section(c)
    lines += [
        "",
        f"- **average rank**: within each seed the strategies are ranked by {ranked_by} (1 = best, ties averaged, "
        "no valid architecture = last), then averaged over seeds.",
        f"- **A12**: probability that a seed of the strategy gets a better {ranked_by} than a seed of {c.baseline} "
        f"(ties half); **p**: two-sided Mann-Whitney U test against {c.baseline}; **p (Holm)**: Holm-Bonferroni "
        f"corrected over the {len(c.strategies) - 1} comparisons.",
        "- **cache / surrogate / invalid / train**: evaluations served by cached measurements, by the surrogate's "
        "prediction, by the space's exact validity check (architecture not in the cache, invalid; not stored), or "
        "by training. **predicted best**: seeds whose best value is a prediction."
        + (
            " **mean best measured**: the mean over seeds of the best value each run measured, predictions left out."
            if measured
            else ""
        ),
        "- Strategy parameters: " + "; ".join(f"{s} {json.dumps(p, sort_keys=True)}" for s, p in c.params.items()),
        "",
        "![anytime](anytime.png)" if c.time_budget is None else "![anytime](anytime_simulated_time.png)",
        "",
    ]
    return "\n".join(lines)


def _range_warning(c: StrategyStudy) -> list[str]:
    """Says plainly whether the ranking rests on predictions above every value ever measured (surrogate runs only)."""
    if c.measured_max is None:
        return []
    above = [row for row in c.rows if row.mean_best > c.measured_max]
    limit = f"the best {c.metric} ever measured in the cache for this recipe, {_num(c.measured_max)}"
    if not above:
        return [f"Every strategy's mean best is within the measured range (at most {limit})."]
    names = ", ".join(f"{row.strategy} ({_num(row.mean_best)})" for row in above)
    return [
        f"> **This ranking rests on predictions outside the measured range**: the mean best of {names} is above "
        f"{limit}. Those values are extrapolations, not results; compare the *mean best measured* column, or "
        "measure the predicted architectures (`--on-miss train`)."
    ]


def _final_section(c: StrategyStudy) -> list[str]:
    """The ending architectures' values (mean ± sd) and the known answers beside them; empty without final metrics."""
    if not c.final:
        return []
    lines = [
        "",
        "Architecture each run ends with (the strategy's own pick, else the best it found), valued by the "
        "mean of every row of its canonical network:",
        "",
        "| strategy | " + " | ".join(f"{label} (mean ± sd)" for label in c.final) + " | gap closed |",
        "|---|" + "---:|" * (len(c.final) + 1),
    ]
    for row in sorted(c.rows, key=lambda x: x.mean_rank):
        cells = [f"{_num(m)} ± {_num(sd)}" for m, sd in (row.final[label] for label in c.final)]
        lines.append(f"| {row.strategy} | " + " | ".join(cells) + f" | {_num(row.gap_closed, 3)} |")
    lines += ["", "Known answers from the same rows:", ""]
    for label, known in c.known.items():
        refs = "; ".join(
            f"{name} {_num(v)}" for name, v in known.items() if name not in ("best", "best_arch", "average")
        )
        lines.append(
            f"- {label}: best network {_num(known['best'])} ({known['best_arch']}); average network "
            f"{_num(known['average'])}" + (f"; {refs}" if refs else "")
        )
    lines.append(
        f"- **gap closed**: (mean final {c.final[0]} - the average network's) / (the best network's - the "
        "average network's); 1 = every run ends with the best network."
    )
    return lines


def to_json(c: StrategyStudy) -> dict[str, Any]:
    """The comparison as JSON data (NaN as null). Nothing in it varies between reruns (no date, no code version of the
    writer; each run's id names it in the store), so an unchanged comparison rewrites its file byte for byte."""
    return _finite(
        {
            "space": c.space,
            "recipe_key": c.recipe.key,
            "recipe": c.recipe.to_dict(),
            "metric": c.metric,
            "budget": c.budget,
            "seeds": c.seeds,
            "strategies": c.strategies,
            "strategy_params": c.params,
            "baseline": c.baseline,
            "on_miss": c.on_miss,
            "simulated_workers": c.workers,
            "time_budget": c.time_budget,
            "final": c.final,
            "known": c.known,
            "surrogate": None if c.surrogate is None else asdict(c.surrogate),
            "surrogate_note": surrogate_note(c) or None,
            "leaderboard": [asdict(row) for row in c.rows],
            "runs": [
                {
                    "strategy": r.strategy,
                    "seed": r.seed,
                    "run_id": r.run_id,
                    "best": r.best,
                    "best_step": r.best_step,
                    "best_predicted": r.best_predicted,
                    "coverage": r.coverage(),
                    "values": r.values,
                    "served_by": r.served_by,
                    "simulated_times": r.times or None,
                    "final": r.final,
                    "final_genome": r.final_genome,
                }
                for r in c.runs
            ],
            "measured_max": c.measured_max,
        }
    )


def _finite(data: Any) -> Any:
    """``data`` with every NaN float replaced by None (JSON has no NaN)."""
    if isinstance(data, float) and math.isnan(data):
        return None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_finite(v) for v in data]
    return data
