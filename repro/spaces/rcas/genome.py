"""RCAS genomes (Xiong, Mehta & Singh, ICCV 2019, Section 4.1): a block type per position of a fixed skeleton.

A genome is immutable plain data: a skeleton variant and one integer per position, ``0`` for an
empty position (identity) or a block type ``1..6`` of :data:`BLOCK_TYPES`.

How an empty position is read. In the paper "the input for the k-th picked block is the output
of the (k-1)-th picked block": blocks stack in position order and empty positions vanish. So a
stage's channel count and stride belong to the stage, not to its first position: the first
*filled* position of a stage maps the previous output to the stage's channels (with the stage's
stride), later filled positions are C->C with stride 1, and a wholly empty stage is skipped (the
next block reads the last filled block's channels). The paper never meets the ambiguous cases
because the first positions of the striding stages are always filled (:attr:`Stage.forced`); the
non-forced first positions (stages 4 and 6, which change channels without striding) are where
this reading matters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from repro.errors import ReproError


@dataclass(frozen=True)
class BlockType:
    """Table 1's block parameters: expansion factor ``t``, expansion groups ``g_e``, projection groups ``g_p``."""

    t: int
    g_e: int
    g_p: int


BLOCK_TYPES: dict[int, BlockType] = {
    1: BlockType(3, 1, 1),
    2: BlockType(3, 1, 2),
    3: BlockType(6, 2, 2),
    4: BlockType(6, 1, 2),
    5: BlockType(6, 1, 1),
    6: BlockType(12, 2, 4),
}
"""The six block types of the authors' supplement; type 5 is MobileNetV2's bottleneck."""

EMPTY = 0
SEED_TYPE = 5
"""The type that fills the forced positions when a search starts (so downsampling always happens)."""


@dataclass(frozen=True)
class Stage:
    """``positions`` slots whose blocks output ``channels``; the first filled one uses ``stride``."""

    channels: int
    positions: int
    stride: int
    forced: bool
    """The stage's first position is never empty (it holds the stage's downsampling)."""


@dataclass(frozen=True)
class Skeleton:
    """The fixed part of a network: stem, the t=1 block, the stages of positions, the head."""

    name: str
    input_size: int
    stem_channels: int
    stem_stride: int
    first_channels: int
    stages: tuple[Stage, ...]
    head_channels: int
    about: str
    first_block_expands: bool = True
    """Whether the t=1 block has its 1x1 expansion conv (C -> 1*C): RCNet's ``RCBlock3x3`` always builds it
    (yyxiongzju/RCNet, ``scripts/cifar100/models/rcnet_arch.py``), torchvision's MobileNetV2 omits it.
    The CPU proxies keep it off so the shipped smoke rows (keyed by variant and positions) still
    describe the networks they were trained as."""

    @property
    def size(self) -> int:
        """The number of positions."""
        return sum(s.positions for s in self.stages)

    def stage_of(self) -> list[int]:
        """The stage index of every position."""
        return [i for i, s in enumerate(self.stages) for _ in range(s.positions)]

    def forced_positions(self) -> list[int]:
        """The positions that may never be empty (first position of every forced stage)."""
        out, start = [], 0
        for s in self.stages:
            if s.forced:
                out.append(start)
            start += s.positions
        return out


_CHANNELS = (24, 32, 64, 96, 160, 320)


def _paper_stages(strides: tuple[int, ...]) -> tuple[Stage, ...]:
    # Stages 1, 2, 3 and 5 are forced: they hold the downsampling on ImageNet (stage 1's is the
    # ImageNet-only one), and the search starts with them filled on both datasets.
    forced = (True, True, True, False, True, False)
    return tuple(Stage(c, 6, s, f) for c, s, f in zip(_CHANNELS, strides, forced))


SKELETONS: dict[str, Skeleton] = {
    "cifar": Skeleton(
        "cifar",
        32,
        32,
        1,
        16,
        _paper_stages((1, 2, 2, 1, 2, 1)),
        1280,
        "CIFAR 32x32: stem stride 1, 36 positions, stride 2 at stages 2, 3, 5",
    ),
    "imagenet": Skeleton(
        "imagenet",
        224,
        32,
        2,
        16,
        _paper_stages((2, 2, 2, 1, 2, 1)),
        1280,
        "ImageNet 224x224: stem stride 2, 36 positions, stride 2 at stages 1, 2, 3, 5",
    ),
    "fmnist-proxy": Skeleton(
        "fmnist-proxy",
        28,
        16,
        1,
        8,
        (Stage(16, 3, 1, True), Stage(24, 3, 2, True), Stage(32, 3, 2, True)),
        256,
        "proxy for CPU smoke runs on Fashion-MNIST 28x28: stem 16, t=1 block 16->8, 9 positions in 3 stages "
        "of 3 (channels 16, 24, 32; stride 2 at stages 2 and 3; every stage's first position forced), head 256",
        first_block_expands=False,
    ),
    "fmnist-small": Skeleton(
        "fmnist-small",
        28,
        16,
        2,
        8,
        (Stage(16, 3, 1, True), Stage(24, 3, 2, True), Stage(32, 3, 2, True)),
        256,
        "fmnist-proxy with a stride-2 stem (blocks at 14x14, 7x7, 4x4): about 4x less CPU per evaluation, so the "
        "~300 evaluations of a smoke reproduction fit in CPU minutes",
        first_block_expands=False,
    ),
}
"""Skeleton variants by name. ``fmnist-proxy`` and ``fmnist-small`` are ours (not the paper's): scaled-down CPU proxies."""


@dataclass(frozen=True)
class Genome:
    """A skeleton variant and a block type (0 = empty) per position."""

    variant: str
    positions: tuple[int, ...]

    @property
    def skeleton(self) -> Skeleton:
        """The variant's skeleton."""
        return SKELETONS[self.variant]

    def with_position(self, index: int, block: int) -> Genome:
        """A copy with position ``index`` set to ``block``."""
        positions = list(self.positions)
        positions[index] = block
        return Genome(self.variant, tuple(positions))


def compacted(genome: Genome) -> Genome:
    """The same network with each stage's blocks moved to the stage's first positions.

    Empty positions vanish when the network is built, so genomes that differ only in where a
    stage's empty slots sit build the same network; this is the one representative of them
    that the canonical key is computed from.
    """
    positions: list[int] = []
    start = 0
    for stage in genome.skeleton.stages:
        blocks = [b for b in genome.positions[start : start + stage.positions] if b != EMPTY]
        positions += blocks + [EMPTY] * (stage.positions - len(blocks))
        start += stage.positions
    return Genome(genome.variant, tuple(positions))


def seed_genome(variant: str) -> Genome:
    """Where a search starts: the forced positions hold type 5, every other position is empty."""
    skeleton = get_skeleton(variant)
    positions = [EMPTY] * skeleton.size
    for p in skeleton.forced_positions():
        positions[p] = SEED_TYPE
    return Genome(variant, tuple(positions))


def get_skeleton(variant: str) -> Skeleton:
    """The skeleton ``variant``, or a ReproError listing the known ones."""
    try:
        return SKELETONS[variant]
    except KeyError:
        raise ReproError(f"rcas: unknown skeleton variant {variant!r}; use one of {', '.join(SKELETONS)}") from None


def to_json(genome: Genome) -> str:
    """Compact JSON ``{"variant": "cifar", "positions": [5, 0, ...]}`` (also the canonical text)."""
    return json.dumps({"variant": genome.variant, "positions": list(genome.positions)}, separators=(",", ":"))


def from_json(text: str) -> Genome:
    """Parse and check a genome written by :func:`to_json`."""
    try:
        data = json.loads(text)
        variant = str(data["variant"])
        positions = tuple(_block(x) for x in data["positions"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ReproError(
            f"not an RCAS genome ({exc}); expected JSON like "
            '{"variant": "cifar", "positions": [5, 0, 0, 0, 0, 0, 5, ...]} with one type 0..6 per position'
        ) from None
    genome = Genome(variant, positions)
    check(genome)
    return genome


def _block(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"a position holds an integer block type, got {value!r}")
    return value


def check(genome: Genome) -> None:
    """Raise ReproError if the genome does not fit its skeleton (length, types, an empty forced position)."""
    skeleton = get_skeleton(genome.variant)
    if len(genome.positions) != skeleton.size:
        raise ReproError(
            f"rcas: variant {genome.variant!r} has {skeleton.size} positions, the genome gives {len(genome.positions)}"
        )
    bad = [(i, b) for i, b in enumerate(genome.positions) if b != EMPTY and b not in BLOCK_TYPES]
    if bad:
        raise ReproError(f"rcas: positions {bad} hold unknown block types; use 0 (empty) or 1..6")
    empty = [p for p in skeleton.forced_positions() if genome.positions[p] == EMPTY]
    if empty:
        raise ReproError(f"rcas: forced positions {empty} are empty; a stage's downsampling position needs a block")
