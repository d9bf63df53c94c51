"""Shared fixtures: a tiny on-disk MNIST-format dataset and a recipe that trains on it in milliseconds."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from repro.recipe import Recipe

FASHION_ROOT = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The test networks are tiny: thread start-up would dominate on a busy 2-core machine.

    torch is looked up, not imported: tests that never touch it (statistics, claims) run without it,
    and any test module that trains imports it at collection, before the first test runs.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """80 train / 30 test images in the real IDX format; the class is written into the pixels."""
    from repro.data.idx import write_idx  # the data package imports torch; tests without data never load it

    root = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 80), ("t10k", 30)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            images[i, 2 * label : 2 * label + 3, :] = 255
        write_idx(root / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(root / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return root


@pytest.fixture(scope="session")
def tiny_recipe() -> Recipe:
    """One epoch on the tiny dataset with 4 channels (a frozen dataclass: one instance serves every test)."""
    return Recipe(
        profile="test-tiny",
        epochs=1,
        dataset="mnist",
        val_size=20,
        train_size=60,
        test_size=30,
        batch_size=16,
        model=(("channels", 4),),
    )


def fashion_available() -> bool:
    """Whether Debian's dataset-fashion-mnist is installed."""
    return (FASHION_ROOT / "train-images-idx3-ubyte.gz").exists()
