"""The NAR search space (Jiang, Zhao & Pang, "Neural Architecture Refinement"): one operator per slot
of a fixed ResNet backbone; the skip connections never change. See :mod:`.backbones` for the
operators and how they keep channel counts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from repro.errors import ReproError
from repro.spaces.base import CanonicalForm, SearchSpace, canonical_key
from repro.spaces.nar.backbones import BACKBONES, DEFAULT_CANDIDATES, OPERATORS, get_backbone


@dataclass(frozen=True)
class NarGenome:
    """A backbone id and its operator vector (one operator name per choice)."""

    backbone: str
    ops: tuple[str, ...]


class NarSpace(SearchSpace[NarGenome]):
    """NAR (Jiang, Zhao & Pang): operator vectors over a fixed ResNet ``backbone``, entries from ``candidates``.

    The canonical text is the backbone id and the operator names, so it does not depend on the
    order of ``candidates``; every vector builds (no invalid architectures).
    """

    name = "nar"

    def __init__(
        self, backbone: str = "resnet-small", candidates: tuple[str, ...] | list[str] = DEFAULT_CANDIDATES
    ) -> None:
        get_backbone(backbone)
        unknown = [c for c in candidates if c not in OPERATORS]
        if unknown or len(set(candidates)) != len(candidates) or len(candidates) < 2:
            raise ReproError(
                f"nar: candidates must be 2 or more distinct names of {', '.join(OPERATORS)}, got {list(candidates)}"
            )
        self.backbone = backbone
        self.candidates = tuple(candidates)

    @property
    def num_choices(self) -> int:
        """The length of this space's operator vectors."""
        return get_backbone(self.backbone).num_choices

    def genome(self, indices: list[int] | tuple[int, ...]) -> NarGenome:
        """The genome whose choice ``c`` is ``candidates[indices[c]]``."""
        return NarGenome(self.backbone, tuple(self.candidates[i] for i in indices))

    def baseline(self) -> NarGenome:
        """The unmodified backbone: ``conv3`` everywhere."""
        return NarGenome(self.backbone, ("conv3",) * self.num_choices)

    def sample(self, rng: np.random.Generator) -> NarGenome:
        return self.genome([int(i) for i in rng.integers(len(self.candidates), size=self.num_choices)])

    def mutate(self, genome: NarGenome, rng: np.random.Generator) -> NarGenome:
        """Change one entry to a different candidate."""
        ops = list(genome.ops)
        c = int(rng.integers(len(ops)))
        others = [op for op in self.candidates if op != ops[c]]
        ops[c] = others[int(rng.integers(len(others)))]
        return NarGenome(genome.backbone, tuple(ops))

    def canonical(self, genome: NarGenome) -> CanonicalForm:
        text = self.to_json(genome)
        return CanonicalForm(text=text, key=canonical_key(self.name, text))

    def build(self, genome: NarGenome, input_shape: tuple[int, int, int], num_classes: int, **options: Any) -> Any:
        """The child network; ``channels`` (the option every recipe sets) is the backbone's base width."""
        from repro.spaces.nar.network import NarNet

        backbone = get_backbone(genome.backbone)
        channels = int(options.pop("channels", backbone.default_channels))
        if options:
            raise ReproError(f"nar: unknown model options {sorted(options)}; the space takes only 'channels'")
        return NarNet(backbone, [[op] for op in genome.ops], channels, input_shape, num_classes)

    def supernet(self, input_shape: tuple[int, int, int], num_classes: int, channels: int | None = None) -> Any:
        """The ENAS shared-weight network: every candidate at every choice; ``forward(x, indices)`` picks one each."""
        from repro.spaces.nar.network import NarNet

        backbone = get_backbone(self.backbone)
        width = backbone.default_channels if channels is None else channels
        return NarNet(backbone, [self.candidates] * backbone.num_choices, width, input_shape, num_classes)

    def to_json(self, genome: NarGenome) -> str:
        return json.dumps({"backbone": genome.backbone, "ops": list(genome.ops)}, separators=(",", ":"))

    def from_json(self, text: str) -> NarGenome:
        try:
            data = json.loads(text)
            backbone, ops = str(data["backbone"]), tuple(str(op) for op in data["ops"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ReproError(f'not a NAR genome ({exc}); expected {{"backbone": ..., "ops": [...]}}') from None
        if backbone not in BACKBONES:
            raise ReproError(f"nar: unknown backbone {backbone!r}; known: {', '.join(BACKBONES)}")
        if len(ops) != BACKBONES[backbone].num_choices or any(op not in OPERATORS for op in ops):
            raise ReproError(
                f"nar: {backbone} needs {BACKBONES[backbone].num_choices} operators "
                f"from {', '.join(OPERATORS)}, got {list(ops)}"
            )
        return NarGenome(backbone, ops)

    def describe(self, genome: NarGenome) -> str:
        """``backbone [codes] ops``, codes as the paper's Table 4 (index into ``candidates``; ``-`` if not one)."""
        codes = ",".join(str(self.candidates.index(op)) if op in self.candidates else "-" for op in genome.ops)
        return f"{genome.backbone} [{codes}] {' '.join(genome.ops)}"
