"""RCAS's training recipes: the search (Section 4.1) and final training, at CPU-proxy, GPU-lease and paper scale.

Registered into :data:`repro.recipe.PROFILES` through the ``repro.profiles`` entry point (``pyproject.toml``),
so ``repro search --profile NAME`` finds them without the library importing ``papers``.
"""

from __future__ import annotations

from repro.recipe import CIFAR100_NORMALIZE, CIFAR100_RGB_MEAN, PROFILES, Recipe

_RCAS_SGD = dict(optimizer="sgd-nesterov", lr=0.1, weight_decay=4e-5, model=())
"""RCAS Section 4.1: SGD, Nesterov momentum 0.9, lr 0.1 decayed x0.1 at milestones, weight decay 4e-5."""

PROFILES.register(
    "rcas-smoke",
    Recipe(
        profile="rcas-smoke",
        epochs=2,
        lr_milestones=(1,),
        val_size=300,
        train_size=500,
        test_size=1000,
        batch_size=32,
        **_RCAS_SGD,
    ),
)
"""CPU proxy: Fashion-MNIST, 500 training images, 300 validation, 2 epochs (lr x0.1 after epoch 1), batch 32.

A smoke reproduction makes ~300 F evaluations, so each must cost CPU seconds; F is noisy at this scale."""

PROFILES.register(
    "rcas-gpu",
    Recipe(
        profile="rcas-gpu",
        epochs=4,
        lr_milestones=(2, 3),
        dataset="cifar-100",
        val_size=1000,
        normalize=CIFAR100_NORMALIZE,
        **_RCAS_SGD,
    ),
)
"""One GPU lease at a time: CIFAR-100, 1,000 validation images (10 per class on average), 4 epochs."""

PROFILES.register(
    "rcas-paper",
    Recipe(
        profile="rcas-paper",
        epochs=10,
        lr_milestones=(4, 7, 9),
        dataset="cifar-100",
        val_size=1000,
        normalize=CIFAR100_NORMALIZE,
        **_RCAS_SGD,
    ),
)
"""RCAS's search recipe (Section 4.1): CIFAR-100, 10 epochs, lr decay at 4, 7, 9; batch size 128 (not stated)."""

PROFILES.register(
    "rcas-final-smoke",
    Recipe(
        profile="rcas-final-smoke",
        epochs=4,
        lr_milestones=(2, 3),
        val_size=300,
        train_size=2000,
        test_size=2000,
        batch_size=64,
        augmentation="crop+flip",
        **_RCAS_SGD,
    ),
)
"""CPU proxy of RCAS's final training: Fashion-MNIST, 2,000 training images, 4 epochs (lr x0.1 after 2 and 3), crop + flip."""

PROFILES.register(
    "rcas-final-gpu",
    Recipe(
        profile="rcas-final-gpu",
        epochs=30,
        lr_milestones=(9, 18, 27),
        dataset="cifar-100",
        val_size=1000,
        normalize=CIFAR100_NORMALIZE,
        augmentation="crop+flip",
        **_RCAS_SGD,
    ),
)
"""RCAS's final training shortened to 30 epochs (decay at the same fractions, 0.3/0.6/0.9) for GPU leases."""

PROFILES.register(
    "rcas-final",
    Recipe(
        profile="rcas-final",
        epochs=200,
        lr_milestones=(60, 120, 180),
        dataset="cifar-100",
        val_size=0,
        normalize=(0.0, 1.0),
        channel_mean=CIFAR100_RGB_MEAN,
        augmentation="crop+flip",
        **_RCAS_SGD,
    ),
)
"""RCAS's final training (Section 4.1): the search settings, 200 epochs, decay at 60, 120, 180, random crop + flip
and "RGB mean value subtraction" (per channel, no division), trained from scratch on all 50k training images (the
1,000 validation images were the search's; the test set measures)."""
