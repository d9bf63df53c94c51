"""The evaluation cache (DuckDB metrics + HDF5 curves)."""

from repro.cache.store import Evaluation, Store

__all__ = ["Evaluation", "Store"]
