"""Batch data augmentation on the training device, drawn per image from a seeded generator."""

from __future__ import annotations

import math

import torch


def flip_and_erase(
    x: torch.Tensor,
    generator: torch.Generator,
    p_flip: float = 0.5,
    p_erase: float = 0.5,
    scale: tuple[float, float] = (0.02, 0.33),
    ratio: tuple[float, float] = (0.3, 3.3),
    value: float = 0.0,
) -> torch.Tensor:
    """Random horizontal flip, then random erasing (Zhong et al. 2020), independently per image.

    Erasing picks a rectangle of ``scale`` times the image area with aspect ratio drawn
    log-uniformly from ``ratio`` (torchvision's defaults) and fills it with ``value``; boxes that
    would not fit are clipped to the image. All draws come from ``generator`` (on the CPU, so a
    seed gives the same augmentations on every device) and are applied as one masked operation,
    with no per-image Python loop.
    """
    n, _, h, w = x.shape
    draws = torch.rand(n, 6, generator=generator).to(x.device)
    flip = draws[:, 0] < p_flip
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    area = h * w * (scale[0] + (scale[1] - scale[0]) * draws[:, 2])
    log_ratio = math.log(ratio[0]) + (math.log(ratio[1]) - math.log(ratio[0])) * draws[:, 3]
    aspect = torch.exp(log_ratio)
    box_h = torch.sqrt(area * aspect).round().clamp(1, h)
    box_w = torch.sqrt(area / aspect).round().clamp(1, w)
    top = (draws[:, 4] * (h - box_h + 1)).floor()
    left = (draws[:, 5] * (w - box_w + 1)).floor()
    rows = torch.arange(h, device=x.device)[None, :]
    cols = torch.arange(w, device=x.device)[None, :]
    in_rows = (rows >= top[:, None]) & (rows < (top + box_h)[:, None])
    in_cols = (cols >= left[:, None]) & (cols < (left + box_w)[:, None])
    erase = (draws[:, 1] < p_erase)[:, None, None] & in_rows[:, :, None] & in_cols[:, None, :]
    return torch.where(erase[:, None], torch.full_like(x, value), x)


def crop_and_flip(x: torch.Tensor, generator: torch.Generator, padding: int = 4, p_flip: float = 0.5) -> torch.Tensor:
    """ResNet's CIFAR augmentation: zero-pad by ``padding``, crop back to the original size at a random offset, flip.

    Offsets and flips are drawn per image from ``generator`` (on the CPU, as :func:`flip_and_erase`)
    and applied as one gather, with no per-image Python loop.
    """
    n, _, h, w = x.shape
    draws = torch.rand(n, 3, generator=generator).to(x.device)
    top = (draws[:, 0] * (2 * padding + 1)).floor().long()
    left = (draws[:, 1] * (2 * padding + 1)).floor().long()
    padded = torch.nn.functional.pad(x, (padding, padding, padding, padding))
    rows = (top[:, None] + torch.arange(h, device=x.device)[None, :])[:, None, :, None].expand(
        n, x.shape[1], h, w + 2 * padding
    )
    x = padded.gather(2, rows)
    cols = (left[:, None] + torch.arange(w, device=x.device)[None, :])[:, None, None, :].expand(n, x.shape[1], h, w)
    x = x.gather(3, cols)
    flip = draws[:, 2] < p_flip
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


def cutout(x: torch.Tensor, generator: torch.Generator, length: int = 16) -> torch.Tensor:
    """CutOut (DeVries & Taylor 2017) as DARTS and GDAS retrain: per image, one ``length`` x ``length`` square
    centred on a uniformly drawn pixel, clipped at the border, set to zero (after normalisation, as their
    transform list applies it last). Draws from ``generator`` as :func:`flip_and_erase`."""
    n, _, h, w = x.shape
    draws = torch.rand(n, 2, generator=generator).to(x.device)
    cy = (draws[:, 0] * h).floor()
    cx = (draws[:, 1] * w).floor()
    rows = torch.arange(h, device=x.device)[None, :]
    cols = torch.arange(w, device=x.device)[None, :]
    in_rows = (rows >= (cy - length // 2)[:, None]) & (rows < (cy + length // 2)[:, None])
    in_cols = (cols >= (cx - length // 2)[:, None]) & (cols < (cx + length // 2)[:, None])
    cut = in_rows[:, :, None] & in_cols[:, None, :]
    return torch.where(cut[:, None], torch.zeros_like(x), x)


def crop_flip_cutout(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """:func:`crop_and_flip`, then :func:`cutout` (GDAS's retraining augmentation)."""
    return cutout(crop_and_flip(x, generator), generator)


AUGMENTERS = {"flip+erase": flip_and_erase, "crop+flip": crop_and_flip, "crop+flip+cutout": crop_flip_cutout}
"""Recipe ``augmentation`` name -> batch augmentation (``"none"`` has none)."""
