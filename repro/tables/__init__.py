"""Public tabular NAS benchmarks: reading their files."""
