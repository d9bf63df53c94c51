"""GDAS (Dong & Yang, CVPR 2019, Section 3.2 and Alg. 1): Gumbel differentiable architecture sampling.

The architecture logits A hold one row per supernet edge and one column per candidate. Every
forward draws a Gumbel-max sample per edge, h = one_hot(argmax(A + o)); the forward uses the hard
h, the backward the gradient of the softmax with temperature, softmax((A + o) / tau)
(straight-through), and only the sampled candidate of each edge is computed (the paper's
"acceleration"). Which logits get gradient is the space's rule (``gdas_gradient``, see
:data:`repro.spaces.cells.EDGE_GRADIENTS`) unless ``edge_gradient`` names one. One architecture is drawn per batch, as the authors' code does (the paper's
text draws one per image). Weights W and logits A are updated alternately: W by SGD on a batch
of the training half, A by Adam on a batch of the validation half. tau falls linearly from
``tau_max`` to ``tau_min`` over the epochs (the paper: 10 to 1; the authors' README corrects it
to 10 to 0.1, which the paper-scale profiles use). ``augment`` applies random crop + flip to both
search halves, as the authors' search loaders do (the paper does not say).

``mode="mixed"`` runs the same supernet DARTS-style (every candidate computed, softmax-weighted),
for the acceleration comparison. Everything random is drawn from generators seeded by ``seed``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from repro.augment import crop_and_flip
from repro.data import DataBundle
from repro.data.datasets import Split
from repro.errors import ReproError
from repro.spaces.cells import EDGE_GRADIENTS, EdgeWeights

MODES = ("hard", "mixed")


@dataclass(frozen=True)
class GdasConfig:
    """The search's settings; the defaults are the paper's (Section 4.2) except the epochs and widths."""

    epochs: int = 4
    channels: int = 8
    layers: int = 1
    search_images: int = 2000
    """Training images used by the search, split in two halves: D_T (weights) and D_V (logits)."""
    batch_size: int = 64
    lr: float = 0.025
    lr_min: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 3e-4
    grad_clip: float = 5.0
    arch_lr: float = 3e-4
    arch_weight_decay: float = 1e-3
    tau_max: float = 10.0
    tau_min: float = 1.0
    mode: str = "hard"
    edge_gradient: str | None = None
    """The hard sample's logit-gradient rule (``argmax`` or ``all``); None: the space's ``gdas_gradient``."""
    augment: bool = False
    """Random crop + flip on both search halves (the authors' search loaders)."""

    def __post_init__(self) -> None:
        if self.edge_gradient is not None and self.edge_gradient not in EDGE_GRADIENTS:
            raise ReproError(
                f"gdas edge_gradient must be one of {', '.join(EDGE_GRADIENTS)} or None, got {self.edge_gradient!r}"
            )
        if self.mode not in MODES:
            raise ReproError(f"gdas mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if not 0 < self.tau_min <= self.tau_max:
            raise ReproError(f"gdas needs 0 < tau_min <= tau_max, got {self.tau_min} and {self.tau_max}")
        if self.epochs < 1 or self.search_images < 2:
            raise ReproError("gdas needs at least 1 epoch and 2 search images (one per half)")

    @property
    def example_passes(self) -> int:
        """Training-example passes of one search: every epoch, each example of D_T trains the weights and
        one of D_V the logits, each through one sampled child (forward and backward)."""
        return self.epochs * 2 * (self.search_images // 2)

    def gradient_rule(self, space: Any) -> str:
        """The logit-gradient rule a search in ``space`` uses: ``edge_gradient``, else the space's own."""
        return self.edge_gradient or space.gdas_gradient

    def key(self, space: Any) -> dict[str, Any]:
        """The settings that decide a search in ``space``, as stored-search keys hold them.

        The rule is keyed resolved; it and ``augment`` are left out at the values every search
        stored before they existed ran with (``all``, no augmentation), so those stay valid.
        """
        data = dataclasses.asdict(self)
        data["edge_gradient"] = self.gradient_rule(space)
        for name, legacy in (("edge_gradient", "all"), ("augment", False)):
            if data[name] == legacy:
                del data[name]
        return data

    def tau(self, epoch: int) -> float:
        """The temperature of ``epoch`` (0-based): linear from tau_max (first) to tau_min (last)."""
        if self.epochs == 1:
            return self.tau_max
        return self.tau_max - (self.tau_max - self.tau_min) * epoch / (self.epochs - 1)


def gumbel_softmax_hard(logits: torch.Tensor, tau: float, generator: torch.Generator) -> tuple[torch.Tensor, list[int]]:
    """One Gumbel-max sample per row of ``logits``: (straight-through weights, sampled indices).

    The weights equal the one-hot sample in the forward and carry the gradient of
    ``softmax((logits + o) / tau)`` in the backward. Gumbel noise is drawn on the CPU from ``generator``.
    """
    uniform = torch.rand(logits.shape, generator=generator).clamp_(1e-20, 1.0).to(logits.device)
    noisy = logits - torch.log(-torch.log(uniform))
    soft = torch.softmax(noisy / tau, dim=-1)
    index = noisy.argmax(dim=-1)
    hard = torch.zeros_like(soft).scatter_(-1, index.unsqueeze(-1), 1.0)
    return hard - soft.detach() + soft, [int(i) for i in index.tolist()]


class Architecture(nn.Module):
    """The logits A: one (edges × candidates) table per searched cell type, initialised N(0, 1e-3^2)."""

    def __init__(self, shapes: dict[str, tuple[int, int]], generator: torch.Generator) -> None:
        super().__init__()
        self.logits = nn.ParameterDict(
            {kind: nn.Parameter(1e-3 * torch.randn(shape, generator=generator)) for kind, shape in shapes.items()}
        )

    def sample(self, tau: float, generator: torch.Generator, gradient: str) -> dict[str, EdgeWeights]:
        """GDAS's hard straight-through sample of every cell type, with logit-gradient rule ``gradient``."""
        out = {}
        for kind, a in self.logits.items():
            weights, index = gumbel_softmax_hard(a, tau, generator)
            out[kind] = EdgeWeights(weights, index, gradient)
        return out

    def mixed(self) -> dict[str, EdgeWeights]:
        """DARTS's continuous relaxation: softmax weights, every candidate computed."""
        return {kind: EdgeWeights(torch.softmax(a, dim=-1)) for kind, a in self.logits.items()}

    def numpy(self) -> dict[str, np.ndarray]:
        """The logits as arrays (for deriving and storing)."""
        return {kind: a.detach().cpu().numpy().copy() for kind, a in self.logits.items()}


def search_halves(split: Split, size: int, seed: int) -> tuple[Split, Split]:
    """D_T and D_V of Alg. 1: ``size`` images of ``split`` (a seeded draw), cut into two equal halves.

    On CIFAR-10's 50k training images with ``size`` 50,000 this is the paper's 25k/25k split.
    """
    if size > len(split):
        raise ReproError(f"the search needs {size} images but the training split has {len(split)}; lower search_images")
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(split))[:size])
    half = size // 2
    first, second = order[:half], order[half : 2 * half]
    return Split(split.x[first], split.y[first]), Split(split.x[second], split.y[second])


@dataclass
class SearchResult:
    """What a search produced: per epoch the logits, the derived cell (as JSON), tau, losses and accuracies."""

    logits: list[dict[str, list[list[float]]]] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)
    tau: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)


def supernet_step(
    net: nn.Module,
    arch: Architecture,
    config: GdasConfig,
    tau: float,
    x: torch.Tensor,
    y: torch.Tensor,
    generator: torch.Generator,
    gradient: str,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One forward of the supernet on a batch with a fresh sample (or the mixed op): (loss, logits)."""
    if config.augment:
        x = crop_and_flip(x, generator)
    mix = arch.sample(tau, generator, gradient) if config.mode == "hard" else arch.mixed()
    logits = net(x, mix)
    return nn.functional.cross_entropy(logits, y), logits


def gdas_search(
    space: Any,
    data: DataBundle,
    config: GdasConfig,
    seed: int,
    normalize: tuple[float, float],
    device: str = "cpu",
    on_epoch: Callable[[int], None] | None = None,
) -> SearchResult:
    """Alg. 1 on ``space`` (a cell space with ``supernet``, ``candidates``, ``cell_types``, ``derive``).

    The search uses ``config.search_images`` of ``data.train`` (D_T and D_V, see :func:`search_halves`).
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    mean, std = normalize
    d_t, d_v = search_halves(data.train, config.search_images, seed)
    x_t, y_t = ((d_t.x - mean) / std).to(device), d_t.y.to(device)
    x_v, y_v = ((d_v.x - mean) / std).to(device), d_v.y.to(device)
    net = space.supernet(data.input_shape, data.num_classes, config.channels, config.layers).to(device)
    shapes = {k: (len(space.candidates(k)), len(space.candidates(k)[0])) for k in space.cell_types}
    arch = Architecture(shapes, gen).to(device)
    gradient = config.gradient_rule(space)
    w_opt = torch.optim.SGD(net.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    steps = config.epochs * math.ceil(len(y_t) / config.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(w_opt, T_max=steps, eta_min=config.lr_min)
    # Adam's betas (0.5, 0.999) as the authors' and DARTS's code; the paper states only lr and weight decay.
    a_opt = torch.optim.Adam(
        arch.parameters(), lr=config.arch_lr, betas=(0.5, 0.999), weight_decay=config.arch_weight_decay
    )
    result = SearchResult()
    for epoch in range(config.epochs):
        started = time.perf_counter()
        tau = config.tau(epoch)
        net.train()
        order_t = torch.randperm(len(y_t), generator=gen)
        order_v = torch.randperm(len(y_v), generator=gen)
        sums = np.zeros(5)  # train loss, train correct, val loss, val correct, val images
        for step, start in enumerate(range(0, len(order_t), config.batch_size)):
            batch = order_t[start : start + config.batch_size].to(device)
            loss, out = supernet_step(net, arch, config, tau, x_t[batch], y_t[batch], gen, gradient)
            w_opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), config.grad_clip)
            w_opt.step()
            schedule.step()
            sums[:2] += (loss.item() * len(batch), int((out.argmax(1) == y_t[batch]).sum()))
            vbatch = order_v[(step * config.batch_size) % len(order_v) :][: config.batch_size].to(device)
            loss, out = supernet_step(net, arch, config, tau, x_v[vbatch], y_v[vbatch], gen, gradient)
            a_opt.zero_grad(set_to_none=True)
            w_opt.zero_grad(set_to_none=True)
            loss.backward()
            a_opt.step()
            sums[2:] += (loss.item() * len(vbatch), int((out.argmax(1) == y_v[vbatch]).sum()), len(vbatch))
        n_t, n_v = len(order_t), sums[4]
        logits = arch.numpy()
        result.logits.append({k: v.tolist() for k, v in logits.items()})
        result.derived.append(space.to_json(space.derive(logits)))
        result.tau.append(tau)
        result.train_loss.append(sums[0] / n_t)
        result.train_acc.append(sums[1] / n_t)
        result.val_loss.append(sums[2] / n_v)
        result.val_acc.append(sums[3] / n_v)
        result.epoch_seconds.append(time.perf_counter() - started)
        if on_epoch is not None:
            on_epoch(epoch)
    return result
