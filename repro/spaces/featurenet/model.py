"""FeatureNet's feature model (Ghamizi et al. 2019, Section 3, Fig. 2) as data, and its configurations.

The model is a tree of :class:`Feature` objects (groups: ``and`` = every child, ``alternative`` =
exactly one child; multi-features carry a cardinality) with :class:`Attribute` domains, plus the
cross-tree constraints of Section 3 and the experiment restrictions of Section 5.2, each a named
:class:`Constraint`. :mod:`repro.spaces.featurenet.validate` enforces them and names the one a
configuration violates.

A configuration uses the array semantics the paper takes from Cordy et al. to feed PLEDGE: the
multi-feature Block is unfolded into ``MAX_BLOCKS`` optional slots and Cell into ``MAX_CELLS`` slots
per block (``None`` = feature not selected), so "block i needs block i-1" is a real constraint.
Numeric attributes take the values of their (discretised) domain, as PLEDGE's Boolean encoding needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from repro.errors import ReproError

MAX_BLOCKS = 5
MAX_CELLS = 5
"""Section 5.2: at most 5 blocks and 5 cells per block."""

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


@dataclass(frozen=True)
class Attribute:
    """A feature attribute and its (discretised) domain."""

    name: str
    domain: tuple[Any, ...]


@dataclass(frozen=True)
class Feature:
    """A feature: ``group`` says how its children are selected, ``cardinality`` bounds a multi-feature."""

    name: str
    group: str = "and"
    children: tuple[Feature, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    cardinality: tuple[int, int] = (1, 1)

    def child(self, name: str) -> Feature:
        """The child feature ``name`` (KeyError if there is none)."""
        for c in self.children:
            if c.name == name:
                return c
        raise KeyError(name)

    def domain(self, attribute: str) -> tuple[Any, ...]:
        """The domain of one of this feature's attributes."""
        return next(a.domain for a in self.attributes if a.name == attribute)


@dataclass(frozen=True)
class Constraint:
    """A named validity rule; ``source`` is where the paper states it (or ``ours`` with the reason)."""

    name: str
    text: str
    source: str


_PADDING = Attribute("padding", ("valid", "same"))
_ACTIVATION = Attribute("activation", ACTIVATIONS)

LAYERS = (
    Feature("Zeros"),
    Feature("Identity"),
    Feature("Dense", attributes=(Attribute("neurons", (10, 32, 64, 84, 120, 128, 256, 512)), _ACTIVATION)),
    Feature(
        "Pooling",
        attributes=(
            Attribute("type", ("max", "average")),
            Attribute("kernel", (2, 3, 4, 5)),
            Attribute("stride", (1, 2, 3)),
            _PADDING,
        ),
    ),
    Feature(
        "Convolution",
        attributes=(
            Attribute("kernel", (1, 2, 3, 4, 5)),
            Attribute("filters", (4, 6, 8, 16, 32, 64, 120, 128)),
            Attribute("stride", (1, 2, 3)),
            _PADDING,
            _ACTIVATION,
        ),
    ),
)
"""Input layers of a cell (Section 3, "Inputs"); filters <= 128, kernels <= 5x5, dense <= 512 (Section 5.2)."""

OPERATIONS = (
    Feature("Void"),
    Feature("Flatten"),
    Feature("Dropout", attributes=(Attribute("rate", (0.1, 0.25, 0.5)),)),
    Feature("BatchNormalization"),
    Feature("Padding", attributes=(Attribute("size", (1, 2)),)),
    Feature("Activation", attributes=(_ACTIVATION,)),
)
COMBINATIONS = (Feature("Sum"), Feature("Concat"), Feature("Product"))
OUTPUTS = (Feature("Cell", attributes=(Attribute("relativeIndex", (0, 1, 2, 3)),)), Feature("Block"), Feature("Out"))

CELL_PARTS = ("Input1", "Input2", "Operation1", "Operation2", "Combination", "Output")
"""A cell's five constituents (Fig. 3), the two inputs and operations counted apart, in JSON order."""

FEATURE_MODEL = Feature(
    "Architecture",
    children=(
        Feature("Input"),
        Feature(
            "Block",
            cardinality=(1, MAX_BLOCKS),
            children=(
                Feature(
                    "Cell",
                    cardinality=(1, MAX_CELLS),
                    children=(
                        Feature("Input1", "alternative", LAYERS),
                        Feature("Input2", "alternative", LAYERS),
                        Feature("Operation1", "alternative", OPERATIONS),
                        Feature("Operation2", "alternative", OPERATIONS),
                        Feature("Combination", "alternative", COMBINATIONS),
                        Feature("Output", "alternative", OUTPUTS),
                    ),
                ),
            ),
        ),
        Feature("Output"),
    ),
)
"""Fig. 2: Input and Output are mandatory; 1..5 Blocks of 1..5 Cells; every cell part is an alternative group."""

CELL = FEATURE_MODEL.child("Block").child("Cell")

CONSTRAINTS = (
    Constraint("cardinality", "1..5 blocks, each with 1..5 cells", "Section 5.2 (Fig. 2's multi-features)"),
    Constraint("alternative_group", "every cell part selects exactly one known child of its group", "Fig. 2"),
    Constraint(
        "attribute_domain",
        "a selected feature sets exactly its attributes, each within its domain",
        "Section 3 and the limits of Section 5.2",
    ),
    Constraint("block_requires_previous", "the i-th block exists only if the (i-1)-th does", "Section 3"),
    Constraint("cell_requires_previous", "the i-th cell of a block exists only if the (i-1)-th does", "Section 3"),
    Constraint("block_output_needs_next_block", "a cell with a Block output needs a next block", "Section 3"),
    Constraint(
        "cell_output_in_range", "a Cell output needs relativeIndex + 1 subsequent cells in its block", "Section 3"
    ),
    Constraint(
        "cell_target_at_most_two",
        "no cell is the target of more than two outputs (the first cell of a "
        "block is the target of the previous block's Block outputs)",
        "Section 3",
    ),
    Constraint(
        "kernel_fits_input",
        "Pooling and Convolution run on matrices, with a valid-padded kernel no larger than the matrix",
        "Section 3",
    ),
    Constraint("no_flatten_of_vector", "Flatten is not applied to a 1-D input", "Section 3"),
    Constraint(
        "combination_shapes_compatible",
        "Sum and Product need equal shapes, Concat equal shapes but for the channels (matrices) or any two vectors",
        "Section 3",
    ),
    Constraint("padding_needs_matrix", "the Padding operation pads matrices only", "ours: Section 3 implies it"),
    Constraint(
        "single_out_output",
        "exactly one Out output, from the last cell of the last block",
        "Section 5.2 (one Out output); its place follows from the two output constraints above",
    ),
    Constraint(
        "cell_has_an_input",
        "a cell's two input layers are not both Zeros",
        "ours: Input 2 may be Zeros to give a one-input cell, so Input 1 carries it",
    ),
    Constraint("no_batch_normalization", "BatchNormalization is forbidden", "Section 5.2 (variant paper)"),
    Constraint("no_padding_operation", "the Padding operation is forbidden", "Section 5.2 (variant paper)"),
    Constraint("no_concat_or_product", "Concat and Product combinations are forbidden", "Section 5.2 (variant paper)"),
    Constraint("max_params", "at most the space's max_params trainable weights", "ours: a size cap for CPU profiles"),
    Constraint(
        "max_macs",
        "at most the space's max_macs multiply-accumulates per image",
        "ours: a compute cap for CPU profiles",
    ),
)
"""Constraints by name; the validator raises :class:`~repro.spaces.featurenet.graph.Violation` with one."""

RESTRICTIONS = {
    "no_batch_normalization": ("BatchNormalization",),
    "no_padding_operation": ("Padding",),
    "no_concat_or_product": ("Concat", "Product"),
}
"""The features each restriction of Section 5.2 deselects (validated, and never drawn by the samplers)."""


@dataclass(frozen=True)
class Variant:
    """Which model a space uses: the cardinality limits and the restriction constraints that apply."""

    max_blocks: int
    max_cells: int
    forbidden: tuple[str, ...]
    about: str

    def allows(self, feature: str) -> bool:
        """Whether no restriction of this variant deselects ``feature``."""
        return not any(feature in RESTRICTIONS[r] for r in self.forbidden)


VARIANTS = {
    "paper": Variant(
        MAX_BLOCKS,
        MAX_CELLS,
        ("no_batch_normalization", "no_padding_operation", "no_concat_or_product"),
        "Section 3's model with Section 5.2's restrictions (the paper's experiments)",
    ),
    "full": Variant(
        10,
        10,
        (),
        "Section 3's model without the restrictions, up to 10 blocks of 10 cells (Fig. 6's "
        "Inception module has 9 cells and concatenations)",
    ),
}


@dataclass(frozen=True)
class Choice:
    """The selected child of an alternative group and its attribute values, e.g. Convolution(kernel=5, ...)."""

    kind: str
    attrs: tuple[tuple[str, Any], ...] = ()

    def __getitem__(self, name: str) -> Any:
        return dict(self.attrs)[name]

    def to_data(self) -> dict[str, Any]:
        """``{"kind": ..., **attributes}``."""
        return {"kind": self.kind, **dict(self.attrs)}


def choice(kind: str, **attrs: Any) -> Choice:
    """A :class:`Choice` with attributes in sorted order (the one order :class:`Choice` equality relies on)."""
    return Choice(kind, tuple(sorted(attrs.items())))


@dataclass(frozen=True)
class Cell:
    """One cell: two input layers, an operation on each, their combination and where the result goes."""

    input1: Choice
    input2: Choice
    operation1: Choice = field(default_factory=lambda: choice("Void"))
    operation2: Choice = field(default_factory=lambda: choice("Void"))
    combination: Choice = field(default_factory=lambda: choice("Sum"))
    output: Choice = field(default_factory=lambda: choice("Cell", relativeIndex=0))

    def parts(self) -> dict[str, Choice]:
        """The constituents by feature name (``Input1`` ... ``Output``)."""
        return dict(
            zip(CELL_PARTS, (self.input1, self.input2, self.operation1, self.operation2, self.combination, self.output))
        )


Block = tuple["Cell | None", ...]


@dataclass(frozen=True)
class Config:
    """A configuration: block slots, each ``None`` (not selected) or a tuple of cell slots."""

    blocks: tuple[Block | None, ...]

    def present(self) -> list[list[Cell]]:
        """The selected blocks and their selected cells, in order (for a configuration that passed validation)."""
        return [[c for c in block if c is not None] for block in self.blocks if block is not None]


def to_json(config: Config) -> str:
    """Compact JSON: ``{"blocks": [[{"input1": {"kind": "Convolution", ...}, ...}, null], ...]}``."""
    blocks = [
        None
        if b is None
        else [None if c is None else {k.lower(): v.to_data() for k, v in c.parts().items()} for c in b]
        for b in config.blocks
    ]
    return json.dumps({"blocks": blocks}, separators=(",", ":"))


def _choice(data: Any) -> Choice:
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
        raise ValueError(f"a cell part is an object with a 'kind', got {data!r}")
    return choice(data["kind"], **{k: v for k, v in data.items() if k != "kind"})


def _cell(data: Any) -> Cell | None:
    if data is None:
        return None
    if not isinstance(data, dict) or set(data) != {p.lower() for p in CELL_PARTS}:
        raise ValueError(f"a cell has exactly the parts {', '.join(p.lower() for p in CELL_PARTS)}")
    return Cell(*(_choice(data[p.lower()]) for p in CELL_PARTS))


def from_json(text: str) -> Config:
    """Parse a configuration written by :func:`to_json` (validity is checked by the validator, not here)."""
    try:
        data = json.loads(text)
        blocks = tuple(None if b is None else tuple(_cell(c) for c in b) for b in data["blocks"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ReproError(
            f"not a FeatureNet configuration ({exc}); expected JSON like "
            '{"blocks": [[{"input1": {"kind": "Convolution", "kernel": 5, ...}, "input2": {"kind": "Zeros"}, '
            '"operation1": {"kind": "Void"}, ...}]]}'
        ) from None
    return Config(blocks)
