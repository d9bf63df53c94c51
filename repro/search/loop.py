"""The search loop: ask a strategy, evaluate through the cache, tell the result, log the step.

Training seeds: the k-th evaluation of an architecture within a run uses training seed k (k = 0,
1, ...), so an architecture sampled five times is trained five times with different seeds (the
paper's "sampled at least 5 times"), and runs with different search seeds share cached rows the
way a tabular benchmark does. Everything that decides the trajectory is the search seed and the
cached values, so a replay on a warm cache reproduces it exactly and trains nothing; a killed
run, rerun with the same command, replays its finished steps from the cache and continues.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repro import provenance
from repro.evaluator import Evaluator
from repro.executors import Executor, InProcess
from repro.records import Evaluation, Ready
from repro.search.strategies import make_strategy


@dataclass(slots=True)
class Trial:
    """One step of a run (a record: not frozen only because a frozen dataclass costs a replayed step several
    times more to make)."""

    step: int
    genome: str
    evaluation: Evaluation
    served_by: str
    value: float
    time: float = 0.0
    """When it finished: seconds since the search started (simulated seconds under the simulated executor)."""


@dataclass
class SearchResult:
    """A run's trajectory and identity."""

    run_id: str
    metric: str
    strategy_config: dict[str, Any] = field(default_factory=dict)
    """The strategy's parameters, its defaults filled in."""
    recommended: Any = None
    """The architecture the strategy recommends at the end (its :meth:`~repro.search.strategies.Strategy.recommend`),
    or None when it leaves the choice to the best trial."""
    trials: list[Trial] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: {"strategy": 0.0, "lookup": 0.0, "wall": 0.0})
    """Elapsed seconds in the strategy's ask/tell and in cache lookups and job preparation, and the run's
    wall-clock (simulated under the simulated executor); set when the run ends."""

    @property
    def best(self) -> Trial | None:
        """The trial with the highest value (the earliest among ties); None if all were invalid."""
        valid = [t for t in self.trials if not math.isnan(t.value)]
        return max(valid, key=lambda t: t.value) if valid else None

    def served(self) -> Counter[str]:
        """How many steps each path served: cache, train, invalid, surrogate."""
        return Counter(t.served_by for t in self.trials)

    def values(self) -> np.ndarray:
        """The objective per step (NaN for invalid architectures)."""
        return np.array([t.value for t in self.trials], dtype=float)


def run_id(
    space: str,
    space_config: dict[str, Any],
    strategy: str,
    strategy_config: dict[str, Any],
    recipe_key: str,
    seed: int,
    metric: str,
) -> str:
    """Identify a run by everything that decides its trajectory (not its budget: a longer run extends it)."""
    ident = json.dumps([space, space_config, strategy, strategy_config, recipe_key, seed, metric], sort_keys=True)
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def run_search(
    strategy_name: str,
    evaluator: Evaluator,
    budget: int,
    seed: int,
    metric: str = "val_acc",
    params: dict[str, Any] | None = None,
    strict: bool = True,
    on_step: Callable[[Trial, SearchResult], None] | None = None,
    executor: Executor | None = None,
    time_budget: float | None = None,
    log: bool = True,
) -> SearchResult:
    """Run ``budget`` evaluations of the registered strategy ``strategy_name`` through ``evaluator``.

    The strategy is built here with ``params`` (see :func:`~repro.search.strategies.make_strategy`;
    ``strict=False`` drops parameters it does not take) and a generator seeded by ``seed``, so the
    seed that names the run is the one that drives it.

    With an executor of capacity k > 1 the search is asynchronous (steady state): up to k
    evaluations are in flight, a new genome is asked for whenever one finishes, and results are
    told in the order they finish, so step numbers follow finish order. The default executor
    trains in this process, one at a time, which makes the trajectory a function of the seed alone.

    ``time_budget`` (seconds on the executor's clock, e.g. simulated seconds of recorded training
    times) ends the run before the first evaluation that would finish after it, which is neither
    told nor logged: NAS-Bench-201's rule (``R_EA.py``: a result whose cost would pass the budget
    ends the search); ``budget`` then only caps the number of evaluations. With ``log=False`` the
    run and its steps are not recorded in the store (a study of thousands of replayed runs).
    """
    space, store = evaluator.space, evaluator.store
    strategy = make_strategy(strategy_name, space, np.random.default_rng(seed), strict=strict, **(params or {}))
    executor = executor or InProcess(evaluator.on_epoch)
    space_config = space.config()
    strategy_config = strategy.config()
    if executor.capacity > 1:  # finish order, hence the trajectory, depends on the executor
        strategy_config = {**strategy_config, "executor": executor.describe()}
    rid = run_id(space.name, space_config, strategy_name, strategy_config, evaluator.recipe.key, seed, metric)
    # A read-only cache can only replay; the log of a replay would repeat what is stored.
    log = log and not store.read_only
    if log:
        store.record_run(
            rid,
            space=space.name,
            strategy=strategy_name,
            config=json.dumps({"space": space_config, "strategy": strategy_config}, sort_keys=True),
            recipe_key=evaluator.recipe.key,
            seed=seed,
            budget=budget,
            metric=metric,
            code_version=provenance.code_version(),
            created_at=provenance.now(),
        )
    result = SearchResult(run_id=rid, metric=metric, strategy_config=strategy.config())
    trials = result.trials
    occurrences: dict[str, int] = {}
    asked = in_flight = 0
    # Timed in line with elapsed time, not with context managers or CPU time (a system call each): a
    # replayed step costs microseconds, and either would be a fair share of them.
    clock = time.perf_counter
    strategy_seconds = lookup_seconds = 0.0
    while len(trials) < budget:
        # One commit per step when logging: a step's row and its trial-log line reach the file together. A trained
        # row is only put once its result is back, so no training's row waits on another job; what may wait is an
        # invalid architecture's row, put when asked, with several jobs in flight (nothing trained, nothing lost).
        with store.atomic() if log else contextlib.nullcontext():
            while asked < budget and in_flight < executor.capacity:
                started = clock()
                genome = strategy.ask()
                asked_at = clock()
                genome_json, form = evaluator.identify(genome)
                train_seed = occurrences.get(form.key, 0)
                occurrences[form.key] = train_seed + 1
                executor.submit((genome, genome_json), evaluator.answer(genome, form, train_seed))
                done_at = clock()
                strategy_seconds += asked_at - started
                lookup_seconds += done_at - asked_at
                asked += 1
                in_flight += 1
            (genome, genome_json), done = executor.wait()
            in_flight -= 1
            if time_budget is not None and executor.now > time_budget:
                break
            ready = done if isinstance(done, Ready) else evaluator.record(done)
            evaluation = ready.evaluation
            value = evaluation.value(metric)
            started = clock()
            strategy.tell(genome, value)
            strategy_seconds += clock() - started
            step = len(trials)
            if log:
                store.record_trial(
                    rid, step, evaluation.genome_key, evaluation.train_seed, genome_json, ready.served_by
                )
            trials.append(Trial(step, genome_json, evaluation, ready.served_by, value, executor.now))
        if on_step is not None:
            on_step(trials[-1], result)
    result.seconds.update(
        strategy=strategy_seconds,
        lookup=lookup_seconds,
        wall=executor.now if time_budget is None else min(executor.now, time_budget),
    )
    result.recommended = strategy.recommend()
    return result
