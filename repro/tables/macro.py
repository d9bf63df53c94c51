"""NAS-Bench-Macro's CIFAR-10 table (xiusu/NAS-Bench-Macro, Apache-2.0), read and checked; nothing is stored.

The file ships at :data:`SHIPPED` with its attribution (``SOURCE.md`` beside it). Each record is
one architecture key's three seeds' test accuracies (%, each the best over 50 epochs, as the
authors' ``train/train.py`` records it), their mean and numpy standard deviation (ddof 0), and the
parameter and FLOPs counts of the network (see :mod:`repro.spaces.macro` for the conventions).
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from pathlib import Path

from repro.errors import ReproError
from repro.spaces.macro import check_genome

SHIPPED = Path(__file__).resolve().parents[2] / "cache" / "imported" / "sources" / "nas-bench-macro" / "nas-bench-macro_cifar10.json.gz"  # fmt: skip
"""The shipped copy of the authors' ``data/nas-bench-macro_cifar10.json`` (gzip)."""


@dataclass(frozen=True)
class MacroRecord:
    """One architecture key of the table."""

    test_acc: tuple[float, ...]
    """Test accuracy (%) of each of the three trainings (seeds 0, 1, 2)."""
    mean_acc: float
    std: float
    params: int
    flops: int


def read_macro_table(path: Path | str = SHIPPED) -> dict[str, MacroRecord]:
    """Every key of the table -> its record; a malformed file is a ReproError naming the key and the problem."""
    try:
        with gzip.open(path, "rt") as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        raise ReproError(f"cannot read the NAS-Bench-Macro table {path}: {exc}; restore it from git ({SHIPPED.name})") from None
    if not isinstance(data, dict) or len(data) != 3**8:
        raise ReproError(f"{path}: expected a JSON object with 6,561 architecture keys, got {type(data).__name__} "
                         f"of {len(data)}")  # fmt: skip
    table = {}
    for key, value in data.items():
        try:
            check_genome(key)
            record = MacroRecord(tuple(float(a) for a in value["test_acc"]), float(value["mean_acc"]),
                                 float(value["std"]), int(value["params"]), int(value["flops"]))  # fmt: skip
        except (ReproError, KeyError, TypeError, ValueError) as exc:
            raise ReproError(f"{path}: entry {key!r} is malformed ({exc})") from None
        accs = record.test_acc
        mean = sum(accs) / len(accs)
        std = math.sqrt(sum((a - mean) ** 2 for a in accs) / len(accs))
        if len(accs) != 3 or not math.isclose(mean, record.mean_acc, abs_tol=1e-6) or not math.isclose(std, record.std, abs_tol=1e-6):
            raise ReproError(f"{path}: entry {key!r} has test_acc {accs} that do not give its mean {record.mean_acc} "
                             f"and std {record.std}")  # fmt: skip
        table[key] = record
    return table


__all__ = ["SHIPPED", "MacroRecord", "read_macro_table"]
