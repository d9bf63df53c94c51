"""``repro reproduce``, ``repro regress``, ``repro report`` and ``repro list``: the papers and what is registered.

This is the one place where repro reaches into ``papers/`` (the papers loader); the library
itself never imports it.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Any

from repro.cli import options

WIDTH = 120
"""The widest line ``repro regress`` prints without ``--wide``."""


def add(commands: Any) -> None:
    """Declare the commands on the top-level subparsers ``commands``."""
    reproduce = commands.add_parser(
        "reproduce",
        help="reproduce a paper's tables and figures (from the cache; training only with --on-miss train)",
        description="Run or replay every search and final training of a paper's experiment and write its figures, "
        "tables and summary under reports/<paper>/<scale>/. By default nothing is trained: a missing cached row "
        "is an error naming it.",
        formatter_class=options.HelpFormatter,
    )
    reproduce.add_argument("paper", help="paper short name (see `repro list`)")
    reproduce.add_argument(
        "--scale",
        default="smoke",
        help="the experiment's scale (each paper's are listed by `repro list`): smoke on the CPU, gpu, paper",
    )
    reproduce.add_argument(
        "--on-miss", choices=("train", "error"), default="error", help="train what the cache lacks, or stop and name it"
    )
    reproduce.add_argument("--out", type=Path, default=Path("reports"), help="reports folder")
    options.add_machine(reproduce)
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
    regress.add_argument(
        "--wide",
        action="store_true",
        help=f"one line per claim with every value in full (by default lines stay within {WIDTH} "
        "characters: long values cut, reasons wrapped below their claim)",
    )
    options.add_cache(regress)
    regress.add_argument("--no-progress", action="store_true", help="no per-paper progress lines on stderr")
    regress.set_defaults(handler=_regress)

    report = commands.add_parser(
        "report",
        help="build reports/index.md and reports/index.html, and the README's status table",
        description="Replay every paper's experiments that the cache holds, regenerate their figures and summaries, "
        "and write one index (Markdown and static HTML) with each paper's claims table, figures and provenance.",
    )
    options.add_cache(report)
    report.add_argument("--out", type=Path, default=Path("reports"), help="reports folder")
    report.add_argument(
        "--readme",
        type=Path,
        default=Path("README.md"),
        help="README whose generated status block is refreshed (skipped if the file is absent)",
    )
    report.add_argument("--no-progress", action="store_true", help="no per-paper progress lines on stderr")
    report.set_defaults(handler=_report)

    listing = commands.add_parser("list", help="list search spaces, strategies and profiles")
    listing.set_defaults(handler=_list)


def _reproduce(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from papers import load
    from repro.context import RunContext

    paper = load(args.paper)
    experiment = paper.reproduce.get_experiment(args.scale)
    with options.open_store(args, read_only=args.on_miss == "error") as store:
        total = paper.reproduce.total_evaluations(experiment)
        with tqdm(total=total, desc=f"{args.paper} {args.scale}", unit="eval", disable=args.no_progress) as bar:
            ctx = RunContext(store, args.on_miss, args.device, args.data_root, on_step=lambda: bar.update(1))
            outcome = paper.reproduce.run(experiment, ctx)
    paths = paper.report.write_report(outcome, args.out / args.paper / args.scale)
    for path in paths:
        print(f"wrote {path}")
    return 0


def _regress(args: argparse.Namespace) -> int:
    from papers import PAPERS
    from papers.judging import accept_values, judge_paper, regressions
    from repro.claims import format_value, ours_text

    names = [args.paper] if args.paper else sorted(PAPERS)
    problems: list[str] = []
    steps = options.Steps("regress", len(names), enabled=not args.no_progress)
    cut = False
    with options.open_store(args, read_only=True) as store:
        for name in names:
            steps(name)
            judged = judge_paper(name, store)
            rows = [
                (v.claim.id, v.status, format_value(v.claim.value), ours_text(v), v.reason) for v in judged.verdicts
            ]
            print(f"{name}:")
            if args.wide:
                print(options.table(("claim", "status", "reported", "ours", "why"), rows))
                continue
            # Narrow: each claim's reason wrapped on the lines below it; values longer than 32 characters are cut.
            lines = options.table(("claim", "status", "reported", "ours"), [r[:4] for r in rows], (None, None, 32, 32))
            header, *table_rows = lines.splitlines()
            cut = cut or any(len(str(v)) > 32 for r in rows for v in r[2:4])
            print(header)
            for line, row in zip(table_rows, rows):
                print(options.clip(line, WIDTH))
                print("\n".join(textwrap.wrap(row[4], WIDTH, initial_indent="    ", subsequent_indent="    ")))
            if args.accept:
                print(f"accepted {len(judged.measured)} values into {accept_values(judged)}")
            problems += regressions(judged, include_drift=not args.accept)
    for problem in problems:
        print(f"REGRESSION {problem}", file=sys.stderr)
    print(f"{len(problems)} regression(s)" if problems else "no regressions")
    if cut:
        print("(values cut at …: `repro regress --wide` prints them in full, one line per claim)")
    return 1 if problems else 0


def _report(args: argparse.Namespace) -> int:
    from papers import PAPERS
    from papers.judging import write_reports

    steps = options.Steps("report", len(PAPERS), enabled=not args.no_progress)
    with options.open_store(args, read_only=True) as store:
        for path in write_reports(store, args.out, args.readme, on_paper=steps):
            print(f"wrote {path}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from repro.recipe import PROFILES
    from repro.search.strategies import STRATEGIES, describe
    from repro.spaces import SPACES

    print("search spaces:")
    for name in SPACES:
        print(f"  {name:20} {_first_line(SPACES.get(name).__doc__)}")
    print("strategies:")
    for name in STRATEGIES:
        print(f"  {name:20} {_first_line(describe(name))}")
    from papers import PAPERS, load

    print("papers (repro reproduce NAME --scale SCALE):")
    for name in sorted(PAPERS):
        reproduce = load(name).reproduce
        print(f"  {name:20} {_first_line(reproduce.__doc__)}")
        print(f"  {'':20} scales: {', '.join(reproduce.EXPERIMENTS)}")
    print("profiles (training recipes: repro search|evaluate|compare --profile NAME):")
    for name in PROFILES:
        r = PROFILES.get(name)
        model = ", ".join(f"{k} {v}" for k, v in r.model_options.items()) or "widths fixed by the space"
        print(
            f"  {name:20} {r.dataset}, {r.epochs} epoch{'s' * (r.epochs != 1)}, {r.optimizer}, {model}, "
            f"train size {r.train_size or 'all'}, val {r.val_size}, test {r.test_size or 'all'}"
        )
    return 0


def _first_line(doc: str | None) -> str:
    """A docstring's first line as plain text (reStructuredText roles and backquotes dropped)."""
    import re

    line = (doc or "").strip().splitlines()[0] if (doc or "").strip() else ""
    return re.sub(
        r":\w+:`~?([^`]*)`|``([^`]*)``|`([^`]*)`", lambda m: next(g for g in m.groups() if g is not None), line
    )
