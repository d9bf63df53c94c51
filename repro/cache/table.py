"""An in-memory read model of one (space, recipe) slice of the cache.

A comparison asks for hundreds of thousands of evaluations; one DuckDB query per lookup would
dominate its run time, so the slice is read once and served from a dict.

An imported table is a fixed set of measurements: nothing can be trained to extend it, so the
k-th evaluation of an architecture that has n rows gets row k mod n (the rows in turn, as a
tabular benchmark serves repeated queries). The row says which one it is (``train_seed``, and the
source's own string and seed), and the search stays a function of its seed. Its rows are read
lazily (:class:`repro.tables.shipped.ImportedSlice`): opening one reads only the key index.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from repro.cache.store import Store
from repro.records import Evaluation
from repro.spaces.base import CanonicalForm, SearchSpace


class CachedTable:
    """All rows of ``space`` under ``recipe_key``, keyed by (genome key, training seed)."""

    def __init__(self, store: Store, space: str, recipe_key: str) -> None:
        self.space = space
        self.recipe_key = recipe_key
        self.imported = store.imported.manifest_of(recipe_key) is not None
        self._slice = store.imported.slice(store.db, space, recipe_key) if self.imported else None
        self._rows: dict[tuple[str, int], Evaluation] | None = None
        if self._slice is None:
            self._rows = {(e.genome_key, e.train_seed): e for e in store.evaluations(space, recipe_key)}

    @property
    def rows(self) -> dict[tuple[str, int], Evaluation]:
        """Every row by (genome key, training seed) (of an imported table: all made now, on first use)."""
        if self._rows is None:
            assert self._slice is not None
            self._rows = {key: self._slice.row(i) for key, i in self._slice.index.items()}
        return self._rows

    def get(self, genome_key: str, train_seed: int) -> Evaluation | None:
        """The row for this training seed (of an imported table: row ``train_seed`` mod its row count), or None."""
        if self._slice is not None:
            return self._slice.get(genome_key, train_seed)
        assert self._rows is not None
        return self._rows.get((genome_key, train_seed))

    def get_many(self, keys: Iterable[tuple[str, int]]) -> list[Evaluation | None]:
        """The rows for many (genome key, training seed) pairs, None where absent, in the order given."""
        return [self.get(k, s) for k, s in keys]

    def rows_of(self, genome_key: str) -> list[Evaluation]:
        """Every row of one architecture, in training-seed order."""
        if self._slice is not None:
            return self._slice.rows_of(genome_key)
        return sorted((e for (key, _), e in self.rows.items() if key == genome_key), key=lambda e: e.train_seed)

    def forms(self, space: SearchSpace[Any]) -> dict[str, CanonicalForm]:
        """Genome JSON text -> canonical form, for every source architecture of an imported table ({} otherwise).

        The importer canonicalised each source architecture; a search that meets one of them can
        take its key from here instead of canonicalising it again (the costliest step of a lookup).
        """
        if self._slice is None:
            return {}
        from repro.tables.registry import TABLES

        genome_json = TABLES.get(self._slice.table).json_of(space)
        c = self._slice.columns
        forms: dict[str, CanonicalForm] = {}
        for arch, text, key in zip(c["source_arch"], c["genome"], c["genome_key"]):
            if arch not in forms:  # one form per architecture, not one per row (seed)
                forms[arch] = CanonicalForm(text, key)
        return {genome_json(arch): form for arch, form in forms.items()}

    def add(self, evaluation: Evaluation) -> None:
        """Record a row just written to the store, so the table stays a complete view of it."""
        self.rows[(evaluation.genome_key, evaluation.train_seed)] = evaluation

    def __len__(self) -> int:
        return len(self._slice) if self._slice is not None else len(self.rows)
