"""The search-space contract: genomes are plain data; a space samples, mutates, canonicalises and builds them."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from repro.errors import ReproError
from repro.registry import Registry

if TYPE_CHECKING:
    from torch import nn

G = TypeVar("G")


class InvalidArchitecture(Exception):
    """A genome that cannot become a working network; ``reason`` is recorded in the cache."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CanonicalForm:
    """What identifies a network: ``text`` (stored beside every result) and its hash ``key``."""

    text: str
    key: str


def canonical_key(space: str, text: str) -> str:
    """The cache key of a canonical text within a space (128-bit SHA-256 prefix)."""
    return hashlib.sha256(f"{space}\n{text}".encode()).hexdigest()[:32]


class SearchSpace(ABC, Generic[G]):
    """A family of architectures. Subclasses are registered in :data:`SPACES`."""

    name: str

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> G:
        """A random genome, as the space's initial-population rule draws it."""

    @abstractmethod
    def mutate(self, genome: G, rng: np.random.Generator) -> G:
        """A child of ``genome`` (a new object; the parent is never changed)."""

    @abstractmethod
    def canonical(self, genome: G) -> CanonicalForm:
        """The canonical form: equal for genomes that build the same network, different otherwise."""

    @abstractmethod
    def build(self, genome: G, input_shape: tuple[int, int, int], num_classes: int, **options: Any) -> "nn.Module":
        """The network for ``genome``; raises :class:`InvalidArchitecture` with the reason if there is none."""

    def check(self, genome: G, input_shape: tuple[int, int, int], num_classes: int, **options: Any) -> None:
        """Raise :class:`InvalidArchitecture` exactly when :meth:`build` would.

        The default builds the network; spaces override it with a cheaper check because a
        surrogate asks it of every architecture the cache lacks.
        """
        self.build(genome, input_shape, num_classes, **options)

    def features(self, genome: G) -> np.ndarray:
        """A fixed-length numeric encoding of the network (equal for equal canonical forms), for surrogates.

        Optional: a space without it cannot be served by a surrogate.
        """
        raise ReproError(f"search space {self.name!r} has no feature encoding, so no surrogate can serve it")

    @abstractmethod
    def to_json(self, genome: G) -> str:
        """A JSON text from which :meth:`from_json` rebuilds the genome exactly."""

    @abstractmethod
    def from_json(self, text: str) -> G:
        """Parse a genome; malformed input raises ReproError naming the problem."""

    def config(self) -> dict[str, Any]:
        """The space's parameters (its constructor arguments), stored with every run."""
        return dict(vars(self))

    def describe(self, genome: G) -> str:
        """A short human-readable summary of the network (default: the canonical text)."""
        return self.canonical(genome).text

    def references(self) -> dict[str, G]:
        """Well-known architectures of the space by name (shown beside comparisons as known answers)."""
        return {}


SPACES: Registry[type[SearchSpace[Any]]] = Registry("search space")
