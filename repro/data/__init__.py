"""Dataset loading: IDX readers and deterministic train/val/test splits."""

from repro.data.datasets import DATASETS, DataBundle, Split, load_dataset

__all__ = ["DATASETS", "DataBundle", "Split", "load_dataset"]
