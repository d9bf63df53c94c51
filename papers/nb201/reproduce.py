"""Replay NAS-Bench-201's search protocol (Dong & Yang, ICLR 2020, Section 5) on its imported tables.

Nothing is trained: every value is an imported NB201 measurement (``repro tables import nb201``).
The protocol, from the authors' code (D-X-Y/AutoDL-Projects: ``exps/algos/R_EA.py``,
``reinforce.py``; settings in ``scripts-search/algos/R-EA.sh``, ``REINFORCE.sh``, ``Random.sh``):

- reward: the 12-epoch ``cifar10-valid`` validation accuracy (``hp=12``); cost: its training time
  plus a validation pass (``train-all-time + valid-per-time``), on one simulated worker;
- a budget of 12,000 simulated seconds per run; an evaluation that would pass it ends the run;
- 500 runs per algorithm; REA with population 10 and tournament size 3; REINFORCE with learning
  rate 0.001 and EMA momentum 0.9; the run's architecture (the best found, REINFORCE's most likely
  cell) reported by its 200-epoch accuracies on CIFAR-10 (test, trained on all 50k images),
  ``cifar10-valid`` (validation), CIFAR-100 and ImageNet16-120 (validation halves ``x-valid``: the
  tables hold no 200-epoch test accuracy for them).

NB201 searched on CIFAR-10 only; the ``cifar100`` and ``imagenet16`` searches repeat the protocol
with each dataset's own 12-epoch validation accuracy and cost (12 per-epoch times of its 200-epoch
run) under the same 12,000 s: an extension, not NB201's setting. Differences from the original:
REA's tournament draws without replacement here (NB201's with), the 12-epoch values are seed means
(NB201's API draws one seed per query), and every registered strategy runs, not only NB201's.

The ``protocol`` scale (500 seeds) takes minutes, so its summaries are stored in the cache as
artefacts of kind ``nb201-protocol`` (keyed by everything that decides them, the imported table's
sha256 included) and replays read them; ``smoke`` (20 seeds) recomputes every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papers.replay import named_experiment, stored_record
from repro.compare import run_comparison, summary
from repro.context import RunContext
from repro.errors import ReproError
from repro.recipe import get_profile
from repro.search.strategies import STRATEGIES
from repro.spaces import get_space
from repro.tables.nb201 import NASWOT, SOURCES, naswot_scores
from repro.tables.studies import hash_study, proxy_study, surrogate_study

HERE = Path(__file__).parent
RECORD_KIND = "nb201-protocol"
TIME_BUDGET = 12000.0
"""Seconds per run (``--time_budget 12000`` in NB201's scripts)."""
PARAMS = {"population_size": 10, "sample_size": 3, "learning_rate": 0.001, "ema_momentum": 0.9}
"""R-EA.sh's population and tournament size; REINFORCE.sh's learning rate and EMA momentum."""
BASELINE = "rs"


@dataclass(frozen=True)
class Search:
    """One comparison: the reward recipe and what each run's architecture is reported by."""

    name: str
    profile: str
    final: tuple[str, ...]


SEARCHES = (
    Search(
        "cifar10",
        "nb201-cifar10-valid-12ep",
        (
            "nb201-cifar10-200ep:test_acc",
            "nb201-cifar10-valid-200ep:val_acc",
            "nb201-cifar100-200ep:val_acc",
            "nb201-imagenet16-200ep:val_acc",
        ),
    ),
    Search("cifar100", "nb201-cifar100-12ep", ("nb201-cifar100-200ep:val_acc",)),
    Search("imagenet16", "nb201-imagenet16-12ep", ("nb201-imagenet16-200ep:val_acc",)),
)


@dataclass(frozen=True)
class Experiment:
    """A number of runs per strategy; ``stored``: the summary is kept in the cache (too slow to recompute)."""

    name: str
    seeds: tuple[int, ...]
    stored: bool
    about: str


EXPERIMENTS = {
    "smoke": Experiment("smoke", tuple(range(20)), False, "20 runs per strategy and dataset (recomputed)"),
    "protocol": Experiment("protocol", tuple(range(500)), True, "NB201's 500 runs per strategy and dataset"),
}


@dataclass
class Outcome:
    """Per search, the summary of its comparison (:func:`repro.compare.summary`)."""

    experiment: Experiment
    summaries: dict[str, dict[str, Any]]
    table: dict[str, Any]
    """The imported table's manifest fields (sources, sha256) the numbers come from."""
    hash: dict[str, Any]
    """The canonical hash on NB201's per-seed cifar10-valid trainings (:func:`repro.tables.studies.hash_study`)."""
    surrogate: dict[str, Any] | None
    """The surrogate's quality against training-set size (stored profiles only: minutes of fitting)."""
    naswot: dict[str, Any] | str | None = None
    """NASWOT's Kendall tau on the surrogate study's held-out networks (:func:`repro.tables.studies.proxy_study`),
    or why it is missing (a fresh cache without the NASWOT source file)."""


NASWOT_SOURCE = next(s for s in SOURCES if s.name == NASWOT)


def strategies() -> list[str]:
    """Every registered strategy, the baseline first."""
    return [BASELINE] + [s for s in STRATEGIES.names() if s != BASELINE]


def run(experiment: Experiment, ctx: RunContext) -> Outcome:
    """Run (or read the stored summary of) every search of ``experiment``; nothing is ever trained.

    A stored profile's summaries are artefacts of the cache: a missing one is computed (minutes of
    replaying imported rows, not training) when the context's miss policy allows it, and its
    thousands of runs are never logged into the store.
    """
    store = ctx.store
    manifest = store.imported.manifest_of(get_profile(SEARCHES[0].profile).key)
    if manifest is None:
        raise ReproError("the cache has no imported NAS-Bench-201 table; run `repro tables import nb201`")
    space = get_space("nb201")
    summaries = {}
    for search in SEARCHES:

        def compare(search: Search = search) -> dict[str, Any]:
            c = run_comparison(
                space,
                get_profile(search.profile),
                store,
                strategies(),
                experiment.seeds,
                10_000,
                baseline=BASELINE,
                params=PARAMS,
                time_budget=TIME_BUDGET,
                final=search.final,
                on_run=lambda _run: ctx.step(),
                log_runs=False,
            )
            return summary(c)

        if experiment.stored:
            what = {
                "search": search.name,
                "profile": search.profile,
                "final": list(search.final),
                "seeds": len(experiment.seeds),
                "strategies": strategies(),
                "params": PARAMS,
                "time_budget": TIME_BUDGET,
                "table": manifest.sha256,
            }
            summaries[search.name] = stored_record(
                ctx, RECORD_KIND, what, f"nb201 {experiment.name} {search.name}", compare, "cpu"
            )
        else:
            summaries[search.name] = compare()
    seeds = store.evaluations("nb201", get_profile("nb201-cifar10-valid-200ep").key)
    table = {"table": manifest.table, "sha256": manifest.sha256, "sources": manifest.sources}
    surrogate = None
    if experiment.stored:
        what = {"study": "surrogate", "profile": SEARCHES[0].profile, "table": manifest.sha256}
        twelve = get_profile(SEARCHES[0].profile).key
        surrogate = stored_record(
            ctx,
            RECORD_KIND,
            what,
            "nb201 surrogate study",
            lambda: surrogate_study(store.evaluations("nb201", twelve)),
            "cpu",
        )
        naswot = _naswot(ctx, {**what, "study": "naswot", "source": NASWOT_SOURCE.sha256}, twelve)
        return Outcome(experiment, summaries, table, hash_study(seeds), surrogate, naswot)
    return Outcome(experiment, summaries, table, hash_study(seeds), surrogate)


def _naswot(ctx: RunContext, what: dict[str, Any], recipe_key: str) -> dict[str, Any] | str:
    """The NASWOT column's record: stored, or computed from the NASWOT source file (which does not ship: the
    scores are no rows), or why neither is possible."""
    try:
        return stored_record(
            ctx,
            RECORD_KIND,
            what,
            "nb201 NASWOT study",
            lambda: proxy_study(ctx.store.evaluations("nb201", recipe_key), naswot_scores()),
            "cpu",
        )
    except ReproError as exc:
        return f"not in the cache and not computable here ({exc})"


def describe_profile(outcome: Outcome) -> str:
    """One line naming the runs and the imported table behind an outcome's numbers."""
    e = outcome.experiment
    files = ", ".join(s["file"] for s in outcome.table["sources"])
    return (
        f"profile `{e.name}`: {len(e.seeds)} runs per strategy and search, {TIME_BUDGET:,.0f} simulated s each; "
        f"imported NAS-Bench-201 rows ({files}; table sha256 {outcome.table['sha256'][:12]}), measured by NB201 on GPUs"
    )


def total_evaluations(experiment: Experiment) -> int:
    """Progress is counted in runs: seeds x strategies x searches."""
    return len(experiment.seeds) * len(strategies()) * len(SEARCHES)


def get_experiment(name: str) -> Experiment:
    """The named experiment, or a ReproError listing them."""
    return named_experiment("nb201", EXPERIMENTS, name)


__all__ = [
    "EXPERIMENTS",
    "Experiment",
    "Outcome",
    "SEARCHES",
    "describe_profile",
    "get_experiment",
    "run",
    "strategies",
    "total_evaluations",
]
