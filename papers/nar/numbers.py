"""NAR: the numbers computed from an outcome, shared by the report and the claims.

Table 4's parameters and FLOPs are structural and are counted on the ImageNet-sized ResNet-18.
"""

from __future__ import annotations

from papers.nar.reproduce import LABELS, RANDOM_SEARCH, VARIANTS, Outcome
from repro import stats
from repro.cost import count_macs, count_params
from repro.spaces import get_space


IMAGENET = (3, 224, 224)
TABLE4 = {
    "resnet18": ("resnet18-8-imagenet", [0] * 8),
    "resnet18_8": ("resnet18-8-imagenet", [1, 0, 0, 0, 0, 0, 0, 0]),
    "resnet18_16": ("resnet18-16-imagenet", [1, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0]),
}
"""Table 4's vectors as we apply them (the printed 7/15 entries, conv3x3 appended at the last choice)."""


def accuracies(outcome: Outcome, label: str) -> list[float]:
    """Test accuracy (%) of every retrained row of ``label``."""
    return [100 * e.test_acc for rows in outcome.evaluations[label] for e in rows if e.test_acc is not None]


def comparisons(outcome: Outcome) -> dict[str, stats.Comparison]:
    """Test accuracy of every retrained row of each label against the baseline's rows."""
    base = accuracies(outcome, "baseline")
    return {label: stats.compare(accuracies(outcome, label), base, names=(label, "baseline")) for label in LABELS[1:]}


def against_random_search(outcome: Outcome) -> dict[str, stats.Comparison]:
    """Per NAR variant, its retrained rows against those of random search under the same budget."""
    return {
        v: stats.compare(accuracies(outcome, v), accuracies(outcome, RANDOM_SEARCH[v]), names=(v, RANDOM_SEARCH[v]))
        for v in VARIANTS
    }


def cost_rows() -> list[tuple[str, str, int, int]]:
    """Table 4's networks as built: (name, vector as built, parameters, multiply-adds)."""
    rows = []
    for name, (backbone, codes) in TABLE4.items():
        space = get_space("nar", backbone=backbone)
        model = space.build(space.genome(codes), IMAGENET, 1000)
        rows.append((name, space.describe(space.genome(codes)), count_params(model), count_macs(model, IMAGENET)))
    return rows


__all__ = ["TABLE4", "accuracies", "against_random_search", "comparisons", "cost_rows"]
