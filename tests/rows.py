"""Rows that pass a merge's verification: real keys (hashes of the genome text and the recipe), a matching curve."""

from __future__ import annotations

import numpy as np

from repro.cache.store import Store
from repro.recipe import get_profile
from repro.records import Evaluation
from repro.spaces.base import canonical_key

RECIPE = get_profile("smoke")


_MEASURED = dict(
    status="ok",
    train_loss=1.0,
    train_acc=0.5,
    val_loss=1.0,
    val_acc=0.5,
    test_loss=1.0,
    test_acc=0.5,
    params=1,
    macs=1,
    train_seconds=0.1,
    device="cpu",
    code_version="v",
    libraries="l",
)
"""The numbers of a test row: its metrics and provenance, the same whatever its keys."""


def sound_row(seed: int = 0, genome: str = '{"nodes":[1]}', val_acc: float = 0.5, **changes: object) -> Evaluation:
    """An ok row of the smoke recipe whose keys are what its genome text and recipe hash to."""
    fields = dict(
        _MEASURED,
        space="remnet",
        genome_key=canonical_key("remnet", genome),
        recipe_key=RECIPE.key,
        train_seed=seed,
        genome=genome,
        val_acc=val_acc,
        epochs=2,
    )
    fields.update(changes)
    return Evaluation(**fields)  # type: ignore[arg-type]


def placeholder_row(seed: int = 0, **changes: object) -> Evaluation:
    """An ok one-epoch row with placeholder keys (space ``s``, genome ``k``, recipe ``r``), for the store's
    mechanics where no key is verified (a merge would refuse it: use :func:`sound_row` there)."""
    fields = dict(_MEASURED, space="s", genome_key="k", recipe_key="r", train_seed=seed, genome="{}", epochs=1)
    fields.update(changes)
    return Evaluation(**fields)  # type: ignore[arg-type]


def curve_of(row: Evaluation) -> np.ndarray:
    """A two-epoch curve ending at the row's val_acc."""
    return np.array([[1, 1.2, 0.4, 1.1, 0.45], [2, 1.0, 0.5, 1.0, row.val_acc]])


def put_sound(store: Store, row: Evaluation) -> None:
    """Store ``row`` with its curve under the smoke recipe."""
    store.put(row, RECIPE.to_json(), RECIPE.profile, curve_of(row))
