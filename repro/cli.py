"""Command line: ``repro search``, ``repro compare``, ``repro cache info|query|export``, ``repro reproduce``, ``repro list``."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repro import __version__
from repro.errors import ReproError

if TYPE_CHECKING:
    from papers import Paper
    from repro.recipe import Recipe
    from repro.search import SearchResult
    from repro.spaces.base import SearchSpace

DEFAULT_CACHE = os.environ.get("REPRO_CACHE", "cache")


def _at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


_positive = _at_least(1)
_seed = _at_least(0)


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options that decide a run's recipe, objective and strategy parameters (search and compare)."""
    from repro.cache.store import METRICS

    parser.add_argument("--profile", default="smoke", help="training recipe profile (see `repro list`)")
    parser.add_argument("--metric", default="val_acc", choices=METRICS, help="objective to maximise")
    parser.add_argument("--population", type=_positive, dest="population_size", help="population size (re, rs-mutation; default 20)")
    parser.add_argument("--sample-size", type=_positive, dest="sample_size", help="tournament size (re; default 5)")
    parser.add_argument("--patience", type=_positive, help="non-improving neighbours before a restart (ls; default 20)")
    parser.add_argument("--epochs", type=_positive, help="override the profile's epochs (changes the recipe key)")
    parser.add_argument("--channels", type=_positive, help="override the profile's channels (changes the recipe key)")


def _add_machine_options(parser: argparse.ArgumentParser) -> None:
    """Where the cache, the data and the training device are, and whether to show progress."""
    parser.add_argument("--cache", default=DEFAULT_CACHE, help="cache folder (env REPRO_CACHE)")
    parser.add_argument("--device", default="auto", help="torch device for training: auto, cpu, cuda, cuda:1, ...")
    parser.add_argument("--data-root", help="dataset folder (default: $REPRO_DATA/<dataset>, then the system location)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _strategy_params(args: argparse.Namespace) -> dict[str, Any]:
    """The strategy parameters given on the command line (None: the strategy's default)."""
    return {"population_size": args.population_size, "sample_size": args.sample_size, "patience": args.patience}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="repro",
        description="Neural-architecture-search reproduction harness. Every evaluation is cached by a canonical "
        "architecture hash plus a recipe hash, so searches replay instantly and train only what is new.",
    )
    parser.add_argument("--version", action="version", version=f"repro {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    search = commands.add_parser(
        "search",
        help="run an architecture search (replaying from the cache, training what is missing)",
        description="Run a search: the strategy proposes architectures, each is looked up in the cache by its "
        "canonical hash and the recipe hash, and trained (GPU if present) only on a miss. Rerunning the same "
        "command replays the same trajectory; an interrupted run resumes where it stopped.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    search.add_argument("--space", default="remnet", help="search space (see `repro list`)")
    search.add_argument("--strategy", default="re", help="search strategy (see `repro list`)")
    search.add_argument("--budget", type=_positive, default=60, help="number of evaluations, invalid ones included")
    search.add_argument("--seed", type=_seed, default=0, help="search seed: fixes the whole trajectory")
    _add_run_options(search)
    search.add_argument(
        "--on-miss", choices=("train", "error"), default="train",
        help="what to do when the cache lacks an evaluation: train it, or stop and name it",
    )  # fmt: skip
    _add_machine_options(search)
    search.add_argument(
        "--executor", default="inprocess", choices=("inprocess", "pool", "ray", "simulated"),
        help="where training runs: this process; a local process pool; a Ray cluster; or a simulated clock that "
        "replays the cache as if --workers machines had trained it (using each row's recorded seconds)",
    )  # fmt: skip
    search.add_argument("--workers", type=_positive, default=1,
                        help="evaluations in flight at once (asynchronous search when > 1)")  # fmt: skip
    search.add_argument("--address", help="Ray cluster address (default: start a local Ray instance)")
    search.add_argument("--gpus-per-eval", type=float, default=1.0, help="fraction of a GPU per Ray task")
    search.add_argument("--output", type=Path, help="also write the trajectory as JSON to this file")
    search.set_defaults(handler=_search)

    evaluate = commands.add_parser(
        "evaluate",
        help="evaluate one architecture through the cache (training it if missing)",
        description="Look up (or train) one architecture under a profile, for one or more training seeds. The "
        "genome is JSON, as `repro search --output` writes it or as the cache stores it (canonical form), given "
        "inline or as @FILE.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    evaluate.add_argument("genome", help="genome JSON, or @path/to/genome.json")
    evaluate.add_argument("--space", default="remnet", help="search space (see `repro list`)")
    evaluate.add_argument("--profile", default="smoke", help="training recipe profile")
    evaluate.add_argument("--seeds", default="0", help="training seeds: 0-4 or 0,2,5")
    evaluate.add_argument("--epochs", type=_positive, help="override the profile's epochs")
    evaluate.add_argument("--channels", type=_positive, help="override the profile's channels")
    evaluate.add_argument("--on-miss", choices=("train", "error"), default="train", help="train what is missing, or stop")
    evaluate.add_argument("--cache", default=DEFAULT_CACHE, help="cache folder (env REPRO_CACHE)")
    evaluate.add_argument("--device", default="auto", help="torch device for training")
    evaluate.add_argument("--data-root", help="dataset folder")
    evaluate.set_defaults(handler=_evaluate)

    compare = commands.add_parser(
        "compare",
        help="compare strategies over many seeds on the cache: leaderboard, anytime curves, tests vs random search",
        description="Run every strategy with every seed against the cache and write a leaderboard (mean/median best "
        "found, average rank, Mann-Whitney p with Holm correction and A12 against the baseline, cache coverage) as "
        "Markdown, JSON and an anytime figure under reports/compare/. With --on-miss surrogate, architectures the "
        "cache lacks get a gradient-boosting prediction fit on the cache: flagged everywhere, never stored.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    compare.add_argument("--space", default="remnet", help="search space (see `repro list`)")
    compare.add_argument("--strategies", default="re,rs-mutation,rs", help="comma-separated strategies (see `repro list`)")
    compare.add_argument("--seeds", default="0-4", help="search seeds: a range 0-99, a list 0,1,5, or both")
    compare.add_argument("--budget", type=_positive, default=60, help="evaluations per run, invalid ones included")
    compare.add_argument("--baseline", default="rs", help="the strategy every other one is tested against")
    compare.add_argument("--workers", type=_positive,
                         help="run every search asynchronously on a simulated clock of this many workers (cached rows "
                         "only) and add anytime curves over simulated time")  # fmt: skip
    _add_run_options(compare)
    compare.add_argument(
        "--on-miss", choices=("error", "train", "surrogate"), default="error",
        help="when the cache lacks an evaluation: stop and name it, train it, or predict it with a surrogate fit "
        "on the cache (flagged in every output, never stored)",
    )  # fmt: skip
    _add_machine_options(compare)
    compare.add_argument("--time-budget", type=float, dest="time_budget",
                         help="bound each run by simulated seconds of the rows' recorded training times (NAS-Bench-201: "
                         "12000) instead of --budget evaluations, which then only caps them; replays cached rows only")  # fmt: skip
    compare.add_argument("--final", default="",
                         help="comma list of PROFILE:METRIC the architecture each run ends with is valued by (e.g. "
                         "nb201-cifar10-200ep:test_acc); the first one is ranked and tested")  # fmt: skip
    compare.add_argument("--out", type=Path, help="report folder (default: reports/compare/<space-profile-budget-seeds-miss>)")
    compare.set_defaults(handler=_compare)

    cache = commands.add_parser("cache", help="inspect or export the evaluation cache")
    cache_commands = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    info = cache_commands.add_parser("info", help="rows per space, recipe and status; runs stored")
    info.add_argument("--cache", default=DEFAULT_CACHE, help="cache folder")
    info.set_defaults(handler=_cache_info)
    query = cache_commands.add_parser(
        "query", help="run read-only SQL on the cache",
        description="Tables: evaluations, genomes, recipes, runs, trials, meta. Example: repro cache query "
        "\"SELECT genome_key, avg(val_acc) FROM evaluations GROUP BY 1 ORDER BY 2 DESC LIMIT 5\"",
    )  # fmt: skip
    query.add_argument("sql", help="the SQL statement")
    query.add_argument("--cache", default=DEFAULT_CACHE, help="cache folder")
    query.add_argument("--csv", action="store_true", help="print CSV instead of an aligned table")
    query.set_defaults(handler=_cache_query)
    export = cache_commands.add_parser("export", help="export a table to Parquet or CSV (by file suffix)")
    export.add_argument("path", type=Path, help="output file, ending in .parquet or .csv")
    export.add_argument("--table", default="evaluations", help="table to export (evaluations include the genome text)")
    export.add_argument("--cache", default=DEFAULT_CACHE, help="cache folder")
    export.set_defaults(handler=_cache_export)
    check = cache_commands.add_parser(
        "check", help="verify the cache: schema version, rows vs. curves, run logs; says how to repair"
    )
    check.add_argument("--cache", default=DEFAULT_CACHE, help="cache folder")
    check.set_defaults(handler=_cache_check)
    upgrade = cache_commands.add_parser("upgrade", help="migrate a cache written by an older repro to this schema")
    upgrade.add_argument("--cache", default=DEFAULT_CACHE, help="cache folder")
    upgrade.set_defaults(handler=_cache_upgrade)
    merge = cache_commands.add_parser(
        "merge",
        help="fold cache shards (another machine's cache folders) into this cache",
        description="Adds every row of each shard that this cache lacks (all seeds are kept), with its curve, runs "
        "and trial logs. Rows present in both with different numbers are conflicts: reported, and this cache's "
        "value is kept. Merging the same shard again changes nothing.",
    )
    merge.add_argument("shards", nargs="+", type=Path, help="shard cache folders")
    merge.add_argument("--cache", default=DEFAULT_CACHE, help="cache folder to merge into")
    merge.set_defaults(handler=_cache_merge)

    tables = commands.add_parser("tables", help="import public tables of measurements (NAS-Bench-201) as cache rows")
    table_commands = tables.add_subparsers(dest="tables_command", required=True, metavar="ACTION")
    table_import = table_commands.add_parser(
        "import", help="rebuild an imported table's Parquet file and manifest from its source files",
        description="Reads the source files (checked against their recorded sha256), converts them to rows of the "
        "table's recipes and writes <cache>/imported/NAME.parquet and NAME.manifest.json. The shipped cache already "
        "holds them; importing the same files again changes nothing. Any bad input stops it with nothing written.",
    )  # fmt: skip
    table_import.add_argument("table", help="table name (nb201)")
    table_import.add_argument("--source", type=Path,
                              help="folder holding the source files (default: $REPRO_TABLES/NAME, else ../shared/tables/NAME)")  # fmt: skip
    table_import.add_argument("--cache", default=DEFAULT_CACHE, help="cache folder (env REPRO_CACHE)")
    table_import.set_defaults(handler=_tables_import)

    reproduce = commands.add_parser(
        "reproduce",
        help="reproduce a paper's tables and figures (from the cache; training only with --on-miss train)",
        description="Run or replay every search and final training of a paper's experiment and write its figures, "
        "tables and summary under reports/<paper>/<profile>/. By default nothing is trained: a missing cached row "
        "is an error naming it.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    reproduce.add_argument("paper", help="paper short name (see `repro list`)")
    reproduce.add_argument("--profile", default="smoke", help="experiment scale: smoke, gpu or paper")
    reproduce.add_argument("--on-miss", choices=("train", "error"), default="error",
                           help="train what the cache lacks, or stop and name it")  # fmt: skip
    reproduce.add_argument("--out", type=Path, default=Path("reports"), help="reports folder")
    _add_machine_options(reproduce)
    reproduce.set_defaults(handler=_reproduce)

    regress = commands.add_parser(
        "regress",
        help="check every reported claim against our reproduced value; fail on drift or a structural mismatch",
        description="For every claim in papers/<paper>/reported.toml: the reported value, ours (replayed from the "
        "cache), and a status (matches, within tolerance, deviates, not reproducible here). Exits 1 when a "
        "structural number stops matching or when one of our values drifts from the accepted one "
        "(papers/<paper>/golden.json; review, then --accept to update it).",
    )
    regress.add_argument("paper", nargs="?", help="one paper (default: all)")
    regress.add_argument("--accept", action="store_true", help="record our current values as the accepted ones")
    regress.add_argument("--cache", default=DEFAULT_CACHE, help="cache folder (env REPRO_CACHE)")
    regress.set_defaults(handler=_regress)

    report = commands.add_parser(
        "report",
        help="build reports/index.md and reports/index.html, and the README's status table",
        description="Replay every paper's experiments that the cache holds, regenerate their figures and summaries, "
        "and write one index (Markdown and static HTML) with each paper's claims table, figures and provenance.",
    )
    report.add_argument("--cache", default=DEFAULT_CACHE, help="cache folder (env REPRO_CACHE)")
    report.add_argument("--out", type=Path, default=Path("reports"), help="reports folder")
    report.add_argument("--readme", type=Path, default=Path("README.md"),
                        help="README whose generated status block is refreshed (skipped if the file is absent)")  # fmt: skip
    report.set_defaults(handler=_report)

    listing = commands.add_parser("list", help="list search spaces, strategies and profiles")
    listing.set_defaults(handler=_list)
    return parser


def _search(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm

    from repro.cache.store import Store
    from repro.evaluator import Evaluator
    from repro.executors import make_executor
    from repro.recipe import get_profile
    from repro.search import SearchResult, Trial, run_search
    from repro.spaces import get_space
    from repro.strategies import make_strategy

    space = get_space(args.space)
    recipe = get_profile(args.profile, epochs=args.epochs, channels=args.channels)
    strategy = make_strategy(args.strategy, space, np.random.default_rng(args.seed), **_strategy_params(args))
    if args.executor == "simulated" and args.on_miss != "error":
        raise ReproError("--executor simulated replays the cache only: add --on-miss error")
    started = time.perf_counter()
    with Store(args.cache, read_only=args.on_miss == "error") as store:
        bar = tqdm(total=args.budget, desc=f"{args.strategy} seed {args.seed}", unit="eval", disable=args.no_progress)

        status = {"best": "no valid architecture yet"}

        def on_epoch(epoch: int) -> None:
            bar.set_postfix_str(f"{status['best']} | training epoch {epoch}/{recipe.epochs}")

        def on_step(trial: Trial, result: SearchResult) -> None:
            best, served = result.best, result.served()
            if best is not None:
                status["best"] = f"best {args.metric} {best.value:.4f}"
            bar.set_postfix_str(
                f"{status['best']} | cache {served['cache']} train {served['train']} invalid {served['invalid']}"
            )
            bar.update(1)

        evaluator = Evaluator(space, recipe, store, on_miss=args.on_miss, device=args.device,
                              data_root=args.data_root, on_epoch=on_epoch)  # fmt: skip
        executor = make_executor(args.executor, args.workers, on_epoch=on_epoch, address=args.address,
                                 gpus_per_job=args.gpus_per_eval)  # fmt: skip
        try:
            result = run_search(strategy, args.strategy, evaluator, args.budget, args.seed, args.metric, on_step,
                                executor)  # fmt: skip
        finally:
            bar.close()
            executor.close()
    elapsed = time.perf_counter() - started
    _print_summary(args, recipe, space, result, elapsed)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(_result_json(args, recipe, result), indent=1))
    return 0


def _compare(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from repro import compare
    from repro.cache.store import Store
    from repro.recipe import get_profile
    from repro.spaces import get_space

    space = get_space(args.space)
    recipe = get_profile(args.profile, epochs=args.epochs, channels=args.channels)
    seeds = compare.parse_seeds(args.seeds)
    strategies = compare.parse_strategies(args.strategies, args.baseline)
    started = time.perf_counter()
    # Only training writes: a replay or a surrogate run must not be able to change the cache.
    with Store(args.cache, read_only=args.on_miss != "train") as store:
        with tqdm(total=len(strategies) * len(seeds), desc="compare", unit="run", disable=args.no_progress) as bar:
            result = compare.run_comparison(
                space, recipe, store, strategies, seeds, args.budget, baseline=args.baseline, metric=args.metric,
                on_miss=args.on_miss, params=_strategy_params(args), device=args.device, data_root=args.data_root,
                on_run=lambda run: bar.update(1), workers=args.workers, time_budget=args.time_budget,
                final=[f for f in args.final.split(",") if f],
            )  # fmt: skip
    elapsed = time.perf_counter() - started
    folder = args.out or Path("reports") / "compare" / compare.default_name(result)
    paths = compare.write_report(result, folder)
    print(f"{len(strategies)} strategies x {len(seeds)} seeds x {args.budget} evaluations on {args.space} "
          f"(profile {recipe.profile}, recipe {recipe.key}) in {elapsed:.1f}s")  # fmt: skip
    for row in sorted(result.rows, key=lambda r: r.mean_rank):
        versus = "" if row.p_holm is None else f", A12 vs {args.baseline} {row.a12:.2f}, Holm p {row.p_holm:.3g}"
        finals = "".join(f", {label} {m:.4f} ± {sd:.4f}" for label, (m, sd) in row.final.items())
        print(f"  {row.strategy:12} mean best {args.metric} {row.mean_best:.4f}{finals}, average rank {row.mean_rank:.2f}"
              f"{versus}; served {', '.join(f'{k} {v}' for k, v in row.coverage.items())}")  # fmt: skip
    note = compare.surrogate_note(result)
    if note:
        print(note)
    for path in paths:
        print(f"wrote {path}")
    return 0


def _print_summary(
    args: argparse.Namespace, recipe: Recipe, space: SearchSpace[Any], result: SearchResult, elapsed: float
) -> None:
    served = result.served()
    invalid = sum(1 for t in result.trials if t.evaluation.status == "invalid")
    print(
        f"{args.strategy} on {args.space}, seed {args.seed}, {len(result.trials)} evaluations in {elapsed:.1f}s "
        f"(cache {served['cache']}, trained {served['train']}, newly invalid {served['invalid']}"
        + (f", failed {served['failed'] + served['oom']}" if served["failed"] + served["oom"] else "")
        + "; "
        f"{invalid} invalid in all)"
    )
    print(f"profile {recipe.profile} (recipe {recipe.key}): {recipe.dataset}, {recipe.epochs} epochs, "
          f"channels {recipe.model_options.get('channels')}, train size {recipe.train_size or 'all'}; run {result.run_id}")  # fmt: skip
    seconds = result.seconds
    clock = f"simulated wall-clock {seconds['wall']:.1f}s" if args.executor == "simulated" else f"wall {seconds['wall']:.1f}s"
    print(f"time: {clock} with {args.workers} worker(s) ({args.executor}); strategy CPU {seconds['strategy']:.2f}s; "
          f"lookups {seconds['lookup']:.2f}s")  # fmt: skip
    best = result.best
    if best is None:
        print("no valid architecture found")
        return
    e = best.evaluation
    print(f"best {args.metric} {best.value:.4f} at step {best.step} (training seed {e.train_seed}): "
          f"val_acc {_maybe(e.val_acc, '.4f')}, test_acc {_maybe(e.test_acc, '.4f')}, {_maybe(e.params, ',')} params, "
          f"{_maybe(e.macs, ',')} MACs")  # fmt: skip
    print(f"  architecture {e.genome_key}: {space.describe(space.from_json(best.genome))}")
    if e.imported:
        seed = "a seed mean" if e.seed_mean else f"its seed {e.source_seed}"
        print(f"  imported row: {e.source}, {e.source_arch}, {seed} (measured there, not here)")


def _maybe(value: float | int | None, spec: str) -> str:
    """``value`` formatted, or ``n/a`` where a row has no such number (an imported table may lack it)."""
    return "n/a" if value is None else format(value, spec)


def _result_json(args: argparse.Namespace, recipe: Recipe, result: SearchResult) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "space": args.space,
        "strategy": args.strategy,
        "seed": args.seed,
        "metric": args.metric,
        "recipe": recipe.to_dict(),
        "recipe_key": recipe.key,
        "trials": [
            {
                "step": t.step,
                "genome_key": t.evaluation.genome_key,
                "train_seed": t.evaluation.train_seed,
                "status": t.evaluation.status,
                "reason": t.evaluation.reason,
                "value": None if math.isnan(t.value) else t.value,
                "served_by": t.served_by,
                "time": t.time,
                "genome": json.loads(t.genome),
            }
            for t in result.trials
        ],
    }


def _evaluate(args: argparse.Namespace) -> int:
    from repro.cache.store import Store
    from repro.compare import parse_seeds
    from repro.evaluator import Evaluator
    from repro.recipe import get_profile
    from repro.spaces import get_space

    space = get_space(args.space)
    text = args.genome
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text()
        except OSError as exc:
            raise ReproError(f"cannot read the genome file {text[1:]}: {exc.strerror}") from None
    genome = space.from_json(text)
    recipe = get_profile(args.profile, epochs=args.epochs, channels=args.channels)
    seeds = parse_seeds(args.seeds)
    with Store(args.cache, read_only=args.on_miss == "error") as store:
        evaluator = Evaluator(space, recipe, store, on_miss=args.on_miss, device=args.device, data_root=args.data_root)
        results = [evaluator.evaluate(genome, seed) for seed in seeds]
    print(f"{space.describe(genome)}  [key {results[0][0].genome_key}, profile {recipe.profile}, recipe {recipe.key}]")
    rows = [(e.train_seed, served, e.status, e.val_acc, e.test_acc, e.params, e.train_seconds, e.reason or "")
            for e, served in results]  # fmt: skip
    print(_table(("seed", "served", "status", "val_acc", "test_acc", "params", "train_seconds", "reason"), rows))
    return 0


def _table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def fmt(v: object) -> str:
        return f"{v:.4f}" if isinstance(v, float) else str(v)

    cells = [[fmt(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)


def _cache_info(args: argparse.Namespace) -> int:
    from repro.cache.store import Store

    with Store(args.cache, read_only=True) as store:
        columns, rows = store.query(
            "SELECT e.space, r.profile, e.recipe_key, count(*) AS rows, count(DISTINCT e.genome_key) AS architectures, "
            "count(*) FILTER (WHERE e.status = 'invalid') AS invalid, max(e.train_seed) + 1 AS max_seeds, "
            "round(sum(e.train_seconds), 1) AS train_seconds, string_agg(DISTINCT e.device, '; ') AS devices "
            "FROM evaluations e JOIN recipes r USING (recipe_key) GROUP BY ALL ORDER BY 1, 2"
        )
        print(f"cache {Path(args.cache).resolve()}")
        print(_table(columns, rows) if rows else "(no evaluations)")
        columns, rows = store.query(
            "SELECT strategy, count(*) AS runs, max(budget) AS max_budget FROM runs GROUP BY 1 ORDER BY 1"
        )
        if rows:
            print()
            print(_table(columns, rows))
        for m in store.imported.manifests:
            print(f"\nimported table {m.table} ({m.space}; measured elsewhere, not trained here): {m.rows:,} rows in "
                  f"{store.imported.folder / m.parquet}, importer {m.importer}, imported {m.imported_at}")  # fmt: skip
            print(_table(("profile", "recipe_key", "rows", "architectures", "columns"),
                         [(r["profile"], k, r["rows"], r["architectures"], r["columns"]) for k, r in m.recipes.items()]))  # fmt: skip
            for src in m.sources:
                print(f"  source {src['file']} (sha256 {src['sha256'][:12]}…, licence {src['licence']}): {src['origin']}; "
                      f"cite {src['citation']}")  # fmt: skip
    return 0


def _tables_import(args: argparse.Namespace) -> int:
    from repro.tables.importer import import_table
    from repro.tables.registry import TABLES

    definition = TABLES.get(args.table)
    source = args.source or Path(os.environ.get("REPRO_TABLES", "../shared/tables")) / args.table
    result = import_table(definition, source, Path(args.cache))
    verb = "wrote" if result.written else "already up to date:"
    print(f"{verb} {result.path} ({result.rows:,} rows from {source})")
    for profile, (rows, keys) in result.per_profile.items():
        print(f"  {profile:28} {rows:7,} rows, {keys:,} canonical architectures")
    return 0


def _cache_query(args: argparse.Namespace) -> int:
    import csv

    from repro.cache.store import Store

    with Store(args.cache, read_only=True) as store:
        columns, rows = store.query(args.sql)
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        print(_table(columns, rows))
    return 0


def _cache_export(args: argparse.Namespace) -> int:
    from repro.cache.store import Store

    with Store(args.cache, read_only=True) as store:
        path = store.export(args.path, args.table)
    print(f"wrote {path}")
    return 0


def _cache_check(args: argparse.Namespace) -> int:
    from repro.cache.store import Store

    with Store(args.cache, read_only=True) as store:
        problems = store.check()
        rows = store.query("SELECT count(*) FROM evaluations")[1][0][0]
    for problem in problems:
        print(f"problem: {problem}")
    if problems:
        print(f"{len(problems)} problem(s) in {rows} rows. Repair: restore the cache from git (git checkout -- "
              f"{args.cache}) or from the machine that wrote it; rows whose curves are missing can be retrained after "
              "deleting them with `repro cache query` on a copy.")  # fmt: skip
        return 1
    imported = sum(m.rows for m in store.imported.manifests)
    print(f"cache {args.cache} is consistent: {rows} rows, every curve present, every logged trial stored"
          + (f"; {imported:,} imported rows (no curves: measured elsewhere), their files match their manifests" if imported else ""))
    return 0


def _cache_upgrade(args: argparse.Namespace) -> int:
    from repro.cache.store import SCHEMA_VERSION, Store

    with Store(args.cache):  # a writable open migrates
        pass
    print(f"cache {args.cache} is at schema version {SCHEMA_VERSION}")
    return 0


def _cache_merge(args: argparse.Namespace) -> int:
    from repro.cache.store import Store

    conflicts = 0
    with Store(args.cache) as store:
        for shard_path in args.shards:
            with Store(shard_path, read_only=True) as shard:
                added, identical, clashes = store.merge(shard)
            print(f"{shard_path}: {added} row(s) added, {identical} already here, {len(clashes)} conflict(s)")
            for clash in clashes:
                print(f"  conflict (kept this cache's value): {clash}")
            conflicts += len(clashes)
    return 1 if conflicts else 0


def _reproduce(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from repro.cache.store import Store

    from papers import load

    paper = load(args.paper)
    experiment = paper.reproduce.get_experiment(args.profile)
    with Store(args.cache, read_only=args.on_miss == "error") as store:
        total = paper.reproduce.total_evaluations(experiment)
        with tqdm(total=total, desc=f"{args.paper} {args.profile}", unit="eval", disable=args.no_progress) as bar:
            outcome = paper.reproduce.run(experiment, store, on_miss=args.on_miss, device=args.device,
                                          data_root=args.data_root, on_step=lambda: bar.update(1))  # fmt: skip
    paths = paper.report.write_report(outcome, args.out / args.paper / args.profile)
    for path in paths:
        print(f"wrote {path}")
    return 0


def _judged(name: str, store: Any) -> tuple[Paper, dict[str, Any], dict[str, str], list[Any], list[Any]]:
    """Replay a paper's cached experiments and judge its claims: (paper, outcomes, unavailable, measured, verdicts)."""
    from repro.claims import judge, load_claims

    from papers import load
    from papers.replay import all_measurements, replay_all

    paper = load(name)
    outcomes, unavailable = replay_all(name, paper.reproduce, store)
    measured = all_measurements(paper.claims, outcomes)
    verdicts = [judge(c, measured, unavailable) for c in load_claims(paper.reproduce.HERE / "reported.toml")]
    return paper, outcomes, unavailable, measured, verdicts


def _regress(args: argparse.Namespace) -> int:
    from papers import PAPERS
    from repro.cache.store import Store
    from repro.claims import accept, drift, format_value, ours_text

    names = [args.paper] if args.paper else sorted(PAPERS)
    problems: list[str] = []
    with Store(args.cache, read_only=True) as store:
        for name in names:
            paper, _, _, measured, verdicts = _judged(name, store)
            rows = [(v.claim.id, format_value(v.claim.value), ours_text(v), v.status, v.reason) for v in verdicts]
            print(f"{name}:")
            print(_table(("claim", "reported", "ours", "status", "why"), rows))
            problems += [f"{name}/{v.claim.id}: structural number deviates: {v.reason}"
                         for v in verdicts if v.claim.kind == "structural" and v.status == "deviates"
                         and not v.claim.deviation_why]  # fmt: skip
            golden = paper.reproduce.HERE / "golden.json"
            if args.accept:
                print(f"accepted {len(measured)} values into {accept(measured, golden)}")
            else:
                problems += [f"{name}/{p}" for p in drift(measured, golden)]
    for problem in problems:
        print(f"REGRESSION {problem}", file=sys.stderr)
    print(f"{len(problems)} regression(s)" if problems else "no regressions")
    return 1 if problems else 0


def _report(args: argparse.Namespace) -> int:
    from papers import PAPERS
    from papers.replay import read_reported
    from repro.cache.store import Store
    from repro.claims import verdicts_json
    from repro.report import PaperSection, status_table, update_readme, write_html, write_markdown

    sections = []
    with Store(args.cache, read_only=True) as store:
        for name in sorted(PAPERS):
            paper, outcomes, unavailable, measured, verdicts = _judged(name, store)
            claimed = {v.claim.id for v in verdicts}
            title = read_reported(paper.reproduce.HERE)["title"]
            section = PaperSection(name, title, verdicts, unavailable=unavailable,
                                   findings=[m for m in measured if m.claim_id not in claimed])  # fmt: skip
            for profile, outcome in outcomes.items():
                paths = paper.report.write_report(outcome, args.out / name / profile)
                section.profiles[profile] = paper.reproduce.describe_profile(outcome)
                section.figures[profile] = [p for p in paths if p.suffix == ".png"]
                section.summaries[profile] = next(p for p in paths if p.name == "summary.md")
            sections.append(section)
            claims_path = args.out / name / "claims.json"
            # A paper with no replayable profile has no report folder yet.
            claims_path.parent.mkdir(parents=True, exist_ok=True)
            claims_path.write_text(json.dumps(verdicts_json(verdicts), indent=1) + "\n")
            print(f"wrote {claims_path}")
    for path in (write_markdown(sections, args.out), write_html(sections, args.out)):
        print(f"wrote {path}")
    if args.readme.exists() and update_readme(args.readme, status_table(sections, f"{args.out.as_posix()}/index.md")):
        print(f"updated the status table in {args.readme}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from repro.recipe import PROFILES
    from repro.spaces import SPACES
    from repro.strategies import STRATEGIES, describe

    print("search spaces:")
    for name in SPACES:
        doc = (SPACES.get(name).__doc__ or "").strip().splitlines()[0]
        print(f"  {name:20} {doc}")
    print("strategies:")
    for name in STRATEGIES:
        print(f"  {name:20} {describe(name)}")
    from papers import PAPERS, load

    print("papers (repro reproduce NAME):")
    for name in sorted(PAPERS):
        print(f"  {name:20} {(load(name).reproduce.__doc__ or '').strip().splitlines()[0]}")
    print("profiles:")
    for name in PROFILES:
        r = PROFILES.get(name)
        model = ", ".join(f"{k} {v}" for k, v in r.model_options.items()) or "widths fixed by the space"
        print(f"  {name:20} {r.dataset}, {r.epochs} epochs, {r.optimizer}, {model}, "
              f"train size {r.train_size or 'all'}, val {r.val_size}, test {r.test_size or 'all'}")  # fmt: skip
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``repro`` console script and ``python -m repro``."""
    args = _parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ReproError as exc:
        print(f"repro: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("repro: interrupted; finished evaluations are in the cache: rerun the same command to resume",
              file=sys.stderr)  # fmt: skip
        return 130
