"""GDAS: the report of one outcome (operator probabilities and accuracy ECDF figures, ``summary.md``,
``numbers.json``)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import numpy as np

from papers.gdas.numbers import accuracies, comparisons, derived_params, published_params, search_hours
from papers.gdas.reproduce import HERE, LABELS, Outcome, data_scale, describe_profile, search_budget, space_of
from papers.replay import protocol_notes, read_reported, written_by
from repro import plots
from repro.data.datasets import get_spec
from repro.search.budgeted import training_cost, trainings_within
from repro.spaces.nb201 import unique_cells


def _probabilities(search: dict[str, Any], kind: str) -> np.ndarray:
    """(epochs x candidates): each candidate's softmax probability, averaged over the edges."""
    logits = np.asarray([epoch[kind] for epoch in search["logits"]])
    probs = np.exp(logits - logits.max(axis=2, keepdims=True))
    return (probs / probs.sum(axis=2, keepdims=True)).mean(axis=1)


def write_report(outcome: Outcome, out_dir: Path) -> list[Path]:
    """The figures, ``summary.md`` and ``numbers.json`` under ``out_dir``."""
    e = outcome.experiment
    out_dir.mkdir(parents=True, exist_ok=True)
    space = space_of(e)
    where = f"{data_scale(outcome.recipe)}, {outcome.recipe.dataset} [{e.name}]"
    caption = f"Reproduced by repro ({describe_profile(outcome)})."
    kind = space.cell_types[0]
    panels = {f"seed {s}": _probabilities(r, kind) for s, r in zip(e.seeds, outcome.searches)}
    operators = space.candidates(kind)[0]
    trajectory = plots.operator_frequencies(
        panels,
        operators,
        out_dir / "operator_probabilities.png",
        title=f"GDAS, {where}: softmax(A) per {'cell' if kind == 'cell' else f'{kind}-cell'} edge, mean over edges, "
        "per search epoch",
        caption=caption,
        ylabel="softmax(A), mean over edges",
        reference=(1 / len(operators), f"uniform 1/{len(operators)}"),
    )
    accuracy = plots.ecdfs(
        {label: accuracies(outcome, label) for label in LABELS},
        out_dir / "accuracy_ecdf.png",
        title=f"GDAS vs random cells and random search, {where}",
        xlabel="test accuracy after retraining (%)",
        caption=caption,
    )
    summary = _write_summary(outcome, out_dir / "summary.md")
    return [trajectory, accuracy, summary, _write_numbers(outcome, out_dir / "numbers.json")]


def _acceleration_lines(outcome: Outcome) -> list[str]:
    ratio = read_reported(HERE)["acceleration"]["ratio"]
    lines = [
        "## The acceleration step: hard sampling vs the full mixed operation",
        "",
        f"The paper (Section 4.2): without it, each iteration costs |F| = {ratio}x more time and GPU memory. Ours: "
        "one training step (forward + backward + SGD) of the same supernet, GDAS hard sampling vs DARTS's mixed "
        "operation, measured in one run by `benchmarks/bench_gdas_acceleration.py` (`--store` keeps the record).",
        "",
    ]
    if not outcome.acceleration:
        return lines + ["No measurement is stored in this cache yet.", ""]
    lines += [
        "| device | supernet | batch | ms/step hard | ms/step mixed | time ratio | peak MiB hard | "
        "peak MiB mixed | memory ratio | memory measured as | code |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in outcome.acceleration:
        h, m = r["hard"], r["mixed"]
        lines.append(
            f"| {r['device']} | {r['supernet']} | {r['batch_size']} | {h['ms_per_step']:.1f} | {m['ms_per_step']:.1f} | "
            f"{m['ms_per_step'] / h['ms_per_step']:.2f}x | {h['peak_mib']:.1f} | {m['peak_mib']:.1f} | "
            f"{m['peak_mib'] / h['peak_mib']:.2f}x | {r['memory']} | {r['code_version']} |"
        )
    return lines + [""]


def _random_search_lines(outcome: Outcome) -> list[str]:
    """How the budget-matched random search was sized, and what each seed's drew and picked."""
    e, recipe = outcome.experiment, outcome.recipe
    space = space_of(e)
    budget, cost = search_budget(e, recipe), training_cost(recipe)
    lines = [
        f"Random search at the GDAS budget ([`repro/search/budgeted.py`](../../../repro/search/budgeted.py)): one search passes "
        f"{e.search.example_passes:,} training examples ({e.search.epochs} epochs x {e.search.search_images:,} "
        f"images, D_T and D_V) and the final training of its cell {cost:,.0f} ({recipe.epochs} epochs x "
        f"training + 1/3 x validation images), {budget:,.0f} example passes in all; random search spends them on "
        f"{trainings_within(budget, recipe)} whole trainings of distinct random cells, drawn from a generator "
        "seeded by the GDAS seed, and keeps the best by validation accuracy. (Counted in examples, not seconds: the "
        f"searches took {min(r['seconds'] for r in outcome.searches):.0f}-"
        f"{max(r['seconds'] for r in outcome.searches):.0f} s on a shared machine.)",
        "",
        "| GDAS seed | cells drawn (val acc %) | pick | pick's test acc (%) |",
        "| ---: | --- | --- | ---: |",
    ]
    for p, rows in zip(outcome.random_search, outcome.evaluations["random search"]):
        accs = ", ".join(f"{100 * ev.test_acc:.2f}" for ev in rows if ev.test_acc is not None)
        lines.append(f"| {p.seed} | {p.describe(space)} | cell {p.pick + 1} of {len(p.genomes)} | {accs} |")
    return lines


def _write_summary(outcome: Outcome, path: Path) -> Path:
    e, r = outcome.experiment, outcome.recipe
    space = space_of(e)
    scale = data_scale(r)
    published = published_params()
    derived = derived_params(outcome)
    hours = search_hours(outcome)
    kind = space.cell_types[0]
    n_ops = len(space.candidates(kind)[0])
    spread = max(float(np.abs(_probabilities(r, kind) - 1 / n_ops).max()) for r in outcome.searches)
    lines = [
        f"# GDAS (Dong & Yang) — {scale} reproduction, profile `{e.name}`",
        "",
        f"*{describe_profile(outcome)}.* {e.about}.",
        "",
        "**Reported** = printed in the paper. **Reproduced** = computed by this project's code "
        f"(`repro reproduce gdas --scale {e.name}`). "
        + (
            "Every accuracy here is a **proxy** (Fashion-MNIST), never compared with the paper's CIFAR errors."
            if scale == "proxy"
            else "Accuracies are on CIFAR-10, at a smaller scale than Table 1's."
        ),
        "",
        "## Table 1: GDAS rows as reported, beside our counts",
        "",
        "| model | GPUs | search GPU days | params (M) | CIFAR-10 error | CIFAR-100 error | params ours, published cells "
        "(C=36, N=6) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in read_reported(HERE)["table1"]:
        ours = published["GDAS (FRC)" if "FRC" in row["model"] else "GDAS"]
        lines.append(
            f"| {row['model']} | {row['gpus']} | {row['gpu_days']} | {row['params_m']} | "
            f"{row['cifar10_error']}% | {row['cifar100_error']}% | {ours:,} |"
        )
    lines += [
        "",
        f"Ours ({scale}, {space.name}{' FRC' if e.frc else ''} space): one search took "
        f"{hours:.3f} h = {hours / 24:.4f} days on {', '.join(sorted({s['device'] for s in outcome.searches}))} "
        f"(mean of {len(e.seeds)} seeds, {e.search.epochs} epochs at C={e.search.channels}, N={e.search.layers}; "
        "the paper: 240 epochs at C=16, N=2 on 25k/25k CIFAR-10 images).",
    ]
    if derived:
        lines.append(
            f"Our derived cells built as Table 1's network (C=36, N=6, CIFAR-10): "
            f"{', '.join(f'{p / 1e6:.2f} M' for p in derived)} parameters."
        )
    if e.space == "nb201":
        lines.append(
            f"NAS-Bench-201 space: the 15,625 encodings have {unique_cells():,} distinct canonical forms "
            "(dead `none`-cut edges removed, isomorphic node orders merged)."
        )
    lines += [
        "",
        *_acceleration_lines(outcome),
        f"## GDAS-derived cells vs random search ({scale}: {r.dataset})",
        "",
        "| search | seed | cell | supernet val acc (last epoch) | params | test acc (%) |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for label in ("GDAS", "random cells"):
        for i, (genome, rows) in enumerate(zip(outcome.genomes[label], outcome.evaluations[label])):
            supernet = f"{100 * outcome.searches[i]['val_acc'][-1]:.1f}%" if label == "GDAS" else "—"
            accs = ", ".join(f"{100 * ev.test_acc:.2f}" for ev in rows if ev.test_acc is not None)
            lines.append(
                f"| {label} | {e.seeds[i] if label == 'GDAS' else i} | `{space.describe(genome)}` | {supernet} | "
                f"{rows[0].params:,} | {accs} |"
            )
    lines += ["", *_random_search_lines(outcome)]
    lines += ["", f"| label | mean test acc ({scale}, {r.dataset}) | sd | n |", "| --- | ---: | ---: | ---: |"]
    for label in LABELS:
        accs = accuracies(outcome, label)
        sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
        lines.append(f"| {label} | {statistics.fmean(accs):.2f}% | {sd:.2f} | {len(accs)} |")
    lines += _chance_lines(outcome)
    for label, cmp in comparisons(outcome).items():
        lines += ["", f"### GDAS vs {label} ({scale}: {r.dataset}, profile `{e.name}`)", "", cmp.to_markdown()]
    lines += [
        "",
        "## Figures",
        "",
        f"- `operator_probabilities.png`: per search seed, softmax(A) of each candidate averaged over the edges of the "
        f"`{space.cell_types[0]}` logits, after each search epoch; the dotted line is the uniform 1/{n_ops}, and "
        f"every value lies within {spread:.2g} of it.",
        "- `accuracy_ecdf.png`: distribution of test accuracy after retraining, GDAS-derived cells vs random cells vs "
        "the budget-matched random-search picks.",
        "",
        "## Protocol notes",
        "",
        *protocol_notes(HERE),
        written_by("gdas", outcome.experiment.name),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


CHANCE_POINTS = 1.0
"""Test accuracies within this many points of 1/classes are reported as chance level."""


def _chance_lines(outcome: Outcome) -> list[str]:
    """Says so when every retrained network is at chance level: then the comparisons below compare noise."""
    chance = 100 / get_spec(outcome.recipe.dataset).num_classes
    accs = [a for label in LABELS for a in accuracies(outcome, label)]
    if not accs or max(abs(a - chance) for a in accs) > CHANCE_POINTS:
        return []
    return [
        "",
        f"**Every retrained network is at chance level**: test accuracies {min(accs):.2f}-{max(accs):.2f}% "
        f"where guessing among {get_spec(outcome.recipe.dataset).num_classes} classes gives {chance:.0f}%. At "
        "this scale the retraining learns nothing, so the comparisons below compare noise, not the cells.",
    ]


def _write_numbers(outcome: Outcome, path: Path) -> Path:
    data = {
        "profile": outcome.experiment.name,
        "recipe_key": outcome.recipe.key,
        "searches": [
            {k: s[k] for k in ("seed", "genome", "seconds", "device", "val_acc", "tau")} for s in outcome.searches
        ],
        "test_acc": {label: [[e.test_acc for e in rows] for rows in outcome.evaluations[label]] for label in LABELS},
        "random_search": [p.summary(space_of(outcome.experiment)) for p in outcome.random_search],
        "comparisons": {k: vars(v) for k, v in comparisons(outcome).items()},
    }
    path.write_text(json.dumps(data, indent=1, default=float) + "\n")
    return path


__all__ = ["write_report"]
