"""REMNet's training recipes: the paper's search and final training, and their GPU/CPU-sized versions.

Registered into :data:`repro.recipe.PROFILES` through the ``repro.profiles`` entry point (``pyproject.toml``),
so ``repro search --profile NAME`` finds them without the library importing ``papers``.
"""

from __future__ import annotations

from repro.recipe import PROFILES, Recipe

PROFILES.register(
    "remnet-paper",
    Recipe(profile="remnet-paper", epochs=10, val_size=0, model=(("channels", 64),)),
)
"""The paper's search setting: all 60k training images (the paper trains "on the train set" and the authors' loader
uses all of them; fitness is test accuracy, so nothing is held out), 10 epochs (Table 2), 64 channels, Adam 1e-3,
batch 128."""

PROFILES.register(
    "remnet-gpu",
    Recipe(profile="remnet-gpu", epochs=3, val_size=10000, model=(("channels", 64),)),
)
"""One GPU lease: full 50k/10k split and 64 channels as in the paper, but 3 epochs."""

PROFILES.register(
    "remnet-gpu-bf16",
    Recipe(profile="remnet-gpu-bf16", epochs=3, val_size=10000, precision="bf16", model=(("channels", 64),)),
)
"""``remnet-gpu`` with bf16 autocast: the fast trainer's setting; its own rows, as precision is in the key."""

PROFILES.register(
    "remnet-final",
    Recipe(
        profile="remnet-final",
        epochs=20,
        val_size=0,
        optimizer="adamax",
        lr=2e-3,
        weight_decay=1e-5,
        augmentation="flip+erase",
        model=(("channels", 128),),
    ),
)
"""REMNet's final training (Table 2): all 60k training images, 20 epochs, horizontal flip + random erasing, and the
authors' optimiser (``train_best_architecture.py``: ``Adamax(weight_decay=1e-5)`` at PyTorch's default lr 2e-3);
width set per row."""

PROFILES.register(
    "remnet-final-smoke",
    Recipe(
        profile="remnet-final-smoke",
        epochs=4,
        val_size=2000,
        train_size=5000,
        augmentation="flip+erase",
        model=(("channels", 16),),
    ),
)
"""CPU minutes: the final-training recipe on 5,000 images for 4 epochs; width set per row."""

PROFILES.register(
    "remnet-paper-enlarge",
    Recipe(profile="remnet-paper-enlarge", epochs=10, val_size=0, model=(("channels", 64), ("min_input", "enlarge"))),
)
"""``remnet-paper`` with the authors' min-input-size rule: a layer whose kernel exceeds its input gets the input
resized to kernel x kernel (their ``get_min_input_size``) instead of the network being invalid (the paper's text)."""
