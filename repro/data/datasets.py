"""Local image-classification datasets and their deterministic train/val/test splits.

Nothing is ever downloaded: data comes from an installed package or a folder the user provides.
Two file formats: IDX (MNIST, Fashion-MNIST) and the CIFAR python-pickle batches; both are
read into the same arrays and split by the one code path of :func:`load_dataset`.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from repro.data.cifar import read_cifar
from repro.data.fingerprint import data_fingerprint
from repro.data.idx import read_idx
from repro.errors import ReproError

ENV_VAR = "REPRO_DATA"

_STANDARD_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset's files live, what they contain, and how they are read.

    ``files`` maps a role to a file name; ``folders`` are the sub-folders of a root that may hold
    them (``""`` is the root itself); ``label_key`` names the labels in CIFAR pickles (None for IDX).
    """

    name: str
    files: dict[str, str]
    num_classes: int
    input_shape: tuple[int, int, int]
    train_images: int
    """Images in the official training set (what the train/validation split divides)."""
    default_root: str | None
    install_hint: str
    folders: tuple[str, ...] = ("",)
    label_key: str | None = None


def _folder_hint(name: str) -> str:
    files = ", ".join(_STANDARD_FILES.values())
    return (
        f"put the four IDX files ({files}; .gz optional) in a folder and pass --data-root FOLDER, "
        f"or set {ENV_VAR} so that ${ENV_VAR}/{name} holds them; nothing is ever downloaded"
    )


def _cifar(name: str, folder: str, files: dict[str, str], classes: int, label_key: str) -> DatasetSpec:
    """A CIFAR python-pickle dataset, found in ``root`` or in its distribution folder ``root/folder``."""
    listing = ", ".join(files.values())
    hint = (
        f"extract the python version of {name} (the folder {folder} with {listing}) and pass --data-root "
        f"to it or its parent, or set {ENV_VAR} so that ${ENV_VAR}/{name} holds it; nothing is ever downloaded"
    )
    return DatasetSpec(name, files, classes, (3, 32, 32), 50000, None, hint, folders=("", folder), label_key=label_key)


DATASETS: dict[str, DatasetSpec] = {
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        files=dict(_STANDARD_FILES),
        num_classes=10,
        input_shape=(1, 28, 28),
        train_images=60000,
        default_root="/usr/share/datasets/fashion-mnist",
        install_hint=f"run `apt-get install dataset-fashion-mnist`, or {_folder_hint('fashion-mnist')}",
    ),
    "mnist": DatasetSpec(
        name="mnist",
        files=dict(_STANDARD_FILES),
        num_classes=10,
        input_shape=(1, 28, 28),
        train_images=60000,
        default_root=None,
        install_hint=_folder_hint("mnist"),
    ),
    "cifar-10": _cifar(
        "cifar-10",
        "cifar-10-batches-py",
        {**{f"train_{i}": f"data_batch_{i}" for i in range(1, 6)}, "test": "test_batch"},
        10,
        "labels",
    ),
    "cifar-100": _cifar("cifar-100", "cifar-100-python", {"train": "train", "test": "test"}, 100, "fine_labels"),
    "imagenet16-120": DatasetSpec(
        name="imagenet16-120",
        files={},
        num_classes=120,
        input_shape=(3, 16, 16),
        train_images=151700,
        default_root=None,
        install_hint="ImageNet16-120 is known here only through NAS-Bench-201's imported rows; repro has no reader for it",
    ),
}


def get_spec(name: str) -> DatasetSpec:
    """Return the spec of a known dataset, or raise ReproError listing the known names."""
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise ReproError(f"unknown dataset {name!r}; use one of: {known}") from None


def _candidates(filename: str) -> tuple[str, ...]:
    # Users often gunzip the IDX files (or not); accept either form.
    return (filename, filename.removesuffix(".gz")) if filename.endswith(".gz") else (filename,)


def find_files(spec: DatasetSpec, root: Path) -> tuple[dict[str, Path], list[str]]:
    """Map each file key of ``spec`` to an existing path under ``root`` (or one of its ``folders``); also the missing names."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for key, filename in spec.files.items():
        places = [root / folder / c for folder in spec.folders for c in _candidates(filename)]
        hit = next((p for p in places if p.is_file()), None)
        if hit is None:
            missing.append(filename)
        else:
            found[key] = hit
    return found, missing


def resolve_root(name: str, root: str | Path | None) -> Path:
    """Pick the folder holding dataset ``name`` and check that all its files are there.

    Order: explicit ``root``; else ``$REPRO_DATA/<name>`` if set and existing; else the
    dataset's default root. Raises one ReproError naming what is missing and how to fix it.
    """
    spec = get_spec(name)
    looked: list[str] = []
    chosen: Path | None = None
    if root is not None:
        chosen = Path(root).expanduser()
    else:
        env = os.environ.get(ENV_VAR)
        if env:
            env_dir = Path(env).expanduser() / name
            if env_dir.is_dir():
                chosen = env_dir
            else:
                looked.append(f"{env_dir} (from ${ENV_VAR}; does not exist)")
        if chosen is None and spec.default_root is not None:
            chosen = Path(spec.default_root)
    if chosen is None:
        where = f"; looked in {', '.join(looked)}" if looked else ""
        raise ReproError(f"no data folder for dataset {name!r}{where}; {spec.install_hint}")

    _, missing = find_files(spec, chosen)
    if missing:
        state = "" if chosen.is_dir() else " (does not exist)"
        looked.append(f"{chosen}{state}")
        raise ReproError(
            f"dataset {name!r} is incomplete: looked in {', '.join(looked)}; "
            f"missing {', '.join(missing)}; fix: {spec.install_hint}"
        )
    return chosen


@dataclass(frozen=True)
class Split:
    """Images as float32 N×C×H×W in [0, 1] (not normalised) and int64 labels of length N."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return int(self.y.shape[0])


@dataclass(frozen=True)
class DataBundle:
    """A dataset split into train/val/test, with the record of how the split was made."""

    dataset: str
    root: str
    train: Split
    val: Split
    test: Split
    num_classes: int
    input_shape: tuple[int, int, int]
    split: dict
    fingerprint: str
    """Digests of the files read and the split parameters (:func:`fingerprint`)."""


def _check_pair(spec: DatasetSpec, images: np.ndarray, labels: np.ndarray, img_path: Path, lbl_path: Path) -> None:
    c, h, w = spec.input_shape
    if images.ndim != 4 or images.shape[1:] != (c, h, w) or images.dtype != np.uint8:
        raise ReproError(
            f"{img_path} holds {images.dtype} images of shape {images.shape[1:]}, expected uint8 {c}×{h}×{w} "
            f"for {spec.name}; replace it with the correct file"
        )
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ReproError(
            f"{lbl_path} holds {labels.dtype} labels of shape {labels.shape}, expected a 1-D integer array; "
            f"replace it with the correct file"
        )
    if len(labels) != len(images):
        raise ReproError(
            f"{lbl_path} has {len(labels)} labels but {img_path} has {len(images)} images; "
            f"replace them with a matching pair"
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= spec.num_classes):
        raise ReproError(
            f"{lbl_path} has labels in [{labels.min()}, {labels.max()}], expected 0..{spec.num_classes - 1} "
            f"for {spec.name}; replace it with the correct file"
        )


@functools.lru_cache(maxsize=None)
def _load_raw(name: str, root: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    # Cached per (name, resolved root): decoding and converting 60k images is the slow part of every run.
    spec = get_spec(name)
    paths, _ = find_files(spec, Path(root))
    out = []
    for images, labels, img_path, lbl_path in _read_parts(spec, paths):
        _check_pair(spec, images, labels, img_path, lbl_path)
        out.append(torch.from_numpy(images).float().div_(255.0))
        out.append(torch.from_numpy(labels.astype(np.int64)))
    return tuple(out)  # type: ignore[return-value]


def _read_parts(spec: DatasetSpec, paths: dict[str, Path]) -> list[tuple[np.ndarray, np.ndarray, Path, Path]]:
    """``(images N×C×H×W, labels, image file, label file)`` for train and test, whatever the format."""
    if spec.label_key is None:
        parts = []
        for part in ("train", "test"):
            img_path, lbl_path = paths[f"{part}_images"], paths[f"{part}_labels"]
            images = read_idx(img_path)
            parts.append((images[:, None] if images.ndim == 3 else images, read_idx(lbl_path), img_path, lbl_path))
        return parts
    train = [p for key, p in paths.items() if key.startswith("train")]
    x_train, y_train, x_test, y_test = read_cifar(train, [paths["test"]], spec.label_key)
    return [(x_train, y_train, train[0], train[0]), (x_test, y_test, paths["test"], paths["test"])]


def _sha(indices: np.ndarray) -> str:
    # Fixed little-endian int64 so the hash is the same on every platform.
    return hashlib.sha256(np.asarray(indices, dtype="<i8").tobytes()).hexdigest()[:16]


def _check_size(label: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ReproError(f"{label} must be a positive integer, got {value!r}; pass a value of at least 1")


def fingerprint(
    name: str,
    root: str | Path | None,
    *,
    val_size: int = 10000,
    split_seed: int = 0,
    train_size: int | None = None,
    test_size: int | None = None,
) -> str:
    """The data fingerprint of :func:`load_dataset` with these arguments, without decoding any image."""
    spec = get_spec(name)
    paths, _ = find_files(spec, resolve_root(name, root).resolve())
    split = {"split_seed": split_seed, "val_size": val_size, "train_size": train_size, "test_size": test_size}
    return data_fingerprint(paths, split)


def load_dataset(
    name: str,
    root: str | Path | None = None,
    *,
    val_size: int = 10000,
    split_seed: int = 0,
    train_size: int | None = None,
    test_size: int | None = None,
) -> DataBundle:
    """Load dataset ``name`` and split its training set into train/val.

    Validation is the first ``val_size`` indices of
    ``numpy.random.default_rng(split_seed).permutation(n_train_total)``; train is the rest,
    cut to its first ``train_size`` if given. Test is the first ``test_size`` test images in file
    order (all if None). ``val_size=0`` holds nothing out: validation is then the test split, as in a
    paper whose loader trains on every training image and measures on the test set. Images are float32
    in [0, 1], not normalised.
    """
    spec = get_spec(name)
    _check_size("val_size", val_size or None)
    for label, value in (("train_size", train_size), ("test_size", test_size)):
        _check_size(label, value)
    if isinstance(split_seed, bool) or not isinstance(split_seed, int) or split_seed < 0:
        raise ReproError(f"split_seed must be a non-negative integer, got {split_seed!r}; pass e.g. 0")
    resolved = resolve_root(name, root).resolve()
    x_train, y_train, x_test, y_test = _load_raw(name, str(resolved))

    n_train_total, n_test_total = len(y_train), len(y_test)
    # Without train_size the train part is the remainder, which must still be non-empty.
    if val_size + (train_size or 1) > n_train_total:
        raise ReproError(
            f"val_size {val_size} + train_size {train_size or 'at least 1'} does not fit the "
            f"{n_train_total} training images of {name}; lower val_size or train_size"
        )
    if test_size is not None and test_size > n_test_total:
        raise ReproError(f"test_size {test_size} exceeds the {n_test_total} test images of {name}; lower test_size")

    perm = np.random.default_rng(split_seed).permutation(n_train_total).astype(np.int64)
    val_idx = perm[:val_size]
    train_idx = perm[val_size:] if train_size is None else perm[val_size : val_size + train_size]
    test_idx = np.arange(n_test_total if test_size is None else test_size, dtype=np.int64)

    def take(x: torch.Tensor, y: torch.Tensor, idx: np.ndarray) -> Split:
        # Index with a tensor so every split is a copy: in-place edits must not reach the cache.
        t = torch.from_numpy(idx)
        return Split(x=x[t], y=y[t])

    return DataBundle(
        dataset=name,
        root=str(resolved),
        train=take(x_train, y_train, train_idx),
        val=take(x_train, y_train, val_idx) if val_size else take(x_test, y_test, test_idx),
        test=take(x_test, y_test, test_idx),
        num_classes=spec.num_classes,
        input_shape=spec.input_shape,
        split={
            "split_seed": split_seed,
            "val_size": int(len(val_idx)),
            "train_size": int(len(train_idx)),
            "test_size": int(len(test_idx)),
            "train_sha": _sha(train_idx),
            "val_sha": _sha(val_idx),
            "test_sha": _sha(test_idx),
        },
        fingerprint=fingerprint(
            name, resolved, val_size=val_size, split_seed=split_seed, train_size=train_size, test_size=test_size
        ),
    )
