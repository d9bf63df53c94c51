"""Train one candidate network under a recipe and measure it.

Simple and correct first (speed is its own piece of work): the data sit on the device as
tensors, batches are drawn by a seeded permutation, Adam with cross-entropy, one validation pass
per epoch, one test pass at the end. The optimiser is Adam, plain SGD or SGD with Nesterov momentum, with an
optional step decay of the learning rate (the recipe says which).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from repro.augment import AUGMENTERS
from repro.cost import count_macs, count_params
from repro.data import DataBundle, Split
from repro.recipe import Recipe

CURVE_COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc")
"""Columns of a per-epoch curve. ``train_*`` are running means over the epoch's batches (dropout on)."""

EVAL_BATCH = 1000


class TrainingFailed(Exception):
    """Training of this (architecture, recipe, seed) broke down, e.g. the loss became NaN; ``reason`` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TrainOutcome:
    """Final metrics, the per-epoch curve (epochs x :data:`CURVE_COLUMNS`), cost and timing."""

    metrics: dict[str, float]
    curve: np.ndarray
    params: int
    macs: int
    train_seconds: float


def pick_device(requested: str = "auto") -> str:
    """``auto`` means CUDA when present, else CPU."""
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def _normalised(split: Split, recipe: Recipe, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    mean, std = recipe.normalize
    return ((split.x - mean) / std).to(device), split.y.to(device)


def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, recipe: Recipe) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over a whole split, in large batches."""
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad(), _autocast(x.device.type, recipe):
        for start in range(0, len(y), EVAL_BATCH):
            logits = model(x[start : start + EVAL_BATCH]).float()
            target = y[start : start + EVAL_BATCH]
            loss_sum += nn.functional.cross_entropy(logits, target, reduction="sum").item()
            correct += (logits.argmax(1) == target).sum().item()
    return loss_sum / len(y), correct / len(y)


def _autocast(device_type: str, recipe: Recipe) -> torch.autocast:
    return torch.autocast(device_type, dtype=torch.bfloat16, enabled=recipe.precision == "bf16")


def _optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    if recipe.optimizer == "sgd-nesterov":
        return torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=0.9, nesterov=True, weight_decay=recipe.weight_decay)
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    return torch.optim.Adam(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)


def fit(
    make_model: Callable[[], nn.Module],
    data: DataBundle,
    recipe: Recipe,
    seed: int,
    device: str = "cpu",
    on_epoch: Callable[[int], None] | None = None,
) -> TrainOutcome:
    """Seed everything from ``seed``, build the model, train it per ``recipe`` and measure it.

    The model is built after seeding so that its initial weights are part of what the seed fixes.
    """
    torch.manual_seed(seed)
    if device.startswith("cuda"):
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    model = make_model().to(device)
    params = count_params(model)
    macs = count_macs(model, data.input_shape)
    x_train, y_train = _normalised(data.train, recipe, device)
    x_val, y_val = _normalised(data.val, recipe, device)
    optimizer = _optimizer(model, recipe)
    schedule = torch.optim.lr_scheduler.MultiStepLR(optimizer, list(recipe.lr_milestones), gamma=0.1)
    order_rng = torch.Generator().manual_seed(seed)
    augment = AUGMENTERS.get(recipe.augmentation)
    curve = []
    started = time.perf_counter()
    for epoch in range(1, recipe.epochs + 1):
        model.train()
        order = torch.randperm(len(y_train), generator=order_rng).to(device)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for start in range(0, len(order), recipe.batch_size):
            batch = order[start : start + recipe.batch_size]
            target = y_train[batch]
            inputs = x_train[batch]
            if augment is not None:
                inputs = augment(inputs, order_rng)
            with _autocast(x_train.device.type, recipe):
                logits = model(inputs).float()
            loss = nn.functional.cross_entropy(logits, target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            # Accumulate on the device: no host sync per step.
            loss_sum += loss.detach() * len(batch)
            correct += (logits.argmax(1) == target).sum()
        schedule.step()
        n = len(order)
        train_loss = loss_sum.item() / n  # one host sync per epoch
        if not math.isfinite(train_loss):
            raise TrainingFailed(f"the training loss became {train_loss} in epoch {epoch}")
        val_loss, val_acc = _evaluate(model, x_val, y_val, recipe)
        curve.append((epoch, train_loss, correct.item() / n, val_loss, val_acc))
        if on_epoch is not None:
            on_epoch(epoch)
    x_test, y_test = _normalised(data.test, recipe, device)
    test_loss, test_acc = _evaluate(model, x_test, y_test, recipe)
    seconds = time.perf_counter() - started
    last = curve[-1]
    metrics = {
        "train_loss": last[1],
        "train_acc": last[2],
        "val_loss": last[3],
        "val_acc": last[4],
        "test_loss": test_loss,
        "test_acc": test_acc,
    }
    return TrainOutcome(metrics=metrics, curve=np.asarray(curve, dtype=np.float64), params=params, macs=macs, train_seconds=seconds)
