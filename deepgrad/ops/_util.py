"""Helpers shared by the ops: broadcasting gradients back, dims, argument checks."""

import numpy as np

from deepgrad.tensor import Tensor, _wrap_dim

_CONSTANTS = {}


def const(value, dtype):
    """A cached 0-d array: NumPy 2 converts a Python scalar operand on every ufunc call,
    which costs as much as the ufunc on a small array."""
    key = (value, dtype)
    array = _CONSTANTS.get(key)
    if array is None:
        array = _CONSTANTS[key] = np.full((), value, dtype)
        array.flags.writeable = False
    return array


_ONES = {}


def column_sums(rows):
    """``rows.sum(axis=0)`` of a 2-D float array as one GEMV, ``ones(N) @ rows``: BLAS reads
    the rows once, ~10x faster than NumPy's axis-0 reduction (linear's bias gradient)."""
    key = (rows.shape[0], rows.dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 64:  # one vector per batch size seen; keep the cache small
            _ONES.clear()
        ones = _ONES[key] = np.ones(rows.shape[0], rows.dtype)
        ones.flags.writeable = False
    return ones @ rows


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: the gradient of an operand that was broadcast."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1)
    grad = grad.sum(axis=axes, keepdims=True) if axes else grad
    return grad.reshape(shape)


def broadcast_shape(op, *shapes):
    """The broadcast of ``shapes``, or an error naming the op and the shapes."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        shown = " and ".join(str(tuple(s)) for s in shapes)
        raise RuntimeError(
            f"{op}: shapes {shown} cannot be broadcast together (sizes must match or be 1 in "
            f"each trailing dimension)") from None


def normalize_dims(dim, ndim, op):
    """``dim`` (None, int or tuple) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if ndim == 0:  # dim 0 or -1 of a 0-d tensor names the tensor itself: nothing to reduce
        for d in (dim if isinstance(dim, (list, tuple)) else (dim,)):
            _wrap_dim(d, 0, op)
        return ()
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return tuple(range(ndim))
        axes = tuple(sorted(_wrap_dim(d, ndim, op) for d in dim))
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
        return axes
    return (_wrap_dim(dim, ndim, op),)


def as_tensor_arg(x, like=None):
    """Tensors pass through; Python numbers stay numbers (weak scalars); arrays become tensors."""
    if isinstance(x, Tensor) or isinstance(x, (bool, int, float)):
        return x
    if isinstance(x, np.generic):
        return x.item()
    return Tensor(x)


def sizes_arg(sizes):
    """Accept ``f(2, 3)`` as well as ``f((2, 3))`` for shape arguments."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return tuple(int(s) for s in sizes)
