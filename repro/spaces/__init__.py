"""Search spaces, looked up by name: ``get_space("remnet")``."""

from __future__ import annotations

from typing import Any

from repro.spaces.base import SPACES, CanonicalForm, InvalidArchitecture, SearchSpace
from repro.spaces.darts import DartsSpace
from repro.spaces.featurenet import FeatureNetSpace
from repro.spaces.handcrafted import HandcraftedSpace
from repro.spaces.macro import MacroSpace
from repro.spaces.nar import NarSpace
from repro.spaces.nb201 import Nb201Space
from repro.spaces.rcas import RcasSpace
from repro.spaces.remnet import RemnetSpace

SPACES.register(RemnetSpace.name, RemnetSpace)
SPACES.register(NarSpace.name, NarSpace)
SPACES.register(RcasSpace.name, RcasSpace)
SPACES.register(DartsSpace.name, DartsSpace)
SPACES.register(Nb201Space.name, Nb201Space)
SPACES.register(FeatureNetSpace.name, FeatureNetSpace)
SPACES.register(HandcraftedSpace.name, HandcraftedSpace)
SPACES.register(MacroSpace.name, MacroSpace)


def get_space(name: str, **options: Any) -> SearchSpace[Any]:
    """An instance of the registered space ``name`` (unknown names give a ReproError listing the known ones)."""
    return SPACES.get(name)(**options)


__all__ = ["SPACES", "CanonicalForm", "InvalidArchitecture", "SearchSpace", "get_space"]
