"""Training recipes and the named profiles that fix them.

A recipe is everything besides the architecture and the seed that decides a trained network's
numbers: data and split, epochs, batch size, optimiser, augmentation, width, precision. Its hash
is half of every cache key, so the same genome trained under two recipes is two rows.

The library defines the recipe type, the generic ``smoke`` profile and the imported benchmarks' protocols;
the papers' recipes live in ``papers/<paper>/recipes.py`` (see :data:`PROFILES`). Why the profile's name is part
of the hash is argued in :mod:`repro.cache.store`.
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

OPTIMIZERS = ("adam", "sgd-nesterov", "sgd", "sgd-momentum", "adamax")
"""``sgd-nesterov``: SGD with Nesterov momentum 0.9 (RCAS's search recipe); ``sgd``: plain SGD, no momentum
(FeatureNet's); ``sgd-momentum``: SGD with (heavy-ball) momentum 0.9 (ResNet's CIFAR protocol); ``adamax``:
Adamax, betas (0.9, 0.999) (REMNet's authors' final training); ``lr_milestones`` multiply lr by 0.1."""

AUGMENTATIONS = ("none", "flip+erase", "crop+flip", "crop+flip+cutout")
"""``flip+erase``: random horizontal flip and random erasing (p 0.5 each), as REMNet's final training;
``crop+flip``: pad 4, random crop, random horizontal flip (ResNet's CIFAR augmentation, RCAS's final training);
``crop+flip+cutout``: ``crop+flip``, then one 16x16 square zeroed per image (CutOut, DARTS's and GDAS's retraining)."""

SCHEDULES = ("step", "cosine")
"""``step``: lr times 0.1 after each of ``lr_milestones`` (none: constant); ``cosine``: lr annealed from ``lr`` to 0
over the epochs, one step per epoch (DARTS's and GDAS's retraining)."""


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
    """Training images held out for validation; 0 holds none out and validates on the test split (a paper whose
    fitness is test accuracy and whose loader trains on every training image, as REMNet's authors')."""
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
    schedule: str = "step"
    """The learning-rate schedule (:data:`SCHEDULES`)."""
    grad_clip: float | None = None
    """Clip the gradients' global L2 norm to this before each step (None: no clipping)."""
    channel_mean: tuple[float, ...] | None = None
    """Per-channel means subtracted in place of ``normalize``'s single mean (``normalize``'s std still divides):
    RCAS's "RGB mean value subtraction" with ``normalize=(0.0, 1.0)``. None: ``normalize`` alone."""

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ReproError(f"recipe {self.profile!r}: epochs and batch_size must be >= 1")
        if self.optimizer not in OPTIMIZERS:
            raise ReproError(
                f"recipe {self.profile!r}: optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}"
            )
        if list(self.lr_milestones) != sorted(set(self.lr_milestones)) or any(
            not 1 <= m < self.epochs for m in self.lr_milestones
        ):
            raise ReproError(
                f"recipe {self.profile!r}: lr_milestones must be increasing epochs in 1..{self.epochs - 1}"
            )
        if self.augmentation not in AUGMENTATIONS:
            raise ReproError(
                f"recipe {self.profile!r}: augmentation must be one of {', '.join(AUGMENTATIONS)}, got {self.augmentation!r}"
            )
        if self.schedule not in SCHEDULES:
            raise ReproError(
                f"recipe {self.profile!r}: schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}"
            )
        if self.schedule == "cosine" and self.lr_milestones:
            raise ReproError(
                f"recipe {self.profile!r}: a cosine schedule takes no lr_milestones; drop them or use schedule 'step'"
            )
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ReproError(
                f"recipe {self.profile!r}: grad_clip must be a positive norm or None, got {self.grad_clip!r}"
            )
        if self.val_size < 0:
            raise ReproError(
                f"recipe {self.profile!r}: val_size must be >= 0 (0: no held-out images), got {self.val_size}"
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
        if self.schedule == "step":
            del data["schedule"]
        if self.grad_clip is None:
            del data["grad_clip"]
        if self.channel_mean is None:
            del data["channel_mean"]
        else:
            data["channel_mean"] = list(self.channel_mean)
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
        if data.get("channel_mean") is not None:
            data["channel_mean"] = tuple(data["channel_mean"])
        return cls(**data)

    def with_changes(self, **changes: Any) -> Recipe:
        """A copy with some fields changed; ``channels=`` sets the width option."""
        if "channels" in changes:
            model = dict(self.model)
            model["channels"] = int(changes.pop("channels"))
            changes["model"] = tuple(sorted(model.items()))
        return dataclasses.replace(self, **changes)


CIFAR10_NORMALIZE = (0.4734, 0.2516)
"""CIFAR-10's mean and standard deviation over all pixels and channels (a recipe has one pair)."""

CIFAR100_NORMALIZE = (0.478, 0.268)
"""CIFAR-100's, likewise."""

CIFAR100_RGB_MEAN = (0.5071, 0.4865, 0.4409)
"""CIFAR-100's per-channel (R, G, B) means over the training images, for :attr:`Recipe.channel_mean`."""

PROFILES: Registry[Recipe] = Registry("profile", plugins="repro.profiles")
"""Every named recipe. The library registers its own (``smoke``, the imported benchmarks' protocols); each paper
registers its recipes from ``papers/<paper>/recipes.py``, loaded through the ``repro.profiles`` entry point the
first time a name is missing, so paper recipes live with their papers and the library never imports them."""

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

_NB201 = dict(
    optimizer="sgd-nesterov",
    lr=0.1,
    weight_decay=5e-4,
    batch_size=256,
    augmentation="crop+flip",
    normalize=CIFAR10_NORMALIZE,
    model=(("channels", 16), ("layers", 5)),
    imported="nb201",
)
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


PROFILES.register(
    "macro-cifar10-50ep",
    Recipe(
        profile="macro-cifar10-50ep",
        epochs=50,
        dataset="cifar-10",
        val_size=0,
        optimizer="sgd-momentum",
        lr=0.1,
        weight_decay=5e-4,
        batch_size=256,
        augmentation="crop+flip",
        normalize=(0.4734, 0.2516),
        model=(),
        imported="macro",
    ),
)
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
