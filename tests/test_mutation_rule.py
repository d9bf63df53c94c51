"""benchmarks/mutation.py's rule for the store's equivalent mutants: only a case change of SQL text is dropped.

The script runs mutmut for minutes; this checks, in milliseconds, the one decision it makes itself: which
mutants of a mutated file count as equivalent and are never scored (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "mutation.py"

# A file as mutmut writes it: the original function and its numbered mutants.
MUTATED = """
def x_read__mutmut_orig(db, key):
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version' AND k = ?", [key]).fetchone()
    return db.execute("SELECT budget FROM runs " "WHERE run_id = ?", [key]), row, {"space": key}

def x_read__mutmut_1(db, key):
    row = db.execute("select value from meta where key = 'schema_version' and k = ?", [key]).fetchone()
    return db.execute("SELECT budget FROM runs " "WHERE run_id = ?", [key]), row, {"space": key}

def x_read__mutmut_2(db, key):
    row = db.execute("SELECT VALUE FROM META WHERE KEY = 'SCHEMA_VERSION' AND K = ?", [key]).fetchone()
    return db.execute("SELECT budget FROM runs " "WHERE run_id = ?", [key]), row, {"space": key}

def x_read__mutmut_3(db, key):
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version' AND k = ?", [key]).fetchone()
    return db.execute("select budget from runs where run_id = ?", [key]), row, {"space": key}

def x_read__mutmut_4(db, key):
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version' AND k = ?", [key]).fetchone()
    return db.execute("SELECT budget FROM runs " "WHERE run_id = ?", [key]), row, {"SPACE": key}

def x_read__mutmut_5(db, key):
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version' AND k = ?", [key]).fetchone()
    return db.execute("XXSELECT budget FROM runsXX " "WHERE run_id = ?", [key]), row, {"space": key}

def x_read__mutmut_6(db, key):
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version' AND k = ?", [key]).fetchone()
    return db.execute("SELECT budget FROM runs " "WHERE run_id = ?", [key]), None, {"space": key}

def x_read__mutmut_7(db, key):
    row = db.execute("select value from meta where key = 'schema_version' and k = ?", [key]).fetchone()
    return db.execute("SELECT budget FROM runs " "WHERE run_id = ?", [key]), row, {"space": key.upper()}
"""


def test_only_case_changes_of_sql_text_that_keep_its_quoted_parts_are_dropped(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("mutation_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, script)  # its dataclass looks its module up there
    spec.loader.exec_module(script)
    mutated = tmp_path / "store.py"
    mutated.write_text(MUTATED)
    # 1: keywords and identifiers lower-cased, the literal as it was; 3: an implicit concatenation, judged whole.
    # Kept: 2 upper-cases the quoted literal, 4 a dict key (not SQL), 5 is no case change, 6 not a string,
    # 7 changes a second thing besides the case.
    assert script.sql_case_mutants(mutated, "repro.cache.store") == {
        "repro.cache.store.x_read__mutmut_1",
        "repro.cache.store.x_read__mutmut_3",
    }
