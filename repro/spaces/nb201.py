"""The NAS-Bench-201 cell space (Dong & Yang, 2020): 4 nodes, 6 edges, 5 operations; 5^6 = 15,625 encodings.

Node 0 is the cell input, node 3 its output, each node the sum of its incoming edges. The network
is NAS-Bench-201's: a 3×3 stem, three stages of ``layers`` cells at C, 2C, 4C channels with a
ResNet basic block (stride 2) between stages, then BN-ReLU, global pooling and a linear classifier.

The canonical form collapses encodings that compute the same function: ``none`` edges are
removed, then every edge that no longer lies on an input→output path (it carries no input
signal to the output, as NAS-Bench-201's own deduplication treats it), then the remaining graph
is labelled canonically (:mod:`repro.canonical`), so isomorphic node orders (nodes 1 and 2
swapped when no edge joins them) get one key. A cell with no input→output path is ``zero``.
"""

from __future__ import annotations

import functools
import itertools
import json
from json.encoder import encode_basestring_ascii
from typing import Any

import numpy as np
import torch
from torch import nn

from repro.canonical import canonical_graph
from repro.draws import below, integers_below
from repro.errors import ReproError
from repro.spaces.base import CanonicalForm, SearchSpace, canonical_key
from repro.spaces.cells import NB201_OPS, CellEdge, DagCell, EdgeWeights, ReLUConvBN, cell_widths

OPS = tuple(NB201_OPS)
"""none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3 (NAS-Bench-201's order)."""

EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
"""The edges in the order of the string format ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``."""

Nb201Genome = tuple[str, ...]
"""One operation name per edge of :data:`EDGES`."""

_OTHERS = {op: tuple(o for o in OPS if o != op) for op in OPS}
"""Each operation's alternatives, in :data:`OPS` order (what a mutation draws from)."""

RESNET = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"
"""The cell that makes NAS-Bench-201's network a ResNet (NB201 Section 5 uses it as the hand-designed reference)."""


def from_string(text: str) -> Nb201Genome:
    """Parse ``|nor_conv_3x3~0|+|none~0|skip_connect~1|+|...~0|...~1|...~2|``; bad text raises ReproError."""
    nodes = text.strip().split("+")
    ops: list[str] = []
    try:
        if len(nodes) != 3:
            raise ValueError(f"{len(nodes)} node groups")
        for target, group in enumerate(nodes, start=1):
            parts = group.strip("|").split("|")
            if len(parts) != target:
                raise ValueError(f"node {target} has {len(parts)} inputs")
            for source, part in enumerate(parts):
                op, _, index = part.partition("~")
                if op not in OPS or index != str(source):
                    raise ValueError(f"bad edge {part!r}")
                ops.append(op)
    except ValueError as exc:
        raise ReproError(
            f"not a NAS-Bench-201 cell string ({exc}): {text!r}; expected "
            f"|op~0|+|op~0|op~1|+|op~0|op~1|op~2| with op one of {', '.join(OPS)}"
        ) from None
    return tuple(ops)


_STRING = "+".join("|" + "".join(f"{{}}~{s}|" for s, t in EDGES if t == target) for target in (1, 2, 3))
"""The string format with one ``{}`` per edge, in :data:`EDGES` order (which is the string's order)."""


def to_string(genome: Nb201Genome) -> str:
    """The NAS-Bench-201 string of a genome (inverse of :func:`from_string`)."""
    return _STRING.format(*genome)


def live_edges(genome: Nb201Genome) -> list[int]:
    """Indices of the edges that carry input signal to the output (not ``none``, on an input→output path)."""
    real = [i for i, op in enumerate(genome) if op != "none"]
    reached, reaching = {0}, {3}
    for source, target in EDGES:  # EDGES are in topological order of their sources
        if source in reached and EDGES.index((source, target)) in real:
            reached.add(target)
    for source, target in reversed(EDGES):
        if target in reaching and EDGES.index((source, target)) in real:
            reaching.add(source)
    return [i for i in real if EDGES[i][0] in reached and EDGES[i][1] in reaching]


def canonical_text(genome: Nb201Genome, merge_identities: bool = False) -> str:
    """The canonical text (see the module docstring): ``zero``, or the labelled graph as JSON.

    ``merge_identities`` (an analysis, not the cache key): a node whose only live input is a
    ``skip_connect`` edge is the node it copies, so its outgoing edges are re-attached there and the
    skip edge dropped (``identity`` when the output itself is the input). Strings that differ only
    by such a detour compute the same function; :mod:`papers.nb201.numbers` measures whether NB201's
    trainings tell them apart.
    """
    live = live_edges(genome)
    if not live:
        return "zero"
    alias = list(range(4))
    if merge_identities:
        for node in (1, 2, 3):
            inputs = [i for i in live if EDGES[i][1] == node]
            if len(inputs) == 1 and genome[inputs[0]] == "skip_connect":
                alias[node] = alias[EDGES[inputs[0]][0]]
                live.remove(inputs[0])
        if alias[3] == 0:
            return "identity"
    # Nodes become vertices "in"/"node"/"out", each live edge a vertex labelled by its operation.
    labels = ["in", "node", "node", "out"] + [genome[i] for i in live]
    labels[alias[3]] = "out"
    arcs = []
    for v, i in enumerate(live, start=4):
        arcs += [(alias[EDGES[i][0]], v), (v, alias[EDGES[i][1]])]
    used = sorted({a for arc in arcs for a in arc})
    renumber = {old: new for new, old in enumerate(used)}
    graph = canonical_graph([labels[v] for v in used], [(renumber[a], renumber[b]) for a, b in arcs])
    return json.dumps({"labels": graph.labels, "edges": graph.edges}, separators=(",", ":"))


def from_canonical(text: str) -> Nb201Genome:
    """A genome whose :func:`canonical_text` is ``text`` (the cache stores that text beside each row).

    The live edges are the graph's operation vertices; every other edge is ``none``. Of the two
    intermediate nodes, the one feeding the other is node 1; with no edge between them they are
    interchangeable, so any order gives the same canonical text.
    """
    genome = ["none"] * len(EDGES)
    if text == "zero":
        return tuple(genome)
    try:
        graph = json.loads(text)
        labels, arcs = graph["labels"], [tuple(a) for a in graph["edges"]]
        source = {b: a for a, b in arcs if labels[b] in OPS}
        target = {a: b for a, b in arcs if labels[a] in OPS}
        nodes = [v for v, label in enumerate(labels) if label == "node"]
        feeds = {source[v] for v in target if source[v] in nodes and target[v] in nodes}
        inner = sorted(nodes, key=lambda n: n not in feeds)
        node = {labels.index("in"): 0, labels.index("out"): 3, **{v: i for i, v in enumerate(inner, start=1)}}
        for v, label in enumerate(labels):
            if label in OPS:
                genome[EDGES.index((node[source[v]], node[target[v]]))] = label
    except (ValueError, KeyError, TypeError, IndexError):
        raise ReproError(f"not a NAS-Bench-201 canonical text: {text!r}") from None
    return tuple(genome)


@functools.lru_cache(maxsize=1)
def unique_cells() -> int:
    """How many distinct canonical forms the 15,625 encodings have."""
    return len({canonical_text(g) for g in itertools.product(OPS, repeat=len(EDGES))})


class ResNetBasicBlock(nn.Module):
    """NAS-Bench-201's stage transition: two ReLU-conv-BN (the first stride 2) plus a pooled 1×1 shortcut."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.a = ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.a(x)) + self.shortcut(x)


class Nb201Net(nn.Module):
    """The NAS-Bench-201 network; ``candidates[e]`` are the operations on edge ``e`` (one: trained, all: supernet).

    ``forward(x, mix)`` takes the supernet's :class:`EdgeWeights` (all cells share one architecture).
    """

    def __init__(
        self,
        candidates: list[tuple[str, ...]],
        channels: int,
        layers: int,
        input_shape: tuple[int, int, int],
        num_classes: int,
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(input_shape[0], channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)
        )
        edges = [CellEdge(s, t, ops) for (s, t), ops in zip(EDGES, candidates)]
        self.cells = nn.ModuleList()
        c = channels
        for stage in range(3):
            if stage:
                self.cells.append(ResNetBasicBlock(c, 2 * c))
                c *= 2
            self.cells.extend(DagCell(edges, 1, c, 1, False, NB201_OPS) for _ in range(layers))
        self.head = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=False), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor, mix: dict[str, EdgeWeights] | None = None) -> torch.Tensor:
        x = self.stem(x)
        for cell in self.cells:
            x = cell([x], None if mix is None else mix["cell"]) if isinstance(cell, DagCell) else cell(x)
        return self.classifier(self.head(x))


class Nb201Space(SearchSpace[Nb201Genome]):
    """NAS-Bench-201 cells (6 edges, 5 operations), built as NAS-Bench-201's network at ``channels``/``layers``."""

    name = "nb201"
    cell_types = ("cell",)
    gdas_gradient = "all"
    """GDAS's logit-gradient rule in this space's supernet: the authors' NB201 ``SearchCell.forward_gdas``
    (AutoDL-Projects, lib/models/cell_searchs/search_cells.py) adds every weight back (``EDGE_GRADIENTS``)."""
    """The architecture logits a search learns: one (edges × operations) table, shared by all cells."""

    def sample(self, rng: np.random.Generator) -> Nb201Genome:
        return tuple(OPS[i] for i in integers_below(rng, len(OPS), len(EDGES)))

    def mutate(self, genome: Nb201Genome, rng: np.random.Generator) -> Nb201Genome:
        """Change one edge to a different operation."""
        ops = list(genome)
        e = below(rng, len(ops))
        others = _OTHERS[ops[e]]
        ops[e] = others[below(rng, len(others))]
        return tuple(ops)

    def canonical(self, genome: Nb201Genome) -> CanonicalForm:
        text = canonical_text(genome)
        return CanonicalForm(text=text, key=canonical_key(self.name, text))

    def build(
        self, genome: Nb201Genome, input_shape: tuple[int, int, int], num_classes: int, **options: Any
    ) -> nn.Module:
        channels, layers = cell_widths(options)
        return Nb201Net([(op,) for op in genome], channels, layers, input_shape, num_classes)

    def supernet(self, input_shape: tuple[int, int, int], num_classes: int, channels: int, layers: int) -> Nb201Net:
        """Every operation on every edge; the forward takes ``{"cell": EdgeWeights}``."""
        return Nb201Net([OPS] * len(EDGES), channels, layers, input_shape, num_classes)

    def candidates(self, cell_type: str) -> tuple[tuple[str, ...], ...]:
        """The operations of each edge of the supernet (the columns of its logits)."""
        return (OPS,) * len(EDGES)

    def derive(self, logits: dict[str, np.ndarray]) -> Nb201Genome:
        """The most likely operation on every edge (``none`` included, as NAS-Bench-201's GDAS derives)."""
        return tuple(OPS[int(i)] for i in np.asarray(logits["cell"]).argmax(axis=1))

    def features(self, genome: Nb201Genome) -> np.ndarray:
        """One-hot operations per edge."""
        return np.eye(len(OPS))[[OPS.index(op) for op in genome]].ravel()

    def to_json(self, genome: Nb201Genome) -> str:
        # What json.dumps(text) returns for a str, without its argument handling (a replayed step's cost).
        return encode_basestring_ascii(to_string(genome))

    def from_json(self, text: str) -> Nb201Genome:
        """A JSON string in the NAS-Bench-201 format, or a canonical text as the cache stores it beside each row."""
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if text == "zero" or isinstance(value, dict):
            return from_canonical(text)
        if not isinstance(value, str):
            raise ReproError(
                f"not a NAS-Bench-201 genome: {text!r}; expected a JSON string in the NAS-Bench-201 format"
            )
        return from_string(value)

    def describe(self, genome: Nb201Genome) -> str:
        return to_string(genome)

    def references(self) -> dict[str, Nb201Genome]:
        return {"ResNet-like cell": from_string(RESNET)}
