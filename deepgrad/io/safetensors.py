"""``save``/``load``: any nesting of tensors and plain values in one safetensors file.

The file is a standard safetensors file (written by the ``safetensors`` package): every tensor
or NumPy array is stored under its path in the object (``"fc.weight"`` for a state_dict entry,
``"optimizer.state.0.exp_avg"`` inside a checkpoint), so torch reads a saved state_dict with
``safetensors.torch.load_file`` under its own names; the nesting around the tensors —
dicts (any hashable JSON-able keys), lists, tuples, numbers, strings, bools, None — is kept as
JSON in the header metadata under ``"structure"``. Loading parses JSON and arrays only, so it
cannot run code (unlike pickle).

JSON node kinds of ``"structure"``::

    {"__tensor__": "t3", "shape": [...], "ndarray": false}   a Tensor (or NumPy array)
    {"__dict__": [[key, value], ...]}                           a dict, insertion order and
                                                                key types (int, str...) kept
    {"__tuple__": [...]}                                        a tuple
    [...]                                                       a list
    {"__float__": "inf" | "-inf" | "nan"}                       a non-finite float
    null / true / 3 / 0.5 / "s"                                 itself
"""

import json
import math
import os
import struct
import tempfile

import numpy as np

from deepgrad.tensor import Tensor

__all__ = ["save", "load", "atomic_write_safetensors", "read_safetensors", "FORMAT"]

FORMAT = "deepgrad/1"


def _tensor_name(path, arrays):
    """The tensor's key in the file: its path in the structure ("model.fc.weight"), so a saved
    state_dict reads in torch (``safetensors.torch.load_file``) under PyTorch's own names."""
    name = ".".join(path) or "tensor"
    candidate, n = name, 1
    while candidate in arrays:
        candidate, n = f"{name}#{n}", n + 1
    return candidate


def _encode(obj, arrays, memo, path=()):
    if isinstance(obj, (Tensor, np.ndarray)):
        is_tensor = isinstance(obj, Tensor)
        array = obj._data if is_tensor else obj
        if array.dtype.kind not in "biuf":
            raise TypeError(f"deepgrad.save: cannot store an array of dtype {array.dtype} "
                            f"(only bool, integer and floating dtypes)")
        key = memo.get(id(obj))
        if key is None:  # the same tensor twice is stored once
            key = memo[id(obj)] = _tensor_name(path, arrays)
            arrays[key] = np.ascontiguousarray(array)
        return {"__tensor__": key, "shape": list(array.shape), "ndarray": not is_tensor}
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, arrays, memo, path + ("key",)),
                              _encode(v, arrays, memo, path + (str(k),))]
                             for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays, memo, path + (str(i),))
                              for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, arrays, memo, path + (str(i),)) for i, v in enumerate(obj)]
    if isinstance(obj, (np.bool_, np.integer, np.floating)):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    raise TypeError(f"deepgrad.save: cannot store an object of type {type(obj).__name__} "
                    f"(only tensors, NumPy arrays, numbers, strings, bools, None and "
                    f"dicts/lists/tuples of them)")


def _decode(node, arrays, memo):
    if isinstance(node, list):
        return [_decode(v, arrays, memo) for v in node]
    if not isinstance(node, dict):
        return node
    if "__tensor__" in node:
        key = node["__tensor__"]
        cache_key = (key, bool(node.get("ndarray")))
        if cache_key not in memo:
            array = arrays[key].reshape(node["shape"])  # safetensors may widen 0-d to (1,)
            memo[cache_key] = array if node.get("ndarray") else Tensor._from_op(array, None)
        return memo[cache_key]
    if "__dict__" in node:
        return {_freeze(_decode(k, arrays, memo)): _decode(v, arrays, memo)
                for k, v in node["__dict__"]}
    if "__tuple__" in node:
        return tuple(_decode(v, arrays, memo) for v in node["__tuple__"])
    if "__float__" in node:
        return float(node["__float__"])
    raise ValueError(f"unknown node {sorted(node)}")


def _freeze(key):
    # a tuple key whose items were lists in JSON comes back hashable
    return tuple(_freeze(k) for k in key) if isinstance(key, (list, tuple)) else key


def _write_all(f, payload):
    f.write(payload)


def atomic_write_safetensors(path, arrays, metadata=None):
    """Write ``arrays`` (name → array) with string ``metadata`` to ``path`` atomically.

    The bytes go to a temporary file in the same folder, which is flushed, fsynced and then
    renamed over ``path`` (``os.replace`` is atomic on POSIX and Windows): a crash or error at
    any point leaves either the old file or the new one, never a mixture.
    """
    from safetensors.numpy import save as _serialize

    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    payload = _serialize(arrays, metadata=metadata)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            _write_all(f, payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    try:  # make the rename itself durable; not possible on every platform
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def save(obj, f):
    """Save ``obj`` to ``f`` — a path (written atomically) or a binary file object — in the
    safetensors format.

    ``obj``: a Tensor, or dicts/lists/tuples nesting tensors, NumPy arrays, numbers, strings,
    bools and None — a model's ``state_dict()``, an optimizer's, a whole training checkpoint.
    ``deepgrad.load`` gives back the same structure (tensors as plain tensors, not Parameters).
    """
    arrays = {}
    structure = _encode(obj, arrays, {})
    metadata = {"format": FORMAT, "structure": json.dumps(structure, allow_nan=False)}
    if hasattr(f, "write"):
        from safetensors.numpy import save as _serialize

        f.write(_serialize(arrays, metadata=metadata))
        return
    atomic_write_safetensors(f, arrays, metadata)


def _read_buffer(f):
    """``(arrays, metadata)`` from a binary file object holding a safetensors payload."""
    from safetensors import SafetensorError
    from safetensors.numpy import load as _deserialize

    payload = f.read()
    try:
        (size,) = struct.unpack("<Q", payload[:8])
        header = json.loads(payload[8:8 + size])
        arrays = _deserialize(payload)
    except (SafetensorError, struct.error, ValueError, TypeError) as error:
        raise RuntimeError(f"deepgrad.load: the buffer is not a readable safetensors payload "
                           f"({error}); deepgrad never unpickles data.") from None
    return arrays, header.get("__metadata__") or {}


def read_safetensors(path, who="deepgrad.load"):
    """``(arrays, metadata)`` of a safetensors file, with clear errors for bad files."""
    from safetensors import SafetensorError, safe_open
    from safetensors.numpy import load_file

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{who}: no file at {path}; check the path (and that the save "
                                f"finished: deepgrad writes files only once complete).")
    try:
        with safe_open(path, framework="np") as handle:
            metadata = handle.metadata() or {}
        arrays = load_file(path)  # (safe_open's get_tensor widens 0-d tensors to shape (1,))
    except (SafetensorError, OSError, ValueError, TypeError) as error:
        hint = _what_is_it(path)
        raise RuntimeError(
            f"{who}: {path} is not a readable safetensors file ({error}).{hint} deepgrad never "
            f"unpickles files; a file cut short or damaged must be saved again.") from None
    return arrays, metadata


def _what_is_it(path):
    with open(path, "rb") as f:
        head = f.read(8)
    if head[:2] == b"PK":
        return (" It looks like a PyTorch .pth/.pt (zip) file: read it with "
                "deepgrad.io.load_torch_state_dict, which uses torch when installed.")
    if head[:1] == b"\x80":
        return " It looks like a pickle file, which deepgrad does not load."
    return ""


def load(f, map_location=None, weights_only=True):
    """Load what ``save`` wrote. A plain safetensors file (say, from
    ``safetensors.torch.save_file``) loads as a dict of tensors. ``map_location`` and
    ``weights_only`` are accepted for PyTorch compatibility (loading is always weights-only)."""
    arrays, metadata = _read_buffer(f) if hasattr(f, "read") else read_safetensors(f)
    if "structure" not in metadata:
        return {key: Tensor._from_op(array, None) for key, array in arrays.items()}
    try:
        structure = json.loads(metadata["structure"])
        return _decode(structure, arrays, {})
    except (ValueError, KeyError, TypeError) as error:
        where = "the buffer" if hasattr(f, "read") else os.fspath(f)
        raise RuntimeError(f"deepgrad.load: {where} has a damaged 'structure' entry "
                           f"in its metadata ({type(error).__name__}: {error}); save the "
                           f"object again.") from None
