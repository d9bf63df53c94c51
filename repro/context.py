"""What every run needs besides its own settings: the store, the miss policy, the device, the data, progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from repro.cache.store import Store
from repro.evaluator import Evaluator
from repro.recipe import Recipe
from repro.spaces.base import SearchSpace


@dataclass(frozen=True)
class RunContext:
    """The machine-side settings of a run, passed as one object to every paper's ``run`` and its parts.

    ``on_miss`` is the policy for what the cache lacks (``error``, ``train`` or ``surrogate``);
    ``on_step`` is called once per evaluation (a progress bar's update).
    """

    store: Store
    on_miss: str = "error"
    device: str = "auto"
    data_root: str | None = None
    on_step: Callable[[], None] | None = None

    def evaluator(self, space: SearchSpace[Any], recipe: Recipe) -> Evaluator:
        """An evaluator of ``space`` under ``recipe`` with this context's store, miss policy, device and data."""
        return Evaluator(space, recipe, self.store, on_miss=self.on_miss, device=self.device, data_root=self.data_root)

    def step(self) -> None:
        """Report one finished evaluation."""
        if self.on_step is not None:
            self.on_step()
