"""Hand-written reference networks as a (tiny) search space, so baselines go through the same evaluator and cache.

A genome is a network's name. ``lenet5`` is LeNet5 written layer by layer in PyTorch, the
counterpart of FeatureNet's LeNet5 configuration (Fig. 4) for the RQ1 equivalence check;
``squeezenet1_1`` is torchvision's SqueezeNet 1.1 with its first convolution taking the dataset's
channels and the classifier sized to its classes (the rest, strides and pooling included, as
defined, which on 28x28 inputs leaves a 1x1 map before the last Fire modules).

The FeatureNet authors' own baselines (yamizi/FeatureNet, ``lenet5.py`` and ``squeezenet.py``) are
built as they wrote them, so the paper's printed sizes can be checked: ``lenet5-authors`` (tanh,
2x2 average pooling, ``valid`` second and third convolutions: 545,546 weights on MNIST, 868,406 on
CIFAR-10) and ``squeezenet1_0-channels-last`` (SqueezeNet 1.0 whose layers are declared
channels-first but fed channels-last images, so an HxWxC image is read as H channels of WxC: the
authors' bug, reproduced on purpose; 858,154 and 876,970 weights).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from repro.errors import ReproError
from repro.spaces.base import CanonicalForm, SearchSpace, canonical_key


def lenet5(input_shape: tuple[int, int, int], classes: int) -> nn.Module:
    """Conv 6@5x5 same, max pool 2, conv 16@5x5 same, max pool 2, conv 120@5x5 same, dense 84, dense classes (ReLU)."""
    c, h, w = input_shape
    flat = 120 * (h // 4) * (w // 4)
    return nn.Sequential(
        nn.Conv2d(c, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 120, 5, padding=2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(flat, 84),
        nn.ReLU(),
        nn.Linear(84, classes),
    )


def lenet5_authors(input_shape: tuple[int, int, int], classes: int) -> nn.Module:
    """The FeatureNet authors' Keras LeNet5: conv 6@5x5 same, avg pool 2 stride 1, conv 16@5x5 valid, avg pool 2,
    conv 120@5x5 valid (tanh after each convolution), dense 84 tanh, dense ``classes``."""
    c, h, w = input_shape
    side = (h - 5) // 2 - 4, (w - 5) // 2 - 4
    return nn.Sequential(
        nn.Conv2d(c, 6, 5, padding=2),
        nn.Tanh(),
        nn.AvgPool2d(2, stride=1),
        nn.Conv2d(6, 16, 5),
        nn.Tanh(),
        nn.AvgPool2d(2),
        nn.Conv2d(16, 120, 5),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(120 * side[0] * side[1], 84),
        nn.Tanh(),
        nn.Linear(84, classes),
    )


class _Fire(nn.Module):
    """SqueezeNet's Fire module (ReLU after squeeze and both expands, expands concatenated)."""

    def __init__(self, c_in: int, squeeze: int, expand: int) -> None:
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(c_in, squeeze, 1), nn.ReLU())
        self.expand1 = nn.Sequential(nn.Conv2d(squeeze, expand, 1), nn.ReLU())
        self.expand3 = nn.Sequential(nn.Conv2d(squeeze, expand, 3, padding=1), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.squeeze(x)
        return torch.cat([self.expand1(x), self.expand3(x)], dim=1)


class _ChannelsLastAsFirst(nn.Module):
    """Hand an NCHW batch on as the authors' network saw it: NHWC memory read as NCHW (H becomes the channels)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, 2, 3, 1)


class _KerasSamePad(nn.Module):
    """Keras ``padding='same'`` for a ``kernel`` at ``stride``: the total padding split with the extra pixel after."""

    def __init__(self, kernel: int, stride: int) -> None:
        super().__init__()
        self.kernel, self.stride = kernel, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size in (x.shape[3], x.shape[2]):  # F.pad takes the last dimension first
            total = max((-(-size // self.stride) - 1) * self.stride + self.kernel - size, 0)
            pads += [total // 2, total - total // 2]
        return nn.functional.pad(x, pads)


def squeezenet1_0_channels_last(input_shape: tuple[int, int, int], classes: int) -> nn.Module:
    """The FeatureNet authors' Keras SqueezeNet 1.0, channels-last bug included (see the module docstring).

    Their pooling layers are 1x1 with stride 2; conv10 has a ReLU before the global average pool;
    dropout 0.5 before conv10. The final softmax is left to the loss, as for every network here.
    """
    _, h, _ = input_shape
    fires = [
        (96, 16, 64),
        (128, 16, 64),
        (128, 32, 128),
        "pool",
        (256, 32, 128),
        (256, 48, 192),
        (384, 48, 192),
        (384, 64, 256),
        "pool",
        (512, 64, 256),
    ]
    return nn.Sequential(
        _ChannelsLastAsFirst(),
        _KerasSamePad(7, 2),
        nn.Conv2d(h, 96, 7, stride=2),
        nn.ReLU(),
        nn.MaxPool2d(1, 2),
        *[nn.MaxPool2d(1, 2) if f == "pool" else _Fire(*f) for f in fires],
        nn.Dropout(0.5),
        nn.Conv2d(512, classes, 1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    )


def squeezenet1_1(input_shape: tuple[int, int, int], classes: int) -> nn.Module:
    """torchvision's SqueezeNet 1.1 for ``input_shape[0]`` channels and ``classes`` classes."""
    from torchvision.models import squeezenet1_1 as torchvision_squeezenet

    net = torchvision_squeezenet(num_classes=classes)
    net.features[0] = nn.Conv2d(input_shape[0], 64, kernel_size=3, stride=2)
    return net


NETWORKS: dict[str, Callable[[tuple[int, int, int], int], nn.Module]] = {
    "lenet5": lenet5,
    "squeezenet1_1": squeezenet1_1,
    "lenet5-authors": lenet5_authors,
    "squeezenet1_0-channels-last": squeezenet1_0_channels_last,
}


class HandcraftedSpace(SearchSpace[str]):
    """Named hand-written networks (LeNet5, SqueezeNet 1.1): the baselines of the FeatureNet paper."""

    name = "handcrafted"

    def sample(self, rng: np.random.Generator) -> str:
        names = sorted(NETWORKS)
        return names[int(rng.integers(len(names)))]

    def mutate(self, genome: str, rng: np.random.Generator) -> str:
        others = sorted(set(NETWORKS) - {genome})
        return others[int(rng.integers(len(others)))]

    def canonical(self, genome: str) -> CanonicalForm:
        return CanonicalForm(text=genome, key=canonical_key(self.name, genome))

    def build(self, genome: str, input_shape: tuple[int, int, int], num_classes: int, **options: Any) -> nn.Module:
        if options:
            raise ReproError(f"handcrafted: unknown model options {sorted(options)}; each network fixes its widths")
        return NETWORKS[genome](input_shape, num_classes)

    def to_json(self, genome: str) -> str:
        return json.dumps(genome)

    def from_json(self, text: str) -> str:
        try:
            name = json.loads(text)
        except ValueError:
            name = None
        if name not in NETWORKS:
            known = ", ".join(json.dumps(n) for n in NETWORKS)
            raise ReproError(f"not a handcrafted network: {text!r}; use one of {known}")
        return name
