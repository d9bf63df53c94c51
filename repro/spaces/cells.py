"""Cell networks shared by the DARTS and NAS-Bench-201 spaces: candidate operations and a DAG cell.

One :class:`DagCell` serves a trained (derived) cell, where every edge holds one operation, and a
weight-sharing supernet cell, where every edge holds all candidates. How a supernet edge combines
its candidates is decided per forward by the weights handed to it (see :class:`EdgeWeights`):

- ``hard`` (GDAS): a one-hot sample; only the sampled candidate is computed. Its logit gradient
  follows one of two rules (:data:`EDGE_GRADIENTS`): ``argmax``, only the sampled candidate's
  weight carries gradient (the paper, Section 3.2: "we only back-propagate the gradient generated
  at the argmax"; the authors' DARTS-space ``MixedOp.forward_gdas``), or ``all``, the other
  candidates' weights are added as scalars (zero in the forward) so that their straight-through
  gradients also reach the logits (the authors' NAS-Bench-201 cell, ``SearchCell.forward_gdas``);
- ``mixed`` (DARTS): every candidate is computed and summed with its softmax weight.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from repro.errors import ReproError


class ReLUConvBN(nn.Sequential):
    """ReLU, convolution, BatchNorm: the basic unit of both spaces' operations."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride, padding, dilation=dilation, bias=False),
            nn.BatchNorm2d(c_out),
        )


class DilConv(nn.Sequential):
    """DARTS's dilated depthwise-separable convolution: ReLU, depthwise k×k, pointwise 1×1, BN."""

    def __init__(self, c: int, kernel: int, stride: int, padding: int, dilation: int) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, stride, padding, dilation=dilation, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c),
        )


class SepConv(nn.Sequential):
    """DARTS's separable convolution: the dilation-1 :class:`DilConv` twice (stride on the first)."""

    def __init__(self, c: int, kernel: int, stride: int, padding: int) -> None:
        super().__init__(DilConv(c, kernel, stride, padding, 1), DilConv(c, kernel, 1, padding, 1))


class FactorizedReduce(nn.Module):
    """Halve the spatial size with two offset stride-2 1×1 convolutions, concatenated (DARTS's identity at stride 2)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


class Zero(nn.Module):
    """The ``none``/zeroize operation: zeros of the output shape."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


OpFactory = Callable[[int, int], nn.Module]
"""``(channels, stride) -> module`` keeping the channel count."""

DARTS_OPS: dict[str, OpFactory] = {
    "none": lambda c, s: Zero(s),
    "skip_connect": lambda c, s: nn.Identity() if s == 1 else FactorizedReduce(c, c),
    "sep_conv_3x3": lambda c, s: SepConv(c, 3, s, 1),
    "sep_conv_5x5": lambda c, s: SepConv(c, 5, s, 2),
    "dil_conv_3x3": lambda c, s: DilConv(c, 3, s, 2, 2),
    "dil_conv_5x5": lambda c, s: DilConv(c, 5, s, 4, 2),
    "avg_pool_3x3": lambda c, s: nn.AvgPool2d(3, s, 1, count_include_pad=False),
    "max_pool_3x3": lambda c, s: nn.MaxPool2d(3, s, 1),
}
"""The candidate set F of the paper (Section 3.1), DARTS's definitions and names."""

NB201_OPS: dict[str, OpFactory] = {
    "none": lambda c, s: Zero(s),
    "skip_connect": lambda c, s: nn.Identity(),
    "nor_conv_1x1": lambda c, s: ReLUConvBN(c, c, 1, s, 0),
    "nor_conv_3x3": lambda c, s: ReLUConvBN(c, c, 3, s, 1),
    "avg_pool_3x3": lambda c, s: nn.AvgPool2d(3, s, 1, count_include_pad=False),
}
"""NAS-Bench-201's five operations (every cell operation there has stride 1)."""


EDGE_GRADIENTS = ("argmax", "all")
"""GDAS's two rules for the logit gradient of a hard sample (see the module docstring)."""


@dataclass(frozen=True)
class EdgeWeights:
    """How a supernet cell's edges combine their candidates in one forward.

    ``weights`` is (edges × candidates). ``index`` (one candidate per edge) selects the hard mode:
    only ``candidates[index[e]]`` is computed on edge ``e``; None selects the mixed mode.
    ``gradient`` is the hard mode's logit-gradient rule, one of :data:`EDGE_GRADIENTS`.
    """

    weights: torch.Tensor
    index: Sequence[int] | None = None
    gradient: str = "all"

    def __post_init__(self) -> None:
        if self.gradient not in EDGE_GRADIENTS:
            raise ReproError(f"edge gradient rule must be one of {', '.join(EDGE_GRADIENTS)}, got {self.gradient!r}")


@dataclass(frozen=True)
class CellEdge:
    """An edge ``source -> target`` of a cell (sources count the cell inputs first) and its candidates."""

    source: int
    target: int
    ops: tuple[str, ...]


class DagCell(nn.Module):
    """Nodes computed in order, each the sum of its incoming edges' outputs.

    ``inputs`` nodes come first (already preprocessed to ``channels``); edges leaving an input get
    ``stride``. The output is the last node, or (``concat``) the concatenation of all computed nodes.
    """

    def __init__(
        self,
        edges: Sequence[CellEdge],
        inputs: int,
        channels: int,
        stride: int,
        concat: bool,
        ops: dict[str, OpFactory],
    ) -> None:
        super().__init__()
        self.edges = tuple(edges)
        self.inputs = inputs
        self.concat = concat
        self.nodes = max(e.target for e in self.edges) + 1
        self.ops = nn.ModuleList(
            nn.ModuleList(ops[name](channels, stride if e.source < inputs else 1) for name in e.ops) for e in self.edges
        )

    def _edge(self, e: int, x: torch.Tensor, mix: EdgeWeights | None) -> torch.Tensor:
        candidates = self.ops[e]
        if mix is None:
            return candidates[0](x)
        w = mix.weights[e]
        if mix.index is None:
            return sum(w[k] * op(x) for k, op in enumerate(candidates))
        chosen = int(mix.index[e])
        if mix.gradient == "argmax":
            return w[chosen] * candidates[chosen](x)
        others = torch.ones_like(w).index_fill_(0, torch.tensor([chosen], device=w.device), 0.0)
        # The unchosen weights are exactly 0 in the forward, but keep their straight-through gradient.
        return w[chosen] * candidates[chosen](x) + (w * others).sum()

    def forward(self, states: Sequence[torch.Tensor], mix: EdgeWeights | None = None) -> torch.Tensor:
        nodes = list(states)
        for target in range(self.inputs, self.nodes):
            nodes.append(
                sum(
                    self._edge(e, nodes[edge.source], mix) for e, edge in enumerate(self.edges) if edge.target == target
                )
            )
        return torch.cat(nodes[self.inputs :], dim=1) if self.concat else nodes[-1]


def cell_widths(options: dict[str, Any]) -> tuple[int, int]:
    """``channels`` (C) and ``layers`` (N, cells per stage) from a recipe's model options."""
    unknown = sorted(set(options) - {"channels", "layers"})
    if unknown:
        raise ReproError(f"unknown model options {unknown}; cell spaces take 'channels' and 'layers'")
    return int(options.get("channels", 16)), int(options.get("layers", 5))
