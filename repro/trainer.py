"""Train one candidate network under a recipe and measure it.

The data sit on the device as tensors, batches are drawn by a seeded permutation, the optimiser is
Adam, Adamax, plain SGD or SGD with (Nesterov) momentum (with an optional step decay or cosine annealing of
the learning rate, and optional gradient-norm clipping),
cross-entropy, one validation pass per epoch, one test pass at the end, losses accumulated on the
device with one host sync per epoch. On CUDA the step is replayed from a CUDA graph (see
:class:`_Step`); the CPU path computes exactly what it always has, so cached CPU rows stay reproducible.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from repro.augment import AUGMENTERS
from repro.cost import count_macs, count_params
from repro.data import DataBundle, Split
from repro.errors import ReproError
from repro.recipe import Recipe

EVAL_BATCH = 1000
EVAL_BATCH_CUDA = 5000
"""Evaluation batch on CUDA: no gradients are kept, so a batch as large as memory comfortably allows."""


class TrainingFailed(Exception):
    """Training of this (architecture, recipe, seed) broke down, e.g. the loss became NaN; ``reason`` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TrainOutcome:
    """Final metrics, the per-epoch curve (epochs x :data:`repro.records.CURVE_COLUMNS`), cost and timing."""

    metrics: dict[str, float]
    curve: np.ndarray
    params: int
    macs: int
    train_seconds: float
    engine: str = "eager"
    """How the steps ran, e.g. ``cuda-graph, bf16, channels_last``, ``eager (reason), fp32, channels_last`` or
    (CPU) ``eager, fp32``; :func:`repro.evaluator.run_job` appends it to the row's device."""


def pick_device(requested: str = "auto") -> str:
    """``auto`` means CUDA when present, else CPU."""
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def _normalised(split: Split, recipe: Recipe, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    mean, std = recipe.normalize
    if recipe.channel_mean is not None:
        if len(recipe.channel_mean) != split.x.shape[1]:
            raise ReproError(
                f"recipe {recipe.profile!r}: channel_mean has {len(recipe.channel_mean)} values for "
                f"{split.x.shape[1]}-channel images; give one mean per channel"
            )
        x = ((split.x - torch.tensor(recipe.channel_mean)[None, :, None, None]) / std).to(device)
    else:
        x = ((split.x - mean) / std).to(device)
    if device.startswith("cuda"):
        x = x.contiguous(memory_format=torch.channels_last)
    return x, split.y.to(device)


def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, recipe: Recipe) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over a whole split, in large batches, with one host sync.

    The loss is summed per batch in float32 and across batches in float64, as a Python float sum
    of the batches would be: CPU numbers stay those of the cached rows.
    """
    model.eval()
    batch = EVAL_BATCH_CUDA if x.device.type == "cuda" else EVAL_BATCH
    loss_sum = torch.zeros((), dtype=torch.float64, device=x.device)
    correct = torch.zeros((), dtype=torch.long, device=x.device)
    with torch.no_grad(), _autocast(x.device.type, recipe):
        for start in range(0, len(y), batch):
            logits = model(x[start : start + batch]).float()
            target = y[start : start + batch]
            loss_sum += nn.functional.cross_entropy(logits, target, reduction="sum").double()
            correct += (logits.argmax(1) == target).sum()
    return loss_sum.item() / len(y), correct.item() / len(y)


def _autocast(device_type: str, recipe: Recipe) -> torch.autocast:
    # No cast cache: a CUDA graph must not capture casts cached from an eager step.
    return torch.autocast(device_type, dtype=torch.bfloat16, enabled=recipe.precision == "bf16", cache_enabled=False)


def glorot_init(model: nn.Module) -> None:
    """Keras's default initialisation: glorot-uniform weights and zero biases in every convolution and linear layer."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def _optimizer(model: nn.Module, recipe: Recipe, capturable: bool) -> torch.optim.Optimizer:
    if recipe.optimizer == "sgd-nesterov":
        return torch.optim.SGD(
            model.parameters(), lr=recipe.lr, momentum=0.9, nesterov=True, weight_decay=recipe.weight_decay
        )
    if recipe.optimizer == "sgd-momentum":
        return torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=0.9, weight_decay=recipe.weight_decay)
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    if recipe.optimizer == "adamax":
        return torch.optim.Adamax(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    if capturable:  # step counts on the device, so that a CUDA graph can replay the update
        return torch.optim.Adam(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay, capturable=True)
    return torch.optim.Adam(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)


def _schedule(optimizer: torch.optim.Optimizer, recipe: Recipe) -> torch.optim.lr_scheduler.LRScheduler:
    """The recipe's learning-rate schedule, stepped once per epoch."""
    if recipe.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=recipe.epochs, eta_min=0.0)
    return torch.optim.lr_scheduler.MultiStepLR(optimizer, list(recipe.lr_milestones), gamma=0.1)


def use_cpu_threads() -> int:
    """Never more torch threads than the cores this process may run on (containers and pools often
    allow fewer than the machine has); an explicitly lower setting is kept. Returns the count."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if torch.get_num_threads() > usable:
        torch.set_num_threads(usable)
    return torch.get_num_threads()


def graph_blocker(recipe: Recipe, device: str) -> str | None:
    """Why the training step of ``recipe`` cannot be captured as a CUDA graph on ``device``, or None."""
    if not device.startswith("cuda"):
        return "not CUDA"
    if recipe.augmentation != "none":
        return "augmentation draws on the host"
    return None


class _Step:
    """One optimisation step on a batch given by indices into the resident training data.

    Losses and correct counts accumulate on the device. Full batches are replayed from a CUDA graph
    when one could be captured (after a few eager warm-up steps on a side stream, as CUDA graphs
    require); the smaller last batch of an epoch and every step of an uncapturable recipe run
    eagerly. ``engine`` says which happened, for the row's provenance.
    """

    WARMUP = 3

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        x: torch.Tensor,
        y: torch.Tensor,
        recipe: Recipe,
        order_rng: torch.Generator,
        blocker: str | None,
    ) -> None:
        self.model, self.optimizer, self.x, self.y, self.recipe, self.order_rng = (
            model,
            optimizer,
            x,
            y,
            recipe,
            order_rng,
        )
        self.loss_sum = torch.zeros((), device=x.device)
        self.correct = torch.zeros((), device=x.device, dtype=torch.long)
        self.augment = AUGMENTERS.get(recipe.augmentation)
        self.blocker = blocker
        self.graph: torch.cuda.CUDAGraph | None = None
        self.lr: list[float] = []
        self.steps = 0

    @property
    def engine(self) -> str:
        """``cuda-graph`` or ``eager (reason)``, with the precision and, on CUDA, the memory format."""
        if self.x.device.type != "cuda":
            return f"eager, {self.recipe.precision}"
        mode = "cuda-graph" if self.blocker is None else f"eager ({self.blocker})"
        return f"{mode}, {self.recipe.precision}, channels_last"

    def _train_on(self, inputs: torch.Tensor, target: torch.Tensor) -> None:
        """Forward, backward, update, and add the batch's loss and hits to the device-side sums."""
        with _autocast(self.x.device.type, self.recipe):
            logits = self.model(inputs).float()
        loss = nn.functional.cross_entropy(logits, target)
        self.optimizer.zero_grad(set_to_none=True)  # under capture: the graph's backward writes fresh gradients
        loss.backward()
        if self.recipe.grad_clip is not None:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.recipe.grad_clip)
        self.optimizer.step()
        self.loss_sum += loss.detach() * len(target)
        self.correct += (logits.argmax(1) == target).sum()

    def _eager(self, batch: torch.Tensor) -> None:
        inputs = self.x[batch]
        if self.augment is not None:
            inputs = self.augment(inputs, self.order_rng)
        self._train_on(inputs, self.y[batch])

    def _capture(self, batch: torch.Tensor) -> None:
        self.static_batch = batch.clone()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self._train_on(self.x[self.static_batch], self.y[self.static_batch])
        # Held so that the eager last batch cannot free the memory the graph keeps its gradients in.
        self.static_grads = [p.grad for p in self.model.parameters()]
        self.graph = graph
        self.lr = [g["lr"] for g in self.optimizer.param_groups]

    def __call__(self, batch: torch.Tensor, full: bool) -> None:
        """Train on the examples ``batch`` indexes; ``full``: it has the recipe's batch size."""
        self.steps += 1
        if self.blocker is not None or not full:
            self._eager(batch)
            return
        if self.steps <= self.WARMUP:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                self._eager(batch)
            torch.cuda.current_stream().wait_stream(side)
            return
        if self.graph is None or self.lr != [g["lr"] for g in self.optimizer.param_groups]:
            # The learning rate is baked into the graph: a schedule's step means a new capture.
            try:
                self._capture(batch)
            except torch.cuda.OutOfMemoryError:
                raise
            except RuntimeError as exc:
                self.graph = None
                self.blocker = f"capture failed: {str(exc).splitlines()[0][:120]}"
                self._eager(batch)
                return
        self.static_batch.copy_(batch)
        assert self.graph is not None
        self.graph.replay()


def fit(
    make_model: Callable[[], nn.Module],
    data: DataBundle,
    recipe: Recipe,
    seed: int,
    device: str = "cpu",
    on_epoch: Callable[[int], None] | None = None,
    cuda_graph: bool = True,
) -> TrainOutcome:
    """Seed everything from ``seed``, build the model, train it per ``recipe`` and measure it.

    The model is built after seeding so that its initial weights are part of what the seed fixes.
    On CUDA the data sit on the device in channels-last layout, cuDNN picks its fastest
    (deterministic) kernels for the static shapes, and the training step is replayed from a CUDA
    graph unless ``cuda_graph`` is False or the recipe prevents it (see :func:`graph_blocker`). On
    the CPU the step runs eagerly, exactly as it always has.
    """
    torch.manual_seed(seed)
    cuda = device.startswith("cuda")
    if cuda:
        if torch.device(device).index is not None:
            # Streams, graph capture and replay use the current device: make it the one the data live on.
            torch.cuda.set_device(torch.device(device))
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = True
    else:
        use_cpu_threads()
    model = make_model()
    if recipe.init == "glorot":
        glorot_init(model)
    model = model.to(device)
    params = count_params(model)
    macs = count_macs(model, data.input_shape)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    x_train, y_train = _normalised(data.train, recipe, device)
    x_val, y_val = _normalised(data.val, recipe, device)
    blocker = graph_blocker(recipe, device) if cuda_graph else "CUDA graphs switched off"
    optimizer = _optimizer(model, recipe, capturable=blocker is None)
    schedule = _schedule(optimizer, recipe)
    order_rng = torch.Generator().manual_seed(seed)
    step = _Step(model, optimizer, x_train, y_train, recipe, order_rng, blocker)
    curve = []
    started = time.perf_counter()
    for epoch in range(1, recipe.epochs + 1):
        model.train()
        order = torch.randperm(len(y_train), generator=order_rng).to(device)
        step.loss_sum.zero_()
        step.correct.zero_()
        for start in range(0, len(order), recipe.batch_size):
            batch = order[start : start + recipe.batch_size]
            step(batch, full=len(batch) == recipe.batch_size)
        schedule.step()
        n = len(order)
        train_loss = step.loss_sum.item() / n  # one host sync per epoch
        if not math.isfinite(train_loss):
            raise TrainingFailed(f"the training loss became {train_loss} in epoch {epoch}")
        val_loss, val_acc = _evaluate(model, x_val, y_val, recipe)
        curve.append((epoch, train_loss, step.correct.item() / n, val_loss, val_acc))
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
    return TrainOutcome(
        metrics=metrics,
        curve=np.asarray(curve, dtype=np.float64),
        params=params,
        macs=macs,
        train_seconds=seconds,
        engine=step.engine,
    )
