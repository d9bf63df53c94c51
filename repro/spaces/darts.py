"""The DARTS/NASNet cell space of GDAS (Section 3.1): a normal and a reduction cell, or the fixed reduction cell.

A cell has two inputs (the outputs of the previous two cells, preprocessed to C channels), B = 4
computational nodes, each the sum of T = 2 operations applied to two distinct earlier nodes, and
outputs the concatenation of its four nodes. Operations come from the paper's set F without
``zeroize`` (a derived cell never keeps it). The reduction cell applies stride 2 to the edges
leaving its inputs; "FRC" replaces it by the paper's fixed reduction cell (Fig. 3).

The network (Fig. 2, CIFAR): a 3×3 stem to 3C channels, three stages of N cells with a reduction
cell (doubling C) between them, global pooling and a linear classifier (no auxiliary head).

The canonical form labels each cell's graph canonically (:mod:`repro.canonical`): the two
operations of a node commute, and node orders that differ by an isomorphism compute the same
function up to a permutation of concatenated channels, which the next cell's 1×1 preprocessing
absorbs. The cell inputs keep distinct labels (the previous cell is not the one before it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from repro.canonical import canonical_graph
from repro.errors import ReproError
from repro.spaces.base import CanonicalForm, SearchSpace, canonical_key
from repro.spaces.cells import DARTS_OPS, CellEdge, DagCell, EdgeWeights, FactorizedReduce, ReLUConvBN, cell_widths

SEARCH_OPS = tuple(DARTS_OPS)
"""The paper's candidate set F (8 operations, ``none`` = zeroize), as the supernet's edges hold it."""

OPS = tuple(op for op in SEARCH_OPS if op != "none")
"""The operations a derived cell may hold."""

NODES = 4
"""B, the computational nodes per cell."""

Cell = tuple[tuple[tuple[str, int], tuple[str, int]], ...]
"""Per node, two ``(operation, input)`` pairs; inputs 0 and 1 are the cell inputs, 2.. earlier nodes."""


@dataclass(frozen=True)
class DartsGenome:
    """A normal cell and a reduction cell; ``reduce`` None means the fixed reduction cell (FRC)."""

    normal: Cell
    reduce: Cell | None


def search_edges() -> list[tuple[int, int]]:
    """The supernet's edges ``(source, target)`` in node order: 2+3+4+5 = 14 per cell."""
    return [(s, t) for t in range(2, NODES + 2) for s in range(t)]


class FixedReductionCell(nn.Module):
    """The paper's fixed reduction cell (Fig. 3; layout as the authors' public code builds it).

    Two branches of ReLU, grouped 1×3 conv (stride 1×2), grouped 3×1 conv (stride 2×1), BN, ReLU,
    1×1 conv, BN, one on each preprocessed input, and a 3×3/2 max pool + BN on each input; the four
    results are concatenated.
    """

    def __init__(self, c: int) -> None:
        super().__init__()
        if c % 8:
            raise ReproError(f"the fixed reduction cell uses 8 groups, so its width must be a multiple of 8, got {c}")

        def factorized() -> nn.Module:
            return nn.Sequential(
                nn.ReLU(inplace=False),
                nn.Conv2d(c, c, (1, 3), stride=(1, 2), padding=(0, 1), groups=8, bias=False),
                nn.Conv2d(c, c, (3, 1), stride=(2, 1), padding=(1, 0), groups=8, bias=False),
                nn.BatchNorm2d(c),
                nn.ReLU(inplace=False),
                nn.Conv2d(c, c, 1, bias=False),
                nn.BatchNorm2d(c),
            )

        self.convs = nn.ModuleList([factorized(), factorized()])
        self.pools = nn.ModuleList(nn.Sequential(nn.MaxPool2d(3, 2, 1), nn.BatchNorm2d(c)) for _ in range(2))

    def forward(self, states: list[torch.Tensor], mix: EdgeWeights | None = None) -> torch.Tensor:
        s0, s1 = states
        return torch.cat([self.convs[0](s0), self.convs[1](s1), self.pools[0](s0), self.pools[1](s1)], dim=1)


class _Cell(nn.Module):
    """Preprocessing of the two inputs to ``c`` channels, then the DAG (or the fixed reduction) cell."""

    def __init__(self, body: nn.Module, c_prev_prev: int, c_prev: int, c: int, reduction_prev: bool) -> None:
        super().__init__()
        self.pre0 = FactorizedReduce(c_prev_prev, c) if reduction_prev else ReLUConvBN(c_prev_prev, c, 1, 1, 0)
        self.pre1 = ReLUConvBN(c_prev, c, 1, 1, 0)
        self.body = body

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, mix: EdgeWeights | None) -> torch.Tensor:
        return self.body([self.pre0(s0), self.pre1(s1)], mix)


class DartsNet(nn.Module):
    """The CIFAR network of Fig. 2 from per-type cell edges; ``reduce`` None uses the fixed reduction cell.

    ``forward(x, mix)`` takes a supernet's ``{"normal": EdgeWeights, "reduce": EdgeWeights}``.
    """

    def __init__(
        self,
        normal: list[CellEdge],
        reduce: list[CellEdge] | None,
        channels: int,
        layers: int,
        input_shape: tuple[int, int, int],
        num_classes: int,
    ) -> None:
        super().__init__()
        stem = 3 * channels
        self.stem = nn.Sequential(nn.Conv2d(input_shape[0], stem, 3, padding=1, bias=False), nn.BatchNorm2d(stem))
        self.cells = nn.ModuleList()
        self.kinds: list[str] = []
        c_pp, c_p, c, reduction_prev = stem, stem, channels, False
        for stage in range(3):
            kinds = (["reduce"] if stage else []) + ["normal"] * layers
            for kind in kinds:
                if kind == "reduce":
                    c *= 2
                    body: nn.Module = DagCell(reduce, 2, c, 2, True, DARTS_OPS) if reduce else FixedReductionCell(c)
                else:
                    body = DagCell(normal, 2, c, 1, True, DARTS_OPS)
                self.cells.append(_Cell(body, c_pp, c_p, c, reduction_prev))
                self.kinds.append(kind)
                c_pp, c_p, reduction_prev = c_p, NODES * c, kind == "reduce"
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, x: torch.Tensor, mix: dict[str, EdgeWeights] | None = None) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for kind, cell in zip(self.kinds, self.cells):
            s0, s1 = s1, cell(s0, s1, None if mix is None else mix.get(kind))
        return self.classifier(torch.flatten(self.pool(s1), 1))


def _edges(cell: Cell) -> list[CellEdge]:
    return [CellEdge(source, node + 2, (op,)) for node, pair in enumerate(cell) for op, source in pair]


def _cell_text(cell: Cell) -> str:
    """The canonical text of one cell: inputs, nodes, one vertex per operation, the concatenating output."""
    labels = ["in0", "in1"] + ["node"] * NODES + ["out"]
    arcs = [(node + 2, 6) for node in range(NODES)]
    for node, pair in enumerate(cell):
        for op, source in pair:
            labels.append(op)
            arcs += [(source, len(labels) - 1), (len(labels) - 1, node + 2)]
    graph = canonical_graph(labels, arcs)
    return json.dumps({"labels": graph.labels, "edges": graph.edges}, separators=(",", ":"))


def _check_cell(value: Any, what: str) -> Cell:
    """A cell parsed from JSON-like data; ReproError naming the problem otherwise."""
    try:
        cell = tuple(tuple((str(op), int(src)) for op, src in pair) for pair in value)
        problems = [
            f"node {n} needs 2 inputs"
            if len(pair) != 2
            else f"node {n} repeats input {pair[0][1]}"
            if pair[0][1] == pair[1][1]
            else f"node {n} has input outside 0..{n + 1}"
            if not all(0 <= s <= n + 1 for _, s in pair)
            else f"node {n} has an operation outside {', '.join(OPS)}"
            if not all(op in OPS for op, _ in pair)
            else ""
            for n, pair in enumerate(cell)
        ]
    except (TypeError, ValueError) as exc:
        raise ReproError(
            f"darts {what} cell is malformed ({exc}); expected 4 nodes of [[op, input], [op, input]]"
        ) from None
    problems = [p for p in problems if p] + ([f"{len(cell)} nodes, not {NODES}"] if len(cell) != NODES else [])
    if problems:
        raise ReproError(f"darts {what} cell: {'; '.join(problems)}")
    return cell


def from_genotype(normal: list[tuple[str, int]], reduce: list[tuple[str, int]] | None) -> DartsGenome:
    """A genome from DARTS-style genotype lists (8 ``(op, input)`` pairs per cell, two per node)."""

    def pairs(flat: list[tuple[str, int]]) -> list[list[tuple[str, int]]]:
        return [flat[i : i + 2] for i in range(0, len(flat), 2)]

    return DartsGenome(
        _check_cell(pairs(normal), "normal"), None if reduce is None else _check_cell(pairs(reduce), "reduction")
    )


class DartsSpace(SearchSpace[DartsGenome]):
    """GDAS's DARTS/NASNet cells (normal + reduction, or normal + the fixed reduction cell with ``frc``)."""

    name = "darts"
    gdas_gradient = "argmax"
    """GDAS's logit-gradient rule in this space's supernet: the paper's (Section 3.2) and the authors'
    DARTS-space ``MixedOp.forward_gdas`` (AutoDL-Projects, lib/models/cell_searchs/search_cells.py)."""

    def __init__(self, frc: bool = False) -> None:
        self.frc = bool(frc)

    @property
    def cell_types(self) -> tuple[str, ...]:
        """The cells a search learns logits for."""
        return ("normal",) if self.frc else ("normal", "reduce")

    def _sample_cell(self, rng: np.random.Generator) -> Cell:
        cell = []
        for node in range(NODES):
            sources = rng.choice(node + 2, size=2, replace=False)
            cell.append(tuple((OPS[int(rng.integers(len(OPS)))], int(s)) for s in sorted(sources)))
        return tuple(cell)

    def sample(self, rng: np.random.Generator) -> DartsGenome:
        normal = self._sample_cell(rng)
        return DartsGenome(normal, None if self.frc else self._sample_cell(rng))

    def mutate(self, genome: DartsGenome, rng: np.random.Generator) -> DartsGenome:
        """Change one operation or one input of one node of one searched cell."""
        kind = self.cell_types[int(rng.integers(len(self.cell_types)))]
        cell = [list(pair) for pair in getattr(genome, kind)]
        node, slot = int(rng.integers(NODES)), int(rng.integers(2))
        op, source = cell[node][slot]
        if rng.random() < 0.5:
            op = [o for o in OPS if o != op][int(rng.integers(len(OPS) - 1))]
        else:
            choices = [s for s in range(node + 2) if s not in (source, cell[node][1 - slot][1])]
            source = choices[int(rng.integers(len(choices)))] if choices else source
        cell[node][slot] = (op, source)
        new = tuple(tuple(pair) for pair in cell)
        return DartsGenome(new, genome.reduce) if kind == "normal" else DartsGenome(genome.normal, new)

    def canonical(self, genome: DartsGenome) -> CanonicalForm:
        reduce = "FRC" if genome.reduce is None else _cell_text(genome.reduce)
        text = json.dumps({"normal": _cell_text(genome.normal), "reduce": reduce}, separators=(",", ":"))
        return CanonicalForm(text=text, key=canonical_key(self.name, text))

    def build(
        self, genome: DartsGenome, input_shape: tuple[int, int, int], num_classes: int, **options: Any
    ) -> nn.Module:
        channels, layers = cell_widths(options)
        reduce = None if genome.reduce is None else _edges(genome.reduce)
        return DartsNet(_edges(genome.normal), reduce, channels, layers, input_shape, num_classes)

    def supernet(self, input_shape: tuple[int, int, int], num_classes: int, channels: int, layers: int) -> DartsNet:
        """Every operation of F on every edge; the forward takes one :class:`EdgeWeights` per searched cell."""
        edges = [CellEdge(s, t, SEARCH_OPS) for s, t in search_edges()]
        return DartsNet(edges, None if self.frc else edges, channels, layers, input_shape, num_classes)

    def candidates(self, cell_type: str) -> tuple[tuple[str, ...], ...]:
        """The operations of each supernet edge (the columns of its logits)."""
        return (SEARCH_OPS,) * len(search_edges())

    def derive(self, logits: dict[str, np.ndarray]) -> DartsGenome:
        """Section 3.2: per node keep the T = 2 incoming edges of highest max-probability (zeroize excluded),
        each with its most likely operation."""
        cells = {}
        keep = [SEARCH_OPS.index(op) for op in OPS]
        for kind in self.cell_types:
            a = np.asarray(logits[kind], dtype=np.float64)
            probs = np.exp(a - a.max(axis=1, keepdims=True))
            probs = (probs / probs.sum(axis=1, keepdims=True))[:, keep]
            cell = []
            for node in range(NODES):
                rows = [(i, s) for i, (s, t) in enumerate(search_edges()) if t == node + 2]
                # Stable sort: ties keep the earlier input, so derivation is deterministic.
                best = sorted(rows, key=lambda r: -probs[r[0]].max())[:2]
                cell.append(tuple((OPS[int(probs[i].argmax())], s) for i, s in sorted(best, key=lambda r: r[1])))
            cells[kind] = tuple(cell)
        return DartsGenome(cells["normal"], cells.get("reduce"))

    def features(self, genome: DartsGenome) -> np.ndarray:
        """Per searched cell and supernet edge, the one-hot operation (zeros where the edge is not kept)."""
        out = []
        for cell in (genome.normal, genome.reduce):
            table = np.zeros((len(search_edges()), len(OPS)))
            for node, pair in enumerate(cell or ()):
                for op, source in pair:
                    table[search_edges().index((source, node + 2)), OPS.index(op)] = 1.0
            out.append(table.ravel())
        return np.concatenate(out)

    def to_json(self, genome: DartsGenome) -> str:
        def cell(c: Cell | None) -> Any:
            return None if c is None else [[list(p) for p in pair] for pair in c]

        return json.dumps({"normal": cell(genome.normal), "reduce": cell(genome.reduce)}, separators=(",", ":"))

    def from_json(self, text: str) -> DartsGenome:
        try:
            data = json.loads(text)
            normal, reduce = data["normal"], data["reduce"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ReproError(
                f'not a darts genome ({exc}); expected {{"normal": [...], "reduce": [...] or null}}'
            ) from None
        return DartsGenome(_check_cell(normal, "normal"), None if reduce is None else _check_cell(reduce, "reduction"))

    def describe(self, genome: DartsGenome) -> str:
        def cell(c: Cell) -> str:
            return " ".join(f"n{n + 2}=" + "+".join(f"{op}({s})" for op, s in pair) for n, pair in enumerate(c))

        return f"normal: {cell(genome.normal)}; reduce: {'FRC' if genome.reduce is None else cell(genome.reduce)}"
