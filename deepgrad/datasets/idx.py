"""The IDX format of MNIST and Fashion-MNIST (LeCun's "THE IDX FILE FORMAT").

    magic   4 bytes: 0x00 0x00 <type code> <number of dimensions>   (type 0x08 = uint8)
    sizes   one big-endian uint32 per dimension
    data    the values, row-major

Files may be gzip-compressed (``.gz``).
"""

import gzip
import os
import struct
import zlib

import numpy as np

__all__ = ["read_idx", "write_idx"]

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
          0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09}


def _corrupt(path, why):
    return RuntimeError(f"IDX file {path} is corrupt or truncated ({why}); delete it and "
                        f"download or copy it again.")


def read_idx(path):
    """Read an IDX file (``.gz`` or raw) into a NumPy array, checking header and size."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise _corrupt(path, error) from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise _corrupt(path, f"bad magic number {raw[:4].hex() or 'empty file'}")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise _corrupt(path, "header cut short")
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    dtype = np.dtype(_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    body = len(raw) - 4 - 4 * ndim
    if body != expected:
        raise _corrupt(path, f"header promises shape {shape} ({expected} bytes) but {body} "
                             f"bytes follow")
    data = np.frombuffer(raw, dtype=dtype, offset=4 + 4 * ndim).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=False) if dtype.itemsize > 1 else data


def write_idx(path, array, compress=None):
    """Write a uint8/int8 array as an IDX file (gzip-compressed if the name ends in .gz)."""
    path = os.fspath(path)
    array = np.ascontiguousarray(array)
    if array.dtype not in _CODES:
        raise TypeError(f"write_idx: only uint8 and int8 arrays, got {array.dtype}")
    header = bytes([0, 0, _CODES[array.dtype], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.tobytes()
    if compress if compress is not None else path.endswith(".gz"):
        payload = gzip.compress(payload)
    with open(path, "wb") as f:
        f.write(payload)
