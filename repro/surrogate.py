"""A surrogate for evaluations the cache lacks: a regressor fit on the cache's own rows, flagged wherever it is used.

Fit on every cached row of one space and recipe: the objective of an architecture is the mean
over its cached training seeds, its features are the space's :meth:`~repro.spaces.base.SearchSpace.features`.
Invalid architectures are never predicted: the space's exact shape check decides validity, and
only valid ones get a regressed value. The served record has status ``predicted``, names the
surrogate's held-out quality in its ``reason`` and is refused by :meth:`repro.cache.store.Store.put`.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from repro.cache.table import CachedTable
from repro.errors import ReproError
from repro.records import Evaluation, Ready, Request
from repro.spaces.base import InvalidArchitecture, SearchSpace

PREDICTED = "predicted"
"""The status of a surrogate-served evaluation (measured rows are ``ok`` or ``invalid``)."""

MIN_KEYS = 10
"""Fewer valid cached architectures than this cannot train and test a regressor."""


@dataclass(frozen=True)
class Quality:
    """How well the surrogate ranks and predicts architectures it was not fit on (a seeded 80/20 key split)."""

    model: str
    metric: str
    kendall_tau: float
    mae: float
    train_keys: int
    test_keys: int

    def summary(self) -> str:
        """One line for reports: model, held-out Kendall tau and MAE."""
        return (
            f"{self.model} on {self.train_keys + self.test_keys} cached architectures; held-out "
            f"({self.test_keys} keys) Kendall tau {self.kendall_tau:.3f}, MAE {self.mae:.4f} {self.metric}"
        )


class Surrogate:
    """Predict ``metric`` for architectures of ``table``'s space and recipe that the cache lacks."""

    def __init__(
        self,
        space: SearchSpace[Any],
        table: CachedTable,
        metric: str,
        input_shape: tuple[int, int, int],
        num_classes: int,
        model_options: dict[str, Any],
        seed: int = 0,
        test_fraction: float = 0.2,
    ) -> None:
        from scipy.stats import kendalltau

        self.space, self.metric = space, metric
        self.build_args = (input_shape, num_classes, model_options)
        keys, x, y = self._dataset(table)
        order = np.random.default_rng(seed).permutation(len(keys))
        n_test = max(1, round(test_fraction * len(keys)))
        test, train = order[:n_test], order[n_test:]
        held_out = self.regressor(seed).fit(x[train], y[train]).predict(x[test])
        tau = kendalltau(y[test], held_out).statistic
        self.quality = Quality(
            model="gradient boosting (scikit-learn)",
            metric=metric,
            kendall_tau=float(tau),
            mae=float(np.mean(np.abs(held_out - y[test]))),
            train_keys=len(train),
            test_keys=len(test),
        )
        # The split only measures quality; the served model learns from every cached architecture.
        self.model = _Ensemble(self.regressor(seed).fit(x, y), x)
        self._verdicts: dict[str, float | str] = {}

    @staticmethod
    def regressor(seed: int) -> Any:
        """The unfitted regressor every surrogate uses (also for studies of its quality)."""
        from sklearn.ensemble import GradientBoostingRegressor

        return GradientBoostingRegressor(
            n_estimators=300, max_depth=3, learning_rate=0.05, subsample=0.8, random_state=seed
        )

    def _dataset(self, table: CachedTable) -> tuple[list[str], np.ndarray, np.ndarray]:
        values: dict[str, list[float]] = defaultdict(list)
        genomes: dict[str, str] = {}
        for e in table.rows.values():
            if e.status == "ok" and not math.isnan(e.value(self.metric)):
                values[e.genome_key].append(e.value(self.metric))
                genomes[e.genome_key] = e.genome
        keys = sorted(values)
        if len(keys) < MIN_KEYS:
            raise ReproError(
                f"the surrogate needs at least {MIN_KEYS} valid cached architectures of {table.space} under recipe "
                f"{table.recipe_key}, the cache has {len(keys)}; fill it with --on-miss train"
            )
        x = np.array([self.space.features(self.space.from_json(genomes[k])) for k in keys])
        y = np.array([statistics.fmean(values[k]) for k in keys])
        return keys, x, y

    def serve(self, genome: Any, request: Request) -> Ready:
        """An unmeasured evaluation: ``invalid`` (by the exact shape check) or ``predicted`` (by the regressor).

        A :class:`~repro.evaluator.Source`: the miss policy ``surrogate`` of an evaluator."""
        verdict = self._verdicts.get(request.genome_key)
        if verdict is None:
            verdict = self._verdict(genome)
            self._verdicts[request.genome_key] = verdict
        common = dict(
            space=request.space,
            genome_key=request.genome_key,
            recipe_key=request.recipe_key,
            train_seed=request.train_seed,
            genome=request.genome,
            device="none (not trained)",
        )
        if isinstance(verdict, str):
            return Ready(Evaluation(status="invalid", reason=verdict, **common), "invalid")
        predicted = Evaluation(
            status=PREDICTED, reason=f"surrogate: {self.quality.summary()}", **{self.metric: verdict}, **common
        )
        return Ready(predicted, "surrogate")

    def _verdict(self, genome: Any) -> float | str:
        """The invalidity reason, or the predicted value."""
        input_shape, num_classes, options = self.build_args
        try:
            self.space.check(genome, input_shape, num_classes, **options)
        except InvalidArchitecture as exc:
            return exc.reason
        return self.model.predict_one(self.space.features(genome))


class _Ensemble:
    """A fitted gradient-boosting regressor's trees as padded arrays, to predict one row in microseconds.

    scikit-learn validates its input on every ``predict`` call (hundreds of microseconds), which
    would dominate a comparison that predicts one architecture at a time. Here all trees step
    down one level per numpy operation. The constructor checks that it reproduces scikit-learn's
    predictions on ``reference`` rows, so a change in scikit-learn's tree layout fails loudly.
    """

    def __init__(self, model: Any, reference: np.ndarray) -> None:
        trees = [estimator[0].tree_ for estimator in model.estimators_]
        width = max(t.node_count for t in trees)
        self.rows = np.arange(len(trees))
        self.depth = max(t.max_depth for t in trees)
        self.feature = np.zeros((len(trees), width), dtype=np.intp)
        self.threshold = np.zeros((len(trees), width))
        self.left = np.tile(np.arange(width), (len(trees), 1))  # padding and leaves point at themselves
        self.right = self.left.copy()
        self.value = np.zeros((len(trees), width))
        for i, t in enumerate(trees):
            n, inner = t.node_count, t.children_left >= 0
            self.feature[i, :n][inner] = t.feature[inner]
            self.threshold[i, :n] = t.threshold
            self.left[i, :n][inner] = t.children_left[inner]
            self.right[i, :n][inner] = t.children_right[inner]
            self.value[i, :n] = t.value[:, 0, 0]
        self.scale = model.learning_rate
        self.bias = 0.0
        self.bias = float(model.predict(reference[:1])[0]) - self.predict_one(reference[0])
        expected = model.predict(reference)
        got = np.array([self.predict_one(row) for row in reference])
        if not np.allclose(got, expected, rtol=0, atol=1e-9):
            raise ReproError(
                "the surrogate's fast predictor disagrees with scikit-learn; this scikit-learn is unsupported"
            )

    def predict_one(self, x: np.ndarray) -> float:
        """The prediction for one feature vector."""
        # scikit-learn compares features as float32 with float64 thresholds; do the same.
        x = x.astype(np.float32)
        node = np.zeros(len(self.rows), dtype=np.intp)
        for _ in range(self.depth):
            node = np.where(
                x[self.feature[self.rows, node]] <= self.threshold[self.rows, node],
                self.left[self.rows, node],
                self.right[self.rows, node],
            )
        return self.bias + self.scale * float(self.value[self.rows, node].sum())
