"""Params and MAdds of an RCAS network in closed form, block by block, with no network built.

RCAS's greedy search asks for the cost of every set it considers (thousands per replay); building
the torch network each time made a replay from the cache take minutes. The counts here follow
:mod:`repro.spaces.rcas.builder` layer for layer and are tested equal to counting the built network
(:func:`repro.cost.count_params`, :func:`repro.cost.count_macs` with ``linear=False``).
"""

from __future__ import annotations

from repro.spaces.base import InvalidArchitecture
from repro.spaces.rcas.builder import BlockSpec, layout
from repro.spaces.rcas.genome import Genome


def _out(size: int, stride: int) -> int:
    """Output side of a 1x1 or 3x3 convolution padded by ``kernel // 2`` (both give the same size)."""
    return (size - 1) // stride + 1


def _conv(c_in: int, c_out: int, kernel: int, groups: int, out_pixels: int) -> tuple[int, int]:
    """(params, MAdds) of a bias-free convolution followed by BatchNorm (its two affine vectors)."""
    weights = (c_in // groups) * c_out * kernel * kernel
    return weights + 2 * c_out, weights * out_pixels


def block_costs(spec: BlockSpec, height: int, width: int) -> tuple[int, int, int, int]:
    """(params, MAdds, output height, output width) of one :class:`~repro.spaces.rcas.builder.Block` on a map of that size."""
    hidden = spec.c_in * spec.t
    for groups, channels in ((spec.g_e, spec.c_in), (spec.g_p, spec.c_out)):
        if channels % groups or hidden % groups:
            raise InvalidArchitecture(f"{channels} and {hidden} channels do not split into {groups} groups")
    out_h, out_w = _out(height, spec.stride), _out(width, spec.stride)
    convs = [_conv(hidden, hidden, 3, hidden, out_h * out_w), _conv(hidden, spec.c_out, 1, spec.g_p, out_h * out_w)]
    if spec.expand:
        convs.append(_conv(spec.c_in, hidden, 1, spec.g_e, height * width))
    if spec.stride == 1 and spec.c_in != spec.c_out:  # the residual's 1x1 projection
        convs.append(_conv(spec.c_in, spec.c_out, 1, 1, height * width))
    return sum(p for p, _ in convs), sum(m for _, m in convs), out_h, out_w


def costs(genome: Genome, input_shape: tuple[int, int, int], classes: int) -> dict[str, int]:
    """All trainable params and the convolutions' MAdds per image of ``genome`` built for ``input_shape`` and ``classes``."""
    sk = genome.skeleton
    channels, height, width = input_shape
    height, width = _out(height, sk.stem_stride), _out(width, sk.stem_stride)
    params, madds = _conv(channels, sk.stem_channels, 3, 1, height * width)
    specs = layout(genome)
    for spec in specs:
        p, m, height, width = block_costs(spec, height, width)
        params, madds = params + p, madds + m
    p, m = _conv(specs[-1].c_out, sk.head_channels, 1, 1, height * width)
    return {"params": params + p + sk.head_channels * classes + classes, "madds": madds + m}
