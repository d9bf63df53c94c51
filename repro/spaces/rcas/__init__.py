"""The RCAS search space (Xiong, Mehta & Singh, ICCV 2019).

The space (its genome type, validity, canonical form and builder entry point) is :mod:`.space`; the other
modules are its parts, and :mod:`.known` (where present) holds published architectures written in it.
"""

from repro.spaces.rcas.space import RcasSpace

__all__ = ["RcasSpace"]
