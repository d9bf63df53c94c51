"""Compile a layer graph into a ``torch.nn.Module`` (the FeatureNetCompiler of Section 4.2, for PyTorch)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from repro.spaces.featurenet.graph import Graph, Node

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}


class SamePad(nn.Module):
    """TensorFlow's ``same`` padding for a kernel and stride: ceil(size / stride) outputs, extra pad at the end."""

    def __init__(self, kernel: int, stride: int, value: float = 0.0) -> None:
        super().__init__()
        self.kernel, self.stride, self.value = kernel, stride, value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size in (x.shape[-1], x.shape[-2]):
            total = max((math.ceil(size / self.stride) - 1) * self.stride + self.kernel - size, 0)
            pads += [total // 2, total - total // 2]
        return F.pad(x, pads, value=self.value)


def _spatial(node: Node, layer: nn.Module, pad_value: float = 0.0) -> nn.Module:
    a = dict(node.attrs)
    return nn.Sequential(SamePad(a["kernel"], a["stride"], pad_value), layer) if a["padding"] == "same" else layer


def _module(node: Node, in_shape: tuple[int, ...]) -> nn.Module:
    a = dict(node.attrs)
    if node.op == "conv":
        conv = nn.Conv2d(in_shape[0], a["filters"], a["kernel"], a["stride"])
        return nn.Sequential(_spatial(node, conv), _ACTIVATIONS[a["activation"]]())
    if node.op == "pool":
        if a["type"] == "max":
            return _spatial(node, nn.MaxPool2d(a["kernel"], a["stride"]), -math.inf)
        # Keras averages over the window's valid pixels only; zero padding counted in would shrink borders.
        if a["padding"] == "same":
            return _SameAvgPool(a["kernel"], a["stride"])
        return nn.AvgPool2d(a["kernel"], a["stride"])
    if node.op in ("dense", "head"):
        out = a.get("neurons", a.get("classes"))
        act = _ACTIVATIONS[a["activation"]]() if "activation" in a else nn.Identity()
        return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(in_shape), out), act)
    if node.op == "flatten":
        return nn.Flatten()
    if node.op == "dropout":
        return nn.Dropout(a["rate"])
    if node.op == "batchnorm":
        return nn.BatchNorm2d(in_shape[0]) if len(in_shape) == 3 else nn.BatchNorm1d(in_shape[0])
    if node.op == "pad":
        return nn.ZeroPad2d(a["size"])
    if node.op == "act":
        return _ACTIVATIONS[a["activation"]]()
    raise AssertionError(node.op)


class _SameAvgPool(nn.Module):
    """Average pooling with ``same`` padding that, as Keras, divides by the number of real pixels in a window."""

    def __init__(self, kernel: int, stride: int) -> None:
        super().__init__()
        self.pad, self.pool = SamePad(kernel, stride), nn.AvgPool2d(kernel, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ones = torch.ones_like(x[:1, :1])
        return self.pool(self.pad(x)) / self.pool(self.pad(ones))


class FeatureNet(nn.Module):
    """Runs a :class:`Graph` node by node; each node's module reads the outputs of its input nodes."""

    def __init__(self, graph: Graph) -> None:
        super().__init__()
        self.graph = graph
        self.layers = nn.ModuleDict()
        for i, node in enumerate(graph.nodes):
            if node.op not in ("input", "sum", "concat", "product"):
                self.layers[str(i)] = _module(node, graph.nodes[node.inputs[0]].shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs: list[torch.Tensor] = []
        for i, node in enumerate(self.graph.nodes):
            args = [outputs[j] for j in node.inputs]
            if node.op == "input":
                outputs.append(x)
            elif node.op == "sum":
                outputs.append(args[0] + args[1])
            elif node.op == "product":
                outputs.append(args[0] * args[1])
            elif node.op == "concat":
                outputs.append(torch.cat(args, dim=1))
            else:
                outputs.append(self.layers[str(i)](args[0]))
        return outputs[-1]


def compile_graph(graph: Graph) -> FeatureNet:
    """The network of ``graph``."""
    return FeatureNet(graph)
