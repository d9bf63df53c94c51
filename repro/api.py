"""A Python API for notebooks: open a cache, ask for an architecture under a recipe, get one flat record.

    >>> from repro.api import open_cache
    >>> bench = open_cache("cache")
    >>> r = bench.query("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
    ...                 "nb201-cifar10-200ep")
    >>> r["served_by"], r["rows"], round(r["test_acc_mean"], 4)
    ('imported', 1, 0.9391)

The record has the same keys whether its rows were imported (a public table's measurements),
trained here, or predicted by the surrogate (``served_by`` says which; a prediction has no seeds and
its ``reason`` names the surrogate's held-out quality). Per-row values are lists in row order, so
every seed, metric and provenance is there; ``<metric>_mean`` averages the rows that have it.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repro.cache.store import Store
from repro.cache.table import CachedTable
from repro.data.datasets import get_spec
from repro.errors import ReproError
from repro.recipe import get_profile
from repro.records import METRICS, Evaluation, Request
from repro.spaces import get_space
from repro.surrogate import Surrogate

ROW_FIELDS = (
    "train_seed",
    *METRICS,
    "params",
    "train_seconds",
    "status",
    "source",
    "source_arch",
    "source_seed",
    "seed_mean",
    "device",
    "code_version",
)
"""Per-row fields of a record, each a list in row order."""


@dataclass
class Benchmark:
    """An open cache (read-only) queried by architecture and profile."""

    store: Store

    def query(self, architecture: Any, profile: str, space: str = "nb201", predict: bool = False) -> dict[str, Any]:
        """Every row of ``architecture`` (a genome, its JSON, or for nb201 an NB201 string) under ``profile``.

        With ``predict`` an architecture without rows is predicted (val_acc) by the surrogate fit on
        the profile's rows, flagged ``served_by: "predicted"`` (one found invalid by the space's exact check
        is ``"none"`` with status ``invalid``); without it, ``rows`` is 0.
        """
        s = get_space(space)
        genome = _genome(s, architecture)
        form = s.canonical(genome)
        recipe = get_profile(profile)
        table = CachedTable(self.store, s.name, recipe.key)
        rows = table.rows_of(form.key)
        served = "imported" if rows and rows[0].imported else "trained" if rows else "none"
        if not rows and predict:
            spec = get_spec(recipe.dataset)
            surrogate = Surrogate(s, table, "val_acc", spec.input_shape, spec.num_classes, recipe.model_options)
            ready = surrogate.serve(genome, Request(s.name, form.key, recipe.key, 0, form.text))
            rows = [ready.evaluation]
            served = "predicted" if ready.served_by == "surrogate" else "none"
        return _record(s.describe(genome), form.key, space, profile, recipe.key, served, rows)


def _genome(space: Any, architecture: Any) -> Any:
    """A genome from itself, its JSON text, or a bare string such as an NB201 cell string."""
    if not isinstance(architecture, str):
        return architecture
    try:
        return space.from_json(architecture)
    except ReproError:
        return space.from_json(json.dumps(architecture))


def _record(
    arch: str, key: str, space: str, profile: str, recipe_key: str, served: str, rows: list[Evaluation]
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "architecture": arch,
        "genome_key": key,
        "space": space,
        "profile": profile,
        "recipe_key": recipe_key,
        "served_by": served,
        "rows": len(rows),
        "reason": rows[0].reason if rows else None,
    }
    for f in ROW_FIELDS:
        record[f] = [getattr(e, f) for e in rows]
    for m in METRICS:
        values = [v for v in record[m] if v is not None and not math.isnan(v)]
        record[f"{m}_mean"] = statistics.fmean(values) if values else None
    return record


def open_cache(path: str | Path = "cache", local: str | Path | None = None) -> Benchmark:
    """Open the cache folder read-only (its imported tables included), with your ``local`` cache
    (e.g. ``"cache/local"``, where the command line writes your trainings) read on top of it."""
    if local is None:
        return Benchmark(Store(path, read_only=True))
    return Benchmark(Store(local, read_only=True, shipped=path))


__all__ = ["Benchmark", "ROW_FIELDS", "open_cache"]
