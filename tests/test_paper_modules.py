"""Every registered paper supplies what the CLI uses of it (papers.Reproduce, papers.Report, papers.Claims)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from papers import PAPERS, Claims, Report, Reproduce, load
from repro.errors import ReproError

PARTS = {"reproduce": Reproduce, "report": Report, "claims": Claims}
ALLOWED = {
    "reproduce": set(),
    "numbers": {"reproduce"},
    "report": {"reproduce", "numbers"},
    "claims": {"reproduce", "numbers"},
}
"""Which of its paper's modules each module may import (papers/__init__.py: imports run one way)."""


def _members(protocol: type) -> list[str]:
    return [name for name in vars(protocol) if not name.startswith("_")] + list(protocol.__annotations__)


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_each_module_has_every_protocol_member(paper):
    loaded = load(paper)
    for part, protocol in PARTS.items():
        module = getattr(loaded, part)
        assert module.__name__ == f"{PAPERS[paper]}.{part}"
        missing = [name for name in _members(protocol) if not hasattr(module, name)]
        assert not missing, f"papers/{paper}/{part}.py lacks {missing}"
    assert (loaded.reproduce.HERE / "reported.toml").is_file()
    run = inspect.signature(loaded.reproduce.run).parameters
    assert list(run) == ["experiment", "ctx"]


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_modules_import_each_other_one_way(paper):
    folder = Path(load(paper).reproduce.HERE)
    package = PAPERS[paper]
    for module, allowed in ALLOWED.items():
        tree = ast.parse((folder / f"{module}.py").read_text())
        # Both spellings: `from papers.nar.numbers import x` and `from papers.nar import numbers`.
        imported = {
            f"{node.module}.{alias.name}"
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        siblings = {
            name.removeprefix(f"{package}.").split(".")[0] for name in imported if name.startswith(f"{package}.")
        }
        # A paper's own helper modules (a figure's drawing code, say) are free to use; the four parts are ordered.
        siblings &= set(ALLOWED)
        assert siblings <= allowed, f"papers/{paper}/{module}.py imports {sorted(siblings - allowed)}"


def test_an_unknown_paper_is_refused_with_the_known_ones():
    with pytest.raises(ReproError, match="unknown paper 'huge'; choose one of: featurenet, gdas, nar"):
        load("huge")


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_profiles_are_named_by_their_keys_and_unknown_ones_are_refused(paper):
    module = load(paper).reproduce
    assert "smoke" in module.EXPERIMENTS
    assert all(experiment.name == name for name, experiment in module.EXPERIMENTS.items())
    assert module.get_experiment("smoke") is module.EXPERIMENTS["smoke"]
    with pytest.raises(ReproError, match=f"unknown {paper} profile 'huge'"):
        module.get_experiment("huge")
