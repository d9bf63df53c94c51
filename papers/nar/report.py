"""NAR: the report of one outcome (the operator-frequency figure, ``summary.md``, ``numbers.json``)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np

from papers.nar.numbers import accuracies, against_random_search, comparisons, cost_rows
from papers.nar.reproduce import (
    HERE,
    LABELS,
    RANDOM_SEARCH,
    VARIANTS,
    Outcome,
    data_scale,
    describe_profile,
    is_proxy,
)
from papers.replay import protocol_notes, read_reported, written_by
from repro import plots
from repro.search.budgeted import training_cost
from repro.spaces import get_space


def write_report(outcome: Outcome, out_dir: Path) -> list[Path]:
    """The operator-frequency figure, ``summary.md`` and ``numbers.json`` under ``out_dir``."""
    e = outcome.experiment
    out_dir.mkdir(parents=True, exist_ok=True)
    space = get_space("nar", backbone=e.backbone)
    panels = {v: np.mean([np.asarray(r["frequencies"]) for r in outcome.searches[v]], axis=0) for v in VARIANTS}
    figure = plots.operator_frequencies(
        panels,
        space.candidates,
        out_dir / "operator_frequencies.png",
        title=f"NAR, {data_scale(outcome.recipe)} [{e.name}]: operators sampled per supernet epoch (mean over {len(e.seeds)} seeds)",
        caption=f"Reproduced by repro ({describe_profile(outcome)}).",
        marker={"NAR-PreTrain": e.pretrain_epochs + 0.5},
    )
    return [figure, _write_summary(outcome, out_dir / "summary.md"), _write_numbers(outcome, out_dir / "numbers.json")]


def _write_summary(outcome: Outcome, path: Path) -> Path:
    e = outcome.experiment
    space = get_space("nar", backbone=e.backbone)
    claims = {c["id"]: c for c in read_reported(HERE)["claim"]}
    lines = [
        f"# NAR (Jiang, Zhao & Pang) — {data_scale(outcome.recipe)} reproduction, profile `{e.name}`",
        "",
        f"*{describe_profile(outcome)}.* {e.about}.",
        "",
        "**Reported** = printed in the paper. **Reproduced** = computed by this project's code "
        f"(`repro reproduce nar --scale {e.name}`). "
        + (
            "Every accuracy here is a **proxy** (Fashion-MNIST): it is shown beside the paper's CIFAR-10 numbers, "
            "never compared with them."
            if is_proxy(outcome.recipe)
            else "Accuracies are on CIFAR-10, the paper's dataset; `repro regress` compares them with Table 5."
        ),
        "",
        "## Table 4 (structural): ImageNet-sized ResNet-18, the paper's vectors",
        "",
        "| model | vector as built | params reported | params ours | FLOPs reported | multiply-adds ours |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, describe, params, macs in cost_rows():
        lines.append(
            f"| {name} | `{describe}` | {claims[f'{name}_params']['value']:.3g} | {params:,} | "
            f"{claims[f'{name}_flops']['value']:.3g} | {macs:,} |"
        )
    base = outcome.evaluations["baseline"][0][0]
    lines += [
        "",
        f"## Table 4 style ({data_scale(outcome.recipe)}): vectors found, with and without PreTrain",
        "",
        "| search | seed | vector (codes: "
        + ", ".join(f"{i} {op}" for i, op in enumerate(space.candidates))
        + ") | changed | params | multiply-adds | vs baseline MACs | supernet val acc |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
        f"| baseline | — | `{space.describe(space.baseline())}` | 0 | {base.params:,} | {base.macs:,} | 100% | — |",
    ]
    for label in (*VARIANTS, "random"):
        for i, (genome, rows) in enumerate(zip(outcome.genomes[label], outcome.evaluations[label])):
            ev = rows[0]
            changed = sum(op != "conv3" for op in genome.ops)
            supernet = max(acc for _, acc in outcome.searches[label][i]["derived"]) if label in VARIANTS else None
            lines.append(
                f"| {label} | {e.seeds[i]} | `{space.describe(genome)}` | {changed} | {ev.params:,} | {ev.macs:,} | "
                f"{100 * ev.macs / base.macs:.0f}% | {'—' if supernet is None else f'{100 * supernet:.1f}%'} |"
            )
    lines += [
        "",
        f"## Table 5 style ({data_scale(outcome.recipe)}): test accuracy, baseline vs refined",
        "",
        "| model | CIFAR-10 | ImageNet top-1 | ImageNet top-5 | source |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for row in read_reported(HERE)["table5"]:
        lines.append(
            f"| {row['model']} | {row['cifar10']}% | {row['imagenet_top1']}% | {row['imagenet_top5']}% | reported |"
        )
    for label in LABELS:
        accs = accuracies(outcome, label)
        sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
        lines.append(
            f"| {label} ({data_scale(outcome.recipe)}, {e.backbone}) | {statistics.fmean(accs):.2f}% "
            f"± {sd:.2f} ({outcome.recipe.dataset}, n={len(accs)}) | — | — | reproduced |"
        )
    for label, cmp in comparisons(outcome).items():
        lines += ["", f"### {label} vs baseline (all retrained rows)", "", cmp.to_markdown()]
    lines += ["", *_random_search_lines(outcome)]
    lines += [
        "",
        "## Figures",
        "",
        "- `operator_frequencies.png`: share of each operator among the vectors the supernet trained on, per "
        "epoch, mean over seeds; left without PreTrain, right with it (the dashed line is where the controller "
        "starts).",
        "",
        "## Protocol notes",
        "",
        *protocol_notes(HERE),
        written_by("nar", outcome.experiment.name),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _random_search_lines(outcome: Outcome) -> list[str]:
    """How each variant's budget-matched random search was sized, what it drew and picked, and the tests."""
    e, recipe = outcome.experiment, outcome.recipe
    space = get_space("nar", backbone=e.backbone)
    cost = training_cost(recipe)
    lines = [
        f"## NAR vs random search under the same budget ({data_scale(recipe)})",
        "",
        "Budgets are counted in example passes ([`repro/search/budgeted.py`](../../../repro/search/budgeted.py)): a training "
        "example through forward and backward is 1, a forward-only one (controller rewards, deriving, "
        f"validation) 1/3. One retraining costs {cost:,.0f}; each variant's budget is its search plus that, spent "
        "by random search on whole trainings of distinct random vectors (seeded by the search seed), the best by "
        "validation accuracy kept.",
        "",
        "| variant | search passes | budget | trainings | seed | vectors drawn (val acc %) | pick's test acc (%) |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for v in VARIANTS:
        for p, rows in zip(outcome.random_search[v], outcome.evaluations[RANDOM_SEARCH[v]]):
            accs = ", ".join(f"{100 * ev.test_acc:.2f}" for ev in rows if ev.test_acc is not None)
            lines.append(
                f"| {v} | {p.budget - cost:,.0f} | {p.budget:,.0f} | {len(p.genomes)} | {p.seed} "
                f"| {p.describe(space)} | {accs} |"
            )
    for v, cmp in against_random_search(outcome).items():
        lines += ["", f"### {v} vs {RANDOM_SEARCH[v]} (all retrained rows)", "", cmp.to_markdown()]
    return lines


def _write_numbers(outcome: Outcome, path: Path) -> Path:
    data = {
        "profile": outcome.experiment.name,
        "recipe_key": outcome.recipe.key,
        "searches": outcome.searches,
        "test_acc": {label: [[e.test_acc for e in rows] for rows in outcome.evaluations[label]] for label in LABELS},
        "comparisons": {k: vars(v) for k, v in comparisons(outcome).items()},
        "random_search": {
            v: [p.summary(get_space("nar", backbone=outcome.experiment.backbone)) for p in picks]
            for v, picks in outcome.random_search.items()
        },
        "against_random_search": {k: vars(v) for k, v in against_random_search(outcome).items()},
    }
    path.write_text(json.dumps(data, indent=1, default=float) + "\n")
    return path


__all__ = ["write_report"]
