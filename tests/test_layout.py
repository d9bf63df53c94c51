"""The library's import structure: ``papers/`` and ``benchmarks/`` use ``repro``, never the reverse, and the
library's modules import each other without cycles.

Only the CLI's papers commands (``repro/cli/papers.py``) reach into ``papers/``: they load the
paper modules the user names. Imports inside functions count too, so a lazy import cannot hide
a reversed dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAPERS_LOADER = "repro.cli.papers"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _library() -> dict[str, Path]:
    return {_module(p): p for p in (ROOT / "repro").rglob("*.py")}


def test_the_library_never_imports_papers_or_benchmarks():
    offenders = {
        name: sorted(i for i in _imports(path, top_level_only=False) if i.split(".")[0] in ("papers", "benchmarks"))
        for name, path in _library().items()
        if name != PAPERS_LOADER
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_library_modules_import_each_other_without_cycles():
    modules = _library()
    # Module-level imports only: a function-level import runs after every module has loaded.
    graph = {
        name: {i for i in _imports(path, top_level_only=True) if i in modules and i != name}
        for name, path in modules.items()
    }
    # A package's __init__ is imported before its submodules; "a.b imports a" is not a cycle of concern.
    graph = {name: {i for i in deps if not name.startswith(i + ".")} for name, deps in graph.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep) :] + [dep] if dep in path else [node, dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_checks_see_a_reversed_import(tmp_path):
    """The import scanner finds a function-level import of papers (so the first test can fail)."""
    source = tmp_path / "mod.py"
    source.write_text("def f():\n    from papers.replay import replay_all\n")
    assert "papers.replay" in _imports(source, top_level_only=False)
    assert "papers.replay" not in _imports(source, top_level_only=True)


def test_pure_modules_load_without_torch():
    """Statistics, claims, greedy search and recipes are plain numpy: importing them must not pull in torch."""
    import subprocess
    import sys

    code = (
        "import sys; import repro.stats, repro.claims, repro.search.greedy, repro.recipe; "
        "sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_paper_recipes_live_with_their_papers():
    """The library registers only its own profiles; each paper's come from ``papers/<paper>/recipes.py`` through
    the ``repro.profiles`` entry point, loaded on the first lookup of a name the library lacks."""
    import subprocess
    import sys

    code = (
        "import repro.recipe as r, sys\n"
        "own = sorted(n for n in r.PROFILES._items if n != 'smoke' and r.PROFILES._items[n].imported is None)\n"
        "assert not any(m.startswith('papers') for m in sys.modules), 'the library imported papers'\n"
        "r.get_profile('rcas-paper')\n"
        "print(own); print(sorted(m for m in sys.modules if m.endswith('.recipes')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    own, loaded = out.splitlines()
    assert own == "[]"  # besides smoke, the library registers only imported benchmarks' protocols
    papers = sorted(p.parent.name for p in (ROOT / "papers").glob("*/recipes.py"))
    assert loaded == str([f"papers.{p}.recipes" for p in papers])
