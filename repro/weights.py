"""Trained weights published with a paper, loaded into the network this project builds.

Another implementation names its modules its own way, so its state dict is mapped onto ours by
*order and shape*: the i-th tensor of theirs goes to the i-th tensor of ours, and every shape must
agree. Both orders are the order in which the modules were created, layer by layer along the
network, which is what makes the mapping meaningful; the shapes (and, for a paper, the accuracy
the loaded network then reaches) are what check it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from repro.errors import ReproError


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_state_dict(path: Path, sha256: str | None = None) -> dict[str, torch.Tensor]:
    """A state dict saved with ``torch.save``, read without running pickled code; checked against ``sha256`` if given."""
    if not path.is_file():
        raise ReproError(f"no weights file at {path}; restore it from the repository (git checkout -- {path})")
    if sha256 is not None and (found := file_sha256(path)) != sha256:
        raise ReproError(f"{path} has SHA-256 {found}, expected {sha256}; restore the published file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several unrelated types for a damaged file
        raise ReproError(f"cannot read the state dict in {path} ({exc}); restore the published file") from None
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ReproError(f"{path} does not hold a state dict (names -> tensors); restore the published file")
    return dict(state)


def load_by_order(model: nn.Module, state: Mapping[str, torch.Tensor], source: str) -> list[tuple[str, str]]:
    """Load ``state`` into ``model`` by order and shape; the (ours, theirs) name pairs.

    Raises a ReproError naming the first pair whose shapes differ, or saying how many tensors each
    side has when the counts differ, so that a builder that drifted from ``source``'s conventions
    (a kernel size, a width, a layer order) is named, not silently half-loaded.
    """
    ours = model.state_dict()
    if len(ours) != len(state):
        raise ReproError(
            f"{source} has {len(state)} tensors but the network built here has {len(ours)}; "
            f"the builder does not make the network of {source}"
        )
    pairs = []
    for i, ((name, mine), (their_name, theirs)) in enumerate(zip(ours.items(), state.items()), start=1):
        if tuple(mine.shape) != tuple(theirs.shape):
            raise ReproError(
                f"tensor #{i} differs: ours {name} {tuple(mine.shape)}, {source} {their_name} "
                f"{tuple(theirs.shape)}; the builder does not make the network of {source}"
            )
        pairs.append((name, their_name))
    model.load_state_dict(dict(zip(ours, state.values())))
    return pairs
