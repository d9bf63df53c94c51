"""FeatureNet: every reported quantity computed from an outcome, shared by the report and the claims.

"Top" (Table 1's Top S1, S2, S3) picks the best validation accuracy and reports its test accuracy.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import numpy as np

from papers.featurenet.reproduce import BASELINES, GROUPS, INCEPTION, Outcome, all_rows, group_rows
from repro import stats
from repro.errors import ReproError
from repro.records import Evaluation
from repro.spaces.featurenet.sample import mean_pairwise_distance


def _acc(e: Evaluation) -> float:
    """Test accuracy in %, NaN for a network that did not build or train."""
    return math.nan if e.test_acc is None else 100 * e.test_acc


def _top(rows: list[Evaluation]) -> Evaluation:
    """The most accurate row by validation accuracy (test accuracy is only reported, never used to choose)."""
    ok = [e for e in rows if e.status == "ok"]
    if not ok:
        raise ReproError("featurenet: no sampled network of a group trained; nothing to pick a top one from")
    return max(ok, key=lambda e: e.val_acc or 0.0)


def _row(label: str, rows: list[Evaluation]) -> dict[str, Any]:
    """A Table 1 line: mean test accuracy over the rows (one per seed), size and efficiency = acc x 10^6 / size."""
    accs = [_acc(e) for e in rows if e.status == "ok"]
    params = rows[0].params or 0
    mean = statistics.fmean(accs) if accs else math.nan
    return {
        "architecture": label,
        "test_acc": mean,
        "sd": statistics.stdev(accs) if len(accs) > 1 else 0.0,
        "n": len(accs),
        "size": params,
        "efficiency": mean / 100 * 1e6 / params if params else math.nan,
    }


def _per_1000(accs: list[float], threshold: float) -> int:
    return round(1000 * sum(a < threshold for a in accs) / len(accs)) if accs else 0


def _equivalence(outcome: Outcome) -> dict[str, Any]:
    """LeNet5 from the feature model vs hand-written: parameters, mean curves per epoch, the largest gap."""
    ours, theirs = (outcome.curves[label] for label in list(BASELINES)[:2])
    if not ours or not theirs:
        return {"seeds": 0}
    means = {
        name: {
            col: np.mean([c[:, i] for c in curves], axis=0).tolist() for col, i in (("train_acc", 2), ("val_acc", 4))
        }
        for name, curves in (("feature model", ours), ("hand-written", theirs))
    }
    gap = max(
        abs(a - b)
        for col in ("train_acc", "val_acc")
        for a, b in zip(means["feature model"][col], means["hand-written"][col])
    )
    params = {label: outcome.baselines[label][0].params for label in list(BASELINES)[:2]}
    return {"seeds": min(len(ours), len(theirs)), "params": params, "curves": means, "max_gap": gap}


def comparison(outcome: Outcome) -> stats.Comparison:
    """Test accuracies (%) of every diverse configuration against every random one, all seeds pooled."""
    accs = [[a for a in map(_acc, group_rows(outcome, g)) if math.isfinite(a)] for g in ("diversity", "random")]
    return stats.compare(accs[0], accs[1], names=("diversity", "random"))


def numbers(outcome: Outcome) -> dict[str, Any]:
    """Every reported quantity of one outcome, as plain data (accuracies in %)."""
    sampled = [e for g in GROUPS for e in group_rows(outcome, g)]
    accs = {g: [_acc(e) for e in group_rows(outcome, g)] for g in GROUPS}
    finite = {g: [a for a in v if math.isfinite(a)] for g, v in accs.items()}
    best = {
        g: [max((_acc(e) for e in rows if e.status == "ok"), default=math.nan) for rows in outcome.evaluations[g]]
        for g in ("diversity", "random")
    }
    inception = outcome.baselines[INCEPTION][0]
    table = [_row("LeNet5", outcome.baselines["LeNet5 (feature model)"])]
    for label, group in (("Top S1", "diversity"), ("Top S2", "S2"), ("Top S3", "S3")):
        table.append(_row(label, [_top(group_rows(outcome, group))]))
    table.append(_row("SqueezeNet", outcome.baselines["SqueezeNet 1.1"]))
    distance = [
        {
            "seed": seed,
            "random": mean_pairwise_distance(outcome.samples["random"][i]),
            "diversity": search.diversity[-1],
            "initial": search.diversity[0],
            "replacements": search.replacements,
            "iterations": search.iterations,
        }
        for i, (seed, search) in enumerate(zip(outcome.experiment.seeds, outcome.searches))
    ]
    return {
        "rq1": {
            "sampled": len(sampled),
            "trained": sum(e.status == "ok" for e in sampled),
            "invalid": sum(e.status == "invalid" for e in sampled),
            "failed": [e.reason for e in sampled if e.status == "failed"],
            "inception": {"status": inception.status, "test_acc": _acc(inception), "params": inception.params},
            "lenet5_equivalence": _equivalence(outcome),
        },
        "accuracies": accs,
        "sizes": {g: [e.params for e in group_rows(outcome, g)] for g in GROUPS},
        "below_per_1000": {g: {str(t): _per_1000(finite[g], t) for t in (30, 50, 90)} for g in GROUPS},
        "table1": table,
        "diversity_vs_random": {
            "distance": distance,
            "best_per_seed": best,
            "all": vars(comparison(outcome)),
        },
    }


def describe_provenance(outcome: Outcome) -> str:
    """How many cached rows, of which recipe and code versions."""
    rows = all_rows(outcome)
    ok = [e for e in rows if e.status == "ok"]
    return (
        f"{len(rows)} cached rows, recipe {outcome.recipe.key}; code "
        f"{', '.join(sorted({str(e.code_version) for e in ok}))}"
    )


__all__ = ["comparison", "describe_provenance", "numbers"]
