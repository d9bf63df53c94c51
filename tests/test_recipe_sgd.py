"""The SGD-Nesterov recipe option and the learning-rate milestones, without changing older recipes' keys."""

from __future__ import annotations

import pytest
import torch

from repro.data import load_dataset
from repro.errors import ReproError
from repro.recipe import PROFILES, Recipe
from repro.trainer import fit

KEYS_BEFORE_MILESTONES = {
    "remnet-final-smoke": "6170f91025289e96",
    "remnet-gpu": "9002fe96645330b5",
    "smoke": "8f4f24879e764865",
}
"""Recipe keys as they were before ``lr_milestones`` existed: the shipped cache is keyed by them. (``remnet-paper``
and ``remnet-final`` changed with issue 22, 60k images and Adamax: no shipped row used them.)"""


def test_older_profiles_keep_their_keys():
    assert {name: PROFILES.get(name).key for name in KEYS_BEFORE_MILESTONES} == KEYS_BEFORE_MILESTONES


def test_milestones_round_trip_and_are_checked():
    recipe = PROFILES.get("rcas-paper")
    assert Recipe.from_json(recipe.to_json()) == recipe and recipe.lr_milestones == (4, 7, 9)
    with pytest.raises(ReproError, match="lr_milestones"):
        Recipe(profile="x", epochs=3, lr_milestones=(3,))
    with pytest.raises(ReproError, match="optimizer must be one of adam, sgd-nesterov, sgd, sgd-momentum, adamax"):
        Recipe(profile="x", epochs=3, optimizer="rmsprop")


def test_sgd_nesterov_with_milestones_trains(tiny_mnist, tiny_recipe, monkeypatch):
    recipe = tiny_recipe.with_changes(optimizer="sgd-nesterov", lr=0.1, epochs=3, lr_milestones=(1, 2))
    seen = []
    step = torch.optim.SGD.step

    def spy(self, *args, **kwargs):
        seen.append((self.param_groups[0]["lr"], self.param_groups[0]["nesterov"]))
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.SGD, "step", spy)
    data = load_dataset("mnist", tiny_mnist, val_size=20, train_size=60, test_size=30)
    outcome = fit(lambda: torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10)), data, recipe, 0)
    assert outcome.curve.shape == (3, 5)
    per_epoch = len(seen) // 3
    assert [round(lr, 6) for lr, _ in seen[::per_epoch]] == [0.1, 0.01, 0.001] and all(n for _, n in seen)


def test_sgd_momentum_is_heavy_ball_momentum():
    from repro.trainer import _optimizer

    recipe = Recipe(profile="x", epochs=2, optimizer="sgd-momentum", lr=0.1, weight_decay=1e-4)
    group = _optimizer(torch.nn.Linear(2, 2), recipe, capturable=False).param_groups[0]
    assert (group["momentum"], group["nesterov"], group["weight_decay"]) == (0.9, False, 1e-4)


def test_the_keras_variant_of_featurenet_is_a_named_option_with_glorot_weights():
    from repro.trainer import glorot_init

    keras = PROFILES.get("featurenet-mnist-keras")
    assert (keras.init, keras.normalize) == ("glorot", (0.0, 1.0)) and Recipe.from_json(keras.to_json()) == keras
    assert "init" not in PROFILES.get("featurenet-mnist").to_dict()  # older keys unchanged
    layer = torch.nn.Linear(400, 100)
    glorot_init(layer)
    bound = (6 / (400 + 100)) ** 0.5
    assert float(layer.weight.abs().max()) <= bound and float(layer.weight.abs().max()) > 0.9 * bound
    assert bool((layer.bias == 0).all())
    with pytest.raises(ReproError, match="init must be one of"):
        Recipe(profile="x", epochs=1, init="he")
