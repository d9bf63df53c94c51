"""Sampling configurations: uniformly random valid ones, PLEDGE-style diverse sets, and the LeNet5 families.

Random valid sampling is constructive: draw the numbers of blocks and cells, then outputs that
satisfy the output constraints, then each cell's layers uniformly among its alternatives and
attribute domains, redrawing a cell whose shapes conflict with its inputs; the finished
configuration goes through the full validator (and the space's size caps), and the whole draw
restarts if it fails. Every draw is a function of the generator passed in.

Diversity (PLEDGE, Henard et al. 2013/2014): a product is its set of selected Boolean features
(the unfolded model: block and cell slots, every chosen alternative, every attribute value); the
distance of two products is their Jaccard distance; a (1+1) evolutionary search replaces the
product with the smallest summed distance to the others by a fresh random valid product whenever
that raises the summed pairwise distance of the set, until an iteration (or time) limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from repro.errors import ReproError
from repro.spaces.featurenet import graph as g
from repro.spaces.featurenet.known import lenet5
from repro.spaces.featurenet.model import CELL, CELL_PARTS, VARIANTS, Cell, Choice, Config, Feature, Variant, choice
from repro.spaces.featurenet.validate import check_cell, validate

RESTARTS = 1000
CELL_TRIES = 200


@dataclass(frozen=True)
class Limits:
    """What a sampled configuration must satisfy besides the model: input shape, classes, variant, caps."""

    input_shape: tuple[int, int, int] = (1, 28, 28)
    classes: int = 10
    variant: str = "paper"
    max_params: int | None = None
    max_macs: int | None = None

    def check(self, config: Config) -> g.Graph:
        """Validate ``config`` under these limits (raises :class:`~repro.spaces.featurenet.graph.Violation`)."""
        return validate(config, self.input_shape, self.classes, self.variant, self.max_params, self.max_macs)


def _pick(rng: np.random.Generator, options: list) -> object:
    return options[int(rng.integers(len(options)))]


def random_attributes(rng: np.random.Generator, feature: Feature) -> Choice:
    """``feature`` with each attribute uniform over its domain."""
    return choice(feature.name, **{a.name: a.domain[int(rng.integers(len(a.domain)))] for a in feature.attributes})


def random_choice(rng: np.random.Generator, group: Feature, variant: Variant) -> Choice:
    """A uniformly random child of an alternative group among those ``variant`` allows, attributes uniform."""
    allowed = [f for f in group.children if variant.allows(f.name)]
    return random_attributes(rng, _pick(rng, allowed))  # type: ignore[arg-type]


def _outputs(rng: np.random.Generator, sizes: list[int]) -> list[list[Choice]] | None:
    """Outputs for every cell that meet the output constraints (None when a draw paints itself into a corner)."""
    relative = CELL.child("Output").child("Cell").domain("relativeIndex")
    outputs = []
    for b, n in enumerate(sizes):
        last_block = b == len(sizes) - 1
        targets = [0] * n
        block_outputs = 0
        row = []
        for c in range(n):
            if c == n - 1:
                row.append(choice("Out") if last_block else choice("Block"))
                continue
            indices = [k for k in relative if c + k + 1 < n and targets[c + k + 1] < 2]
            # One Block output is left to the block's last cell, so a block never sends more than two.
            kinds = (["Cell"] if indices else []) + (["Block"] if not last_block and block_outputs < 1 else [])
            if not kinds:
                return None
            if _pick(rng, kinds) == "Block":
                block_outputs += 1
                row.append(choice("Block"))
            else:
                k = int(_pick(rng, indices))  # type: ignore[arg-type]
                targets[c + k + 1] += 1
                row.append(choice("Cell", relativeIndex=k))
        outputs.append(row)
    return outputs


def _random_cell(rng: np.random.Generator, output: Choice, variant: Variant) -> Cell:
    parts = [random_choice(rng, CELL.child(p), variant) for p in CELL_PARTS[:-1]]
    return Cell(*parts, output=output)


def _first_valid(limits: Limits, attempt: Callable[[], Config | None], what: str) -> Config:
    """The first attempt that is a configuration valid under ``limits`` (None: the attempt gave up)."""
    for _ in range(RESTARTS):
        config = attempt()
        if config is None:
            continue
        try:
            limits.check(config)
        except g.Violation:
            continue
        return config
    raise ReproError(f"featurenet: no valid {what} in {RESTARTS} draws under {limits}; loosen the caps")


def _draw(rng: np.random.Generator, limits: Limits) -> Config | None:
    """One constructive draw; None when a cell finds no layers that fit its inputs."""
    variant = VARIANTS[limits.variant]
    blocks_drawn = int(rng.integers(1, variant.max_blocks + 1))
    sizes = [int(rng.integers(1, variant.max_cells + 1)) for _ in range(blocks_drawn)]
    outputs = _outputs(rng, sizes)
    if outputs is None:
        return None
    state = g.start(limits.input_shape)
    blocks: list[tuple[Cell, ...]] = []
    for b, row in enumerate(outputs):
        if b:
            state = g.next_block(state, f"block {b + 1}")
        cells = []
        for c, output in enumerate(row):
            where = f"block {b + 1} cell {c + 1}"
            for _ in range(CELL_TRIES):
                cell = _random_cell(rng, output, variant)
                try:
                    check_cell(cell, where, limits.variant)
                    state = g.add_cell(state, cell, where)
                except g.Violation:
                    continue
                cells.append(cell)
                break
            else:
                return None
        blocks.append(tuple(cells))
    return Config(tuple(blocks))


def random_config(rng: np.random.Generator, limits: Limits) -> Config:
    """A random valid configuration (see the module docstring for the draw)."""
    return _first_valid(limits, lambda: _draw(rng, limits), "configuration")


def model_config(rng: np.random.Generator, limits: Limits) -> Config:
    """A configuration valid in the feature model alone, as PLEDGE samples its Boolean encoding: slots, alternatives,
    attribute domains, output and restriction constraints hold, but nothing checks shapes (a kernel may exceed its
    input, a Sum may meet two shapes), since the model has no such constraints. :func:`random_config` redraws
    those; RQ1 asks how many of these build."""
    variant = VARIANTS[limits.variant]
    for _ in range(RESTARTS):
        sizes = [
            int(rng.integers(1, variant.max_cells + 1)) for _ in range(int(rng.integers(1, variant.max_blocks + 1)))
        ]
        outputs = _outputs(rng, sizes)
        if outputs is None:
            continue
        blocks = [tuple(_model_cell(rng, output, variant, limits.variant) for output in row) for row in outputs]
        return Config(tuple(blocks))
    raise ReproError(f"featurenet: no configuration of the model in {RESTARTS} draws under {limits}")


def _model_cell(rng: np.random.Generator, output: Choice, variant: Variant, name: str) -> Cell:
    """A random cell meeting the model's own constraints (:func:`check_cell`), whatever its shapes."""
    for _ in range(CELL_TRIES):
        cell = _random_cell(rng, output, variant)
        try:
            check_cell(cell, "a cell", name)
        except g.Violation:
            continue
        return cell
    raise ReproError(f"featurenet: no cell of variant {name!r} met the model's constraints in {CELL_TRIES} draws")


def lenet5_family(rng: np.random.Generator, limits: Limits, kernel: int = 5, stride: int = 1) -> Config:
    """A LeNet5-shaped configuration (Fig. 4's blocks and cells) with random attributes.

    Convolutions keep ``kernel`` and ``stride`` (S2: 5 and 1; S3, "smaller": 3 and 3) and draw their
    filters, padding and activation; pooling layers draw every attribute; the dense layer draws its
    neurons and activation.
    """
    layers = CELL.child("Input1")

    def attempt() -> Config:
        blocks = []
        for cells in lenet5().present():
            row = []
            for cell in cells:
                drawn = random_attributes(rng, layers.child(cell.input1.kind))
                if drawn.kind == "Convolution":
                    drawn = choice("Convolution", **{**dict(drawn.attrs), "kernel": kernel, "stride": stride})
                row.append(Cell(drawn, cell.input2, output=cell.output))
            blocks.append(tuple(row))
        return Config(tuple(blocks))

    return _first_valid(limits, attempt, "LeNet5-family configuration")


def mutate(config: Config, rng: np.random.Generator, limits: Limits) -> Config:
    """Redraw the layers of one random cell (its output kept); a fresh random configuration if none fits."""
    blocks = config.present()
    spots = [(b, c) for b, cells in enumerate(blocks) for c in range(len(cells))]
    for _ in range(CELL_TRIES):
        b, c = spots[int(rng.integers(len(spots)))]
        cells = [list(row) for row in blocks]
        cells[b][c] = _random_cell(rng, cells[b][c].output, VARIANTS[limits.variant])
        child = Config(tuple(tuple(row) for row in cells))
        try:
            limits.check(child)
        except g.Violation:
            continue
        if child != config:
            return child
    return random_config(rng, limits)


# -- diversity -------------------------------------------------------------------------------------


def product(config: Config) -> frozenset[str]:
    """The selected Boolean features of the unfolded model (``B2.C1.Input1.Convolution.kernel=5`` etc.)."""
    features = {"Architecture", "Input", "Output"}
    for b, cells in enumerate(config.present(), start=1):
        features.add(f"B{b}")
        for c, cell in enumerate(cells, start=1):
            features.add(f"B{b}.C{c}")
            for part, chosen in cell.parts().items():
                prefix = f"B{b}.C{c}.{part}.{chosen.kind}"
                features.add(prefix)
                features.update(f"{prefix}.{k}={v}" for k, v in chosen.attrs)
    return frozenset(features)


def jaccard_distance(a: frozenset[str], b: frozenset[str]) -> float:
    """1 - |a ∩ b| / |a ∪ b|."""
    return 1.0 - len(a & b) / len(a | b)


def mean_pairwise_distance(configs: list[Config]) -> float:
    """The diversity of a set: the mean Jaccard distance over its pairs of products."""
    sets = [product(c) for c in configs]
    n = len(sets)
    total = sum(jaccard_distance(sets[i], sets[j]) for i in range(n) for j in range(i + 1, n))
    return total / (n * (n - 1) / 2)


@dataclass(frozen=True)
class DiverseSample:
    """The configurations PLEDGE's search kept, and how the search went."""

    configs: tuple[Config, ...]
    iterations: int
    replacements: int
    diversity: tuple[float, ...]
    """Mean pairwise distance after each replacement (the first entry: the initial random set)."""


def diverse_sample(
    count: int,
    rng: np.random.Generator,
    draw: Callable[[np.random.Generator], Config],
    iterations: int,
    seconds: float | None = None,
) -> DiverseSample:
    """PLEDGE's (1+1) search for ``count`` diverse products drawn by ``draw``.

    ``seconds`` adds PLEDGE's time limit; a run stopped by it depends on the machine's speed,
    so the profiles use the iteration limit alone (reproducible from the seed).
    """
    if count < 2:
        raise ReproError(f"featurenet: a diverse sample needs at least 2 configurations, got {count}")
    configs = [draw(rng) for _ in range(count)]
    sets = [product(c) for c in configs]
    dist = np.array([[jaccard_distance(a, b) for b in sets] for a in sets])
    pairs = count * (count - 1) / 2
    history = [dist.sum() / 2 / pairs]
    started = time.perf_counter()
    done = replaced = 0
    for done in range(1, iterations + 1):
        if seconds is not None and time.perf_counter() - started > seconds:
            break
        contribution = dist.sum(axis=1)
        worst = int(np.argmin(contribution))
        candidate = draw(rng)
        new = product(candidate)
        row = np.array([0.0 if j == worst else jaccard_distance(new, sets[j]) for j in range(count)])
        if row.sum() > contribution[worst]:
            configs[worst], sets[worst] = candidate, new
            dist[worst, :] = dist[:, worst] = row
            replaced += 1
            history.append(dist.sum() / 2 / pairs)
    return DiverseSample(tuple(configs), done, replaced, tuple(history))
