"""Per-paper reproductions and their reported numbers (as data, beside each paper's modules).

Every paper is a package ``papers/<name>/`` laid out the same way, one job per module:

- ``reproduce.py``: the experiments (one per profile) and ``run``, which runs or replays them into an outcome;
- ``numbers.py``: the quantities computed from an outcome, shared by the report and the claims;
- ``report.py``: ``write_report``, the figures, ``summary.md`` and ``numbers.json`` of one outcome;
- ``claims.py``: our values for the paper's claims, structural and per replayed profile;
- ``reported.toml`` (the paper's numbers, as printed) and ``golden.json`` (our accepted values).

Imports run one way, ``reproduce`` <- ``numbers`` <- ``report`` and ``claims``. :func:`load` gathers
the three modules the CLI uses into a :class:`Paper`; :class:`Reproduce`, :class:`Report` and
:class:`Claims` say what each must supply.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from repro.context import RunContext
from repro.errors import ReproError

PAPERS = {
    "nar": "papers.nar",
    "remnet": "papers.remnet",
    "rcas": "papers.rcas",
    "gdas": "papers.gdas",
    "featurenet": "papers.featurenet",
    "nb201": "papers.nb201",
}
"""Paper short name (as the papers' index names them) -> its package (the modules of a :class:`Paper`)."""


class Reproduce(Protocol):
    """What the CLI uses of a paper's ``reproduce`` module.

    Replaying every profile and collecting the measurements are the same for every paper
    (:func:`papers.replay.replay_all`, :func:`papers.replay.all_measurements`), so a paper
    supplies only its parts.
    """

    HERE: Path
    """The paper's folder (``reported.toml``, ``golden.json``)."""
    EXPERIMENTS: Mapping[str, Any]
    """Profile name -> experiment (each with a ``name``), smallest first."""

    def get_experiment(self, name: str) -> Any:
        """The named experiment, or a ReproError listing the profiles."""

    def run(self, experiment: Any, ctx: RunContext) -> Any:
        """Run (or replay from the cache) one experiment; raises ``NotInCache`` when the context's miss policy
        is ``error`` and something is missing."""

    def describe_profile(self, outcome: Any) -> str:
        """One line naming the scale, data and devices behind an outcome."""

    def total_evaluations(self, experiment: Any) -> int | None:
        """How many evaluations ``run`` makes (for progress bars), or None when not known in advance."""


class Report(Protocol):
    """What the CLI uses of a paper's ``report`` module."""

    def write_report(self, outcome: Any, out_dir: Path) -> list[Path]:
        """Figures, ``summary.md`` and ``numbers.json`` of one outcome."""


class Claims(Protocol):
    """What the CLI uses of a paper's ``claims`` module."""

    def structural_measurements(self) -> list[Any]:
        """Measurements that need no cache (parameter counts and the like)."""

    def measurements(self, outcome: Any) -> list[Any]:
        """Our values for the paper's claims at one replayed profile."""


@dataclass(frozen=True)
class Paper:
    """One paper's modules, as ``repro reproduce``, ``regress`` and ``report`` use them."""

    name: str
    reproduce: Reproduce
    report: Report
    claims: Claims


def load(name: str) -> Paper:
    """The paper registered as ``name`` (its modules imported), or a ReproError listing the papers."""
    if name not in PAPERS:
        raise ReproError(f"unknown paper {name!r}; choose one of: {', '.join(sorted(PAPERS))}")
    modules = [importlib.import_module(f"{PAPERS[name]}.{part}") for part in ("reproduce", "report", "claims")]
    return Paper(name, *modules)
