"""The NAS-Bench-Macro space (Su et al., "Prioritized Architecture Sampling with Monte-Carlo Tree Search", CVPR 2021).

A genome is NAS-Bench-Macro's own key: an 8-digit string, one digit per searchable layer, ``0`` =
identity, ``1`` = MobileNetV2 inverted residual with expansion 3 and a 3x3 depthwise kernel
(MB3_K3), ``2`` = expansion 6, 5x5 kernel (MB6_K5); 3^8 = 6,561 genomes.

The network, as the authors build it (GitHub xiusu/NAS-Bench-Macro, ``train/model.py``,
``Network(arch, num_classes=10, stages=[2, 3, 3], init_channels=32)``):

- stem: 3x3 conv (stride 1, padding 1, no bias) to 32 channels, BN, ReLU;
- three stages of 2, 3 and 3 layers; the first layer of each stage has stride 2 and doubles the
  channels (32 -> 64 -> 128 -> 256, so 32x32 -> 16 -> 8 -> 4), the others keep both;
- an inverted residual is 1x1 conv C_in -> t*C_in, BN, ReLU; kxk depthwise (stride s, padding
  k//2), BN, ReLU; 1x1 conv -> C_out, BN; plus the input when C_in = C_out and s = 1 (no
  shortcut convolution ever). No convolution has a bias;
- identity is a real identity inside a stage, but at a stage's first layer (stride 2, channels
  doubled) it is a 1x1 conv with stride 2 and BN (the authors' ``Identity`` with ``downsample``);
- head: 1x1 conv to 1280, BN, ReLU, global average pooling, linear classifier.

Costs follow the table's convention (``train/utils.py``): ``params`` counts every parameter (BN
affine and the classifier included); ``flops`` are the multiply-accumulates of every convolution
plus the classifier's ``in * out``, for one 32x32 image. :func:`costs` computes both in closed
form; the tests check them against the built network and against the table for all 6,561 keys.

Canonical form. The first layer of a stage is never merged with anything: identity there is a
strided 1x1 convolution, not an identity. The other layers of a stage are C -> C at stride 1, where
identity adds nothing and every block keeps the shape, so the stage computes the composition of
its non-identity blocks in order, wherever its identities sit: ``1 0`` and ``0 1`` in a stage's
last two layers build the same network, ``1 2`` and ``2 1`` do not. The canonical genome moves a
stage's non-identity blocks (after its first layer) to the front in order and its identities to the
end, which is the authors' ``get_real_arch`` (``train/train_benchmark.py``): they trained each
canonical network once and copied its result to every key that maps to it
(``train/collect_benchmark.py``). A stage of three layers has 3 heads x 7 orderings of up to two blocks,
so there are 9 x 21 x 21 = 3,969 distinct networks.

Training protocol behind the table (``train/train.py``): CIFAR-10, all 50k training images,
random crop (padding 4) + flip, SGD momentum 0.9, lr 0.1 cosine, weight decay 5e-4, batch 256,
50 epochs; three seeds (0, 1, 2); ``test_acc`` is the best test accuracy over the 50 epochs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from repro.errors import ReproError
from repro.spaces.base import CanonicalForm, SearchSpace, canonical_key

MacroGenome = str
"""Eight digits 0/1/2, NAS-Bench-Macro's key."""

STAGES = (2, 3, 3)
"""Layers per stage; each stage's first layer has stride 2 and doubles the channels."""
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
LAYERS = sum(STAGES)

OPS = ("id", "ir_3x3_t3", "ir_5x5_t6")
"""The authors' names of digits 0, 1, 2."""
EXPANSION_KERNEL = {1: (3, 3), 2: (6, 5)}
"""Digit -> (expansion t, depthwise kernel k) of the inverted residuals."""

STAGE_HEADS = tuple(sum(STAGES[:i]) for i in range(len(STAGES)))
"""Positions whose layer has stride 2 (0, 2, 5)."""


@dataclass(frozen=True)
class Layer:
    """One searchable layer as built: its digit, channels in and out, stride, and input side length."""

    op: int
    c_in: int
    c_out: int
    stride: int
    size: int


def check_genome(genome: object) -> MacroGenome:
    """``genome`` if it is 8 digits 0/1/2, else a ReproError naming the problem."""
    if not isinstance(genome, str) or len(genome) != LAYERS or set(genome) - {"0", "1", "2"}:
        raise ReproError(f"not a NAS-Bench-Macro genome: {genome!r}; expected {LAYERS} digits 0/1/2, e.g. '01201120'")
    return genome


def layers(genome: MacroGenome, size: int = 32) -> list[Layer]:
    """The searchable layers of ``genome`` for a ``size`` x ``size`` input."""
    out, channels, position = [], STEM_CHANNELS, 0
    for stage in STAGES:
        for index in range(stage):
            stride = 2 if index == 0 else 1
            out.append(Layer(int(genome[position]), channels, channels * stride, stride, size))
            channels *= stride
            size = (size - 1) // stride + 1
            position += 1
    return out


def canonical_genome(genome: MacroGenome) -> MacroGenome:
    """The representative of ``genome``'s network (see the module docstring): per stage, head kept, identities last."""
    out, start = "", 0
    for stage in STAGES:
        rest = genome[start + 1 : start + stage]
        blocks = rest.replace("0", "")
        out += genome[start] + blocks + "0" * (len(rest) - len(blocks))
        start += stage
    return out


def _layer_costs(layer: Layer) -> tuple[int, int]:
    """(params, MACs) of one layer, from the shapes."""
    out_size = (layer.size - 1) // layer.stride + 1
    if layer.op == 0:
        if layer.stride == 1 and layer.c_in == layer.c_out:
            return 0, 0
        return layer.c_in * layer.c_out + 2 * layer.c_out, out_size**2 * layer.c_in * layer.c_out
    t, k = EXPANSION_KERNEL[layer.op]
    hidden = t * layer.c_in
    params = layer.c_in * hidden + 2 * hidden + hidden * k * k + 2 * hidden + hidden * layer.c_out + 2 * layer.c_out
    macs = layer.size**2 * layer.c_in * hidden + out_size**2 * hidden * (k * k + layer.c_out)
    return params, macs


def costs(genome: MacroGenome, num_classes: int = 10, size: int = 32, in_channels: int = 3) -> dict[str, int]:
    """``params`` and ``flops`` as NAS-Bench-Macro counts them (module docstring), in closed form."""
    params = in_channels * 9 * STEM_CHANNELS + 2 * STEM_CHANNELS
    flops = size**2 * in_channels * 9 * STEM_CHANNELS
    built = layers(genome, size)
    for layer in built:
        p, f = _layer_costs(layer)
        params, flops = params + p, flops + f
    last = built[-1]
    channels, side = last.c_out, (last.size - 1) // last.stride + 1
    params += channels * HEAD_CHANNELS + 2 * HEAD_CHANNELS + HEAD_CHANNELS * num_classes + num_classes
    flops += side**2 * channels * HEAD_CHANNELS + HEAD_CHANNELS * num_classes
    return {"params": params, "flops": flops}


def _conv_bn(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(c_out)]


class MacroLayer(nn.Module):
    """One searchable layer (see the module docstring)."""

    def __init__(self, layer: Layer) -> None:
        super().__init__()
        self.residual = False
        if layer.op == 0:
            same = layer.stride == 1 and layer.c_in == layer.c_out
            self.body: nn.Module = (
                nn.Identity() if same else nn.Sequential(*_conv_bn(layer.c_in, layer.c_out, 1, layer.stride))
            )
            return
        t, k = EXPANSION_KERNEL[layer.op]
        hidden = t * layer.c_in
        self.body = nn.Sequential(
            *_conv_bn(layer.c_in, hidden, 1),
            nn.ReLU(inplace=True),
            *_conv_bn(hidden, hidden, k, layer.stride, groups=hidden),
            nn.ReLU(inplace=True),
            *_conv_bn(hidden, layer.c_out, 1),
        )
        self.residual = layer.stride == 1 and layer.c_in == layer.c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return y + x if self.residual else y


class MacroNet(nn.Module):
    """Stem, the eight searchable layers, head 1x1 conv to 1280 + BN + ReLU, pooling, linear."""

    def __init__(self, genome: MacroGenome, input_shape: tuple[int, int, int], num_classes: int) -> None:
        super().__init__()
        in_channels, size, _ = input_shape
        built = layers(genome, size)
        self.stem = nn.Sequential(*_conv_bn(in_channels, STEM_CHANNELS, 3), nn.ReLU(inplace=True))
        self.features = nn.Sequential(*(MacroLayer(layer) for layer in built))
        self.head = nn.Sequential(*_conv_bn(built[-1].c_out, HEAD_CHANNELS, 1), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(HEAD_CHANNELS, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(self.features(self.stem(x)))
        return self.classifier(x.mean(dim=(2, 3)))


class MacroSpace(SearchSpace[MacroGenome]):
    """NAS-Bench-Macro's 6,561 genomes (3,969 networks), built as the authors build them."""

    name = "macro"

    def sample(self, rng: np.random.Generator) -> MacroGenome:
        """Every layer uniform over the three digits."""
        return (rng.integers(len(OPS), size=LAYERS) + ord("0")).astype(np.uint8).tobytes().decode()

    def mutate(self, genome: MacroGenome, rng: np.random.Generator) -> MacroGenome:
        """Change one random layer to another digit."""
        position = int(rng.integers(LAYERS))
        others = [d for d in "012" if d != genome[position]]
        return genome[:position] + others[int(rng.integers(2))] + genome[position + 1 :]

    def canonical(self, genome: MacroGenome) -> CanonicalForm:
        text = canonical_genome(check_genome(genome))
        return CanonicalForm(text=text, key=canonical_key(self.name, text))

    def build(
        self, genome: MacroGenome, input_shape: tuple[int, int, int], num_classes: int, **options: Any
    ) -> nn.Module:
        if options:
            raise ReproError(f"macro: unknown model options {sorted(options)}; NAS-Bench-Macro fixes every width")
        return MacroNet(check_genome(genome), input_shape, num_classes)

    def check(self, genome: MacroGenome, input_shape: tuple[int, int, int], num_classes: int, **options: Any) -> None:
        """Every genome builds (identity at a stride-2 layer is a strided 1x1 conv)."""
        check_genome(genome)

    def features(self, genome: MacroGenome) -> np.ndarray:
        """One-hot digits of the canonical genome (so merged genomes get equal features)."""
        return np.eye(len(OPS))[[int(d) for d in canonical_genome(check_genome(genome))]].ravel()

    def to_json(self, genome: MacroGenome) -> str:
        return json.dumps(check_genome(genome))

    def from_json(self, text: str) -> MacroGenome:
        """A JSON string ``"01201120"`` or the bare digits."""
        text = text.strip()
        try:
            value = json.loads(text) if text.startswith('"') else text
        except ValueError:
            value = text
        return check_genome(value)

    def config(self) -> dict[str, Any]:
        return {}


__all__ = ["MacroNet", "MacroSpace", "canonical_genome", "check_genome", "costs", "layers"]
