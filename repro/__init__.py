"""repro: a neural-architecture-search benchmark-and-reproduction harness."""

__version__ = "0.1.0"
