"""One way to get an architecture's numbers: the cache first, then (if the user allows) training or a surrogate.

Every path returns the same :class:`~repro.cache.store.Evaluation` record. Invalid
architectures are recognised at build time, stored with their reason and never trained.
Surrogate predictions (``on_miss="surrogate"``) are served as ``"surrogate"`` with status
``predicted`` and never stored.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from repro import provenance
from repro.cache.store import Evaluation, Store
from repro.cache.table import CachedTable
from repro.data import DataBundle, load_dataset
from repro.data.datasets import get_spec
from repro.errors import ReproError
from repro.recipe import Recipe
from repro.spaces.base import CanonicalForm, InvalidArchitecture, SearchSpace
from repro.surrogate import Surrogate

ON_MISS = ("train", "error", "surrogate")


@dataclass(frozen=True)
class Request:
    """An evaluation the cache did not hold."""

    space: str
    genome_key: str
    recipe_key: str
    train_seed: int
    genome: str


class NotInCache(ReproError):
    """The cache lacks something (an evaluation, a search) and the user forbade producing it."""


class MissingEvaluations(NotInCache):
    """Raised with ``on_miss="error"``; ``missing`` lists what would have to be trained."""

    def __init__(self, missing: list[Request]) -> None:
        self.missing = missing
        shown = "; ".join(f"{m.space}/{m.genome_key} seed {m.train_seed}" for m in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        super().__init__(
            f"{len(missing)} evaluation(s) not in the cache for recipe {missing[0].recipe_key}: {shown}{more}; "
            "rerun with --on-miss train to train them"
        )


class Evaluator:
    """Serve evaluations of one space under one recipe from ``store``, training on a miss if allowed."""

    def __init__(
        self,
        space: SearchSpace[Any],
        recipe: Recipe,
        store: Store,
        on_miss: str = "train",
        device: str = "auto",
        data_root: str | None = None,
        on_epoch: Callable[[int], None] | None = None,
        table: CachedTable | None = None,
        surrogate: Surrogate | None = None,
    ) -> None:
        """``table`` is an in-memory view of ``store``'s rows for this space and recipe (read on the first
        lookup when not given: one query instead of one per lookup); ``surrogate`` serves misses when
        ``on_miss`` is ``"surrogate"``."""
        if on_miss not in ON_MISS:
            raise ReproError(f"--on-miss must be one of {', '.join(ON_MISS)}, got {on_miss!r}")
        if on_miss == "surrogate" and surrogate is None:
            raise ReproError("--on-miss surrogate needs a surrogate fit on the cache")
        self.space = space
        self.recipe = recipe
        self.store = store
        self.on_miss = on_miss
        self.device = device
        self.data_root = data_root
        self.on_epoch = on_epoch
        self._table = table
        self.surrogate = surrogate
        # Canonicalising is the costliest step of a cached lookup; searches revisit genomes often.
        self._forms: dict[str, CanonicalForm] = {}
        # A search asks about the genome it just asked for several times (key, lookup, log); genomes
        # are immutable, so the same object has the same text and form.
        self._last: tuple[Any, str, CanonicalForm] | None = None
        spec = get_spec(recipe.dataset)
        self.input_shape = spec.input_shape
        self.num_classes = spec.num_classes

    def canonical(self, genome: Any) -> CanonicalForm:
        """The space's canonical form of ``genome``, memoised by the genome's JSON text."""
        if self._last is not None and self._last[0] is genome:
            return self._last[2]
        text = self.space.to_json(genome)
        form = self._forms.get(text)
        if form is None:
            form = self._forms[text] = self.space.canonical(genome)
        self._last = (genome, text, form)
        return form

    def to_json(self, genome: Any) -> str:
        """The space's JSON text of ``genome`` (not recomputed for the genome canonicalised last)."""
        if self._last is not None and self._last[0] is genome:
            return self._last[1]
        return self.space.to_json(genome)

    def request(self, genome: Any, train_seed: int) -> Request:
        """The cache coordinates of evaluating ``genome`` with ``train_seed``."""
        form = self.canonical(genome)
        return Request(self.space.name, form.key, self.recipe.key, train_seed, form.text)

    @property
    def table(self) -> CachedTable:
        """The in-memory view of the cached rows this evaluator serves (complete: its own writes are added)."""
        if self._table is None:
            self._table = CachedTable(self.store, self.space.name, self.recipe.key)
        return self._table

    def _cached(self, r: Request) -> Evaluation | None:
        return self.table.get(r.genome_key, r.train_seed)

    def _put(self, evaluation: Evaluation, curve: Any = None) -> None:
        self.store.put(evaluation, self.recipe.to_json(), self.recipe.profile, curve)
        self.table.add(evaluation)

    def lookup(self, genome: Any, train_seed: int) -> Evaluation | None:
        """The cached evaluation, or None."""
        return self._cached(self.request(genome, train_seed))

    def missing(self, requests: list[tuple[Any, int]]) -> list[Request]:
        """Which of ``(genome, train_seed)`` pairs the cache lacks."""
        wanted = [self.request(g, s) for g, s in requests]
        rows = self.table.get_many((r.genome_key, r.train_seed) for r in wanted)
        return [r for r, row in zip(wanted, rows) if row is None]

    def prepare(self, genome: Any, train_seed: int) -> Ready | TrainJob:
        """A cache hit, a newly found invalid architecture or a surrogate's prediction ready now, or the
        training job a miss needs."""
        r = self.request(genome, train_seed)
        hit = self._cached(r)
        if hit is not None:
            return Ready(hit, "cache")
        if self.on_miss == "error":
            raise MissingEvaluations([r])
        if self.on_miss == "surrogate":
            assert self.surrogate is not None
            served = self.surrogate.serve(genome, r)
            return Ready(served, "invalid" if served.status == "invalid" else "surrogate")
        if self.recipe.imported is not None:
            raise ReproError(f"imported recipe {self.recipe.profile}: rows come from the table {self.recipe.imported} "
                             f"(`repro tables import {self.recipe.imported}`), which lacks {r.genome}; nothing to train")  # fmt: skip
        try:
            self.space.build(genome, self.input_shape, self.num_classes, **self.recipe.model_options)
        except InvalidArchitecture as exc:
            evaluation = Evaluation(status="invalid", reason=exc.reason, device="none (not trained)", **_common(r))
            self._put(evaluation)
            return Ready(evaluation, "invalid")
        return TrainJob(r, self.space.name, self.space.config(), self.to_json(genome), self.recipe.to_json(),
                        self.device, self.data_root)  # fmt: skip

    def record(self, result: JobResult) -> Ready:
        """Store a finished job's result (never an out-of-memory one) and return it as an evaluation."""
        r = result.request
        if result.outcome is None:
            evaluation = Evaluation(status="failed", reason=result.reason, device=result.device, **_common(r))
            if result.kind == "failed":  # deterministic given (architecture, recipe, seed): a result like any other
                self._put(evaluation)
            return Ready(evaluation, result.kind)
        o = result.outcome
        evaluation = Evaluation(status="ok", params=o.params, macs=o.macs, epochs=self.recipe.epochs,
                                train_seconds=o.train_seconds, device=result.device, **o.metrics, **_common(r))  # fmt: skip
        self._put(evaluation, o.curve)
        return Ready(evaluation, "train")

    def evaluate(self, genome: Any, train_seed: int) -> tuple[Evaluation, str]:
        """The evaluation and how it was served, training in this process on a miss.

        ``"cache"``: a stored row; ``"train"``: trained now; ``"invalid"``: found unbuildable now;
        ``"surrogate"``: predicted (status ``predicted``, never stored); ``"failed"``: training broke down now (stored, status ``failed``); ``"oom"``: the device ran
        out of memory (status ``failed``, not stored, so a bigger device can train it later).
        """
        item = self.prepare(genome, train_seed)
        ready = item if isinstance(item, Ready) else self.record(run_job(item, self.on_epoch))
        return ready.evaluation, ready.served_by


def _common(r: Request) -> dict[str, Any]:
    return dict(
        space=r.space, genome_key=r.genome_key, recipe_key=r.recipe_key, train_seed=r.train_seed, genome=r.genome,
        code_version=provenance.code_version(), libraries=provenance.library_versions(), created_at=provenance.now(),
    )  # fmt: skip


@dataclass(frozen=True)
class Ready:
    """An evaluation available now, and how it was served."""

    evaluation: Evaluation
    served_by: str


@dataclass(frozen=True)
class TrainJob:
    """Everything a worker needs to train one candidate, as plain data (it may run in another process)."""

    request: Request
    space: str
    space_config: dict[str, Any]
    genome_json: str
    recipe_json: str
    device: str
    data_root: str | None


@dataclass(frozen=True)
class JobResult:
    """What a worker sends back: ``kind`` is ``train``, ``failed`` (training broke down) or ``oom``."""

    request: Request
    kind: str
    device: str
    outcome: Any = None
    reason: str | None = None


@functools.lru_cache(maxsize=4)
def _data(dataset: str, root: str | None, val_size: int, split_seed: int, train_size: int | None,
          test_size: int | None) -> DataBundle:  # fmt: skip
    """The recipe's data, loaded once per worker process (a pure replay never reads it)."""
    return load_dataset(dataset, root, val_size=val_size, split_seed=split_seed, train_size=train_size,
                        test_size=test_size)  # fmt: skip


def run_job(job: TrainJob, on_epoch: Callable[[int], None] | None = None) -> JobResult:
    """Train one candidate; runs in any process, since everything it needs comes with the job."""
    from repro import trainer
    from repro.spaces import get_space

    space = get_space(job.space, **job.space_config)
    recipe = Recipe.from_json(job.recipe_json)
    genome = space.from_json(job.genome_json)
    spec = get_spec(recipe.dataset)
    data = _data(recipe.dataset, job.data_root, recipe.val_size, recipe.split_seed, recipe.train_size,
                 recipe.test_size)  # fmt: skip
    device = trainer.pick_device(job.device)
    name = provenance.device_name(device)

    def make_model() -> Any:
        return space.build(genome, spec.input_shape, spec.num_classes, **recipe.model_options)

    try:
        outcome = trainer.fit(make_model, data, recipe, job.request.train_seed, device, on_epoch=on_epoch)
    except trainer.TrainingFailed as exc:
        return JobResult(job.request, "failed", name, reason=exc.reason)
    except torch.cuda.OutOfMemoryError as exc:
        return JobResult(job.request, "oom", name, reason=f"CUDA out of memory on {name}: {str(exc).splitlines()[0]}")
    return JobResult(job.request, "train", f"{name}; {outcome.engine}", outcome=outcome)
