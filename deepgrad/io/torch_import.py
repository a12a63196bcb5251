"""PyTorch weights → deepgrad tensors, without unpickling anything ourselves.

* ``.safetensors`` (``safetensors.torch.save_file(model.state_dict(), path)``): read directly;
  bfloat16 tensors (which NumPy lacks) are widened to float32.
* ``.pth`` / ``.pt`` / ``.bin`` (``torch.save``): only through torch itself, imported lazily,
  with ``torch.load(weights_only=True)`` — torch's restricted unpickler; a clear error when
  torch is not installed.

The keys stay PyTorch's (``features.0.weight``...), which are deepgrad's too, so
``model.load_state_dict(load_torch_state_dict(path))`` works for models built the same way.
"""

import json
import os
import struct

import numpy as np

from deepgrad.tensor import Tensor

__all__ = ["load_torch_state_dict"]

_PICKLE_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt", ".tar")
_NUMPY_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4",
                 "I16": "<i2", "I8": "i1", "U8": "u1", "U16": "<u2", "U32": "<u4",
                 "U64": "<u8", "BOOL": "?"}


def load_torch_state_dict(path, key=None):
    """A PyTorch ``state_dict`` file as ``{name: deepgrad Tensor}``.

    ``key`` picks a sub-dict of a checkpoint (e.g. ``"model"``); without it a checkpoint that
    holds a ``"state_dict"`` entry is unwrapped automatically.
    """
    path = os.fspath(path)
    if path.endswith(_PICKLE_SUFFIXES):
        state = _torch_load(path)
    else:
        state = _safetensors_state(path)
    if key is not None:
        if key not in state:
            raise KeyError(f"load_torch_state_dict: {path} has no entry {key!r}; its top-level "
                           f"keys are {sorted(map(str, state))[:20]}")
        state = state[key]
    elif isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise RuntimeError(f"load_torch_state_dict: {path} holds a {type(state).__name__}, not "
                           f"a state_dict")
    return {name: value if isinstance(value, Tensor) else _to_tensor(value)
            for name, value in state.items() if _is_array_like(value)}


def _is_array_like(value):
    return isinstance(value, (Tensor, np.ndarray)) or type(value).__name__ == "Tensor"


def _to_tensor(value):
    if isinstance(value, np.ndarray):
        return Tensor._from_op(value, None)
    import torch  # only reached when torch produced the value

    value = value.detach().cpu()
    if value.dtype == torch.bfloat16:
        value = value.float()
    return Tensor._from_op(value.numpy().copy(), None)


def _torch_load(path):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_torch_state_dict: no file at {path}")
    try:
        import torch
    except ImportError:
        raise RuntimeError(
            f"load_torch_state_dict: {path} is a PyTorch pickle file; deepgrad reads those only "
            f"through torch (weights_only=True), which is not installed. Install torch, or "
            f"convert the file where torch is available: "
            f"safetensors.torch.save_file(torch.load(path), 'model.safetensors').") from None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several kinds for damaged or unsafe files
        raise RuntimeError(f"load_torch_state_dict: torch could not load {path} with "
                           f"weights_only=True ({type(error).__name__}: {error}). The file is "
                           f"damaged, or holds more than tensors.") from None


def _safetensors_state(path):
    from deepgrad.io.safetensors import read_safetensors

    try:
        arrays, _ = read_safetensors(path, who="load_torch_state_dict")
    except RuntimeError:
        arrays = _read_with_bfloat16(path)
        if arrays is None:
            raise
    return {k: Tensor._from_op(v, None) for k, v in arrays.items()}


def _read_with_bfloat16(path):
    """The tensors of a safetensors file that holds bfloat16 (NumPy has no such dtype, so the
    numpy loader refuses it): bfloat16 is the top half of a float32, so shifting the 16 bits
    left by 16 gives the exact float32 value. Returns None if the file has no bfloat16."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        (size,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8:8 + size])
    except (struct.error, ValueError):
        return None
    entries = {k: v for k, v in header.items() if k != "__metadata__"}
    if not any(v.get("dtype") == "BF16" for v in entries.values()):
        return None
    body = memoryview(raw)[8 + size:]
    arrays = {}
    for name, entry in entries.items():
        start, stop = entry["data_offsets"]
        chunk = body[start:stop]
        if entry["dtype"] == "BF16":
            bits = np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        elif entry["dtype"] in _NUMPY_DTYPES:
            array = np.frombuffer(chunk, dtype=_NUMPY_DTYPES[entry["dtype"]]).copy()
        else:
            raise RuntimeError(f"load_torch_state_dict: tensor {name} in {path} has dtype "
                               f"{entry['dtype']}, which deepgrad cannot represent")
        arrays[name] = array.reshape(entry["shape"])
    return arrays
