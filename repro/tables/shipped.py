"""Imported tables as the store reads them: one zstd Parquet file and one JSON manifest per table.

``<cache>/imported/<table>.parquet`` holds the rows (every :class:`~repro.cache.store.Evaluation`
field, provenance included) sorted by recipe, genome key and row number;
``<cache>/imported/<table>.manifest.json`` says where they come from (each source file's name,
sha256, licence, citation, origin and commit), which recipes they serve, the Parquet file's own
sha256, the importer's version and when it ran. The manifest is small text, so a diff shows what
changed; the rows are a compressed columnar file that git stores once per import instead of a
rewritten database. :mod:`repro.tables.importer` writes both; :class:`repro.cache.store.Store`
reads them through its normal read path.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repro.errors import ReproError
from repro.records import Evaluation

IMPORTED_DIR = "imported"
MANIFEST_SUFFIX = ".manifest.json"


@dataclass(frozen=True)
class Manifest:
    """What one imported table holds and where it comes from (the JSON file, parsed)."""

    table: str
    space: str
    parquet: str
    sha256: str
    rows: int
    sources: list[dict[str, Any]]
    recipes: dict[str, dict[str, Any]]
    """Recipe key -> ``{"profile", "recipe" (JSON text), "rows", "architectures"}``."""
    importer: str
    imported_at: str

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """Parse a manifest file; a damaged one is a ReproError naming the file and the fix."""
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise ReproError(
                f"{path}: not a readable imported-table manifest ({exc}); restore it from git "
                "or rebuild it with `repro tables import`"
            ) from None

    def write(self, path: Path) -> None:
        """Write as indented JSON with sorted keys (stable diffs)."""
        path.write_text(json.dumps(self.__dict__, indent=1, sort_keys=True) + "\n")


def sha256_of(path: Path) -> str:
    """The file's sha256 as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ImportedTables:
    """The imported tables of one cache folder (``<root>/imported``); manifests are read when opened."""

    def __init__(self, root: Path) -> None:
        self.folder = root / IMPORTED_DIR
        paths = sorted(self.folder.glob(f"*{MANIFEST_SUFFIX}")) if self.folder.is_dir() else []
        self.manifests = [Manifest.read(p) for p in paths]
        self._by_recipe = {key: m for m in self.manifests for key in m.recipes}

    def manifest_of(self, recipe_key: str) -> Manifest | None:
        """The table serving ``recipe_key``, or None (a recipe trained here, or unknown)."""
        return self._by_recipe.get(recipe_key)

    def recipe(self, recipe_key: str) -> tuple[str, str] | None:
        """(profile, recipe JSON) of an imported recipe, or None."""
        m = self._by_recipe.get(recipe_key)
        return None if m is None else (m.recipes[recipe_key]["profile"], m.recipes[recipe_key]["recipe"])

    def select(self, db: Any, columns: list[str], space: str, recipe_key: str | None) -> list[tuple[Any, ...]]:
        """Rows (``columns`` in order) of ``space``, of one recipe or of all, read with DuckDB connection ``db``."""
        manifests = [m for m in self.manifests if m.space == space and (recipe_key is None or recipe_key in m.recipes)]
        rows: list[tuple[Any, ...]] = []
        for m in manifests:
            where, params = (
                ("", [self.path(m)]) if recipe_key is None else (" WHERE recipe_key = ?", [self.path(m), recipe_key])
            )
            # The importer writes the file sorted by recipe, genome key and row number.
            rows += db.execute(f"SELECT {', '.join(columns)} FROM read_parquet(?){where}", params).fetchall()
        return rows

    def path(self, manifest: Manifest) -> str:
        """The Parquet file of ``manifest``; a missing one is a ReproError with the fix."""
        path = self.folder / manifest.parquet
        if not path.exists():
            raise ReproError(
                f"{path} is missing but {manifest.table}{MANIFEST_SUFFIX} lists it; restore it from git "
                f"or rebuild it with `repro tables import {manifest.table}`"
            )
        return str(path)

    def slice(self, db: Any, space: str, recipe_key: str) -> ImportedSlice:
        """One imported recipe's rows of ``space``, read lazily (see :class:`ImportedSlice`)."""
        manifest = self._by_recipe[recipe_key]
        return ImportedSlice(db, self.path(manifest), manifest.table, space, recipe_key)

    def with_rows(self, trained: str) -> str:
        """SQL for the rows of relation ``trained`` (trained here) and every imported row, flagged ``imported``."""
        files = ", ".join("'" + self.path(m).replace("'", "''") + "'" for m in self.manifests)
        union = f"{trained} UNION ALL BY NAME (SELECT * FROM read_parquet([{files}]))" if files else trained
        return f"(SELECT *, source IS NOT NULL AS imported FROM ({union}))"

    def check(self) -> list[str]:
        """Manifests whose Parquet file is missing or differs from the sha256 they record."""
        problems = []
        for m in self.manifests:
            path = self.folder / m.parquet
            if not path.exists():
                problems.append(f"imported table {m.table}: {path} is missing")
            elif sha256_of(path) != m.sha256:
                problems.append(
                    f"imported table {m.table}: {path} differs from the sha256 its manifest records "
                    f"(restore it from git or rerun `repro tables import {m.table}`)"
                )
        return problems


class ImportedSlice:
    """One recipe's rows of an imported table, read column by column when first needed.

    A search opens a table to look rows up; most of its columns (the provenance texts, the
    canonical text) matter only for the rows it visits. So opening reads the two key columns and
    builds the (genome key, row number) index; the other columns are read in one query on the first
    row asked for, and each :class:`Evaluation` is made when first served.
    """

    def __init__(self, db: Any, path: str, table: str, space: str, recipe_key: str) -> None:
        self.table = table
        self._db, self._query = (
            db,
            (
                "FROM read_parquet(?) WHERE space = ? AND recipe_key = ? ORDER BY genome_key, train_seed",
                [path, space, recipe_key],
            ),
        )
        keys = db.execute(f"SELECT genome_key, train_seed {self._query[0]}", self._query[1]).fetchnumpy()
        genome_keys, seeds = keys["genome_key"].tolist(), keys["train_seed"].tolist()
        self.index: dict[tuple[str, int], int] = {k: i for i, k in enumerate(zip(genome_keys, seeds))}
        self.counts = Counter(genome_keys)
        """Genome key -> its number of rows."""
        self._columns: dict[str, list[Any]] | None = None
        self._rows: dict[int, Evaluation] = {}

    def __len__(self) -> int:
        return len(self.index)

    @property
    def columns(self) -> dict[str, list[Any]]:
        """Every field of the rows, one list per field in index order (read on first use)."""
        if self._columns is None:
            fields = list(Evaluation.__dataclass_fields__)
            data = self._db.execute(f"SELECT {', '.join(fields)} {self._query[0]}", self._query[1]).fetchnumpy()
            self._columns = {f: data[f].tolist() for f in fields}
        return self._columns

    def row(self, i: int) -> Evaluation:
        """Row number ``i`` of the index."""
        row = self._rows.get(i)
        if row is None:
            row = self._rows[i] = Evaluation(**{f: values[i] for f, values in self.columns.items()})
        return row

    def get(self, genome_key: str, train_seed: int) -> Evaluation | None:
        """Row ``train_seed`` mod the architecture's row count (the rows in turn), or None for an unknown key."""
        count = self.counts.get(genome_key)
        return None if count is None else self.row(self.index[(genome_key, train_seed % count)])

    def rows_of(self, genome_key: str) -> list[Evaluation]:
        """Every row of one architecture, in row-number order."""
        return [self.row(self.index[(genome_key, s)]) for s in range(self.counts.get(genome_key, 0))]
