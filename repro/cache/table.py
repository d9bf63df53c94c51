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

import itertools
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
        self._form_rows: dict[str, int] | None = None
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

    def form(self, space: SearchSpace[Any], genome_json: str) -> CanonicalForm | None:
        """The canonical form of the genome whose JSON text is ``genome_json``, as the importer computed it for
        that source architecture; None when the table is not imported or lacks it.

        A search takes it from here instead of canonicalising (the costliest step of a lookup). The text -> row
        index is built on the first call, in one pass over the source column; the forms are made when asked.
        """
        if self._slice is None:
            return None
        c = self._slice.columns
        if self._form_rows is None:
            from repro.tables.registry import TABLES

            genome_json_of = TABLES.get(self._slice.table).json_of(space)
            # Every row of an architecture holds its form, so any one of its rows will do.
            self._form_rows = dict(zip(map(genome_json_of, c["source_arch"]), itertools.count()))
        row = self._form_rows.get(genome_json)
        return None if row is None else CanonicalForm(c["genome"][row], c["genome_key"][row])

    def add(self, evaluation: Evaluation) -> None:
        """Record a row just written to the store, so the table stays a complete view of it."""
        self.rows[(evaluation.genome_key, evaluation.train_seed)] = evaluation

    def __len__(self) -> int:
        return len(self._slice) if self._slice is not None else len(self.rows)
