"""NAR's training recipes: the Fashion-MNIST proxy and the paper's CIFAR-10 retraining (ResNet's protocol).

NAR's ``gpu`` scale trains under REMNet's Fashion-MNIST 50k/10k recipe ``remnet-gpu``, named through the registry;
``proxy-full`` under its own ``nar-proxy-full`` (REMNet's paper recipe now trains on all 60k images, and NAR's
controller needs the 10k held out).

Registered into :data:`repro.recipe.PROFILES` through the ``repro.profiles`` entry point (``pyproject.toml``),
so ``repro search --profile NAME`` finds them without the library importing ``papers``.
"""

from __future__ import annotations

from repro.recipe import CIFAR10_NORMALIZE, PROFILES, Recipe

PROFILES.register(
    "nar-smoke",
    Recipe(profile="nar-smoke", epochs=2, val_size=2000, train_size=3000, test_size=2000, model=(("channels", 8),)),
)
"""CPU minutes for NAR's Fashion-MNIST proxy: the ``smoke`` data and epochs at 8 channels (a ResNet costs more per image)."""

PROFILES.register(
    "nar-cifar10",
    Recipe(
        profile="nar-cifar10",
        epochs=164,
        dataset="cifar-10",
        val_size=5000,
        normalize=CIFAR10_NORMALIZE,
        optimizer="sgd-momentum",
        lr=0.1,
        weight_decay=1e-4,
        lr_milestones=(82, 123),
        augmentation="crop+flip",
        model=(("channels", 64),),
    ),
)
"""NAR's retraining on CIFAR-10 (the paper's dataset, 45k/5k split) by ResNet's CIFAR protocol, which NAR's ResNet-18
follows (He et al. 2016, Section 4.2): SGD momentum 0.9, lr 0.1 divided by 10 at 32k and 48k of 64k iterations
(epochs 82 and 123 of 164 at batch 128), weight decay 1e-4, pad-4 crop + flip; 64 channels. GPU days."""

PROFILES.register(
    "nar-proxy-full",
    Recipe(profile="nar-proxy-full", epochs=10, val_size=10000, model=(("channels", 64),)),
)
"""NAR's Fashion-MNIST proxy at the paper's search scale: 50k/10k split (the controller's reward and the derived
architectures' selection use the 10k held out), 10 epochs, 64 channels, Adam 1e-3, batch 128."""
