"""The FeatureNet search space (Ghamizi et al. 2019): configurations of a feature model of DNN architectures."""

from __future__ import annotations

from typing import Any

import numpy as np

from repro.errors import ReproError
from repro.spaces.base import CanonicalForm, SearchSpace, canonical_key
from repro.spaces.featurenet import model
from repro.spaces.featurenet.graph import Graph, Violation
from repro.spaces.featurenet.model import VARIANTS, Config
from repro.spaces.featurenet.sample import Limits, mutate, random_config


class FeatureNetSpace(SearchSpace[Config]):
    """Valid configurations of FeatureNet's feature model (``variant`` paper or full), optionally size-capped.

    The canonical form is the layer graph built for the space's ``input_shape`` and ``classes``
    (ops, attributes and wiring, unused branches pruned), not the feature set: configurations
    that differ only where it cannot matter (an unused input's operation, an Identity cell, how
    the same layers are split into blocks) share a key. A configuration that is not valid is
    keyed by its JSON text.
    """

    name = "featurenet"

    def __init__(
        self,
        variant: str = "paper",
        input_shape: tuple[int, ...] = (1, 28, 28),
        classes: int = 10,
        max_params: int | None = None,
        max_macs: int | None = None,
    ) -> None:
        if variant not in VARIANTS:
            raise ReproError(f"featurenet: unknown variant {variant!r}; use one of {', '.join(VARIANTS)}")
        if len(input_shape) != 3:
            raise ReproError(f"featurenet: input_shape is (channels, height, width), got {input_shape!r}")
        self.variant = variant
        self.input_shape = tuple(int(s) for s in input_shape)
        self.classes = classes
        self.max_params = max_params
        self.max_macs = max_macs

    def limits(self, input_shape: tuple[int, ...] | None = None, classes: int | None = None) -> Limits:
        """The sampling and validity limits of this space (for another input shape or class count if given)."""
        shape = tuple(input_shape or self.input_shape)
        classes = classes or self.classes
        return Limits(shape, classes, self.variant, self.max_params, self.max_macs)  # type: ignore[arg-type]

    def sample(self, rng: np.random.Generator) -> Config:
        """A uniformly drawn valid configuration (see :mod:`repro.spaces.featurenet.sample`)."""
        return random_config(rng, self.limits())

    def mutate(self, genome: Config, rng: np.random.Generator) -> Config:
        """Redraw one cell's layers, keeping the configuration valid."""
        return mutate(genome, rng, self.limits())

    def graph(self, genome: Config, input_shape: tuple[int, ...] | None = None, classes: int | None = None) -> Graph:
        """The validated layer graph; raises :class:`Violation` (an InvalidArchitecture) naming the constraint."""
        return self.limits(input_shape, classes).check(genome)

    def canonical(self, genome: Config) -> CanonicalForm:
        try:
            text = f"{self.variant}\n{self.graph(genome).text()}"
        except Violation:
            text = f"{self.variant}\ninvalid {model.to_json(genome)}"
        return CanonicalForm(text=text, key=canonical_key(self.name, text))

    def build(self, genome: Config, input_shape: tuple[int, int, int], num_classes: int, **options: Any) -> Any:
        from repro.spaces.featurenet.compile import compile_graph

        if options:
            raise ReproError(f"featurenet: unknown model options {sorted(options)}; a configuration fixes every width")
        return compile_graph(self.graph(genome, input_shape, num_classes))

    def check(self, genome: Config, input_shape: tuple[int, int, int], num_classes: int, **options: Any) -> None:
        """Validation alone (no module is built)."""
        self.graph(genome, input_shape, num_classes)

    def to_json(self, genome: Config) -> str:
        return model.to_json(genome)

    def from_json(self, text: str) -> Config:
        return model.from_json(text)

    def describe(self, genome: Config) -> str:
        """Blocks separated by ``|``, cells by ``,``: each cell's input layers, e.g. ``C6k5,P2|...|C120k5,D84``."""
        short = {"Zeros": "", "Identity": "I", "Dense": "D", "Pooling": "P", "Convolution": "C"}

        def layer(c: model.Choice) -> str:
            a = dict(c.attrs)
            size = a.get("filters", a.get("neurons", ""))
            kernel = f"k{a['kernel']}" if "kernel" in a else ""
            return f"{short[c.kind]}{size}{kernel}"

        cells = [
            ",".join(layer(c.input1) + (f"+{layer(c.input2)}" if c.input2.kind != "Zeros" else "") for c in row)
            for row in genome.present()
        ]
        return "|".join(cells)
