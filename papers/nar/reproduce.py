"""Reproduce Jiang, Zhao & Pang, "Neural Architecture Refinement" (NAR): ENAS over operator vectors of a fixed ResNet.

Composes registered parts: the ``nar`` space, its ENAS search (:mod:`repro.spaces.nar.enas`, with and
without the random "PreTrain"), the cache-backed evaluator for every retraining from scratch,
:mod:`repro.stats` and :mod:`repro.plots`. Baselines: the unmodified backbone; uniformly random
operator vectors, as many as each NAR variant retrains; and, per search seed and variant, random
search under that search's compute budget (:mod:`papers.budget`: its example passes plus the
final training of its vector, spent on whole trainings of distinct random vectors, the best by
validation accuracy kept).

Every experiment but ``cifar10`` is a **proxy** on Fashion-MNIST (no ImageNet experiment is
defined), so their accuracies are shown beside the paper's Table 5 but never compared with it.
Table 4's parameters and FLOPs are structural and are counted on the ImageNet-sized ResNet-18.

A supernet search is not a cached evaluation, so its result (the derived vectors and the operator
frequencies) is stored as JSON under ``<cache>/nar-searches/``, keyed by everything that decides
it; replays read it and never search.
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

from papers.budget import FORWARD_ONLY, RandomSearch, random_search, split_sizes, training_cost, trainings_within
from papers.replay import (SearchNotCached, named_experiment, read_reported, retrain_all,
                           stored_search)  # fmt: skip
from repro import plots, provenance, stats
from repro.cache.store import Evaluation, Store
from repro.claims import Measured
from repro.cost import count_macs, count_params
from repro.data import load_dataset
from repro.evaluator import Evaluator
from repro.recipe import Recipe, as_recipe
from repro.spaces import get_space
from repro.spaces.nar import NarGenome, NarSpace
from repro.spaces.nar.enas import EnasConfig, enas_search
from repro.trainer import pick_device

HERE = Path(__file__).parent
SEARCH_DIR = "nar-searches"
IMAGENET = (3, 224, 224)

TABLE4 = {
    "resnet18": ("resnet18-8-imagenet", [0] * 8),
    "resnet18_8": ("resnet18-8-imagenet", [1, 0, 0, 0, 0, 0, 0, 0]),
    "resnet18_16": ("resnet18-16-imagenet", [1, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0]),
}
"""Table 4's vectors as we apply them (the printed 7/15 entries, conv3x3 appended at the last choice)."""


@dataclass(frozen=True)
class Experiment:
    """One scale: the backbone, the recipe (data split for the search, and the retraining), the search settings."""

    name: str
    backbone: str
    recipe: str | Recipe
    search: EnasConfig
    pretrain_epochs: int
    seeds: tuple[int, ...]
    train_seeds: tuple[int, ...]
    about: str


EXPERIMENTS = {
    "smoke": Experiment(
        "smoke", "resnet-small", "nar-smoke", EnasConfig(epochs=4), pretrain_epochs=2, seeds=(0, 1, 2),
        train_seeds=(0, 1),
        about="proxy, CPU minutes: Fashion-MNIST (3,000 training images), a 3-block ResNet at 8 channels, "
        "4 supernet epochs (+2 random for PreTrain), retraining 2 epochs",
    ),
    "gpu": Experiment(
        "gpu", "resnet18-16-cifar", "remnet-gpu",
        EnasConfig(epochs=10, batch_size=128, controller_steps=50, derive_samples=16, derive_val=5000),
        pretrain_epochs=3, seeds=(0, 1, 2), train_seeds=(0, 1, 2),
        about="proxy, one GPU lease: Fashion-MNIST (50k/10k), ResNet-18-16 with the CIFAR stem at 64 channels",
    ),
    "cifar10": Experiment(
        "cifar10", "resnet18-16-cifar", "nar-cifar10",
        EnasConfig(epochs=50, batch_size=128, controller_steps=100, derive_samples=32, derive_val=5000),
        pretrain_epochs=10, seeds=(0, 1, 2), train_seeds=(0, 1, 2),
        about="the paper's dataset: CIFAR-10 from a local copy (--data-root, or $REPRO_DATA/cifar-10), ResNet-18-16 "
        "with the CIFAR stem at 64 channels; GPU hours, resumable",
    ),
    "paper": Experiment(
        "paper", "resnet18-16-cifar", "remnet-paper",
        EnasConfig(epochs=50, batch_size=128, controller_steps=100, derive_samples=32, derive_val=10000),
        pretrain_epochs=10, seeds=(0, 1, 2), train_seeds=(0, 1, 2),
        about="proxy at the paper's search scale: Fashion-MNIST (50k/10k), ResNet-18-16 (CIFAR stem), GPU hours",
    ),
}  # fmt: skip

VARIANTS = ("NAR", "NAR-PreTrain")
RANDOM_SEARCH = {v: f"random search ({v} budget)" for v in VARIANTS}
"""Per NAR variant, the label of random search under that variant's budget."""
LABELS = ("baseline", *VARIANTS, "random", *RANDOM_SEARCH.values())


def reported() -> dict[str, Any]:
    """The paper's numbers, as printed (``reported.toml``)."""
    return read_reported(HERE)


@dataclass
class Outcome:
    """Everything the report is made of: per label, the retrained genomes and their evaluations."""

    experiment: Experiment
    recipe: Recipe
    searches: dict[str, list[dict[str, Any]]]
    genomes: dict[str, list[NarGenome]]
    evaluations: dict[str, list[list[Evaluation]]]
    random_search: dict[str, list[RandomSearch]]
    """Per NAR variant, per search seed, random search under that search's budget (picks in ``genomes``)."""


def _config(experiment: Experiment, variant: str) -> EnasConfig:
    pretrain = experiment.pretrain_epochs if variant == "NAR-PreTrain" else 0
    return dataclasses.replace(experiment.search, pretrain_epochs=pretrain)


def _budget(experiment: Experiment, recipe: Recipe, variant: str) -> float:
    """Example passes of one search of ``variant`` plus the final training of the vector it finds."""
    return _config(experiment, variant).example_passes(*split_sizes(recipe), FORWARD_ONLY) + training_cost(recipe)


def _search(experiment: Experiment, space: NarSpace, recipe: Recipe, variant: str, seed: int, store: Store,
            on_miss: str, device: str, data_root: str | None) -> dict[str, Any]:  # fmt: skip
    """The stored search of (experiment, variant, seed), run and stored first if allowed."""
    config = _config(experiment, variant)
    what = {"space": space.config(), "recipe": recipe.key, "config": dataclasses.asdict(config), "seed": seed}
    device = pick_device(device)

    def search() -> dict[str, Any]:
        data = load_dataset(recipe.dataset, data_root, val_size=recipe.val_size, split_seed=recipe.split_seed,
                            train_size=recipe.train_size, test_size=recipe.test_size)  # fmt: skip
        result = enas_search(space, data, config, seed, recipe.model_options["channels"], recipe.normalize, device)
        return {"variant": variant, "best": list(result.best), "derived": [[list(v), acc] for v, acc in result.derived],
                "frequencies": result.frequencies.tolist()}  # fmt: skip

    return stored_search(store, SEARCH_DIR, what, on_miss, f"nar {experiment.name}: search {variant} seed {seed}",
                         device, search)  # fmt: skip


def run(
    experiment: Experiment,
    store: Store,
    on_miss: str = "error",
    device: str = "auto",
    data_root: str | None = None,
    on_step: Callable[[], None] | None = None,
) -> Outcome:
    """Run (or replay from the cache) every search and retraining of ``experiment``."""
    space = get_space("nar", backbone=experiment.backbone)
    assert isinstance(space, NarSpace)
    recipe = as_recipe(experiment.recipe)
    evaluator = Evaluator(space, recipe, store, on_miss=on_miss, device=device, data_root=data_root)
    searches = {
        v: [_search(experiment, space, recipe, v, s, store, on_miss, device, data_root) for s in experiment.seeds]
        for v in VARIANTS
    }
    first = experiment.train_seeds[0]
    picks = {v: [random_search(evaluator, space.sample, s, _budget(experiment, recipe, v), first, on_step)
                 for s in experiment.seeds] for v in VARIANTS}  # fmt: skip
    genomes = {
        "baseline": [space.baseline()],
        **{v: [space.genome(r["best"]) for r in searches[v]] for v in VARIANTS},
        # One random vector per search seed: as many retrained architectures as each NAR variant.
        "random": [space.sample(np.random.default_rng(seed)) for seed in experiment.seeds],
        **{RANDOM_SEARCH[v]: [p.genomes[p.pick] for p in picks[v]] for v in VARIANTS},
    }
    evaluations = retrain_all(evaluator, genomes, experiment.train_seeds, on_step)
    return Outcome(experiment, recipe, searches, genomes, evaluations, picks)


# -- numbers -------------------------------------------------------------------------------------


def _accs(outcome: Outcome, label: str) -> list[float]:
    return [100 * e.test_acc for rows in outcome.evaluations[label] for e in rows if e.test_acc is not None]


def comparisons(outcome: Outcome) -> dict[str, stats.Comparison]:
    """Test accuracy of every retrained row of each label against the baseline's rows."""
    base = _accs(outcome, "baseline")
    return {label: stats.compare(_accs(outcome, label), base, names=(label, "baseline")) for label in LABELS[1:]}


def against_random_search(outcome: Outcome) -> dict[str, stats.Comparison]:
    """Per NAR variant, its retrained rows against those of random search under the same budget."""
    return {v: stats.compare(_accs(outcome, v), _accs(outcome, RANDOM_SEARCH[v]), names=(v, RANDOM_SEARCH[v]))
            for v in VARIANTS}  # fmt: skip


def _is_proxy(recipe: Recipe) -> bool:
    return recipe.dataset != "cifar-10"


def _scale(recipe: Recipe) -> str:
    """How every table and figure names the data: the paper's dataset, or a labelled proxy."""
    return "proxy" if _is_proxy(recipe) else "CIFAR-10"


def describe_profile(outcome: Outcome) -> str:
    """One line naming the scale, seeds and devices that produced an outcome's numbers."""
    e, r = outcome.experiment, outcome.recipe
    devices = {ev.device for rows in outcome.evaluations.values() for row in rows for ev in row if ev.status == "ok"}
    return (
        f"profile `{e.name}` ({_scale(r)}: {r.dataset}): backbone {e.backbone}, "
        f"{e.search.epochs} supernet epochs (+{e.pretrain_epochs} for PreTrain), search seeds "
        f"{', '.join(map(str, e.seeds))}; retraining {r.epochs} epochs, {r.model_options['channels']} channels, "
        f"{r.train_size or 'all'} training images, training seeds {', '.join(map(str, e.train_seeds))}; "
        f"device {'; '.join(sorted(d for d in devices if d))}"
    )


def write_report(outcome: Outcome, out_dir: Path) -> list[Path]:
    """The operator-frequency figure, ``summary.md`` and ``numbers.json`` under ``out_dir``."""
    e = outcome.experiment
    out_dir.mkdir(parents=True, exist_ok=True)
    space = get_space("nar", backbone=e.backbone)
    panels = {v: np.mean([np.asarray(r["frequencies"]) for r in outcome.searches[v]], axis=0) for v in VARIANTS}
    figure = plots.operator_frequencies(
        panels, space.candidates, out_dir / "operator_frequencies.png",
        title=f"NAR, {_scale(outcome.recipe)} [{e.name}]: operators sampled per supernet epoch (mean over {len(e.seeds)} seeds)",
        caption=f"Reproduced by repro ({describe_profile(outcome)}).",
        marker={"NAR-PreTrain": e.pretrain_epochs + 0.5},
    )  # fmt: skip
    return [figure, _write_summary(outcome, out_dir / "summary.md"), _write_numbers(outcome, out_dir / "numbers.json")]


def _cost_rows() -> list[tuple[str, str, int, int]]:
    rows = []
    for name, (backbone, codes) in TABLE4.items():
        space = get_space("nar", backbone=backbone)
        model = space.build(space.genome(codes), IMAGENET, 1000)
        rows.append((name, space.describe(space.genome(codes)), count_params(model), count_macs(model, IMAGENET)))
    return rows


def _write_summary(outcome: Outcome, path: Path) -> Path:
    e = outcome.experiment
    space = get_space("nar", backbone=e.backbone)
    claims = {c["id"]: c for c in reported()["claim"]}
    lines = [
        f"# NAR (Jiang, Zhao & Pang) — {_scale(outcome.recipe)} reproduction, profile `{e.name}`",
        "",
        f"*{describe_profile(outcome)}.* {e.about}.",
        "",
        "**Reported** = printed in the paper. **Reproduced** = computed by this project's code "
        f"(`repro reproduce nar --profile {e.name}`). "
        + ("Every accuracy here is a **proxy** (Fashion-MNIST): it is shown beside the paper's CIFAR-10 numbers, "
           "never compared with them." if _is_proxy(outcome.recipe) else
           "Accuracies are on CIFAR-10, the paper's dataset; `repro regress` compares them with Table 5."),
        "",
        "## Table 4 (structural): ImageNet-sized ResNet-18, the paper's vectors",
        "",
        "| model | vector as built | params reported | params ours | FLOPs reported | multiply-adds ours |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, describe, params, macs in _cost_rows():
        lines.append(f"| {name} | `{describe}` | {claims[f'{name}_params']['value']:.3g} | {params:,} | "
                     f"{claims[f'{name}_flops']['value']:.3g} | {macs:,} |")  # fmt: skip
    base = outcome.evaluations["baseline"][0][0]
    lines += [
        "",
        f"## Table 4 style ({_scale(outcome.recipe)}): vectors found, with and without PreTrain",
        "",
        "| search | seed | vector (codes: " + ", ".join(f"{i} {op}" for i, op in enumerate(space.candidates))
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
    lines += ["", f"## Table 5 style ({_scale(outcome.recipe)}): test accuracy, baseline vs refined", "",
              "| model | CIFAR-10 | ImageNet top-1 | ImageNet top-5 | source |", "| --- | ---: | ---: | ---: | --- |"]  # fmt: skip
    for row in reported()["table5"]:
        lines.append(f"| {row['model']} | {row['cifar10']}% | {row['imagenet_top1']}% | "
                     f"{row['imagenet_top5']}% | reported |")  # fmt: skip
    for label in LABELS:
        accs = _accs(outcome, label)
        sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
        lines.append(f"| {label} ({_scale(outcome.recipe)}, {e.backbone}) | {statistics.fmean(accs):.2f}% ± {sd:.2f} "
                     f"({outcome.recipe.dataset}, n={len(accs)}) | — | — | reproduced |")  # fmt: skip
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
        "- Retraining uses the recipe's optimiser (Adam), not the paper's SGD schedule; the supernet uses SGD "
        "with Nesterov momentum and a cosine learning rate.",
        "- Depthwise candidates are depthwise-separable (k x k depthwise + 1 x 1 pointwise); pooling at a "
        "channel-changing slot is followed by a 1 x 1 projection (see `repro/spaces/nar/backbones.py`).",
        f"- Generated {provenance.now():%Y-%m-%d %H:%M} UTC by repro {provenance.code_version()}.",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _random_search_lines(outcome: Outcome) -> list[str]:
    """How each variant's budget-matched random search was sized, what it drew and picked, and the tests."""
    e, recipe = outcome.experiment, outcome.recipe
    space = get_space("nar", backbone=e.backbone)
    cost = training_cost(recipe)
    lines = [f"## NAR vs random search under the same budget ({_scale(recipe)})", "",
             "Budgets are counted in example passes ([`papers/budget.py`](../../../papers/budget.py)): a training "
             "example through forward and backward is 1, a forward-only one (controller rewards, deriving, "
             f"validation) 1/3. One retraining costs {cost:,.0f}; each variant's budget is its search plus that, spent "
             "by random search on whole trainings of distinct random vectors (seeded by the search seed), the best by "
             "validation accuracy kept.", "",
             "| variant | search passes | budget | trainings | seed | vectors drawn (val acc %) | pick's test acc (%) |",
             "| --- | ---: | ---: | ---: | ---: | --- | ---: |"]  # fmt: skip
    for v in VARIANTS:
        budget = _budget(e, recipe, v)
        for p, rows in zip(outcome.random_search[v], outcome.evaluations[RANDOM_SEARCH[v]]):
            drawn = "; ".join(f"{'**' if i == p.pick else ''}`{space.describe(g)}` ({100 * ev.value('val_acc'):.1f})"
                              f"{'**' if i == p.pick else ''}" for i, (g, ev) in enumerate(zip(p.genomes, p.evaluations)))  # fmt: skip
            accs = ", ".join(f"{100 * ev.test_acc:.2f}" for ev in rows if ev.test_acc is not None)
            lines.append(f"| {v} | {budget - cost:,.0f} | {budget:,.0f} | {trainings_within(budget, recipe)} | {p.seed} "
                         f"| {drawn} | {accs} |")  # fmt: skip
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
        "random_search": {v: [p.summary(get_space("nar", backbone=outcome.experiment.backbone)) for p in picks]
                          for v, picks in outcome.random_search.items()},
        "against_random_search": {k: vars(v) for k, v in against_random_search(outcome).items()},
    }
    path.write_text(json.dumps(data, indent=1, default=float) + "\n")
    return path


# -- claims --------------------------------------------------------------------------------------


def structural_measurements() -> list[Measured]:
    """Table 4's parameters and multiply-adds, counted on the built ImageNet-sized networks (no cache needed)."""
    out = []
    for name, describe, params, macs in _cost_rows():
        out.append(Measured(f"{name}_params", "any", params, describe, "counted by repro.cost.count_params"))
        out.append(
            Measured(f"{name}_flops", "any", macs, describe, "conv + linear multiply-adds, repro.cost.count_macs")
        )
    return out


def measurements(outcome: Outcome) -> list[Measured]:
    """Our values for Table 5 (comparable only at the ``cifar10`` profile) and the searches' findings."""
    name = outcome.experiment.name
    where = f"{_scale(outcome.recipe)}: {outcome.experiment.backbone} on {outcome.recipe.dataset}"
    rows = [e for label in LABELS for r in outcome.evaluations[label] for e in r]
    prov = (f"{len(rows)} cached rows, recipe {outcome.recipe.key}; code "
            f"{', '.join(sorted({e.code_version or '' for e in rows}))}")  # fmt: skip
    cmp, rs = comparisons(outcome), against_random_search(outcome)
    return [
        Measured("resnet18_cifar10_acc", name, round(statistics.fmean(_accs(outcome, "baseline")), 4),
                 f"unmodified ({where})", prov),
        Measured("resnet18_16_cifar10_acc", name, round(statistics.fmean(_accs(outcome, "NAR")), 4),
                 f"NAR-refined ({where})", prov),
        Measured("refined_beats_baseline", name, "yes" if cmp["NAR"].mw_p < 0.05 and cmp["NAR"].a12 > 0.5 else "no",
                 f"Mann-Whitney p = {cmp['NAR'].mw_p:.3g}, A12 = {cmp['NAR'].a12:.2f}", prov),
        Measured("nar_pretrain_test_acc", name, round(statistics.fmean(_accs(outcome, "NAR-PreTrain")), 4),
                 f"{where}; not a paper claim", prov),
        Measured("random_vectors_test_acc", name, round(statistics.fmean(_accs(outcome, "random")), 4),
                 f"{where}; not a paper claim", prov),
        Measured("random_search_test_acc", name, round(statistics.fmean(_accs(outcome, RANDOM_SEARCH["NAR"])), 4),
                 f"at NAR's budget ({where}); not a paper claim", prov),
        Measured("nar_beats_random_search", name, "yes" if rs["NAR"].mw_p < 0.05 and rs["NAR"].a12 > 0.5 else "no",
                 f"Mann-Whitney p = {rs['NAR'].mw_p:.3g}, A12 = {rs['NAR'].a12:.2f}; not a paper claim", prov),
    ]  # fmt: skip


def total_evaluations(experiment: Experiment) -> int:
    """How many evaluations a reproduction makes (for progress bars): the random searches' trainings, then
    every training seed of the baseline, the NAR vectors, the random vectors and random search's picks."""
    recipe = as_recipe(experiment.recipe)
    searched = sum(trainings_within(_budget(experiment, recipe, v), recipe) for v in VARIANTS)
    return len(experiment.seeds) * searched + (1 + 5 * len(experiment.seeds)) * len(experiment.train_seeds)


def get_experiment(name: str) -> Experiment:
    """The named experiment, or a ReproError listing them."""
    return named_experiment("nar", EXPERIMENTS, name)


__all__ = ["EXPERIMENTS", "Experiment", "Outcome", "SearchNotCached", "describe_profile", "get_experiment",
           "measurements", "reported", "run", "total_evaluations", "write_report"]  # fmt: skip
