"""Reader and writer for the IDX format used by MNIST and Fashion-MNIST."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from repro.errors import ReproError

# IDX stores data big-endian; single-byte types have no byte order.
_CODE_TO_DTYPE: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_KIND_TO_CODE: dict[tuple[str, int], int] = {(dt.kind, dt.itemsize): code for code, dt in _CODE_TO_DTYPE.items()}


def _is_gz(path: Path) -> bool:
    return path.name.endswith(".gz")


def _corrupt(path: Path, problem: str) -> ReproError:
    return ReproError(
        f"IDX file {path} is corrupt or truncated ({problem}); "
        f"re-install the dataset package or replace the file with an intact copy"
    )


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (gzip-compressed when its name ends with ``.gz``).

    Returns a native-byte-order array with the shape stored in the header.
    Raises ReproError for unreadable, malformed or truncated files.
    """
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if _is_gz(path) else path.read_bytes()
    except FileNotFoundError:
        raise ReproError(f"IDX file {path} does not exist; place the file there or fix the path") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise _corrupt(path, f"bad gzip data: {exc}") from None
    except OSError as exc:
        raise ReproError(f"cannot read IDX file {path}: {exc.strerror or exc}; check the file's permissions") from None

    if len(raw) < 4:
        raise _corrupt(path, f"only {len(raw)} bytes, shorter than the 4-byte header")
    if raw[0] != 0 or raw[1] != 0:
        raise _corrupt(path, f"bad magic bytes {raw[:2].hex()}, expected 0000; not an IDX file")
    code, ndim = raw[2], raw[3]
    dtype = _CODE_TO_DTYPE.get(code)
    if dtype is None:
        raise _corrupt(path, f"unknown IDX dtype code 0x{code:02X}")
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise _corrupt(path, f"header declares {ndim} dims but the file ends after {len(raw)} bytes")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header_len
    if actual != expected:
        raise _corrupt(path, f"payload is {actual} bytes, header shape {shape} needs {expected}")
    data = np.frombuffer(raw, dtype=dtype, offset=header_len).reshape(shape)
    # frombuffer gives a read-only big-endian view; callers want an ordinary array.
    return data.astype(dtype.newbyteorder("="))


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file, gzip-compressed when the name ends with ``.gz``.

    Supported dtypes: uint8, int8, int16, int32, float32, float64.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _KIND_TO_CODE.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise ReproError(
            f"cannot write dtype {array.dtype} to IDX file {path}; "
            f"convert the array to uint8, int8, int16, int32, float32 or float64 first"
        )
    if array.ndim > 255 or any(d >= 2**32 for d in array.shape):
        raise ReproError(
            f"array shape {array.shape} does not fit the IDX header of {path}; reshape it to at most 255 dims"
        )
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=_CODE_TO_DTYPE[code]).tobytes()
    # mtime=0 keeps .gz output byte-identical across runs.
    path.write_bytes(gzip.compress(payload, mtime=0) if _is_gz(path) else payload)
