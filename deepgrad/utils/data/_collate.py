"""Turning a list of samples into a batch (PyTorch's ``default_collate``/``default_convert``)."""

import collections.abc

import numpy as np

from deepgrad.tensor import Tensor

__all__ = ["default_collate", "default_convert"]


def default_collate(batch):
    """Stack a list of samples into one batch, keeping the samples' structure.

    * tensors / NumPy arrays → one tensor with a new leading batch dimension
    * Python ints → int64 tensor, floats → float64 tensor, bools → bool tensor
      (NumPy scalars keep their dtype)
    * strings → the list as is
    * dicts → dict of collated values; namedtuples → namedtuple of collated fields;
      tuples and lists → a list of collated fields (PyTorch turns tuples into lists too)
    """
    if not isinstance(batch, (list, tuple)) or len(batch) == 0:
        raise TypeError(f"default_collate: expected a non-empty list of samples, got "
                        f"{type(batch).__name__}")
    first = batch[0]
    if isinstance(first, Tensor):
        shapes = {tuple(b.shape) for b in batch}
        if len(shapes) != 1:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, "
                               f"got shapes {sorted(shapes)}")
        return Tensor._from_op(np.stack([b._data for b in batch]), None)
    if isinstance(first, np.ndarray) and first.dtype.kind not in "USO":
        shapes = {b.shape for b in batch}
        if len(shapes) != 1:
            raise RuntimeError(f"default_collate: stack expects each array to be equal size, "
                               f"got shapes {sorted(shapes)}")
        return Tensor._from_op(np.stack(batch), None)
    if isinstance(first, np.generic) and first.dtype.kind not in "USO":
        return Tensor._from_op(np.array(batch), None)
    if isinstance(first, bool):
        return Tensor._from_op(np.array(batch, dtype=np.bool_), None)
    if isinstance(first, int):
        return Tensor._from_op(np.array(batch, dtype=np.int64), None)
    if isinstance(first, float):
        return Tensor._from_op(np.array(batch, dtype=np.float64), None)
    if isinstance(first, (str, bytes)):
        return batch
    if isinstance(first, collections.abc.Mapping):
        return {key: default_collate([b[key] for b in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        size = len(first)
        if any(len(b) != size for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                    f"or lists; found {type(first).__name__}")


def default_convert(data):
    """What the loader does to samples when automatic batching is off: NumPy arrays become
    tensors, containers are converted element by element, anything else is left as is."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "USO":
        return Tensor._from_op(data, None)
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data
