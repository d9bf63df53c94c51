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
from repro.context import RunContext
from repro.errors import ReproError
from repro.evaluator import Evaluator, NotInCache
from repro.records import Evaluation


class RecordNotCached(NotInCache):
    """An artefact (a supernet search, sampled configurations) that the cache lacks and ``on_miss="error"`` forbids
    producing."""


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
                f"not in this cache (fill it: repro reproduce {paper} --scale {experiment.name} --on-miss train)"
            )
    return outcomes, unavailable


def all_measurements(claims: Any, outcomes: Mapping[str, Any]) -> list[Any]:
    """The structural counts of ``claims`` (a :class:`papers.Claims`) plus every replayed profile's measurements,
    smallest profile first."""
    return claims.structural_measurements() + [m for o in outcomes.values() for m in claims.measurements(o)]


def stored_record(
    ctx: RunContext,
    kind: str,
    what: dict[str, Any],
    name: str,
    produce: Callable[[], dict[str, Any]],
    device: str | None = None,
) -> dict[str, Any]:
    """The artefact of ``kind`` keyed by ``what``, produced by ``produce()`` and stored first if the context allows.

    What a replay needs besides evaluations (a weight-sharing search, a sampled set of
    configurations): its record is ``what``, what ``produce()`` returned, and its provenance
    (seconds, reading the data included; code version; libraries; ``device`` when it computed on one).
    """
    key = hashlib.sha256(json.dumps(what, sort_keys=True, default=list).encode()).hexdigest()[:16]
    found = ctx.store.artefact(kind, key)
    if found is not None:
        return found
    if ctx.on_miss == "error":
        raise RecordNotCached(f"{name} not in the cache (artefact {kind}/{key}); rerun with --on-miss train")
    started = time.perf_counter()
    produced = produce()
    record = {
        **what,
        **produced,
        "seconds": time.perf_counter() - started,
        "code_version": provenance.code_version(),
        **({"device": provenance.device_name(device)} if device is not None else {}),
        "libraries": provenance.library_versions(),
    }
    ctx.store.put_artefact(kind, key, record)
    return record


def retrain_all(
    evaluator: Evaluator,
    genomes: dict[str, list[Any]],
    train_seeds: Sequence[int],
    on_step: Callable[[], None] | None = None,
) -> dict[str, list[list[Evaluation]]]:
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


PROTOCOL_STATUSES = ("fixed", "kept")


def protocol_notes(folder: Path) -> list[str]:
    """The ``[[protocol]]`` entries of a paper's ``reported.toml`` as report lines: each place where a profile
    follows or knowingly departs from the paper and its authors' code, with the evidence."""
    lines = []
    for entry in read_reported(folder).get("protocol", []):
        if entry.get("status") not in PROTOCOL_STATUSES or not entry.get("item") or not entry.get("why"):
            raise ReproError(
                f"{folder / 'reported.toml'}: a [[protocol]] entry needs item, why and a status in "
                f"{', '.join(PROTOCOL_STATUSES)}; got {entry!r}"
            )
        lines.append(
            f"- **{entry['status']}** ({entry.get('profiles', 'every profile')}): {entry['item']}. {entry['why']}"
        )
    return lines


def written_by(paper: str, scale: str) -> str:
    """A summary's closing note: the command that writes it. No date and no code version of the writer, so that
    rerunning a reproduction with nothing changed leaves the file byte-identical (``git log`` dates it; each number's
    own provenance names the code that measured it)."""
    return (
        f"- Written by `repro reproduce {paper} --scale {scale}`; rerun unchanged, it rewrites this file byte for byte."
    )
