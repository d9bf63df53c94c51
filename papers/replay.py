"""Replaying a paper's experiments from the cache: the part of every paper module's interface that is the same."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from repro.cache.store import Store
from repro.errors import ReproError
from repro.evaluator import NotInCache


def read_reported(folder: Path) -> dict[str, Any]:
    """A paper's numbers, as printed (``reported.toml`` in the paper's folder)."""
    return tomllib.loads((folder / "reported.toml").read_text())


def named_experiment(paper: str, experiments: Mapping[str, Any], name: str) -> Any:
    """``experiments[name]``, or a ReproError listing the paper's profiles."""
    if name not in experiments:
        raise ReproError(f"unknown {paper} profile {name!r}; choose one of: {', '.join(experiments)}")
    return experiments[name]


def replay_experiments(
    paper: str, experiments: Iterable[Any], run: Callable[..., Any], store: Store
) -> tuple[dict[str, Any], dict[str, str]]:
    """Replay every experiment the cache holds (``run(experiment, store, on_miss="error")``); the others with why."""
    outcomes, unavailable = {}, {}
    for experiment in experiments:
        try:
            outcomes[experiment.name] = run(experiment, store, on_miss="error")
        except NotInCache:
            unavailable[experiment.name] = (
                f"not in this cache (fill it: repro reproduce {paper} --profile {experiment.name} --on-miss train)"
            )
    return outcomes, unavailable
