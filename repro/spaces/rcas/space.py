"""The RCAS search space (Xiong, Mehta & Singh, ICCV 2019): block types at the positions of a fixed skeleton."""

from __future__ import annotations

from typing import Any

import numpy as np

from repro.errors import ReproError
from repro.spaces.base import CanonicalForm, SearchSpace, canonical_key
from repro.spaces.rcas import genome as gen
from repro.spaces.rcas.genome import BLOCK_TYPES, EMPTY, Genome

TYPES = tuple(BLOCK_TYPES)


class RcasSpace(SearchSpace[Genome]):
    """Position vectors over a skeleton ``variant`` (``cifar``, ``imagenet``, or the proxies ``fmnist-proxy`` and ``fmnist-small``).

    The canonical form is the position vector, empty positions included, plus the variant: the
    identity RCAS's greedy search works with (a position filled at step k is a different element
    from the same block one position later). Two vectors that differ only in where a stage's empty
    positions sit build the same network and still get different keys.
    """

    name = "rcas"

    def __init__(self, variant: str = "cifar") -> None:
        gen.get_skeleton(variant)
        self.variant = variant

    def sample(self, rng: np.random.Generator) -> Genome:
        """Every position uniform over 0..6, forced positions over 1..6."""
        skeleton = gen.get_skeleton(self.variant)
        forced = set(skeleton.forced_positions())
        choices = [TYPES if p in forced else (EMPTY, *TYPES) for p in range(skeleton.size)]
        return Genome(self.variant, tuple(int(c[rng.integers(len(c))]) for c in choices))

    def mutate(self, genome: Genome, rng: np.random.Generator) -> Genome:
        """Change one random position to another type (a forced position never becomes empty)."""
        index = int(rng.integers(len(genome.positions)))
        forced = index in genome.skeleton.forced_positions()
        choices = [b for b in ((EMPTY, *TYPES) if not forced else TYPES) if b != genome.positions[index]]
        return genome.with_position(index, choices[int(rng.integers(len(choices)))])

    def canonical(self, genome: Genome) -> CanonicalForm:
        """The position vector with each stage's blocks moved to its first positions, plus the variant."""
        text = gen.to_json(gen.compacted(genome))
        return CanonicalForm(text=text, key=canonical_key(self.name, text))

    def build(self, genome: Genome, input_shape: tuple[int, int, int], num_classes: int, **options: Any) -> Any:
        from repro.spaces.rcas.builder import RcasNet

        if options:
            raise ReproError(f"rcas: unknown model options {sorted(options)}; the skeleton variant fixes every width")
        return RcasNet(genome, input_shape[0], num_classes)

    def to_json(self, genome: Genome) -> str:
        return gen.to_json(genome)

    def from_json(self, text: str) -> Genome:
        return gen.from_json(text)

    def describe(self, genome: Genome) -> str:
        """Stages separated by ``|``, empty positions as ``.``, e.g. ``cifar 5.....|55....|...``."""
        marks = "".join("." if b == EMPTY else str(b) for b in genome.positions)
        cuts, start = [], 0
        for stage in genome.skeleton.stages:
            cuts.append(marks[start : start + stage.positions])
            start += stage.positions
        return f"{genome.variant} {'|'.join(cuts)}"
