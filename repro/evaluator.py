"""One way to get an architecture's numbers: sources asked in order, the first that answers serves.

An :class:`Evaluator` serves one space under one recipe. Its sources are composed once, from the
miss policy, instead of branching on it at every request:

1. :class:`Cached`: the cache's rows of this space and recipe (measured here, or imported from a
   public table), read once into memory;
2. on a miss, exactly one of :class:`Refuse` (``on_miss="error"``: name what is missing),
   :class:`~repro.surrogate.Surrogate` (``"surrogate"``: a flagged prediction, never stored) or
   :class:`Training` (``"train"``: a training job; an architecture the space's exact check rejects
   is stored as invalid with its reason and never trained).

Every path returns the same :class:`~repro.records.Evaluation` record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from repro import provenance
from repro.cache.store import Store
from repro.cache.table import CachedTable
from repro.data.datasets import fingerprint, get_spec
from repro.errors import ReproError
from repro.recipe import Recipe
from repro.records import Evaluation, Ready, Request
from repro.spaces.base import CanonicalForm, InvalidArchitecture, SearchSpace
from repro.worker import JobResult, TrainJob, run_job

if TYPE_CHECKING:
    from repro.surrogate import Surrogate

ON_MISS = ("train", "error", "surrogate")


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


class Source(Protocol):
    """Something that may answer a request: a result now, a training job, or None to pass it on."""

    def serve(self, genome: Any, request: Request) -> Ready | TrainJob | None:
        """Answer ``request`` (for ``genome``), or return None."""


class Cached:
    """The cache's rows of one space and recipe."""

    def __init__(self, table: CachedTable) -> None:
        self.table = table
        # A replayed search serves the same rows over and over; one record per (key, seed) served, not one per step.
        self._served: dict[tuple[str, int], Ready] = {}

    def serve(self, genome: Any, request: Request) -> Ready | None:
        """The stored row for exactly this training seed, or None."""
        return self.hit(request.genome_key, request.train_seed)

    def hit(self, genome_key: str, train_seed: int) -> Ready | None:
        """The stored row of ``genome_key`` for ``train_seed``, or None."""
        ready = self._served.get((genome_key, train_seed))
        if ready is None:
            row = self.table.get(genome_key, train_seed)
            if row is None:
                return None
            ready = self._served[(genome_key, train_seed)] = Ready(row, "cache")
        return ready


class Refuse:
    """The miss policy ``error``: a miss names what would have to be trained."""

    def serve(self, genome: Any, request: Request) -> Ready:
        """Never answers: raises :class:`MissingEvaluations`."""
        raise MissingEvaluations([request])


class Training:
    """The miss policy ``train``: store what the space rejects as invalid, hand the rest to a worker."""

    def __init__(
        self,
        space: SearchSpace[Any],
        recipe: Recipe,
        store: Store,
        table: CachedTable,
        device: str,
        data_root: str | None,
    ) -> None:
        self.space, self.recipe, self.store, self.table = space, recipe, store, table
        self.device, self.data_root = device, data_root
        spec = get_spec(recipe.dataset)
        self.input_shape, self.num_classes = spec.input_shape, spec.num_classes
        self._data_checked = False

    def serve(self, genome: Any, request: Request) -> Ready | TrainJob:
        """An invalid architecture (stored now), or the job that trains ``genome``."""
        if self.recipe.imported is not None:
            raise ReproError(
                f"imported recipe {self.recipe.profile}: rows come from the table {self.recipe.imported} "
                f"(`repro tables import {self.recipe.imported}`), which lacks {request.genome}; "
                "nothing to train"
            )
        try:
            self.space.check(genome, self.input_shape, self.num_classes, **self.recipe.model_options)
        except InvalidArchitecture as exc:
            evaluation = Evaluation(
                status="invalid", reason=exc.reason, device="none (not trained)", **_common(request)
            )
            self._put(evaluation)
            return Ready(evaluation, "invalid")
        r = self.recipe
        if not self._data_checked and self.store.data_fingerprint(r.key) is not None:
            # Before the first job: refuse other data now, not after training on it (nothing to compare with while
            # the recipe's rows record no fingerprint; the worker's result records one).
            self.store.require_data(
                r.key,
                fingerprint(
                    r.dataset,
                    self.data_root,
                    val_size=r.val_size,
                    split_seed=r.split_seed,
                    train_size=r.train_size,
                    test_size=r.test_size,
                ),
            )
            self._data_checked = True
        return TrainJob(
            request,
            self.space.name,
            self.space.config(),
            self.space.to_json(genome),
            self.recipe.to_json(),
            self.device,
            self.data_root,
        )

    def record(self, result: JobResult) -> Ready:
        """Store a finished job's result (never an out-of-memory one) and return it as an evaluation."""
        r = result.request
        if result.outcome is None:
            evaluation = Evaluation(status="failed", reason=result.reason, device=result.device, **_common(r))
            if result.kind == "failed":  # deterministic given (architecture, recipe, seed): a result like any other
                self._put(evaluation, data_fingerprint=result.data_fingerprint)
            return Ready(evaluation, result.kind)
        o = result.outcome
        evaluation = Evaluation(
            status="ok",
            params=o.params,
            macs=o.macs,
            epochs=self.recipe.epochs,
            train_seconds=o.train_seconds,
            device=result.device,
            **o.metrics,
            **_common(r),
        )
        self._put(evaluation, o.curve, result.data_fingerprint)
        return Ready(evaluation, "train")

    def _put(self, evaluation: Evaluation, curve: Any = None, data_fingerprint: str | None = None) -> None:
        self.store.put(evaluation, self.recipe.to_json(), self.recipe.profile, curve, data_fingerprint)
        self.table.add(evaluation)


class Evaluator:
    """Serve evaluations of one space under one recipe from ``store``, then by the miss policy ``on_miss``."""

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
        """``table`` is an in-memory view of ``store``'s rows for this space and recipe (read here when not
        given: one query instead of one per lookup); ``surrogate`` serves misses when ``on_miss`` is
        ``"surrogate"``."""
        if on_miss not in ON_MISS:
            raise ReproError(f"--on-miss must be one of {', '.join(ON_MISS)}, got {on_miss!r}")
        if on_miss == "surrogate" and surrogate is None:
            raise ReproError("--on-miss surrogate needs a surrogate fit on the cache")
        self.space, self.recipe, self.store = space, recipe, store
        self.on_epoch = on_epoch
        self.table = table if table is not None else CachedTable(store, space.name, recipe.key)
        self.training: Training | None = None
        miss: Source
        if on_miss == "error":
            miss = Refuse()
        elif on_miss == "surrogate":
            assert surrogate is not None
            miss = surrogate
        else:
            miss = self.training = Training(space, recipe, store, self.table, device, data_root)
        self.cached = Cached(self.table)
        self.sources: tuple[Source, ...] = (self.cached, miss)
        # Canonicalising is the costliest step of a cached lookup; searches revisit genomes often, and
        # an imported table knows the forms of all its architectures.
        self._forms: dict[str, CanonicalForm] = {}

    def identify(self, genome: Any) -> tuple[str, CanonicalForm]:
        """The genome's JSON text and the space's canonical form of it (memoised by the text)."""
        text = self.space.to_json(genome)
        form = self._forms.get(text)
        if form is None:
            form = self._forms[text] = self.table.form(self.space, text) or self.space.canonical(genome)
        return text, form

    def request(self, genome: Any, train_seed: int, form: CanonicalForm | None = None) -> Request:
        """The cache coordinates of evaluating ``genome`` (whose canonical ``form`` may be known) with ``train_seed``."""
        form = form or self.identify(genome)[1]
        return Request(self.space.name, form.key, self.recipe.key, train_seed, form.text)

    def lookup(self, genome: Any, train_seed: int) -> Evaluation | None:
        """The cached evaluation (from the first source, the cache), or None."""
        answer = self.sources[0].serve(genome, self.request(genome, train_seed))
        return answer.evaluation if isinstance(answer, Ready) else None

    def serve(self, genome: Any, request: Request) -> Ready | TrainJob:
        """The first answer of the sources: a result now, or the training job a miss needs."""
        for source in self.sources:
            answer = source.serve(genome, request)
            if answer is not None:
                return answer
        raise AssertionError("the last source always answers")

    def answer(self, genome: Any, form: CanonicalForm, train_seed: int) -> Ready | TrainJob:
        """``serve(genome, request(genome, train_seed, form))``, without making the request when the cache answers
        (a replayed search's every step)."""
        ready = self.cached.hit(form.key, train_seed)
        return ready if ready is not None else self.serve(genome, self.request(genome, train_seed, form))

    def record(self, result: JobResult) -> Ready:
        """Store a finished training job's result and return it as an evaluation."""
        assert self.training is not None, "only the train policy hands out jobs"
        return self.training.record(result)

    def evaluate(self, genome: Any, train_seed: int) -> tuple[Evaluation, str]:
        """The evaluation and how it was served, training in this process on a miss.

        ``"cache"``: a stored row; ``"train"``: trained now; ``"invalid"``: found unbuildable now;
        ``"surrogate"``: predicted (status ``predicted``, never stored); ``"failed"``: training broke
        down now (stored, status ``failed``); ``"oom"``: the device ran out of memory (status
        ``failed``, not stored, so a bigger device can train it later).
        """
        item = self.serve(genome, self.request(genome, train_seed))
        ready = item if isinstance(item, Ready) else self.record(run_job(item, self.on_epoch))
        return ready.evaluation, ready.served_by


def _common(r: Request) -> dict[str, Any]:
    return dict(
        space=r.space,
        genome_key=r.genome_key,
        recipe_key=r.recipe_key,
        train_seed=r.train_seed,
        genome=r.genome,
        code_version=provenance.code_version(),
        libraries=provenance.library_versions(),
        created_at=provenance.now(),
    )
