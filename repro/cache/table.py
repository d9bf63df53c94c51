"""An in-memory read model of one (space, recipe) slice of the cache.

A comparison asks for hundreds of thousands of evaluations; one DuckDB query per lookup would
dominate its run time, so the slice is read once and served from a dict.

An imported table is a fixed set of measurements: nothing can be trained to extend it, so the
k-th evaluation of an architecture that has n rows gets row k mod n (the rows in turn, as a
tabular benchmark serves repeated queries). The row says which one it is (``train_seed``, and the
source's own string and seed), and the search stays a function of its seed.
"""

from __future__ import annotations

from collections import Counter
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
        self.imported = store.imported.manifest_of(recipe_key) is not None
        self._counts: Counter[str] = Counter(key for key, _ in self.rows) if self.imported else Counter()

    def get(self, genome_key: str, train_seed: int) -> Evaluation | None:
        """The row for this training seed (of an imported table: row ``train_seed`` mod its row count), or None."""
        row = self.rows.get((genome_key, train_seed))
        if row is None and self.imported and self._counts[genome_key]:
            return self.rows[(genome_key, train_seed % self._counts[genome_key])]
        return row

    def get_many(self, keys: Iterable[tuple[str, int]]) -> list[Evaluation | None]:
        """The rows for many (genome key, training seed) pairs, None where absent, in the order given."""
        return [self.get(k, s) for k, s in keys]

    def add(self, evaluation: Evaluation) -> None:
        """Record a row just written to the store, so the table stays a complete view of it."""
        self.rows[(evaluation.genome_key, evaluation.train_seed)] = evaluation

    def __len__(self) -> int:
        return len(self.rows)
