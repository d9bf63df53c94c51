"""Published architectures written as genomes of the RCAS space (each space keeps its reference networks in
its ``known`` module)."""

from __future__ import annotations

MOBILENETV2_CIFAR = (5, 5, 0, 0, 0, 0, 5, 5, 5, 0, 0, 0, 5, 5, 5, 5, 0, 0, 5, 5, 5, 0, 0, 0, 5, 5, 5, 0, 0, 0,
                     5, 0, 0, 0, 0, 0)  # fmt: skip
"""MobileNetV2's CIFAR layout (bottlenecks 1, 2, 3, 4, 3, 3, 1 after the t=1 block) on the rcas skeleton."""

RCNET_PUBLISHED = (5, 3, 0, 1, 0, 0, 5, 2, 0, 3, 3, 5, 5, 5, 3, 3, 5, 6, 5, 1, 6, 5, 4, 6, 5, 4, 6, 5, 4, 1, 5, 0, 0, 0,
                   0, 0)  # fmt: skip
"""The CIFAR-100 RCNet as the authors' public code prints it (yyxiongzju/RCNet, commit 9e57b72,
``scripts/cifar100/cifar100_arch_evaluations.py``, ``bin_setting``): the same 36 positions, block types 1-6
with the same (t, g_e, g_p) as :data:`repro.spaces.rcas.genome.BLOCK_TYPES`."""
