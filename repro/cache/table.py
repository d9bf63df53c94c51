"""An in-memory read model of one (space, recipe) slice of the cache.

A comparison asks for hundreds of thousands of evaluations; one DuckDB query per lookup would
dominate its run time, so the slice is read once and served from a dict.
"""

from __future__ import annotations

from collections.abc import Iterable

from repro.cache.store import Store
from repro.records import Evaluation


class CachedTable:
    """All rows of ``space`` under ``recipe_key``, keyed by (genome key, training seed)."""

    def __init__(self, store: Store, space: str, recipe_key: str) -> None:
        self.space = space
        self.recipe_key = recipe_key
        self.rows: dict[tuple[str, int], Evaluation] = {
            (e.genome_key, e.train_seed): e for e in store.evaluations(space, recipe_key)
        }

    def get(self, genome_key: str, train_seed: int) -> Evaluation | None:
        """The row for exactly this training seed, or None."""
        return self.rows.get((genome_key, train_seed))

    def get_many(self, keys: Iterable[tuple[str, int]]) -> list[Evaluation | None]:
        """The rows for many (genome key, training seed) pairs, None where absent, in the order given."""
        return list(map(self.rows.get, keys))

    def add(self, evaluation: Evaluation) -> None:
        """Record a row just written to the store, so the table stays a complete view of it."""
        self.rows[(evaluation.genome_key, evaluation.train_seed)] = evaluation

    def __len__(self) -> int:
        return len(self.rows)
