"""REINFORCE over a cell's operations (Williams 1992), as NAS-Bench-201's reinforcement-learning baseline.

NB201's baseline (``exps/algos/reinforce.py`` in D-X-Y/AutoDL-Projects; settings from
``scripts-search/algos/REINFORCE.sh``: learning rate 0.001, EMA momentum 0.9): one independent
categorical distribution per edge, softmax of a logits table initialised at 1e-3 x N(0, 1); every
evaluated architecture updates the logits by one Adam step on ``-log p(actions) * (reward -
baseline)``, the baseline being a bias-corrected exponential moving average of the rewards
(updated before the advantage is taken, as there). The architecture a run ends with is the
policy's most likely cell (:meth:`recommend`), not the best one it sampled.

Differences, by design: rewards are fractions here (NB201's are percentages; Adam's step does
not depend on the gradient's scale, apart from its epsilon), and an invalid architecture (NaN)
leaves the policy unchanged (NB201's cells are all trainable).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from repro.errors import ReproError
from repro.search.strategies.base import Strategy
from repro.spaces.base import SearchSpace


class Reinforce(Strategy):
    """REINFORCE (NAS-Bench-201's RL baseline): a softmax policy per edge, Adam, a moving-average baseline."""

    def __init__(
        self, space: SearchSpace[Any], rng: np.random.Generator, learning_rate: float = 0.001, ema_momentum: float = 0.9
    ) -> None:
        super().__init__(space, rng)
        if not hasattr(space, "candidates") or not hasattr(space, "derive"):
            raise ReproError(
                f"reinforce samples one operation per edge of a cell: the space {space.name!r} has no "
                "per-edge candidates (use nb201)"
            )
        if learning_rate <= 0 or not 0 <= ema_momentum < 1:
            raise ReproError(
                f"reinforce needs learning_rate > 0 and 0 <= ema_momentum < 1, got {learning_rate}, {ema_momentum}"
            )
        self.learning_rate = learning_rate
        self.ema_momentum = ema_momentum
        self.shapes = {c: (len(space.candidates(c)), len(space.candidates(c)[0])) for c in space.cell_types}
        self.logits = {c: 1e-3 * rng.standard_normal(shape) for c, shape in self.shapes.items()}
        self._moments = {c: (np.zeros(shape), np.zeros(shape)) for c, shape in self.shapes.items()}
        self._steps = 0
        self._ema = (0.0, 0.0)  # numerator, denominator: the bias-corrected moving average
        self._pending: dict[str, dict[str, np.ndarray]] = {}

    def _probabilities(self, cell: str) -> np.ndarray:
        z = self.logits[cell] - self.logits[cell].max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def ask(self) -> Any:
        actions = {}
        for cell, (edges, _) in self.shapes.items():
            p = self._probabilities(cell)
            actions[cell] = np.array([self.rng.choice(p.shape[1], p=p[e]) for e in range(edges)])
        genome = self._genome(actions)
        self._pending[self.space.to_json(genome)] = actions
        return genome

    def _genome(self, actions: dict[str, np.ndarray]) -> Any:
        return self.space.derive({c: np.eye(self.shapes[c][1])[a] for c, a in actions.items()})

    def tell(self, genome: Any, value: float) -> None:
        actions = self._pending.pop(self.space.to_json(genome))
        if math.isnan(value):
            return
        m = self.ema_momentum
        self._ema = (m * self._ema[0] + (1 - m) * value, m * self._ema[1] + (1 - m))
        advantage = value - self._ema[0] / self._ema[1]
        self._steps += 1
        for cell, a in actions.items():
            # d(-log p(a) * advantage) / d logits = -(one_hot(a) - p) * advantage
            grad = -(np.eye(self.shapes[cell][1])[a] - self._probabilities(cell)) * advantage
            self.logits[cell] -= self._adam(cell, grad)

    def _adam(
        self, cell: str, grad: np.ndarray, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> np.ndarray:
        """One Adam step (PyTorch's defaults, as NB201's ``torch.optim.Adam``)."""
        first, second = self._moments[cell]
        first = beta1 * first + (1 - beta1) * grad
        second = beta2 * second + (1 - beta2) * grad**2
        self._moments[cell] = (first, second)
        corrected = first / (1 - beta1**self._steps)
        return self.learning_rate * corrected / (np.sqrt(second / (1 - beta2**self._steps)) + eps)

    def recommend(self) -> Any:
        """The policy's most likely architecture (NB201 reports it, not the best sampled one)."""
        return self.space.derive(self.logits)

    def config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "ema_momentum": self.ema_momentum}
