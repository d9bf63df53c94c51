"""The records every part of repro exchanges: a request for an evaluation and the one result shape.

A result is an :class:`Evaluation` whichever path served it (a cached row, a training run here, a
row imported from a public table, a surrogate's prediction), as NAS-Bench-101's ``query`` and
``evaluate`` return the same dict. :class:`Request` names what is asked for; :class:`Ready` pairs
a result with how it was served. These types import nothing of repro's, so the store, the
evaluator, the executors and the trainer can all depend on them without depending on each other.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from repro.errors import ReproError

METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc")
MEASURED = ("ok", "invalid", "failed")
"""The statuses of stored rows; anything else (a surrogate's ``predicted``) is never stored."""
CURVE_COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc")
MAX_INT = 2**31 - 1
"""The largest seed, budget or step the cache can store (its columns are 32-bit integers)."""
"""The columns of a per-epoch learning curve, as the trainer records and the store keeps it. ``train_*`` are
running means over the epoch's batches (dropout on)."""


@dataclass(frozen=True)
class Request:
    """One evaluation asked for: an architecture (by canonical key and text) under a recipe and training seed."""

    space: str
    genome_key: str
    recipe_key: str
    train_seed: int
    genome: str


@dataclass(frozen=True)
class Evaluation:
    """One measured (or invalid) architecture: the same record whether it came from the cache or training.

    ``status`` is ``ok``, ``invalid`` (cannot be built) or ``failed`` (training broke down, e.g. a NaN
    loss); for the last two ``reason`` says why and the metrics are None. A surrogate serves
    ``predicted`` records (only the predicted metric set), which are never stored.
    """

    space: str
    genome_key: str
    recipe_key: str
    train_seed: int
    genome: str
    status: str
    reason: str | None = None
    train_loss: float | None = None
    train_acc: float | None = None
    val_loss: float | None = None
    val_acc: float | None = None
    test_loss: float | None = None
    test_acc: float | None = None
    params: int | None = None
    macs: int | None = None
    epochs: int | None = None
    train_seconds: float | None = None
    device: str | None = None
    code_version: str | None = None
    libraries: str | None = None
    created_at: dt.datetime | None = None
    source: str | None = None
    """Where an imported row comes from: ``<table>/<source file>`` (None for rows trained here)."""
    source_arch: str | None = None
    """The source's own name of the architecture (e.g. the NAS-Bench-201 string it trained)."""
    source_seed: int | None = None
    """The source's training seed (its index or number); None when the values are a seed mean."""
    seed_mean: bool = False
    """True when the source gives the metrics only as a mean over its training seeds (never a seed)."""

    @property
    def imported(self) -> bool:
        """Whether the row is a measurement imported from a public table rather than trained here."""
        return self.source is not None

    def value(self, metric: str) -> float:
        """The named metric, NaN for an invalid architecture (which has no accuracy, not 0%)."""
        if metric not in METRICS:
            raise ReproError(f"unknown metric {metric!r}; choose one of: {', '.join(METRICS)}")
        v = getattr(self, metric)
        return math.nan if v is None else float(v)


@dataclass(frozen=True)
class Ready:
    """An evaluation available now, and how it was served (``cache``, ``train``, ``invalid``, ``surrogate``,
    ``failed`` or ``oom``)."""

    evaluation: Evaluation
    served_by: str
