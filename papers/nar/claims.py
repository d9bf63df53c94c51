"""NAR: our values for the paper's claims (``reported.toml``), structural and per replayed profile."""

from __future__ import annotations

import statistics

from papers.nar.numbers import TABLE4, accuracies, against_random_search, comparisons, cost_rows
from papers.nar.reproduce import LABELS, RANDOM_SEARCH, Outcome, data_scale
from repro.claims import Measured


def structural_measurements() -> list[Measured]:
    """Table 4's parameters and multiply-adds, counted on the built ImageNet-sized networks, Section 4.2.2's
    FLOPs savings against the baseline and its counts of replaced operators (no cache needed)."""
    out = []
    rows = cost_rows()
    base_macs = rows[0][3]
    for name, describe, params, macs in rows:
        out.append(Measured(f"{name}_params", "any", params, describe, "counted by repro.cost.count_params"))
        out.append(
            Measured(f"{name}_flops", "any", macs, describe, "conv + linear multiply-adds, repro.cost.count_macs")
        )
        if name != "resnet18":
            out.append(
                Measured(
                    f"{name}_flops_saving",
                    "any",
                    round(100 * (1 - macs / base_macs), 2),
                    f"{describe} against the baseline's {base_macs:,} multiply-adds",
                    "repro.cost.count_macs on both built networks",
                )
            )
            out.append(
                Measured(
                    f"{name}_operators_replaced",
                    "any",
                    sum(code != 0 for code in TABLE4[name][1]),
                    f"non-conv3x3 entries of {describe}",
                    "counted from the vector as applied",
                )
            )
    return out


def measurements(outcome: Outcome) -> list[Measured]:
    """Our values for Table 5 (comparable only at the ``cifar10`` profile) and the searches' findings."""
    name = outcome.experiment.name
    where = f"{data_scale(outcome.recipe)}: {outcome.experiment.backbone} on {outcome.recipe.dataset}"
    rows = [e for label in LABELS for r in outcome.evaluations[label] for e in r]
    prov = (
        f"{len(rows)} cached rows, recipe {outcome.recipe.key}; code "
        f"{', '.join(sorted({e.code_version or '' for e in rows}))}"
    )
    cmp, rs = comparisons(outcome), against_random_search(outcome)
    return [
        Measured(
            "resnet18_cifar10_acc",
            name,
            round(statistics.fmean(accuracies(outcome, "baseline")), 4),
            f"unmodified ({where})",
            prov,
        ),
        Measured(
            "resnet18_16_cifar10_acc",
            name,
            round(statistics.fmean(accuracies(outcome, "NAR")), 4),
            f"NAR-refined ({where})",
            prov,
        ),
        Measured("refined_beats_baseline", name, *cmp["NAR"].verdict(), prov),
        Measured(
            "nar_pretrain_test_acc",
            name,
            round(statistics.fmean(accuracies(outcome, "NAR-PreTrain")), 4),
            f"{where}; not a paper claim",
            prov,
        ),
        Measured(
            "random_vectors_test_acc",
            name,
            round(statistics.fmean(accuracies(outcome, "random")), 4),
            f"{where}; not a paper claim",
            prov,
        ),
        Measured(
            "random_search_test_acc",
            name,
            round(statistics.fmean(accuracies(outcome, RANDOM_SEARCH["NAR"])), 4),
            f"at NAR's budget ({where}); not a paper claim",
            prov,
        ),
        Measured(
            "nar_beats_random_search",
            name,
            rs["NAR"].verdict()[0],
            f"{rs['NAR'].verdict()[1]}; not a paper claim",
            prov,
        ),
    ]


__all__ = ["measurements", "structural_measurements"]
