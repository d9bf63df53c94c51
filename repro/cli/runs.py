"""``repro search``, ``repro evaluate`` and ``repro compare``: running strategies and architectures through the cache."""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repro.cli import options
from repro.errors import ReproError

if TYPE_CHECKING:
    from repro.recipe import Recipe
    from repro.search.loop import SearchResult
    from repro.spaces.base import SearchSpace


def add(commands: Any) -> None:
    """Declare the commands on the top-level subparsers ``commands``."""
    search = commands.add_parser(
        "search",
        help="run an architecture search (replaying from the cache, training what is missing)",
        description="Run a search: the strategy proposes architectures, each is looked up in the cache by its "
        "canonical hash and the recipe hash, and trained (GPU if present) only on a miss. Rerunning the same "
        "command replays the same trajectory; an interrupted run resumes where it stopped.",
        formatter_class=options.HelpFormatter,
    )
    search.add_argument("--space", default="remnet", help="search space (see `repro list`)")
    search.add_argument("--strategy", default="re", help="search strategy (see `repro list`)")
    search.add_argument(
        "--budget", type=options.positive, default=60, help="number of evaluations, invalid ones included"
    )
    search.add_argument("--seed", type=options.seed, default=0, help="search seed: fixes the whole trajectory")
    options.add_run(search)
    search.add_argument(
        "--on-miss",
        choices=("train", "error"),
        default="train",
        help="what to do when the cache lacks an evaluation: train it, or stop and name it",
    )
    options.add_machine(search)
    search.add_argument(
        "--executor",
        default="inprocess",
        choices=("inprocess", "pool", "ray", "simulated"),
        help="where training runs: this process; a local process pool; a Ray cluster; or a simulated clock that "
        "replays the cache as if --workers machines had trained it (using each row's recorded seconds)",
    )
    search.add_argument(
        "--workers",
        type=options.positive,
        default=1,
        help="evaluations in flight at once (asynchronous search when > 1)",
    )
    search.add_argument("--address", help="Ray cluster address (default: start a local Ray instance)")
    search.add_argument(
        "--gpus-per-eval", type=options.positive_float, default=1.0, help="fraction of a GPU per Ray task"
    )
    search.add_argument("--output", type=Path, help="also write the trajectory as JSON to this file")
    search.set_defaults(handler=_search)

    evaluate = commands.add_parser(
        "evaluate",
        help="evaluate one architecture through the cache (training it if missing)",
        description="Look up (or train) one architecture under a profile, for one or more training seeds. The "
        "genome is JSON, as `repro search --output` writes it or as the cache stores it (canonical form), given "
        "inline or as @FILE.",
        formatter_class=options.HelpFormatter,
    )
    evaluate.add_argument("genome", help="genome JSON, or @path/to/genome.json")
    evaluate.add_argument("--space", default="remnet", help="search space (see `repro list`)")
    options.add_recipe(evaluate)
    evaluate.add_argument("--seeds", default="0", help="training seeds: 0-4 or 0,2,5")
    evaluate.add_argument(
        "--on-miss", choices=("train", "error"), default="train", help="train what is missing, or stop"
    )
    options.add_machine(evaluate)
    evaluate.set_defaults(handler=_evaluate)

    compare = commands.add_parser(
        "compare",
        help="compare strategies over many seeds on the cache: leaderboard, anytime curves, tests vs random search",
        description="Run every strategy with every seed against the cache and write a leaderboard (mean/median best "
        "found, average rank, Mann-Whitney p with Holm correction and A12 against the baseline, cache coverage) as "
        "Markdown, JSON and an anytime figure under reports/compare/. With --on-miss surrogate, architectures the "
        "cache lacks get a gradient-boosting prediction fit on the cache: flagged everywhere, never stored.",
        formatter_class=options.HelpFormatter,
    )
    compare.add_argument("--space", default="remnet", help="search space (see `repro list`)")
    compare.add_argument(
        "--strategies", default="re,rs-mutation,rs", help="comma-separated strategies (see `repro list`)"
    )
    compare.add_argument("--seeds", default="0-4", help="search seeds: a range 0-99, a list 0,1,5, or both")
    compare.add_argument(
        "--budget", type=options.positive, default=60, help="evaluations per run, invalid ones included"
    )
    compare.add_argument("--baseline", default="rs", help="the strategy every other one is tested against")
    compare.add_argument(
        "--workers",
        type=options.positive,
        help="run every search asynchronously on a simulated clock of this many workers (cached rows "
        "only) and add anytime curves over simulated time",
    )
    options.add_run(compare)
    compare.add_argument(
        "--on-miss",
        choices=("error", "train", "surrogate"),
        default="error",
        help="when the cache lacks an evaluation: stop and name it, train it, or predict it with a surrogate fit "
        "on the cache (flagged in every output, never stored)",
    )
    options.add_machine(compare)
    compare.add_argument(
        "--time-budget",
        type=options.positive_float,
        dest="time_budget",
        help="bound each run by simulated seconds of the rows' recorded training times (NAS-Bench-201: "
        "12000) instead of --budget evaluations, which then only caps them; replays cached rows only",
    )
    compare.add_argument(
        "--final",
        default="",
        help="comma list of PROFILE:METRIC the architecture each run ends with is valued by (e.g. "
        "nb201-cifar10-200ep:test_acc); the first one is ranked and tested",
    )
    compare.add_argument(
        "--out", type=Path, help="report folder (default: reports/compare/<space-profile-budget-seeds-miss>)"
    )
    compare.set_defaults(handler=_compare)


def _search(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from repro.evaluator import Evaluator
    from repro.executors import make_executor
    from repro.recipe import get_profile
    from repro.search.loop import Trial, run_search
    from repro.search.strategies import strategy_params
    from repro.spaces import get_space

    space = get_space(args.space)
    recipe = get_profile(args.profile, epochs=args.epochs, channels=args.channels)
    strategy_params(args.strategy, **options.strategy_params(args))  # a bad name or parameter fails before any work
    if args.executor == "simulated" and args.on_miss != "error":
        raise ReproError("--executor simulated replays the cache only: add --on-miss error")
    started = time.perf_counter()
    with options.open_store(args, read_only=args.on_miss == "error") as store:
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

        evaluator = Evaluator(
            space, recipe, store, on_miss=args.on_miss, device=args.device, data_root=args.data_root, on_epoch=on_epoch
        )
        executor = make_executor(
            args.executor, args.workers, on_epoch=on_epoch, address=args.address, gpus_per_job=args.gpus_per_eval
        )
        try:
            result = run_search(
                args.strategy,
                evaluator,
                args.budget,
                args.seed,
                args.metric,
                options.strategy_params(args),
                on_step=on_step,
                executor=executor,
            )
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
    from repro.evaluator import MissingEvaluations
    from repro.recipe import get_profile
    from repro.spaces import get_space

    space = get_space(args.space)
    recipe = get_profile(args.profile, epochs=args.epochs, channels=args.channels)
    seeds = compare.parse_seeds(args.seeds)
    strategies = compare.parse_strategies(args.strategies, args.baseline)
    started = time.perf_counter()
    # Only training writes: a replay or a surrogate run must not be able to change the cache.
    with options.open_store(args, read_only=args.on_miss != "train") as store:
        with tqdm(total=len(strategies) * len(seeds), desc="compare", unit="run", disable=args.no_progress) as bar:
            try:
                result = compare.run_comparison(
                    space,
                    recipe,
                    store,
                    strategies,
                    seeds,
                    args.budget,
                    baseline=args.baseline,
                    metric=args.metric,
                    on_miss=args.on_miss,
                    params=options.strategy_params(args),
                    device=args.device,
                    data_root=args.data_root,
                    on_run=lambda run: bar.update(1),
                    workers=args.workers,
                    time_budget=args.time_budget,
                    final=[f for f in args.final.split(",") if f],
                )
            except MissingEvaluations as exc:
                raise ReproError(_miss_hint(store, exc)) from None
    elapsed = time.perf_counter() - started
    folder = args.out or Path("reports") / "compare" / compare.default_name(result)
    paths = compare.write_report(result, folder)
    print(
        f"{len(strategies)} strategies x {len(seeds)} seeds x {args.budget} evaluations on {args.space} "
        f"(profile {recipe.profile}, recipe {recipe.key}) in {elapsed:.1f}s"
    )
    for row in sorted(result.rows, key=lambda r: r.mean_rank):
        versus = "" if row.p_holm is None else f", A12 vs {args.baseline} {row.a12:.2f}, Holm p {row.p_holm:.3g}"
        finals = "".join(f", {label} {m:.4f} ± {sd:.4f}" for label, (m, sd) in row.final.items())
        print(
            f"  {row.strategy:12} mean best {args.metric} {row.mean_best:.4f}{finals}, average rank {row.mean_rank:.2f}"
            f"{versus}; served {', '.join(f'{k} {v}' for k, v in row.coverage.items())}"
        )
    note = compare.surrogate_note(result)
    if note:
        print(note)
    for path in paths:
        print(f"wrote {path}")
    return 0


def _miss_hint(store: Any, exc: Any) -> str:
    """What a comparison that met an uncached architecture can do instead, with what training would cost."""
    first = exc.missing[0]
    seconds = store.query(
        "SELECT avg(train_seconds) FROM evaluations WHERE recipe_key = ? AND status = 'ok'", [first.recipe_key]
    )[1][0][0]
    cost = (
        f"this recipe's cached rows took {seconds:.1f}s each to train"
        if seconds
        else "no row of this recipe is cached yet"
    )
    return (
        f"{first.space}/{first.genome_key} (seed {first.train_seed}) is not in the cache for recipe {first.recipe_key}; "
        "add --on-miss surrogate to predict what is missing (seconds; flagged everywhere, never stored), or "
        f"--on-miss train to train it ({cost}; a comparison of many seeds trains thousands)"
    )


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
    print(
        f"profile {recipe.profile} (recipe {recipe.key}): {recipe.dataset}, {recipe.epochs} epochs, "
        f"channels {recipe.model_options.get('channels')}, train size {recipe.train_size or 'all'}; run {result.run_id}"
    )
    seconds = result.seconds
    clock = (
        f"simulated wall-clock {seconds['wall']:.1f}s"
        if args.executor == "simulated"
        else f"wall {seconds['wall']:.1f}s"
    )
    print(
        f"time: {clock} with {args.workers} worker(s) ({args.executor}); strategy {seconds['strategy']:.2f}s; "
        f"lookups {seconds['lookup']:.2f}s"
    )
    best = result.best
    if best is None:
        print("no valid architecture found")
        return
    e = best.evaluation
    print(
        f"best {args.metric} {best.value:.4f} at step {best.step} (training seed {e.train_seed}): "
        f"val_acc {_maybe(e.val_acc, '.4f')}, test_acc {_maybe(e.test_acc, '.4f')}, {_maybe(e.params, ',')} params, "
        f"{_maybe(e.macs, ',')} MACs"
    )
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
    from tqdm import tqdm

    from repro.compare import parse_seeds
    from repro.evaluator import Evaluator
    from repro.recipe import get_profile
    from repro.spaces import get_space

    space = get_space(args.space)
    text = args.genome
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ReproError(
                f"cannot read the genome file {text[1:]}: {getattr(exc, 'strerror', None) or exc}"
            ) from None
    recipe = get_profile(args.profile, epochs=args.epochs, channels=args.channels)
    seeds = parse_seeds(args.seeds)  # every input is checked before the first training starts
    genome = space.from_json(text)
    results = []
    with (
        options.open_store(args, read_only=args.on_miss == "error") as store,
        tqdm(total=len(seeds), desc="evaluate", unit="seed", disable=args.no_progress) as bar,
    ):
        current = {"seed": seeds[0]}

        def on_epoch(epoch: int) -> None:
            bar.set_postfix_str(f"seed {current['seed']}: training epoch {epoch}/{recipe.epochs}")

        evaluator = Evaluator(
            space, recipe, store, on_miss=args.on_miss, device=args.device, data_root=args.data_root, on_epoch=on_epoch
        )
        for seed in seeds:
            current["seed"] = seed
            results.append(evaluator.evaluate(genome, seed))
            bar.update(1)
    print(f"{space.describe(genome)}  [key {results[0][0].genome_key}, profile {recipe.profile}, recipe {recipe.key}]")
    rows = [
        (e.train_seed, served, e.status, e.val_acc, e.test_acc, e.params, e.train_seconds, e.reason or "")
        for e, served in results
    ]
    print(options.table(("seed", "served", "status", "val_acc", "test_acc", "params", "train_seconds", "reason"), rows))
    summary = _seed_summary([e for e, _ in results])
    if summary:
        print(summary)
    return 0


def _seed_summary(rows: list[Any]) -> str | None:
    """Mean and sample standard deviation of each accuracy over the rows that trained, or None for fewer than two."""
    import statistics

    ok = [e for e in rows if e.status == "ok"]
    if len(ok) < 2:
        return None
    parts = []
    for metric in ("val_acc", "test_acc"):
        values = [getattr(e, metric) for e in ok if getattr(e, metric) is not None]
        if len(values) >= 2:
            parts.append(f"{metric} {statistics.fmean(values):.4f} ± {statistics.stdev(values):.4f}")
    return f"over {len(ok)} seeds (mean ± sample sd): {', '.join(parts)}" if parts else None
