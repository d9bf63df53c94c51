"""One way to get an architecture's numbers: the cache first, then (if the user allows) training.

Every path returns the same :class:`~repro.cache.store.Evaluation` record. Invalid
architectures are recognised at build time, stored with their reason and never trained.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from repro import provenance
from repro.cache.store import Evaluation, Store
from repro.data import DataBundle, load_dataset
from repro.data.datasets import get_spec
from repro.errors import ReproError
from repro.recipe import Recipe
from repro.spaces.base import InvalidArchitecture, SearchSpace

ON_MISS = ("train", "error")


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
    ) -> None:
        if on_miss not in ON_MISS:
            raise ReproError(f"--on-miss must be one of {', '.join(ON_MISS)}, got {on_miss!r}")
        self.space = space
        self.recipe = recipe
        self.store = store
        self.on_miss = on_miss
        self.device = device
        self.data_root = data_root
        self.on_epoch = on_epoch
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

    def request(self, genome: Any, train_seed: int) -> Request:
        """The cache coordinates of evaluating ``genome`` with ``train_seed``."""
        form = self.space.canonical(genome)
        return Request(self.space.name, form.key, self.recipe.key, train_seed, form.text)

    def lookup(self, genome: Any, train_seed: int) -> Evaluation | None:
        """The cached evaluation, or None."""
        r = self.request(genome, train_seed)
        return self.store.get(r.space, r.genome_key, r.recipe_key, r.train_seed)

    def missing(self, requests: list[tuple[Any, int]]) -> list[Request]:
        """Which of ``(genome, train_seed)`` pairs the cache lacks."""
        wanted = [self.request(g, s) for g, s in requests]
        return [r for r in wanted if self.store.get(r.space, r.genome_key, r.recipe_key, r.train_seed) is None]

    def evaluate(self, genome: Any, train_seed: int) -> tuple[Evaluation, str]:
        """The evaluation and how it was served.

        ``"cache"``: a stored row; ``"train"``: trained now; ``"invalid"``: found unbuildable now;
        ``"failed"``: training broke down now (stored, status ``failed``); ``"oom"``: the device ran
        out of memory (status ``failed``, not stored, so a bigger device can train it later).
        """
        r = self.request(genome, train_seed)
        hit = self.store.get(r.space, r.genome_key, r.recipe_key, r.train_seed)
        if hit is not None:
            return hit, "cache"
        if self.on_miss == "error":
            raise MissingEvaluations([r])
        return self._produce(genome, r)

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
            self.store.put(evaluation, self.recipe.to_json(), self.recipe.profile)
            return evaluation, "invalid"
        device = trainer.pick_device(self.device)
        try:
            outcome = trainer.fit(make_model, self.data, self.recipe, r.train_seed, device, on_epoch=self.on_epoch)
        except trainer.TrainingFailed as exc:
            # Deterministic given (architecture, recipe, seed): a result like any other.
            evaluation = Evaluation(status="failed", reason=exc.reason, device=provenance.device_name(device), **common)
            self.store.put(evaluation, self.recipe.to_json(), self.recipe.profile)
            return evaluation, "failed"
        except torch.cuda.OutOfMemoryError as exc:
            # A property of the machine, not of the architecture: reported to the search, never cached.
            reason = f"CUDA out of memory on {provenance.device_name(device)}: {str(exc).splitlines()[0]}"
            return Evaluation(status="failed", reason=reason, device=provenance.device_name(device), **common), "oom"
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
        self.store.put(evaluation, self.recipe.to_json(), self.recipe.profile, outcome.curve)
        return evaluation, "train"
