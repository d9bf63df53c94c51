"""One way to get an architecture's numbers: the cache first, then (if the user allows) training or a surrogate.

Every path returns the same :class:`~repro.cache.store.Evaluation` record. Invalid
architectures are recognised at build time, stored with their reason and never trained.
Surrogate predictions (``on_miss="surrogate"``) are served as ``"surrogate"`` with status
``predicted`` and never stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


class MissingEvaluations(ReproError):
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
        """``table``, a preloaded view of ``store``'s rows for this space and recipe, replaces per-lookup
        queries; ``surrogate`` serves misses when ``on_miss`` is ``"surrogate"``."""
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
        self.table = table
        self.surrogate = surrogate
        # Canonicalising is the costliest step of a cached lookup; searches revisit genomes often.
        self._forms: dict[str, CanonicalForm] = {}
        self._data: DataBundle | None = None
        spec = get_spec(recipe.dataset)
        self.input_shape = spec.input_shape
        self.num_classes = spec.num_classes

    @property
    def data(self) -> DataBundle:
        """The recipe's data, loaded on the first miss only: a pure replay never reads the dataset."""
        if self._data is None:
            r = self.recipe
            self._data = load_dataset(
                r.dataset, self.data_root, val_size=r.val_size, split_seed=r.split_seed,
                train_size=r.train_size, test_size=r.test_size,
            )  # fmt: skip
        return self._data

    def canonical(self, genome: Any) -> CanonicalForm:
        """The space's canonical form of ``genome``, memoised by the genome's JSON text."""
        text = self.space.to_json(genome)
        form = self._forms.get(text)
        if form is None:
            form = self._forms[text] = self.space.canonical(genome)
        return form

    def request(self, genome: Any, train_seed: int) -> Request:
        """The cache coordinates of evaluating ``genome`` with ``train_seed``."""
        form = self.canonical(genome)
        return Request(self.space.name, form.key, self.recipe.key, train_seed, form.text)

    def _cached(self, r: Request) -> Evaluation | None:
        if self.table is not None:
            return self.table.get(r.genome_key, r.train_seed)
        return self.store.get(r.space, r.genome_key, r.recipe_key, r.train_seed)

    def lookup(self, genome: Any, train_seed: int) -> Evaluation | None:
        """The cached evaluation, or None."""
        return self._cached(self.request(genome, train_seed))

    def missing(self, requests: list[tuple[Any, int]]) -> list[Request]:
        """Which of ``(genome, train_seed)`` pairs the cache lacks."""
        wanted = [self.request(g, s) for g, s in requests]
        return [r for r in wanted if self._cached(r) is None]

    def evaluate(self, genome: Any, train_seed: int) -> tuple[Evaluation, str]:
        """The evaluation and how it was served: ``"cache"``, ``"train"``, ``"invalid"`` (newly found by
        the build check) or ``"surrogate"`` (predicted, never stored)."""
        r = self.request(genome, train_seed)
        hit = self._cached(r)
        if hit is not None:
            return hit, "cache"
        if self.on_miss == "error":
            raise MissingEvaluations([r])
        if self.on_miss == "surrogate":
            assert self.surrogate is not None
            served = self.surrogate.serve(genome, r)
            return served, "invalid" if served.status == "invalid" else "surrogate"
        return self._produce(genome, r)

    def _put(self, evaluation: Evaluation, curve: Any = None) -> None:
        self.store.put(evaluation, self.recipe.to_json(), self.recipe.profile, curve)
        if self.table is not None:
            self.table.add(evaluation)

    def _produce(self, genome: Any, r: Request) -> tuple[Evaluation, str]:
        from repro import trainer

        options = self.recipe.model_options
        common = dict(
            space=r.space, genome_key=r.genome_key, recipe_key=r.recipe_key, train_seed=r.train_seed, genome=r.genome,
            code_version=provenance.code_version(), libraries=provenance.library_versions(), created_at=provenance.now(),
        )  # fmt: skip

        def make_model() -> Any:
            return self.space.build(genome, self.input_shape, self.num_classes, **options)

        try:
            make_model()
        except InvalidArchitecture as exc:
            evaluation = Evaluation(status="invalid", reason=exc.reason, device="none (not trained)", **common)
            self._put(evaluation)
            return evaluation, "invalid"
        device = trainer.pick_device(self.device)
        outcome = trainer.fit(make_model, self.data, self.recipe, r.train_seed, device, on_epoch=self.on_epoch)
        evaluation = Evaluation(
            status="ok",
            params=outcome.params,
            macs=outcome.macs,
            epochs=self.recipe.epochs,
            train_seconds=outcome.train_seconds,
            device=provenance.device_name(device),
            **outcome.metrics,
            **common,
        )
        self._put(evaluation, outcome.curve)
        return evaluation, "train"
