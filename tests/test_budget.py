"""Budgets in example passes, counted as the searches run, and random search under one."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

from repro.data import load_dataset
from repro.recipe import get_profile
from repro.records import Evaluation
from repro.search import budgeted as budget
from repro.search.enas import EnasConfig, enas_search
from repro.search.gdas import GdasConfig, gdas_search
from repro.spaces import get_space


def _counting(monkeypatch: pytest.MonkeyPatch, space: Any, passes: list[float]) -> None:
    """Make ``space.supernet`` add each forward's examples to ``passes``: 1 with gradients, 1/3 without."""
    build = space.supernet

    def supernet(*args: Any, **kwargs: Any) -> torch.nn.Module:
        net = build(*args, **kwargs)
        net.register_forward_pre_hook(
            lambda _, inputs: passes.append(len(inputs[0]) * (1.0 if torch.is_grad_enabled() else budget.FORWARD_ONLY))
        )
        return net

    monkeypatch.setattr(space, "supernet", supernet)


def test_gdas_search_passes_as_many_examples_as_its_config_says(monkeypatch, tiny_mnist, tiny_recipe):
    data = load_dataset("mnist", tiny_mnist, val_size=20, train_size=60)
    space, passes = get_space("nb201"), []
    _counting(monkeypatch, space, passes)
    config = GdasConfig(epochs=2, search_images=34, batch_size=8)
    gdas_search(space, data, config, 0, tiny_recipe.normalize)
    assert sum(passes) == config.example_passes == 68


def test_enas_search_passes_as_many_examples_as_its_config_says(monkeypatch, tiny_mnist, tiny_recipe):
    data = load_dataset("mnist", tiny_mnist, val_size=20, train_size=60)
    space, passes = get_space("nar", backbone="resnet-small"), []
    _counting(monkeypatch, space, passes)
    config = EnasConfig(
        epochs=2,
        pretrain_epochs=1,
        batch_size=16,
        controller_steps=2,
        controller_batch=3,
        derive_samples=4,
        derive_val=50,
    )
    enas_search(space, data, config, 0, 2, tiny_recipe.normalize)
    expected = config.example_passes(60, 20, budget.FORWARD_ONLY)
    assert sum(passes) == pytest.approx(expected)
    assert expected == pytest.approx(3 * 60 + (2 * 2 * 3 * 16 + 4 * 20) / 3)  # derive_val capped by the 20 images


def test_a_training_costs_its_epochs_of_training_and_validation_examples():
    smoke = get_profile("nar-smoke")
    assert budget.split_sizes(smoke) == (3000, 2000)
    assert budget.training_cost(smoke) == pytest.approx(2 * (3000 + 2000 / 3))
    assert budget.split_sizes(get_profile("remnet-gpu")) == (50000, 10000)  # the rest of Fashion-MNIST's 60,000
    assert budget.trainings_within(3.5 * budget.training_cost(smoke), smoke) == 3
    assert budget.trainings_within(1.0, smoke) == 1  # a search always gets one training


class _Space:
    """Eight networks, genomes 0-15: ``g`` and ``g + 8`` build the same one."""

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(16))

    def canonical(self, genome: int) -> SimpleNamespace:
        return SimpleNamespace(key=str(genome % 8))

    def describe(self, genome: int) -> str:
        return f"net{genome % 8}"


class _Evaluator:
    """Serves a fixed validation accuracy per network (NaN: invalid) and logs what it was asked."""

    def __init__(self, recipe: Any, accuracies: list[float]) -> None:
        self.space, self.recipe, self.accuracies, self.asked = _Space(), recipe, accuracies, []

    def evaluate(self, genome: int, train_seed: int) -> tuple[Evaluation, str]:
        self.asked.append((genome, train_seed))
        acc = self.accuracies[genome % 8]
        status = "invalid" if math.isnan(acc) else "ok"
        return Evaluation(
            "toy", str(genome % 8), "r", train_seed, str(genome), status, val_acc=None if status == "invalid" else acc
        ), "train"


def test_random_search_trains_distinct_networks_within_the_budget_and_picks_the_best_on_validation():
    recipe = get_profile("nar-smoke")
    cost = budget.training_cost(recipe)
    accuracies = [0.5, math.nan, 0.7, 0.1, 0.9, 0.3, 0.2, 0.6]
    evaluator = _Evaluator(recipe, accuracies)
    found = budget.random_search(evaluator, evaluator.space.sample, 3, 4.2 * cost, train_seed=1)  # type: ignore[arg-type]
    assert len(found.genomes) == 4 and len({g % 8 for g in found.genomes}) == 4
    assert [seed for _, seed in evaluator.asked] == [1] * 4
    values = [accuracies[g % 8] for g in found.genomes]
    assert found.pick == int(np.nanargmax(values)) and found.best == found.genomes[found.pick]
    described = found.describe(_Space()).split("; ")
    assert [d.startswith("**") for d in described] == [i == found.pick for i in range(4)]
    assert described[found.pick] == f"**`net{found.best % 8}` ({100 * max(values):.1f})**"
    again = budget.random_search(_Evaluator(recipe, accuracies), _Space().sample, 3, 4.2 * cost, 1)  # type: ignore[arg-type]
    assert again.genomes == found.genomes  # the seed fixes the draws
    larger = budget.random_search(_Evaluator(recipe, accuracies), _Space().sample, 3, 6 * cost, 1)  # type: ignore[arg-type]
    assert larger.genomes[:4] == found.genomes  # a larger budget continues the same draws
    other = budget.random_search(_Evaluator(recipe, accuracies), _Space().sample, 4, 6 * cost, 1)  # type: ignore[arg-type]
    assert other.genomes != larger.genomes


def test_random_search_never_picks_an_invalid_network_over_a_measured_one():
    recipe = get_profile("nar-smoke")
    evaluator = _Evaluator(recipe, [math.nan] * 7 + [0.05])
    found = budget.random_search(evaluator, evaluator.space.sample, 0, 8 * budget.training_cost(recipe), 0)  # type: ignore[arg-type]
    assert len(found.genomes) == 8 and found.genomes[found.pick] % 8 == 7
