"""FeatureNet: our values for the paper's claims (``reported.toml``), structural and per replayed profile."""

from __future__ import annotations

import functools
import math
import statistics
from collections import Counter

import numpy as np

from papers.featurenet.numbers import describe_provenance, numbers
from papers.featurenet.reproduce import HERE, Outcome, data_label, group_rows
from papers.replay import read_reported
from repro.claims import Measured
from repro.cost import count_params
from repro.spaces import get_space
from repro.spaces.featurenet import known
from repro.spaces.featurenet.compile import compile_graph
from repro.spaces.featurenet.graph import Violation
from repro.spaces.featurenet.sample import Limits, model_config

BUILD_CHECK = 1000
"""Section 6.1's count of sampled configurations that must build (the structural RQ1 check)."""


@functools.lru_cache(maxsize=2)
def configurations_built(count: int) -> tuple[int, Counter[str]]:
    """How many of ``count`` seeded configurations of the feature model alone (PLEDGE's view of it: no shape
    constraints) pass the shape rules and compile and run (shapes only, no weights), and the rules the rest break."""
    import torch

    limits, rng, built, broken = Limits(), np.random.default_rng(0), 0, Counter()
    with torch.device("meta"):
        for _ in range(count):
            try:
                graph = limits.check(model_config(rng, limits))
            except Violation as violation:
                broken[violation.constraint] += 1
                continue
            built += compile_graph(graph)(torch.empty(1, *limits.input_shape)).shape == (1, limits.classes)
    return built, broken


def structural_measurements() -> list[Measured]:
    """Sizes of LeNet5 and SqueezeNet as the authors built them (Table 1), of Fig. 4's LeNet5 configuration and
    of the SqueezeNet 1.1 the proxies train (context, not paper claims), and the 1,000-configuration build check."""
    fm, hand = get_space("featurenet"), get_space("handcrafted")
    out = []
    for dataset, shape in (("mnist", (1, 28, 28)), ("cifar10", (3, 32, 32))):
        for claim, name, how in (
            ("lenet5", "lenet5-authors", "the authors' Keras lenet5.py"),
            (
                "squeezenet",
                "squeezenet1_0-channels-last",
                "the authors' Keras squeezenet.py, channels-last input read channels-first",
            ),
        ):
            out.append(
                Measured(
                    f"{claim}_{dataset}_size",
                    "any",
                    count_params(hand.build(name, shape, 10)),
                    f"{how}, rebuilt as handcrafted {name!r} on {shape}",
                    "repro.cost.count_params",
                )
            )
        graph = fm.graph(known.lenet5(), shape, 10)  # type: ignore[attr-defined]
        out.append(
            Measured(
                f"lenet5_feature_model_{dataset}_size",
                "any",
                graph.params,
                f"Fig. 4's configuration on {shape}; not a paper claim",
                "counted from the layer graph (equal to the built module's count)",
            )
        )
        out.append(
            Measured(
                f"squeezenet1_1_{dataset}_size",
                "any",
                count_params(hand.build("squeezenet1_1", shape, 10)),
                f"torchvision SqueezeNet 1.1 on {shape} (the proxies' baseline); not a paper claim",
                "repro.cost.count_params",
            )
        )
    sizes = {m.claim_id: m.value for m in out}
    for name in ("lenet5", "squeezenet"):
        out.append(
            Measured(
                f"table2_{name}_size",
                "any",
                sizes[f"{name}_cifar10_size"],
                f"as {name}_cifar10_size",
                "repro.cost.count_params",
            )
        )
    out += printed_arithmetic()
    built, broken = configurations_built(BUILD_CHECK)
    out.append(
        Measured(
            "rq1_configurations_built",
            "any",
            built,
            f"of {BUILD_CHECK:,} configurations of the feature model alone (seed 0, variant paper, MNIST "
            "shape; PLEDGE's view: slots, alternatives, domains, output constraints, no shapes), validated "
            "and compiled, one forward pass on the meta device; the rest break "
            + ", ".join(f"{rule} ({n})" for rule, n in broken.most_common()),
            "repro.spaces.featurenet.sample.model_config",
        )
    )
    return out


def printed_arithmetic() -> list[Measured]:
    """The text's and Table 1's arithmetic redone on Table 1's printed numbers (``reported.toml``): a consistency
    check of the paper, not a measurement of ours (each detail says so)."""
    rows = {(r["dataset"], r["architecture"]): r for r in read_reported(HERE)["table1"]}

    def efficiency(row: dict) -> float:
        return float(row["accuracy"].rstrip("%")) / 100 * 1e6 / row["size"]

    lenet, s1, s3 = rows["mnist", "LeNet5"], rows["mnist", "Top S1"], rows["mnist", "Top S3"]
    squeeze = rows["cifar-10", "SqueezeNet"]
    source = "arithmetic on Table 1's printed numbers (reported.toml [[table1]]); not a measurement of ours"
    return [
        Measured(
            "top_s1_smaller_than_lenet5",
            "any",
            round(100 * (1 - s1["size"] / lenet["size"]), 2),
            f"1 - {s1['size']:,} / {lenet['size']:,}",
            source,
        ),
        Measured(
            "top_s3_efficiency_ratio",
            "any",
            round(s3["efficiency"] / lenet["efficiency"], 2),
            f"{s3['efficiency']} / {lenet['efficiency']}",
            source,
        ),
        Measured(
            "squeezenet_cifar10_efficiency",
            "any",
            round(efficiency(squeeze), 4),
            f"{squeeze['accuracy']} x 10^6 / {squeeze['size']:,}",
            source,
        ),
    ]


def measurements(outcome: Outcome) -> list[Measured]:
    """Our values for the paper's claims at ``outcome``'s profile (a proxy's are shown, never judged)."""
    nums = numbers(outcome)
    name, prov = outcome.experiment.name, describe_provenance(outcome)
    tag = "cifar10" if outcome.recipe.dataset == "cifar-10" else "mnist"
    where = data_label(outcome.recipe)
    table = {row["architecture"]: row for row in nums["table1"]}
    out = [
        Measured(f"{key}_{tag}_acc", name, round(table[arch]["test_acc"], 4), f"{arch} ({where})", prov)
        for key, arch in (
            ("lenet5", "LeNet5"),
            ("top_s1", "Top S1"),
            ("top_s2", "Top S2"),
            ("top_s3", "Top S3"),
            ("squeezenet", "SqueezeNet"),
        )
    ]
    for top in ("top_s1", "top_s2"):
        arch = top.replace("top_s", "Top S")
        beats = table[arch]["test_acc"] > table["LeNet5"]["test_acc"]
        out.append(
            Measured(
                f"{top}_beats_lenet5_{tag}",
                name,
                "yes" if beats else "no",
                f"{arch} {table[arch]['test_acc']:.2f}% vs LeNet5 {table['LeNet5']['test_acc']:.2f}% ({where})",
                prov,
            )
        )
    below = nums["below_per_1000"]["diversity"]
    size = len(group_rows(outcome, "diversity"))
    out += [
        Measured(f"{tag}_below_{t}_per_1000", name, below[t], f"diverse sample of {size} ({where})", prov)
        for t in ("30", "50")
    ]
    rq1, dvr = nums["rq1"], nums["diversity_vs_random"]
    out += [
        Measured("sampled_trained", name, rq1["trained"], f"of {rq1['sampled']} sampled; not a paper number", prov),
        Measured(
            "lenet5_equivalence_max_gap",
            name,
            round(rq1["lenet5_equivalence"].get("max_gap", math.nan), 6),
            "feature-model vs hand-written LeNet5, mean curves; not a paper number",
            prov,
        ),
        Measured(
            "diversity_mean_distance",
            name,
            round(statistics.fmean(d["diversity"] for d in dvr["distance"]), 6),
            "mean pairwise Jaccard distance of the diverse sets; not a paper number",
            prov,
        ),
        Measured(
            "random_mean_distance",
            name,
            round(statistics.fmean(d["random"] for d in dvr["distance"]), 6),
            "mean pairwise Jaccard distance of the random sets; not a paper number",
            prov,
        ),
        Measured(
            "diversity_vs_random_a12",
            name,
            round(dvr["all"]["a12"], 4),
            f"A12 of diverse over random test accuracies, p = {dvr['all']['mw_p']:.3g}; not a paper number",
            prov,
        ),
    ]
    return out


__all__ = ["measurements", "structural_measurements"]
