"""NAS-Bench-201 protocol: our values, kept as accepted numbers (``golden.json``) so drift is caught.

``reported.toml`` holds no claims: the NAS-Bench-201 paper's text is not among this project's
sources, so none of its numbers could be verified and stored as reported.
"""

from __future__ import annotations

from papers.nb201.reproduce import Outcome
from repro.claims import Measured


def structural_measurements() -> list[Measured]:
    """None: every number here depends on the imported table."""
    return []


def measurements(outcome: Outcome) -> list[Measured]:
    """Per search: each strategy's mean final value (first column, %) and the tables' best and ResNet-like cells."""
    e = outcome.experiment
    prov = f"imported table {outcome.table['table']} (sha256 {outcome.table['sha256'][:12]}); NB201's GPU measurements"
    out = []
    for name, s in outcome.summaries.items():
        label = s["final"][0]
        for strategy, row in s["strategies"].items():
            out.append(
                Measured(
                    f"{name}_{strategy}_final",
                    e.name,
                    round(100 * row["final"][label][0], 4),
                    f"{label}, mean over {row['runs']} runs; not a paper claim",
                    prov,
                )
            )
        known = s["known"][label]
        out.append(Measured(f"{name}_best_cell", e.name, round(100 * known["best"], 4), label, prov))
        out.append(Measured(f"{name}_resnet_cell", e.name, round(100 * known["ResNet-like cell"], 4), label, prov))
    h = outcome.hash
    out += [
        Measured(f"hash_{k}", e.name, h[k], "canonical hash on NB201's cifar10-valid per-seed trainings", prov)
        for k in ("keys", "keys_with_several_strings", "flagged_keys", "identity_classes", "flagged_identity_merges")
    ]
    return out


__all__ = ["measurements", "structural_measurements"]
