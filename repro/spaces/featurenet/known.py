"""Architectures written as configurations: LeNet5 (Fig. 4) and an Inception module (Fig. 6)."""

from __future__ import annotations

from repro.spaces.featurenet.model import Cell, Choice, Config, choice

ZEROS = choice("Zeros")
IDENTITY = choice("Identity")


def conv(filters: int, kernel: int, stride: int = 1, padding: str = "same", activation: str = "relu") -> Choice:
    """A Convolution input layer."""
    return choice("Convolution", filters=filters, kernel=kernel, stride=stride, padding=padding, activation=activation)


def pool(kernel: int = 2, stride: int = 2, padding: str = "valid", kind: str = "max") -> Choice:
    """A Pooling input layer."""
    return choice("Pooling", type=kind, kernel=kernel, stride=stride, padding=padding)


def dense(neurons: int, activation: str = "relu") -> Choice:
    """A Dense input layer."""
    return choice("Dense", neurons=neurons, activation=activation)


def to_cell(relative_index: int = 0) -> Choice:
    """A Cell output to the (relative_index + 1)-th next cell."""
    return choice("Cell", relativeIndex=relative_index)


BLOCK, OUT, CONCAT = choice("Block"), choice("Out"), choice("Concat")


def lenet5() -> Config:
    """Fig. 4: three blocks of two cells (conv 6 / pool, conv 16 / pool, conv 120 / dense 84), one input per cell.

    Kernels 5x5 with ``same`` padding, 2x2 max pooling with stride 2, ReLU: on MNIST this has the
    545,546 weights of Table 1's LeNet5 (the paper does not print the activations or pooling type;
    these are the common Keras LeNet5's).
    """
    return Config(
        (
            (Cell(conv(6, 5), ZEROS), Cell(pool(), ZEROS, output=BLOCK)),
            (Cell(conv(16, 5), ZEROS), Cell(pool(), ZEROS, output=BLOCK)),
            (Cell(conv(120, 5), ZEROS), Cell(dense(84), ZEROS, output=OUT)),
        )
    )


def inception_module(width: int = 16) -> Config:
    """Fig. 6: one block of 9 cells whose branches (1x1; 1x1 then 3x3; 1x1 then 5x5; 3x3 max pool then 1x1)
    meet in three concatenations (cells 5, 8 and 9). Needs the ``full`` variant (Concat, 9 cells)."""
    return Config(
        (
            (
                Cell(conv(width, 1), ZEROS),  # 1: 1x1 reduce -> cell 2
                Cell(conv(2 * width, 3), ZEROS, output=to_cell(2)),  # 2: 3x3 -> cell 5
                Cell(conv(width, 1), ZEROS),  # 3: (block input) 1x1 reduce -> cell 4
                Cell(conv(width, 5), ZEROS),  # 4: 5x5 -> cell 5
                Cell(IDENTITY, IDENTITY, combination=CONCAT, output=to_cell(2)),  # 5: concat(2, 4) -> cell 8
                Cell(pool(3, 1, "same"), ZEROS),  # 6: (block input) 3x3 max pool
                Cell(conv(width, 1), ZEROS),  # 7: 1x1 projection -> cell 8
                Cell(IDENTITY, IDENTITY, combination=CONCAT),  # 8: concat(5, 7) -> cell 9
                Cell(IDENTITY, conv(width, 1), combination=CONCAT, output=OUT),  # 9: concat(8, 1x1 of the block input)
            ),
        )
    )
