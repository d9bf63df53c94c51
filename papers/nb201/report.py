"""NAS-Bench-201 protocol: the report of one outcome (anytime bands per search, ``summary.md``, ``numbers.json``)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from papers.nb201.numbers import naswot_tau, ranked, surrogate_table
from papers.nb201.reproduce import PARAMS, SEARCHES, TIME_BUDGET, Outcome, describe_profile
from papers.replay import written_by
from repro import plots

SPLITS = {
    "nb201-cifar10-200ep:test_acc": "CIFAR-10 test (trained on 50k, 200 ep)",
    "nb201-cifar10-valid-200ep:val_acc": "cifar10-valid validation (200 ep)",
    "nb201-cifar100-200ep:val_acc": "CIFAR-100 x-valid (200 ep)",
    "nb201-imagenet16-200ep:val_acc": "ImageNet16-120 x-valid (200 ep)",
}
"""What each final metric is, in the tables' words."""


def write_report(outcome: Outcome, out_dir: Path) -> list[Path]:
    """One anytime figure per search, ``summary.md`` and ``numbers.json`` under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = [
        _anytime(name, s, out_dir / f"anytime_{name}.png", describe_profile(outcome))
        for name, s in outcome.summaries.items()
    ]
    summary = out_dir / "summary.md"
    summary.write_text("\n".join(_summary_lines(outcome)) + "\n")
    numbers = out_dir / "numbers.json"
    numbers.write_text(
        json.dumps(
            {
                "profile": outcome.experiment.name,
                "table": outcome.table,
                "searches": outcome.summaries,
                "hash": outcome.hash,
                "surrogate": outcome.surrogate,
                **({"naswot": outcome.naswot} if isinstance(outcome.naswot, dict) else {}),
            },
            indent=1,
            default=float,
        )
        + "\n"
    )
    return [*figures, summary, numbers]


def _anytime(name: str, s: dict[str, Any], path: Path, caption: str) -> Path:
    """Mean best 12-epoch reward so far over simulated seconds, with 95% bands, per strategy."""
    grid = np.asarray(s["grid"])
    series = {
        strategy: plots.Series(
            grid, *(100 * np.asarray(row["band"][k], dtype=float) for k in ("mean", "lower", "upper")), row["runs"]
        )
        for strategy, row in s["strategies"].items()
    }
    return plots.anytime(
        series,
        path,
        title=f"NAS-Bench-201 protocol, {name}: best 12-epoch validation accuracy so far",
        xlabel="simulated seconds",
        ylabel="best reward so far (%)",
        limits=(0.0, 100.0),
        caption=f"x: simulated seconds, the 12-epoch training times from the tables. Imported NB201 measurements, "
        f"replayed by repro ({caption}).",
    )


def _pct(v: float | None) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.2f}"


def _summary_lines(outcome: Outcome) -> list[str]:
    lines = [
        "# NAS-Bench-201's search protocol on its imported tables",
        "",
        f"Reproduced by repro: {describe_profile(outcome)}. Every accuracy is a measurement NAS-Bench-201 made "
        "(imported, never trained here); accuracies in %. Sources: "
        + "; ".join(f"`{s['file']}` ({s['origin']}, {s['licence']})" for s in outcome.table["sources"])
        + ".",
        "",
        f"Protocol: reward = 12-epoch validation accuracy; cost = its recorded training time; {TIME_BUDGET:,.0f} "
        f"simulated seconds per run, one worker; parameters {json.dumps(PARAMS)} (REA: NB201's R-EA.sh; "
        "REINFORCE: REINFORCE.sh). Each run ends with the best architecture it found (REINFORCE: its policy's most "
        "likely cell), valued by the mean of every row of that network. A12 and Mann-Whitney p against random "
        "search (`rs`) on the first final column, Holm-corrected over the strategies.",
    ]
    for search in SEARCHES:
        s = outcome.summaries[search.name]
        lines += [
            "",
            f"## Search on {search.name} (reward: `{s['profile']}` {s['metric']})",
            "",
            "| strategy | runs | evaluations | best reward | "
            + " | ".join(SPLITS[f] + " mean ± sd" for f in s["final"])
            + " | gap closed | A12 vs rs | p (Holm) |",
            "|---|---:|---:|---:|" + "---:|" * len(s["final"]) + "---:|---:|---:|",
        ]
        for strategy, row in ranked(s):
            finals = " | ".join(f"{_pct(m)} ± {_pct(sd)}" for m, sd in (row["final"][f] for f in s["final"]))
            a12 = "n/a" if row["a12"] is None else f"{row['a12']:.2f}"
            p = "n/a" if row["p_holm"] is None else f"{row['p_holm']:.3g}"
            gap = "n/a" if row["gap_closed"] is None else f"{row['gap_closed']:.3f}"
            lines.append(
                f"| {strategy} | {row['runs']} | {row['evaluations']:.1f} | {_pct(row['mean_best_reward'])} | "
                f"{finals} | {gap} | {a12} | {p} |"
            )
        lines += ["", "Known answers from the same tables:", ""]
        for label, known in s["known"].items():
            lines.append(
                f"- {SPLITS[label]}: best network {_pct(known['best'])} (`{known['best_arch']}`), ResNet-like "
                f"cell {_pct(known['ResNet-like cell'])}, average network {_pct(known['average'])}"
            )
        lines += ["", f"![anytime {search.name}](anytime_{search.name}.png)"]
    lines += _hash_lines(outcome.hash)
    if outcome.surrogate is not None:
        lines += _surrogate_lines(outcome)
    lines += [
        "",
        "- **gap closed**: (mean final value of the first column - the average network's) / (the best network's - "
        "the average network's); the average network weighs every canonical network once.",
        "- NAS-Bench-201's own numbers for these baselines are not printed here: the paper's text is not among this "
        "project's sources, so they could not be verified.",
        written_by("nb201", outcome.experiment.name),
    ]
    return lines


def _surrogate_lines(outcome: Outcome) -> list[str]:
    """Kendall tau / MAE of the surrogate's regressor against the number of training networks."""
    study = outcome.surrogate
    assert study is not None
    lines = [
        "",
        "## How far `--on-miss surrogate` can be trusted on NB201",
        "",
        f"repro's surrogate regressor (gradient boosting on one-hot operations per edge) fit on n of NB201's "
        f"{study['networks']:,} networks (12-epoch `cifar10-valid` validation accuracy, mean per network), tested "
        f"on {study['test']:,} others; mean ± sd over splits:",
        "",
        "| training networks | Kendall tau | MAE (points) | NASWOT score's Kendall tau (no training networks) |",
        "|---:|---:|---:|---:|",
    ]
    naswot = outcome.naswot
    proxy = "n/a" if not isinstance(naswot, dict) else "{:.3f} ± {:.3f}".format(*naswot_tau(naswot))
    for n, tau, tau_sd, mae, mae_sd in surrogate_table(outcome):
        lines.append(f"| {n:,} | {tau:.3f} ± {tau_sd:.3f} | {mae:.2f} ± {mae_sd:.2f} | {proxy} |")
    lines += [
        "",
        "NASWOT (Mellor et al., ICML 2021) scores an untrained network; its column is the Kendall tau of the "
        "score published in BayesWatch/nas-without-training's file (imported source `naswot_nb201_cifar10.csv.gz`; "
        "each network scored by the string whose features the surrogate sees) against the same target on the "
        "same held-out networks of each split: the reference a zero-cost proxy sets without a single trained "
        "network; the 341 cells with no path from input to output have no score in the file and rank last. It has no "
        "MAE (a score, not an accuracy).",
    ]
    if not isinstance(naswot, dict):
        lines += ["", f"NASWOT column: {naswot}."]
    return lines


def _hash_lines(h: dict[str, Any]) -> list[str]:
    """The canonical hash tested on NB201's separate trainings of equivalent strings."""
    return [
        "",
        "## The canonical hash on real trainings",
        "",
        f"NB201 trained each of its {h['strings']:,} strings separately (200 epochs, `cifar10-valid`, 2-3 seeds each). "
        f"repro's canonical key gives {h['keys']:,} distinct networks; {h['keys_with_several_strings']:,} keys hold "
        f"{h['strings_in_them']:,} strings, i.e. independent trainings of one network.",
        "",
        f"- Seed noise: pooled per-seed standard deviation {_pct(h['seed_sd'])} points over all strings "
        f"({_pct(h['seed_sd_single_strings'])} over strings alone under their key).",
        f"- Strings sharing a key: their mean validation accuracies spread by {_pct(h['between_strings_sd'])} points "
        f"around their key's mean (what 2-3 seeds of noise alone give: about seed sd / sqrt(seeds)); one-way ANOVA per key "
        f"(Bonferroni 0.05): **{h['flagged_keys']} key(s)** whose strings differ beyond seed noise. No merge of different "
        "networks shows up.",
        f"- What the hash misses: a node whose only input is `skip_connect` copies another node, so strings that differ "
        f"only by such a detour compute the same function. Merging them would leave {h['identity_classes']:,} networks: "
        f"{h['identity_merges']:,} classes join {h['keys_in_identity_merges']:,} of today's keys; the keys such a merge "
        f"joins spread by {_pct(h['between_keys_sd'])} points, and **{h['flagged_identity_merges']}** class(es) differ "
        "beyond seed noise. The trainings cannot tell them apart, which supports merging them (the network is the same "
        "function with the same parameters); it changes cache keys, so it is left as a proposal "
        "(`repro.spaces.nb201.canonical_text(..., merge_identities=True)`).",
    ]


__all__ = ["write_report"]
