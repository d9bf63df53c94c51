"""Published cells written as genomes of the DARTS space (each space keeps its reference networks in its
``known`` module; this space is one module, so its are here)."""

from __future__ import annotations

from repro.spaces.darts import from_genotype

PUBLISHED = {
    "GDAS": from_genotype(
        [
            ("skip_connect", 0),
            ("skip_connect", 1),
            ("skip_connect", 0),
            ("sep_conv_5x5", 2),
            ("sep_conv_3x3", 3),
            ("skip_connect", 0),
            ("sep_conv_5x5", 4),
            ("sep_conv_3x3", 3),
        ],
        [
            ("sep_conv_5x5", 0),
            ("sep_conv_3x3", 1),
            ("sep_conv_5x5", 2),
            ("sep_conv_5x5", 1),
            ("dil_conv_5x5", 2),
            ("sep_conv_3x3", 1),
            ("sep_conv_5x5", 0),
            ("sep_conv_5x5", 1),
        ],
    ),
    "GDAS (FRC)": from_genotype(
        [
            ("skip_connect", 0),
            ("skip_connect", 1),
            ("skip_connect", 0),
            ("sep_conv_3x3", 2),
            ("skip_connect", 0),
            ("sep_conv_3x3", 2),
            ("skip_connect", 0),
            ("sep_conv_3x3", 2),
        ],
        None,
    ),
}
"""Fig. 4's cells as the authors' public code lists them (D-X-Y/AutoDL-Projects, lib/nas/genotypes.py,
GDAS_V1 and GDAS_F1), copied as data."""
