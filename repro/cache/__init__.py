"""The evaluation cache: the store (DuckDB metrics + HDF5 curves) and its in-memory read model."""
