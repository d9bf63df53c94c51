"""The FeatureNet search space (Ghamizi et al. 2019): configurations of a feature model of DNN architectures.

The space (its genome type, validity, canonical form and builder entry point) is :mod:`.space`; the other
modules are its parts, and :mod:`.known` (where present) holds published architectures written in it.
"""

from repro.spaces.featurenet.space import FeatureNetSpace

__all__ = ["FeatureNetSpace"]
