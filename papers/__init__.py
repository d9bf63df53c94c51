"""Per-paper reproduction modules and their reported numbers (as data, beside each module)."""

PAPERS = {
    "nar": "papers.nar.reproduce",
    "remnet": "papers.remnet.reproduce",
    "rcas": "papers.rcas.reproduce",
    "gdas": "papers.gdas.reproduce",
    "featurenet": "papers.featurenet.reproduce",
}
"""Paper short name (as in shared/papers/INDEX.md) -> module with ``EXPERIMENTS``, ``run`` and ``write_report``."""
