"""The paper-scale training options: Adamax, a cosine schedule, gradient clipping, CutOut, no held-out images."""

from __future__ import annotations

import pytest
import torch

from repro.augment import crop_and_flip, crop_flip_cutout, cutout
from repro.data import load_dataset
from repro.errors import ReproError
from repro.recipe import PROFILES, Recipe
from repro.trainer import _optimizer, _schedule, fit


def _linear() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))


def test_adamax_takes_the_recipe_lr_and_weight_decay():
    recipe = Recipe(profile="x", epochs=2, optimizer="adamax", lr=2e-3, weight_decay=1e-5)
    optimizer = _optimizer(torch.nn.Linear(2, 2), recipe, capturable=False)
    assert isinstance(optimizer, torch.optim.Adamax)
    assert (optimizer.param_groups[0]["lr"], optimizer.param_groups[0]["weight_decay"]) == (2e-3, 1e-5)


def test_cosine_schedule_anneals_to_zero_over_the_epochs():
    recipe = Recipe(profile="x", epochs=4, optimizer="sgd-momentum", lr=0.1, schedule="cosine")
    optimizer = _optimizer(torch.nn.Linear(2, 2), recipe, capturable=False)
    schedule = _schedule(optimizer, recipe)
    lrs = []
    for _ in range(recipe.epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert lrs == pytest.approx([0.1, 0.1 * (1 + 2**-0.5) / 2, 0.05, 0.1 * (1 - 2**-0.5) / 2])
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)


def test_gradient_clipping_bounds_the_norm_the_optimiser_sees(tiny_mnist, tiny_recipe, monkeypatch):
    norms = []
    step = torch.optim.SGD.step

    def spy(self, *args, **kwargs):
        grads = [p.grad for group in self.param_groups for p in group["params"] if p.grad is not None]
        norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.SGD, "step", spy)
    data = load_dataset("mnist", tiny_mnist, val_size=20, train_size=60, test_size=30)
    for clip in (None, 1e-3):
        norms.clear()
        fit(_linear, data, tiny_recipe.with_changes(optimizer="sgd", lr=0.5, grad_clip=clip), 0)
        if clip is None:
            assert max(norms) > 1e-2  # unclipped gradients are far above the bound below
        else:
            assert max(norms) <= clip * 1.0001


def test_cutout_zeroes_one_clipped_square_per_image():
    ones = torch.ones(64, 2, 32, 32)
    cut = cutout(ones, torch.Generator().manual_seed(1))
    for image in cut:
        assert torch.equal(image[0], image[1])  # every channel alike
        rows, cols = torch.nonzero(image[0] == 0, as_tuple=True)
        top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
        height, width = int(bottom - top) + 1, int(right - left) + 1
        assert len(rows) == height * width and 8 <= height <= 16 and 8 <= width <= 16  # one rectangle
        assert height == 16 or top == 0 or bottom == 31  # clipped only at the border
        assert width == 16 or left == 0 or right == 31
    assert torch.equal(cut, cutout(ones, torch.Generator().manual_seed(1)))
    x = torch.arange(4 * 32 * 32, dtype=torch.float32).reshape(4, 1, 32, 32) + 1
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    assert torch.equal(crop_flip_cutout(x, g1), cutout(crop_and_flip(x, g2), g2))


def test_val_size_zero_validates_on_the_test_split(tiny_mnist):
    data = load_dataset("mnist", tiny_mnist, val_size=0, test_size=30)
    assert len(data.train.y) == 80 and torch.equal(data.val.x, data.test.x) and data.split["val_size"] == 0


def test_options_are_checked_and_leave_older_keys_alone():
    with pytest.raises(ReproError, match="schedule must be one of step, cosine"):
        Recipe(profile="x", epochs=3, schedule="linear")
    with pytest.raises(ReproError, match="cosine schedule takes no lr_milestones"):
        Recipe(profile="x", epochs=3, schedule="cosine", lr_milestones=(1,))
    with pytest.raises(ReproError, match="grad_clip must be a positive norm"):
        Recipe(profile="x", epochs=3, grad_clip=0.0)
    with pytest.raises(ReproError, match="val_size must be >= 0"):
        Recipe(profile="x", epochs=3, val_size=-1)
    assert "schedule" not in Recipe(profile="x", epochs=3).to_dict()
    recipe = PROFILES.get("gdas-final")
    assert Recipe.from_json(recipe.to_json()) == recipe
    assert (recipe.schedule, recipe.grad_clip, recipe.augmentation, recipe.batch_size) == (
        "cosine",
        5.0,
        "crop+flip+cutout",
        96,
    )
    assert recipe.model_options == {"channels": 36, "layers": 6} and recipe.epochs == 600


def test_remnet_paper_scale_trains_on_all_60k_with_the_authors_optimiser():
    search, final = PROFILES.get("remnet-paper"), PROFILES.get("remnet-final")
    assert search.val_size == 0 and final.val_size == 0 and search.train_size is None
    assert (final.optimizer, final.lr, final.weight_decay) == ("adamax", 2e-3, 1e-5)
    assert PROFILES.get("nar-proxy-full").val_size == 10000  # NAR's controller needs the held-out 10k


def test_channel_mean_subtracts_per_channel_and_round_trips():
    from repro.data import Split
    from repro.trainer import _normalised

    recipe = Recipe(profile="x", epochs=1, normalize=(0.0, 1.0), channel_mean=(0.1, 0.2, 0.3))
    assert (
        Recipe.from_json(recipe.to_json()) == recipe and "channel_mean" not in Recipe(profile="x", epochs=1).to_dict()
    )
    x, _ = _normalised(Split(x=torch.full((2, 3, 4, 4), 0.5), y=torch.zeros(2, dtype=torch.long)), recipe, "cpu")
    assert x[:, :, 0, 0].flatten().tolist() == pytest.approx([0.4, 0.3, 0.2] * 2)
    with pytest.raises(ReproError, match="channel_mean has 3 values for 1-channel images"):
        _normalised(Split(x=torch.zeros(1, 1, 4, 4), y=torch.zeros(1, dtype=torch.long)), recipe, "cpu")


def test_rcas_final_trains_on_every_training_image_with_rgb_mean_subtraction():
    final = PROFILES.get("rcas-final")
    assert final.val_size == 0 and final.normalize == (0.0, 1.0) and final.channel_mean == (0.5071, 0.4865, 0.4409)
