"""Reproduce Kyriakides & Margaritis, "Regularized Evolution for Macro Neural Architecture Search" (AIAI 2020).

Composes registered parts only: the ``remnet`` space, the ``re`` / ``rs-mutation`` / ``rs``
strategies, the cache-backed evaluator, :mod:`repro.stats`, :mod:`repro.plots` and the selection
rule. ES is regularized evolution; RS is the paper's baseline (ES with sample size 1);
"RS-independent" is uniform random sampling of genomes under the same budget.

Fitness is test accuracy, as in the paper; validation accuracy is stored in every row too, so
the selection can be redone without the test set.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from papers.replay import named_experiment, read_reported
from repro import plots, provenance, stats
from repro.cache.store import Store
from repro.canonical import topological_order
from repro.cost import count_params
from repro.claims import Measured
from repro.evaluator import Evaluator
from repro.recipe import Recipe, as_recipe
from repro.search import SearchResult, run_search
from repro.selection import Choice, best_mean
from repro.spaces import get_space
from repro.spaces.remnet import RemnetSpace
from repro.spaces.remnet.overlay import plot_overlay
from repro.strategies import make_strategy

HERE = Path(__file__).parent
STRATEGIES = {"ES": "re", "RS": "rs-mutation", "RS-independent": "rs"}
"""Report label -> registered strategy."""

REMNET = json.dumps({
    "nodes": ["IN", "CONV_2.N", "CONV_2.N", "CONV_3.N", "CONV_5.N", "POOL_5.A", "CONV_3.H", "CONV_3.H", "OUT"],
    "edges": [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [5, 7], [6, 8], [7, 8]],
})  # fmt: skip
"""The paper's REMNet as Section 4.2 describes it: the dominant sequence, then two CONV_3.H branches."""


@dataclass(frozen=True)
class Experiment:
    """One scale of the reproduction: search protocol, seeds, and the final-training rows of Table 2."""

    name: str
    recipe: str | Recipe
    population: int
    sample_size: int
    budget: int
    seeds: tuple[int, ...]
    final_recipe: str | Recipe
    final_widths: dict[str, int] = field(default_factory=dict)
    final_seeds: tuple[int, ...] = (0,)
    metric: str = "test_acc"
    min_samples: int = 5
    about: str = ""


EXPERIMENTS = {
    "smoke": Experiment(
        "smoke", recipe="smoke", population=20, sample_size=5, budget=60, seeds=(0, 1, 2, 3, 4),
        final_recipe="remnet-final-smoke", final_widths={"REMNet-128": 16, "REMNet-256": 32},
        about="CPU minutes: 3,000 training images, 2 epochs, 16 channels; final rows at 16/32 channels",
    ),
    "gpu": Experiment(
        "gpu", recipe="remnet-gpu", population=16, sample_size=4, budget=40, seeds=(0, 1, 2),
        final_recipe="remnet-final", final_widths={"REMNet-128": 128, "REMNet-256": 256},
        about="one GPU lease with a fast trainer: full data, 64 channels, 3 epochs, 3 seeds",
    ),
    "paper": Experiment(
        "paper", recipe="remnet-paper", population=100, sample_size=25, budget=500, seeds=(0, 1, 2),
        final_recipe="remnet-final", final_widths={"REMNet-128": 128, "REMNet-256": 256},
        about="the paper's protocol (P=100, S=25, 400 cycles, 10 epochs, 64 channels): GPU hours, resumable",
    ),
}  # fmt: skip


def reported() -> dict[str, Any]:
    """The paper's numbers, as printed (``reported.toml``)."""
    return read_reported(HERE)


@dataclass
class Outcome:
    """Everything the report is made of."""

    experiment: Experiment
    recipe: Recipe
    runs: dict[str, list[SearchResult]]
    choice: Choice | None
    chosen_genome: str | None
    final: list[dict[str, Any]]


def run(
    experiment: Experiment,
    store: Store,
    on_miss: str = "error",
    device: str = "auto",
    data_root: str | None = None,
    on_step: Callable[[], None] | None = None,
) -> Outcome:
    """Run (or replay from the cache) every search and final training of ``experiment``."""
    space = get_space("remnet")
    recipe = as_recipe(experiment.recipe)
    evaluator = Evaluator(space, recipe, store, on_miss=on_miss, device=device, data_root=data_root)
    runs: dict[str, list[SearchResult]] = {}
    for label, strategy_name in STRATEGIES.items():
        runs[label] = []
        for seed in experiment.seeds:
            strategy = make_strategy(strategy_name, space, np.random.default_rng(seed), strict=False,
                                     population_size=experiment.population, sample_size=experiment.sample_size)  # fmt: skip
            step = (lambda trial, result: on_step()) if on_step else None
            runs[label].append(
                run_search(strategy, strategy_name, evaluator, experiment.budget, seed, experiment.metric, step)
            )
    es_samples = [(t.evaluation.genome_key, t.value) for r in runs["ES"] for t in r.trials]
    choice = best_mean(es_samples, experiment.min_samples)
    chosen = None
    if choice is not None:
        chosen = next(t.genome for r in runs["ES"] for t in r.trials if t.evaluation.genome_key == choice.genome_key)
    final = _final_training(experiment, space, store, on_miss, device, data_root, chosen)
    return Outcome(experiment, recipe, runs, choice, chosen, final)


def _final_training(experiment: Experiment, space: RemnetSpace, store: Store, on_miss: str, device: str,
                    data_root: str | None, chosen: str | None) -> list[dict[str, Any]]:  # fmt: skip
    """Table 2's retrained rows: our chosen architecture and the paper's REMNet, at each width."""
    base = as_recipe(experiment.final_recipe)
    architectures = {"paper's REMNet": space.from_json(REMNET)}
    if chosen is not None:
        architectures["our choice"] = space.from_json(chosen)
    rows = []
    for row_name, width in experiment.final_widths.items():
        paper_width = int(row_name.split("-")[1])
        recipe = base.with_changes(channels=width)
        evaluator = Evaluator(space, recipe, store, on_miss=on_miss, device=device, data_root=data_root)
        for arch_name, genome in architectures.items():
            evaluations = [evaluator.evaluate(genome, seed)[0] for seed in experiment.final_seeds]
            model = space.build(genome, evaluator.input_shape, evaluator.num_classes, channels=paper_width)
            rows.append({
                "row": row_name, "architecture": arch_name, "channels": width, "recipe": recipe,
                "evaluations": evaluations, "params_at_paper_width": count_params(model),
                "describe": space.describe(genome),
            })  # fmt: skip
    return rows


# -- numbers -------------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:.2f}%"


def _reason_kind(reason: str) -> str:
    """Group invalidity reasons: layer names and sizes replaced by placeholders."""
    return re.sub(r"\d+", "N", re.sub(r"(CONV|POOL)_\d\.[HNAM]", "<layer>", reason))


def numbers(outcome: Outcome) -> dict[str, Any]:
    """The paper's in-text numbers, computed from our runs."""
    space = get_space("remnet")
    e = outcome.experiment
    result: dict[str, Any] = {}
    for label, runs in outcome.runs.items():
        values = np.array([t.value for r in runs for t in r.trials])
        bests = [float(np.nanmax(r.values())) for r in runs if np.isfinite(r.values()).any()]
        invalid = [t.evaluation.reason for r in runs for t in r.trials if t.evaluation.status == "invalid"]
        best_trial = max((r.best for r in runs if r.best), key=lambda t: t.value)
        result[label] = {
            "best": float(np.nanmax(values)),
            "best_per_seed_mean": statistics.fmean(bests),
            "best_per_seed_sd": statistics.stdev(bests) if len(bests) > 1 else 0.0,
            "evaluations": int(values.size),
            "invalid_fraction": len(invalid) / values.size,
            "invalid_reasons": dict(Counter(_reason_kind(r) for r in invalid).most_common()),
            "best_architecture": space.describe(space.from_json(best_trial.genome)),
            "best_key": best_trial.evaluation.genome_key,
        }
    evolved = [
        space.graph(space.from_json(t.genome))
        for r in outcome.runs["ES"] for t in r.trials[e.population:] if t.evaluation.status == "ok"
    ]  # fmt: skip
    nodes = [len(g.labels) - 2 for g in evolved if g is not None]
    result["active_nodes"] = {"mean": statistics.fmean(nodes), "sd": statistics.stdev(nodes), "n": len(nodes)}
    es = np.array([t.value for r in outcome.runs["ES"] for t in r.trials])
    rs = np.array([t.value for r in outcome.runs["RS"] for t in r.trials])
    result["ES_vs_RS_all"] = stats.compare(es, rs, names=("ES", "RS"))
    result["ES_vs_RS_best"] = stats.compare(
        [float(np.nanmax(r.values())) for r in outcome.runs["ES"]],
        [float(np.nanmax(r.values())) for r in outcome.runs["RS"]], names=("ES", "RS"),
    )  # fmt: skip
    return result


# -- report --------------------------------------------------------------------------------------


def describe_profile(outcome: Outcome) -> str:
    """One line naming the scale, seeds and devices that produced an outcome's numbers."""
    e, r = outcome.experiment, outcome.recipe
    devices = {t.evaluation.device for runs in outcome.runs.values() for result in runs for t in result.trials
               if t.evaluation.status == "ok"}  # fmt: skip
    return (
        f"profile `{e.name}`: budget {e.budget} evaluations per run (P={e.population}, S={e.sample_size}, "
        f"{e.budget - e.population} cycles), fitness {e.metric}, {r.epochs} epochs, "
        f"{r.model_options['channels']} channels, {r.train_size or 'all'} training images "
        f"({r.dataset}, split seed {r.split_seed}, val {r.val_size}, test {r.test_size or 'all'}), "
        f"seeds {', '.join(map(str, e.seeds))}, device {'; '.join(sorted(devices))}"
    )


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
            ylabel="best test accuracy so far (%)", caption=caption,
            marker=(e.population + 0.5, f"initial population ends (P={e.population})"),
        ),
        plots.ecdfs(
            {label: 100 * np.concatenate([r.values() for r in runs]) for label, runs in outcome.runs.items()},
            out_dir / "fig3_right_ecdf.png",
            title=f"REMNet Fig. 3 (right), reproduced [{e.name}]: ECDF of evaluated accuracies",
            xlabel="test accuracy (%)",
            caption=f"ES vs RS: one-sided KS (ES dominates) p = {all_cmp.ks_p:.3g}; Mann-Whitney p = {all_cmp.mw_p:.3g}; "
            f"A12 = {all_cmp.a12:.2f}. " + caption,
        ),
    ]  # fmt: skip
    space = get_space("remnet")
    evolved = [
        space.graph(space.from_json(t.genome))
        for r in outcome.runs["ES"] for t in r.trials[e.population:] if t.evaluation.status == "ok"
    ]  # fmt: skip
    paths.append(plot_overlay(
        [g for g in evolved if g is not None], out_dir / "fig4_overlay.png",
        title=f"REMNet Fig. 4, reproduced [{e.name}]: {len(evolved)} valid evolved architectures, alpha 1/{len(evolved)}",
        caption=caption,
    ))  # fmt: skip
    paths.append(_write_summary(outcome, nums, profile, out_dir / "summary.md"))
    paths.append(_write_numbers(outcome, nums, out_dir / "numbers.json"))
    return paths


def _claims() -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in reported()["claim"]}


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
        f"(`repro reproduce remnet --profile {e.name}`). At the `smoke` scale the reproduced accuracies are far "
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
        f"{'yes' if all_cmp.ks_p < 0.05 else 'not shown'} (one-sided KS p = {all_cmp.ks_p:.3g}) |",
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
    lines += ["", "## Table 2", "", "| method | final accuracy | search epochs | training epochs | source |",
              "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for row in reported()["table2"]:
        lines.append(f"| {row['method']} | {row['final_accuracy']} | {row['search_epochs']} | "
                     f"{row['training_epochs']} | reported |")  # fmt: skip
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
        f"(reported \"3.1 million\").",
        "",
        "## Chosen architecture (Section 4.2 rule)",
        "",
    ]
    if outcome.choice is None:
        lines.append("No valid ES architecture: nothing to choose.")
    else:
        c = outcome.choice
        chosen = get_space("remnet").from_json(outcome.chosen_genome)
        lines.append(f"`{get_space('remnet').describe(chosen)}` (key `{c.genome_key}`): mean test accuracy "
                     f"{_pct(c.mean)} over {c.count} evaluations; {c.note}; {c.candidates} candidate(s).")  # fmt: skip
    lines += [
        "",
        "## Figures",
        "",
        "- `fig3_left_best_so_far.png`: mean best-so-far test accuracy with 95% t-bands over seeds.",
        "- `fig3_right_ecdf.png`: ECDFs of all evaluated architectures' test accuracies (invalid ones excluded).",
        "- `fig4_overlay.png`: every valid evolved ES architecture drawn with alpha 1/count; rows are Table 1's layer types.",
        "",
        "## Protocol notes",
        "",
        "- Search epochs: the paper says 10 (Table 2) and 20 (Section 4.1); the `paper` profile uses 10.",
        "- The paper trained on all 60k training images; we hold out a fixed validation split (recorded in the "
        "recipe) so that selection can be redone without the test set.",
        f"- Generated {provenance.now():%Y-%m-%d %H:%M} UTC by repro {provenance.code_version()}.",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _write_numbers(outcome: Outcome, nums: dict[str, Any], path: Path) -> Path:
    def plain(x: Any) -> Any:
        if isinstance(x, stats.Comparison):
            return {k: plain(v) for k, v in vars(x).items()}
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [plain(v) for v in x]
        if isinstance(x, (np.floating, np.integer)):
            return x.item()
        return x

    final = [
        {"row": r["row"], "architecture": r["architecture"], "channels": r["channels"], "recipe_key": r["recipe"].key,
         "params_at_paper_width": r["params_at_paper_width"],
         "test_acc": [ev.test_acc for ev in r["evaluations"]], "params": r["evaluations"][0].params}
        for r in outcome.final
    ]  # fmt: skip
    data = {
        "profile": outcome.experiment.name,
        "recipe_key": outcome.recipe.key,
        "numbers": plain(nums),
        "choice": plain(vars(outcome.choice)) if outcome.choice else None,
        "final": final,
    }
    path.write_text(json.dumps(data, indent=1, default=str) + "\n")
    return path


# -- claims --------------------------------------------------------------------------------------


def _layer_sequence(genome_json: str) -> str:
    """The paper's way of naming an architecture: its layers in order, "(sequential)" for a chain."""
    space = get_space("remnet")
    graph = space.graph(space.from_json(genome_json))
    assert graph is not None
    order = topological_order(len(graph.labels), graph.edges)
    layers = [graph.labels[v] for v in order if graph.labels[v] not in ("IN", "OUT")]
    chain = len(graph.edges) == len(graph.labels) - 1 and all(
        sum(1 for a, _ in graph.edges if a == v) <= 1 for v in range(len(graph.labels))
    )
    return ", ".join(layers) + " (sequential)" if chain else space.describe(space.from_json(genome_json))


def _provenance(evaluations: list[Any]) -> str:
    ok = [e for e in evaluations if e.status == "ok"]
    recipes = sorted({e.recipe_key for e in evaluations})
    return (
        f"{len(evaluations)} cached rows ({len(ok)} trained), recipe {', '.join(recipes)}; "
        f"code {', '.join(sorted({e.code_version for e in ok}))}; device {', '.join(sorted({e.device for e in ok}))}"
    )


def structural_measurements() -> list[Measured]:
    """Parameter counts of the paper's REMNet, counted from the built network (no cache needed)."""
    space = get_space("remnet")
    genome = space.from_json(REMNET)
    counts = {width: count_params(space.build(genome, (1, 28, 28), 10, channels=width)) for width in (128, 256)}
    return [
        Measured(f"remnet{w}_params", "any", n, f"REMNet built with {w} channels", "counted by repro.cost.count_params")
        for w, n in counts.items()
    ]


def measurements(outcome: Outcome) -> list[Measured]:
    """Our values for the paper's stochastic claims at ``outcome``'s profile."""
    nums = numbers(outcome)
    name = outcome.experiment.name
    search_rows = [t.evaluation for runs in outcome.runs.values() for r in runs for t in r.trials]
    prov = _provenance(search_rows)
    es, rs = nums["ES"], nums["RS"]
    best_es = max((r.best for r in outcome.runs["ES"] if r.best), key=lambda t: t.value)
    cmp = nums["ES_vs_RS_all"]
    out = [
        Measured("es_best_test_acc", name, round(100 * es["best"], 4),
                 f"max over {len(outcome.experiment.seeds)} seeds; per-seed best {100 * es['best_per_seed_mean']:.2f} "
                 f"± {100 * es['best_per_seed_sd']:.2f}", prov),
        Measured("rs_best_test_acc", name, round(100 * rs["best"], 4),
                 f"max over {len(outcome.experiment.seeds)} seeds; per-seed best {100 * rs['best_per_seed_mean']:.2f} "
                 f"± {100 * rs['best_per_seed_sd']:.2f}", prov),
        Measured("es_stochastically_dominates_rs", name, "yes" if cmp.ks_p < 0.05 else "no",
                 f"one-sided KS p = {cmp.ks_p:.3g}, A12 = {cmp.a12:.2f}, n = {cmp.n_a} vs {cmp.n_b}", prov),
        Measured("active_nodes_mean", name, round(nums["active_nodes"]["mean"], 4),
                 f"n = {nums['active_nodes']['n']} valid evolved architectures", prov),
        Measured("active_nodes_sd", name, round(nums["active_nodes"]["sd"], 4),
                 f"n = {nums['active_nodes']['n']}", prov),
        Measured("es_best_layers", name, _layer_sequence(best_es.genome), f"key {best_es.evaluation.genome_key}", prov),
    ]  # fmt: skip
    for row in outcome.final:
        if row["architecture"] != "paper's REMNet":
            continue
        accs = [100 * e.test_acc for e in row["evaluations"]]
        out.append(Measured(
            f"remnet{row['row'].split('-')[1]}_test_acc", name, round(statistics.fmean(accs), 4),
            f"the paper's REMNet at {row['channels']} channels, {len(accs)} seed(s)", _provenance(row["evaluations"]),
        ))  # fmt: skip
    return out


def total_evaluations(experiment: Experiment) -> int:
    """How many search steps a reproduction runs (for progress bars)."""
    return experiment.budget * len(experiment.seeds) * len(STRATEGIES)


def get_experiment(name: str) -> Experiment:
    """The named experiment, or a ReproError listing them."""
    return named_experiment("remnet", EXPERIMENTS, name)


__all__ = ["EXPERIMENTS", "Experiment", "describe_profile", "measurements", "Outcome", "get_experiment", "numbers", "reported", "run",
           "total_evaluations", "write_report"]  # fmt: skip
