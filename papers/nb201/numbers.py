"""NAS-Bench-201 protocol: the numbers the report and the claims show, computed from an outcome."""

from __future__ import annotations

from typing import Any

import numpy as np

from papers.nb201.reproduce import Outcome


def ranked(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A search's strategies, best mean first value of the first final metric first."""
    first = summary["final"][0]
    return sorted(summary["strategies"].items(), key=lambda kv: -kv[1]["final"][first][0])


def surrogate_table(outcome: Outcome) -> list[tuple[int, float, float, float, float]]:
    """Per training-set size: (size, mean and sd Kendall tau, mean and sd MAE in points) over the splits."""
    assert outcome.surrogate is not None
    rows = []
    for n in sorted({r["train"] for r in outcome.surrogate["results"]}):
        found = [r for r in outcome.surrogate["results"] if r["train"] == n]
        tau, mae = np.array([r["kendall_tau"] for r in found]), 100 * np.array([r["mae"] for r in found])
        rows.append((n, float(tau.mean()), float(tau.std(ddof=1)), float(mae.mean()), float(mae.std(ddof=1))))
    return rows


def naswot_tau(study: dict[str, Any]) -> tuple[float, float]:
    """NASWOT's Kendall tau over the splits of :func:`repro.tables.studies.proxy_study`: (mean, sd)."""
    tau = np.array([r["kendall_tau"] for r in study["results"]])
    return float(tau.mean()), float(tau.std(ddof=1))


__all__ = ["naswot_tau", "ranked", "surrogate_table"]
