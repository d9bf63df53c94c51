"""RCAS: our values for the paper's claims (``reported.toml``), structural and per replayed profile."""

from __future__ import annotations

import numpy as np

from papers.rcas import macro
from papers.rcas.numbers import describe_provenance, numbers, pct
from papers.rcas.reproduce import HERE, Outcome, all_rows, costs
from papers.replay import read_reported
from repro.claims import Measured
from repro.spaces.rcas.genome import Genome
from repro.spaces.rcas.known import MOBILENETV2_CIFAR, RCNET_PUBLISHED


def structural_measurements() -> list[Measured]:
    """The params and MAdds of MobileNetV2-CIFAR-100 and of the authors' published RCNet vector on the rcas
    skeleton, counted from the built networks, and the NAS-Bench-Macro study's numbers (table only)."""
    how = (
        "counted from the built network (repro.cost; MAdds = convolutions only), incl. the supplement's shortcut "
        "convs and the t=1 block's 1x1 expansion conv (RCNet's RCBlock3x3)"
    )
    out = []
    for name, vector, what in (
        ("mobilenetv2", MOBILENETV2_CIFAR, "MobileNetV2-CIFAR-100 from type-5 blocks"),
        ("rcnet_published", RCNET_PUBLISHED, "the RCNet vector of the authors' public code"),
    ):
        counted = costs(Genome("cifar", vector), (3, 32, 32), 100)
        out += [
            Measured(f"{name}_params", "any", counted["params"], what, how),
            Measured(f"{name}_madds", "any", counted["madds"], what, how),
        ]
    return out + printed_arithmetic() + macro_measurements()


def _millions(text: str) -> float:
    """A printed size such as ``"1.92M"`` or ``"87.3M"``, in millions."""
    return float(text.rstrip("M"))


def printed_arithmetic() -> list[Measured]:
    """The text's comparisons redone on Tables 2 and 3 as printed (``reported.toml``): a consistency check of the
    paper, not a measurement of ours (the provenance says so)."""
    reported = read_reported(HERE)
    t2 = {row["architecture"].split(" (")[0]: row for row in reported["table2"]}
    t3 = {row["architecture"].split(" (")[0]: row for row in reported["table3"]}
    rcnet, darts, mbv2 = t2["RCNet"], t2["DARTS"], t2["MobileNetV2"]

    def fewer(key: str, a: dict, b: dict) -> float:
        return round(100 * (1 - _millions(a[key]) / _millions(b[key])), 2)

    def gain(a: dict, b: dict) -> float:
        return round(a["top1"] - b["top1"], 2)

    source = "arithmetic on the paper's printed Tables 2 and 3 (reported.toml [[table2]], [[table3]]); not a measurement of ours"
    values = [
        (
            "rcnet_fewer_params_than_darts_pct",
            fewer("params", rcnet, darts),
            f"1 - {rcnet['params']} / {darts['params']}",
        ),
        ("rcnet_fewer_madds_than_darts_pct", fewer("madds", rcnet, darts), f"1 - {rcnet['madds']} / {darts['madds']}"),
        (
            "rcnet_fewer_params_than_mobilenetv2_pct",
            fewer("params", rcnet, mbv2),
            f"1 - {rcnet['params']} / {mbv2['params']}",
        ),
        ("rcnet_gain_over_mobilenetv2_top1", gain(rcnet, mbv2), f"{rcnet['top1']} - {mbv2['top1']} (CIFAR-100)"),
        ("imagenet_rcnet_gain_over_mobilenetv2", gain(t3["RCNet"], t3["MobileNetV2"]), "Table 3 top-1"),
        ("imagenet_rcnet_gain_over_shufflenet", gain(t3["RCNet"], t3["ShuffleNet(1.5)"]), "Table 3 top-1"),
        ("imagenet_rcnet_gain_over_condensenet", gain(t3["RCNet"], t3["CondenseNet(G=C=4)"]), "Table 3 top-1"),
        ("imagenet_rcnet_b_gain_over_dpp_net", gain(t3["RCNet-B"], t3["DPP-Net-Panaca"]), "Table 3 top-1"),
        ("imagenet_rcnet_b_gain_over_darts", gain(t3["RCNet-B"], t3["DARTS"]), "Table 3 top-1"),
    ]
    return [Measured(claim_id, "any", value, detail, source) for claim_id, value, detail in values]


def macro_measurements() -> list[Measured]:
    """The NAS-Bench-Macro study's numbers (RCAS's algorithm on another real space; no paper claim): table only."""
    study = macro.study()
    found, rr = study["exhaustive"], study["rcas_ratio"]
    prov = f"imported table {study['source']}, computed by papers/rcas/macro.py; nothing trained"
    runs = study["runs"]
    at_optimum = {
        label: round(100 * float(np.mean([r["searches"][label]["optimal"] for r in runs])), 2)
        for label in macro.SEARCHES
    }
    values = [
        (
            "rcas_optimal_budgets",
            f"{rr['optimal']} of {rr['budgets']}",
            "budgets where RCAS's pick is the exact optimum",
        ),
        ("rcas_min_ratio", round(rr["min"], 4), "worst approximation ratio of RCAS over the budgets"),
        ("rcas_mean_ratio", round(rr["mean"], 4), "mean approximation ratio of RCAS over the budgets"),
        (
            "random_search_mean_ratio",
            round(study["pooled"]["random search"]["mean"], 4),
            f"random search with RCAS's distinct networks, {len(macro.SEARCH_SEEDS)} seeds x {len(runs)} budgets",
        ),
        (
            "evolution_mean_ratio",
            round(study["pooled"]["regularized evolution"]["mean"], 4),
            f"regularized evolution with RCAS's distinct networks, {len(macro.SEARCH_SEEDS)} seeds x {len(runs)} budgets",
        ),
        ("random_search_at_optimum_pct", at_optimum["random search"], "runs reaching the optimum, mean over budgets"),
        (
            "evolution_at_optimum_pct",
            at_optimum["regularized evolution"],
            "runs reaching the optimum, mean over budgets",
        ),
        ("seed_sigma_pct", round(100 * found["sigma"], 4), "pooled seed-to-seed sd of one training (points)"),
        (
            "monotonicity_violated_pct",
            round(100 * found["monotonicity"]["fraction"], 4),
            f"of {found['monotonicity']['checks']:,} additions (A, v), on mean F",
        ),
        (
            "monotonicity_beyond_noise",
            found["monotonicity"]["beyond_noise"],
            f"additions lowering F by more than {macro.NOISE_SES:g} standard errors",
        ),
        (
            "diminishing_returns_violated_pct",
            round(100 * found["diminishing_returns"]["fraction"], 4),
            f"of {found['diminishing_returns']['checks']:,} triples (A ⊂ B, v), on mean F",
        ),
        (
            "diminishing_returns_beyond_noise",
            found["diminishing_returns"]["beyond_noise"],
            f"triples whose violation exceeds {macro.NOISE_SES:g} standard errors",
        ),
        (
            "submodularity_ratio_beyond_noise",
            round(found["gamma"]["beyond_noise"]["min"], 4),
            "min over nested pairs whose joint gain exceeds the noise",
        ),
    ]
    return [Measured(f"macro_{name}", "nas-bench-macro", value, detail, prov) for name, value, detail in values]


def measurements(outcome: Outcome) -> list[Measured]:
    """Our values for the paper's claims at ``outcome``'s profile."""
    nums = numbers(outcome)
    name = outcome.experiment.name
    prov = describe_provenance(all_rows(outcome))
    means = nums["monotonicity"]["mean_by_blocks"]
    within = all(
        r["params"] <= nums["budget"]["params"] and r["madds"] <= nums["budget"]["madds"] for r in nums["rcas"].values()
    )
    rising = all(b >= a for a, b in zip(means[1:], means[2:]))
    out = [
        Measured(
            "rcas_within_budget",
            name,
            "yes" if within else "no",
            "UC, APR and AMR final networks against the reference's params and MAdds",
            prov,
        ),
        Measured(
            "random_block_mean_rises",
            name,
            "yes" if rising else "no",
            "mean F after 1, 2, ... random blocks: " + ", ".join(f"{100 * v:.2f}" for v in means[1:]),
            prov,
        ),
        Measured(
            "lazy_fewer_evaluations",
            name,
            "yes" if nums["rcas"]["UC"]["evaluations"] < nums["plain_ceg_uc"]["evaluations"] else "no",
            f"lazy UC {nums['rcas']['UC']['evaluations']} vs plain UC {nums['plain_ceg_uc']['evaluations']}",
            prov,
        ),
    ]
    final = nums["final"]
    if final:
        rcas_mean, ref_mean = final["RCAS"]["mean_sd"][0], final["reference"]["mean_sd"][0]
        detail = f"mean test accuracy over {len(final['seeds'])} seeds: RCAS {100 * rcas_mean:.2f}%, reference {100 * ref_mean:.2f}%"
        out += [
            Measured("rcnet_top1", name, round(100 * rcas_mean, 4), detail, prov),
            Measured("rcas_beats_reference", name, "yes" if rcas_mean > ref_mean else "no", detail, prov),
        ]
    rs = nums["random_search"]
    out.append(
        Measured(
            "rcas_beats_random_search",
            name,
            f"{rs['rcas_beats']} of {len(rs['seeds'])}",
            f"random-search runs with RCAS's {rs['evaluations_each']} distinct F evaluations each, best F "
            f"{', '.join(pct(v) for v in rs['best_val_acc'])}; not a paper claim",
            prov,
        )
    )
    for k, value in enumerate(means[1:9], start=1):
        out.append(
            Measured(
                f"random_blocks_{k}_mean_acc",
                name,
                round(100 * value, 4),
                f"{nums['monotonicity']['n_by_blocks'][k]} chains",
                prov,
            )
        )
    return out


__all__ = ["macro_measurements", "measurements", "printed_arithmetic", "structural_measurements"]
