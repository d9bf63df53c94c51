"""The notebook API: one flat record per architecture and recipe, the same shape for every way rows are served."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

from repro.api import ROW_FIELDS, open_cache
from repro.cache.table import CachedTable
from repro.recipe import get_profile
from repro.spaces import get_space

ROOT = Path(__file__).resolve().parent.parent
needs_tables = pytest.mark.skipif(
    not (ROOT / "cache" / "imported" / "nb201.parquet").exists(), reason="no imported tables"
)


@needs_tables
def test_the_readme_example_runs(monkeypatch) -> None:
    readme = (ROOT / "README.md").read_text()
    code = next(block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "repro.api" in block)
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    first, second = out.getvalue().splitlines()
    assert first.startswith("imported [0.9088") and "[0, 1]" in first and "nb201_200ep_seeds.csv.gz" in first
    assert float(second) == pytest.approx(0.9391)


@needs_tables
def test_imported_trained_and_predicted_records_have_one_shape() -> None:
    bench = open_cache(ROOT / "cache")
    imported = bench.query(
        "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|", "nb201-cifar10-valid-12ep"
    )
    assert imported["served_by"] == "imported" and imported["seed_mean"] == [True] and imported["source_seed"] == [None]
    trained_key, genome = bench.store.query(
        "SELECT e.genome_key, g.genome FROM evaluations e JOIN genomes g USING (space, genome_key) "
        "WHERE e.space = 'remnet' AND e.status = 'ok' LIMIT 1"
    )[1][0]
    trained = bench.query(genome, "smoke", space="remnet")
    assert trained["served_by"] == "trained" and trained["genome_key"] == trained_key
    assert trained["source"][0] is None and trained["device"][0]
    # A genome the cache lacks (remnet: the surrogate featurises its stored genomes).
    space = get_space("remnet")
    table = {k for k, _ in CachedTable(bench.store, "remnet", get_profile("smoke").key).rows}
    absent = next(
        g for g in (space.sample(np.random.default_rng(i)) for i in range(100)) if space.canonical(g).key not in table
    )
    missing = bench.query(space.to_json(absent), "smoke", space="remnet", predict=True)
    assert set(imported) == set(trained) == set(missing)
    assert all(isinstance(trained[f], list) for f in ROW_FIELDS)
    assert missing["served_by"] in ("predicted", "none") and missing["rows"] == 1
    if missing["status"] == ["predicted"]:
        assert missing["reason"].startswith("surrogate:") and missing["val_acc_mean"] is not None
    else:  # the space's exact check found it invalid: never predicted
        assert missing["status"] == ["invalid"]
