"""Hand-written reference networks as a (tiny) search space, so baselines go through the same evaluator and cache.

A genome is a network's name. ``lenet5`` is LeNet5 written layer by layer in PyTorch, the
counterpart of FeatureNet's LeNet5 configuration (Fig. 4) for the RQ1 equivalence check;
``squeezenet1_1`` is torchvision's SqueezeNet 1.1 with its first convolution taking the dataset's
channels and the classifier sized to its classes (the rest, strides and pooling included, as
defined, which on 28x28 inputs leaves a 1x1 map before the last Fire modules).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
from torch import nn

from repro.errors import ReproError
from repro.spaces.base import CanonicalForm, SearchSpace, canonical_key


def lenet5(input_shape: tuple[int, int, int], classes: int) -> nn.Module:
    """Conv 6@5x5 same, max pool 2, conv 16@5x5 same, max pool 2, conv 120@5x5 same, dense 84, dense classes (ReLU)."""
    c, h, w = input_shape
    flat = 120 * (h // 4) * (w // 4)
    return nn.Sequential(
        nn.Conv2d(c, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 120, 5, padding=2), nn.ReLU(),
        nn.Flatten(), nn.Linear(flat, 84), nn.ReLU(), nn.Linear(84, classes),
    )  # fmt: skip


def squeezenet1_1(input_shape: tuple[int, int, int], classes: int) -> nn.Module:
    """torchvision's SqueezeNet 1.1 for ``input_shape[0]`` channels and ``classes`` classes."""
    from torchvision.models import squeezenet1_1 as torchvision_squeezenet

    net = torchvision_squeezenet(num_classes=classes)
    net.features[0] = nn.Conv2d(input_shape[0], 64, kernel_size=3, stride=2)
    return net


NETWORKS: dict[str, Callable[[tuple[int, int, int], int], nn.Module]] = {
    "lenet5": lenet5,
    "squeezenet1_1": squeezenet1_1,
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
