"""The trainer benchmarks' two runners on the reference network: the textbook loop and the project's trainer.

The baseline is the textbook PyTorch loop: a DataLoader over CPU tensors (shuffled batches, moved to the device each step), fp32, Adam, a
``loss.item()`` per step for the running loss, and a validation pass per epoch, as most training
scripts are written. It trains the same network under the same recipe as
:func:`repro.trainer.fit`, so the two differ only in how the steps are run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from repro import trainer
from repro.data import DataBundle
from repro.recipe import Recipe
from repro.spaces import get_space
from repro.spaces.remnet.known import REMNET


def reference_model(data: DataBundle, recipe: Recipe) -> nn.Module:
    """REMNet as the paper describes it (two CONV_2.N, CONV_3.N, CONV_5.N, POOL_5.A, two CONV_3.H
    branches) at the recipe's width."""
    space = get_space("remnet")
    return space.build(space.from_json(REMNET), data.input_shape, data.num_classes, **recipe.model_options)


@dataclass(frozen=True)
class Timed:
    """Seconds per epoch (training and the validation pass), the final validation accuracy, how it ran."""

    epoch_seconds: list[float]
    val_acc: float
    engine: str

    @property
    def steady(self) -> float:
        """Seconds per epoch after the first (which pays for start-up, autotuning and graph capture)."""
        rest = self.epoch_seconds[1:] or self.epoch_seconds
        return sum(rest) / len(rest)


def fast_fit(data: DataBundle, recipe: Recipe, seed: int, device: str, cuda_graph: bool = True) -> Timed:
    """Train the reference network with :func:`repro.trainer.fit`, timing each epoch."""
    marks = [time.perf_counter()]
    outcome = trainer.fit(
        lambda: reference_model(data, recipe),
        data,
        recipe,
        seed,
        device,
        on_epoch=lambda _: marks.append(time.perf_counter()),
        cuda_graph=cuda_graph,
    )
    seconds = [b - a for a, b in zip(marks, marks[1:])]
    return Timed(seconds, outcome.metrics["val_acc"], outcome.engine)


def plain_fit(data: DataBundle, recipe: Recipe, seed: int, device: str) -> Timed:
    """Train the reference network with the textbook loop for ``recipe.epochs`` epochs."""
    torch.manual_seed(seed)
    torch.backends.cudnn.benchmark = torch.backends.cudnn.deterministic = False  # torch's defaults
    model = reference_model(data, recipe).to(device)
    mean, std = recipe.normalize
    train = TensorDataset((data.train.x - mean) / std, data.train.y)
    val = TensorDataset((data.val.x - mean) / std, data.val.y)
    loader = DataLoader(
        train, batch_size=recipe.batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    seconds, val_acc = [], 0.0
    for _ in range(recipe.epochs):
        started = time.perf_counter()
        model.train()
        running = 0.0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in DataLoader(val, batch_size=1000):
                correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
        val_acc = correct / len(val)
        seconds.append(time.perf_counter() - started)
    return Timed(seconds, val_acc, "plain loop, fp32")
