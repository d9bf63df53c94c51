"""A NAR network: a fixed ResNet backbone whose slots hold one operator each, or all candidates (supernet).

One class serves both: a trained child has one operator per slot; the ENAS supernet has every
candidate per slot (each with its own BatchNorm, so the statistics of different operators never
mix) and takes the operator vector as a forward argument.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from repro.spaces.nar.backbones import Backbone, make_op


class _SlotOps(nn.Module):
    """The candidate operators of one slot, each followed by BatchNorm (and ReLU if the slot has one)."""

    def __init__(self, names: Sequence[str], in_channels: int, out_channels: int, stride: int, relu: bool) -> None:
        super().__init__()
        self.ops = nn.ModuleList(
            nn.Sequential(
                make_op(name, in_channels, out_channels, stride),
                nn.BatchNorm2d(out_channels),
                *([nn.ReLU(inplace=True)] if relu else []),
            )
            for name in names
        )

    def forward(self, x: torch.Tensor, index: int) -> torch.Tensor:
        return self.ops[index](x)


class NarNet(nn.Module):
    """The backbone with ``candidates[c]`` available for choice ``c``; ``forward(x, arch)`` picks one each.

    ``arch`` indexes into each choice's candidates; ``None`` means index 0 everywhere (a trained child,
    which has one candidate per choice).
    """

    def __init__(
        self,
        backbone: Backbone,
        candidates: Sequence[Sequence[str]],
        channels: int,
        input_shape: tuple[int, int, int],
        num_classes: int,
    ) -> None:
        super().__init__()
        in_channels = input_shape[0]
        if backbone.stem == "imagenet":
            stem: list[nn.Module] = [nn.Conv2d(in_channels, channels, 7, 2, 3, bias=False)]
        else:
            stem = [nn.Conv2d(in_channels, channels, 3, 1, 1, bias=False)]
        stem += [nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]
        if backbone.stem == "imagenet":
            stem.append(nn.MaxPool2d(3, 2, 1))
        self.stem = nn.Sequential(*stem)
        self.slots = backbone.slots()
        self.slot_ops = nn.ModuleList(
            _SlotOps(candidates[s.choice], s.in_mult * channels, s.out_mult * channels, s.stride, s.relu)
            for s in self.slots
        )
        # The fixed skip connections: identity, or 1x1/stride + BN where a block changes shape (torchvision's rule).
        self.shortcuts = nn.ModuleList()
        for first in self.slots[::2]:
            cin, cout = first.in_mult * channels, first.out_mult * channels
            self.shortcuts.append(
                nn.Identity()
                if first.stride == 1 and cin == cout
                else nn.Sequential(nn.Conv2d(cin, cout, 1, first.stride, bias=False), nn.BatchNorm2d(cout))
            )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.slots[-1].out_mult * channels, num_classes)

    def forward(self, x: torch.Tensor, arch: Sequence[int] | None = None) -> torch.Tensor:
        x = self.stem(x)
        for b, shortcut in enumerate(self.shortcuts):
            first, second = self.slots[2 * b], self.slots[2 * b + 1]
            h = self.slot_ops[2 * b](x, 0 if arch is None else arch[first.choice])
            h = self.slot_ops[2 * b + 1](h, 0 if arch is None else arch[second.choice])
            x = torch.relu(h + shortcut(x))
        return self.fc(torch.flatten(self.pool(x), 1))
