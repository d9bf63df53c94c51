"""A configuration's layer graph: the pending-output mechanism of Section 4.2, with shapes and costs.

How a cell finds its inputs. Within a block, every Cell output waits in a pending list with a
counter equal to its relativeIndex; an entry is *active* when its counter is 0. A newly reached
cell takes the active entries, removes them, and every remaining counter drops by one, so an
output with relativeIndex k reaches the (k+1)-th next cell. The cell's Input 1 reads the first
of (active entries, then the block's inputs), Input 2 the second, or the first again when there
is only one. The block's inputs are the Block outputs of the previous block (the network input
for the first block). This reading makes Fig. 6's Inception module work: cell 9 concatenates the
active output of cell 8 (Input 1) with a 1x1 convolution of the block input (Input 2).

Layer semantics, where the paper leaves them to Keras: a Dense input layer flattens a matrix
first; padding ``same`` is TensorFlow's (output = ceil(size / stride)); a Zeros input is the
neutral "no second input" (the combination passes the other branch through, and the operation
on a Zeros branch is not applied); the output structure flattens, then a dense layer over the
classes (softmax is in the loss). Nodes that do not reach the output (an active entry a Zeros
input ignores) are pruned, so the graph is the network as built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from repro.spaces.base import InvalidArchitecture
from repro.spaces.featurenet.model import Cell, Choice, Config

Shape = tuple[int, ...]


class Violation(InvalidArchitecture):
    """A configuration breaks the named constraint (see :data:`~repro.spaces.featurenet.model.CONSTRAINTS`)."""

    def __init__(self, constraint: str, detail: str) -> None:
        super().__init__(f"{constraint}: {detail}")
        self.constraint = constraint
        self.detail = detail


@dataclass(frozen=True)
class Node:
    """One layer: ``op`` with ``attrs`` applied to the outputs of ``inputs`` (earlier node indices)."""

    op: str
    attrs: tuple[tuple[str, Any], ...]
    inputs: tuple[int, ...]
    shape: Shape
    params: int = 0
    macs: int = 0

    def text(self) -> str:
        """``op(attr=value,...)<-i,j`` (a line of the canonical text)."""
        attrs = ",".join(f"{k}={v}" for k, v in self.attrs)
        return f"{self.op}({attrs})<-{','.join(map(str, self.inputs))}"


@dataclass(frozen=True)
class Graph:
    """The network as built: node 0 is the input, the last node the classifier."""

    nodes: tuple[Node, ...]

    @property
    def params(self) -> int:
        """Trainable weights (biases and BatchNorm scale/shift included)."""
        return sum(n.params for n in self.nodes)

    @property
    def macs(self) -> int:
        """Multiply-accumulates of the convolutions and dense layers, per image."""
        return sum(n.macs for n in self.nodes)

    def text(self) -> str:
        """One line per node; equal for configurations that build the same network."""
        return "\n".join(n.text() for n in self.nodes)


def _out_size(size: int, kernel: int, stride: int, padding: str) -> int:
    return math.ceil(size / stride) if padding == "same" else (size - kernel) // stride + 1


def _spatial(kind: str, c: Choice, shape: Shape) -> tuple[int, int]:
    if len(shape) != 3:
        raise Violation("kernel_fits_input", f"{kind} on a vector of {shape[0]} (it needs a matrix)")
    k = c["kernel"]
    if c["padding"] == "valid" and k > min(shape[1:]):
        raise Violation("kernel_fits_input", f"{kind} kernel {k} on a {shape[1]}x{shape[2]} matrix with valid padding")
    return tuple(_out_size(s, k, c["stride"], c["padding"]) for s in shape[1:])  # type: ignore[return-value]


def _layer(c: Choice, source: int, shape: Shape) -> Node | None:
    """The node of an input layer (None for Identity, which passes its source through)."""
    if c.kind == "Identity":
        return None
    if c.kind == "Convolution":
        h, w = _spatial("Convolution", c, shape)
        f, k = c["filters"], c["kernel"]
        per = k * k * shape[0] * f
        return Node("conv", c.attrs, (source,), (f, h, w), per + f, per * h * w)
    if c.kind == "Pooling":
        h, w = _spatial("Pooling", c, shape)
        return Node("pool", c.attrs, (source,), (shape[0], h, w))
    if c.kind == "Dense":
        n, fan_in = c["neurons"], math.prod(shape)
        return Node("dense", c.attrs, (source,), (n,), fan_in * n + n, fan_in * n)
    raise AssertionError(c.kind)


def _operation(c: Choice, source: int, shape: Shape) -> Node | None:
    if c.kind == "Void":
        return None
    if c.kind == "Flatten":
        if len(shape) != 3:
            raise Violation("no_flatten_of_vector", f"Flatten of a vector of {shape[0]}")
        return Node("flatten", (), (source,), (math.prod(shape),))
    if c.kind == "Padding":
        if len(shape) != 3:
            raise Violation("padding_needs_matrix", f"Padding of a vector of {shape[0]}")
        p = c["size"]
        return Node("pad", c.attrs, (source,), (shape[0], shape[1] + 2 * p, shape[2] + 2 * p))
    if c.kind == "BatchNormalization":
        return Node("batchnorm", (), (source,), shape, 2 * shape[0])
    op = {"Dropout": "dropout", "Activation": "act"}[c.kind]
    return Node(op, c.attrs, (source,), shape)


def _combined(kind: str, a: Shape, b: Shape) -> Shape:
    if kind == "Concat":
        if len(a) == len(b) == 1:
            return (a[0] + b[0],)
        if len(a) == len(b) == 3 and a[1:] == b[1:]:
            return (a[0] + b[0], *a[1:])
    elif a == b:
        return a
    raise Violation("combination_shapes_compatible", f"{kind} of shapes {a} and {b}")


@dataclass(frozen=True)
class State:
    """A graph under construction: its nodes, the current block's pending outputs and inputs."""

    nodes: tuple[Node, ...]
    pending: tuple[tuple[int, int], ...] = ()
    """(node, counter) of the Cell outputs not consumed yet."""
    block_inputs: tuple[int, ...] = (0,)
    next_inputs: tuple[int, ...] = ()
    """The Block outputs collected for the next block."""
    out: int | None = None


def start(input_shape: tuple[int, int, int]) -> State:
    """The empty graph of an input of ``input_shape`` (channels, height, width)."""
    return State((Node("input", (), (), tuple(input_shape)),))


def next_block(state: State, where: str) -> State:
    """Close a block: the next one reads its Block outputs (at most two: they target its first cell)."""
    if len(state.next_inputs) > 2:
        raise Violation(
            "cell_target_at_most_two",
            f"{where}: its first cell is the target of {len(state.next_inputs)} Block outputs",
        )
    return replace(state, pending=(), block_inputs=state.next_inputs, next_inputs=())


def add_cell(state: State, cell: Cell, where: str) -> State:
    """The state after ``cell`` (``where`` names it in errors); raises :class:`Violation` on a shape conflict."""
    active = [n for n, k in state.pending if k == 0]
    if len(active) > 2:
        raise Violation("cell_target_at_most_two", f"{where} is the target of {len(active)} outputs")
    sources = active + list(state.block_inputs)
    slots = (sources[0], sources[1] if len(sources) > 1 else sources[0])
    nodes = list(state.nodes)

    def push(node: Node | None, current: int) -> int:
        if node is None:
            return current
        nodes.append(node)
        return len(nodes) - 1

    branches = []
    inputs = ((cell.input1, cell.operation1, slots[0]), (cell.input2, cell.operation2, slots[1]))
    for layer, operation, source in inputs:
        if layer.kind == "Zeros":
            continue
        try:
            at = push(_layer(layer, source, nodes[source].shape), source)
            branches.append(push(_operation(operation, at, nodes[at].shape), at))
        except Violation as exc:
            raise Violation(exc.constraint, f"{where}: {exc.detail}") from None
    if len(branches) == 2:
        a, b = (nodes[i].shape for i in branches)
        try:
            shape = _combined(cell.combination.kind, a, b)
        except Violation as exc:
            raise Violation(exc.constraint, f"{where}: {exc.detail}") from None
        result = push(Node(cell.combination.kind.lower(), (), tuple(branches), shape), 0)
    else:
        result = branches[0]
    pending = tuple((n, k - 1) for n, k in state.pending if k > 0)
    out = cell.output
    if out.kind == "Cell":
        return replace(state, nodes=tuple(nodes), pending=pending + ((result, out["relativeIndex"]),))
    if out.kind == "Block":
        return replace(state, nodes=tuple(nodes), pending=pending, next_inputs=state.next_inputs + (result,))
    return replace(state, nodes=tuple(nodes), pending=pending, out=result)


def finish(state: State, classes: int) -> Graph:
    """Add the output structure (flatten + dense over ``classes``) and prune what does not reach it."""
    assert state.out is not None, "the validator guarantees one Out output"
    fan_in = math.prod(state.nodes[state.out].shape)
    head = Node("head", (("classes", classes),), (state.out,), (classes,), fan_in * classes + classes, fan_in * classes)
    nodes = state.nodes + (head,)
    keep = {len(nodes) - 1}
    for i in range(len(nodes) - 1, -1, -1):
        if i in keep:
            keep.update(nodes[i].inputs)
    index = {old: new for new, old in enumerate(sorted(keep))}
    return Graph(tuple(replace(nodes[i], inputs=tuple(index[j] for j in nodes[i].inputs)) for i in sorted(keep)))


def build_graph(config: Config, input_shape: tuple[int, int, int], classes: int) -> Graph:
    """The graph of a configuration whose tree and output constraints hold (see the validator)."""
    state = start(input_shape)
    for b, cells in enumerate(config.present()):
        if b:
            state = next_block(state, f"block {b + 1}")
        for c, cell in enumerate(cells):
            state = add_cell(state, cell, f"block {b + 1} cell {c + 1}")
    return finish(state, classes)
