"""Studies of imported NAS-Bench-201 rows: the canonical hash on NB201's separate trainings, and the
surrogate's quality against training-set size (:mod:`papers.nb201` reports both)."""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from typing import Any

import numpy as np
from scipy.stats import f_oneway

from repro.records import Evaluation
from repro.spaces.nb201 import canonical_text, from_string


def hash_study(rows: list[Evaluation]) -> dict[str, Any]:
    """The canonical hash on NB201's per-seed trainings (``rows``: one recipe's imported per-seed rows).

    NB201 trained every string separately, so strings sharing a key are independent trainings of one
    network: their means should differ only by seed noise. One-way ANOVA per key (strings as groups,
    seeds as samples) flags keys whose strings differ beyond it (Bonferroni over the keys tested: a
    merge of different networks would show there). The other direction: strings that differ only by
    a ``skip_connect`` detour (a node that copies another) compute the same function but get different
    keys; the same test over the keys such a merge would join says whether the trainings tell them apart.
    """
    by_string: dict[str, list[float]] = defaultdict(list)
    key_of: dict[str, str] = {}
    for e in rows:
        assert e.source_arch is not None and e.val_acc is not None, "hash_study needs imported per-seed rows"
        by_string[e.source_arch].append(e.val_acc)
        key_of[e.source_arch] = e.genome_key
    strings_of: dict[str, list[str]] = defaultdict(list)
    for s, k in key_of.items():
        strings_of[k].append(s)
    seed_sd = _pooled_sd([by_string[s] for s in by_string])
    single_sd = _pooled_sd([by_string[ss[0]] for ss in strings_of.values() if len(ss) == 1])
    shared = [[by_string[s] for s in ss] for ss in strings_of.values() if len(ss) > 1]
    classes: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for s, k in key_of.items():
        classes[_merged(s)][k] += by_string[s]
    joined = [list(keys.values()) for keys in classes.values() if len(keys) > 1]
    return {
        "strings": len(by_string),
        "keys": len(strings_of),
        "keys_with_several_strings": len(shared),
        "strings_in_them": sum(len(g) for g in shared),
        "seed_sd": seed_sd,
        "seed_sd_single_strings": single_sd,
        "between_strings_sd": _between_sd(shared),
        "flagged_keys": _flagged(shared),
        "identity_classes": len(classes),
        "identity_merges": len(joined),
        "keys_in_identity_merges": sum(len(g) for g in joined),
        "between_keys_sd": _between_sd(joined),
        "flagged_identity_merges": _flagged(joined),
    }


@functools.lru_cache(maxsize=None)
def _merged(string: str) -> str:
    return canonical_text(from_string(string), merge_identities=True)


def _pooled_sd(groups: list[list[float]]) -> float:
    """The within-group standard deviation pooled over groups of two or more values."""
    groups = [g for g in groups if len(g) > 1]
    ss = sum(float(np.sum((np.asarray(g) - np.mean(g)) ** 2)) for g in groups)
    return math.sqrt(ss / sum(len(g) - 1 for g in groups)) if groups else math.nan


def _between_sd(families: list[list[list[float]]]) -> float:
    """The standard deviation of group means around their family's mean, pooled over families."""
    return _pooled_sd([[float(np.mean(g)) for g in family] for family in families])


def _flagged(families: list[list[list[float]]]) -> int:
    """Families whose groups differ beyond seed noise: one-way ANOVA p below 0.05 / number of families tested."""
    tested = [f for f in families if all(len(g) > 1 for g in f) and np.ptp(np.concatenate(f)) > 0]
    return int(sum(f_oneway(*f).pvalue < 0.05 / len(tested) for f in tested))


SURROGATE_SIZES = (100, 200, 500, 1000, 5000)
SURROGATE_SPLITS = 3
SURROGATE_TEST = 1000


def _networks(rows: list[Evaluation]) -> tuple[list[str], dict[str, str], np.ndarray]:
    """Per canonical network of ``rows`` (sorted keys): its first source string and its mean val_acc."""
    values: dict[str, list[float]] = defaultdict(list)
    arch: dict[str, str] = {}
    for e in rows:
        assert e.source_arch is not None and e.val_acc is not None, "the NB201 studies need imported rows"
        values[e.genome_key].append(e.val_acc)
        arch.setdefault(e.genome_key, e.source_arch)
    keys = sorted(values)
    return keys, arch, np.array([float(np.mean(values[k])) for k in keys])


def _split(split: int, networks: int) -> np.ndarray:
    """Split ``split``'s random order of the networks: the first n train, the last :data:`SURROGATE_TEST` test."""
    return np.random.default_rng(split).permutation(networks)


def surrogate_study(rows: list[Evaluation]) -> dict[str, Any]:
    """Kendall tau and MAE of :mod:`repro.surrogate`'s regressor on NB201 against the number of training networks.

    ``rows``: one recipe's imported rows (the 12-epoch rewards). Per canonical network: the mean
    val_acc and the features of its first string (``Nb201Space.features``: one-hot operation per
    edge, what ``--on-miss surrogate`` uses). Per split: a random permutation of the networks, the
    first ``n`` train, the last 1,000 test (never trained on).
    """
    from scipy.stats import kendalltau

    from repro.spaces.nb201 import Nb201Space
    from repro.surrogate import Surrogate

    space = Nb201Space()
    keys, arch, y = _networks(rows)
    x = np.array([space.features(from_string(arch[k])) for k in keys])
    results = []
    for split in range(SURROGATE_SPLITS):
        order = _split(split, len(keys))
        test = order[-SURROGATE_TEST:]
        for n in SURROGATE_SIZES:
            predicted = Surrogate.regressor(split).fit(x[order[:n]], y[order[:n]]).predict(x[test])
            results.append(
                {
                    "train": n,
                    "split": split,
                    "kendall_tau": float(kendalltau(y[test], predicted).statistic),
                    "mae": float(np.mean(np.abs(predicted - y[test]))),
                }
            )
    return {"networks": len(keys), "test": SURROGATE_TEST, "results": results}


def proxy_study(rows: list[Evaluation], scores: dict[str, float]) -> dict[str, Any]:
    """Kendall tau of a zero-cost score (``scores``: NB201 string -> score) against the surrogate study's target on
    the same held-out networks of each split: the reference :func:`surrogate_study` is read beside.

    A network is scored by its first string's score, the string whose features the surrogate sees; a
    zero-cost score needs no training networks, so there is one tau per split.
    """
    from scipy.stats import kendalltau

    keys, arch, y = _networks(rows)
    missing = [arch[k] for k in keys if arch[k] not in scores]
    assert not missing, f"no score for {len(missing)} strings, e.g. {missing[0]}"
    score = np.array([scores[arch[k]] for k in keys])
    results = []
    for split in range(SURROGATE_SPLITS):
        test = _split(split, len(keys))[-SURROGATE_TEST:]
        results.append({"split": split, "kendall_tau": float(kendalltau(y[test], score[test]).statistic)})
    return {"networks": len(keys), "test": SURROGATE_TEST, "results": results}


__all__ = ["SURROGATE_SIZES", "hash_study", "proxy_study", "surrogate_study"]
