"""Reproduce FeatureNet (Ghamizi, Cordy, Papadakis & Le Traon 2019): configuration search over a feature model.

The paper: "Automated Search for Configurations of Deep Neural Network Architectures".

Composes registered parts: the ``featurenet`` space (the feature model, its validator, compiler
and samplers), the ``handcrafted`` space (hand-written LeNet5, torchvision's SqueezeNet 1.1), the
cache-backed evaluator, :mod:`repro.stats` and :mod:`repro.plots`. Per sampling seed, a diverse
sample (PLEDGE's (1+1) search, S1) and as many uniformly random valid configurations; the LeNet5
families S2 (random parameterisations) and S3 (3x3 kernels, stride 3); LeNet5 from the feature
model and hand-written, and SqueezeNet, over several training seeds; Fig. 6's Inception module once.
Every network is trained by the experiment's recipe (plain SGD, lr 0.01, batch 128) with training
seed 0 unless stated; "top" picks the best validation accuracy and reports its test accuracy.

Only the ``mnist`` and ``cifar10`` profiles use the paper's datasets (local copies); the others are
a Fashion-MNIST **proxy**, labelled so in every table and figure.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from papers.replay import named_experiment, read_reported
from repro import plots, provenance, stats
from repro.cache.store import Evaluation, Store
from repro.claims import Measured
from repro.cost import count_params
from repro.data.datasets import get_spec
from repro.errors import ReproError
from repro.evaluator import Evaluator, NotInCache
from repro.recipe import Recipe, as_recipe
from repro.spaces import get_space
from repro.spaces.featurenet import known
from repro.spaces.featurenet.compile import compile_graph
from repro.spaces.featurenet.model import Config, from_json, to_json
from repro.spaces.featurenet.sample import (DiverseSample, Limits, diverse_sample, lenet5_family,
                                            mean_pairwise_distance, random_config)  # fmt: skip

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

SAMPLES_DIR = "featurenet-samples"

BUILD_CHECK = 1000
"""Section 6.1's count of sampled configurations that must build (the structural RQ1 check)."""


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
        "smoke", "featurenet-smoke", 20, (0, 1), 1000, 10, (0, 1, 2), max_params=1_000_000, max_macs=10_000_000,
        about="CPU proxy: Fashion-MNIST (not MNIST/CIFAR-10), 10,000 training images, 2 epochs; 2 sampling seeds x "
        "20 diverse + 20 random configurations, S2 and S3 of 10, baselines over 3 seeds; every sampled network capped "
        "at 1M weights and 10M multiply-accumulates per image (ours, for CPU minutes)",
    ),
    "gpu": Experiment(
        "gpu", "featurenet-gpu", 30, (0, 1), 2000, 15, (0, 1, 2), max_params=5_000_000, max_macs=100_000_000,
        about="proxy, about one 25-minute GPU lease (resumable): Fashion-MNIST 55k/5k, the paper's 12 epochs; 2 "
        "sampling seeds x 30 diverse + 30 random, S2 and S3 of 15, baselines over 3 seeds (160 trainings); caps 5M "
        "weights, 100M MACs",
    ),
    "mnist": Experiment(
        "mnist", "featurenet-mnist", 1000, (0,), 5000, 100, tuple(range(10)),
        about="the paper's MNIST experiment from a local copy (--data-root or $REPRO_DATA/mnist): 1,000 diverse + "
        "1,000 random configurations, S2 and S3 of 100, baselines over 10 seeds (Fig. 5), 12 epochs, no caps: GPU days",
    ),
    "cifar10": Experiment(
        "cifar10", "featurenet-cifar10", 1000, (0,), 5000, 100, tuple(range(10)),
        about="the paper's CIFAR-10 experiment from a local copy (--data-root or $REPRO_DATA/cifar-10), as the mnist "
        "profile: GPU days",
    ),
}  # fmt: skip


def get_experiment(name: str) -> Experiment:
    """The named experiment, or a ReproError listing them."""
    return named_experiment("featurenet", EXPERIMENTS, name)


def reported() -> dict[str, Any]:
    """The paper's numbers, as printed (``reported.toml``)."""
    return read_reported(HERE)


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

    searches = [diverse_sample(experiment.count, np.random.default_rng([seed, 1]), draw, experiment.iterations)
                for seed in experiment.seeds]  # fmt: skip
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


class SamplesNotCached(NotInCache):
    """The sampled configurations of an experiment are not in the cache and ``on_miss="error"`` forbids sampling."""


def stored_samples(experiment: Experiment, limits: Limits, store: Store,
                   on_miss: str) -> tuple[dict[str, list[list[Config]]], list[DiverseSample]]:  # fmt: skip
    """The experiment's samples from ``<cache>/featurenet-samples/``, drawn and stored first if allowed.

    Sampling is seeded, so storing it is not needed for correctness; it makes a replay (and the
    discovery that a profile is not cached) instant instead of rerunning PLEDGE's search.
    """
    what = {"limits": dataclasses.asdict(limits), "count": experiment.count, "seeds": list(experiment.seeds),
            "iterations": experiment.iterations, "family_count": experiment.family_count}  # fmt: skip
    key = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]
    path = store.root / SAMPLES_DIR / f"{key}.json"
    if path.exists():
        data = json.loads(path.read_text())
        groups = {g: [[from_json(text) for text in row] for row in rows] for g, rows in data["groups"].items()}
        searches = [DiverseSample(tuple(configs), s["iterations"], s["replacements"], tuple(s["diversity"]))
                    for configs, s in zip(groups["diversity"], data["searches"])]  # fmt: skip
        return groups, searches
    if on_miss == "error":
        raise SamplesNotCached(f"featurenet {experiment.name}: its sampled configurations are not in the cache "
                               f"({path.name}); rerun with --on-miss train")  # fmt: skip
    started = time.perf_counter()
    groups, searches = samples(experiment, limits)
    record = {
        **what, "groups": {g: [[to_json(c) for c in row] for row in rows] for g, rows in groups.items()},
        "searches": [{"iterations": s.iterations, "replacements": s.replacements, "diversity": list(s.diversity)}
                     for s in searches],
        "seconds": time.perf_counter() - started, "code_version": provenance.code_version(),
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
    return groups, searches


def total_evaluations(experiment: Experiment) -> int:
    """How many trainings a reproduction runs (for progress bars)."""
    sampled = 2 * experiment.count * len(experiment.seeds) + 2 * experiment.family_count
    return sampled + len(BASELINES) * len(experiment.baseline_seeds) + 1


def run(
    experiment: Experiment,
    store: Store,
    on_miss: str = "error",
    device: str = "auto",
    data_root: str | None = None,
    on_step: Callable[[], None] | None = None,
) -> Outcome:
    """Run (or replay from the cache) every sampling and training of ``experiment``."""
    recipe = as_recipe(experiment.recipe)
    spec = get_spec(recipe.dataset)
    shape = {"input_shape": spec.input_shape, "classes": spec.num_classes}
    space = get_space("featurenet", max_params=experiment.max_params, max_macs=experiment.max_macs, **shape)
    groups, searches = stored_samples(experiment, space.limits(), store, on_miss)  # type: ignore[attr-defined]

    def evaluator(for_space: Any) -> Evaluator:
        return Evaluator(for_space, recipe, store, on_miss=on_miss, device=device, data_root=data_root)

    sampled = evaluator(space)
    # The caps bound what is sampled, not the baselines.
    evaluators = {name: evaluator(get_space(name, **options))
                  for name, options in (("featurenet", shape), ("handcrafted", {}))}  # fmt: skip
    # Fig. 6 needs Concat and 9 cells: Section 3's model without the experiments' restrictions.
    full = evaluator(get_space("featurenet", variant="full", **shape))

    def evaluate(evaluator: Evaluator, genome: Any, seed: int) -> Evaluation:
        evaluation = evaluator.evaluate(genome, seed)[0]
        if on_step is not None:
            on_step()
        return evaluation

    evaluations = {g: [[evaluate(sampled, c, experiment.train_seed) for c in configs]
                       for configs in groups[g]] for g in GROUPS}  # fmt: skip
    baselines = {label: [evaluate(evaluators[space_name], genome, seed) for seed in experiment.baseline_seeds]
                 for label, (space_name, genome) in BASELINES.items()}  # fmt: skip
    baselines[INCEPTION] = [evaluate(full, known.inception_module(), experiment.train_seed)]
    curves = {label: [store.curve(e) for e in baselines[label] if e.status == "ok"] for label in list(BASELINES)[:2]}
    return Outcome(experiment, recipe, groups, searches, evaluations, baselines, curves)  # type: ignore[arg-type]


# -- numbers ---------------------------------------------------------------------------------------


def _is_proxy(recipe: Recipe) -> bool:
    return recipe.dataset not in ("mnist", "cifar-10")


def _data_label(recipe: Recipe) -> str:
    """How every table and figure names the data: the paper's dataset, or a labelled proxy."""
    return f"{recipe.dataset} proxy" if _is_proxy(recipe) else recipe.dataset


def _acc(e: Evaluation) -> float:
    """Test accuracy in %, NaN for a network that did not build or train."""
    return math.nan if e.test_acc is None else 100 * e.test_acc


def _flat(outcome: Outcome, group: str) -> list[Evaluation]:
    return [e for rows in outcome.evaluations[group] for e in rows]


def _top(rows: list[Evaluation]) -> Evaluation:
    """The most accurate row by validation accuracy (test accuracy is only reported, never used to choose)."""
    ok = [e for e in rows if e.status == "ok"]
    if not ok:
        raise ReproError("featurenet: no sampled network of a group trained; nothing to pick a top one from")
    return max(ok, key=lambda e: e.val_acc or 0.0)


def _row(label: str, rows: list[Evaluation]) -> dict[str, Any]:
    """A Table 1 line: mean test accuracy over the rows (one per seed), size and efficiency = acc x 10^6 / size."""
    accs = [_acc(e) for e in rows if e.status == "ok"]
    params = rows[0].params or 0
    mean = statistics.fmean(accs) if accs else math.nan
    return {"architecture": label, "test_acc": mean, "sd": statistics.stdev(accs) if len(accs) > 1 else 0.0,
            "n": len(accs), "size": params,
            "efficiency": mean / 100 * 1e6 / params if params else math.nan}  # fmt: skip


def _per_1000(accs: list[float], threshold: float) -> int:
    return round(1000 * sum(a < threshold for a in accs) / len(accs)) if accs else 0


def _equivalence(outcome: Outcome) -> dict[str, Any]:
    """LeNet5 from the feature model vs hand-written: parameters, mean curves per epoch, the largest gap."""
    ours, theirs = (outcome.curves[label] for label in list(BASELINES)[:2])
    if not ours or not theirs:
        return {"seeds": 0}
    means = {name: {col: np.mean([c[:, i] for c in curves], axis=0).tolist() for col, i in (("train_acc", 2),
                                                                                             ("val_acc", 4))}
             for name, curves in (("feature model", ours), ("hand-written", theirs))}  # fmt: skip
    gap = max(abs(a - b) for col in ("train_acc", "val_acc")
              for a, b in zip(means["feature model"][col], means["hand-written"][col]))  # fmt: skip
    params = {label: outcome.baselines[label][0].params for label in list(BASELINES)[:2]}
    return {"seeds": min(len(ours), len(theirs)), "params": params, "curves": means, "max_gap": gap}


def comparison(outcome: Outcome) -> stats.Comparison:
    """Test accuracies (%) of every diverse configuration against every random one, all seeds pooled."""
    accs = [[a for a in map(_acc, _flat(outcome, g)) if math.isfinite(a)] for g in ("diversity", "random")]
    return stats.compare(accs[0], accs[1], names=("diversity", "random"))


def numbers(outcome: Outcome) -> dict[str, Any]:
    """Every reported quantity of one outcome, as plain data (accuracies in %)."""
    sampled = [e for g in GROUPS for e in _flat(outcome, g)]
    accs = {g: [_acc(e) for e in _flat(outcome, g)] for g in GROUPS}
    finite = {g: [a for a in v if math.isfinite(a)] for g, v in accs.items()}
    best = {g: [max((_acc(e) for e in rows if e.status == "ok"), default=math.nan) for rows in outcome.evaluations[g]]
            for g in ("diversity", "random")}  # fmt: skip
    inception = outcome.baselines[INCEPTION][0]
    table = [_row("LeNet5", outcome.baselines["LeNet5 (feature model)"])]
    for label, group in (("Top S1", "diversity"), ("Top S2", "S2"), ("Top S3", "S3")):
        table.append(_row(label, [_top(_flat(outcome, group))]))
    table.append(_row("SqueezeNet", outcome.baselines["SqueezeNet 1.1"]))
    distance = [{"seed": seed, "random": mean_pairwise_distance(outcome.samples["random"][i]),
                 "diversity": search.diversity[-1], "initial": search.diversity[0], "replacements": search.replacements,
                 "iterations": search.iterations} for i, (seed, search) in enumerate(zip(outcome.experiment.seeds,
                                                                                        outcome.searches))]  # fmt: skip
    return {
        "rq1": {
            "sampled": len(sampled),
            "trained": sum(e.status == "ok" for e in sampled),
            "invalid": sum(e.status == "invalid" for e in sampled),
            "failed": [e.reason for e in sampled if e.status == "failed"],
            "inception": {"status": inception.status, "test_acc": _acc(inception), "params": inception.params},
            "lenet5_equivalence": _equivalence(outcome),
        },
        "accuracies": accs,
        "sizes": {g: [e.params for e in _flat(outcome, g)] for g in GROUPS},
        "below_per_1000": {g: {str(t): _per_1000(finite[g], t) for t in (30, 50, 90)} for g in GROUPS},
        "table1": table,
        "diversity_vs_random": {
            "distance": distance,
            "best_per_seed": best,
            "all": vars(comparison(outcome)),
        },
    }  # fmt: skip


# -- report ----------------------------------------------------------------------------------------


def _all_rows(outcome: Outcome) -> list[Evaluation]:
    return [e for g in GROUPS for e in _flat(outcome, g)] + [e for rows in outcome.baselines.values() for e in rows]


def describe_profile(outcome: Outcome) -> str:
    """One line naming the scale, data, seeds and devices that produced an outcome's numbers."""
    e, r = outcome.experiment, outcome.recipe
    devices = sorted({row.device or "" for row in _all_rows(outcome) if row.status == "ok"})
    caps = "no size caps" if e.max_params is None else f"caps {e.max_params:,} weights / {e.max_macs:,} MACs"
    return (
        f"profile `{e.name}` ({_data_label(r)}): {e.count} diverse + {e.count} random configurations per sampling "
        f"seed ({', '.join(map(str, e.seeds))}), PLEDGE {e.iterations} iterations, S2/S3 {e.family_count} each, "
        f"{caps}; {r.epochs} epochs of {r.optimizer} lr {r.lr}, batch {r.batch_size}, {r.train_size or 'all'} "
        f"training images, val {r.val_size}; training seed {e.train_seed}, baselines seeds "
        f"{', '.join(map(str, e.baseline_seeds))}; device {'; '.join(devices)}"
    )


def _provenance(outcome: Outcome) -> str:
    rows = _all_rows(outcome)
    ok = [e for e in rows if e.status == "ok"]
    return (f"{len(rows)} cached rows, recipe {outcome.recipe.key}; code "
            f"{', '.join(sorted({str(e.code_version) for e in ok}))}")  # fmt: skip


def _plot_size(outcome: Outcome, nums: dict[str, Any], path: Path, caption: str) -> Path:
    groups = {g: [(p, a) for p, a in zip(nums["sizes"][g], nums["accuracies"][g]) if p and math.isfinite(a)]
              for g in GROUPS}  # fmt: skip
    references = {f"{row['architecture']} (mean of {row['n']} seeds)": (row["size"], row["test_acc"])
                  for row in nums["table1"] if row["architecture"] in ("LeNet5", "SqueezeNet")}  # fmt: skip
    title = f"Fig. 8 reproduced: accuracy vs size [{_data_label(outcome.recipe)}, {outcome.experiment.name}]"
    return plots.accuracy_vs_size(groups, path, title=title, caption=caption, references=references)


def _plot_equivalence(outcome: Outcome, nums: dict[str, Any], path: Path, caption: str) -> Path | None:
    eq = nums["rq1"]["lenet5_equivalence"]
    if not eq["seeds"]:
        return None
    lines = {f"{name}, {col.replace('_acc', '')}": [100 * v for v in eq["curves"][name][col]]
             for name in ("feature model", "hand-written") for col in ("train_acc", "val_acc")}  # fmt: skip
    title = f"Fig. 5 reproduced: LeNet5, mean of {eq['seeds']} seeds [{_data_label(outcome.recipe)}]"
    return plots.epoch_curves(lines, path, title=title, ylabel="accuracy (%)", caption=caption)


def write_report(outcome: Outcome, out_dir: Path) -> list[Path]:
    """Figures (PNG), ``summary.md`` and ``numbers.json`` under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    nums = numbers(outcome)
    caption = f"Reproduced by repro ({describe_profile(outcome)})."
    label = _data_label(outcome.recipe)
    paths = [
        plots.ecdfs({g: nums["accuracies"][g] for g in GROUPS}, out_dir / "fig7_accuracy_cdf.png",
                    title=f"Fig. 7 reproduced: sampled architectures [{label}, {outcome.experiment.name}]",
                    xlabel="test accuracy (%)", caption=caption),
        _plot_size(outcome, nums, out_dir / "fig8_accuracy_vs_size.png", caption),
    ]  # fmt: skip
    equivalence = _plot_equivalence(outcome, nums, out_dir / "fig5_lenet5_equivalence.png", caption)
    paths += [equivalence] if equivalence else []
    summary = out_dir / "summary.md"
    summary.write_text(_summary(outcome, nums))
    numbers_path = out_dir / "numbers.json"
    numbers_path.write_text(json.dumps({"profile": describe_profile(outcome), "numbers": nums}, indent=1,
                                       default=float) + "\n")  # fmt: skip
    return paths + [summary, numbers_path]


def _pct(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x:.2f}%"


def _summary(outcome: Outcome, nums: dict[str, Any]) -> str:
    e, label = outcome.experiment, _data_label(outcome.recipe)
    rq1, paper = nums["rq1"], reported()
    eq = rq1["lenet5_equivalence"]
    proxy = _is_proxy(outcome.recipe)
    lines = [
        f"# FeatureNet (Ghamizi et al. 2019) — reproduction, profile `{e.name}` ({label})", "",
        f"*{describe_profile(outcome)}.* {e.about}.", "",
        "**Reported** = printed in the paper (MNIST, CIFAR-10). **Reproduced** = computed by this project from the "
        f"cache (`repro reproduce featurenet --profile {e.name}`), test accuracy on {label}."
        + (" Every accuracy here is a **proxy**: shown beside the paper's numbers, never compared with them."
           if proxy else ""), "",
        "## RQ1: configurations that build and train", "",
        f"- Sampled configurations evaluated: {rq1['sampled']}; trained: {rq1['trained']}; invalid at build time: "
        f"{rq1['invalid']}; training broke down: {len(rq1['failed'])}"
        + (f" ({'; '.join(sorted(set(rq1['failed'])))})" if rq1["failed"] else "") + ".",
        f"- Fig. 6's Inception module (variant `full`): {rq1['inception']['status']}, "
        f"{rq1['inception']['params']:,} weights, test accuracy {_pct(rq1['inception']['test_acc'])} ({label}).",
        "- The 1,000-configuration build check of Section 6.1 is structural (`rq1_configurations_built` in "
        "`repro regress featurenet`).",
    ]  # fmt: skip
    if eq["seeds"]:
        lines += [
            f"- LeNet5 from the feature model vs hand-written ({eq['seeds']} seeds): weights "
            f"{eq['params']['LeNet5 (feature model)']:,} vs {eq['params']['LeNet5 (hand-written)']:,}; the largest "
            f"gap between their mean train/validation accuracy curves is {100 * eq['max_gap']:.3f} points (Fig. 5). "
            "Same seed, same layers in the same order: the same initial weights, so equal curves are expected.",
        ]  # fmt: skip
    lines += ["", "## Table 1: accuracy, size, efficiency (12 epochs in the paper)", "",
              "| dataset | architecture | accuracy | size | efficiency | source |",
              "| --- | --- | ---: | ---: | ---: | --- |"]  # fmt: skip
    for row in paper["table1"]:
        lines.append(f"| {row['dataset']} | {row['architecture']} | {row['accuracy']} | {row['size']:,} | "
                     f"{row['efficiency']} | reported |")  # fmt: skip
    for row in nums["table1"]:
        spread = f" ± {row['sd']:.2f} (n={row['n']})" if row["n"] > 1 else ""
        lines.append(f"| **{label}** | {row['architecture']} | {_pct(row['test_acc'])}{spread} | {row['size']:,} | "
                     f"{row['efficiency']:.2f} | reproduced, {outcome.recipe.epochs} epochs |")  # fmt: skip
    below = nums["below_per_1000"]
    lines += [
        "", "Top S1/S2/S3 = the best validation accuracy of the diverse sample, the LeNet5 family and the small "
        "LeNet5 family (its test accuracy is shown); LeNet5 and SqueezeNet: mean over the baseline seeds.", "",
        f"## RQ2: distribution of accuracies ({label})", "",
        "| group | n | below 30% (per 1,000) | below 50% | below 90% | median | best |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]  # fmt: skip
    for g in GROUPS:
        finite = [a for a in nums["accuracies"][g] if math.isfinite(a)]
        median = statistics.median(finite) if finite else math.nan
        lines.append(f"| {g} | {len(finite)} | {below[g]['30']} | {below[g]['50']} | {below[g]['90']} | "
                     f"{_pct(median)} | {_pct(max(finite, default=math.nan))} |")  # fmt: skip
    fig7 = paper["fig7"]
    lines += [
        f"| reported, MNIST (1,000) | 1000 | — | {fig7['mnist_below']['50']} | {fig7['mnist_below']['90']} | — | "
        f"{fig7['mnist_above_95']} above 95% |",
        f"| reported, CIFAR-10 (1,000) | 1000 | {fig7['cifar10_below']['30']} | {fig7['cifar10_below']['50']} | — "
        "| — | "
        f"none reaches {fig7['cifar10_max_below']}% |", "",
        "![Fig. 7](fig7_accuracy_cdf.png)", "", "![Fig. 8](fig8_accuracy_vs_size.png)", "",
        "## Diversity sampling (PLEDGE) vs random valid sampling", "",
        "| sampling seed | mean pairwise Jaccard distance, random | diverse (initial → final) | "
        "replacements / iterations | best accuracy, random | best, diverse |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]  # fmt: skip
    best = nums["diversity_vs_random"]["best_per_seed"]
    for i, d in enumerate(nums["diversity_vs_random"]["distance"]):
        lines.append(f"| {d['seed']} | {d['random']:.4f} | {d['initial']:.4f} → {d['diversity']:.4f} | "
                     f"{d['replacements']} / {d['iterations']} | {_pct(best['random'][i])} | "
                     f"{_pct(best['diversity'][i])} |")  # fmt: skip
    lines += ["", "Test accuracies (%) of all diverse vs all random configurations, seeds pooled:", "",
              comparison(outcome).to_markdown(), ""]  # fmt: skip
    if eq["seeds"]:
        lines += ["![Fig. 5](fig5_lenet5_equivalence.png)", ""]
    lines += [
        "## Protocol notes", "",
        "- The feature model's numeric attributes are discretised (PLEDGE needs Boolean features); our domains "
        "are in `repro/spaces/featurenet/model.py`, the paper does not print its own.",
        "- Fig. 7 of the paper counts architectures; ours plots the same as a fraction (ECDF).",
        "- Validation accuracy picks the tops; the paper does not say how it picked them.",
        f"- Generated {provenance.now():%Y-%m-%d %H:%M} UTC by repro {provenance.code_version()}; "
        f"provenance: {_provenance(outcome)}.", "",
    ]  # fmt: skip
    return "\n".join(lines)


# -- claims ----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _configurations_built(count: int) -> int:
    """How many of ``count`` seeded random valid configurations compile and run (shapes only, no weights)."""
    import torch

    limits, rng, built = Limits(), np.random.default_rng(0), 0
    with torch.device("meta"):
        for _ in range(count):
            graph = limits.check(random_config(rng, limits))
            built += compile_graph(graph)(torch.empty(1, *limits.input_shape)).shape == (1, limits.classes)
    return built


def structural_measurements() -> list[Measured]:
    """Sizes of LeNet5 and SqueezeNet as built, and the 1,000-configuration build check (no cache needed)."""
    fm, hand = get_space("featurenet"), get_space("handcrafted")
    out = []
    for dataset, shape in (("mnist", (1, 28, 28)), ("cifar10", (3, 32, 32))):
        graph = fm.graph(known.lenet5(), shape, 10)  # type: ignore[attr-defined]
        out.append(Measured(f"lenet5_{dataset}_size", "any", graph.params, f"Fig. 4's configuration on {shape}",
                            "counted from the layer graph (equal to the built module's count)"))  # fmt: skip
        out.append(Measured(f"squeezenet_{dataset}_size", "any", count_params(hand.build("squeezenet1_1", shape, 10)),
                            f"torchvision SqueezeNet 1.1 on {shape}", "repro.cost.count_params"))  # fmt: skip
    out.append(Measured("rq1_configurations_built", "any", _configurations_built(BUILD_CHECK),
                        f"{BUILD_CHECK:,} random valid configurations (seed 0, variant paper, MNIST shape), validated "
                        "and compiled, one forward pass on the meta device",
                        "repro.spaces.featurenet"))  # fmt: skip
    return out


def measurements(outcome: Outcome) -> list[Measured]:
    """Our values for the paper's claims at ``outcome``'s profile (a proxy's are shown, never judged)."""
    nums = numbers(outcome)
    name, prov = outcome.experiment.name, _provenance(outcome)
    tag = "cifar10" if outcome.recipe.dataset == "cifar-10" else "mnist"
    where = _data_label(outcome.recipe)
    table = {row["architecture"]: row for row in nums["table1"]}
    out = [Measured(f"{key}_{tag}_acc", name, round(table[arch]["test_acc"], 4), f"{arch} ({where})", prov)
           for key, arch in (("lenet5", "LeNet5"), ("top_s1", "Top S1"), ("top_s2", "Top S2"), ("top_s3", "Top S3"),
                             ("squeezenet", "SqueezeNet"))]  # fmt: skip
    for top in ("top_s1", "top_s2"):
        arch = top.replace("top_s", "Top S")
        beats = table[arch]["test_acc"] > table["LeNet5"]["test_acc"]
        out.append(Measured(f"{top}_beats_lenet5_{tag}", name, "yes" if beats else "no",
                            f"{arch} {table[arch]['test_acc']:.2f}% vs LeNet5 "
                            f"{table['LeNet5']['test_acc']:.2f}% ({where})",
                            prov))  # fmt: skip
    below = nums["below_per_1000"]["diversity"]
    size = len(_flat(outcome, "diversity"))
    out += [Measured(f"{tag}_below_{t}_per_1000", name, below[t], f"diverse sample of {size} ({where})", prov)
            for t in ("30", "50")]  # fmt: skip
    rq1, dvr = nums["rq1"], nums["diversity_vs_random"]
    out += [
        Measured("sampled_trained", name, rq1["trained"], f"of {rq1['sampled']} sampled; not a paper number", prov),
        Measured("lenet5_equivalence_max_gap", name, round(rq1["lenet5_equivalence"].get("max_gap", math.nan), 6),
                 "feature-model vs hand-written LeNet5, mean curves; not a paper number", prov),
        Measured("diversity_mean_distance", name, round(statistics.fmean(d["diversity"] for d in dvr["distance"]), 6),
                 "mean pairwise Jaccard distance of the diverse sets; not a paper number", prov),
        Measured("random_mean_distance", name, round(statistics.fmean(d["random"] for d in dvr["distance"]), 6),
                 "mean pairwise Jaccard distance of the random sets; not a paper number", prov),
        Measured("diversity_vs_random_a12", name, round(dvr["all"]["a12"], 4),
                 f"A12 of diverse over random test accuracies, p = {dvr['all']['mw_p']:.3g}; not a paper number", prov),
    ]  # fmt: skip
    return out


__all__ = ["EXPERIMENTS", "Experiment", "Outcome", "describe_profile", "get_experiment",
           "measurements", "numbers", "reported", "run", "total_evaluations", "write_report"]  # fmt: skip
