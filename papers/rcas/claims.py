"""RCAS: our values for the paper's claims (``reported.toml``), structural and per replayed profile."""

from __future__ import annotations

from papers.rcas.numbers import describe_provenance, numbers, pct
from papers.rcas.reproduce import MOBILENETV2_CIFAR, RCNET_PUBLISHED, Outcome, all_rows, costs
from repro.claims import Measured
from repro.spaces.rcas.genome import Genome


def structural_measurements() -> list[Measured]:
    """The params and MAdds of MobileNetV2-CIFAR-100 and of the authors' published RCNet vector on the rcas
    skeleton, counted from the built networks."""
    how = "counted from the built network (repro.cost; MAdds = convolutions only), incl. the supplement's shortcut convs"
    out = []
    for name, vector, what in (("mobilenetv2", MOBILENETV2_CIFAR, "MobileNetV2-CIFAR-100 from type-5 blocks"),
                               ("rcnet_published", RCNET_PUBLISHED, "the RCNet vector of the authors' public code")):  # fmt: skip
        counted = costs(Genome("cifar", vector), (3, 32, 32), 100)
        out += [Measured(f"{name}_params", "any", counted["params"], what, how),
                Measured(f"{name}_madds", "any", counted["madds"], what, how)]  # fmt: skip
    return out


def measurements(outcome: Outcome) -> list[Measured]:
    """Our values for the paper's claims at ``outcome``'s profile."""
    nums = numbers(outcome)
    name = outcome.experiment.name
    prov = describe_provenance(all_rows(outcome))
    means = nums["monotonicity"]["mean_by_blocks"]
    within = all(r["params"] <= nums["budget"]["params"] and r["madds"] <= nums["budget"]["madds"]
                 for r in nums["rcas"].values())  # fmt: skip
    rising = all(b >= a for a, b in zip(means[1:], means[2:]))
    out = [
        Measured("rcas_within_budget", name, "yes" if within else "no",
                 "UC, APR and AMR final networks against the reference's params and MAdds", prov),
        Measured("random_block_mean_rises", name, "yes" if rising else "no",
                 "mean F after 1, 2, ... random blocks: " + ", ".join(f"{100 * v:.2f}" for v in means[1:]), prov),
        Measured("lazy_fewer_evaluations", name,
                 "yes" if nums["rcas"]["UC"]["evaluations"] < nums["plain_ceg_uc"]["evaluations"] else "no",
                 f"lazy UC {nums['rcas']['UC']['evaluations']} vs plain UC {nums['plain_ceg_uc']['evaluations']}", prov),
    ]  # fmt: skip
    final = nums["final"]
    if final:
        rcas_mean, ref_mean = final["RCAS"]["mean_sd"][0], final["reference"]["mean_sd"][0]
        detail = f"mean test accuracy over {len(final['seeds'])} seeds: RCAS {100 * rcas_mean:.2f}%, reference {100 * ref_mean:.2f}%"
        out += [
            Measured("rcnet_top1", name, round(100 * rcas_mean, 4), detail, prov),
            Measured("rcas_beats_reference", name, "yes" if rcas_mean > ref_mean else "no", detail, prov),
        ]
    rs = nums["random_search"]
    out.append(Measured("rcas_beats_random_search", name, f"{rs['rcas_beats']} of {len(rs['seeds'])}",
                        f"random-search runs with RCAS's {rs['evaluations_each']} distinct F evaluations each, best F "
                        f"{', '.join(pct(v) for v in rs['best_val_acc'])}; not a paper claim", prov))  # fmt: skip
    for k, value in enumerate(means[1:9], start=1):
        out.append(Measured(f"random_blocks_{k}_mean_acc", name, round(100 * value, 4),
                            f"{nums['monotonicity']['n_by_blocks'][k]} chains", prov))  # fmt: skip
    return out


__all__ = ["measurements", "structural_measurements"]
