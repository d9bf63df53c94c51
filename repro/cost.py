"""Model cost: trainable parameters and multiply-accumulates per image."""

from __future__ import annotations

import torch
from torch import nn


def count_params(model: nn.Module) -> int:
    """All trainable parameters (BatchNorm affine included, running statistics not)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_macs(model: nn.Module, input_shape: tuple[int, ...], linear: bool = True) -> int:
    """Multiply-accumulates of the convolution and linear layers for one input of ``input_shape``.

    ``linear=False`` counts the convolutions only, as papers that quote "MAdds" of the
    convolution layers do (e.g. RCAS's MobileNetV2 budget).

    Counted from the shapes a real forward pass produces, so any wiring the builder chose is
    measured as built. Pooling, normalisation, activations and sums are not counted.
    """
    total = 0

    def conv_hook(module: nn.Conv2d, _inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        per_output = (module.in_channels // module.groups) * module.kernel_size[0] * module.kernel_size[1]
        total += output[0].numel() * per_output

    def linear_hook(module: nn.Linear, _inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        total += output[0].numel() * module.in_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif linear and isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        with torch.no_grad():
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return total
