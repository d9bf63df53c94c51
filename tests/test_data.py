"""Tests for repro.data: IDX I/O, root resolution and deterministic splits."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from repro.data import DATASETS, DataBundle, load_dataset
from repro.data.datasets import resolve_root
from repro.data.idx import read_idx, write_idx
from repro.errors import ReproError

N_TRAIN, N_TEST, SIDE, CLASSES = 50, 20, 28, 10
FILES = DATASETS["mnist"].files


def make_mnist(folder: Path, gz: bool, seed: int = 0) -> Path:
    """Write a tiny synthetic MNIST-like dataset; gz=False writes the un-gzipped names."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, (N_TRAIN, SIDE, SIDE), dtype=np.uint8),
        "train_labels": (np.arange(N_TRAIN) % CLASSES).astype(np.uint8),
        "test_images": rng.integers(0, 256, (N_TEST, SIDE, SIDE), dtype=np.uint8),
        "test_labels": (np.arange(N_TEST) % CLASSES).astype(np.uint8),
    }
    arrays["train_images"][0, 0, 0] = 255  # so the [0,1] range check sees the maximum
    for key, arr in arrays.items():
        name = FILES[key] if gz else FILES[key].removesuffix(".gz")
        write_idx(folder / name, arr)
    return folder


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip(tmp_path: Path, dtype: type, suffix: str) -> None:
    arr = (np.arange(2 * 3 * 5) - 7).reshape(2, 3, 5).astype(dtype)
    path = tmp_path / f"a.idx{suffix}"
    write_idx(path, arr)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)
    if suffix:
        assert path.read_bytes()[:2] == b"\x1f\x8b"


def test_idx_header_bytes(tmp_path: Path) -> None:
    path = tmp_path / "l.idx"
    write_idx(path, np.array([1, 2, 3], dtype=np.int16))
    assert path.read_bytes() == b"\x00\x00\x0b\x01" + b"\x00\x00\x00\x03" + b"\x00\x01\x00\x02\x00\x03"


def test_write_idx_rejects_unsupported_dtype(tmp_path: Path) -> None:
    with pytest.raises(ReproError, match="uint8"):
        write_idx(tmp_path / "x.idx", np.zeros(3, dtype=np.int64))


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_truncated_file(tmp_path: Path, suffix: str) -> None:
    good = tmp_path / "good.idx"
    write_idx(good, np.zeros((4, 28, 28), dtype=np.uint8))
    raw = good.read_bytes()[:-100]
    bad = tmp_path / f"short-images.idx{suffix}"
    bad.write_bytes(gzip.compress(raw) if suffix else raw)
    with pytest.raises(ReproError, match="short-images") as info:
        read_idx(bad)
    assert "replace" in str(info.value)


def test_truncated_gzip_stream(tmp_path: Path) -> None:
    path = tmp_path / "cut.idx.gz"
    write_idx(path, np.arange(1000, dtype=np.int32))
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ReproError, match="cut.idx.gz"):
        read_idx(path)


def test_bad_magic_and_dtype(tmp_path: Path) -> None:
    path = tmp_path / "bad.idx"
    path.write_bytes(b"\x01\x00\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(ReproError, match="magic"):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x07\x01\x00\x00\x00\x01\x05")
    with pytest.raises(ReproError, match="dtype"):
        read_idx(path)


def check_bundle(b: DataBundle, val_size: int) -> None:
    assert b.dataset == "mnist" and b.num_classes == CLASSES and b.input_shape == (1, SIDE, SIDE)
    assert len(b.val) == val_size and len(b.train) == N_TRAIN - val_size and len(b.test) == N_TEST
    for split in (b.train, b.val, b.test):
        assert split.x.dtype == torch.float32 and split.y.dtype == torch.int64
        assert split.x.shape == (len(split), 1, SIDE, SIDE)
        assert 0.0 <= split.x.min() and split.x.max() <= 1.0
    assert b.train.x.max() == 1.0 or b.val.x.max() == 1.0
    assert b.split["val_size"] == val_size and b.split["train_size"] == N_TRAIN - val_size
    assert all(len(b.split[k]) == 16 for k in ("train_sha", "val_sha", "test_sha"))


@pytest.mark.parametrize("gz", [True, False])
def test_load_explicit_root(tmp_path: Path, gz: bool) -> None:
    root = make_mnist(tmp_path / "m", gz=gz)
    b = load_dataset("mnist", root, val_size=10)
    check_bundle(b, 10)
    assert b.root == str(root.resolve())
    # Test split is in file order, and values are the raw bytes / 255.
    np.testing.assert_array_equal(b.test.y.numpy(), np.arange(N_TEST) % CLASSES)
    raw = read_idx(root / (FILES["test_images"] if gz else FILES["test_images"].removesuffix(".gz")))
    torch.testing.assert_close(b.test.x[:, 0], torch.from_numpy(raw).float() / 255)


def test_load_via_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_mnist(tmp_path / "mnist", gz=True)
    monkeypatch.setenv("REPRO_DATA", str(tmp_path))
    assert resolve_root("mnist", None) == tmp_path / "mnist"
    check_bundle(load_dataset("mnist", val_size=5), 5)


def test_split_deterministic_and_disjoint(tmp_path: Path) -> None:
    root = make_mnist(tmp_path / "m", gz=True)
    a = load_dataset("mnist", root, val_size=10, split_seed=1)
    b = load_dataset("mnist", root, val_size=10, split_seed=1)
    c = load_dataset("mnist", root, val_size=10, split_seed=2)
    assert a.split == b.split
    assert torch.equal(a.val.x, b.val.x) and torch.equal(a.train.y, b.train.y)
    assert a.split["val_sha"] != c.split["val_sha"] and a.split["train_sha"] != c.split["train_sha"]
    assert a.split["test_sha"] == c.split["test_sha"]
    # Images are random, so identical rows mean identical indices.
    train_rows = {bytes(r.numpy()) for r in a.train.x}
    val_rows = {bytes(r.numpy()) for r in a.val.x}
    assert len(train_rows) == 40 and len(val_rows) == 10 and not train_rows & val_rows


def test_split_matches_documented_recipe(tmp_path: Path) -> None:
    root = make_mnist(tmp_path / "m", gz=False)
    b = load_dataset("mnist", root, val_size=7, split_seed=3, train_size=11, test_size=4)
    perm = np.random.default_rng(3).permutation(N_TRAIN)
    images = read_idx(root / FILES["train_images"].removesuffix(".gz"))
    torch.testing.assert_close(b.val.x[:, 0], torch.from_numpy(images[perm[:7]]).float() / 255)
    torch.testing.assert_close(b.train.x[:, 0], torch.from_numpy(images[perm[7:18]]).float() / 255)
    assert (len(b.train), len(b.val), len(b.test)) == (11, 7, 4)
    assert b.split["train_size"] == 11 and b.split["test_size"] == 4


def test_cached_data_not_mutated_by_callers(tmp_path: Path) -> None:
    root = make_mnist(tmp_path / "m", gz=True)
    a = load_dataset("mnist", root, val_size=10)
    a.test.x.sub_(0.5)
    a.train.x.zero_()
    b = load_dataset("mnist", root, val_size=10)
    assert b.test.x.min() >= 0 and b.train.x.max() > 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"val_size": 50}, "val_size"),
        ({"val_size": 40, "train_size": 11}, "train_size"),
        ({"val_size": 10, "test_size": 21}, "test_size"),
        ({"val_size": -1}, "positive"),
        ({"val_size": 10, "train_size": -1}, "positive"),
        ({"val_size": 10, "split_seed": -1}, "split_seed"),
    ],
)
def test_bad_sizes(tmp_path: Path, kwargs: dict, match: str) -> None:
    root = make_mnist(tmp_path / "m", gz=True)
    with pytest.raises(ReproError, match=match):
        load_dataset("mnist", root, **kwargs)


def test_missing_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPRO_DATA", raising=False)
    root = make_mnist(tmp_path / "m", gz=True)
    (root / FILES["test_labels"]).unlink()
    with pytest.raises(ReproError) as info:
        load_dataset("mnist", root, val_size=10)
    msg = str(info.value)
    assert str(root) in msg and FILES["test_labels"] in msg and "REPRO_DATA" in msg
    assert FILES["train_images"] not in msg.split("missing")[1].split(";")[0]

    with pytest.raises(ReproError, match="REPRO_DATA"):
        load_dataset("mnist")  # no root and no default for mnist

    monkeypatch.setenv("REPRO_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(ReproError, match="nowhere"):
        load_dataset("mnist")


def test_missing_fashion_mentions_apt(tmp_path: Path) -> None:
    with pytest.raises(ReproError, match="apt-get install dataset-fashion-mnist") as info:
        load_dataset("fashion-mnist", tmp_path / "empty")
    assert str(tmp_path / "empty") in str(info.value)


def test_bad_labels_and_count_mismatch(tmp_path: Path) -> None:
    root = make_mnist(tmp_path / "a", gz=True)
    write_idx(root / FILES["train_labels"], np.full(N_TRAIN, 10, dtype=np.uint8))
    with pytest.raises(ReproError, match="train-labels"):
        load_dataset("mnist", root, val_size=10)
    root = make_mnist(tmp_path / "b", gz=True)
    write_idx(root / FILES["test_labels"], np.zeros(N_TEST - 1, dtype=np.uint8))
    with pytest.raises(ReproError, match="t10k-labels"):
        load_dataset("mnist", root, val_size=10)


def test_unknown_dataset() -> None:
    with pytest.raises(
        ReproError,
        match="unknown dataset 'svhn'; use one of: cifar-10, cifar-100, fashion-mnist, imagenet16-120, mnist",
    ):
        load_dataset("svhn")


FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(
    not FASHION.is_dir(), reason=f"Fashion-MNIST not installed at {FASHION} (apt-get install dataset-fashion-mnist)"
)
def test_real_fashion_mnist() -> None:
    b = load_dataset("fashion-mnist", FASHION)
    assert len(b.train) + len(b.val) == 60000 and len(b.test) == 10000
    assert (len(b.train), len(b.val)) == (50000, 10000)
    assert b.train.x.shape == (50000, 1, 28, 28) and b.train.x.dtype == torch.float32
    assert 0.0 <= b.test.x.min() and b.test.x.max() <= 1.0
    for split in (b.train, b.val, b.test):
        assert split.y.min() == 0 and split.y.max() == 9
    assert set(torch.cat([b.train.y, b.val.y]).tolist()) == set(range(10))
    assert b.test.y[0].item() == 9  # ankle boot
