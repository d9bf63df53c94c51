"""Reader for the CIFAR-10/100 "python version" distribution (pickled batches), never downloading.

The files are Python pickles; they are read with an unpickler that only builds the few numpy
types the official batches contain, so a tampered file cannot run code.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from repro.errors import ReproError

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _NumpyOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def read_batch(path: Path, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (uint8 N×3×32×32) and labels (int64) of one pickled CIFAR batch; ``label_key`` e.g. ``fine_labels``."""
    try:
        with open(path, "rb") as handle:
            batch = _NumpyOnly(handle, encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[label_key.encode()], dtype=np.int64)
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as exc:
        raise ReproError(
            f"CIFAR batch {path} is unreadable or not in the python-pickle format ({exc}); "
            "replace it with the file from the official cifar-*-python.tar.gz"
        ) from None
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise ReproError(
            f"CIFAR batch {path}: data of shape {data.shape} with {len(labels)} labels; expected N×3072 and N"
        )
    return data.reshape(-1, 3, 32, 32), labels


def read_cifar(train: list[Path], test: list[Path], label_key: str) -> tuple[np.ndarray, ...]:
    """Train images, train labels, test images, test labels from the batch files, in file order."""
    out = []
    for paths in (train, test):
        parts = [read_batch(p, label_key) for p in paths]
        out += [np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts])]
    return tuple(out)
