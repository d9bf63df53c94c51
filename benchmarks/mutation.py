"""Mutation testing with mutmut: how many deliberate mistakes does each core module's own test file catch?

Each module is mutated on its own, in a scratch copy of the project (the working tree is never
touched), and every mutant is checked against that module's test files only, one mutant at a
time (``--max-children 1``: the development machine has 2 shared cores). By default a fixed-seed
sample of each module's mutants is run, so the whole run takes minutes; ``--sample 0`` runs them
all. Prints one score line per module (killed + timed out over mutants run) and the survivors;
``--diff`` adds each survivor's diff.

A mutant can make the code loop for ever (``_refine``'s ``> 1`` -> ``>= 1`` in the canonical labelling does). Its
test run is bounded by mutmut's own limit: mutmut measures each test's duration on the unmutated code and stops a
mutant's run (SIGXCPU, status "timeout", counted killed as mutmut counts it) after ``(its tests' duration +
timeout_constant) x timeout_multiplier`` seconds of wall time. mutmut's default multiplier, 15, let that mutant run
for many minutes on the shared machine; ``--timeout-multiplier`` (default 5) and ``--timeout-constant`` (default 5 s)
set both in the scratch copy's ``[tool.mutmut]``.

    nice -n 19 .venv/bin/python benchmarks/mutation.py                      # the core modules
    nice -n 19 .venv/bin/python benchmarks/mutation.py repro/search/greedy.py --sample 0
    nice -n 19 .venv/bin/python benchmarks/mutation.py repro/evaluator.py=tests/test_search.py,tests/test_cache.py

A module is ``PATH`` (a file, or a folder glob such as ``repro/search/strategies/*``) and optionally
``=TESTS``: comma-separated pytest arguments, test files and options such as ``-k,not slow`` (the
default is ``tests/test_<name>.py``). The equivalent mutants of the last full run are argued in
benchmarks/RESULTS.md ("Mutation testing").
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CORE = {
    "repro/stats.py": ["tests/test_stats.py"],
    # Not the `repro regress` and README tests at its end: they replay every paper from the cache (13 minutes under
    # mutmut on the shared machine, for each mutant they do not kill); CI runs them.
    "repro/claims.py": ["tests/test_claims.py", "-k", "not regress and not readme"],
    "repro/search/greedy.py": ["tests/test_greedy.py"],
    "repro/search/strategies/*": ["tests/test_strategies.py"],
    "repro/canonical.py": ["tests/test_canonical.py"],
    # The store's round trips, its error paths and robustness (without the kill -9 search and the training
    # tests), and the imported tables it serves beside its own rows.
    "repro/cache/store.py": [
        "tests/test_store.py",
        "tests/test_store_integrity.py",
        "tests/test_cache.py",
        "tests/test_robustness.py",
        "tests/test_tables.py",
        "-k",
        "not kill_9 and not nan_loss and not failed_training",
    ],
    "repro/cache/table.py": ["tests/test_store.py", "tests/test_tables.py"],
    # Not test_search.py: it trains networks (seconds per mutant); test_evaluator.py hands results back instead.
    "repro/evaluator.py": ["tests/test_evaluator.py", "tests/test_tables.py"],
}
"""The modules run by default, each with the pytest arguments that select its own tests."""

COPIED = [
    "repro",
    "papers",
    "benchmarks",
    "tests/fixtures",
    "cache",
    "README.md",
    "pyproject.toml",
]
"""What a scratch copy holds besides the module's test files and the tests' helper modules (every ``tests/*.py``
that is not a ``test_`` file: conftest, row builders); tests read the shipped cache, the README and the benchmark
scripts they run in quick mode."""

KILLED = {"killed", "timeout", "segfault", "caught by type check"}

SQL_MODULES = {"repro/cache/store.py", "repro/cache/layers.py"}
"""Modules whose SQL-case mutants are dropped before sampling (see :func:`sql_case_mutants`)."""

SQL_TEXT = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|BEGIN|COMMIT|ROLLBACK|SET|FROM|WHERE|AND|OR|NOT|ON|JOIN"
    r"|USING|UNION|GROUP|ORDER|BY|AS|IS|NULL|LIMIT|VALUES|CASE|WHEN|THEN|ELSE|END|TRUE|FALSE)\b|=\s*\?"
)
"""SQL text: an upper-case SQL keyword, or a ``= ?`` parameter."""

QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
"""A quoted SQL string literal or identifier."""


@dataclass
class Score:
    """The outcome of one module's mutants."""

    module: str
    tests: list[str]
    scratch: Path
    total: int
    """Mutants made, less those dropped."""
    dropped: int
    """SQL-case mutants dropped as equivalent (:func:`sql_case_mutants`)."""
    statuses: dict[str, str]
    seconds: float

    @property
    def killed(self) -> int:
        return sum(status in KILLED for status in self.statuses.values())

    @property
    def survivors(self) -> list[str]:
        return sorted(name for name, status in self.statuses.items() if status not in KILLED)

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / max(len(self.statuses), 1)


def parse_module(spec: str) -> tuple[str, list[str]]:
    """``PATH[=ARG,ARG]`` -> (path, pytest arguments); the default is the test file ``tests/test_<name>.py``."""
    path, _, tests = spec.partition("=")
    if tests:
        return path, tests.split(",")
    if path in CORE:
        return path, CORE[path]
    name = Path(path.rstrip("/*")).stem
    return path, [f"tests/test_{name}.py"]


def files_among(tests: list[str]) -> list[str]:
    """The test files among pytest arguments."""
    return [t.split("::")[0] for t in tests if t.split("::")[0].endswith(".py")]


def mutant_names(scratch: Path, module: str) -> list[str]:
    """Every mutant mutmut makes of ``module`` (read from the files mutmut generates), in a stable order."""
    names = []
    for meta in sorted((scratch / "mutants").rglob("*.py.meta")):
        source = meta.relative_to(scratch / "mutants").as_posix()[: -len(".meta")]
        if fnmatch.fnmatch(source, module):
            names += json.loads(meta.read_text())["exit_code_by_key"]
    return sorted(set(names), key=lambda n: (n.rsplit("__mutmut_", 1)[0], int(n.rsplit("_", 1)[1])))


def _scalars(node: ast.AST) -> list[object]:
    """A node's own fields that are not nodes (names, attributes, constants' values), to compare two trees."""
    return [
        (field, value)
        for field, value in ast.iter_fields(node)
        if not isinstance(value, ast.AST) and not (isinstance(value, list) and value and isinstance(value[0], ast.AST))
    ]


def _nodes(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """Every node of a function's arguments and body, in a fixed (breadth-first) order."""
    return [node for part in (function.args, *function.body) for node in ast.walk(part)]


def sql_case_mutants(mutated_file: Path, prefix: str) -> set[str]:
    """The mutants in mutmut's copy of a module (``prefix``: its dotted name) that only change the letter case of
    SQL text, which are equivalent mutants: DuckDB reads keywords, unquoted identifiers, function and setting names
    case-insensitively.

    The rule: the mutant differs from the original function in one string constant only, by letter case, that
    string (an implicit concatenation joined, as Python joins it; an f-string's literal parts joined) matches
    :data:`SQL_TEXT`, and its quoted parts are unchanged: a quoted SQL literal (``'oom'``) or identifier may be
    case-sensitive, so a mutant that changes one (``'oom'`` -> ``'OOM'``) is kept and run.
    """
    tree = ast.parse(mutated_file.read_text())
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    dropped = set()
    for name, mutant in functions.items():
        base, marker, number = name.rpartition("__mutmut_")
        original = functions.get(f"{base}__mutmut_orig")
        if not marker or not number.isdigit() or original is None:
            continue
        before, after = _nodes(original), _nodes(mutant)
        if len(before) != len(after) or any(type(a) is not type(b) for a, b in zip(before, after)):
            continue
        changed = [(a, b) for a, b in zip(before, after) if _scalars(a) != _scalars(b)]
        if len(changed) != 1 or not isinstance(changed[0][0], ast.Constant):
            continue
        old, new = changed[0][0].value, changed[0][1].value
        if not (isinstance(old, str) and isinstance(new, str) and old.lower() == new.lower()):
            continue
        text = next(
            (
                "".join(part.value for part in node.values if isinstance(part, ast.Constant))
                for node in before
                if isinstance(node, ast.JoinedStr) and changed[0][0] in node.values
            ),
            old,
        )
        if SQL_TEXT.search(text) and QUOTED.findall(old) == QUOTED.findall(new):
            dropped.add(f"{prefix}.{name}")
    return dropped


def mutmut(scratch: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run mutmut's command line in a scratch copy (mutmut reads its settings from the pyproject there)."""
    return subprocess.run(
        [sys.executable, "-m", "mutmut", *args], check=False, cwd=scratch, capture_output=True, text=True
    )


def prepare(scratch: Path, module: str, tests: list[str], timeout: tuple[float, float]) -> None:
    """A copy of the project whose pyproject tells mutmut to mutate ``module`` against ``tests``, each mutant's run
    bounded by ``timeout`` (mutmut's timeout_multiplier, timeout_constant)."""
    helpers = [p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").glob("*.py") if not p.name.startswith("test_")]
    for rel in [*COPIED, *sorted(helpers), *files_among(tests)]:
        src, dst = ROOT / rel, scratch / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dst)
    quoted = ", ".join(json.dumps(t) for t in tests)
    with open(scratch / "pyproject.toml", "a") as out:
        out.write(
            f'\n[tool.mutmut]\nsource_paths = ["repro"]\nonly_mutate = ["{module}"]\n'
            # -n 0: mutmut records which tests reach which function in its own process, so no xdist workers.
            'pytest_add_cli_args = ["-n", "0"]\n'
            f'pytest_add_cli_args_test_selection = [{quoted}]\nalso_copy = ["papers", "benchmarks", "cache", "README.md"]\n'
            f"timeout_multiplier = {float(timeout[0])}\ntimeout_constant = {float(timeout[1])}\n"
        )


def run_module(
    module: str, tests: list[str], sample: int, seed: int, workdir: Path, timeout: tuple[float, float]
) -> Score:
    """Mutate ``module``, run a sample of its mutants (all when ``sample`` is 0), each bounded by ``timeout`` (see
    :func:`prepare`), and collect their statuses."""
    for test in files_among(tests):
        if not (ROOT / test).is_file():
            sys.exit(f"mutation: no test file {test} for {module}; name them as {module}=tests/a.py,tests/b.py")
    scratch = workdir / re.sub(r"\W+", "_", module).strip("_")
    shutil.rmtree(scratch, ignore_errors=True)
    prepare(scratch, module, tests, timeout)
    start = time.monotonic()
    # Generating the mutants needs a run; a name that matches no mutant makes mutmut stop right after.
    mutmut(scratch, "run", "--max-children", "1", "no.such.mutant__mutmut_0")
    names = mutant_names(scratch, module)
    if not names:
        sys.exit(f"mutation: mutmut made no mutants of {module} (is the path right?)")
    dropped = set()
    if module in SQL_MODULES:
        dropped = sql_case_mutants(scratch / "mutants" / module, module.removesuffix(".py").replace("/", "."))
        names = [n for n in names if n not in dropped]
    chosen = sorted(random.Random(seed).sample(names, sample)) if 0 < sample < len(names) else names
    run = mutmut(scratch, "run", "--max-children", "1", *chosen)
    broken = ("Failed to run clean test", "failed to collect stats")  # the unmutated tests fail: nothing is scored
    if any(b in run.stdout + run.stderr for b in broken) or run.returncode not in (0, 1):
        sys.exit(f"mutation: mutmut failed on {module}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    statuses = {}
    for line in mutmut(scratch, "results", "--all", "true").stdout.splitlines():
        name, _, status = line.strip().partition(": ")
        if name in chosen:
            statuses[name] = status
    missing = set(chosen) - set(statuses)
    if missing:
        sys.exit(f"mutation: mutmut reported no result for {len(missing)} mutants of {module}, e.g. {min(missing)}")
    return Score(module, tests, scratch, len(names), len(dropped), statuses, time.monotonic() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="PATH[=ARG,ARG] (default: the core modules)")
    parser.add_argument("--sample", type=int, default=60, help="mutants per module, 0 for all (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    parser.add_argument(
        "--timeout-multiplier",
        type=float,
        default=5.0,
        help="a mutant's run stops (killed: timeout) after (its tests' clean duration + constant) x this (default 5)",
    )
    parser.add_argument("--timeout-constant", type=float, default=5.0, help="seconds, see above (default 5)")
    parser.add_argument("--diff", action="store_true", help="print each survivor's diff")
    parser.add_argument("--workdir", type=Path, help="keep the scratch copies here (default: a temporary folder)")
    args = parser.parse_args(argv)
    modules = [parse_module(m) for m in args.modules] or list(CORE.items())
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="repro-mutation-"))
    scores = []
    for module, tests in modules:
        timeout = (args.timeout_multiplier, args.timeout_constant)
        score = run_module(module, tests, args.sample, args.seed, workdir, timeout)
        scores.append(score)
        print(
            f"{module}: {score.percent:.1f}% killed ({score.killed}/{len(score.statuses)} of {score.total} mutants"
            + (f" after {score.dropped} equivalent SQL-case mutants dropped" if score.dropped else "")
            + f", {score.seconds:.0f} s) by {' '.join(tests)}",
            flush=True,
        )
        for name in score.survivors:
            print(f"  {score.statuses[name]}: {name}")
            if args.diff:
                diff = mutmut(score.scratch, "show", name).stdout
                print("    " + "\n    ".join(diff.strip().splitlines()[1:]))
    print("\n| module | mutants run | killed | score | SQL-case dropped |\n|---|---:|---:|---:|---:|")
    for s in scores:
        print(f"| `{s.module}` | {len(s.statuses)} of {s.total} | {s.killed} | {s.percent:.1f}% | {s.dropped} |")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
