"""Options shared by several commands, declared once, and the plain-text table every command prints."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from repro.cache.store import Store

SHIPPED_CACHE = os.environ.get("REPRO_SHIPPED_CACHE", "cache")
"""The cache shipped with the repository: read beneath every --cache, written only when named by --cache itself."""
DEFAULT_CACHE = os.environ.get("REPRO_CACHE", os.path.join(SHIPPED_CACHE, "local"))
"""Your own cache (git-ignored): every training, run and trial log of yours goes here."""


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


def add_cache(
    parser: argparse.ArgumentParser,
    help: str = f"your cache folder, written to and read on top of the shipped cache (env REPRO_CACHE; default {DEFAULT_CACHE})",
    stacked: bool = True,
    default: str = DEFAULT_CACHE,
) -> None:
    """``--cache`` (the writable layer) and, when ``stacked``, ``--no-shipped`` (do not read the shipped cache beneath it)."""
    parser.add_argument("--cache", default=default, help=help)
    if not stacked:
        return
    parser.add_argument("--no-shipped", dest="shipped", action="store_const", const=None, default=SHIPPED_CACHE,
                        help=f"read --cache alone, not stacked on the shipped cache {SHIPPED_CACHE} "
                        "(env REPRO_SHIPPED_CACHE)")  # fmt: skip


def open_store(args: argparse.Namespace, read_only: bool) -> Store:
    """The store the command-line options name: ``--cache`` over the shipped cache (unless ``--no-shipped``)."""
    from repro.cache.store import METRICS_FILE, Store

    named = os.path.abspath(args.cache) != os.path.abspath(DEFAULT_CACHE)
    # Your default cache may not exist yet (nothing trained), but a folder you name must: read
    # alone, a missing one is refused with "no cache at ...".
    missing = named and read_only and not os.path.exists(os.path.join(args.cache, METRICS_FILE))
    return Store(args.cache, read_only=read_only, shipped=None if missing else args.shipped)


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
