"""Published architectures written as genomes of the REMNet space (each space keeps its reference networks in
its ``known`` module)."""

from __future__ import annotations

import json

REMNET = json.dumps(
    {
        "nodes": ["IN", "CONV_2.N", "CONV_2.N", "CONV_3.N", "CONV_5.N", "POOL_5.A", "CONV_3.H", "CONV_3.H", "OUT"],
        "edges": [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [5, 7], [6, 8], [7, 8]],
    }
)
"""The paper's REMNet as Section 4.2 describes it: the dominant sequence, then two CONV_3.H branches."""
