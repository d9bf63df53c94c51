"""Every registered paper module supplies what the CLI uses of it (papers.PaperModule)."""

from __future__ import annotations

import importlib
import inspect

import pytest

from papers import PAPERS, PaperModule
from repro.errors import ReproError

MEMBERS = [name for name in vars(PaperModule) if not name.startswith("_")] + list(PaperModule.__annotations__)


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_module_has_every_protocol_member(paper):
    module = importlib.import_module(PAPERS[paper])
    missing = [name for name in MEMBERS if not hasattr(module, name)]
    assert not missing, f"papers/{paper}/reproduce.py lacks {missing}"
    assert (module.HERE / "reported.toml").is_file()
    run = inspect.signature(module.run).parameters
    assert list(run)[:2] == ["experiment", "store"] and {"on_miss", "device", "data_root", "on_step"} <= set(run)


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_profiles_are_named_by_their_keys_and_unknown_ones_are_refused(paper):
    module = importlib.import_module(PAPERS[paper])
    assert "smoke" in module.EXPERIMENTS
    assert all(experiment.name == name for name, experiment in module.EXPERIMENTS.items())
    assert module.get_experiment("smoke") is module.EXPERIMENTS["smoke"]
    with pytest.raises(ReproError, match=f"unknown {paper} profile 'huge'"):
        module.get_experiment("huge")
