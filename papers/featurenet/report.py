"""FeatureNet: the report of one outcome (Fig. 5, 7 and 8 as PNG, ``summary.md``, ``numbers.json``)."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

from papers.featurenet.numbers import comparison, describe_provenance, numbers
from papers.featurenet.reproduce import GROUPS, HERE, Outcome, data_label, describe_profile, is_proxy
from papers.replay import protocol_notes, read_reported, written_by
from repro import plots


def _plot_size(outcome: Outcome, nums: dict[str, Any], path: Path, caption: str) -> Path:
    groups = {
        g: [(p, a) for p, a in zip(nums["sizes"][g], nums["accuracies"][g]) if p and math.isfinite(a)] for g in GROUPS
    }
    references = {
        f"{row['architecture']} (mean of {row['n']} seeds)": (row["size"], row["test_acc"])
        for row in nums["table1"]
        if row["architecture"] in ("LeNet5", "SqueezeNet")
    }
    title = f"Fig. 8 reproduced: accuracy vs size [{data_label(outcome.recipe)}, {outcome.experiment.name}]"
    return plots.accuracy_vs_size(groups, path, title=title, caption=caption, references=references)


def _plot_equivalence(outcome: Outcome, nums: dict[str, Any], path: Path, caption: str) -> Path | None:
    eq = nums["rq1"]["lenet5_equivalence"]
    if not eq["seeds"]:
        return None
    lines = {
        f"{name}, {col.replace('_acc', '')}": [100 * v for v in eq["curves"][name][col]]
        for name in ("feature model", "hand-written")
        for col in ("train_acc", "val_acc")
    }
    title = f"Fig. 5 reproduced: LeNet5, mean of {eq['seeds']} seeds [{data_label(outcome.recipe)}]"
    return plots.epoch_curves(lines, path, title=title, ylabel="accuracy (%)", caption=caption)


def write_report(outcome: Outcome, out_dir: Path) -> list[Path]:
    """Figures (PNG), ``summary.md`` and ``numbers.json`` under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    nums = numbers(outcome)
    caption = f"Reproduced by repro ({describe_profile(outcome)})."
    label = data_label(outcome.recipe)
    paths = [
        plots.ecdfs(
            {g: nums["accuracies"][g] for g in GROUPS},
            out_dir / "fig7_accuracy_cdf.png",
            title=f"Fig. 7 reproduced: sampled architectures [{label}, {outcome.experiment.name}]",
            xlabel="test accuracy (%)",
            caption=caption,
        ),
        _plot_size(outcome, nums, out_dir / "fig8_accuracy_vs_size.png", caption),
    ]
    equivalence = _plot_equivalence(outcome, nums, out_dir / "fig5_lenet5_equivalence.png", caption)
    paths += [equivalence] if equivalence else []
    summary = out_dir / "summary.md"
    summary.write_text(_summary(outcome, nums))
    numbers_path = out_dir / "numbers.json"
    numbers_path.write_text(
        json.dumps({"profile": describe_profile(outcome), "numbers": nums}, indent=1, default=float) + "\n"
    )
    return paths + [summary, numbers_path]


def _pct(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x:.2f}%"


def _summary(outcome: Outcome, nums: dict[str, Any]) -> str:
    e, label = outcome.experiment, data_label(outcome.recipe)
    rq1, paper = nums["rq1"], read_reported(HERE)
    eq = rq1["lenet5_equivalence"]
    proxy = is_proxy(outcome.recipe)
    lines = [
        f"# FeatureNet (Ghamizi et al. 2019) — reproduction, profile `{e.name}` ({label})",
        "",
        f"*{describe_profile(outcome)}.* {e.about}.",
        "",
        "**Reported** = printed in the paper (MNIST, CIFAR-10). **Reproduced** = computed by this project from the "
        f"cache (`repro reproduce featurenet --scale {e.name}`), test accuracy on {label}."
        + (
            " Every accuracy here is a **proxy**: shown beside the paper's numbers, never compared with them."
            if proxy
            else ""
        ),
        "",
        "## RQ1: configurations that build and train",
        "",
        f"- Sampled configurations evaluated: {rq1['sampled']}; trained: {rq1['trained']}; invalid at build time: "
        f"{rq1['invalid']}; training broke down: {len(rq1['failed'])}"
        + (f" ({'; '.join(sorted(set(rq1['failed'])))})" if rq1["failed"] else "")
        + ".",
        f"- Fig. 6's Inception module (variant `full`): {rq1['inception']['status']}, "
        f"{rq1['inception']['params']:,} weights, test accuracy {_pct(rq1['inception']['test_acc'])} ({label}).",
        "- The 1,000-configuration build check of Section 6.1 is structural (`rq1_configurations_built` in "
        "`repro regress featurenet`).",
    ]
    if eq["seeds"]:
        lines += [
            f"- LeNet5 from the feature model vs hand-written ({eq['seeds']} seeds): weights "
            f"{eq['params']['LeNet5 (feature model)']:,} vs {eq['params']['LeNet5 (hand-written)']:,}; the largest "
            f"gap between their mean train/validation accuracy curves is {100 * eq['max_gap']:.3f} points (Fig. 5). "
            "Same seed, same layers in the same order: the same initial weights, so equal curves are expected.",
        ]
    lines += [
        "",
        "## Table 1: accuracy, size, efficiency (12 epochs in the paper)",
        "",
        "| dataset | architecture | accuracy | size | efficiency | source |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for row in paper["table1"]:
        lines.append(
            f"| {row['dataset']} | {row['architecture']} | {row['accuracy']} | {row['size']:,} | "
            f"{row['efficiency']} | reported |"
        )
    for row in nums["table1"]:
        spread = f" ± {row['sd']:.2f} (n={row['n']})" if row["n"] > 1 else ""
        lines.append(
            f"| **{label}** | {row['architecture']} | {_pct(row['test_acc'])}{spread} | {row['size']:,} | "
            f"{row['efficiency']:.2f} | reproduced, {outcome.recipe.epochs} epochs |"
        )
    below = nums["below_per_1000"]
    lines += [
        "",
        "Top S1/S2/S3 = the best validation accuracy of the diverse sample, the LeNet5 family and the small "
        "LeNet5 family (its test accuracy is shown); LeNet5 and SqueezeNet: mean over the baseline seeds.",
        "",
        f"## RQ2: distribution of accuracies ({label})",
        "",
        "| group | n | below 30% (per 1,000) | below 50% | below 90% | median | best |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for g in GROUPS:
        finite = [a for a in nums["accuracies"][g] if math.isfinite(a)]
        median = statistics.median(finite) if finite else math.nan
        lines.append(
            f"| {g} | {len(finite)} | {below[g]['30']} | {below[g]['50']} | {below[g]['90']} | "
            f"{_pct(median)} | {_pct(max(finite, default=math.nan))} |"
        )
    fig7 = paper["fig7"]
    lines += [
        f"| reported, MNIST (1,000) | 1000 | — | {fig7['mnist_below']['50']} | {fig7['mnist_below']['90']} | — | "
        f"{fig7['mnist_above_95']} above 95% |",
        f"| reported, CIFAR-10 (1,000) | 1000 | {fig7['cifar10_below']['30']} | {fig7['cifar10_below']['50']} | — "
        "| — | "
        f"none reaches {fig7['cifar10_max_below']}% |",
        "",
        "![Fig. 7](fig7_accuracy_cdf.png)",
        "",
        "![Fig. 8](fig8_accuracy_vs_size.png)",
        "",
        "## Diversity sampling (PLEDGE) vs random valid sampling",
        "",
        "| sampling seed | mean pairwise Jaccard distance, random | diverse (initial → final) | "
        "replacements / iterations | best accuracy, random | best, diverse |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    best = nums["diversity_vs_random"]["best_per_seed"]
    for i, d in enumerate(nums["diversity_vs_random"]["distance"]):
        lines.append(
            f"| {d['seed']} | {d['random']:.4f} | {d['initial']:.4f} → {d['diversity']:.4f} | "
            f"{d['replacements']} / {d['iterations']} | {_pct(best['random'][i])} | "
            f"{_pct(best['diversity'][i])} |"
        )
    lines += [
        "",
        "Test accuracies (%) of all diverse vs all random configurations, seeds pooled:",
        "",
        comparison(outcome).to_markdown(),
        "",
    ]
    if eq["seeds"]:
        lines += ["![Fig. 5](fig5_lenet5_equivalence.png)", ""]
    lines += [
        "## Protocol notes",
        "",
        *protocol_notes(HERE),
        f"- Provenance: {describe_provenance(outcome)}.",
        written_by("featurenet", outcome.experiment.name),
        "",
    ]
    return "\n".join(lines)


__all__ = ["write_report"]
