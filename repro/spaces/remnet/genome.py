"""REMNet genomes (Kyriakides & Margaritis, AIAI 2020, Section 3): layer genes and connection genes.

A genome is immutable plain data. Node ``INPUT`` is the image, ``OUTPUT`` the input of the
fully-connected head (the paper's figures number them -2 and 99); hidden nodes are numbered in
the order they were added. Connection genes carry innovation numbers in creation order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import numpy as np

from repro.errors import ReproError

LAYERS: tuple[str, ...] = (
    "CONV_2.H",
    "CONV_3.H",
    "CONV_5.H",
    "CONV_2.N",
    "CONV_3.N",
    "CONV_5.N",
    "POOL_2.A",
    "POOL_3.A",
    "POOL_5.A",
    "POOL_2.M",
    "POOL_3.M",
    "POOL_5.M",
)
"""The 12 layer choices of Table 1: kind, kernel size, and H(alf)/N(ormal) filters or A(vg)/M(ax) pooling."""

INPUT = -2
OUTPUT = -1


@dataclass(frozen=True)
class Connection:
    """A connection gene: ``source -> target``, switched on or off."""

    innovation: int
    source: int
    target: int
    enabled: bool = True


@dataclass(frozen=True)
class Genome:
    """Layer genes ``(node, layer)`` in order of addition, and connection genes in innovation order."""

    layers: tuple[tuple[int, str], ...]
    connections: tuple[Connection, ...]

    @property
    def layer_of(self) -> dict[int, str]:
        """Node id -> layer name for the hidden nodes."""
        return dict(self.layers)

    def active(self) -> tuple[list[int], list[tuple[int, int]]]:
        """The nodes and enabled edges on some input -> output path (what the network computes).

        Returns ``([], [])`` when no enabled path joins input to output.
        """
        enabled = [(c.source, c.target) for c in self.connections if c.enabled]
        forward = _reachable(INPUT, _adjacency(enabled))
        if OUTPUT not in forward:
            return [], []
        backward = _reachable(OUTPUT, _adjacency([(b, a) for a, b in enabled]))
        on_path = forward & backward
        edges = sorted({(a, b) for a, b in enabled if a in on_path and b in on_path})
        return sorted(on_path), edges


def _adjacency(edges: list[tuple[int, int]]) -> dict[int, list[int]]:
    succ: dict[int, list[int]] = {}
    for a, b in edges:
        if a in succ:
            succ[a].append(b)
        else:
            succ[a] = [b]
    return succ


def _reachable(start: int, succ: dict[int, list[int]]) -> set[int]:
    seen, stack = {start}, [start]
    while stack:
        for nxt in succ.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def minimal() -> Genome:
    """The genome every individual starts from: input connected straight to output."""
    return Genome(layers=(), connections=(Connection(0, INPUT, OUTPUT, True),))


def add_node(genome: Genome, rng: np.random.Generator) -> Genome:
    """Split a random connection with a new node of random layer type (Section 3.2, "Adding Nodes").

    As in the authors' code any connection may be chosen, enabled or not; the split one is
    disabled. New connections only ever run from an older node to a newer one or to a node the
    split connection already reached, so the connection genes stay acyclic.
    """
    index = int(rng.integers(len(genome.connections)))
    split = genome.connections[index]
    node = max((n for n, _ in genome.layers), default=-1) + 1
    layer = LAYERS[int(rng.integers(len(LAYERS)))]
    innovation = max(c.innovation for c in genome.connections) + 1
    connections = list(genome.connections)
    connections[index] = replace(split, enabled=False)
    connections += [
        Connection(innovation, split.source, node, True),
        Connection(innovation + 1, node, split.target, True),
    ]
    return Genome(layers=genome.layers + ((node, layer),), connections=tuple(connections))


def mutate_layer(genome: Genome, rng: np.random.Generator) -> Genome:
    """Give a random hidden node a different one of the 12 layer types."""
    index = int(rng.integers(len(genome.layers)))
    node, old = genome.layers[index]
    choices = [layer for layer in LAYERS if layer != old]
    layers = list(genome.layers)
    layers[index] = (node, choices[int(rng.integers(len(choices)))])
    return replace(genome, layers=tuple(layers))


def flip_connection(genome: Genome, rng: np.random.Generator) -> Genome:
    """Switch a random connection gene on or off."""
    index = int(rng.integers(len(genome.connections)))
    connections = list(genome.connections)
    connections[index] = replace(connections[index], enabled=not connections[index].enabled)
    return replace(genome, connections=tuple(connections))


def to_json(genome: Genome) -> str:
    """Compact JSON: ``{"layers": [[node, layer], ...], "connections": [[innovation, from, to, enabled], ...]}``."""
    return json.dumps(
        {
            "layers": [[n, layer] for n, layer in genome.layers],
            "connections": [[c.innovation, c.source, c.target, c.enabled] for c in genome.connections],
        },
        separators=(",", ":"),
    )


def from_json(text: str) -> Genome:
    """Parse and check a genome written by :func:`to_json` (or by hand)."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise TypeError(f"the genome is a JSON {type(data).__name__}, not an object")
        layers = tuple((whole(n), str(layer)) for n, layer in data["layers"])
        connections = tuple(Connection(whole(i), whole(a), whole(b), _flag(e)) for i, a, b, e in data["connections"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ReproError(
            f"not a REMNet genome ({exc}); expected JSON like "
            '{"layers": [[0, "CONV_3.N"]], "connections": [[0, -2, 0, true], [1, 0, -1, true]]}'
        ) from None
    genome = Genome(layers=layers, connections=connections)
    check(genome)
    return genome


def whole(value: object) -> int:
    """A node or innovation id as JSON gives it: an integer (not 0.7, 1e400 or true), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"ids are whole numbers, got {value!r}")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"a connection's enabled flag must be true or false, got {value!r}")
    return value


def check(genome: Genome) -> None:
    """Raise ReproError if the genome is malformed (unknown layer or node, duplicate ids, a cycle)."""
    nodes = [n for n, _ in genome.layers]
    if len(set(nodes)) != len(nodes) or any(n < 0 for n in nodes):
        raise ReproError(f"REMNet genome: node ids must be distinct and >= 0, got {nodes}")
    for n, layer in genome.layers:
        if layer not in LAYERS:
            raise ReproError(f"REMNet genome: node {n} has unknown layer {layer!r}; choose one of {', '.join(LAYERS)}")
    known = set(nodes) | {INPUT, OUTPUT}
    if not genome.connections:
        raise ReproError("REMNet genome: no connection genes; the minimal genome is [[0, -2, -1, true]]")
    innovations = [c.innovation for c in genome.connections]
    if len(set(innovations)) != len(innovations):
        raise ReproError("REMNet genome: connection innovation numbers must be distinct")
    for c in genome.connections:
        if c.source not in known or c.target not in known or c.source == OUTPUT or c.target == INPUT:
            raise ReproError(
                f"REMNet genome: connection {c.innovation} ({c.source} -> {c.target}) must run from the input "
                f"({INPUT}) or a layer node to a layer node or the output ({OUTPUT})"
            )
    if _has_cycle(genome):
        raise ReproError("REMNet genome: the connection genes contain a cycle; a network must be acyclic")


def _has_cycle(genome: Genome) -> bool:
    edges = [(c.source, c.target) for c in genome.connections]
    succ = _adjacency(edges)
    return any(a in _reachable(b, succ) for a, b in edges)
