"""Fixed-topology ResNet backbones and the operators a NAR slot may hold (Jiang, Zhao & Pang, Section 3).

The skip connections of a backbone never change; only the operator inside a conv-BN(-ReLU) slot
does. A *slot* is one convolution of a residual block together with its BatchNorm (and ReLU, when
the original had one); a *choice* is one entry of the operator vector, which sets one slot
("ResNet-18-16": per conv-BN-ReLU) or both slots of a residual block ("ResNet-18-8").

Channel and stride handling (the paper does not say; our choice):

- ``conv3``/``conv5``: a plain k x k convolution, stride and channel change as the original.
- ``dw3``/``dw5``: depthwise-separable, as ENAS's "separable conv" that the paper takes its
  candidates from: a k x k depthwise convolution carries the stride, a 1 x 1 pointwise convolution
  maps the input channels to the slot's output channels. With the pointwise part, ResNet-18-8's
  Table 4 vector [1,0,...] costs 0.20 GMACs less than the baseline, as the paper's 1.76 -> 1.57
  (a depthwise-only op would save 0.23 G).
- ``max3``/``avg3``: 3 x 3 pooling (padding 1) carries the stride; at a slot whose output channels
  differ from its input channels, a 1 x 1 projection follows (so every operator is allowed at every
  slot and the residual sum keeps its shape). The projection has C_in*C_out weights, fewer than the
  9*C_in*C_out of the conv3 it replaces.

No default candidate has more parameters than ``conv3``. ``conv5`` has more and is meant for
backbones built of 5 x 5 convolutions; ``dw5`` has fewer (for 4 or more output channels) but is not
among the four the paper uses for a conv3 backbone; both can be given as ``candidates``.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from repro.errors import ReproError

OPERATORS = ("conv3", "conv5", "dw3", "dw5", "max3", "avg3")
"""Every operator name a genome may hold."""

DEFAULT_CANDIDATES = ("conv3", "dw3", "max3", "avg3")
"""The paper's candidates for a conv3-only backbone, in the order of its Table 1/4 codes 0, 1, 2, 3."""


def make_op(name: str, in_channels: int, out_channels: int, stride: int) -> nn.Module:
    """The operator ``name`` mapping ``in_channels`` to ``out_channels`` with ``stride`` (no BN, no ReLU)."""
    kind, kernel = name[:-1], int(name[-1])
    pad = kernel // 2
    if kind == "conv":
        return nn.Conv2d(in_channels, out_channels, kernel, stride, pad, bias=False)
    if kind == "dw":
        return nn.Sequential(
            nn.Conv2d(in_channels, in_channels, kernel, stride, pad, groups=in_channels, bias=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
        )
    if kind in ("max", "avg"):
        pool: nn.Module = (
            nn.MaxPool2d(kernel, stride, pad)
            if kind == "max"
            else nn.AvgPool2d(kernel, stride, pad, count_include_pad=False)
        )
        if in_channels == out_channels:
            return pool
        return nn.Sequential(pool, nn.Conv2d(in_channels, out_channels, 1, bias=False))
    raise ReproError(f"nar: unknown operator {name!r}; known: {', '.join(OPERATORS)}")


@dataclass(frozen=True)
class Slot:
    """One conv-BN(-ReLU) position: channels as multiples of the base width, its stride and its choice index."""

    in_mult: int
    out_mult: int
    stride: int
    relu: bool
    choice: int


@dataclass(frozen=True)
class Backbone:
    """A ResNet with basic blocks: ``stem`` ("imagenet": 7x7/2 + max-pool/2; "cifar": 3x3/1), stages as
    (width multiple, blocks, first stride), ``per_block`` granularity, and the width it was published at."""

    name: str
    stem: str
    stages: tuple[tuple[int, int, int], ...]
    per_block: bool
    default_channels: int

    def slots(self) -> list[Slot]:
        """Both convolutions of every block, in forward order, each with the choice that sets it."""
        out: list[Slot] = []
        in_mult, block = 1, 0
        for mult, blocks, first_stride in self.stages:
            for b in range(blocks):
                stride = first_stride if b == 0 else 1
                first = block if self.per_block else len(out)
                second = block if self.per_block else len(out) + 1
                out.append(Slot(in_mult, mult, stride, True, first))
                out.append(Slot(mult, mult, 1, False, second))  # ReLU comes after the residual sum
                in_mult = mult
                block += 1
        return out

    @property
    def num_choices(self) -> int:
        """The length of the operator vector."""
        return max(s.choice for s in self.slots()) + 1


_RESNET18 = ((1, 2, 1), (2, 2, 2), (4, 2, 2), (8, 2, 2))

BACKBONES = {
    b.name: b
    for b in (
        Backbone("resnet18-8-imagenet", "imagenet", _RESNET18, True, 64),
        Backbone("resnet18-16-imagenet", "imagenet", _RESNET18, False, 64),
        Backbone("resnet18-8-cifar", "cifar", _RESNET18, True, 64),
        Backbone("resnet18-16-cifar", "cifar", _RESNET18, False, 64),
        # The Fashion-MNIST proxy: one block per stage, three stages, a choice per convolution; the
        # first stage already halves 28x28, so a CPU step costs about a quarter of a full-resolution one.
        Backbone("resnet-small", "cifar", ((1, 1, 2), (2, 1, 2), (4, 1, 2)), False, 16),
    )
}
"""Backbones by id; the id is half of every NAR canonical text."""


def get_backbone(name: str) -> Backbone:
    """The backbone ``name``, or a ReproError listing the known ones."""
    if name not in BACKBONES:
        raise ReproError(f"nar: unknown backbone {name!r}; known: {', '.join(BACKBONES)}")
    return BACKBONES[name]
