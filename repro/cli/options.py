"""Options shared by several commands, declared once, and the plain-text table every command prints."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from repro.records import MAX_INT

if TYPE_CHECKING:
    from repro.cache.store import Store

SHIPPED_CACHE = os.environ.get("REPRO_SHIPPED_CACHE", "cache")
"""The cache shipped with the repository: read beneath every --cache, written only when named by --cache itself."""
DEFAULT_CACHE = os.environ.get("REPRO_CACHE", os.path.join(SHIPPED_CACHE, "local"))
"""Your own cache (git-ignored): every training, run and trial log of yours goes here."""
MAX_CHANNELS = 1024
MAX_EPOCHS = 10_000


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr (exit 2), as every other failure of the command line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Defaults shown once: not for options whose help already gives them, for "no value" defaults, or for flags."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or "default" in (action.help or "") or action.nargs == 0:
            return action.help
        return super()._get_help_string(action)


def at_least(
    minimum: int, maximum: int = MAX_INT, why: str = "the cache stores it as a 32-bit integer"
) -> Callable[[str], int]:
    """An argparse type: a whole number in ``minimum..maximum`` (``why`` says where the maximum comes from)."""

    def parse(text: str) -> int:
        if not re.fullmatch(r"\s*[+-]?\d{1,20}\s*", text):  # no float text, no 5,000-digit number
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,} ({why}), got {value:,}")
        return value

    return parse


positive = at_least(1)
seed = at_least(0)
channels = at_least(1, MAX_CHANNELS, "wider layers do not fit one architecture's training")
epochs = at_least(1, MAX_EPOCHS, "more than any paper's protocol")


def positive_float(text: str) -> float:
    """An argparse type: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text!r}")
    return value


def device(text: str) -> str:
    """An argparse type: ``auto`` or a torch device this machine has, checked before any work starts."""
    if text == "auto":
        return text
    import torch

    try:
        parsed = torch.device(text)
    except (RuntimeError, ValueError):
        raise argparse.ArgumentTypeError(f"unknown device {text!r}; use auto, cpu, cuda or cuda:N") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise argparse.ArgumentTypeError(f"{text!r}: this machine has no CUDA GPU; use --device cpu (or auto)")
    if parsed.type == "cuda" and parsed.index is not None and parsed.index >= torch.cuda.device_count():
        raise argparse.ArgumentTypeError(f"{text!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s)")
    if parsed.type not in ("cpu", "cuda"):
        raise argparse.ArgumentTypeError(f"device {text!r} is not supported; use auto, cpu, cuda or cuda:N")
    return text


def cache_folder(text: str) -> str:
    """An argparse type: a cache folder path (it may not exist yet, but it must not be a file)."""
    if not text:
        raise argparse.ArgumentTypeError("empty cache path")
    if Path(text).exists() and not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a cache folder")
    return text


def add_cache(
    parser: argparse.ArgumentParser,
    help: str = f"your cache folder, written to and read on top of the shipped cache (env REPRO_CACHE; default {DEFAULT_CACHE})",
    stacked: bool = True,
    default: str = DEFAULT_CACHE,
) -> None:
    """``--cache`` (the writable layer) and, when ``stacked``, ``--no-shipped`` (do not read the shipped cache beneath it)."""
    parser.add_argument("--cache", type=cache_folder, default=default, help=help)
    if not stacked:
        return
    parser.add_argument(
        "--no-shipped",
        dest="shipped",
        action="store_const",
        const=None,
        default=SHIPPED_CACHE,
        help=f"read --cache alone, not stacked on the shipped cache {SHIPPED_CACHE} (env REPRO_SHIPPED_CACHE)",
    )


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
    parser.add_argument("--epochs", type=epochs, help="override the profile's epochs (changes the recipe key)")
    parser.add_argument("--channels", type=channels, help="override the profile's channels (changes the recipe key)")


def add_run(parser: argparse.ArgumentParser) -> None:
    """Options that decide a run's recipe, objective and strategy parameters (search and compare)."""
    from repro.records import METRICS

    add_recipe(parser)
    parser.add_argument("--metric", default="val_acc", choices=METRICS, help="objective to maximise")
    parser.add_argument(
        "--population", type=positive, dest="population_size", help="population size (re, rs-mutation; default 20)"
    )
    parser.add_argument("--sample-size", type=positive, dest="sample_size", help="tournament size (re; default 5)")
    parser.add_argument("--patience", type=positive, help="non-improving neighbours before a restart (ls; default 20)")


def add_machine(parser: argparse.ArgumentParser, progress: bool = True) -> None:
    """Where the cache, the data and the training device are, and whether to show progress."""
    add_cache(parser)
    parser.add_argument(
        "--device", type=device, default="auto", help="torch device for training: auto, cpu, cuda, cuda:1, ..."
    )
    parser.add_argument("--data-root", help="dataset folder (default: $REPRO_DATA/<dataset>, then the system location)")
    if progress:
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def strategy_params(args: argparse.Namespace) -> dict[str, Any]:
    """The strategy parameters given on the command line (None: the strategy's default)."""
    return {"population_size": args.population_size, "sample_size": args.sample_size, "patience": args.patience}


def table(columns: Sequence[str], rows: Sequence[Sequence[object]], caps: Sequence[int | None] = ()) -> str:
    """Columns aligned with two spaces, floats with four decimals, no trailing spaces.

    ``caps`` gives the widest cell of each column (None or absent: no limit); a longer cell is cut, ending in ``…``.
    """

    def fmt(v: object) -> str:
        return f"{v:.4f}" if isinstance(v, float) else str(v)

    limits = [*caps, *[None] * len(columns)]
    cells = [[_cut(fmt(v), limit) for v, limit in zip(row, limits)] for row in [columns, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells)


def _cut(text: str, width: int | None) -> str:
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def clip(text: str, width: int) -> str:
    """Every line of ``text`` cut to at most ``width`` characters, a cut line ending in ``…``."""
    return "\n".join(_cut(line, width) for line in text.splitlines())


class Steps:
    """Progress of a command over named steps (papers), one line each on stderr: ``repro report: [2/6] nar (41s so far)``."""

    def __init__(self, command: str, total: int, enabled: bool = True) -> None:
        self.command, self.total, self.enabled = command, total, enabled
        self.done = 0
        self.started = time.perf_counter()

    def __call__(self, name: str) -> None:
        """Say that step ``name`` starts."""
        self.done += 1
        if self.enabled:
            print(
                f"repro {self.command}: [{self.done}/{self.total}] {name} ({time.perf_counter() - self.started:.0f}s so far)",
                file=sys.stderr,
                flush=True,
            )
