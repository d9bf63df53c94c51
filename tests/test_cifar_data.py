"""CIFAR-10/100 from the python-pickle distribution: tiny files in the real format, one split code path."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from repro.data import load_dataset
from repro.data.datasets import resolve_root
from repro.errors import ReproError


def _batch(path: Path, n: int, label_key: str, classes: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n).tolist()
    data = rng.integers(0, 256, (n, 3072)).astype(np.uint8)
    path.write_bytes(pickle.dumps({b"data": data, label_key.encode(): labels, b"filenames": [b"x"] * n}))


@pytest.fixture(scope="module")
def tiny_cifar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``$REPRO_DATA``-style root: cifar-10/cifar-10-batches-py (5 x 6 + 8 images), cifar-100/cifar-100-python (30 + 8)."""
    root = tmp_path_factory.mktemp("data")
    c10 = root / "cifar-10" / "cifar-10-batches-py"
    c10.mkdir(parents=True)
    for i in range(1, 6):
        _batch(c10 / f"data_batch_{i}", 6, "labels", 10, i)
    _batch(c10 / "test_batch", 8, "labels", 10, 9)
    c100 = root / "cifar-100" / "cifar-100-python"
    c100.mkdir(parents=True)
    _batch(c100 / "train", 30, "fine_labels", 100, 1)
    _batch(c100 / "test", 8, "fine_labels", 100, 2)
    return root


def test_cifar10_reads_all_batches_in_order_and_splits(tiny_cifar):
    bundle = load_dataset("cifar-10", tiny_cifar / "cifar-10", val_size=10, split_seed=0)
    assert (len(bundle.train), len(bundle.val), len(bundle.test)) == (20, 10, 8)
    assert bundle.train.x.shape[1:] == (3, 32, 32) and bundle.input_shape == (3, 32, 32)
    folder = tiny_cifar / "cifar-10" / "cifar-10-batches-py"
    images = np.concatenate([pickle.loads((folder / f"data_batch_{i}").read_bytes())[b"data"] for i in range(1, 6)])
    perm = np.random.default_rng(0).permutation(30)  # the split rule of load_dataset
    assert np.allclose(bundle.val.x.numpy(), images[perm[:10]].reshape(-1, 3, 32, 32) / 255.0)
    assert np.allclose(bundle.train.x.numpy(), images[perm[10:]].reshape(-1, 3, 32, 32) / 255.0)
    assert (
        int(bundle.test.y[0])
        == pickle.loads((tiny_cifar / "cifar-10" / "cifar-10-batches-py" / "test_batch").read_bytes())[b"labels"][0]
    )


def test_cifar100_uses_fine_labels_and_the_env_root(tiny_cifar, monkeypatch):
    monkeypatch.setenv("REPRO_DATA", str(tiny_cifar))
    bundle = load_dataset("cifar-100", val_size=5, train_size=20, test_size=4)
    assert bundle.num_classes == 100 and (len(bundle.train), len(bundle.val), len(bundle.test)) == (20, 5, 4)
    fine = pickle.loads((tiny_cifar / "cifar-100" / "cifar-100-python" / "test").read_bytes())[b"fine_labels"]
    assert bundle.test.y.tolist() == fine[:4]


def test_a_missing_dataset_gives_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("REPRO_DATA", raising=False)
    with pytest.raises(ReproError, match="no data folder for dataset 'cifar-100'.*cifar-100-python"):
        resolve_root("cifar-100", None)
    with pytest.raises(ReproError, match="missing data_batch_1, .*test_batch.*nothing is ever downloaded"):
        load_dataset("cifar-10", tmp_path)


def test_a_pickle_that_wants_to_run_code_is_refused(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    _batch(folder / "test", 4, "fine_labels", 100, 0)
    (folder / "train").write_bytes(pickle.dumps({b"data": print, b"fine_labels": []}))
    with pytest.raises(ReproError, match="refusing to load builtins.print"):
        load_dataset("cifar-100", tmp_path, val_size=1)
