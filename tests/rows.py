"""Rows that pass a merge's verification: real keys (hashes of the genome text and the recipe), a matching curve."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from repro.cache.curves import CURVES_DIR, CurveFiles
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


# -- a cache's curve files, as damage or a hand-made shard leaves them ----------------------------------------


def segments(root: Path) -> list[Path]:
    """The curve segment files of the cache folder ``root``, oldest first."""
    return sorted((Path(root) / CURVES_DIR).glob("seg-*.h5"))


def curve_files(root: Path) -> dict[str, bytes]:
    """Every curve file of ``root`` by name, with its bytes (to show that nothing changed)."""
    return {file.name: file.read_bytes() for file in segments(root)}


def write_curve(root: Path, path: str, curve: np.ndarray) -> None:
    """Store a curve at ``path`` with no row (an orphan, or half of a hand-made row)."""
    CurveFiles(Path(root)).write([(path, curve)])


def alter_curve(root: Path, path: str, epoch: int, column: int, value: float) -> None:
    """Change one number of a stored curve inside its file, as damage or a hand edit would."""
    import h5py

    files = CurveFiles(Path(root))
    files.refresh()
    file = files.where(path)
    assert file is not None, f"no curve at {path}"
    with h5py.File(file, "r+") as f:
        index = f["paths"].asstr()[()].tolist().index(path)
        f["values"][f["bounds"][index] + epoch, column] = value


def drop_curves(root: Path, prefix: str) -> None:
    """Rewrite every segment of ``root`` without the curves whose path starts with ``prefix`` (curves lost)."""
    import h5py

    for file in segments(root):
        with h5py.File(file, "r") as f:
            paths, bounds, values = f["paths"].asstr()[()].tolist(), f["bounds"][()], f["values"][()]
        kept = [(p, values[bounds[i] : bounds[i + 1]]) for i, p in enumerate(paths) if not p.startswith(prefix)]
        file.unlink()
        if kept:
            CurveFiles(Path(root)).write(kept)


def to_legacy_curves(root: Path) -> None:
    """Move ``root``'s curves into schema version 3's layout: one ``curves.h5``, a dataset per curve at its path."""
    import shutil

    import h5py

    files = CurveFiles(Path(root))
    with h5py.File(Path(root) / "curves.h5", "w") as f:
        for path, (curve, _) in files.everything().items():
            f.create_dataset(path, data=curve)
    shutil.rmtree(files.folder)
