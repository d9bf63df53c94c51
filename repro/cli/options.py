"""Options shared by several commands, declared once, and the plain-text table every command prints."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from typing import Any

DEFAULT_CACHE = os.environ.get("REPRO_CACHE", "cache")


def at_least(minimum: int) -> Callable[[str], int]:
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


positive = at_least(1)
seed = at_least(0)


def add_cache(parser: argparse.ArgumentParser, help: str = "cache folder (env REPRO_CACHE)") -> None:
    """``--cache``: the cache folder."""
    parser.add_argument("--cache", default=DEFAULT_CACHE, help=help)


def add_recipe(parser: argparse.ArgumentParser) -> None:
    """``--profile`` and the overrides that change a recipe (and so its key)."""
    parser.add_argument("--profile", default="smoke", help="training recipe profile (see `repro list`)")
    parser.add_argument("--epochs", type=positive, help="override the profile's epochs (changes the recipe key)")
    parser.add_argument("--channels", type=positive, help="override the profile's channels (changes the recipe key)")


def add_run(parser: argparse.ArgumentParser) -> None:
    """Options that decide a run's recipe, objective and strategy parameters (search and compare)."""
    from repro.records import METRICS

    add_recipe(parser)
    parser.add_argument("--metric", default="val_acc", choices=METRICS, help="objective to maximise")
    parser.add_argument("--population", type=positive, dest="population_size", help="population size (re, rs-mutation; default 20)")
    parser.add_argument("--sample-size", type=positive, dest="sample_size", help="tournament size (re; default 5)")
    parser.add_argument("--patience", type=positive, help="non-improving neighbours before a restart (ls; default 20)")


def add_machine(parser: argparse.ArgumentParser, progress: bool = True) -> None:
    """Where the cache, the data and the training device are, and whether to show progress."""
    add_cache(parser)
    parser.add_argument("--device", default="auto", help="torch device for training: auto, cpu, cuda, cuda:1, ...")
    parser.add_argument("--data-root", help="dataset folder (default: $REPRO_DATA/<dataset>, then the system location)")
    if progress:
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def strategy_params(args: argparse.Namespace) -> dict[str, Any]:
    """The strategy parameters given on the command line (None: the strategy's default)."""
    return {"population_size": args.population_size, "sample_size": args.sample_size, "patience": args.patience}


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns aligned with two spaces; floats with four decimals."""

    def fmt(v: object) -> str:
        return f"{v:.4f}" if isinstance(v, float) else str(v)

    cells = [[fmt(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)
