"""Checkpoints in the safetensors format plus JSON metadata — never pickle.

``save(obj, path)`` accepts a Tensor or nested dicts/lists/tuples of tensors, NumPy arrays,
numbers, strings, bools and None (a state_dict, an optimizer state_dict, a training
checkpoint). Tensors go into the safetensors body under generated keys; the nesting goes into
the header metadata as JSON. Loading such a file cannot run code. Writes are atomic: a temporary
file in the same folder is fsynced and renamed over the target, so a crash mid-save leaves the
previous file intact.
"""

import json
import os
import tempfile

import numpy as np

from deepgrad.tensor import Tensor

__all__ = ["save", "load", "load_torch_state_dict", "atomic_write_safetensors"]

_FORMAT = "deepgrad/1"


def _encode(obj, arrays):
    if isinstance(obj, Tensor) or isinstance(obj, np.ndarray):
        array = obj._data if isinstance(obj, Tensor) else obj
        key = f"t{len(arrays)}"
        arrays[key] = np.ascontiguousarray(array)
        return {"__tensor__": key, "ndarray": not isinstance(obj, Tensor),
                "shape": list(array.shape)}
    if isinstance(obj, dict):
        items = [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]
        return {"__dict__": items}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays) for v in obj]
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        if isinstance(obj, float) and not np.isfinite(obj):
            return {"__float__": repr(obj)}
        return obj
    raise TypeError(f"deepgrad.save: cannot store an object of type {type(obj).__name__} "
                    f"(only tensors, arrays, numbers, strings, None and dict/list/tuple of them)")


def _decode(node, arrays):
    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    if isinstance(node, dict):
        if "__tensor__" in node:
            array = arrays[node["__tensor__"]].reshape(node.get("shape", -1))
            return array if node.get("ndarray") else Tensor._from_op(array, None)
        if "__dict__" in node:
            return {_decode(k, arrays): _decode(v, arrays) for k, v in node["__dict__"]}
        if "__tuple__" in node:
            return tuple(_decode(v, arrays) for v in node["__tuple__"])
        if "__float__" in node:
            return float(node["__float__"])
    return node


def atomic_write_safetensors(path, arrays, metadata):
    """Write ``arrays`` (name -> array) with string ``metadata`` to ``path`` atomically."""
    from safetensors.numpy import save

    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    payload = save(arrays, metadata=metadata)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".safetensors")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save(obj, path):
    """Save tensors (and their nesting) to ``path`` in the safetensors format."""
    arrays = {}
    structure = _encode(obj, arrays)
    atomic_write_safetensors(path, arrays, {"format": _FORMAT, "structure": json.dumps(structure)})


def _read(path):
    from safetensors import SafetensorError, safe_open
    from safetensors.numpy import load_file

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"deepgrad.load: no file at {path}")
    try:
        with safe_open(path, framework="np") as f:
            metadata = f.metadata() or {}
        arrays = load_file(path)  # (safe_open's get_tensor turns 0-d tensors into shape (1,))
    except (SafetensorError, OSError, ValueError) as error:
        raise RuntimeError(
            f"deepgrad.load: {path} is not a readable safetensors file ({error}). It is corrupt "
            f"or was not written by deepgrad.save / safetensors; deepgrad never unpickles files "
            f"(for a PyTorch .pth use deepgrad.io.load_torch_state_dict).") from None
    return arrays, metadata


def load(path, map_location=None, weights_only=True):
    """Load what ``save`` wrote (a plain safetensors file loads as a dict of tensors)."""
    arrays, metadata = _read(path)
    if "structure" not in metadata:
        return {key: Tensor._from_op(array, None) for key, array in arrays.items()}
    try:
        structure = json.loads(metadata["structure"])
    except json.JSONDecodeError as error:
        raise RuntimeError(f"deepgrad.load: {path} has corrupt metadata ({error})") from None
    return _decode(structure, arrays)


def load_torch_state_dict(path):
    """A PyTorch state_dict as deepgrad tensors: from safetensors directly, from ``.pth``/``.pt``
    only through torch (``weights_only=True``) when torch is installed."""
    path = os.fspath(path)
    if path.endswith((".pth", ".pt", ".bin")):
        try:
            import torch
        except ImportError:
            raise RuntimeError(f"{path} is a PyTorch pickle file; deepgrad reads it only through "
                               f"torch, which is not installed. Convert it to safetensors with "
                               f"safetensors.torch.save_file(state_dict, 'model.safetensors').") \
                from None
        state = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        return {k: Tensor._from_op(v.detach().cpu().numpy().copy(), None)
                for k, v in state.items()}
    arrays, _ = _read(path)
    return {k: Tensor._from_op(v, None) for k, v in arrays.items()}
