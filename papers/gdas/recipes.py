"""GDAS's retraining recipes for searched cells: CPU proxies, one GPU lease, and CIFAR-10.

Registered into :data:`repro.recipe.PROFILES` through the ``repro.profiles`` entry point (``pyproject.toml``),
so ``repro search --profile NAME`` finds them without the library importing ``papers``.
"""

from __future__ import annotations

from repro.recipe import CIFAR10_NORMALIZE, PROFILES, Recipe

_CELLS_SMOKE = dict(val_size=1000, train_size=3000, test_size=2000)
"""GDAS's CPU proxies: 3,000 Fashion-MNIST training images (the search takes its halves from them)."""

PROFILES.register(
    "gdas-nb201-smoke",
    Recipe(profile="gdas-nb201-smoke", epochs=2, model=(("channels", 8), ("layers", 1)), **_CELLS_SMOKE),
)
"""CPU minutes: NAS-Bench-201 cells at C=8, one cell per stage, retrained 2 epochs (Adam, as the trainer does)."""

PROFILES.register(
    "gdas-darts-smoke",
    Recipe(
        profile="gdas-darts-smoke",
        epochs=1,
        val_size=1000,
        train_size=1000,
        test_size=2000,
        model=(("channels", 8), ("layers", 1)),
    ),
)
"""CPU minutes: DARTS cells at C=8, one cell per stage, 1,000 training images, 1 epoch (a DARTS cell costs ~10x an NB201 cell)."""

PROFILES.register(
    "gdas-gpu",
    Recipe(profile="gdas-gpu", epochs=4, val_size=10000, model=(("channels", 16), ("layers", 2))),
)
"""One GPU lease: Fashion-MNIST 50k/10k, DARTS cells at the paper's search width (C=16, N=2), 4 epochs."""

PROFILES.register(
    "gdas-cifar10",
    Recipe(
        profile="gdas-cifar10",
        epochs=30,
        dataset="cifar-10",
        val_size=5000,
        normalize=CIFAR10_NORMALIZE,
        model=(("channels", 16), ("layers", 2)),
    ),
)
"""GDAS on CIFAR-10 (a local copy): 45k/5k split, DARTS cells at C=16, N=2, 30 epochs (the paper: C=36, N=6, 600)."""

PROFILES.register(
    "gdas-final",
    Recipe(
        profile="gdas-final",
        epochs=600,
        dataset="cifar-10",
        val_size=0,
        normalize=CIFAR10_NORMALIZE,
        batch_size=96,
        optimizer="sgd-momentum",
        lr=0.025,
        weight_decay=3e-4,
        schedule="cosine",
        grad_clip=5.0,
        augmentation="crop+flip+cutout",
        model=(("channels", 36), ("layers", 6)),
    ),
)
"""GDAS's retraining (Section 4.2 and the authors' DARTS-space config): all 50k CIFAR-10 training images (the test set
measures), C=36, N=6, 600 epochs, SGD momentum 0.9 at lr 0.025 annealed by a cosine schedule, weight decay 3e-4, batch
96, gradient norm clipped at 5, random crop + flip + CutOut 16. Not yet the paper's: no drop-path (0.2) and no
auxiliary tower (0.4), which the cell network lacks (a [[protocol]] note in reported.toml says so)."""
