"""GDAS: the numbers computed from an outcome, shared by the report and the claims.

Table 1's parameter counts are structural: the authors' published cells built at C=36, N=6.
"""

from __future__ import annotations

import statistics

from papers.gdas.reproduce import LABELS, Outcome, space_of
from repro import stats
from repro.cost import count_params
from repro.spaces import get_space
from repro.spaces.darts import DartsGenome
from repro.spaces.darts_known import PUBLISHED

CIFAR = (3, 32, 32)


def accuracies(outcome: Outcome, label: str) -> list[float]:
    """Test accuracy (%) of every retrained row of ``label``."""
    return [100 * e.test_acc for rows in outcome.evaluations[label] for e in rows if e.test_acc is not None]


def comparisons(outcome: Outcome) -> dict[str, stats.Comparison]:
    """Test accuracy of the GDAS-derived cells (every retrained row) against each random baseline."""
    gdas = accuracies(outcome, "GDAS")
    return {label: stats.compare(gdas, accuracies(outcome, label), names=("GDAS", label)) for label in LABELS[1:]}


def search_hours(outcome: Outcome) -> float:
    """Hours of one search, the mean over the search seeds."""
    return statistics.fmean(r["seconds"] for r in outcome.searches) / 3600


def published_params() -> dict[str, int]:
    """Parameters of the published cells at C=36, N=6 on CIFAR-10 (no auxiliary head)."""
    space = get_space("darts")
    return {name: count_params(space.build(g, CIFAR, 10, channels=36, layers=6)) for name, g in PUBLISHED.items()}


TABLE5 = {
    "gdas_n_gdas_r_params": ("GDAS", "GDAS"),
    "gdas_n_fix_r_params": ("GDAS", None),
    "frc_n_gdas_r_params": ("GDAS (FRC)", "GDAS"),
    "frc_n_fix_r_params": ("GDAS (FRC)", None),
}
"""Table 5's combinations: claim id -> (published genome whose normal cell is used, whose reduction cell; None: FRC)."""


def table5_params() -> dict[str, int]:
    """Parameters of Table 5's normal/reduction cell combinations at C=36, N=6 on CIFAR-10 (no auxiliary head)."""
    out = {}
    for claim, (normal, reduce) in TABLE5.items():
        genome = DartsGenome(PUBLISHED[normal].normal, None if reduce is None else PUBLISHED[reduce].reduce)
        space = get_space("darts", frc=reduce is None)
        out[claim] = count_params(space.build(genome, CIFAR, 10, channels=36, layers=6))
    return out


def derived_params(outcome: Outcome) -> list[int]:
    """Parameters of our derived cells built as Table 1's networks (C=36, N=6, CIFAR-10); DARTS space only."""
    if outcome.experiment.space != "darts":
        return []
    space = space_of(outcome.experiment)
    return [count_params(space.build(g, CIFAR, 10, channels=36, layers=6)) for g in outcome.genomes["GDAS"]]


__all__ = [
    "PUBLISHED",
    "TABLE5",
    "table5_params",
    "accuracies",
    "comparisons",
    "derived_params",
    "published_params",
    "search_hours",
]
