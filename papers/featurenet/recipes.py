"""FeatureNet's training recipes (Section 5.2) on the Fashion-MNIST proxy, MNIST and CIFAR-10, with the authors' Keras variant.

Registered into :data:`repro.recipe.PROFILES` through the ``repro.profiles`` entry point (``pyproject.toml``),
so ``repro search --profile NAME`` finds them without the library importing ``papers``.
"""

from __future__ import annotations

from repro.recipe import CIFAR10_NORMALIZE, PROFILES, Recipe

_FEATURENET_SGD = dict(optimizer="sgd", lr=0.01, batch_size=128, model=())
"""FeatureNet Section 5.2: SGD, learning rate 0.01 without decay or momentum, batch 128."""

PROFILES.register(
    "featurenet-smoke",
    Recipe(profile="featurenet-smoke", epochs=2, val_size=2000, train_size=10000, test_size=2000, **_FEATURENET_SGD),
)
"""CPU proxy: Fashion-MNIST, 10,000 training images, 2 epochs (the paper: 12 on all of MNIST/CIFAR-10)."""

PROFILES.register(
    "featurenet-gpu",
    Recipe(profile="featurenet-gpu", epochs=12, val_size=5000, **_FEATURENET_SGD),
)
"""One GPU lease, Fashion-MNIST proxy: 55k/5k split, the paper's 12 epochs."""

PROFILES.register(
    "featurenet-mnist",
    Recipe(profile="featurenet-mnist", epochs=12, dataset="mnist", val_size=5000, **_FEATURENET_SGD),
)
"""The paper's MNIST setting (local copy): 12 epochs; 5,000 training images held out for validation."""

PROFILES.register(
    "featurenet-cifar10",
    Recipe(
        profile="featurenet-cifar10",
        epochs=12,
        dataset="cifar-10",
        val_size=5000,
        normalize=CIFAR10_NORMALIZE,
        **_FEATURENET_SGD,
    ),
)
"""The paper's CIFAR-10 setting (local copy): 12 epochs; 5,000 training images held out for validation."""

for _name in ("featurenet-mnist", "featurenet-cifar10"):
    PROFILES.register(
        f"{_name}-keras",
        PROFILES.get(_name).with_changes(profile=f"{_name}-keras", normalize=(0.0, 1.0), init="glorot"),
    )
"""The FeatureNet authors' variant of the paper's settings (yamizi/FeatureNet): inputs only divided by 255 (no
standardisation) and Keras's glorot-uniform weights with zero biases."""
