"""benchmarks/mutation.py's rule for the store's equivalent mutants: only a case change of SQL text is dropped.

The script runs mutmut for minutes; this checks, in milliseconds, the one decision it makes itself: which
mutants of a mutated file count as equivalent and are never scored (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "mutation.py"

ORIGINAL = """
def x_read__mutmut_N(db, key):
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version' AND k = ?", [key]).fetchone()
    return db.execute("SELECT budget FROM runs " "WHERE run_id = ?", [key]), row, {"space": key}
"""
LOWER = ('"SELECT value FROM meta WHERE key', '"select value from meta where key'), (" AND k = ?", " and k = ?")
MUTANTS = {
    1: LOWER,
    2: (
        (
            "SELECT value FROM meta WHERE key = 'schema_version' AND k",
            "SELECT VALUE FROM META WHERE KEY = 'SCHEMA_VERSION' AND K",
        ),
    ),
    3: (('"SELECT budget FROM runs " "WHERE run_id = ?"', '"select budget from runs where run_id = ?"'),),
    4: (('{"space"', '{"SPACE"'),),
    5: (('"SELECT budget FROM runs "', '"XXSELECT budget FROM runsXX "'),),
    6: (("), row,", "), None,"),),
    7: (*LOWER, ('"space": key}', '"space": key.upper()}')),
}
"""mutmut's numbered mutants of ORIGINAL, as (text, replacement) edits."""


def mutated_file() -> str:
    """A file as mutmut writes it: the original function and its numbered mutants."""
    functions = [ORIGINAL.replace("mutmut_N", "mutmut_orig")]
    for number, edits in MUTANTS.items():
        text = ORIGINAL.replace("mutmut_N", f"mutmut_{number}")
        for old, new in edits:
            assert old in text
            text = text.replace(old, new)
        functions.append(text)
    return "".join(functions)


def test_only_case_changes_of_sql_text_that_keep_its_quoted_parts_are_dropped(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("mutation_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, script)  # its dataclass looks its module up there
    spec.loader.exec_module(script)
    mutated = tmp_path / "store.py"
    mutated.write_text(mutated_file())
    # 1: keywords and identifiers lower-cased, the literal as it was; 3: an implicit concatenation, judged whole.
    # Kept: 2 upper-cases the quoted literal, 4 a dict key (not SQL), 5 is no case change, 6 not a string,
    # 7 changes a second thing besides the case.
    assert script.sql_case_mutants(mutated, "repro.cache.store") == {
        "repro.cache.store.x_read__mutmut_1",
        "repro.cache.store.x_read__mutmut_3",
    }
