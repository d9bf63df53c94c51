"""Reproduce Xiong, Mehta & Singh, "Resource Constrained Neural Network Architecture Search" (ICCV 2019).

Composes registered parts: the ``rcas`` space, the greedy algorithms of :mod:`repro.greedy`, and
the cache-backed evaluator. F(S) is the validation accuracy of the network whose positions hold
the blocks of S (on top of the forced type-5 blocks), trained by the experiment's recipe with
training seed 0; every F goes through the cache. The budget is the cost of the experiment's
reference layout (MobileNetV2 on CIFAR; a MobileNetV2-like fill of the proxy skeleton on the
``smoke`` proxy), counted from the built network: all trainable parameters, and the MAdds of the
convolutions only.

Beside RCAS (UC, APR, AMR): plain CEG with unit cost (for the evaluation count), random block
additions under the same budget (whose chains are also the monotonicity study of Section 4.3),
random search over position vectors with RCAS's count of distinct F evaluations (one run per
random seed, so RCAS's F is placed in a distribution), and a type-5-only RCAS (the block-diversity
ablation).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from papers.replay import named_experiment, read_reported, retrain_all
from repro.cache.store import Store
from repro.claims import Measured
from repro.cost import count_macs, count_params
from repro.data.datasets import get_spec
from repro.evaluator import Evaluator
from repro import plots, stats
from repro.greedy import (
    Budget,
    GreedyResult,
    Problem,
    Violations,
    cost_effective_greedy,
    marginal_gains,
    random_fill,
    rcas,
    violations,
)
from repro.recipe import Recipe, as_recipe
from repro.spaces import get_space
from repro.spaces.rcas.genome import BLOCK_TYPES, Genome, seed_genome

HERE = Path(__file__).parent

MOBILENETV2_CIFAR = (5, 5, 0, 0, 0, 0, 5, 5, 5, 0, 0, 0, 5, 5, 5, 5, 0, 0, 5, 5, 5, 0, 0, 0, 5, 5, 5, 0, 0, 0,
                     5, 0, 0, 0, 0, 0)  # fmt: skip
"""MobileNetV2's CIFAR layout (bottlenecks 1, 2, 3, 4, 3, 3, 1 after the t=1 block) on the rcas skeleton."""

PROXY_REFERENCE = (5, 5, 0, 5, 5, 0, 5, 5, 0)
"""The proxy budget's reference: two type-5 blocks per stage of a 9-position proxy skeleton (ours, not the paper's)."""


@dataclass(frozen=True)
class Experiment:
    """One scale of the reproduction."""

    name: str
    recipe: str | Recipe
    variant: str
    reference: tuple[int, ...]
    random_seeds: tuple[int, ...]
    about: str
    train_seed: int = 0
    types: tuple[int, ...] = tuple(BLOCK_TYPES)
    """The block types RCAS may place (the type-5-only ablation always uses ``(5,)``)."""
    final_recipe: str | Recipe | None = None
    """Training from scratch of RCAS's network and the reference (Table 2); None: no final training."""
    final_seeds: tuple[int, ...] = (0, 1, 2)


EXPERIMENTS = {
    "smoke": Experiment(
        "smoke", "rcas-smoke", "fmnist-small", PROXY_REFERENCE, (0, 1, 2, 3, 4),
        about="CPU proxy: Fashion-MNIST (not CIFAR-100), the 9-position fmnist-small skeleton, 500 training "
        "images, 2 epochs; the budget is the proxy reference's cost; final training on 2,000 images for 4 epochs",
        final_recipe="rcas-final-smoke",
    ),
    "gpu": Experiment(
        "gpu", "rcas-gpu", "cifar", MOBILENETV2_CIFAR, (0, 1, 2),
        about="CIFAR-100, the paper's 36-position skeleton and MobileNetV2 budget, 4 epochs per F: several "
        "GPU leases, resumable; final training 30 epochs",
        final_recipe="rcas-final-gpu",
    ),
    "paper": Experiment(
        "paper", "rcas-paper", "cifar", MOBILENETV2_CIFAR, tuple(range(20)),
        about="the paper's search recipe (10 epochs, lr decay at 4, 7, 9) on CIFAR-100 and its final training "
        "(200 epochs, decay at 60, 120, 180, crop + flip): GPU days",
        final_recipe="rcas-final", final_seeds=(0, 1, 2, 3, 4),
    ),
}  # fmt: skip


def get_experiment(name: str) -> Experiment:
    """The named experiment, or a ReproError listing them."""
    return named_experiment("rcas", EXPERIMENTS, name)


def reported() -> dict[str, Any]:
    """The paper's numbers, as printed (``reported.toml``)."""
    return read_reported(HERE)


@functools.lru_cache(maxsize=4096)
def costs(genome: Genome, input_shape: tuple[int, int, int], classes: int) -> dict[str, int]:
    """Params (all trainable) and MAdds (convolutions only, per image) as the paper counts them."""
    net = get_space("rcas").build(genome, input_shape, classes)
    return {"params": count_params(net), "madds": count_macs(net, input_shape, linear=False)}


def genome_of(variant: str, selected: frozenset) -> Genome:
    """The seed genome with every ``(position, type)`` of ``selected`` filled in."""
    genome = seed_genome(variant)
    for position, block in sorted(selected):
        genome = genome.with_position(position, block)
    return genome


@dataclass
class Outcome:
    """Everything the report is made of; accuracies are validation accuracies in [0, 1]."""

    experiment: Experiment
    recipe: Recipe
    budget: dict[str, int]
    reference_value: float
    rcas_best: str
    rcas: dict[str, GreedyResult]
    plain_uc: GreedyResult
    type5_best: str
    type5: dict[str, GreedyResult]
    chains: list[list[float]]
    chain_sets: list[list[frozenset]]
    random_search: list[float]
    nested: Violations
    """Monotonicity and diminishing-returns violations among plain CEG's marginal gains on nested sets."""
    final: dict[str, list[Any]]
    """Final training (Table 2): ``"RCAS"`` and ``"reference"`` -> one cached row per final seed."""
    evaluations: list[Any]
    """Every cached row the outcome read, in order of first use."""


class _F:
    """F(S) through the evaluator, remembering the rows it read (for provenance and counts)."""

    def __init__(self, evaluator: Evaluator, experiment: Experiment, on_step: Callable[[], None] | None) -> None:
        self.evaluator = evaluator
        self.experiment = experiment
        self.on_step = on_step
        self.rows: dict[str, Any] = {}

    def genome(self, genome: Genome) -> float:
        evaluation, _ = self.evaluator.evaluate(genome, self.experiment.train_seed)
        if evaluation.genome_key not in self.rows:
            self.rows[evaluation.genome_key] = evaluation
            if self.on_step is not None:
                self.on_step()
        return evaluation.value("val_acc")

    def __call__(self, selected: frozenset) -> float:
        return self.genome(genome_of(self.experiment.variant, selected))


def _problem(experiment: Experiment, f: _F, budget: dict[str, int], types: tuple[int, ...]) -> Problem:
    spec = get_spec(f.evaluator.recipe.dataset)
    skeleton = seed_genome(experiment.variant).skeleton
    forced = set(skeleton.forced_positions())
    ground = [(p, t) for p in range(skeleton.size) if p not in forced for t in types]

    def resources(selected: frozenset) -> dict[str, int]:
        return costs(genome_of(experiment.variant, selected), spec.input_shape, spec.num_classes)

    return Problem(ground, f, Budget(resources, budget), frozenset(), group=lambda element: element[0])


def _random_vector(problem: Problem, rng: np.random.Generator) -> frozenset:
    """A random position vector within the budget: free positions in random order, each empty or a fitting type.

    Uniform rejection sampling of whole vectors almost never fits a MobileNetV2-sized budget, so
    each position draws uniformly among "empty" and the types that still fit.
    """
    by_position: dict[Any, list[Any]] = {}
    for element in problem.ground:
        by_position.setdefault(element[0], []).append(element)
    selected = problem.start
    for position in rng.permutation(sorted(by_position)):
        options = [None] + [e for e in by_position[int(position)] if problem.eligible(e, selected)]
        choice = options[int(rng.integers(len(options)))]
        if choice is not None:
            selected = selected | {choice}
    return selected


def _random_search(problem: Problem, count: int, seed: int) -> float:
    """Best F of ``count`` distinct random position vectors within the budget (fewer if the space runs out)."""
    rng = np.random.default_rng(seed)
    seen: set[frozenset] = set()
    for _ in range(20 * count):
        if len(seen) == count:
            break
        seen.add(_random_vector(problem, rng))
    return max(problem.f(s) for s in seen)


def run(
    experiment: Experiment,
    store: Store,
    on_miss: str = "error",
    device: str = "auto",
    data_root: str | None = None,
    on_step: Callable[[], None] | None = None,
) -> Outcome:
    """Run (or replay from the cache) RCAS, its baselines and ablations for ``experiment``."""
    recipe = as_recipe(experiment.recipe)
    space = get_space("rcas", variant=experiment.variant)
    evaluator = Evaluator(space, recipe, store, on_miss=on_miss, device=device, data_root=data_root)
    f = _F(evaluator, experiment, on_step)
    spec = get_spec(recipe.dataset)
    reference = Genome(experiment.variant, experiment.reference)
    budget = costs(reference, spec.input_shape, spec.num_classes)
    reference_value = f.genome(reference)
    problem = _problem(experiment, f, budget, experiment.types)
    best, results = rcas(problem)
    plain = cost_effective_greedy(problem)
    type5_best, type5 = rcas(_problem(experiment, f, budget, (5,)))
    chain_sets = [random_fill(problem, np.random.default_rng(seed)) for seed in experiment.random_seeds]
    chains = [[f(s) for s in chain] for chain in chain_sets]
    distinct = len(set().union(*(r.evaluated for r in results.values())))
    # Each random-search run costs as many distinct F evaluations as RCAS itself.
    searches = [_random_search(problem, distinct, seed) for seed in experiment.random_seeds]
    nested = violations(marginal_gains(problem, plain))
    finalists = {"RCAS": genome_of(experiment.variant, results[best].selected), "reference": reference}
    final = _final_training(experiment, space, store, on_miss, device, data_root, finalists, on_step)
    return Outcome(experiment, recipe, budget, reference_value, best, results, plain, type5_best, type5, chains,
                   chain_sets, searches, nested, final, list(f.rows.values()))  # fmt: skip


def _final_training(experiment: Experiment, space: Any, store: Store, on_miss: str, device: str,
                    data_root: str | None, finalists: dict[str, Genome],
                    on_step: Callable[[], None] | None) -> dict[str, list[Any]]:  # fmt: skip
    """Train each finalist from scratch with the final recipe, once per final seed (rows through the cache)."""
    if experiment.final_recipe is None:
        return {}
    evaluator = Evaluator(space, as_recipe(experiment.final_recipe), store, on_miss=on_miss, device=device,
                          data_root=data_root)  # fmt: skip
    retrained = retrain_all(evaluator, {name: [genome] for name, genome in finalists.items()}, experiment.final_seeds,
                            on_step)  # fmt: skip
    return {name: rows for name, (rows,) in retrained.items()}


# -- numbers ---------------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def _path_rows(outcome: Outcome, result: GreedyResult) -> list[dict[str, Any]]:
    """The search path: the block added at each step, F, params and MAdds after it (Fig. 3/4 style)."""
    spec = get_spec(outcome.recipe.dataset)
    rows, selected = [], frozenset()
    for element, value in result.path:
        selected = selected | {element}
        cost = costs(genome_of(outcome.experiment.variant, selected), spec.input_shape, spec.num_classes)
        rows.append({"position": element[0], "type": element[1], "val_acc": value, **cost})
    return rows


def monotonicity(chains: list[list[float]]) -> dict[str, Any]:
    """Mean F after k random blocks (Section 4.3's study), and how often a random block lowered F.

    Diminishing returns needs the same block added to nested sets, which random chains do not
    give; it is counted on plain CEG's gains instead (``Outcome.nested``).
    """
    longest = max(len(c) for c in chains)
    by_k = [[c[k] for c in chains if len(c) > k] for k in range(longest)]
    gains = [b - a for c in chains for a, b in zip(c, c[1:])]
    return {
        "mean_by_blocks": [statistics.fmean(v) for v in by_k],
        "n_by_blocks": [len(v) for v in by_k],
        "monotonicity_violations": sum(x < 0 for x in gains),
        "steps": len(gains),
    }


def _final_numbers(outcome: Outcome) -> dict[str, Any]:
    """Test accuracy of each finalist over the final seeds, and RCAS against the reference (stats.compare)."""
    if not outcome.final:
        return {}
    out: dict[str, Any] = {"recipe": outcome.final["RCAS"][0].recipe_key, "seeds": list(outcome.experiment.final_seeds)}
    for name, rows in outcome.final.items():
        accs = [row.value("test_acc") for row in rows]
        out[name] = {"test_acc": accs, "mean_sd": _mean_sd(accs)}
    comparison = stats.compare(out["RCAS"]["test_acc"], out["reference"]["test_acc"], names=("RCAS", "reference"))
    out["comparison"] = {"a12": comparison.a12, "mw_p": comparison.mw_p, "diff": comparison.diff,
                         "diff_ci": [comparison.diff_lo, comparison.diff_hi], "markdown": comparison.to_markdown()}  # fmt: skip
    return out


def numbers(outcome: Outcome) -> dict[str, Any]:
    """Every reported quantity of one outcome, as plain data."""
    spec = get_spec(outcome.recipe.dataset)
    space = get_space("rcas")

    def summary(result: GreedyResult) -> dict[str, Any]:
        genome = genome_of(outcome.experiment.variant, result.selected)
        return {"val_acc": result.value, "evaluations": result.evaluations, "architecture": space.describe(genome),
                **costs(genome, spec.input_shape, spec.num_classes), "path": _path_rows(outcome, result)}  # fmt: skip

    finals = [chain[-1] for chain in outcome.chains]
    random_costs = [costs(genome_of(outcome.experiment.variant, c[-1]), spec.input_shape, spec.num_classes)
                    for c in outcome.chain_sets]  # fmt: skip
    best = outcome.rcas[outcome.rcas_best]
    return {
        "budget": outcome.budget,
        "reference": {"val_acc": outcome.reference_value,
                      "architecture": space.describe(Genome(outcome.experiment.variant, outcome.experiment.reference))},
        "rcas_best": outcome.rcas_best,
        "rcas": {name: summary(r) for name, r in outcome.rcas.items()},
        "rcas_distinct_evaluations": len(set().union(*(r.evaluated for r in outcome.rcas.values()))),
        "plain_ceg_uc": {**summary(outcome.plain_uc),
                         "same_choices_as_lazy_uc": outcome.plain_uc.path == outcome.rcas["UC"].path},
        "type5_only": {"best": outcome.type5_best, **summary(outcome.type5[outcome.type5_best])},
        "random_blocks": {"val_acc": finals, "mean_sd": _mean_sd(finals),
                          "params": [c["params"] for c in random_costs], "madds": [c["madds"] for c in random_costs],
                          "rcas_beats": sum(best.value > v for v in finals)},
        "random_search": {"best_val_acc": outcome.random_search, "seeds": list(outcome.experiment.random_seeds),
                          "mean_sd": _mean_sd(outcome.random_search),
                          "evaluations_each": len(set().union(*(r.evaluated for r in outcome.rcas.values()))),
                          "rcas_beats": sum(best.value > v for v in outcome.random_search)},
        "monotonicity": monotonicity(outcome.chains),
        "nested_gains": dataclasses.asdict(outcome.nested),
        "final": _final_numbers(outcome),
        "rows_trained_or_cached": len(_rows(outcome)),
    }  # fmt: skip


# -- report ----------------------------------------------------------------------------------------


def _data_label(dataset: str) -> str:
    """The dataset, marked as a proxy unless it is the paper's CIFAR-100."""
    return dataset if dataset == "cifar-100" else f"{dataset} proxy"


def describe_profile(outcome: Outcome) -> str:
    """One line naming the scale, data and devices that produced an outcome's numbers."""
    e, r = outcome.experiment, outcome.recipe
    devices = sorted({row.device for row in _rows(outcome) if row.status == "ok"})
    return (
        f"profile `{e.name}`: skeleton {e.variant}, {_data_label(r.dataset)}, "
        f"budget {outcome.budget['params']:,} params / {outcome.budget['madds']:,} MAdds, F = val_acc after {r.epochs} "
        f"epochs ({r.optimizer}, lr {r.lr}, milestones {list(r.lr_milestones)}), {r.train_size or 'all'} training "
        f"images, val {r.val_size}, training seed {e.train_seed}, random seeds {len(e.random_seeds)}, "
        f"device {'; '.join(devices)}"
    )


def _plot_paths(outcome: Outcome, nums: dict[str, Any], path: Path, caption: str) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for name, data in nums["rcas"].items():
        rows = data["path"]
        for ax, cost in zip(axes, ("params", "madds")):
            ax.plot([r[cost] for r in rows], [100 * r["val_acc"] for r in rows], marker="o", label=name)
    for ax, cost, limit in zip(axes, ("params", "madds"), (outcome.budget["params"], outcome.budget["madds"])):
        ax.axvline(limit, color="0.4", ls="--", label="budget")
        ax.axhline(100 * outcome.reference_value, color="0.6", ls=":", label="reference (MobileNetV2 layout)")
        ax.set_xlabel(cost)
        ax.set_ylabel("validation accuracy (%)")
        ax.legend(frameon=False, fontsize=8)
    fig.suptitle(f"RCAS search paths (Fig. 3/4 style), reproduced [{outcome.experiment.name}]")
    return plots.save_figure(fig, path, caption, top=0.95)


def _plot_monotonicity(outcome: Outcome, nums: dict[str, Any], path: Path, caption: str) -> Path:
    mono = nums["monotonicity"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ks = list(range(len(mono["mean_by_blocks"])))
    ax.plot(ks, [100 * v for v in mono["mean_by_blocks"]], marker="o",
            label=f"reproduced ({_data_label(outcome.recipe.dataset)}, mean over {len(outcome.chains)} chains)")
    paper = reported()["monotonicity"]["mean_acc"]
    ax.plot(range(1, len(paper) + 1), paper, marker="s", ls="--", label="reported (CIFAR-100, 500 networks)")
    ax.set_xlabel("random blocks added to the forced type-5 blocks")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"Section 4.3 monotonicity study, reproduced [{outcome.experiment.name}]")
    ax.legend(frameon=False)
    return plots.save_figure(fig, path, caption)


def _plot_final(outcome: Outcome, nums: dict[str, Any], path: Path, caption: str) -> Path:
    final = nums["final"]
    names = ["RCAS", "reference"]
    values = [100 * v for name in names for v in final[name]["test_acc"]]
    labels = [name for name in names for _ in final[name]["test_acc"]]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    sns.boxplot(x=labels, y=values, hue=labels, ax=ax, width=0.45, palette="pastel", showfliers=False, legend=False)
    sns.stripplot(x=labels, y=values, hue=labels, ax=ax, size=7, palette="dark", legend=False)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"Trained from scratch: RCAS vs reference (A12 {final['comparison']['a12']:.2f}) "
                 f"[{outcome.experiment.name}]", fontsize=10)  # fmt: skip
    return plots.save_figure(fig, path, caption, bottom=0.08)


def write_report(outcome: Outcome, out_dir: Path) -> list[Path]:
    """Figures (PNG), ``summary.md`` and ``numbers.json`` under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    nums = numbers(outcome)
    profile = describe_profile(outcome)
    caption = f"Reproduced by repro ({profile})."
    paths = [
        _plot_paths(outcome, nums, out_dir / "search_paths.png", caption),
        _plot_monotonicity(outcome, nums, out_dir / "monotonicity.png", caption),
    ]
    if nums["final"]:
        final = as_recipe(outcome.experiment.final_recipe)
        final_caption = (f"Reproduced by repro: final training with recipe {final.profile} ({final.key}: "
                         f"{_data_label(final.dataset)}, {final.epochs} epochs, {final.augmentation}) of the networks "
                         f"found at {profile}.")  # fmt: skip
        paths.append(_plot_final(outcome, nums, out_dir / "final.png", final_caption))
    summary = out_dir / "summary.md"
    summary.write_text(_summary(outcome, nums, profile))
    numbers_path = out_dir / "numbers.json"
    numbers_path.write_text(json.dumps({"profile": profile, "numbers": nums}, indent=1, default=str) + "\n")
    return paths + [summary, numbers_path]


def _summary(outcome: Outcome, nums: dict[str, Any], profile: str) -> str:
    e = outcome.experiment
    paper = reported()
    dataset = outcome.recipe.dataset
    data = dataset if dataset == "cifar-100" else f"{dataset} **proxy** (not CIFAR-100)"
    lines = [
        f"# RCAS (Xiong, Mehta & Singh, ICCV 2019) — reproduction, profile `{e.name}`", "",
        f"*{profile}.* {e.about}.", "",
        "**Reported** = printed in the paper (CIFAR-100). **Reproduced** = computed by this project from the cache "
        f"(`repro reproduce rcas --profile {e.name}`), validation accuracy on {data}. Accuracies of different "
        "datasets or scales are not comparable; params and MAdds are exact counts of the built networks "
        "(MAdds: convolutions only, per image).", "",
        "## Table 2 (CIFAR-100), reported rows beside ours", "",
        "| architecture | top-1 | top-5 | params | MAdds | method | source |", "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]  # fmt: skip
    for row in paper["table2"]:
        lines.append(f"| {row['architecture']} | {row['top1']} | {row['top5']} | {row['params']} | {row['madds']} | "
                     f"{row['method']} | reported |")  # fmt: skip
    ref = nums["reference"]
    lines.append(f"| reference layout ({ref['architecture']}) | {_pct(ref['val_acc'])} val | — | "
                 f"{nums['budget']['params']:,} | {nums['budget']['madds']:,} | manual | reproduced, {data} |")  # fmt: skip
    best = nums["rcas"][nums["rcas_best"]]
    lines.append(f"| RCAS ({nums['rcas_best']}; {best['architecture']}) | {_pct(best['val_acc'])} val | — | {best['params']:,} | "
                 f"{best['madds']:,} | RCAS | reproduced, {data}, search-time F |")  # fmt: skip
    final = nums["final"]
    if final:
        for name, label, cost in (("RCAS", f"RCAS ({nums['rcas_best']}), trained from scratch", best),
                                  ("reference", "reference layout, trained from scratch", nums["budget"])):
            mean, sd = final[name]["mean_sd"]
            lines.append(f"| {label} | {_pct(mean)} ± {100 * sd:.2f} test | — | {cost['params']:,} | {cost['madds']:,} | "
                         f"{'RCAS' if name == 'RCAS' else 'manual'} | reproduced, {data}, {len(final['seeds'])} seeds |")  # fmt: skip
    lines += [
        "",
        *(_final_section(outcome, final, data) if final else []),
        "## RCAS and its baselines", "",
        "| search | val accuracy | params | MAdds | distinct F evaluations | architecture |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]  # fmt: skip
    for name, r in nums["rcas"].items():
        lines.append(f"| lazy CEG, {name} | {_pct(r['val_acc'])} | {r['params']:,} | {r['madds']:,} | {r['evaluations']} | "
                     f"{r['architecture']} |")  # fmt: skip
    plain = nums["plain_ceg_uc"]
    lines.append(f"| plain CEG (Alg. 1), UC | {_pct(plain['val_acc'])} | {plain['params']:,} | {plain['madds']:,} | "
                 f"{plain['evaluations']} | {plain['architecture']} |")  # fmt: skip
    t5 = nums["type5_only"]
    lines.append(f"| type-5-only RCAS ({t5['best']}) | {_pct(t5['val_acc'])} | {t5['params']:,} | {t5['madds']:,} | "
                 f"{t5['evaluations']} | {t5['architecture']} |")  # fmt: skip
    rb = nums["random_blocks"]
    mean, sd = rb["mean_sd"]
    rs = nums["random_search"]
    lines += [
        f"| random blocks to the budget ({len(rb['val_acc'])} seeds) | {_pct(mean)} ± {100 * sd:.2f} | "
        f"max {max(rb['params']):,} | max {max(rb['madds']):,} | {len(rb['val_acc'])} | — |",
        f"| random search over position vectors ({len(rs['seeds'])} seeds, best of each) | {_pct(rs['mean_sd'][0])} ± "
        f"{100 * rs['mean_sd'][1]:.2f} | within budget | within budget | {rs['evaluations_each']} each | — |", "",
        f"RCAS's {nums['rcas_distinct_evaluations']} distinct F evaluations (UC, APR and AMR together; the cache "
        f"shares their first pass) against plain CEG's {plain['evaluations']} for UC alone; plain CEG "
        f"{'made the same choices as' if plain['same_choices_as_lazy_uc'] else 'chose differently from'} lazy CEG "
        f"(F is not exactly submodular, so they may differ). RCAS's best beats {rb['rcas_beats']} of "
        f"{len(rb['val_acc'])} random-block networks and {rs['rcas_beats']} of {len(rs['seeds'])} random-search runs "
        f"under the same number of F evaluations (their bests: "
        f"{', '.join(_pct(v) for v in rs['best_val_acc'])}).", "",
        "## Monotonicity and diminishing returns (Section 4.3)", "",
        *_monotonicity_table(nums["monotonicity"], paper["monotonicity"]["mean_acc"]), "",
    ]  # fmt: skip
    mono, nested = nums["monotonicity"], nums["nested_gains"]
    lines += [
        f"Along our random chains, {mono['monotonicity_violations']} of {mono['steps']} block additions lowered F. "
        f"On the nested sets of plain CEG's path (every eligible block scored at every step, so no extra training), "
        f"{nested['monotonicity']} of {nested['gains']} marginal gains were negative (monotonicity violations) and "
        f"{nested['diminishing_returns']} of {nested['pairs']} pairs (block v, sets A ⊂ B) had Δ(v|B) > Δ(v|A) "
        "(diminishing-returns violations).", "",
        "![search paths](search_paths.png)", "", "![monotonicity](monotonicity.png)", "",
        *(["![final training](final.png)", ""] if final else []),
        f"Provenance: {_provenance(_rows(outcome))}.", "",
    ]  # fmt: skip
    return "\n".join(lines)


def _monotonicity_table(mono: dict[str, Any], reported_means: list[float]) -> list[str]:
    """Mean F after k blocks, ours beside the paper's (which starts at k = 1), padded to the longer of the two."""
    ours = [f"{100 * v:.2f} ({n})" for v, n in zip(mono["mean_by_blocks"], mono["n_by_blocks"])]
    theirs = ["—"] + [f"{v}" for v in reported_means]
    width = max(len(ours), len(theirs))
    pad = lambda cells: cells + ["—"] * (width - len(cells))  # noqa: E731
    return [
        "| blocks added | " + " | ".join(str(k) for k in range(width)) + " |",
        "| --- |" + " ---: |" * width,
        "| reproduced mean (n) | " + " | ".join(pad(ours)) + " |",
        "| reported (CIFAR-100) | " + " | ".join(pad(theirs)) + " |",
    ]


def _final_section(outcome: Outcome, final: dict[str, Any], data: str) -> list[str]:
    recipe = as_recipe(outcome.experiment.final_recipe)
    return [
        "## Final training: RCAS's network vs the reference under the same budget", "",
        f"Both trained from scratch with recipe `{recipe.profile}` ({final['recipe']}: {recipe.epochs} epochs, "
        f"{recipe.optimizer}, lr {recipe.lr}, milestones {list(recipe.lr_milestones)}, augmentation "
        f"{recipe.augmentation}, {recipe.train_size or 'all'} training images) on {data}; test accuracy over training "
        f"seeds {final['seeds']}.", "",
        final["comparison"]["markdown"], "",
    ]


# -- claims ----------------------------------------------------------------------------------------


def _rows(outcome: Outcome) -> list[Any]:
    """Every cached row behind an outcome: the search's F evaluations, then the final trainings."""
    return outcome.evaluations + [row for rows in outcome.final.values() for row in rows]


def _provenance(evaluations: list[Any]) -> str:
    ok = [e for e in evaluations if e.status == "ok"]
    return (
        f"{len(evaluations)} cached rows, recipe {', '.join(sorted({e.recipe_key for e in evaluations}))}; "
        f"code {', '.join(sorted({str(e.code_version) for e in ok}))}; device {', '.join(sorted({str(e.device) for e in ok}))}"
    )


def structural_measurements() -> list[Measured]:
    """MobileNetV2-CIFAR-100's params and MAdds on the rcas skeleton, counted from the built network."""
    counted = costs(Genome("cifar", MOBILENETV2_CIFAR), (3, 32, 32), 100)
    how = "counted from the built network (repro.cost; MAdds = convolutions only), incl. the supplement's shortcut convs"
    return [
        Measured("mobilenetv2_params", "any", counted["params"], "MobileNetV2-CIFAR-100 from type-5 blocks", how),
        Measured("mobilenetv2_madds", "any", counted["madds"], "MobileNetV2-CIFAR-100 from type-5 blocks", how),
    ]


def measurements(outcome: Outcome) -> list[Measured]:
    """Our values for the paper's claims at ``outcome``'s profile."""
    nums = numbers(outcome)
    name = outcome.experiment.name
    prov = _provenance(_rows(outcome))
    means = nums["monotonicity"]["mean_by_blocks"]
    within = all(r["params"] <= nums["budget"]["params"] and r["madds"] <= nums["budget"]["madds"]
                 for r in nums["rcas"].values())  # fmt: skip
    rising = all(b >= a for a, b in zip(means[1:], means[2:]))
    out = [
        Measured("rcas_within_budget", name, "yes" if within else "no",
                 "UC, APR and AMR final networks against the reference's params and MAdds", prov),
        Measured("random_block_mean_rises", name, "yes" if rising else "no",
                 "mean F after 1, 2, ... random blocks: " + ", ".join(f"{100 * v:.2f}" for v in means[1:]), prov),
        Measured("lazy_fewer_evaluations", name,
                 "yes" if nums["rcas"]["UC"]["evaluations"] < nums["plain_ceg_uc"]["evaluations"] else "no",
                 f"lazy UC {nums['rcas']['UC']['evaluations']} vs plain UC {nums['plain_ceg_uc']['evaluations']}", prov),
    ]  # fmt: skip
    final = nums["final"]
    if final:
        rcas_mean, ref_mean = final["RCAS"]["mean_sd"][0], final["reference"]["mean_sd"][0]
        detail = f"mean test accuracy over {len(final['seeds'])} seeds: RCAS {100 * rcas_mean:.2f}%, reference {100 * ref_mean:.2f}%"
        out += [
            Measured("rcnet_top1", name, round(100 * rcas_mean, 4), detail, prov),
            Measured("rcas_beats_reference", name, "yes" if rcas_mean > ref_mean else "no", detail, prov),
        ]
    rs = nums["random_search"]
    out.append(Measured("rcas_beats_random_search", name, f"{rs['rcas_beats']} of {len(rs['seeds'])}",
                        f"random-search runs with RCAS's {rs['evaluations_each']} distinct F evaluations each, best F "
                        f"{', '.join(_pct(v) for v in rs['best_val_acc'])}; not a paper claim", prov))  # fmt: skip
    for k, value in enumerate(means[1:9], start=1):
        out.append(Measured(f"random_blocks_{k}_mean_acc", name, round(100 * value, 4),
                            f"{nums['monotonicity']['n_by_blocks'][k]} chains", prov))  # fmt: skip
    return out


def total_evaluations(experiment: Experiment) -> int | None:
    """Greedy searches stop when the budget is spent, so the count is not known in advance (no progress total)."""
    return None


__all__ = ["EXPERIMENTS", "Experiment", "Outcome", "describe_profile", "get_experiment",
           "measurements", "numbers", "reported", "run", "total_evaluations", "write_report"]  # fmt: skip
