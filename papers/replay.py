"""Replaying a paper's experiments from the cache: the part of every paper's interface that is the same."""

from __future__ import annotations

import hashlib
import json
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from repro import provenance
from repro.cache.store import Store
from repro.records import Evaluation
from repro.errors import ReproError
from repro.context import RunContext
from repro.evaluator import Evaluator, NotInCache


class SearchNotCached(NotInCache):
    """A supernet search that the cache does not hold and ``on_miss="error"`` forbids running."""


def read_reported(folder: Path) -> dict[str, Any]:
    """A paper's numbers, as printed (``reported.toml`` in the paper's folder)."""
    return tomllib.loads((folder / "reported.toml").read_text())


def named_experiment(paper: str, experiments: Mapping[str, Any], name: str) -> Any:
    """``experiments[name]``, or a ReproError listing the paper's profiles."""
    if name not in experiments:
        raise ReproError(f"unknown {paper} profile {name!r}; choose one of: {', '.join(experiments)}")
    return experiments[name]


def replay_all(paper: str, reproduce: Any, store: Store) -> tuple[dict[str, Any], dict[str, str]]:
    """Replay every experiment of ``reproduce`` (a :class:`papers.Reproduce`) the cache holds; the others with why."""
    outcomes, unavailable = {}, {}
    for experiment in reproduce.EXPERIMENTS.values():
        try:
            outcomes[experiment.name] = reproduce.run(experiment, RunContext(store))
        except NotInCache:
            unavailable[experiment.name] = (
                f"not in this cache (fill it: repro reproduce {paper} --profile {experiment.name} --on-miss train)"
            )
    return outcomes, unavailable


def all_measurements(claims: Any, outcomes: Mapping[str, Any]) -> list[Any]:
    """The structural counts of ``claims`` (a :class:`papers.Claims`) plus every replayed profile's measurements,
    smallest profile first."""
    return claims.structural_measurements() + [m for o in outcomes.values() for m in claims.measurements(o)]


def stored_search(ctx: RunContext, folder: str, what: dict[str, Any], name: str, device: str,
                  search: Callable[[], dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """The search record keyed by ``what`` under ``<cache>/<folder>/``, running ``search`` and storing it first if allowed.

    A weight-sharing search is not a cached evaluation: its record is ``what``, what ``search()``
    returned, and its provenance (seconds, reading the data included; code version; ``device``).
    """
    key = hashlib.sha256(json.dumps(what, sort_keys=True, default=list).encode()).hexdigest()[:16]
    path = ctx.store.root / folder / f"{key}.json"
    if path.exists():
        return json.loads(path.read_text())
    if ctx.on_miss == "error":
        raise SearchNotCached(f"{name} not in the cache ({path.name}); rerun with --on-miss train")
    started = time.perf_counter()
    found = search()
    record = {**what, **found, "seconds": time.perf_counter() - started, "code_version": provenance.code_version(),
              "device": provenance.device_name(device), "libraries": provenance.library_versions()}  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
    return record


def retrain_all(evaluator: Evaluator, genomes: dict[str, list[Any]], train_seeds: Sequence[int],
                on_step: Callable[[], None] | None = None) -> dict[str, list[list[Evaluation]]]:  # fmt: skip
    """Per label, per genome, the evaluation with every training seed (from the cache, or trained if allowed)."""
    evaluations: dict[str, list[list[Evaluation]]] = {}
    for label, found in genomes.items():
        evaluations[label] = []
        for genome in found:
            rows = []
            for train_seed in train_seeds:
                rows.append(evaluator.evaluate(genome, train_seed)[0])
                if on_step:
                    on_step()
            evaluations[label].append(rows)
    return evaluations
