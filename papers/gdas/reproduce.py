"""Reproduce Dong & Yang, "Searching for A Robust Neural Architecture in Four GPU Hours" (GDAS, CVPR 2019).

Composes registered parts: the cell spaces ``nb201`` and ``darts`` (with the fixed reduction cell,
"FRC"), the GDAS search (:mod:`repro.gdas`), the cache-backed evaluator for every retraining,
:mod:`repro.stats` and :mod:`repro.plots`. Two baselines in the same cell space, trained with the
same recipe through the cache: seeded random cells (what a random architecture scores), and, per
GDAS seed, random search under that search's compute budget (:mod:`papers.budget`: its example
passes plus the final training of its cell, spent on whole trainings of distinct random cells, the
best by validation accuracy kept).

Table 1's parameter counts are structural: the authors' published cells built at C=36, N=6.
The accuracies of every profile but ``cifar10`` are a **proxy** (Fashion-MNIST). A supernet
search is not a cached evaluation, so its trajectory (logits and derived cell per epoch, seconds,
device) is stored as JSON under ``<cache>/gdas-searches/``, keyed by everything that decides it;
replays read it and never search. Acceleration measurements (``benchmarks/bench_gdas_acceleration.py
--store``) are read from ``<cache>/gdas-acceleration/``.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from papers.budget import RandomSearch, random_search, training_cost, trainings_within
from papers.replay import SearchNotCached, named_experiment, read_reported, retrain_all, stored_search
from repro import plots, provenance, stats
from repro.cache.store import Evaluation, Store
from repro.claims import Measured
from repro.cost import count_params
from repro.data import load_dataset
from repro.evaluator import Evaluator
from repro.gdas import GdasConfig, gdas_search
from repro.recipe import Recipe, as_recipe
from repro.spaces import get_space
from repro.spaces.darts import from_genotype
from repro.spaces.nb201 import unique_cells
from repro.trainer import pick_device

HERE = Path(__file__).parent
SEARCH_DIR = "gdas-searches"
ACCELERATION_DIR = "gdas-acceleration"
CIFAR = (3, 32, 32)

PUBLISHED = {
    "GDAS": from_genotype(
        [("skip_connect", 0), ("skip_connect", 1), ("skip_connect", 0), ("sep_conv_5x5", 2),
         ("sep_conv_3x3", 3), ("skip_connect", 0), ("sep_conv_5x5", 4), ("sep_conv_3x3", 3)],
        [("sep_conv_5x5", 0), ("sep_conv_3x3", 1), ("sep_conv_5x5", 2), ("sep_conv_5x5", 1),
         ("dil_conv_5x5", 2), ("sep_conv_3x3", 1), ("sep_conv_5x5", 0), ("sep_conv_5x5", 1)]),
    "GDAS (FRC)": from_genotype(
        [("skip_connect", 0), ("skip_connect", 1), ("skip_connect", 0), ("sep_conv_3x3", 2),
         ("skip_connect", 0), ("sep_conv_3x3", 2), ("skip_connect", 0), ("sep_conv_3x3", 2)], None),
}  # fmt: skip
"""Fig. 4's cells as the authors' public code lists them (D-X-Y/AutoDL-Projects, lib/nas/genotypes.py,
GDAS_V1 and GDAS_F1), copied as data."""


@dataclass(frozen=True)
class Experiment:
    """One scale: the cell space, the retraining recipe, the search settings, seeds and random cells."""

    name: str
    space: str
    frc: bool
    recipe: str | Recipe
    search: GdasConfig
    seeds: tuple[int, ...]
    random_cells: int
    train_seeds: tuple[int, ...]
    about: str


EXPERIMENTS = {
    "smoke": Experiment(
        "smoke", "nb201", False, "gdas-nb201-smoke", GdasConfig(epochs=8, search_images=2000), seeds=(0, 1, 2),
        random_cells=6, train_seeds=(0,),
        about="proxy, CPU minutes: Fashion-MNIST (3,000 training images; the search uses 1,000/1,000 of them), "
        "NAS-Bench-201 cells at C=8 with one cell per stage, 8 search epochs, retraining 2 epochs",
    ),
    "smoke-darts": Experiment(
        "smoke-darts", "darts", True, "gdas-darts-smoke", GdasConfig(epochs=3, search_images=1000), seeds=(0,),
        random_cells=3, train_seeds=(0,),
        about="proxy, CPU minutes: Fashion-MNIST (1,000 training images; the search uses 500/500 of them), the paper's "
        "DARTS cells with the fixed reduction cell (GDAS (FRC)) at C=8 with one cell per stage, one 3-epoch search, "
        "retraining 1 epoch",
    ),
    "gpu": Experiment(
        "gpu", "darts", False, "gdas-gpu",
        GdasConfig(epochs=10, channels=16, layers=2, search_images=50000, batch_size=64), seeds=(0, 1),
        random_cells=6, train_seeds=(0, 1),
        about="proxy, one ~25-minute GPU lease: Fashion-MNIST (25k/25k search halves, 50k/10k retraining), "
        "normal + reduction DARTS cells at the paper's search size (C=16, N=2), 10 search epochs, retraining 4 epochs",
    ),
    "cifar10": Experiment(
        "cifar10", "darts", False, "gdas-cifar10",
        GdasConfig(epochs=50, channels=16, layers=2, search_images=45000, batch_size=64), seeds=(0, 1, 2, 3),
        random_cells=8, train_seeds=(0, 1),
        about="the paper's dataset: CIFAR-10 from a local copy (--data-root, or $REPRO_DATA/cifar-10), DARTS cells "
        "at C=16, N=2, 50 search epochs on 22.5k/22.5k (the paper: 240 on 25k/25k), retraining 30 epochs; GPU hours",
    ),
}  # fmt: skip

LABELS = ("GDAS", "random cells", "random search")


def reported() -> dict[str, Any]:
    """The paper's numbers, as printed (``reported.toml``)."""
    return read_reported(HERE)


@dataclass
class Outcome:
    """Everything the report is made of."""

    experiment: Experiment
    recipe: Recipe
    searches: list[dict[str, Any]]
    genomes: dict[str, list[Any]]
    evaluations: dict[str, list[list[Evaluation]]]
    random_search: list[RandomSearch]
    """Per GDAS seed, random search under that search's budget; its picks are ``genomes["random search"]``."""
    acceleration: list[dict[str, Any]]


def _space(experiment: Experiment) -> Any:
    return get_space("darts", frc=experiment.frc) if experiment.space == "darts" else get_space(experiment.space)


def _search(experiment: Experiment, space: Any, recipe: Recipe, seed: int, store: Store, on_miss: str, device: str,
            data_root: str | None) -> dict[str, Any]:  # fmt: skip
    """The stored search of (experiment, seed), run and stored first if allowed."""
    what = {"space": space.name, "space_config": space.config(), "recipe": recipe.key,
            "config": dataclasses.asdict(experiment.search), "seed": seed}  # fmt: skip
    device = pick_device(device)

    def search() -> dict[str, Any]:
        data = load_dataset(recipe.dataset, data_root, val_size=recipe.val_size, split_seed=recipe.split_seed,
                            train_size=recipe.train_size, test_size=recipe.test_size)  # fmt: skip
        result = gdas_search(space, data, experiment.search, seed, recipe.normalize, device)
        return {**dataclasses.asdict(result), "genome": result.derived[-1]}

    return stored_search(store, SEARCH_DIR, what, on_miss, f"gdas {experiment.name}: search seed {seed}", device, search)


def _budget(experiment: Experiment, recipe: Recipe) -> float:
    """Example passes of one GDAS search plus the final training of the cell it derives."""
    return experiment.search.example_passes + training_cost(recipe)


def run(
    experiment: Experiment,
    store: Store,
    on_miss: str = "error",
    device: str = "auto",
    data_root: str | None = None,
    on_step: Callable[[], None] | None = None,
) -> Outcome:
    """Run (or replay from the cache) every search and retraining of ``experiment``."""
    space = _space(experiment)
    recipe = as_recipe(experiment.recipe)
    evaluator = Evaluator(space, recipe, store, on_miss=on_miss, device=device, data_root=data_root)
    searches = [_search(experiment, space, recipe, s, store, on_miss, device, data_root) for s in experiment.seeds]
    budget = _budget(experiment, recipe)
    picks = [random_search(evaluator, space.sample, s, budget, experiment.train_seeds[0], on_step) for s in experiment.seeds]
    rng = np.random.default_rng(1000)  # apart from the search seeds, so the cells differ from any search's draws
    genomes = {
        "GDAS": [space.from_json(r["genome"]) for r in searches],
        "random cells": [space.sample(rng) for _ in range(experiment.random_cells)],
        "random search": [p.genomes[p.pick] for p in picks],
    }
    evaluations = retrain_all(evaluator, genomes, experiment.train_seeds, on_step)
    folder = store.root / ACCELERATION_DIR
    acceleration = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.exists() else []
    return Outcome(experiment, recipe, searches, genomes, evaluations, picks, acceleration)


# -- numbers -------------------------------------------------------------------------------------


def _accs(outcome: Outcome, label: str) -> list[float]:
    return [100 * e.test_acc for rows in outcome.evaluations[label] for e in rows if e.test_acc is not None]


def comparisons(outcome: Outcome) -> dict[str, stats.Comparison]:
    """Test accuracy of the GDAS-derived cells (every retrained row) against each random baseline."""
    gdas = _accs(outcome, "GDAS")
    return {label: stats.compare(gdas, _accs(outcome, label), names=("GDAS", label)) for label in LABELS[1:]}


def _scale(recipe: Recipe) -> str:
    """How every table and figure names the data: the paper's dataset, or a labelled proxy."""
    return "CIFAR-10" if recipe.dataset == "cifar-10" else "proxy"


def _search_hours(outcome: Outcome) -> float:
    return statistics.fmean(r["seconds"] for r in outcome.searches) / 3600


def _devices(outcome: Outcome) -> str:
    found = {r["device"] for r in outcome.searches}
    found |= {e.device for rows in outcome.evaluations.values() for row in rows for e in row if e.status == "ok"}
    return "; ".join(sorted(d for d in found if d))


def describe_profile(outcome: Outcome) -> str:
    """One line naming the scale, space, seeds and devices that produced an outcome's numbers."""
    e, r, c = outcome.experiment, outcome.recipe, outcome.experiment.search
    space = f"{e.space}{' (FRC)' if e.frc else ''}"
    return (
        f"profile `{e.name}` ({_scale(r)}: {r.dataset}): {space} cells, supernet C={c.channels} N={c.layers}, "
        f"{c.epochs} search epochs on {c.search_images // 2}/{c.search_images // 2} images, tau {c.tau_max:g}->"
        f"{c.tau_min:g}, search seeds {', '.join(map(str, e.seeds))}; retraining {r.epochs} epochs at "
        f"C={r.model_options['channels']} N={r.model_options['layers']} on {r.train_size or 'all'} training images, "
        f"training seeds {', '.join(map(str, e.train_seeds))}; {e.random_cells} random cells; device {_devices(outcome)}"
    )


def _probabilities(search: dict[str, Any], kind: str) -> np.ndarray:
    """(epochs x candidates): each candidate's softmax probability, averaged over the edges."""
    logits = np.asarray([epoch[kind] for epoch in search["logits"]])
    probs = np.exp(logits - logits.max(axis=2, keepdims=True))
    return (probs / probs.sum(axis=2, keepdims=True)).mean(axis=1)


def write_report(outcome: Outcome, out_dir: Path) -> list[Path]:
    """The figures, ``summary.md`` and ``numbers.json`` under ``out_dir``."""
    e = outcome.experiment
    out_dir.mkdir(parents=True, exist_ok=True)
    space = _space(e)
    where = f"{_scale(outcome.recipe)}, {outcome.recipe.dataset} [{e.name}]"
    caption = f"Reproduced by repro ({describe_profile(outcome)})."
    kind = space.cell_types[0]
    panels = {f"seed {s}": _probabilities(r, kind) for s, r in zip(e.seeds, outcome.searches)}
    trajectory = plots.operator_frequencies(
        panels, space.candidates(kind)[0], out_dir / "operator_probabilities.png",
        title=f"GDAS, {where}: softmax(A) per {kind}-cell edge, mean over edges, per search epoch",
        caption=caption,
    )  # fmt: skip
    accuracy = plots.ecdfs(
        {label: _accs(outcome, label) for label in LABELS}, out_dir / "accuracy_ecdf.png",
        title=f"GDAS-derived vs random cells, {where}", xlabel="test accuracy after retraining (%)", caption=caption,
    )  # fmt: skip
    summary = _write_summary(outcome, out_dir / "summary.md")
    return [trajectory, accuracy, summary, _write_numbers(outcome, out_dir / "numbers.json")]


def _published_params() -> dict[str, int]:
    """Parameters of the published cells at C=36, N=6 on CIFAR-10 (no auxiliary head)."""
    space = get_space("darts")
    return {name: count_params(space.build(g, CIFAR, 10, channels=36, layers=6)) for name, g in PUBLISHED.items()}


def _derived_params(outcome: Outcome) -> list[int]:
    """Parameters of our derived cells built as Table 1's networks (C=36, N=6, CIFAR-10); DARTS space only."""
    if outcome.experiment.space != "darts":
        return []
    space = _space(outcome.experiment)
    return [count_params(space.build(g, CIFAR, 10, channels=36, layers=6)) for g in outcome.genomes["GDAS"]]


def _acceleration_lines(outcome: Outcome) -> list[str]:
    ratio = reported()["acceleration"]["ratio"]
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
    lines += ["| device | supernet | batch | ms/step hard | ms/step mixed | time ratio | peak MiB hard | "
              "peak MiB mixed | memory ratio | memory measured as | code |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]  # fmt: skip
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
    space = _space(e)
    budget, cost = _budget(e, recipe), training_cost(recipe)
    lines = [
        f"Random search at the GDAS budget ([`papers/budget.py`](../../../papers/budget.py)): one search passes "
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
        drawn = "; ".join(f"`{space.describe(g)}` ({100 * ev.value('val_acc'):.1f})" for g, ev in zip(p.genomes, p.evaluations))
        accs = ", ".join(f"{100 * ev.test_acc:.2f}" for ev in rows if ev.test_acc is not None)
        lines.append(f"| {p.seed} | {drawn} | cell {p.pick + 1} of {len(p.genomes)} | {accs} |")
    return lines


def _write_summary(outcome: Outcome, path: Path) -> Path:
    e, r = outcome.experiment, outcome.recipe
    space = _space(e)
    scale = _scale(r)
    published = _published_params()
    derived = _derived_params(outcome)
    hours = _search_hours(outcome)
    lines = [
        f"# GDAS (Dong & Yang) — {scale} reproduction, profile `{e.name}`",
        "",
        f"*{describe_profile(outcome)}.* {e.about}.",
        "",
        "**Reported** = printed in the paper. **Reproduced** = computed by this project's code "
        f"(`repro reproduce gdas --profile {e.name}`). "
        + ("Every accuracy here is a **proxy** (Fashion-MNIST), never compared with the paper's CIFAR errors."
           if scale == "proxy" else "Accuracies are on CIFAR-10, at a smaller scale than Table 1's."),
        "",
        "## Table 1: GDAS rows as reported, beside our counts",
        "",
        "| model | GPUs | search GPU days | params (M) | CIFAR-10 error | CIFAR-100 error | params ours, published cells "
        "(C=36, N=6) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]  # fmt: skip
    for row in reported()["table1"]:
        ours = published["GDAS (FRC)" if "FRC" in row["model"] else "GDAS"]
        lines.append(f"| {row['model']} | {row['gpus']} | {row['gpu_days']} | {row['params_m']} | "
                     f"{row['cifar10_error']}% | {row['cifar100_error']}% | {ours:,} |")  # fmt: skip
    lines += [
        "",
        f"Ours ({scale}, {space.name}{' FRC' if e.frc else ''} space): one search took "
        f"{hours:.3f} h = {hours / 24:.4f} days on {', '.join(sorted({s['device'] for s in outcome.searches}))} "
        f"(mean of {len(e.seeds)} seeds, {e.search.epochs} epochs at C={e.search.channels}, N={e.search.layers}; "
        "the paper: 240 epochs at C=16, N=2 on 25k/25k CIFAR-10 images).",
    ]
    if derived:
        lines.append(f"Our derived cells built as Table 1's network (C=36, N=6, CIFAR-10): "
                     f"{', '.join(f'{p / 1e6:.2f} M' for p in derived)} parameters.")  # fmt: skip
    if e.space == "nb201":
        lines.append(f"NAS-Bench-201 space: the 15,625 encodings have {unique_cells():,} distinct canonical forms "
                     "(dead `none`-cut edges removed, isomorphic node orders merged).")  # fmt: skip
    lines += ["", *_acceleration_lines(outcome), f"## GDAS-derived cells vs random search ({scale}: {r.dataset})", "",
              "| search | seed | cell | supernet val acc (last epoch) | params | test acc (%) |",
              "| --- | ---: | --- | ---: | ---: | ---: |"]  # fmt: skip
    for label in ("GDAS", "random cells"):
        for i, (genome, rows) in enumerate(zip(outcome.genomes[label], outcome.evaluations[label])):
            supernet = f"{100 * outcome.searches[i]['val_acc'][-1]:.1f}%" if label == "GDAS" else "—"
            accs = ", ".join(f"{100 * ev.test_acc:.2f}" for ev in rows if ev.test_acc is not None)
            lines.append(f"| {label} | {e.seeds[i] if label == 'GDAS' else i} | `{space.describe(genome)}` | {supernet} | "
                         f"{rows[0].params:,} | {accs} |")  # fmt: skip
    lines += ["", *_random_search_lines(outcome)]
    lines += ["", f"| label | mean test acc ({scale}, {r.dataset}) | sd | n |", "| --- | ---: | ---: | ---: |"]
    for label in LABELS:
        accs = _accs(outcome, label)
        sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
        lines.append(f"| {label} | {statistics.fmean(accs):.2f}% | {sd:.2f} | {len(accs)} |")
    for label, cmp in comparisons(outcome).items():
        lines += ["", f"### GDAS vs {label} ({scale}: {r.dataset}, profile `{e.name}`)", "", cmp.to_markdown()]
    lines += [
        "",
        "## Figures",
        "",
        f"- `operator_probabilities.png`: per search seed, softmax(A) of each candidate averaged over the edges of the "
        f"`{space.cell_types[0]}` logits, after each search epoch.",
        "- `accuracy_ecdf.png`: distribution of test accuracy after retraining, GDAS-derived cells vs random cells vs "
        "the budget-matched random-search picks.",
        "",
        "## Protocol notes",
        "",
        "- One architecture is sampled per batch (as the authors' code); the paper's text samples one per image.",
        "- The unsampled candidates of an edge add their straight-through weight (0 in the forward) so that every "
        "logit gets a gradient, as in the authors' code; only the sampled candidate is computed.",
        "- Retraining uses the recipe's optimiser (Adam) and no CutOut, drop-path or auxiliary head.",
        f"- Generated {provenance.now():%Y-%m-%d %H:%M} UTC by repro {provenance.code_version()}.",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _write_numbers(outcome: Outcome, path: Path) -> Path:
    data = {
        "profile": outcome.experiment.name,
        "recipe_key": outcome.recipe.key,
        "searches": [{k: s[k] for k in ("seed", "genome", "seconds", "device", "val_acc", "tau")} for s in outcome.searches],
        "test_acc": {label: [[e.test_acc for e in rows] for rows in outcome.evaluations[label]] for label in LABELS},
        "random_search": [p.summary(_space(outcome.experiment)) for p in outcome.random_search],
        "comparisons": {k: vars(v) for k, v in comparisons(outcome).items()},
    }
    path.write_text(json.dumps(data, indent=1, default=float) + "\n")
    return path


# -- claims --------------------------------------------------------------------------------------


def structural_measurements() -> list[Measured]:
    """Table 1's parameter counts of the published cells, and the NAS-Bench-201 deduplication (no cache needed)."""
    params = _published_params()
    detail = "built at C=36, N=6 for CIFAR-10, no auxiliary head; cells from the authors' public genotypes"
    return [
        Measured("gdas_params", "any", params["GDAS"], detail, "counted by repro.cost.count_params"),
        Measured("gdas_frc_params", "any", params["GDAS (FRC)"], detail, "counted by repro.cost.count_params"),
        Measured("nb201_unique_cells", "any", unique_cells(), "of 15,625 NAS-Bench-201 encodings; not a paper claim",
                 "repro.spaces.nb201.canonical_text over every encoding"),
    ]  # fmt: skip


def measurements(outcome: Outcome) -> list[Measured]:
    """Our search cost, the accuracies of GDAS-derived and random cells, and whether GDAS beats random."""
    e = outcome.experiment
    where = f"{_scale(outcome.recipe)}: {e.space}{' (FRC)' if e.frc else ''} on {outcome.recipe.dataset}"
    rows = [ev for label in LABELS[:2] for r in outcome.evaluations[label] for ev in r]
    prov = (f"{len(rows)} cached rows, recipe {outcome.recipe.key}; {len(outcome.searches)} stored searches; code "
            f"{', '.join(sorted({ev.code_version or '' for ev in rows} | {s['code_version'] for s in outcome.searches}))}")  # fmt: skip
    cmp = comparisons(outcome)["random search"]
    out = [
        Measured("gdas_derived_test_acc", e.name, round(statistics.fmean(_accs(outcome, "GDAS")), 4), where, prov),
        Measured("random_cells_test_acc", e.name, round(statistics.fmean(_accs(outcome, "random cells")), 4), where, prov),
        Measured("random_search_test_acc", e.name, round(statistics.fmean(_accs(outcome, "random search")), 4), where,
                 prov),
        Measured("gdas_beats_random", e.name, "yes" if cmp.mw_p < 0.05 and cmp.a12 > 0.5 else "no",
                 f"Mann-Whitney p = {cmp.mw_p:.3g}, A12 = {cmp.a12:.2f}", prov),
    ]  # fmt: skip
    if e.space == "darts":
        claim = "gdas_frc_search_gpu_days" if e.frc else "gdas_search_gpu_days"
        out.append(Measured(claim, e.name, round(_search_hours(outcome) / 24, 6),
                            f"{e.search.epochs} epochs at C={e.search.channels}, N={e.search.layers} on "
                            f"{_devices(outcome)}; {where}", prov))  # fmt: skip
        out.append(Measured("derived_params_c36_n6", e.name, int(statistics.fmean(_derived_params(outcome))),
                            f"mean over search seeds; not a paper claim ({where})", prov))  # fmt: skip
    return out


def total_evaluations(experiment: Experiment) -> int:
    """How many evaluations a reproduction makes (for progress bars): random search's trainings, then
    every training seed of the GDAS cells, the random cells and random search's picks."""
    recipe = as_recipe(experiment.recipe)
    searched = trainings_within(_budget(experiment, recipe), recipe)
    return len(experiment.seeds) * searched + (2 * len(experiment.seeds) + experiment.random_cells) * len(experiment.train_seeds)


def get_experiment(name: str) -> Experiment:
    """The named experiment, or a ReproError listing them."""
    return named_experiment("gdas", EXPERIMENTS, name)


__all__ = ["EXPERIMENTS", "Experiment", "Outcome", "SearchNotCached", "describe_profile", "get_experiment",
           "measurements", "reported", "run", "total_evaluations", "write_report"]  # fmt: skip
