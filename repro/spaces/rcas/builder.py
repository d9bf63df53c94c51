"""Build an RCAS network: stem, the t=1 block, the filled positions' blocks, head (Table 1 and the supplement).

Block: 1x1 group conv C_in -> t*C_in (groups g_e) -> BN -> ReLU6; 3x3 depthwise, stride s -> BN ->
ReLU6; channel shuffle (g_p groups); 1x1 group conv -> C_out (groups g_p) -> BN; a residual add
when s = 1 (through 1x1 conv + BN when C_in != C_out). Convolutions have no bias. The activation is
ReLU6 as printed in Table 1. The t=1 block keeps its 1x1 expansion conv (C -> C) on the paper's
skeletons, as RCNet's ``RCBlock3x3`` builds every block (yyxiongzju/RCNet,
``scripts/cifar100/models/rcnet_arch.py``: ``cfg = [(1, 16, 1, 1, 1, 1)]`` then ``conv1`` always);
with it MobileNetV2-CIFAR-100 counts 2,412,212 params / 91,142,144 MAdds, Table 2's 2.4M / 91.1M.
The CPU proxies drop it (torchvision's MobileNetV2 convention; see ``Skeleton.first_block_expands``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from repro.spaces.base import InvalidArchitecture
from repro.spaces.rcas.genome import BLOCK_TYPES, EMPTY, Genome


@dataclass(frozen=True)
class BlockSpec:
    """One block as built: channels in and out, Table 1's t, g_e, g_p, and its stride."""

    c_in: int
    c_out: int
    t: int
    g_e: int
    g_p: int
    stride: int
    expand: bool = True
    """Whether the block has its 1x1 expansion conv (only a proxy's t=1 block lacks it)."""


def layout(genome: Genome) -> list[BlockSpec]:
    """The blocks of ``genome`` in order, the t=1 block first (see the genome module for empty positions)."""
    sk = genome.skeleton
    specs = [BlockSpec(sk.stem_channels, sk.first_channels, 1, 1, 1, 1, expand=sk.first_block_expands)]
    channels = sk.first_channels
    start = 0
    for stage in sk.stages:
        filled = [b for b in genome.positions[start : start + stage.positions] if b != EMPTY]
        for k, block in enumerate(filled):
            bt = BLOCK_TYPES[block]
            stride = stage.stride if k == 0 else 1
            specs.append(BlockSpec(channels, stage.channels, bt.t, bt.g_e, bt.g_p, stride))
            channels = stage.channels
        start += stage.positions
    return specs


def _conv_bn(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(c_out)]


class Block(nn.Module):
    """Table 1's depthwise block for one :class:`BlockSpec`."""

    def __init__(self, spec: BlockSpec) -> None:
        super().__init__()
        hidden = spec.c_in * spec.t
        for groups, width in ((spec.g_e, spec.c_in), (spec.g_p, spec.c_out)):
            if width % groups or hidden % groups:
                raise InvalidArchitecture(f"{width} and {hidden} channels do not split into {groups} groups")
        layers: list[nn.Module] = []
        if spec.expand:
            layers += [*_conv_bn(spec.c_in, hidden, 1, groups=spec.g_e), nn.ReLU6(inplace=True)]
        layers += [*_conv_bn(hidden, hidden, 3, spec.stride, groups=hidden), nn.ReLU6(inplace=True)]
        if spec.g_p > 1:
            # Without the shuffle each projection group would only see the expansion groups it overlaps.
            layers.append(nn.ChannelShuffle(spec.g_p))
        layers += _conv_bn(hidden, spec.c_out, 1, groups=spec.g_p)
        self.body = nn.Sequential(*layers)
        self.residual = spec.stride == 1
        self.shortcut: nn.Module = (
            nn.Identity()
            if spec.c_in == spec.c_out or not self.residual
            else nn.Sequential(*_conv_bn(spec.c_in, spec.c_out, 1))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return y + self.shortcut(x) if self.residual else y


class RcasNet(nn.Module):
    """Stem conv + BN + ReLU6, the blocks of :func:`layout`, head 1x1 conv + BN + ReLU6, pool, linear."""

    def __init__(self, genome: Genome, in_channels: int, num_classes: int) -> None:
        super().__init__()
        sk = genome.skeleton
        specs = layout(genome)
        self.stem = nn.Sequential(*_conv_bn(in_channels, sk.stem_channels, 3, sk.stem_stride), nn.ReLU6(inplace=True))
        self.blocks = nn.Sequential(*(Block(s) for s in specs))
        self.head = nn.Sequential(*_conv_bn(specs[-1].c_out, sk.head_channels, 1), nn.ReLU6(inplace=True))
        self.classifier = nn.Linear(sk.head_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(self.blocks(self.stem(x)))
        return self.classifier(x.mean(dim=(2, 3)))
