"""RCAS: every reported quantity computed from an outcome, shared by the report and the claims."""

from __future__ import annotations

import dataclasses
import statistics
from typing import Any

from papers.rcas.reproduce import Outcome, all_rows, costs, genome_of
from repro import stats
from repro.data.datasets import get_spec
from repro.search.greedy import GreedyResult
from repro.spaces import get_space
from repro.spaces.rcas.genome import Genome


def pct(x: float) -> str:
    """A fraction in [0, 1] as a percentage with two decimals."""
    return f"{100 * x:.2f}%"


def _mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def _path_rows(outcome: Outcome, result: GreedyResult) -> list[dict[str, Any]]:
    """The search path: the block added at each step, F, params and MAdds after it (Fig. 3/4 style)."""
    spec = get_spec(outcome.recipe.dataset)
    rows, selected = [], frozenset()
    for element, value in result.path:
        selected = selected | {element}
        cost = costs(genome_of(outcome.experiment.variant, selected), spec.input_shape, spec.num_classes)
        rows.append({"position": element[0], "type": element[1], "val_acc": value, **cost})
    return rows


def monotonicity(chains: list[list[float]]) -> dict[str, Any]:
    """Mean F after k random blocks (Section 4.3's study), and how often a random block lowered F.

    Diminishing returns needs the same block added to nested sets, which random chains do not
    give; it is counted on plain CEG's gains instead (``Outcome.nested``).
    """
    longest = max(len(c) for c in chains)
    by_k = [[c[k] for c in chains if len(c) > k] for k in range(longest)]
    gains = [b - a for c in chains for a, b in zip(c, c[1:])]
    return {
        "mean_by_blocks": [statistics.fmean(v) for v in by_k],
        "n_by_blocks": [len(v) for v in by_k],
        "monotonicity_violations": sum(x < 0 for x in gains),
        "steps": len(gains),
    }


def _final_numbers(outcome: Outcome) -> dict[str, Any]:
    """Test accuracy of each finalist over the final seeds, and RCAS against the reference (stats.compare)."""
    if not outcome.final:
        return {}
    out: dict[str, Any] = {"recipe": outcome.final["RCAS"][0].recipe_key, "seeds": list(outcome.experiment.final_seeds)}
    for name, rows in outcome.final.items():
        accs = [row.value("test_acc") for row in rows]
        out[name] = {"test_acc": accs, "mean_sd": _mean_sd(accs)}
    comparison = stats.compare(out["RCAS"]["test_acc"], out["reference"]["test_acc"], names=("RCAS", "reference"))
    out["comparison"] = {
        "a12": comparison.a12,
        "mw_p": comparison.mw_p,
        "diff": comparison.diff,
        "diff_ci": [comparison.diff_lo, comparison.diff_hi],
        "markdown": comparison.to_markdown(),
    }
    return out


def numbers(outcome: Outcome) -> dict[str, Any]:
    """Every reported quantity of one outcome, as plain data."""
    spec = get_spec(outcome.recipe.dataset)
    space = get_space("rcas")

    def summary(result: GreedyResult) -> dict[str, Any]:
        genome = genome_of(outcome.experiment.variant, result.selected)
        return {
            "val_acc": result.value,
            "evaluations": result.evaluations,
            "architecture": space.describe(genome),
            **costs(genome, spec.input_shape, spec.num_classes),
            "path": _path_rows(outcome, result),
        }

    finals = [chain[-1] for chain in outcome.chains]
    random_costs = [
        costs(genome_of(outcome.experiment.variant, c[-1]), spec.input_shape, spec.num_classes)
        for c in outcome.chain_sets
    ]
    best = outcome.rcas[outcome.rcas_best]
    return {
        "budget": outcome.budget,
        "reference": {
            "val_acc": outcome.reference_value,
            "architecture": space.describe(Genome(outcome.experiment.variant, outcome.experiment.reference)),
        },
        "rcas_best": outcome.rcas_best,
        "rcas": {name: summary(r) for name, r in outcome.rcas.items()},
        "rcas_distinct_evaluations": len(set().union(*(r.evaluated for r in outcome.rcas.values()))),
        "plain_ceg_uc": {
            **summary(outcome.plain_uc),
            "same_choices_as_lazy_uc": outcome.plain_uc.path == outcome.rcas["UC"].path,
        },
        "type5_only": {"best": outcome.type5_best, **summary(outcome.type5[outcome.type5_best])},
        "random_blocks": {
            "val_acc": finals,
            "mean_sd": _mean_sd(finals),
            "params": [c["params"] for c in random_costs],
            "madds": [c["madds"] for c in random_costs],
            "rcas_beats": sum(best.value > v for v in finals),
        },
        "random_search": {
            "best_val_acc": outcome.random_search,
            "seeds": list(outcome.experiment.random_seeds),
            "mean_sd": _mean_sd(outcome.random_search),
            "evaluations_each": len(set().union(*(r.evaluated for r in outcome.rcas.values()))),
            "rcas_beats": sum(best.value > v for v in outcome.random_search),
        },
        "monotonicity": monotonicity(outcome.chains),
        "nested_gains": dataclasses.asdict(outcome.nested),
        "final": _final_numbers(outcome),
        "rows_trained_or_cached": len(all_rows(outcome)),
    }


def describe_provenance(evaluations: list[Any]) -> str:
    """How many cached rows, of which recipes, code versions and devices."""
    ok = [e for e in evaluations if e.status == "ok"]
    return (
        f"{len(evaluations)} cached rows, recipe {', '.join(sorted({e.recipe_key for e in evaluations}))}; "
        f"code {', '.join(sorted({str(e.code_version) for e in ok}))}; device {', '.join(sorted({str(e.device) for e in ok}))}"
    )


__all__ = ["describe_provenance", "monotonicity", "numbers", "pct"]
