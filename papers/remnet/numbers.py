"""REMNet: the paper's in-text numbers computed from an outcome, shared by the report and the claims."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from typing import Any

import numpy as np

from papers.remnet.reproduce import Outcome
from repro import stats
from repro.spaces import get_space


def _reason_kind(reason: str) -> str:
    """Group invalidity reasons: layer names and sizes replaced by placeholders."""
    return re.sub(r"\d+", "N", re.sub(r"(CONV|POOL)_\d\.[HNAM]", "<layer>", reason))


def evolved_graphs(outcome: Outcome) -> list[Any]:
    """The graph of every trained ES architecture after the initial population (None where it has none)."""
    space = get_space("remnet")
    return [
        space.graph(space.from_json(t.genome))
        for r in outcome.runs["ES"]
        for t in r.trials[outcome.experiment.population :]
        if t.evaluation.status == "ok"
    ]


def _scored(runs: list[Any]) -> np.ndarray:
    """Every evaluated value of ``runs``, an invalid network scored 0 as the authors' code scores it (their ECDFs
    and dominance include invalid networks; NaN would drop them)."""
    return np.nan_to_num(np.array([t.value for r in runs for t in r.trials], dtype=float), nan=0.0)


def numbers(outcome: Outcome) -> dict[str, Any]:
    """The paper's in-text numbers, computed from our runs."""
    space = get_space("remnet")
    result: dict[str, Any] = {}
    for label, runs in outcome.runs.items():
        values = np.array([t.value for r in runs for t in r.trials])
        bests = [float(np.nanmax(r.values())) for r in runs if np.isfinite(r.values()).any()]
        invalid = [t.evaluation.reason for r in runs for t in r.trials if t.evaluation.status == "invalid"]
        best_trial = max((r.best for r in runs if r.best), key=lambda t: t.value)
        result[label] = {
            "best": float(np.nanmax(values)),
            "best_per_seed": bests,
            "best_per_seed_mean": statistics.fmean(bests),
            "best_per_seed_sd": statistics.stdev(bests) if len(bests) > 1 else 0.0,
            "evaluations": int(values.size),
            "invalid_fraction": len(invalid) / values.size,
            "invalid_reasons": dict(Counter(_reason_kind(r) for r in invalid).most_common()),
            "best_architecture": space.describe(space.from_json(best_trial.genome)),
            "best_key": best_trial.evaluation.genome_key,
        }
    nodes = [len(g.labels) - 2 for g in evolved_graphs(outcome) if g is not None]
    result["active_nodes"] = {"mean": statistics.fmean(nodes), "sd": statistics.stdev(nodes), "n": len(nodes)}
    es = np.array([t.value for r in outcome.runs["ES"] for t in r.trials])
    rs = np.array([t.value for r in outcome.runs["RS"] for t in r.trials])
    result["ES_vs_RS_all"] = stats.compare(es, rs, names=("ES", "RS"))
    result["ES_dominates_RS"] = stats.first_order_dominance(_scored(outcome.runs["ES"]), _scored(outcome.runs["RS"]))
    result["ES_vs_RS_best"] = stats.compare(
        [float(np.nanmax(r.values())) for r in outcome.runs["ES"]],
        [float(np.nanmax(r.values())) for r in outcome.runs["RS"]],
        names=("ES", "RS"),
    )
    return result


__all__ = ["evolved_graphs", "numbers"]
