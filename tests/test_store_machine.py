"""The store under random put / merge / kill / check sequences: stored rows are always exactly the model's.

A kill is simulated two ways: an exception in the middle of a merge's transaction (the store must
take back everything, curves included), and a connection abandoned with a row inserted but not
committed (DuckDB must roll it back; only the curve written before it may stay, as an orphan that
``check`` names). A shard with one forged row must change nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from repro.cache.store import MergeRefused, Store
from tests.rows import RECIPE, curve_of, put_sound, sound_row

GENOMES = [f'{{"nodes":[{i}]}}' for i in range(3)]
rows = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.sampled_from([0.25, 0.5])), max_size=3)


class StoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp())
        self.home = Store(self.tmp / "home")
        self.model: dict[tuple[str, int], float] = {}
        self.orphans: set[tuple[str, int]] = set()
        self.shards = 0

    def teardown(self) -> None:
        self.home.close()
        shutil.rmtree(self.tmp)

    def _shard(self, content: list[tuple[int, int, float]]) -> Path:
        self.shards += 1
        root = self.tmp / f"shard{self.shards}"
        with Store(root) as shard:
            for g, seed, val in content:
                put_sound(shard, sound_row(seed, genome=GENOMES[g], val_acc=val))
        return root

    @rule(g=st.integers(0, 2), seed=st.integers(0, 1), val=st.sampled_from([0.25, 0.5]))
    def put(self, g: int, seed: int, val: float) -> None:
        put_sound(self.home, sound_row(seed, genome=GENOMES[g], val_acc=val))
        self.model.setdefault((GENOMES[g], seed), val)
        self.orphans.discard((GENOMES[g], seed))

    @rule(content=rows, forged=st.booleans())
    def merge(self, content: list[tuple[int, int, float]], forged: bool) -> None:
        root = self._shard(content)
        if forged:  # a genome text that does not hash to its key, with made-up numbers
            with Store(root) as shard_store:
                put_sound(
                    shard_store,
                    sound_row(
                        0,
                        genome='{"nodes":[99]}',
                        val_acc=0.99,
                        genome_key=sound_row(genome='{"nodes":[50]}').genome_key,
                    ),
                )
        with Store(root, read_only=True) as shard:
            if forged:
                with pytest.raises(MergeRefused):
                    self.home.merge(shard)
                return
            self.home.merge(shard)
        self._added(content)

    def _added(self, content: list[tuple[int, int, float]]) -> None:
        for g, seed, val in content:
            self.model.setdefault((GENOMES[g], seed), val)
            self.orphans.discard((GENOMES[g], seed))

    @rule(content=rows)
    def raise_mid_merge(self, content: list[tuple[int, int, float]]) -> None:
        root = self._shard(content)
        real = self.home._insert_columns
        calls = []

        def failing(table, columns, values):  # noqa: ANN001, ANN202
            calls.append(table)
            if table == "evaluations":  # after recipes and genomes, before the transaction commits
                raise KeyboardInterrupt
            real(table, columns, values)

        self.home._insert_columns = failing  # type: ignore[method-assign]
        try:
            with Store(root, read_only=True) as shard, pytest.raises(KeyboardInterrupt):
                self.home.merge(shard)
        finally:
            del self.home._insert_columns
        # The merge took back the one curve file it wrote: an older orphan of one of its keys is left as it was.

    @rule(g=st.integers(0, 2), seed=st.integers(0, 1))
    def abandon_mid_transaction(self, g: int, seed: int) -> None:
        row = sound_row(seed, genome=GENOMES[g])
        if (GENOMES[g], seed) in self.model:
            return
        self.home._write_curves([(row, curve_of(row))])
        self.home.db.execute("BEGIN TRANSACTION")
        self.home.db.execute(
            "INSERT INTO genomes VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [row.space, row.genome_key, row.genome]
        )
        self.home.close()  # the process dies: nothing committed (the open transaction never reaches the file)
        self.home = Store(self.tmp / "home")
        self.orphans.add((GENOMES[g], seed))

    @invariant()
    def rows_are_the_model(self) -> None:
        stored = {(e.genome, e.train_seed): e.val_acc for e in self.home.evaluations("remnet", RECIPE.key)}
        assert stored == self.model

    @invariant()
    def check_names_only_orphan_curves(self) -> None:
        problems = self.home.check()
        assert len(problems) == len(self.orphans) and all("has no row" in p for p in problems)


def test_store_state_machine_fast():
    run = settings(max_examples=4, stateful_step_count=5, deadline=None)(StoreMachine).TestCase
    run("runTest").runTest()


@pytest.mark.slow
def test_store_state_machine_long():
    run = settings(max_examples=60, stateful_step_count=15, deadline=None)(StoreMachine).TestCase
    run("runTest").runTest()
