"""The REMNet macro search space (Kyriakides & Margaritis, AIAI 2020)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from repro.canonical import CanonicalGraph, canonical_graph, topological_order
from repro.errors import ReproError
from repro.spaces.base import CanonicalForm, InvalidArchitecture, SearchSpace, canonical_key
from repro.spaces.remnet import genome as gen
from repro.spaces.remnet.genome import INPUT, LAYERS, OUTPUT, Genome

NO_PATH = "no enabled path from input to output"
_SOURCES = ("IN", *LAYERS)
_TARGETS = (*LAYERS, "OUT")
_LAYER_INDEX = {layer: i for i, layer in enumerate(LAYERS)}
_SOURCE_INDEX = {label: i for i, label in enumerate(_SOURCES)}
_TARGET_INDEX = {label: i for i, label in enumerate(_TARGETS)}
_N_FEATURES = len(LAYERS) + len(_SOURCES) * len(_TARGETS) + 4


class RemnetSpace(SearchSpace[Genome]):
    """REMNet macro space (AIAI 2020): DeepNEAT-style layer and connection genes, Section 3.2 mutations.

    ``p_add`` adds a node, ``p_identity`` leaves the genome as it is, and otherwise (the paper's
    p_mutate = 1 - p_add - p_identity) a layer gene or a connection gene is mutated, each half of
    the time (as in the authors' code). Initial genomes are ``initial_nodes`` node additions to
    the minimal genome.
    """

    name = "remnet"

    def __init__(self, p_add: float = 0.25, p_identity: float = 0.05, initial_nodes: int = 4) -> None:
        if not (0 <= p_add and 0 <= p_identity and p_add + p_identity <= 1):
            raise ReproError(
                f"remnet: need p_add, p_identity >= 0 with p_add + p_identity <= 1, got {p_add}, {p_identity}"
            )
        self.p_add = p_add
        self.p_identity = p_identity
        self.initial_nodes = initial_nodes

    def sample(self, rng: np.random.Generator) -> Genome:
        genome = gen.minimal()
        for _ in range(self.initial_nodes):
            genome = gen.add_node(genome, rng)
        return genome

    def mutate(self, genome: Genome, rng: np.random.Generator) -> Genome:
        r = rng.random()
        if r < self.p_add:
            return gen.add_node(genome, rng)
        if r < self.p_add + self.p_identity:
            return genome
        if genome.layers and rng.random() < 0.5:
            return gen.mutate_layer(genome, rng)
        return gen.flip_connection(genome, rng)

    def graph(self, genome: Genome) -> CanonicalGraph | None:
        """The canonical active graph (labels ``IN``, ``OUT`` and layer names), or None with no path."""
        nodes, edges = genome.active()
        if not nodes:
            return None
        layer_of = genome.layer_of
        labels = [_label(n, layer_of) for n in nodes]
        index = {n: i for i, n in enumerate(nodes)}
        return canonical_graph(labels, [(index[a], index[b]) for a, b in edges])

    def canonical(self, genome: Genome) -> CanonicalForm:
        graph = self.graph(genome)
        if graph is None:
            text = json.dumps({"invalid": NO_PATH})
        else:
            text = json.dumps(
                {"nodes": list(graph.labels), "edges": [list(e) for e in graph.edges]}, separators=(",", ":")
            )
        return CanonicalForm(text=text, key=canonical_key(self.name, text))

    def build(self, genome: Genome, input_shape: tuple[int, int, int], num_classes: int, **options: Any) -> Any:
        from repro.spaces.remnet.builder import RemnetNet

        graph = self.graph(genome)
        if graph is None:
            raise InvalidArchitecture(NO_PATH)
        channels = int(options.pop("channels", 64))
        min_input = _min_input(options.pop("min_input", "reject"))
        if options:
            raise ReproError(
                f"remnet: unknown model options {sorted(options)}; the space takes 'channels' and 'min_input'"
            )
        return RemnetNet(graph.labels, graph.edges, input_shape, num_classes, channels, min_input)

    def check(self, genome: Genome, input_shape: tuple[int, int, int], num_classes: int, **options: Any) -> None:
        """The builder's shape checks alone, on the active graph without canonicalising it.

        Validity does not depend on the vertex order; where several layers are too large for
        their input, the reason may name another of them than :meth:`build` does.
        """
        from repro.spaces.remnet.builder import plan

        nodes, edges = genome.active()
        if not nodes:
            raise InvalidArchitecture(NO_PATH)
        labels = [_label(n, genome.layer_of) for n in nodes]
        index = {n: i for i, n in enumerate(nodes)}
        plan(
            labels,
            [(index[a], index[b]) for a, b in edges],
            input_shape,
            int(options.get("channels", 64)),
            _min_input(options.get("min_input", "reject")),
        )

    def features(self, genome: Genome) -> np.ndarray:
        """Counts of the active graph: layers per type (12), edges per (source type, target type) with
        ``IN`` and ``OUT`` (13 x 13), then active layers, active edges, the longest input -> output
        path in edges, and whether any path exists (4): 185 numbers."""
        nodes, edges = genome.active()
        vector = np.zeros(_N_FEATURES)
        if not nodes:
            return vector
        layer_of = genome.layer_of
        for n in nodes:
            if n not in (INPUT, OUTPUT):
                vector[_LAYER_INDEX[layer_of[n]]] += 1
        for a, b in edges:
            source, target = _label(a, layer_of), _label(b, layer_of)
            vector[len(LAYERS) + _SOURCE_INDEX[source] * len(_TARGETS) + _TARGET_INDEX[target]] += 1
        vector[-4:] = (len(nodes) - 2, len(edges), _longest_path(nodes, edges), 1.0)
        return vector

    def to_json(self, genome: Genome) -> str:
        return gen.to_json(genome)

    def from_json(self, text: str) -> Genome:
        """Parse a genome, or a canonical text as stored in the cache (``{"nodes": ..., "edges": ...}``)."""
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and "nodes" in data:
            return _from_canonical(data)
        return gen.from_json(text)

    def describe(self, genome: Genome) -> str:
        """Layers in build order, each with the positions it reads from, e.g. ``1:CONV_3.N<-in 2:POOL_2.M<-1 out<-2``."""
        graph = self.graph(genome)
        if graph is None:
            return f"(invalid: {NO_PATH})"
        order = topological_order(len(graph.labels), graph.edges)
        position = {v: i for i, v in enumerate(order)}
        source = graph.labels.index("IN")
        sink = graph.labels.index("OUT")

        def name(v: int) -> str:
            return "in" if v == source else str(position[v])

        parts = []
        for v in order[1:]:
            preds = ",".join(name(a) for a in sorted((a for a, b in graph.edges if b == v), key=position.get))
            parts.append(f"out<-{preds}" if v == sink else f"{position[v]}:{graph.labels[v]}<-{preds}")
        return " ".join(parts)


def _min_input(value: object) -> str:
    """The ``min_input`` model option, checked (:data:`repro.spaces.remnet.builder.MIN_INPUT`)."""
    from repro.spaces.remnet.builder import MIN_INPUT

    if value not in MIN_INPUT:
        raise ReproError(f"remnet: min_input must be one of {', '.join(MIN_INPUT)}, got {value!r}")
    return str(value)


def _from_canonical(data: dict[str, Any]) -> Genome:
    """A genome whose active graph is the given canonical graph (hidden nodes numbered in its order)."""
    try:
        labels = [str(x) for x in data["nodes"]]
        edges = [(gen.whole(a), gen.whole(b)) for a, b in data["edges"]]
        ids = {}
        hidden = 0
        for i, label in enumerate(labels):
            if label in ("IN", "OUT"):
                ids[i] = INPUT if label == "IN" else OUTPUT
            else:
                ids[i] = hidden
                hidden += 1
        layers = tuple((ids[i], label) for i, label in enumerate(labels) if label not in ("IN", "OUT"))
        connections = tuple(gen.Connection(k, ids[a], ids[b], True) for k, (a, b) in enumerate(edges))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ReproError(
            f'not a REMNet canonical genome ({exc}); expected {{"nodes": [...], "edges": [[a, b], ...]}}'
        ) from None
    genome = Genome(layers=layers, connections=connections)
    gen.check(genome)
    return genome


def _label(node: int, layer_of: dict[int, str]) -> str:
    """A node's vertex label: ``IN``, ``OUT`` or its layer."""
    return "IN" if node == INPUT else "OUT" if node == OUTPUT else layer_of[node]


def _longest_path(nodes: list[int], edges: list[tuple[int, int]]) -> int:
    """Edges on the longest input -> output path of an active (acyclic) graph."""
    index = {n: i for i, n in enumerate(nodes)}
    order = topological_order(len(nodes), [(index[a], index[b]) for a, b in edges])
    depth = dict.fromkeys(range(len(nodes)), 0)
    for v in order:
        for a, b in edges:
            if index[a] == v:
                depth[index[b]] = max(depth[index[b]], depth[v] + 1)
    return depth[index[OUTPUT]]
