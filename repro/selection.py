"""Choosing the architecture to retrain after a search."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    """The chosen architecture, its mean value over ``count`` evaluations, and how the rule applied."""

    genome_key: str
    mean: float
    count: int
    min_samples: int
    candidates: int
    note: str


def best_mean(samples: Iterable[tuple[str, float]], min_samples: int = 5) -> Choice | None:
    """The architecture with the best mean value among those evaluated at least ``min_samples`` times.

    This is the REMNet paper's rule (Section 4.2): it avoids choosing a network that reached a high
    accuracy by a lucky initialisation. Invalid evaluations (NaN) do not count. When no
    architecture was evaluated that often (small searches), the threshold drops to the largest
    count that some architecture reached, and ``note`` says so. Ties go to the architecture
    evaluated more often, then to the smaller key, so the choice is deterministic.
    """
    values: dict[str, list[float]] = defaultdict(list)
    for key, value in samples:
        if not math.isnan(value):
            values[key].append(value)
    if not values:
        return None
    most = max(len(v) for v in values.values())
    threshold = min(min_samples, most)
    note = (
        f"best mean among architectures evaluated >= {min_samples} times"
        if threshold == min_samples
        else f"no architecture was evaluated {min_samples} times (at most {most}); rule applied with >= {threshold}"
    )
    eligible = {k: v for k, v in values.items() if len(v) >= threshold}
    key = min(eligible, key=lambda k: (-sum(eligible[k]) / len(eligible[k]), -len(eligible[k]), k))
    chosen = eligible[key]
    return Choice(key, sum(chosen) / len(chosen), len(chosen), threshold, len(eligible), note)
