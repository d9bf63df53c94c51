"""Reproduce FeatureNet (Ghamizi, Cordy, Papadakis & Le Traon 2019): configuration search over a feature model.

The paper: "Automated Search for Configurations of Deep Neural Network Architectures".

Composes registered parts: the ``featurenet`` space (the feature model, its validator, compiler
and samplers), the ``handcrafted`` space (hand-written LeNet5, torchvision's SqueezeNet 1.1), the
cache-backed evaluator, :mod:`repro.stats` and :mod:`repro.plots`. Per sampling seed, a diverse
sample (PLEDGE's (1+1) search, S1) and as many uniformly random valid configurations; the LeNet5
families S2 (random parameterisations) and S3 (3x3 kernels, stride 3); LeNet5 from the feature
model and hand-written, and SqueezeNet, over several training seeds; Fig. 6's Inception module once.
Every network is trained by the experiment's recipe (plain SGD, lr 0.01, batch 128) with training
seed 0 unless stated.

Only the ``mnist`` and ``cifar10`` profiles use the paper's datasets (local copies); the others are
a Fashion-MNIST **proxy**, labelled so in every table and figure.

This module runs the experiments; :mod:`papers.featurenet.numbers`, :mod:`papers.featurenet.report`
and :mod:`papers.featurenet.claims` turn an outcome into numbers, a report and our values for the claims.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from papers.replay import named_experiment, stored_record
from repro import provenance
from repro.context import RunContext
from repro.data.datasets import get_spec
from repro.errors import ReproError
from repro.evaluator import Evaluator
from repro.recipe import Recipe, as_recipe
from repro.records import Evaluation
from repro.spaces import get_space
from repro.spaces.featurenet import known
from repro.spaces.featurenet.model import Config, from_json, to_json
from repro.spaces.featurenet.sample import DiverseSample, Limits, diverse_sample, lenet5_family, random_config

HERE = Path(__file__).parent


GROUPS = ("diversity", "random", "S2", "S3")
"""Sampled sets: S1 by diversity (PLEDGE), random valid sampling, the LeNet5 family, the small LeNet5 family."""


BASELINES = {
    "LeNet5 (feature model)": ("featurenet", known.lenet5()),
    "LeNet5 (hand-written)": ("handcrafted", "lenet5"),
    "SqueezeNet 1.1": ("handcrafted", "squeezenet1_1"),
}
"""Trained over the experiment's ``baseline_seeds``: (space, genome)."""


INCEPTION = "Inception module (Fig. 6)"


SAMPLES_KIND = "featurenet-samples"


@dataclass(frozen=True)
class Experiment:
    """One scale of the reproduction."""

    name: str
    recipe: str | Recipe
    count: int
    """Configurations per sampling seed, for the diverse set and for the random one."""
    seeds: tuple[int, ...]
    iterations: int
    """PLEDGE's (1+1) iterations per diverse set (no time limit, so a seed fixes the set)."""
    family_count: int
    """Configurations in S2 and in S3."""
    baseline_seeds: tuple[int, ...]
    about: str
    max_params: int | None = None
    max_macs: int | None = None
    """Size caps on every sampled configuration (None: the paper's model alone)."""
    train_seed: int = 0


EXPERIMENTS = {
    "smoke": Experiment(
        "smoke",
        "featurenet-smoke",
        20,
        (0, 1),
        1000,
        10,
        (0, 1, 2),
        max_params=1_000_000,
        max_macs=10_000_000,
        about="CPU proxy: Fashion-MNIST (not MNIST/CIFAR-10), 10,000 training images, 2 epochs; 2 sampling seeds x "
        "20 diverse + 20 random configurations, S2 and S3 of 10, baselines over 3 seeds; every sampled network capped "
        "at 1M weights and 10M multiply-accumulates per image (ours, for CPU minutes)",
    ),
    "gpu": Experiment(
        "gpu",
        "featurenet-gpu",
        30,
        (0, 1),
        2000,
        15,
        (0, 1, 2),
        max_params=5_000_000,
        max_macs=100_000_000,
        about="proxy, about one 25-minute GPU lease (resumable): Fashion-MNIST 55k/5k, the paper's 12 epochs; 2 "
        "sampling seeds x 30 diverse + 30 random, S2 and S3 of 15, baselines over 3 seeds (160 trainings); caps 5M "
        "weights, 100M MACs",
    ),
    "mnist": Experiment(
        "mnist",
        "featurenet-mnist",
        1000,
        (0,),
        5000,
        100,
        tuple(range(10)),
        about="the paper's MNIST experiment from a local copy (--data-root or $REPRO_DATA/mnist): 1,000 diverse + "
        "1,000 random configurations, S2 and S3 of 100, baselines over 10 seeds (Fig. 5), 12 epochs, no caps: GPU days",
    ),
    "cifar10": Experiment(
        "cifar10",
        "featurenet-cifar10",
        1000,
        (0,),
        5000,
        100,
        tuple(range(10)),
        about="the paper's CIFAR-10 experiment from a local copy (--data-root or $REPRO_DATA/cifar-10), as the mnist "
        "profile: GPU days",
    ),
}


def get_experiment(name: str) -> Experiment:
    """The named experiment, or a ReproError listing them."""
    return named_experiment("featurenet", EXPERIMENTS, name)


@dataclass
class Outcome:
    """Everything the report is made of; accuracies are fractions in [0, 1] as the cache stores them."""

    experiment: Experiment
    recipe: Recipe
    samples: dict[str, list[list[Config]]]
    """Per group, per sampling seed (S2 and S3: one list), the configurations in order."""
    searches: list[DiverseSample]
    evaluations: dict[str, list[list[Evaluation]]]
    baselines: dict[str, list[Evaluation]]
    """Per baseline (and the Inception module), one row per training seed."""
    curves: dict[str, list[np.ndarray]]
    """Per-epoch curves of the two LeNet5s, one per training seed (the RQ1 equivalence check)."""


def samples(experiment: Experiment, limits: Limits) -> tuple[dict[str, list[list[Config]]], list[DiverseSample]]:
    """The sampled configurations of every group (a pure function of the experiment and the limits)."""

    def draw(rng: np.random.Generator) -> Config:
        return random_config(rng, limits)

    searches = [
        diverse_sample(experiment.count, np.random.default_rng([seed, 1]), draw, experiment.iterations)
        for seed in experiment.seeds
    ]
    randoms = []
    for seed in experiment.seeds:
        rng = np.random.default_rng([seed, 0])
        randoms.append([draw(rng) for _ in range(experiment.count)])
    families = []
    for tag, (kernel, stride) in enumerate(((5, 1), (3, 3)), start=2):
        rng = np.random.default_rng([0, tag])
        families.append([[lenet5_family(rng, limits, kernel, stride) for _ in range(experiment.family_count)]])
    groups = {"diversity": [list(s.configs) for s in searches], "random": randoms, "S2": families[0], "S3": families[1]}
    return groups, searches


def stored_samples(
    experiment: Experiment, limits: Limits, ctx: RunContext
) -> tuple[dict[str, list[list[Config]]], list[DiverseSample]]:
    """The experiment's samples from the cache's ``featurenet-samples`` artefacts, drawn and stored first if allowed.

    Sampling is seeded, so storing it is not needed for correctness; it makes a replay (and the
    discovery that a profile is not cached) instant instead of rerunning PLEDGE's search.
    """
    what = {
        "limits": dataclasses.asdict(limits),
        "count": experiment.count,
        "seeds": list(experiment.seeds),
        "iterations": experiment.iterations,
        "family_count": experiment.family_count,
    }

    def draw() -> dict[str, Any]:
        groups, searches = samples(experiment, limits)
        return {
            "groups": {g: [[to_json(c) for c in row] for row in rows] for g, rows in groups.items()},
            "searches": [
                {"iterations": s.iterations, "replacements": s.replacements, "diversity": list(s.diversity)}
                for s in searches
            ],
        }

    record = stored_record(ctx, SAMPLES_KIND, what, f"featurenet {experiment.name}: its sampled configurations", draw)
    groups = {g: [[from_json(text) for text in row] for row in rows] for g, rows in record["groups"].items()}
    searches = [
        DiverseSample(tuple(configs), s["iterations"], s["replacements"], tuple(s["diversity"]))
        for configs, s in zip(groups["diversity"], record["searches"])
    ]
    return groups, searches


def total_evaluations(experiment: Experiment) -> int:
    """How many trainings a reproduction runs (for progress bars)."""
    sampled = 2 * experiment.count * len(experiment.seeds) + 2 * experiment.family_count
    return sampled + len(BASELINES) * len(experiment.baseline_seeds) + 1


def run(experiment: Experiment, ctx: RunContext) -> Outcome:
    """Run (or replay from the cache) every sampling and training of ``experiment``."""
    recipe = as_recipe(experiment.recipe)
    spec = get_spec(recipe.dataset)
    shape = {"input_shape": spec.input_shape, "classes": spec.num_classes}
    space = get_space("featurenet", max_params=experiment.max_params, max_macs=experiment.max_macs, **shape)
    groups, searches = stored_samples(experiment, space.limits(), ctx)  # type: ignore[attr-defined]

    sampled = ctx.evaluator(space, recipe)
    # The caps bound what is sampled, not the baselines.
    evaluators = {
        name: ctx.evaluator(get_space(name, **options), recipe)
        for name, options in (("featurenet", shape), ("handcrafted", {}))
    }
    # Fig. 6 needs Concat and 9 cells: Section 3's model without the experiments' restrictions.
    full = ctx.evaluator(get_space("featurenet", variant="full", **shape), recipe)

    def evaluate(evaluator: Evaluator, genome: Any, seed: int) -> Evaluation:
        evaluation = evaluator.evaluate(genome, seed)[0]
        ctx.step()
        return evaluation

    evaluations = {
        g: [[evaluate(sampled, c, experiment.train_seed) for c in configs] for configs in groups[g]] for g in GROUPS
    }
    baselines = {
        label: [evaluate(evaluators[space_name], genome, seed) for seed in experiment.baseline_seeds]
        for label, (space_name, genome) in BASELINES.items()
    }
    baselines[INCEPTION] = [evaluate(full, known.inception_module(), experiment.train_seed)]
    curves = {label: [_curve(ctx, e) for e in baselines[label] if e.status == "ok"] for label in list(BASELINES)[:2]}
    return Outcome(experiment, recipe, groups, searches, evaluations, baselines, curves)  # type: ignore[arg-type]


def _curve(ctx: RunContext, row: Evaluation) -> np.ndarray:
    """The stored curve of a trained row; a damaged cache (its curve files or the row's curve gone) is a one-line error."""
    curve = ctx.store.curve(row)
    if curve is None:
        raise ReproError(
            f"{row.space}/{row.genome_key} seed {row.train_seed} has no curve in {ctx.store.root}/curves/; "
            f"restore the cache (git checkout -- {ctx.store.root}) and run `repro cache check`"
        )
    return curve


def group_rows(outcome: Outcome, group: str) -> list[Evaluation]:
    """The evaluations of one sampled group, every sampling seed's in order."""
    return [e for rows in outcome.evaluations[group] for e in rows]


def all_rows(outcome: Outcome) -> list[Evaluation]:
    """Every cached row behind an outcome: the sampled groups', then the baselines'."""
    sampled = [e for g in GROUPS for e in group_rows(outcome, g)]
    return sampled + [e for rows in outcome.baselines.values() for e in rows]


def is_proxy(recipe: Recipe) -> bool:
    """Whether ``recipe`` trains on a proxy, not the paper's MNIST or CIFAR-10."""
    return recipe.dataset not in ("mnist", "cifar-10")


def data_label(recipe: Recipe) -> str:
    """How every table and figure names the data: the paper's dataset, or a labelled proxy."""
    return f"{recipe.dataset} proxy" if is_proxy(recipe) else recipe.dataset


def describe_profile(outcome: Outcome) -> str:
    """One line naming the scale, data, seeds and devices that produced an outcome's numbers."""
    e, r = outcome.experiment, outcome.recipe
    devices = [row.device for row in all_rows(outcome) if row.status == "ok"]
    caps = "no size caps" if e.max_params is None else f"caps {e.max_params:,} weights / {e.max_macs:,} MACs"
    return (
        f"profile `{e.name}` ({data_label(r)}): {e.count} diverse + {e.count} random configurations per sampling "
        f"seed ({', '.join(map(str, e.seeds))}), PLEDGE {e.iterations} iterations, S2/S3 {e.family_count} each, "
        f"{caps}; {r.epochs} epochs of {r.optimizer} lr {r.lr}, batch {r.batch_size}, {r.train_size or 'all'} "
        f"training images, val {r.val_size}; training seed {e.train_seed}, baselines seeds "
        f"{', '.join(map(str, e.baseline_seeds))}; device {provenance.describe_devices(devices)}"
    )


__all__ = [
    "BASELINES",
    "EXPERIMENTS",
    "Experiment",
    "GROUPS",
    "INCEPTION",
    "Outcome",
    "all_rows",
    "data_label",
    "describe_profile",
    "get_experiment",
    "group_rows",
    "is_proxy",
    "run",
    "samples",
    "stored_samples",
    "total_evaluations",
]
