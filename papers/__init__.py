"""Per-paper reproduction modules and their reported numbers (as data, beside each module)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

PAPERS = {
    "nar": "papers.nar.reproduce",
    "remnet": "papers.remnet.reproduce",
    "rcas": "papers.rcas.reproduce",
    "gdas": "papers.gdas.reproduce",
    "featurenet": "papers.featurenet.reproduce",
}
"""Paper short name (as in shared/papers/INDEX.md) -> the module that reproduces it (a :class:`PaperModule`)."""


class PaperModule(Protocol):
    """What ``repro reproduce``, ``regress`` and ``report`` use of a paper's ``reproduce`` module.

    Replaying every profile and collecting the measurements are the same for every paper
    (:func:`papers.replay.replay_all`, :func:`papers.replay.all_measurements`), so a module
    supplies only its parts.
    """

    HERE: Path
    """The paper's folder (``reported.toml``, ``golden.json``)."""
    EXPERIMENTS: Mapping[str, Any]
    """Profile name -> experiment (each with a ``name``), smallest first."""

    def get_experiment(self, name: str) -> Any:
        """The named experiment, or a ReproError listing the profiles."""

    def run(self, experiment: Any, store: Any, on_miss: str = "error", device: str = "auto",
            data_root: str | None = None, on_step: Callable[[], None] | None = None) -> Any:  # fmt: skip
        """Run (or replay from the cache) one experiment; raises ``NotInCache`` when replaying what is missing."""

    def write_report(self, outcome: Any, out_dir: Path) -> list[Path]:
        """Figures, ``summary.md`` and ``numbers.json`` of one outcome."""

    def describe_profile(self, outcome: Any) -> str:
        """One line naming the scale, data and devices behind an outcome."""

    def structural_measurements(self) -> list[Any]:
        """Measurements that need no cache (parameter counts and the like)."""

    def measurements(self, outcome: Any) -> list[Any]:
        """Our values for the paper's claims at one replayed profile."""

    def total_evaluations(self, experiment: Any) -> int | None:
        """How many evaluations ``run`` makes (for progress bars), or None when not known in advance."""
