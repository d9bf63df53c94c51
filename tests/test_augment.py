"""Batch augmentations: what each image becomes, and that a seed fixes it."""

from __future__ import annotations

import torch

from repro.augment import AUGMENTERS, crop_and_flip, flip_and_erase
from repro.recipe import AUGMENTATIONS


def _images(n: int = 16) -> torch.Tensor:
    return torch.arange(n * 2 * 7 * 9, dtype=torch.float32).reshape(n, 2, 7, 9) + 1  # no zeros: padding is visible


def test_every_recipe_augmentation_has_an_augmenter():
    assert set(AUGMENTERS) == set(AUGMENTATIONS) - {"none"}


def test_crop_and_flip_is_a_padded_window_or_its_mirror():
    x = _images()
    out = crop_and_flip(x, torch.Generator().manual_seed(0), padding=2)
    assert out.shape == x.shape
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for i in range(len(x)):
        windows = [padded[i, :, r : r + 7, c : c + 9] for r in range(5) for c in range(5)]
        assert any(torch.equal(out[i], w) or torch.equal(out[i], w.flip(-1)) for w in windows), i
    assert not torch.equal(out, x)  # 16 images: some moved or flipped


def test_crop_and_flip_without_padding_or_flip_is_identity():
    x = _images()
    assert torch.equal(crop_and_flip(x, torch.Generator().manual_seed(1), padding=0, p_flip=0.0), x)


def test_augmentations_are_fixed_by_the_generator_seed():
    x = _images()
    for augment in (crop_and_flip, flip_and_erase):
        a = augment(x, torch.Generator().manual_seed(3))
        b = augment(x, torch.Generator().manual_seed(3))
        c = augment(x, torch.Generator().manual_seed(4))
        assert torch.equal(a, b) and not torch.equal(a, c)
