"""Build a REMNet network from a canonical graph (Section 3.3 of the paper, details from the authors' code).

- convolution: Conv2d(k, stride 1, no padding, bias) -> ReLU6 -> BatchNorm2d -> Dropout2d(0.1),
  with C (``.N``) or C/2 (``.H``) filters;
- pooling: Max/AvgPool2d(k, stride k);
- a node with several inputs brings them to the smallest spatial size among them (nearest
  resize) and the smallest channel count (1x1 convolution) and sums them;
- head: Flatten -> Linear(F, F/4) -> Linear(F/4, F/8) -> Linear(F/8, classes), no activations.

Shapes are static, so every size check happens here, at build time, and an impossible network
raises :class:`InvalidArchitecture` with the reason instead of failing during training.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from repro.canonical import topological_order
from repro.spaces.base import InvalidArchitecture

IN_LABEL = "IN"
OUT_LABEL = "OUT"


class _Merge(nn.Module):
    """Bring several inputs to one spatial size and channel count, then sum them."""

    def __init__(self, in_channels: Sequence[int], channels: int, size: tuple[int, int]) -> None:
        super().__init__()
        self.size = size
        self.project = nn.ModuleList(
            nn.Identity() if c == channels else nn.Conv2d(c, channels, kernel_size=1) for c in in_channels
        )

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        total = None
        for x, project in zip(inputs, self.project):
            if tuple(x.shape[-2:]) != self.size:
                x = F.interpolate(x, size=self.size, mode="nearest")
            x = project(x)
            total = x if total is None else total + x
        assert total is not None
        return total


def _layer(label: str, in_channels: int, channels: int) -> tuple[nn.Module, int, int]:
    """The module for a Table 1 label, its output channel count, and its kernel size."""
    kind, rest = label.split("_")
    kernel, variant = int(rest[0]), rest[2]
    if kind == "CONV":
        filters = channels if variant == "N" else channels // 2
        block = nn.Sequential(
            nn.Conv2d(in_channels, filters, kernel_size=kernel),
            nn.ReLU6(),
            nn.BatchNorm2d(filters),
            nn.Dropout2d(0.1),
        )
        return block, filters, kernel
    pool = nn.AvgPool2d(kernel, stride=kernel) if variant == "A" else nn.MaxPool2d(kernel, stride=kernel)
    return pool, in_channels, kernel


class RemnetNet(nn.Module):
    """The network of one canonical REMNet graph (vertex labels ``IN``, ``OUT`` or a Table 1 layer)."""

    def __init__(
        self,
        labels: Sequence[str],
        edges: Sequence[tuple[int, int]],
        input_shape: tuple[int, int, int],
        num_classes: int,
        channels: int,
    ) -> None:
        super().__init__()
        if channels < 2:
            raise ValueError(f"channels must be >= 2 (half of it is a layer's width), got {channels}")
        self.order = topological_order(len(labels), edges)
        if len(self.order) < len(labels):
            raise InvalidArchitecture("the active connections form a cycle")
        self.preds = {v: sorted(a for a, b in edges if b == v) for v in range(len(labels))}
        self.source = labels.index(IN_LABEL)
        self.sink = labels.index(OUT_LABEL)
        shapes: dict[int, tuple[int, int, int]] = {self.source: tuple(input_shape)}  # type: ignore[dict-item]
        self.merges = nn.ModuleDict()
        self.layers = nn.ModuleDict()
        for v in self.order:
            if v == self.source:
                continue
            in_shapes = [shapes[u] for u in self.preds[v]]
            c = min(s[0] for s in in_shapes)
            h = min(s[1] for s in in_shapes)
            w = min(s[2] for s in in_shapes)
            if len(in_shapes) > 1:
                self.merges[str(v)] = _Merge([s[0] for s in in_shapes], c, (h, w))
            if v == self.sink:
                shapes[v] = (c, h, w)
                continue
            module, c_out, kernel = _layer(labels[v], c, channels)
            if h < kernel or w < kernel:
                raise InvalidArchitecture(f"{labels[v]} needs an input of at least {kernel}x{kernel} but gets {h}x{w}")
            self.layers[str(v)] = module
            if labels[v].startswith("CONV"):
                shapes[v] = (c_out, h - kernel + 1, w - kernel + 1)
            else:
                shapes[v] = (c_out, h // kernel, w // kernel)
        features = shapes[self.sink][0] * shapes[self.sink][1] * shapes[self.sink][2]
        if features // 8 < 1:
            raise InvalidArchitecture(f"the head needs at least 8 features but the output node has {features}")
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(features, features // 4),
            nn.Linear(features // 4, features // 8),
            nn.Linear(features // 8, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = {self.source: x}
        for v in self.order:
            if v == self.source:
                continue
            inputs = [outs[u] for u in self.preds[v]]
            key = str(v)
            y = self.merges[key](inputs) if key in self.merges else inputs[0]
            outs[v] = self.layers[key](y) if key in self.layers else y
        return self.head(outs[self.sink])
