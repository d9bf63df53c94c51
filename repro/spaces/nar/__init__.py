"""The NAR search space (Jiang, Zhao & Pang, "Neural Architecture Refinement").

The space (its genome type, validity, canonical form and builder entry point) is :mod:`.space`; the other
modules are its parts, and :mod:`.known` (where present) holds published architectures written in it.
"""

from repro.spaces.nar.space import NarGenome, NarSpace

__all__ = ["NarGenome", "NarSpace"]
