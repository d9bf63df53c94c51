"""NAR's search (Section 3.2): ENAS on a shared-weight supernet, optionally after a random "PreTrain".

Each supernet step trains the weights of one sampled operator vector on one batch (SGD with
Nesterov momentum, cosine learning rate over all epochs). In the first ``pretrain_epochs`` the
vectors are drawn uniformly and the controller is fixed (the paper's "PreTrain" variant, against
the sampling bias of a controller that starts on untrained weights); afterwards the controller
samples them, and after each epoch it takes ``controller_steps`` REINFORCE steps rewarded by
validation accuracy. Deriving samples ``derive_samples`` vectors and keeps the best on a fixed
validation subset; the caller retrains it from scratch through the cache-backed evaluator.

Everything random is drawn from one ``torch.Generator`` seeded by ``seed``, so a search is
repeatable on the CPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from repro.data import DataBundle
from repro.search.controller import Controller, Reinforce
from repro.spaces.nar import NarSpace


@dataclass(frozen=True)
class EnasConfig:
    """Supernet and controller settings (defaults: CPU minutes on the Fashion-MNIST proxy)."""

    epochs: int = 4
    pretrain_epochs: int = 0
    batch_size: int = 64
    lr: float = 0.05
    lr_min: float = 5e-4
    momentum: float = 0.9
    weight_decay: float = 1e-4
    controller_steps: int = 10
    controller_batch: int = 4
    controller_lr: float = 3.5e-3
    entropy_weight: float = 1e-3
    baseline_decay: float = 0.95
    hidden: int = 32
    derive_samples: int = 8
    derive_val: int = 1000

    def example_passes(self, train_images: int, val_images: int, forward_only: float) -> float:
        """Example passes of one search on splits of these sizes, a forward-only example costing ``forward_only``:
        each epoch trains the supernet on every training image, each controller step rewards
        ``controller_batch`` vectors on a validation batch, and deriving scores ``derive_samples`` vectors."""
        trained = (self.pretrain_epochs + self.epochs) * train_images
        rewarded = self.epochs * self.controller_steps * self.controller_batch * self.batch_size
        derived = self.derive_samples * min(self.derive_val, val_images)
        return trained + forward_only * (rewarded + derived)


@dataclass(frozen=True)
class EnasResult:
    """The best derived vector (candidate indices), every derived vector with its supernet validation
    accuracy, and per epoch the frequency of each candidate among the vectors the supernet trained on."""

    best: tuple[int, ...]
    derived: list[tuple[tuple[int, ...], float]]
    frequencies: np.ndarray


def _accuracy(net: nn.Module, arch: tuple[int, ...], x: torch.Tensor, y: torch.Tensor) -> float:
    # Batch statistics, not running ones: a candidate's running BN statistics lag behind weights
    # shared with every other vector, which would score the same child differently by history.
    with torch.no_grad():
        return float((net(x, arch).argmax(1) == y).float().mean())


def enas_search(
    space: NarSpace,
    data: DataBundle,
    config: EnasConfig,
    seed: int,
    channels: int,
    normalize: tuple[float, float],
    device: str = "cpu",
) -> EnasResult:
    """Run NAR's search on ``data`` (its train split trains the supernet, its val split rewards the controller).

    The supernet and data live on ``device``; the controller (a few thousand weights) and every random
    draw stay on the CPU, so the random draws are the same on every device (weights and rewards may differ slightly).
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    mean, std = normalize
    x_train, y_train = ((data.train.x - mean) / std).to(device), data.train.y.to(device)
    x_val, y_val = ((data.val.x - mean) / std).to(device), data.val.y.to(device)
    net = space.supernet(data.input_shape, data.num_classes, channels).to(device)
    controller = Controller(space.num_choices, len(space.candidates), config.hidden)
    reinforce = Reinforce(controller, config.controller_lr, config.baseline_decay, config.entropy_weight)
    optimizer = torch.optim.SGD(
        net.parameters(), lr=config.lr, momentum=config.momentum, nesterov=True, weight_decay=config.weight_decay
    )
    total_epochs = config.pretrain_epochs + config.epochs
    steps = total_epochs * math.ceil(len(y_train) / config.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps, eta_min=config.lr_min)
    num_ops = len(space.candidates)
    frequencies = []
    for epoch in range(total_epochs):
        pretraining = epoch < config.pretrain_epochs
        counts = np.zeros(num_ops)
        net.train()
        order = torch.randperm(len(y_train), generator=gen)
        for start in range(0, len(order), config.batch_size):
            batch = order[start : start + config.batch_size].to(device)
            if pretraining:
                arch = tuple(int(a) for a in torch.randint(num_ops, (space.num_choices,), generator=gen))
            else:
                with torch.no_grad():
                    arch = controller.sample(gen).actions
            counts += np.bincount(arch, minlength=num_ops)
            loss = nn.functional.cross_entropy(net(x_train[batch], arch), y_train[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        frequencies.append(counts / counts.sum())
        if not pretraining:
            for _ in range(config.controller_steps):
                batch = torch.randint(len(y_val), (config.batch_size,), generator=gen).to(device)
                samples = [controller.sample(gen) for _ in range(config.controller_batch)]
                rewards = [_accuracy(net, s.actions, x_val[batch], y_val[batch]) for s in samples]
                reinforce.update(samples, rewards)
    with torch.no_grad():
        vectors = [controller.sample(gen).actions for _ in range(config.derive_samples)]
    x_derive, y_derive = x_val[: config.derive_val], y_val[: config.derive_val]
    derived = [(v, _accuracy(net, v, x_derive, y_derive)) for v in vectors]
    best = max(derived, key=lambda d: d[1])[0]  # max keeps the first of equals: the earliest sample
    return EnasResult(best, derived, np.asarray(frequencies))
