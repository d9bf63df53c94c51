"""Check a configuration against the feature model; a violation names the constraint it breaks.

The order of the checks is the order of :data:`~repro.spaces.featurenet.model.CONSTRAINTS`: the
tree (cardinalities, alternative groups, attribute domains), then the cross-tree constraints on
the structure, the variant's restrictions, and last the shape constraints, which need the layer
graph (:mod:`repro.spaces.featurenet.graph`) and so are checked while it is built.
"""

from __future__ import annotations

from repro.spaces.featurenet.graph import Graph, Violation, build_graph
from repro.spaces.featurenet.model import CELL, RESTRICTIONS, VARIANTS, Cell, Config, Variant


def _slots(config: Config, variant: Variant) -> None:
    blocks, max_blocks, max_cells = config.blocks, variant.max_blocks, variant.max_cells
    if not 1 <= sum(b is not None for b in blocks) <= max_blocks or len(blocks) > max_blocks:
        raise Violation(
            "cardinality",
            f"{len(blocks)} block slots, {sum(b is not None for b in blocks)} selected; allowed 1..{max_blocks}",
        )
    for b, block in enumerate(blocks):
        if block is None:
            continue
        if b and blocks[b - 1] is None:
            raise Violation("block_requires_previous", f"block {b + 1} is selected but block {b} is not")
        if not 1 <= sum(c is not None for c in block) <= max_cells or len(block) > max_cells:
            raise Violation(
                "cardinality",
                f"block {b + 1} has {sum(c is not None for c in block)} cells in "
                f"{len(block)} slots; allowed 1..{max_cells}",
            )
        for c, cell in enumerate(block):
            if cell is not None and c and block[c - 1] is None:
                raise Violation("cell_requires_previous", f"block {b + 1} cell {c + 1} is selected but cell {c} is not")


def _tree(cell: Cell, where: str) -> None:
    for part, chosen in cell.parts().items():
        group = CELL.child(part)
        try:
            feature = group.child(chosen.kind)
        except KeyError:
            known = ", ".join(f.name for f in group.children)
            raise Violation("alternative_group", f"{where} {part} is {chosen.kind!r}; choose one of {known}") from None
        names = [a.name for a in feature.attributes]
        if sorted(dict(chosen.attrs)) != sorted(names):
            raise Violation(
                "attribute_domain",
                f"{where} {part} {chosen.kind} sets {sorted(dict(chosen.attrs))}, it has {sorted(names)}",
            )
        for name, value in chosen.attrs:
            domain = feature.domain(name)
            if value not in domain or isinstance(value, bool):
                raise Violation(
                    "attribute_domain", f"{where} {part} {chosen.kind}.{name} = {value!r} is not in {list(domain)}"
                )


def _restrictions(cell: Cell, where: str, variant: str) -> None:
    for rule in VARIANTS[variant].forbidden:
        used = [f"{part} {c.kind}" for part, c in cell.parts().items() if c.kind in RESTRICTIONS[rule]]
        if used:
            raise Violation(rule, f"{where} selects {', '.join(used)} (variant {variant})")


def check_cell(cell: Cell, where: str, variant: str) -> None:
    """The constraints on one cell alone: its parts in the tree, at least one input, the variant's restrictions."""
    _tree(cell, where)
    if cell.input1.kind == cell.input2.kind == "Zeros":
        raise Violation("cell_has_an_input", f"{where} has Zeros for both inputs")
    _restrictions(cell, where, variant)


def check_structure(config: Config, variant: str) -> None:
    """Every constraint that needs no shapes: the tree, the outputs, the inputs, the variant's restrictions."""
    _slots(config, VARIANTS[variant])
    blocks = config.present()
    for b, cells in enumerate(blocks):
        last_block = b == len(blocks) - 1
        for c, cell in enumerate(cells):
            where = f"block {b + 1} cell {c + 1}"
            check_cell(cell, where, variant)
            out, after = cell.output, len(cells) - c - 1
            if out.kind == "Block" and last_block:
                raise Violation("block_output_needs_next_block", f"{where} has a Block output in the last block")
            if out.kind == "Cell" and out["relativeIndex"] + 1 > after:
                raise Violation(
                    "cell_output_in_range",
                    f"{where} sends its output {out['relativeIndex'] + 1} cells on, but {after} follow in its block",
                )
            if out.kind == "Out" and not (last_block and after == 0):
                raise Violation(
                    "single_out_output", f"{where} has an Out output; only the last cell of the last block has one"
                )


def validate(
    config: Config,
    input_shape: tuple[int, int, int],
    classes: int,
    variant: str = "paper",
    max_params: int | None = None,
    max_macs: int | None = None,
) -> Graph:
    """The layer graph of a valid configuration; raises :class:`Violation` naming the first constraint broken."""
    check_structure(config, variant)
    graph = build_graph(config, input_shape, classes)
    if max_params is not None and graph.params > max_params:
        raise Violation("max_params", f"{graph.params:,} trainable weights, the cap is {max_params:,}")
    if max_macs is not None and graph.macs > max_macs:
        raise Violation("max_macs", f"{graph.macs:,} multiply-accumulates per image, the cap is {max_macs:,}")
    return graph
