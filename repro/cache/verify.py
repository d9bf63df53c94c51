"""The checks a row must pass before the store trusts it: well-formed keys, keys that hash to what they
name, a measured status, a consistent curve, the same data as its recipe's other rows.

:meth:`repro.cache.store.Store.put` trusts its caller (the evaluator computed the keys itself) and
checks only what could corrupt *other* rows; :meth:`~repro.cache.store.Store.merge` reads rows
written elsewhere, so every row of a shard passes :func:`refusal` first.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

import numpy as np

from repro.errors import ReproError
from repro.records import MEASURED, METRICS

_HEX = {"genome_key": re.compile(r"[0-9a-f]{32}"), "recipe_key": re.compile(r"[0-9a-f]{16}")}
_SPACE = re.compile(r"[a-z0-9][a-z0-9_-]*")


def curve_checksum(curve: np.ndarray) -> str:
    """SHA-256 of a curve's shape and float64 little-endian values: any changed number changes it."""
    values = np.ascontiguousarray(curve, dtype="<f8")
    return hashlib.sha256(json.dumps(values.shape).encode() + values.tobytes()).hexdigest()


def require_path_parts(space: str, genome_key: str, recipe_key: str) -> None:
    """Refuse key parts that would address another row's curve (HDF5 reads ``a//b`` as ``a/b``, ``.`` as here)."""
    for name, part in (("space", space), ("genome key", genome_key), ("recipe key", recipe_key)):
        if not part or part == "." or "/" in part:
            raise ReproError(
                f"the {name} {part!r} cannot name a curve (empty, '.' or containing '/'); "
                "a row's key parts are plain names"
            )


def recipe_key_of(recipe_json: str) -> str:
    """The key a recipe's JSON text hashes to (as :attr:`repro.recipe.Recipe.key` computes it)."""
    return hashlib.sha256(recipe_json.encode()).hexdigest()[:16]


def refusal(row: dict[str, Any], recipe_json: str | None, curve: np.ndarray | None) -> str | None:
    """Why a row written elsewhere must not be stored here (one short reason), or None when it is sound.

    ``row`` holds the evaluation's columns, ``genome`` and ``curve_sha256``; ``recipe_json`` is its
    recipe as the other cache stores it; ``curve`` its stored curve, if any.
    """
    from repro.spaces.base import canonical_key  # the spaces package loads torch: only a merge needs it

    if not _SPACE.fullmatch(row["space"] or ""):
        return "space name malformed"
    for part, pattern in _HEX.items():
        if not pattern.fullmatch(row[part] or ""):
            return f"{part.replace('_', ' ')} malformed (not {pattern.pattern} hex)"
    if row["status"] not in MEASURED:
        return f"status {row['status']!r} is not a measurement"
    if recipe_json is None:
        return "recipe missing"
    if recipe_key_of(recipe_json) != row["recipe_key"]:
        return "recipe does not hash to its key"
    if row["genome"] is None:
        return "genome text missing"
    if canonical_key(row["space"], row["genome"]) != row["genome_key"]:
        return "genome text does not hash to its key"
    metrics = [row[m] for m in METRICS]
    if row["status"] != "ok":
        return (
            None
            if row["reason"] and curve is None and all(m is None for m in metrics)
            else f"status {row['status']} needs a reason, no metrics and no curve"
        )
    if any(m is None for m in metrics):
        return "status ok but metrics missing"
    if curve is None:
        return "curve missing"
    if row["curve_sha256"] != curve_checksum(curve):
        return "curve checksum differs from the row's"
    if len(curve) != row["epochs"] or not math.isclose(curve[-1, -1], row["val_acc"], abs_tol=1e-12):
        return "curve disagrees with the row (epochs or last val_acc)"
    return None


def data_mismatch(recipe_key: str, recorded: str, found: str) -> ReproError:
    """The error for training data that differs from what a recipe's stored rows were trained on."""
    return ReproError(
        f"recipe {recipe_key}: this data has fingerprint {found}, but the cache's rows of this recipe were trained "
        f"on data with fingerprint {recorded}; restore the dataset files the recipe's rows were trained on, or "
        "train into another cache (--cache) so the two are never mixed"
    )
