"""NAS-Bench-Macro's CIFAR-10 table (xiusu/NAS-Bench-Macro, Apache-2.0): read and checked, and imported as rows.

The file ships at :data:`SHIPPED` with its attribution (``SOURCE.md`` beside it). Each record is
one architecture key's three seeds' test accuracies (%, each the best over 50 epochs, as the
authors' ``train/train.py`` records it), their mean and numpy standard deviation (ddof 0), and the
parameter and FLOPs counts of the network (see :mod:`repro.spaces.macro` for the conventions).

:data:`MACRO` imports it (``repro tables import macro``) under the recipe ``macro-cifar10-50ep``:
one row per seed, ``test_acc`` as a fraction, ``params``, and the FLOPs as ``macs`` (the table
counts multiply-accumulates). The authors trained each network once (``get_real_arch`` merges
identities that commute within a stage) and copied its record to every key that builds it, so
only the key that is the network's canonical genome gives rows: 3,969 networks x 3 seeds. The
other keys must hold the same record (else the import stops); a search reaches them through the
canonical key.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from pathlib import Path

from collections.abc import Iterator
from typing import Any

from repro.errors import ReproError
from repro.spaces.macro import MacroSpace, canonical_genome, check_genome
from repro.tables.importer import Measurement, Rows, SourceFile, TableDefinition

SHIPPED = (
    Path(__file__).resolve().parents[2]
    / "cache"
    / "imported"
    / "sources"
    / "nas-bench-macro"
    / "nas-bench-macro_cifar10.json.gz"
)
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
        raise ReproError(
            f"cannot read the NAS-Bench-Macro table {path}: {exc}; restore it from git ({SHIPPED.name})"
        ) from None
    if not isinstance(data, dict) or len(data) != 3**8:
        raise ReproError(
            f"{path}: expected a JSON object with 6,561 architecture keys, got {type(data).__name__} of {len(data)}"
        )
    return {key: check_record(key, value, str(path)) for key, value in data.items()}


def check_record(key: str, value: Any, where: str) -> MacroRecord:
    """One entry as a :class:`MacroRecord`; a malformed one (or one whose mean and std do not follow from its
    three accuracies) is a ReproError naming ``where`` and the key."""
    try:
        check_genome(key)
        record = MacroRecord(
            tuple(float(a) for a in value["test_acc"]),
            float(value["mean_acc"]),
            float(value["std"]),
            int(value["params"]),
            int(value["flops"]),
        )
    except (ReproError, KeyError, TypeError, ValueError) as exc:
        raise ReproError(f"{where}: entry {key!r} is malformed ({exc})") from None
    accs = record.test_acc
    mean = sum(accs) / len(accs)
    std = math.sqrt(sum((a - mean) ** 2 for a in accs) / len(accs))
    if (
        len(accs) != 3
        or not math.isclose(mean, record.mean_acc, abs_tol=1e-6)
        or not math.isclose(std, record.std, abs_tol=1e-6)
    ):
        raise ReproError(
            f"{where}: entry {key!r} has test_acc {accs} that do not give its mean {record.mean_acc} "
            f"and std {record.std}"
        )
    return record


FILE = SHIPPED.name
PROFILE = "macro-cifar10-50ep"


def measurements(rows: Rows) -> Iterator[Measurement]:
    """Three per-seed measurements of each network, from the entry keyed by its canonical genome (see the module
    docstring); every other entry must repeat that entry's record."""
    records = {r["arch"]: (line, check_record(r["arch"], r, FILE)) for line, r in enumerate(rows[FILE], 1)}
    for key, (line, record) in records.items():
        network = canonical_genome(key)
        if network not in records:
            raise ReproError(f"{FILE} line {line}: entry {key!r} builds network {network}, which has no entry")
        if records[network][1] != record:
            raise ReproError(
                f"{FILE} line {line}: entry {key!r} differs from entry {network!r}, which builds the same "
                "network (the authors trained it once); restore the file from its origin"
            )
        if key == network:
            for seed, acc in enumerate(record.test_acc):
                yield Measurement(
                    PROFILE,
                    FILE,
                    line,
                    key,
                    {"test_acc": acc / 100},
                    seed=seed,
                    params=record.params,
                    macs=record.flops,
                )


MACRO = TableDefinition(
    name="macro",
    space=MacroSpace,
    parse=check_genome,
    sources=(
        SourceFile(
            FILE,
            "f2f3f54709665e60c73b71b4cf90c7669c7143398688f781b760e68b5683ad30",
            ("test_acc", "mean_acc", "std", "params", "flops"),
            "Apache-2.0",
            "Su, Huang, Zhang, Qian, Wang, Chen & Xu, Prioritized Architecture Sampling with Monte-Carlo "
            "Tree Search, CVPR 2021 (NAS-Bench-Macro)",
            "GitHub xiusu/NAS-Bench-Macro, data/nas-bench-macro_cifar10.json at commit "
            "61a2bfc2ca0dce04d0997e6cf498047c27d6acf2 (gzip-compressed without change)",
        ),
    ),
    profiles=(PROFILE,),
    measurements=measurements,
    shipped=SHIPPED.parent,
    genome_json=json.dumps,  # the space's JSON is the digit string itself
    version="1",
    notes={
        PROFILE: f"test_acc = {FILE} test_acc / 100 (per seed: the best 10k-test accuracy over 50 epochs); "
        "params; macs = flops (conv MACs + the classifier's)"
    },
)


__all__ = ["MACRO", "SHIPPED", "MacroRecord", "check_record", "read_macro_table"]
