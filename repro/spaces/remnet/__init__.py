"""The REMNet macro search space (Kyriakides & Margaritis, AIAI 2020).

The space (its genome type, validity, canonical form and builder entry point) is :mod:`.space`; the other
modules are its parts, and :mod:`.known` (where present) holds published architectures written in it.
"""

from repro.spaces.remnet.space import RemnetSpace

__all__ = ["RemnetSpace"]
