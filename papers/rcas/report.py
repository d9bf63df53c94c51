"""RCAS: the report of one outcome (search paths, monotonicity and final-training figures, ``summary.md``,
``numbers.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import seaborn as sns

from papers.rcas.numbers import describe_provenance, numbers, pct
from papers.rcas.reproduce import HERE, Outcome, all_rows, data_label, describe_profile
from papers.replay import read_reported
from repro import plots
from repro.recipe import as_recipe


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
            label=f"reproduced ({data_label(outcome.recipe.dataset)}, mean over {len(outcome.chains)} chains)")
    paper = read_reported(HERE)["monotonicity"]["mean_acc"]
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
                         f"{data_label(final.dataset)}, {final.epochs} epochs, {final.augmentation}) of the networks "
                         f"found at {profile}.")  # fmt: skip
        paths.append(_plot_final(outcome, nums, out_dir / "final.png", final_caption))
    summary = out_dir / "summary.md"
    summary.write_text(_summary(outcome, nums, profile))
    numbers_path = out_dir / "numbers.json"
    numbers_path.write_text(json.dumps({"profile": profile, "numbers": nums}, indent=1, default=str) + "\n")
    return paths + [summary, numbers_path]


def _summary(outcome: Outcome, nums: dict[str, Any], profile: str) -> str:
    e = outcome.experiment
    paper = read_reported(HERE)
    dataset = outcome.recipe.dataset
    data = dataset if dataset == "cifar-100" else f"{dataset} **proxy** (not CIFAR-100)"
    lines = [
        f"# RCAS (Xiong, Mehta & Singh, ICCV 2019) — reproduction, profile `{e.name}`", "",
        f"*{profile}.* {e.about}.", "",
        "**Reported** = printed in the paper (CIFAR-100). **Reproduced** = computed by this project from the cache "
        f"(`repro reproduce rcas --scale {e.name}`), validation accuracy on {data}. Accuracies of different "
        "datasets or scales are not comparable; params and MAdds are exact counts of the built networks "
        "(MAdds: convolutions only, per image).", "",
        "## Table 2 (CIFAR-100), reported rows beside ours", "",
        "| architecture | top-1 | top-5 | params | MAdds | method | source |", "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]  # fmt: skip
    for row in paper["table2"]:
        lines.append(f"| {row['architecture']} | {row['top1']} | {row['top5']} | {row['params']} | {row['madds']} | "
                     f"{row['method']} | reported |")  # fmt: skip
    ref = nums["reference"]
    lines.append(f"| reference layout ({ref['architecture']}) | {pct(ref['val_acc'])} val | — | "
                 f"{nums['budget']['params']:,} | {nums['budget']['madds']:,} | manual | reproduced, {data} |")  # fmt: skip
    best = nums["rcas"][nums["rcas_best"]]
    lines.append(f"| RCAS ({nums['rcas_best']}; {best['architecture']}) | {pct(best['val_acc'])} val | — | {best['params']:,} | "
                 f"{best['madds']:,} | RCAS | reproduced, {data}, search-time F |")  # fmt: skip
    final = nums["final"]
    if final:
        for name, label, cost in (("RCAS", f"RCAS ({nums['rcas_best']}), trained from scratch", best),
                                  ("reference", "reference layout, trained from scratch", nums["budget"])):
            mean, sd = final[name]["mean_sd"]
            lines.append(f"| {label} | {pct(mean)} ± {100 * sd:.2f} test | — | {cost['params']:,} | {cost['madds']:,} | "
                         f"{'RCAS' if name == 'RCAS' else 'manual'} | reproduced, {data}, {len(final['seeds'])} seeds |")  # fmt: skip
    lines += [
        "",
        *(_final_section(outcome, final, data) if final else []),
        "## RCAS and its baselines", "",
        "| search | val accuracy | params | MAdds | distinct F evaluations | architecture |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]  # fmt: skip
    for name, r in nums["rcas"].items():
        lines.append(f"| lazy CEG, {name} | {pct(r['val_acc'])} | {r['params']:,} | {r['madds']:,} | {r['evaluations']} | "
                     f"{r['architecture']} |")  # fmt: skip
    plain = nums["plain_ceg_uc"]
    lines.append(f"| plain CEG (Alg. 1), UC | {pct(plain['val_acc'])} | {plain['params']:,} | {plain['madds']:,} | "
                 f"{plain['evaluations']} | {plain['architecture']} |")  # fmt: skip
    t5 = nums["type5_only"]
    lines.append(f"| type-5-only RCAS ({t5['best']}) | {pct(t5['val_acc'])} | {t5['params']:,} | {t5['madds']:,} | "
                 f"{t5['evaluations']} | {t5['architecture']} |")  # fmt: skip
    rb = nums["random_blocks"]
    mean, sd = rb["mean_sd"]
    rs = nums["random_search"]
    lines += [
        f"| random blocks to the budget ({len(rb['val_acc'])} seeds) | {pct(mean)} ± {100 * sd:.2f} | "
        f"max {max(rb['params']):,} | max {max(rb['madds']):,} | {len(rb['val_acc'])} | — |",
        f"| random search over position vectors ({len(rs['seeds'])} seeds, best of each) | {pct(rs['mean_sd'][0])} ± "
        f"{100 * rs['mean_sd'][1]:.2f} | within budget | within budget | {rs['evaluations_each']} each | — |", "",
        f"RCAS's {nums['rcas_distinct_evaluations']} distinct F evaluations (UC, APR and AMR together; the cache "
        f"shares their first pass) against plain CEG's {plain['evaluations']} for UC alone; plain CEG "
        f"{'made the same choices as' if plain['same_choices_as_lazy_uc'] else 'chose differently from'} lazy CEG "
        f"(F is not exactly submodular, so they may differ). RCAS's best beats {rb['rcas_beats']} of "
        f"{len(rb['val_acc'])} random-block networks and {rs['rcas_beats']} of {len(rs['seeds'])} random-search runs "
        f"under the same number of F evaluations (their bests: "
        f"{', '.join(pct(v) for v in rs['best_val_acc'])}).", "",
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
        f"Provenance: {describe_provenance(all_rows(outcome))}.", "",
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


__all__ = ["write_report"]
