"""Training recipes and the named profiles that fix them.

A recipe is everything besides the architecture and the seed that decides a trained network's
numbers: data and split, epochs, batch size, optimiser, augmentation, width, precision. Its hash
is half of every cache key, so the same genome trained under two recipes is two rows.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from repro.errors import ReproError
from repro.registry import Registry

OPTIMIZERS = ("adam", "sgd-nesterov", "sgd", "sgd-momentum")
"""``sgd-nesterov``: SGD with Nesterov momentum 0.9 (RCAS's search recipe); ``sgd``: plain SGD, no momentum
(FeatureNet's); ``sgd-momentum``: SGD with (heavy-ball) momentum 0.9 (ResNet's CIFAR protocol);
``lr_milestones`` multiply lr by 0.1."""

AUGMENTATIONS = ("none", "flip+erase", "crop+flip")
"""``flip+erase``: random horizontal flip and random erasing (p 0.5 each), as REMNet's final training;
``crop+flip``: pad 4, random crop, random horizontal flip (ResNet's CIFAR augmentation, RCAS's final training)."""


INITS = ("default", "glorot")
"""``default``: each layer's PyTorch initialisation; ``glorot``: Keras's default, glorot-uniform weights and zero
biases for every convolution and linear layer (FeatureNet's authors' networks)."""


@dataclass(frozen=True)
class Recipe:
    """How a candidate is trained and measured. ``model`` holds the space's width options."""

    profile: str
    epochs: int
    dataset: str = "fashion-mnist"
    val_size: int = 10000
    split_seed: int = 0
    train_size: int | None = None
    test_size: int | None = None
    batch_size: int = 128
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    augmentation: str = "none"
    normalize: tuple[float, float] = (0.1307, 0.3081)
    precision: str = "fp32"
    model: tuple[tuple[str, Any], ...] = field(default=(("channels", 64),))
    lr_milestones: tuple[int, ...] = ()
    """Epochs after which the learning rate is multiplied by 0.1 (empty: constant)."""
    imported: str | None = None
    """The imported table (:mod:`repro.tables`) whose rows are this recipe's: measured elsewhere under a
    protocol this project cannot run (no CIFAR here), so nothing is ever trained under it."""
    init: str = "default"
    """How the model's weights start (:data:`INITS`)."""

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ReproError(f"recipe {self.profile!r}: epochs and batch_size must be >= 1")
        if self.optimizer not in OPTIMIZERS:
            raise ReproError(f"recipe {self.profile!r}: optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if list(self.lr_milestones) != sorted(set(self.lr_milestones)) or any(not 1 <= m < self.epochs for m in self.lr_milestones):
            raise ReproError(f"recipe {self.profile!r}: lr_milestones must be increasing epochs in 1..{self.epochs - 1}")
        if self.augmentation not in AUGMENTATIONS:
            raise ReproError(
                f"recipe {self.profile!r}: augmentation must be one of {', '.join(AUGMENTATIONS)}, got {self.augmentation!r}"
            )
        if self.init not in INITS:
            raise ReproError(f"recipe {self.profile!r}: init must be one of {', '.join(INITS)}, got {self.init!r}")
        if self.precision not in ("fp32", "bf16"):
            raise ReproError(f"recipe {self.profile!r}: precision must be 'fp32' or 'bf16'")

    @property
    def model_options(self) -> dict[str, Any]:
        """The space's build options (e.g. ``{"channels": 64}``)."""
        return dict(self.model)

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready data (``model`` as a mapping)."""
        data = dataclasses.asdict(self)
        data["model"] = self.model_options
        data["normalize"] = list(self.normalize)
        # Left out when unused, so recipes written before the field existed keep their hash.
        if not self.lr_milestones:
            del data["lr_milestones"]
        else:
            data["lr_milestones"] = list(self.lr_milestones)
        if self.imported is None:
            del data["imported"]
        if self.init == "default":
            del data["init"]
        return data

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no spaces; hashed into :attr:`key`."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @functools.cached_property
    def key(self) -> str:
        """The recipe hash (every field, the profile name included); computed once, as the recipe is frozen."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    @classmethod
    def from_json(cls, text: str) -> Recipe:
        """Rebuild a recipe stored in the cache."""
        data = json.loads(text)
        data["model"] = tuple(sorted(data["model"].items()))
        data["normalize"] = tuple(data["normalize"])
        data["lr_milestones"] = tuple(data.get("lr_milestones", ()))
        return cls(**data)

    def with_changes(self, **changes: Any) -> Recipe:
        """A copy with some fields changed; ``channels=`` sets the width option."""
        if "channels" in changes:
            model = dict(self.model)
            model["channels"] = int(changes.pop("channels"))
            changes["model"] = tuple(sorted(model.items()))
        return dataclasses.replace(self, **changes)


PROFILES: Registry[Recipe] = Registry("profile")

PROFILES.register(
    "smoke",
    Recipe(
        profile="smoke",
        epochs=2,
        val_size=2000,
        train_size=3000,
        test_size=2000,
        model=(("channels", 16),),
    ),
)
"""CPU minutes: a 3,000-image training subset, 2 epochs, 16 channels; test on the first 2,000 test images."""

PROFILES.register(
    "remnet-paper",
    Recipe(profile="remnet-paper", epochs=10, val_size=10000, model=(("channels", 64),)),
)
"""The paper's search setting: full 50k/10k split, 10 epochs (Table 2), 64 channels, Adam 1e-3, batch 128."""

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
    Recipe(profile="remnet-final", epochs=20, val_size=10000, augmentation="flip+erase", model=(("channels", 128),)),
)
"""REMNet's final training (Table 2): 20 epochs, horizontal flip + random erasing; width set per row."""

PROFILES.register(
    "remnet-final-smoke",
    Recipe(profile="remnet-final-smoke", epochs=4, val_size=2000, train_size=5000, augmentation="flip+erase",
           model=(("channels", 16),)),
)  # fmt: skip
"""CPU minutes: the final-training recipe on 5,000 images for 4 epochs; width set per row."""


PROFILES.register(
    "nar-smoke",
    Recipe(profile="nar-smoke", epochs=2, val_size=2000, train_size=3000, test_size=2000, model=(("channels", 8),)),
)
"""CPU minutes for NAR's Fashion-MNIST proxy: the ``smoke`` data and epochs at 8 channels (a ResNet costs more per image)."""

PROFILES.register(
    "nar-cifar10",
    Recipe(profile="nar-cifar10", epochs=164, dataset="cifar-10", val_size=5000, normalize=(0.4734, 0.2516),
           optimizer="sgd-momentum", lr=0.1, weight_decay=1e-4, lr_milestones=(82, 123), augmentation="crop+flip",
           model=(("channels", 64),)),
)  # fmt: skip
"""NAR's retraining on CIFAR-10 (the paper's dataset, 45k/5k split) by ResNet's CIFAR protocol, which NAR's ResNet-18
follows (He et al. 2016, Section 4.2): SGD momentum 0.9, lr 0.1 divided by 10 at 32k and 48k of 64k iterations
(epochs 82 and 123 of 164 at batch 128), weight decay 1e-4, pad-4 crop + flip; 64 channels. GPU days."""

_RCAS_SGD = dict(optimizer="sgd-nesterov", lr=0.1, weight_decay=4e-5, model=())
"""RCAS Section 4.1: SGD, Nesterov momentum 0.9, lr 0.1 decayed x0.1 at milestones, weight decay 4e-5."""

_CIFAR_NORMALIZE = (0.478, 0.268)
"""CIFAR-100's mean and standard deviation over all pixels and channels (the recipe has one pair)."""

PROFILES.register(
    "rcas-smoke",
    Recipe(profile="rcas-smoke", epochs=2, lr_milestones=(1,), val_size=300, train_size=500, test_size=1000,
           batch_size=32, **_RCAS_SGD),
)  # fmt: skip
"""CPU proxy: Fashion-MNIST, 500 training images, 300 validation, 2 epochs (lr x0.1 after epoch 1), batch 32.

A smoke reproduction makes ~300 F evaluations, so each must cost CPU seconds; F is noisy at this scale."""

PROFILES.register(
    "rcas-gpu",
    Recipe(profile="rcas-gpu", epochs=4, lr_milestones=(2, 3), dataset="cifar-100", val_size=1000,
           normalize=_CIFAR_NORMALIZE, **_RCAS_SGD),
)  # fmt: skip
"""One GPU lease at a time: CIFAR-100, 1,000 validation images (10 per class on average), 4 epochs."""

PROFILES.register(
    "rcas-paper",
    Recipe(profile="rcas-paper", epochs=10, lr_milestones=(4, 7, 9), dataset="cifar-100", val_size=1000,
           normalize=_CIFAR_NORMALIZE, **_RCAS_SGD),
)  # fmt: skip
"""RCAS's search recipe (Section 4.1): CIFAR-100, 10 epochs, lr decay at 4, 7, 9; batch size 128 (not stated)."""

PROFILES.register(
    "rcas-final-smoke",
    Recipe(profile="rcas-final-smoke", epochs=4, lr_milestones=(2, 3), val_size=300, train_size=2000, test_size=2000,
           batch_size=64, augmentation="crop+flip", **_RCAS_SGD),
)  # fmt: skip
"""CPU proxy of RCAS's final training: Fashion-MNIST, 2,000 training images, 4 epochs (lr x0.1 after 2 and 3), crop + flip."""

PROFILES.register(
    "rcas-final-gpu",
    Recipe(profile="rcas-final-gpu", epochs=30, lr_milestones=(9, 18, 27), dataset="cifar-100", val_size=1000,
           normalize=_CIFAR_NORMALIZE, augmentation="crop+flip", **_RCAS_SGD),
)  # fmt: skip
"""RCAS's final training shortened to 30 epochs (decay at the same fractions, 0.3/0.6/0.9) for GPU leases."""

PROFILES.register(
    "rcas-final",
    Recipe(profile="rcas-final", epochs=200, lr_milestones=(60, 120, 180), dataset="cifar-100", val_size=1000,
           normalize=_CIFAR_NORMALIZE, augmentation="crop+flip", **_RCAS_SGD),
)  # fmt: skip
"""RCAS's final training (Section 4.1): the search settings, 200 epochs, decay at 60, 120, 180, random crop + flip."""

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
    Recipe(profile="featurenet-cifar10", epochs=12, dataset="cifar-10", val_size=5000, normalize=(0.4734, 0.2516),
           **_FEATURENET_SGD),
)  # fmt: skip
"""The paper's CIFAR-10 setting (local copy): 12 epochs; 5,000 training images held out for validation."""

for _name in ("featurenet-mnist", "featurenet-cifar10"):
    PROFILES.register(f"{_name}-keras", PROFILES.get(_name).with_changes(profile=f"{_name}-keras", normalize=(0.0, 1.0),
                                                                          init="glorot"))
"""The FeatureNet authors' variant of the paper's settings (yamizi/FeatureNet): inputs only divided by 255 (no
standardisation) and Keras's glorot-uniform weights with zero biases."""


_CELLS_SMOKE = dict(val_size=1000, train_size=3000, test_size=2000)
"""GDAS's CPU proxies: 3,000 Fashion-MNIST training images (the search takes its halves from them)."""

PROFILES.register(
    "gdas-nb201-smoke",
    Recipe(profile="gdas-nb201-smoke", epochs=2, model=(("channels", 8), ("layers", 1)), **_CELLS_SMOKE),
)
"""CPU minutes: NAS-Bench-201 cells at C=8, one cell per stage, retrained 2 epochs (Adam, as the trainer does)."""

PROFILES.register(
    "gdas-darts-smoke",
    Recipe(profile="gdas-darts-smoke", epochs=1, val_size=1000, train_size=1000, test_size=2000,
           model=(("channels", 8), ("layers", 1))),
)  # fmt: skip
"""CPU minutes: DARTS cells at C=8, one cell per stage, 1,000 training images, 1 epoch (a DARTS cell costs ~10x an NB201 cell)."""

PROFILES.register(
    "gdas-gpu",
    Recipe(profile="gdas-gpu", epochs=4, val_size=10000, model=(("channels", 16), ("layers", 2))),
)
"""One GPU lease: Fashion-MNIST 50k/10k, DARTS cells at the paper's search width (C=16, N=2), 4 epochs."""

PROFILES.register(
    "gdas-cifar10",
    Recipe(profile="gdas-cifar10", epochs=30, dataset="cifar-10", val_size=5000, normalize=(0.4734, 0.2516),
           model=(("channels", 16), ("layers", 2))),
)  # fmt: skip
"""GDAS on CIFAR-10 (a local copy): 45k/5k split, DARTS cells at C=16, N=2, 30 epochs (the paper: C=36, N=6, 600)."""


_NB201 = dict(optimizer="sgd-nesterov", lr=0.1, weight_decay=5e-4, batch_size=256, augmentation="crop+flip",
              normalize=(0.4734, 0.2516), model=(("channels", 16), ("layers", 5)), imported="nb201")  # fmt: skip
"""NAS-Bench-201's training (Dong & Yang 2020, Section 2.3): SGD with Nesterov momentum 0.9, lr 0.1 annealed
to 0 by a cosine schedule (not a field here: nothing is trained under these recipes), weight decay 5e-4,
batch 256, random crop + flip, the C=16, N=5 network. The rows are imported (``repro tables import nb201``)."""

NB201_PROFILES = {
    "nb201-cifar10-valid-12ep": (12, "cifar-10", 25000),
    "nb201-cifar10-valid-200ep": (200, "cifar-10", 25000),
    "nb201-cifar10-200ep": (200, "cifar-10", 0),
    "nb201-cifar100-12ep": (12, "cifar-100", 0),
    "nb201-cifar100-200ep": (200, "cifar-100", 0),
    "nb201-imagenet16-12ep": (12, "imagenet16-120", 0),
    "nb201-imagenet16-200ep": (200, "imagenet16-120", 0),
}
"""Name -> (epochs, dataset, held-out training images). ``cifar10-valid``: trained on 25k CIFAR-10 training
images, validated on the other 25k; ``cifar10``: trained on all 50k, tested on the 10k test images;
CIFAR-100 and ImageNet16-120: trained on the whole training set, validation and test are the two halves
of the test set (NB201's ``x-valid`` / ``x-test``). 12 epochs: NB201's low-fidelity ``hp=12`` schedule."""
for _name, (_epochs, _dataset, _val) in NB201_PROFILES.items():
    PROFILES.register(_name, Recipe(profile=_name, epochs=_epochs, dataset=_dataset, val_size=_val, **_NB201))  # type: ignore[arg-type]


PROFILES.register("macro-cifar10-50ep", Recipe(
    profile="macro-cifar10-50ep", epochs=50, dataset="cifar-10", val_size=0, optimizer="sgd-momentum", lr=0.1,
    weight_decay=5e-4, batch_size=256, augmentation="crop+flip", normalize=(0.4734, 0.2516), model=(), imported="macro",
))  # fmt: skip
"""NAS-Bench-Macro's training (xiusu/NAS-Bench-Macro ``train/train.py``): SGD momentum 0.9, lr 0.1 annealed to 0
by a cosine schedule over 50 epochs (not a field here: nothing is trained under it), weight decay 5e-4, batch
256, crop + flip, on all 50k CIFAR-10 training images; ``test_acc`` is the best 10k-test accuracy over the 50
epochs, as the authors record it. The rows are imported (``repro tables import macro``)."""


def as_recipe(recipe: str | Recipe) -> Recipe:
    """``recipe`` itself, or the registered profile of that name (experiments name a profile or carry a recipe)."""
    return recipe if isinstance(recipe, Recipe) else get_profile(recipe)


def get_profile(name: str, **overrides: Any) -> Recipe:
    """The registered recipe ``name``, with optional field overrides (which change its key)."""
    recipe = PROFILES.get(name)
    return recipe.with_changes(**{k: v for k, v in overrides.items() if v is not None}) if overrides else recipe
