"""Build a REMNet network from a canonical graph (Section 3.3 of the paper, details from the authors' code).

- convolution: Conv2d(k, stride 1, no padding, bias) -> ReLU6 -> BatchNorm2d -> Dropout2d(0.1),
  with C (``.N``) or C/2 (``.H``) filters;
- pooling: Max/AvgPool2d(k, stride k);
- a node with several inputs brings them to the smallest spatial size among them (nearest
  resize) and the smallest channel count (1x1 convolution) and sums them;
- head: Flatten -> Linear(F, F/4) -> Linear(F/4, F/8) -> Linear(F/8, classes), no activations.

Shapes are static, so every size check happens here, at build time, and an impossible network
raises :class:`InvalidArchitecture` with the reason instead of failing during training. A layer whose
kernel exceeds its input is such a network, as the paper says (Section 4.2: "a kernel size greater than
the input tensor size"); ``min_input="enlarge"`` builds it as the authors' code does instead
(``get_min_input_size`` in GeorgeKyriakides/nord, branch AIAI2020: the input is resized, nearest, to
kernel x kernel).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


def _kernel(label: str) -> tuple[str, int, str]:
    """A Table 1 label's kind (CONV/POOL), kernel size and variant (H/N or A/M)."""
    kind, rest = label.split("_")
    return kind, int(rest[0]), rest[2]


def _layer(label: str, in_channels: int, channels: int) -> nn.Module:
    """The module for a Table 1 label."""
    kind, kernel, variant = _kernel(label)
    if kind == "CONV":
        filters = channels if variant == "N" else channels // 2
        return nn.Sequential(
            nn.Conv2d(in_channels, filters, kernel_size=kernel),
            nn.ReLU6(),
            nn.BatchNorm2d(filters),
            nn.Dropout2d(0.1),
        )
    return nn.AvgPool2d(kernel, stride=kernel) if variant == "A" else nn.MaxPool2d(kernel, stride=kernel)


Shape = tuple[int, int, int]


@dataclass(frozen=True)
class Plan:
    """The static shapes of a network: build order, predecessors, merged input and output shape per vertex."""

    order: list[int]
    preds: dict[int, list[int]]
    inputs: dict[int, Shape]
    outputs: dict[int, Shape]
    source: int
    sink: int


MIN_INPUT = ("reject", "enlarge")
"""What a layer whose kernel exceeds its input does: ``reject`` the network (the paper's text) or ``enlarge`` the
input to kernel x kernel (the authors' code)."""


def plan(
    labels: Sequence[str],
    edges: Sequence[tuple[int, int]],
    input_shape: Shape,
    channels: int,
    min_input: str = "reject",
) -> Plan:
    """Every shape of the network, without creating a module (microseconds, where building takes milliseconds).

    Raises :class:`InvalidArchitecture` exactly when :class:`RemnetNet` would.
    """
    order = topological_order(len(labels), edges)
    if len(order) < len(labels):
        raise InvalidArchitecture("the active connections form a cycle")
    preds = {v: sorted(a for a, b in edges if b == v) for v in range(len(labels))}
    source, sink = labels.index(IN_LABEL), labels.index(OUT_LABEL)
    inputs: dict[int, Shape] = {}
    outputs: dict[int, Shape] = {source: tuple(input_shape)}  # type: ignore[dict-item]
    for v in order:
        if v == source:
            continue
        in_shapes = [outputs[u] for u in preds[v]]
        c, h, w = (min(s[i] for s in in_shapes) for i in range(3))
        inputs[v] = (c, h, w)
        if v == sink:
            outputs[v] = (c, h, w)
            continue
        kind, kernel, variant = _kernel(labels[v])
        if (h < kernel or w < kernel) and min_input == "enlarge":
            h = w = kernel  # every spatial dimension set to the kernel, as the authors' get_min_input_size
            inputs[v] = (c, h, w)
        elif h < kernel or w < kernel:
            raise InvalidArchitecture(f"{labels[v]} needs an input of at least {kernel}x{kernel} but gets {h}x{w}")
        if kind == "CONV":
            outputs[v] = (channels if variant == "N" else channels // 2, h - kernel + 1, w - kernel + 1)
        else:
            outputs[v] = (c, h // kernel, w // kernel)
    features = outputs[sink][0] * outputs[sink][1] * outputs[sink][2]
    if features // 8 < 1:
        raise InvalidArchitecture(f"the head needs at least 8 features but the output node has {features}")
    return Plan(order, preds, inputs, outputs, source, sink)


class RemnetNet(nn.Module):
    """The network of one canonical REMNet graph (vertex labels ``IN``, ``OUT`` or a Table 1 layer)."""

    def __init__(
        self,
        labels: Sequence[str],
        edges: Sequence[tuple[int, int]],
        input_shape: tuple[int, int, int],
        num_classes: int,
        channels: int,
        min_input: str = "reject",
    ) -> None:
        super().__init__()
        if channels < 2:
            raise ValueError(f"channels must be >= 2 (half of it is a layer's width), got {channels}")
        p = plan(labels, edges, input_shape, channels, min_input)
        self.order, self.preds, self.source, self.sink = p.order, p.preds, p.source, p.sink
        self.merges = nn.ModuleDict()
        self.layers = nn.ModuleDict()
        for v in self.order:
            if v == self.source:
                continue
            c, h, w = p.inputs[v]
            # Several inputs are merged; a single input is resized when the plan enlarged it (``min_input``).
            if len(self.preds[v]) > 1 or p.outputs[self.preds[v][0]][1:] != (h, w):
                self.merges[str(v)] = _Merge([p.outputs[u][0] for u in self.preds[v]], c, (h, w))
            if v != self.sink:
                self.layers[str(v)] = _layer(labels[v], c, channels)
        features = p.outputs[self.sink][0] * p.outputs[self.sink][1] * p.outputs[self.sink][2]
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
