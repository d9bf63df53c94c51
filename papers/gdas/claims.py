"""GDAS: our values for the paper's claims (``reported.toml``), structural and per replayed profile."""

from __future__ import annotations

import statistics

from papers.gdas.numbers import accuracies, comparisons, derived_params, published_params, search_hours, table5_params
from papers.gdas.reproduce import LABELS, Outcome, data_scale, devices_used
from repro.claims import Measured
from repro.spaces.nb201 import unique_cells


def structural_measurements() -> list[Measured]:
    """Table 1's and Table 5's parameter counts of the published cells, and the NAS-Bench-201 deduplication (no cache needed)."""
    params = published_params()
    detail = "built at C=36, N=6 for CIFAR-10, no auxiliary head; cells from the authors' public genotypes"
    return [
        Measured("gdas_params", "any", params["GDAS"], detail, "counted by repro.cost.count_params"),
        Measured("gdas_frc_params", "any", params["GDAS (FRC)"], detail, "counted by repro.cost.count_params"),
        *[
            Measured(
                claim,
                "any",
                n,
                "Table 5's combination built at C=36, N=6 for CIFAR-10, no auxiliary head",
                "counted by repro.cost.count_params",
            )
            for claim, n in table5_params().items()
        ],
        Measured(
            "nb201_unique_cells",
            "any",
            unique_cells(),
            "of 15,625 NAS-Bench-201 encodings; not a paper claim",
            "repro.spaces.nb201.canonical_text over every encoding",
        ),
    ]


def measurements(outcome: Outcome) -> list[Measured]:
    """Our search cost, the accuracies of GDAS-derived and random cells, and whether GDAS beats random."""
    e = outcome.experiment
    where = f"{data_scale(outcome.recipe)}: {e.space}{' (FRC)' if e.frc else ''} on {outcome.recipe.dataset}"
    rows = [ev for label in LABELS[:2] for r in outcome.evaluations[label] for ev in r]
    prov = (
        f"{len(rows)} cached rows, recipe {outcome.recipe.key}; {len(outcome.searches)} stored searches; code "
        f"{', '.join(sorted({ev.code_version or '' for ev in rows} | {s['code_version'] for s in outcome.searches}))}"
    )
    cmp = comparisons(outcome)["random search"]
    out = [
        Measured("gdas_derived_test_acc", e.name, round(statistics.fmean(accuracies(outcome, "GDAS")), 4), where, prov),
        Measured(
            "random_cells_test_acc",
            e.name,
            round(statistics.fmean(accuracies(outcome, "random cells")), 4),
            where,
            prov,
        ),
        Measured(
            "random_search_test_acc",
            e.name,
            round(statistics.fmean(accuracies(outcome, "random search")), 4),
            where,
            prov,
        ),
        Measured("gdas_beats_random", e.name, *cmp.verdict(), prov),
    ]
    if e.space == "darts":
        claim = "gdas_frc_search_gpu_days" if e.frc else "gdas_search_gpu_days"
        out.append(
            Measured(
                claim,
                e.name,
                round(search_hours(outcome) / 24, 6),
                f"{e.search.epochs} epochs at C={e.search.channels}, N={e.search.layers} on "
                f"{devices_used(outcome)}; {where}",
                prov,
            )
        )
        out.append(
            Measured(
                "derived_params_c36_n6",
                e.name,
                int(statistics.fmean(derived_params(outcome))),
                f"mean over search seeds; not a paper claim ({where})",
                prov,
            )
        )
    return out


__all__ = ["measurements", "structural_measurements"]
