"""REMNet: the report of one outcome (Fig. 3 and Fig. 4 as PNG, ``summary.md``, ``numbers.json``)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from papers.remnet import weights
from papers.remnet.numbers import evolved_graphs, numbers
from papers.remnet.overlay import plot_overlay
from papers.remnet.reproduce import HERE, STRATEGIES, Outcome, describe_profile
from papers.replay import protocol_notes, read_reported, written_by
from repro import plots, stats
from repro.spaces import get_space


def _pct(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:.2f}%"


def write_report(outcome: Outcome, out_dir: Path) -> list[Path]:
    """Figures (PNG), ``summary.md`` and ``numbers.json`` under ``out_dir``."""
    e = outcome.experiment
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = describe_profile(outcome)
    caption = f"Reproduced by repro ({profile})."
    nums = numbers(outcome)
    all_cmp = nums["ES_vs_RS_all"]
    paths = [
        plots.best_so_far_bands(
            {label: [100 * r.values() for r in runs] for label, runs in outcome.runs.items()},
            out_dir / "fig3_left_best_so_far.png",
            title=f"REMNet Fig. 3 (left), reproduced [{e.name}]: best test accuracy so far",
            ylabel="best test accuracy so far (%)",
            caption=caption,
            limits=(0.0, 100.0),
            marker=(e.population + 0.5, f"initial population ends (P={e.population})"),
        ),
        plots.ecdfs(
            {label: 100 * np.concatenate([r.values() for r in runs]) for label, runs in outcome.runs.items()},
            out_dir / "fig3_right_ecdf.png",
            title=f"REMNet Fig. 3 (right), reproduced [{e.name}]: ECDF of evaluated accuracies",
            xlabel="test accuracy (%)",
            caption=f"ES vs RS, invalid networks scored 0: {nums['ES_dominates_RS'].describe()}; over the valid ones "
            f"Mann-Whitney p = {all_cmp.mw_p:.3g}, A12 = {all_cmp.a12:.2f}. " + caption,
        ),
    ]
    evolved = evolved_graphs(outcome)
    paths.append(
        plot_overlay(
            [g for g in evolved if g is not None],
            out_dir / "fig4_overlay.png",
            title=f"REMNet Fig. 4, reproduced [{e.name}]: {len(evolved)} valid evolved architectures, alpha 1/{len(evolved)}",
            caption=caption,
        )
    )
    paths.append(_write_summary(outcome, nums, profile, out_dir / "summary.md"))
    paths.append(_write_numbers(outcome, nums, out_dir / "numbers.json"))
    return paths


def _claims() -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in read_reported(HERE)["claim"]}


def _write_summary(outcome: Outcome, nums: dict[str, Any], profile: str, path: Path) -> Path:
    e = outcome.experiment
    claims = _claims()
    es, rs, rsi = nums["ES"], nums["RS"], nums["RS-independent"]
    all_cmp, best_cmp = nums["ES_vs_RS_all"], nums["ES_vs_RS_best"]
    lines = [
        f"# REMNet (Kyriakides & Margaritis, AIAI 2020) — reproduction, profile `{e.name}`",
        "",
        f"*{profile}.* {e.about}.",
        "",
        "**Reported** = printed in the paper. **Reproduced** = computed by this project's code from the cache "
        f"(`repro reproduce remnet --scale {e.name}`). At the `smoke` scale the reproduced accuracies are far "
        "below the paper's by construction (tiny networks, 2 epochs, a data subset): compare directions and "
        "structure, not levels.",
        "",
        "## Numbers in the text",
        "",
        "| claim | reported | reproduced |",
        "| --- | --- | --- |",
        f"| ES best test accuracy | {claims['es_best_test_acc']['value']}% | {_pct(es['best'])} "
        f"(per-seed best {_pct(es['best_per_seed_mean'])} ± {100 * es['best_per_seed_sd']:.2f}) |",
        f"| RS best test accuracy | {claims['rs_best_test_acc']['value']}% | {_pct(rs['best'])} "
        f"(per-seed best {_pct(rs['best_per_seed_mean'])} ± {100 * rs['best_per_seed_sd']:.2f}) |",
        f"| RS-independent best (not in the paper) | — | {_pct(rsi['best'])} |",
        f"| active nodes of valid evolved architectures | {claims['active_nodes_mean']['value']} ± "
        f"{claims['active_nodes_sd']['value']} | {nums['active_nodes']['mean']:.2f} ± {nums['active_nodes']['sd']:.2f} "
        f"(n={nums['active_nodes']['n']}) |",
        f"| ES first-order stochastic dominance over RS | {claims['es_stochastically_dominates_rs']['value']} | "
        f"{'yes' if nums['ES_dominates_RS'].holds else 'not shown'} ({nums['ES_dominates_RS'].describe()}; "
        "invalid networks scored 0) |",
        f"| best ES architecture | {claims['es_best_layers']['value']} | `{es['best_architecture']}` |",
        "",
        "## ES vs RS: all evaluated architectures (Fig. 3 right)",
        "",
        all_cmp.to_markdown(),
        "",
        "## ES vs RS: best architecture per seed",
        "",
        best_cmp.to_markdown(),
        "",
        "## Invalid architectures",
        "",
        "| strategy | evaluations | invalid | reasons |",
        "| --- | --- | --- | --- |",
    ]
    for label in STRATEGIES:
        n = nums[label]
        reasons = "; ".join(f"{k}: {v}" for k, v in n["invalid_reasons"].items()) or "—"
        lines.append(f"| {label} | {n['evaluations']} | {100 * n['invalid_fraction']:.1f}% | {reasons} |")
    lines += [
        "",
        "## Table 2",
        "",
        "| method | final accuracy | search epochs | training epochs | source |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in read_reported(HERE)["table2"]:
        lines.append(
            f"| {row['method']} | {row['final_accuracy']} | {row['search_epochs']} | "
            f"{row['training_epochs']} | reported |"
        )
    search_epochs = outcome.recipe.epochs
    for row in outcome.final:
        for ev in row["evaluations"]:
            lines.append(
                f"| {row['row']}, {row['architecture']} @ {row['channels']} channels | {_pct(ev.test_acc)} | "
                f"{search_epochs} | {ev.epochs} | reproduced: seed {ev.train_seed}, {ev.params:,} params "
                f"({row['params_at_paper_width']:,} at the paper's width), {ev.train_seconds:.0f}s on {ev.device} |"
            )
    structural = {r["row"]: r["params_at_paper_width"] for r in outcome.final if r["architecture"] == "paper's REMNet"}
    lines += [
        "",
        f"Parameter counts of the paper's REMNet as built here: REMNet-128 {structural.get('REMNet-128', 0):,} "
        f"(reported {claims['remnet128_params']['value']:,}); REMNet-256 {structural.get('REMNet-256', 0):,} "
        f'(reported "3.1 million").',
        "",
        "## The authors' published REMNet-128 weights",
        "",
    ]
    record = weights.stored_record()
    lines += (
        weights.summary_lines(record, weights.reported_value())
        if record
        else ["No evaluation record: run `python -m papers.remnet.weights --write-record` (needs Fashion-MNIST)."]
    )
    lines += ["", "## Chosen architecture (Section 4.2 rule)", ""]
    if outcome.choice is None:
        lines.append("No valid ES architecture: nothing to choose.")
    else:
        c = outcome.choice
        chosen = get_space("remnet").from_json(outcome.chosen_genome)
        lines.append(
            f"`{get_space('remnet').describe(chosen)}` (key `{c.genome_key}`): mean test accuracy "
            f"{_pct(c.mean)} over {c.count} evaluations; {c.note}; {c.candidates} candidate(s)."
        )
    for seed, c, genome in outcome.run_choices:
        lines.append(
            f"- ES seed {seed}'s run alone: `{get_space('remnet').describe(get_space('remnet').from_json(genome))}` "
            f"(key `{c.genome_key}`), mean {_pct(c.mean)} over {c.count} trainings; {c.note}."
        )
    lines += [
        "",
        "## Figures",
        "",
        "- `fig3_left_best_so_far.png`: mean best-so-far test accuracy with 95% t-bands over seeds (clipped to "
        "0-100%); left the whole run, right the evaluations after the initial population, zoomed. The strategies "
        "share their initial population, so their lines coincide until it ends.",
        "- `fig3_right_ecdf.png`: ECDFs of all evaluated architectures' test accuracies (invalid ones excluded; the "
        "dominance test scores them 0, as the authors do).",
        "- `fig4_overlay.png`: every valid evolved ES architecture drawn with alpha 1/count; rows are Table 1's layer types.",
        "",
        "## Protocol notes",
        "",
        *protocol_notes(HERE),
        written_by("remnet", outcome.experiment.name),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _write_numbers(outcome: Outcome, nums: dict[str, Any], path: Path) -> Path:
    def plain(x: Any) -> Any:
        if isinstance(x, (stats.Comparison, stats.Dominance)):
            return {k: plain(v) for k, v in vars(x).items()}
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [plain(v) for v in x]
        if isinstance(x, (np.floating, np.integer)):
            return x.item()
        return x

    final = [
        {
            "row": r["row"],
            "architecture": r["architecture"],
            "channels": r["channels"],
            "recipe_key": r["recipe"].key,
            "params_at_paper_width": r["params_at_paper_width"],
            "test_acc": [ev.test_acc for ev in r["evaluations"]],
            "params": r["evaluations"][0].params,
        }
        for r in outcome.final
    ]
    data = {
        "profile": outcome.experiment.name,
        "recipe_key": outcome.recipe.key,
        "numbers": plain(nums),
        "choice": plain(vars(outcome.choice)) if outcome.choice else None,
        "final": final,
    }
    path.write_text(json.dumps(data, indent=1, default=str) + "\n")
    return path


__all__ = ["write_report"]
