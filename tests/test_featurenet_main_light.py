"""FeatureNet's attribute domains against the authors' released feature model (issue 22).

``MAIN_LIGHT`` transcribes the domains of one cell of ``datasets/main_light.xml`` (yamizi/FeatureNet, commit
396f251, read with the search tool; every one of the 25 cells repeats them). The test pins where our model
(``repro.spaces.featurenet.model``) agrees and where it differs, as recorded in papers/featurenet/reported.toml's
[[protocol]] note: changing a domain must change that record too.
"""

from __future__ import annotations

import numpy as np

from repro.spaces.featurenet import graph as g
from repro.spaces.featurenet.model import CELL, VARIANTS
from repro.spaces.featurenet.sample import Limits, model_config
from repro.spaces.featurenet.validate import check_cell

MAIN_LIGHT = {
    ("Convolution", "kernel"): {"1x1", "2x2", "3x1", "1x3", "3x3"},
    ("Convolution", "stride"): {1, 2, 3},
    ("Convolution", "filters"): {16, 64, 128},
    ("Convolution", "padding"): {"valid", "same"},
    ("Convolution", "activation"): {"tanh", "sigmoid", "relu"},
    ("Pooling", "kernel"): {1, 2, 3},
    ("Pooling", "stride"): {1, 2, 3},
    ("Pooling", "type"): {"max", "average", "dilated", "global"},
    ("Pooling", "padding"): {"valid", "same"},
    ("Dense", "neurons"): {16, 96, 256, 512},
    ("Dense", "activation"): {"tanh", "sigmoid", "softmax", "relu"},
    ("Dropout", "rate"): {0.4, 0.5, 0.7},
}
MAIN_LIGHT_INPUTS = {"Convolution", "Identity", "Zeros", "Pooling", "Dense"}
MAIN_LIGHT_OPERATIONS = {"Flatten", "Void", "Dropout"}
MAIN_LIGHT_COMBINATIONS = {"Concat", "Sum"}


def _ours(feature: str, attribute: str) -> set:
    for part in ("Input1", "Operation1"):
        for child in CELL.child(part).children:
            if child.name == feature:
                domain = set(child.domain(attribute))
                return {f"{k}x{k}" for k in domain} if (feature, attribute) == ("Convolution", "kernel") else domain
    raise KeyError(feature)


def test_agreeing_domains_are_equal():
    for key in [("Convolution", "stride"), ("Convolution", "padding"), ("Pooling", "stride"), ("Pooling", "padding")]:
        assert _ours(*key) == MAIN_LIGHT[key], key
    assert {c.name for c in CELL.child("Input1").children} == MAIN_LIGHT_INPUTS
    assert max(_ours("Dense", "neurons")) == max(MAIN_LIGHT["Dense", "neurons"]) == 512


def test_the_recorded_differences_are_the_differences():
    differ = {key for key in MAIN_LIGHT if _ours(*key) != MAIN_LIGHT[key]}
    assert differ == {
        ("Convolution", "kernel"),
        ("Convolution", "filters"),
        ("Convolution", "activation"),
        ("Pooling", "kernel"),
        ("Pooling", "type"),
        ("Dense", "neurons"),
        ("Dense", "activation"),
        ("Dropout", "rate"),
    }
    assert (
        "5x5" in _ours("Convolution", "kernel") and "5x5" not in MAIN_LIGHT["Convolution", "kernel"]
    )  # the paper's 5x5
    paper = VARIANTS["paper"]
    ours_operations = {c.name for c in CELL.child("Operation1").children if paper.allows(c.name)}
    assert ours_operations - MAIN_LIGHT_OPERATIONS == {"Activation"}
    ours_combinations = {c.name for c in CELL.child("Combination").children if paper.allows(c.name)}
    assert ours_combinations == {"Sum"} and MAIN_LIGHT_COMBINATIONS - ours_combinations == {"Concat"}


def test_model_samples_meet_the_model_but_not_always_the_shapes():
    limits, rng = Limits(), np.random.default_rng(0)
    configs = [model_config(rng, limits) for _ in range(40)]
    for config in configs:
        for b, block in enumerate(config.present()):
            for c, cell in enumerate(block):
                check_cell(cell, f"block {b + 1} cell {c + 1}", "paper")
    broken = 0
    for config in configs:
        try:
            limits.check(config)
        except g.Violation:
            broken += 1
    assert (
        broken > len(configs) // 2
    )  # the model alone admits mostly shape-inconsistent networks (RQ1: 24 of 1,000 build)
