"""Per-epoch curves in HDF5 segment files: immutable once written, so a kill never leaves one half-written.

A cache folder keeps its curves in ``curves/``. Each write (one evaluation's curve, or a whole merge's) becomes one
new *segment* file, written under a temporary name and renamed into place once complete and synced: a kill -9 at any
moment leaves every existing segment as it was and at most a temporary file, which the next writer removes. A
segment holds three datasets: ``values`` (every curve's rows stacked, float64, columns
:data:`repro.records.CURVE_COLUMNS`), ``paths`` (each curve's path, ``space/genome/recipe/seed_N``) and ``bounds``
(curve i is ``values[bounds[i]:bounds[i + 1]]``).

Segments are numbered in write order; where two hold the same path (an orphan curve a crash left before its row was
committed, then the retry's), the newer wins. :meth:`CurveFiles.compact` folds a folder's segments into one (written
and renamed the same way, the old files deleted after it: a kill in between leaves copies that the newest already
holds). A writer compacts when it closes, so a folder at rest holds one file, and before a write that would pass
:data:`COMPACT_AT` segments, so a long search keeps at most ``COMPACT_AT`` files.

Why not one HDF5 dataset per curve in one file (schema version 3's ``curves.h5``): HDF5 keeps no journal, so a
kill in the middle of a write could damage the whole file, and creating and reading one object per curve made
8 s and 3 s of a 16 s merge of 20,000 rows (one dataset per segment makes either a single read or write).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repro.errors import ReproError
from repro.records import CURVE_COLUMNS

CURVES_DIR = "curves"
LEGACY_FILE = "curves.h5"
"""Schema version 3's single curves file (one dataset per curve), read only by the migrations."""
COMPACT_AT = 64
"""Segments a folder may hold before the next write folds them into one."""
_WHOLE_READ = 16
"""Curves wanted from one segment above which reading its whole ``values`` beats one read per curve."""


def curve_path(space: str, genome_key: str, recipe_key: str, train_seed: int) -> str:
    """The path naming one row's curve (its key parts hold no ``/``: :func:`repro.cache.verify.require_path_parts`)."""
    return f"{space}/{genome_key}/{recipe_key}/seed_{train_seed}"


def _unreadable(path: Path, exc: BaseException) -> ReproError:
    return ReproError(
        f"{path} is not a readable curve file ({' '.join(str(exc).split())}); restore it (git checkout -- {path}) "
        f"or move it away (the metrics rows stay; `repro cache check` lists rows without curves)"
    )


# h5py's errors for a damaged file or object inside it.
_DAMAGE = (OSError, KeyError, RuntimeError, ValueError, TypeError)


@dataclass(frozen=True)
class _Segment:
    file: Path
    paths: tuple[str, ...]
    bounds: np.ndarray


class CurveFiles:
    """The curve segments of one cache folder ``root``. Callers hold the folder's files lock around each call
    (shared to read, exclusive to write): a reader then never sees a compaction half done."""

    def __init__(self, root: Path) -> None:
        self.folder = Path(root) / CURVES_DIR
        self._segments: dict[str, _Segment] = {}
        self._where: dict[str, tuple[_Segment, int]] = {}

    def refresh(self) -> None:
        """Index the segments now in the folder (each one's paths and bounds, read once); a damaged one is refused
        with one line naming it and the fix."""
        names = sorted(p.name for p in self.folder.glob("seg-*.h5")) if self.folder.is_dir() else []
        if names == list(self._segments):
            return
        self._segments = {name: self._segments.get(name) or self._index(self.folder / name) for name in names}
        self._where = {path: (s, i) for s in self._segments.values() for i, path in enumerate(s.paths)}

    @staticmethod
    def _index(file: Path) -> _Segment:
        import h5py

        try:
            with h5py.File(file, "r") as f:
                paths = tuple(f["paths"].asstr()[()].tolist())
                bounds = np.asarray(f["bounds"][()], dtype=np.int64)
                rows = f["values"].shape[0]
        except _DAMAGE as exc:
            raise _unreadable(file, exc) from None
        if len(bounds) != len(paths) + 1 or bounds[0] != 0 or bounds[-1] != rows or np.any(np.diff(bounds) < 0):
            raise _unreadable(file, ValueError("its bounds do not cut its values into its curves"))
        return _Segment(file, paths, bounds)

    def where(self, path: str) -> Path | None:
        """The segment file holding the curve at ``path`` (as of the last :meth:`refresh`), or None."""
        found = self._where.get(path)
        return None if found is None else found[0].file

    def read(self, paths: Sequence[str]) -> list[np.ndarray | None]:
        """The curves at ``paths`` (None where none is stored), each segment opened once."""
        import h5py

        self.refresh()
        found: list[np.ndarray | None] = [None] * len(paths)
        wanted: dict[Path, list[tuple[int, int]]] = {}
        for i, path in enumerate(paths):
            if path in self._where:
                segment, index = self._where[path]
                wanted.setdefault(segment.file, []).append((i, index))
        for file, items in wanted.items():
            bounds = self._segments[file.name].bounds
            try:
                with h5py.File(file, "r") as f:
                    values = f["values"]
                    if len(items) > _WHOLE_READ:
                        values = values[()]
                    for i, index in items:
                        found[i] = np.asarray(values[bounds[index] : bounds[index + 1]])
            except _DAMAGE as exc:
                raise _unreadable(file, exc) from None
        return found

    def everything(self) -> dict[str, tuple[np.ndarray, Path]]:
        """Every stored curve by path, rows or not, with the segment file it is read from (the newest holding it)."""
        self.refresh()
        paths = list(self._where)
        read = self.read(paths)  # every path indexed has its curve
        return {path: (curve, self._where[path][0].file) for path, curve in zip(paths, read) if curve is not None}

    def write(self, curves: Sequence[tuple[str, np.ndarray]]) -> Path | None:
        """Store ``(path, curve)`` pairs as one new segment (compacting first when the folder holds
        :data:`COMPACT_AT`); returns its file (None when there was nothing to write)."""
        if not curves:
            return None
        for path, curve in curves:
            if np.ndim(curve) != 2 or np.shape(curve)[1] != len(CURVE_COLUMNS):
                raise ValueError(
                    f"the curve of {path} has shape {np.shape(curve)}; one row per epoch of {CURVE_COLUMNS}"
                )
        self.folder.mkdir(parents=True, exist_ok=True)
        self.refresh()
        if len(self._segments) >= COMPACT_AT:
            self.compact()
        return self._write_new(curves)

    def compact(self) -> int:
        """Fold every segment into one new segment (the newest copy of each path); returns how many were folded."""
        self.refresh()
        folded = list(self._segments)
        if len(folded) < 2:
            return 0
        self._write_new([(path, curve) for path, (curve, _) in self.everything().items()])
        for name in folded:
            (self.folder / name).unlink()
        self.refresh()
        return len(folded)

    def _write_new(self, curves: Sequence[tuple[str, np.ndarray]]) -> Path:
        import h5py

        values = [np.asarray(curve, dtype="<f8") for _, curve in curves]
        number = int(next(reversed(self._segments), "seg-000000.h5")[4:10]) + 1
        final = self.folder / f"seg-{number:06d}.h5"
        temporary = self.folder / f".{final.name}.tmp"
        with h5py.File(temporary, "w") as f:
            f.create_dataset("values", data=np.concatenate(values)).attrs["columns"] = ",".join(CURVE_COLUMNS)
            f.create_dataset("paths", data=[path for path, _ in curves], dtype=h5py.string_dtype())
            f.create_dataset("bounds", data=np.concatenate([[0], np.cumsum([len(v) for v in values])]))
        _sync(temporary)
        os.replace(temporary, final)
        _sync(self.folder)
        self.refresh()
        return final

    def remove(self, file: Path) -> None:
        """Delete one segment this store wrote (a merge that failed after writing its curves takes them back)."""
        file.unlink()
        self.refresh()

    def clean(self) -> list[Path]:
        """Delete the temporary files of writes a kill interrupted (only the folder's writer may call this)."""
        leftovers = sorted(self.folder.glob(".seg-*.h5.tmp")) if self.folder.is_dir() else []
        for file in leftovers:
            file.unlink()
        return leftovers


def _sync(path: Path) -> None:
    """Flush a file's or folder's contents to the disk (a rename is only as durable as what it names)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def legacy_curves(root: Path) -> dict[str, np.ndarray]:
    """Every curve of schema version 3's ``curves.h5`` in ``root`` (one dataset per curve), by path; for the migrations."""
    import h5py

    file = Path(root) / LEGACY_FILE
    if not file.exists():
        return {}
    found: dict[str, np.ndarray] = {}
    try:
        with h5py.File(file, "r") as f:
            f.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    except _DAMAGE as exc:
        raise _unreadable(file, exc) from None
    return found
