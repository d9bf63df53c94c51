"""What a training run's data was: digests of the dataset files read and the split made of them.

A recipe names its data (``dataset``, ``split_seed``, the sizes) but not the bytes: a copy of
Fashion-MNIST with every training label set to 0 has the same name and shape. The fingerprint
closes that gap; the store records it on every row it trains (see :mod:`repro.cache.store`).

Digesting a 26 MB file costs a fraction of a second, so each file's digest is computed once per
process and remembered by (path, size, modification time): a changed file gets a new digest, an
unchanged one is never read twice.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """SHA-256 of a file's content (of the decompressed bytes for ``.gz``, so a gunzipped copy matches)."""
    stat = path.stat()
    memo = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    digest = _DIGESTS.get(memo)
    if digest is None:
        raw = path.read_bytes()
        digest = _DIGESTS[memo] = hashlib.sha256(gzip.decompress(raw) if path.name.endswith(".gz") else raw).hexdigest()
    return digest


def data_fingerprint(files: dict[str, Path], split: dict[str, int | None]) -> str:
    """The fingerprint of training on ``files`` (role -> path) split by ``split`` (seed and sizes): 16 hex digits."""
    record = {"files": {role: file_digest(path) for role, path in sorted(files.items())}, "split": split}
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]
