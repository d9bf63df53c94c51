"""Command line: ``repro search|evaluate|compare``, ``repro cache ...``, ``repro tables import``, ``repro reproduce|regress|report|list``.

One module per command group (:mod:`~repro.cli.runs`, :mod:`~repro.cli.cache`,
:mod:`~repro.cli.tables`, :mod:`~repro.cli.papers`), each declaring its parsers with the options of
:mod:`~repro.cli.options`; what a command computes lives in the library, the CLI only parses and prints.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from repro import __version__
from repro.cli import cache, options, papers, runs, tables
from repro.errors import ReproError


def _parser() -> argparse.ArgumentParser:
    parser = options.Parser(
        prog="repro",
        description="Neural-architecture-search reproduction harness. Every evaluation is cached by a canonical "
        "architecture hash plus a recipe hash, so searches replay instantly and train only what is new.",
    )
    parser.add_argument("--version", action="version", version=f"repro {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (runs, cache, tables, papers):
        group.add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``repro`` console script and ``python -m repro``."""
    args = _parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ReproError as exc:
        return _fail(str(exc))
    except OSError as exc:  # the environment (a full disk, a file that cannot be read or written), not a bug
        where = f": {exc.filename}" if exc.filename else ""
        return _fail(f"{exc.strerror or exc}{where}")
    except Exception as exc:
        duckdb = sys.modules.get("duckdb")
        if duckdb is None or not isinstance(exc, duckdb.Error):
            raise
        # A cache database damaged past what opening it checks: the store reads it page by page.
        return _fail(
            f"the cache database cannot be read ({exc}); restore it (git checkout -- {args.cache}) or use another --cache"
            if hasattr(args, "cache")
            else f"DuckDB: {exc}"
        )
    except KeyboardInterrupt:
        print(
            "repro: interrupted; finished evaluations are in the cache: rerun the same command to resume",
            file=sys.stderr,
        )
        return 130


def _fail(message: str) -> int:
    """Print ``message`` as the one line of a failed command; its exit status (2)."""
    print(f"repro: error: {' '.join(message.split())}", file=sys.stderr)
    return 2
