"""Reductions over dims (``dim`` an int or tuple, ``keepdim``), softmax and cumulative sums.

The gradient of a reduction is spread back over the reduced elements: evenly for sum and
mean, to the winning elements for max/min, and x̂-shaped for variance.
"""

import builtins
from collections import namedtuple

import numpy as np

from deepgrad.autograd.function import Function, apply_option, apply_options
from deepgrad.backend import dtypes
from deepgrad.ops._util import normalize_dims
from deepgrad.ops.elementwise import _scalar
from deepgrad.tensor import Tensor, _wrap_dim

class values_indices(namedtuple("values_indices", ["values", "indices"])):
    """A (values, indices) pair, as ``torch.return_types.max`` and friends: unpacks like a
    tuple, names its fields, and prints the way torch prints it."""

    __slots__ = ()
    _op = "values_indices"

    def __repr__(self):
        return (f"deepgrad.return_types.{self._op}(\nvalues={self.values!r},\n"
                f"indices={self.indices!r})")


_RETURN_TYPES = {}


def return_type(op):
    """The (values, indices) type named after ``op`` (``type(x.max(1)).__name__ == 'max'``)."""
    cls = _RETURN_TYPES.get(op)
    if cls is None:
        cls = _RETURN_TYPES[op] = type(op, (values_indices,), {"__slots__": (), "_op": op})
    return cls


_ALL_AXES = [tuple(range(n)) for n in range(64)]
_add_reduce, _max_reduce = np.add.reduce, np.maximum.reduce  # ndarray.sum/max: + a Python frame
_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)
_ONE_AXIS = [(n,) for n in range(64)]


def _expand_back(grad, shape, axes, keepdim):
    """Re-insert the reduced axes (as size 1) so ``grad`` broadcasts against the input.
    ``shape`` may be None when the caller only needs the size-1 axes put back."""
    if keepdim or not axes:
        return grad
    ndim = grad.ndim + len(axes)
    kept = list(grad.shape)
    for axis in axes:  # axes are sorted, so inserting in order lands each at its place
        kept.insert(axis, 1)
    return grad.reshape(kept) if len(kept) == ndim else grad


def _spread(grad, shape):
    """``grad`` (with size-1 reduced axes) broadcast to ``shape``: materialised for small
    tensors (np.broadcast_to costs microseconds), a read-only broadcast view for large ones."""
    if grad.shape == shape:
        return grad
    if grad.size == 1 or _numel(shape) <= 65536:
        out = np.empty(shape, grad.dtype)
        out[...] = grad
        return out
    return np.broadcast_to(grad, shape)


def _numel(shape):
    count = 1
    for s in shape:
        count *= s
    return count


class Sum(Function):
    # the input's shape is read from ``parents`` in backward; axes and keepdim are there too
    __slots__ = ()

    def forward(self, x, axes, keepdim):
        dtype = x.dtype
        if dtype is not _FLOAT32 and dtype is not _FLOAT64 and dtype.kind in "iub":
            return _add_reduce(x, axes, dtypes.int64, None, keepdim)
        return _add_reduce(x, axes, None, None, keepdim)  # np.sum's dispatch costs ~1 µs

    def backward(self, grad):
        x, axes, keepdim = self.parents
        shape = x._data.shape
        return _spread(_expand_back(grad, shape, axes, keepdim), shape)


class Mean(Function):
    # the input's shape, axes and keepdim are read from ``parents`` in backward
    __slots__ = ()

    def forward(self, x, axes, keepdim):
        total = _add_reduce(x, axes, None, None, keepdim)
        count = x.size // total.size if total.size else _count(x.shape, axes)
        if count:
            dtype = total.dtype
            if type(total) is np.ndarray and (dtype is _FLOAT32 or dtype is _FLOAT64):
                # in place on the fresh sum, the count as a cached 0-d array of its dtype
                return np.true_divide(total, _scalar(count, dtype), total)
            return total / count  # a Python int divisor keeps float32
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / count  # nan, as PyTorch's mean of nothing

    def backward(self, grad):
        x, axes, keepdim = self.parents
        shape = x._data.shape
        grad = _expand_back(grad, shape, axes, keepdim) / builtins.max(_count(shape, axes), 1)
        return _spread(grad, shape)


def _count(shape, axes):
    count = 1
    for a in axes:
        count *= shape[a]
    return count


class Var(Function):
    """Var = Σ(x − x̄)² / (N − correction); d/dx = 2(x − x̄) / (N − correction)."""

    def forward(self, x, axes, correction, keepdim):
        count = int(np.prod([x.shape[a] for a in axes]))
        self.centered = x - x.mean(axis=axes, keepdims=True)
        self.axes, self.keepdim = axes, keepdim
        self.denominator = builtins.max(count - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.sum(self.centered * self.centered, axis=axes, keepdims=keepdim)
                              / x.dtype.type(self.denominator))

    def backward(self, grad):
        grad = _expand_back(grad, None, self.axes, self.keepdim)
        return grad * self.centered * (2 / self.denominator)


class Extreme(Function):
    """amax / amin: the gradient is shared evenly among the elements that tie for the max."""

    def forward(self, x, axes, keepdim, pick):
        if x.size == 0:
            raise RuntimeError(f"{pick.__name__}: reduction over an empty tensor is not defined")
        self.x, self.axes, self.keepdim = x, axes, keepdim
        self.out = np.asarray(pick(x, axis=axes, keepdims=True))
        return self.out if keepdim else np.asarray(np.squeeze(self.out, axis=axes))

    def backward(self, grad):
        grad = _expand_back(grad, None, self.axes, self.keepdim)
        winners = self.x == self.out
        count = winners.sum(axis=self.axes, keepdims=True)
        return grad * winners / count


class IndexedExtreme(Function):
    """max/min along one dim with indices: the gradient goes to the returned index."""

    def forward(self, x, axis, keepdim, arg):
        self.shape, self.axis, self.keepdim = x.shape, axis, keepdim
        self.indices = np.expand_dims(arg(x, axis=axis), axis)
        values = np.take_along_axis(x, self.indices, axis=axis)
        return values if keepdim else np.squeeze(values, axis=axis)

    def backward(self, grad):
        if not self.keepdim:
            grad = np.expand_dims(grad, self.axis)
        out = np.zeros(self.shape, dtype=grad.dtype)
        np.put_along_axis(out, self.indices, grad, axis=self.axis)
        return out


class Prod(Function):
    """Product; the gradient of each factor is the product of all the others."""

    def forward(self, x, axis, keepdim):
        self.x, self.axis, self.keepdim = x, axis, keepdim
        return np.asarray(np.prod(x, axis=axis, keepdims=keepdim))

    def backward(self, grad):
        x, axis = self.x, self.axis
        if axis is None:
            flat = x.reshape(-1)
            return (grad * _others_product(flat, 0)).reshape(x.shape)
        if not self.keepdim:
            grad = np.expand_dims(grad, axis)
        return grad * _others_product(x, axis)


def _others_product(x, axis):
    """∏_{j≠i} x_j along ``axis`` without dividing (correct when some x_j are 0)."""
    ones = np.ones_like(np.take(x, [0], axis=axis))
    left = np.cumprod(np.concatenate([ones, np.delete(x, -1, axis=axis)], axis=axis), axis=axis)
    flipped = np.flip(x, axis=axis)
    right = np.flip(np.cumprod(np.concatenate([ones, np.delete(flipped, -1, axis=axis)],
                                              axis=axis), axis=axis), axis=axis)
    return left * right


class LogSumExp(Function):
    """log Σ e^x computed as m + log Σ e^(x − m) so large inputs don't overflow."""

    def forward(self, x, axes, keepdim):
        m = np.max(x, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        shifted = np.exp(x - m)
        total = np.sum(shifted, axis=axes, keepdims=True)
        out = np.log(total) + m
        self.softmax, self.axes, self.keepdim = shifted / total, axes, keepdim
        return out if keepdim else np.squeeze(out, axis=axes)

    def backward(self, grad):
        return _expand_back(grad, None, self.axes, self.keepdim) * self.softmax


class Softmax(Function):
    """softmax(x)_i = e^(x_i − max) / Σ_j e^(x_j − max); dx = s ⊙ (g − Σ g ⊙ s)."""

    __slots__ = ("out", "axis")

    def forward(self, x, axis):
        out = np.subtract(x, _max_reduce(x, axis, None, None, True))  # (0-d: given 1-d)
        np.exp(out, out)
        out /= _add_reduce(out, axis, None, None, True)
        self.out, self.axis = out, axis
        return out

    def backward(self, grad):
        s = self.out
        dx = grad * s
        dx -= s * dx.sum(self.axis, None, None, True)
        return dx


class LogSoftmax(Function):
    """log_softmax(x) = x − logsumexp(x); dx = g − softmax ⊙ Σ g."""

    __slots__ = ("out", "axis")

    def forward(self, x, axis):
        out = np.subtract(x, _max_reduce(x, axis, None, None, True))
        total = _add_reduce(np.exp(out), axis, None, None, True)
        np.subtract(out, np.log(total, total), out)
        self.out, self.axis = out, axis
        return out

    def backward(self, grad):
        dx = np.exp(self.out)
        dx *= grad.sum(self.axis, None, None, True)
        return np.subtract(grad, dx, out=dx)


class Cumsum(Function):
    def forward(self, x, axis):
        self.axis = axis
        return np.cumsum(x, axis=axis, dtype=dtypes.int64 if x.dtype.kind in "iub" else None)

    def backward(self, grad):
        return np.flip(np.cumsum(np.flip(grad, self.axis), axis=self.axis), self.axis)


class Norm(Function):
    """p-norm (Σ|x|^p)^(1/p); the gradient is 0 where the norm is 0 (PyTorch's choice)."""

    def forward(self, x, p, axes, keepdim):
        self.x, self.p, self.axes, self.keepdim = x, p, axes, keepdim
        a = np.abs(x)
        if p == np.inf:
            out = np.max(a, axis=axes, keepdims=True)
        elif p == 2:
            out = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))
        elif p == 1:
            out = np.sum(a, axis=axes, keepdims=True)
        else:
            out = np.sum(a ** p, axis=axes, keepdims=True) ** (1.0 / p)
        self.out = out
        return out if keepdim else np.squeeze(out, axis=axes)

    def backward(self, grad):
        x, p, out = self.x, self.p, self.out
        grad = _expand_back(grad, None, self.axes, self.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == np.inf:
                winners = np.abs(x) == out
                local = np.sign(x) * winners / winners.sum(axis=self.axes, keepdims=True)
            elif p == 2:
                local = np.where(out == 0, 0, x / out)
            elif p == 1:
                local = np.sign(x)
            else:
                local = np.where(out == 0, 0, np.sign(x) * np.abs(x) ** (p - 1) / out ** (p - 1))
        return (grad * local).astype(x.dtype, copy=False)


# ----- public functions ----------------------------------------------------------------------


def _check_float(x, op):
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"{op}(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {x.dtype}")


def _axes(input, dim, op):
    """``dim`` as a sorted tuple of axes; the common cases (None, an in-range int) inline."""
    ndim = input._data.ndim
    if dim is None:
        return _ALL_AXES[ndim]
    if type(dim) is int and -ndim <= dim < ndim:
        return _ONE_AXIS[dim if dim >= 0 else dim + ndim]
    return normalize_dims(dim, ndim, op)


def sum(input, dim=None, keepdim=False, dtype=None):
    out = apply_options(Sum, input, _axes(input, dim, "sum"), keepdim)
    return out if dtype is None else out.to(dtype)


def mean(input, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    dtype = input._data.dtype
    if dtype is not _FLOAT32 and dtype is not _FLOAT64 and dtype.kind != "f":
        _check_float(input, "mean")
    return apply_options(Mean, input, _axes(input, dim, "mean"), keepdim)


def _correction(correction, unbiased):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance with Bessel's correction by default (``correction=1``), as in PyTorch."""
    if isinstance(dim, bool):  # var(x, False): the positional 'unbiased' of the old signature
        unbiased, dim = dim, None
    _check_float(input, "var")
    return Var.apply(input, normalize_dims(dim, input.ndim, "var"),
                     _correction(correction, unbiased), keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction).sqrt()


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def amax(input, dim=(), keepdim=False):
    return Extreme.apply(input, normalize_dims(dim, input.ndim, "amax"), keepdim, np.max)


def amin(input, dim=(), keepdim=False):
    return Extreme.apply(input, normalize_dims(dim, input.ndim, "amin"), keepdim, np.min)


def _max_or_min(input, dim, keepdim, other, name, extreme, arg):
    if isinstance(dim, Tensor) or other is not None:
        from deepgrad.ops.elementwise import maximum, minimum

        return (maximum if name == "max" else minimum)(input, dim if other is None else other)
    if dim is None:
        return Extreme.apply(input, tuple(range(input.ndim)), False, extreme)
    axis = _wrap_dim(dim, input.ndim, name)
    if input.shape and input.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size")
    values = IndexedExtreme.apply(input, axis, keepdim, arg)
    indices = np.expand_dims(arg(input._data, axis=axis), axis) if keepdim else arg(
        input._data, axis=axis)
    return return_type(name)(values, Tensor._from_op(np.asarray(indices, dtype=np.int64),
                                                    None))


def max(input, dim=None, keepdim=False, *, other=None):
    """``max(x)`` the largest element; ``max(x, dim)`` a (values, indices) pair; ``max(x, y)``
    the elementwise maximum."""
    return _max_or_min(input, dim, keepdim, other, "max", np.max, np.argmax)


def min(input, dim=None, keepdim=False, *, other=None):
    return _max_or_min(input, dim, keepdim, other, "min", np.min, np.argmin)


def _arg(input, dim, keepdim, fn, name):
    if dim is None:
        index = fn(input._data.reshape(-1))
        result = np.asarray(index, dtype=np.int64)
        return Tensor._from_op(result.reshape((1,) * input.ndim) if keepdim else result, None)
    axis = _wrap_dim(dim, input.ndim, name)
    return Tensor._from_op(np.asarray(fn(input._data, axis=axis, keepdims=keepdim),
                                      dtype=np.int64), None)


def argmax(input, dim=None, keepdim=False):
    return _arg(input, dim, keepdim, np.argmax, "argmax")


def argmin(input, dim=None, keepdim=False):
    return _arg(input, dim, keepdim, np.argmin, "argmin")


def prod(input, dim=None, keepdim=False, dtype=None):
    axis = None if dim is None else _wrap_dim(dim, input.ndim, "prod")
    out = Prod.apply(input, axis, keepdim)
    return out if dtype is None else out.to(dtype)


def logsumexp(input, dim, keepdim=False):
    return LogSumExp.apply(input, normalize_dims(dim, input.ndim, "logsumexp"), keepdim)


def _softmax_dim(input, dim, op):
    if type(dim) is int and -1 <= dim < input._data.ndim:
        return dim % input._data.ndim if input._data.ndim else 0
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit choice
    return _wrap_dim(dim, input.ndim, op)


def softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    axis = _softmax_dim(input, dim, "softmax")
    if input._data.ndim == 0:
        return Softmax.apply(input.reshape(1), 0).reshape(())
    return apply_option(Softmax, input, axis)


def log_softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    axis = _softmax_dim(input, dim, "log_softmax")
    if input._data.ndim == 0:
        return LogSoftmax.apply(input.reshape(1), 0).reshape(())
    return apply_option(LogSoftmax, input, axis)


def cumsum(input, dim, dtype=None):
    if input.ndim == 0:
        _wrap_dim(dim, 0, "cumsum")
        out = Cumsum.apply(input.reshape(1), 0).reshape(())
        return out if dtype is None else out.to(dtype)
    out = Cumsum.apply(input, _wrap_dim(dim, input.ndim, "cumsum"))
    return out if dtype is None else out.to(dtype)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The p-norm over ``dim`` (all elements by default); 'fro' is the 2-norm."""
    if p == "fro" or p is None:
        p = 2
    if p == "nuc":
        raise NotImplementedError("norm: the nuclear norm is not supported")
    _check_float(input, "norm")
    return Norm.apply(input, float(p), normalize_dims(dim, input.ndim, "norm"), keepdim)


def all(input, dim=None, keepdim=False):
    axis = None if dim is None else _wrap_dim(dim, input.ndim, "all")
    return Tensor._from_op(np.asarray(np.all(input._data, axis=axis, keepdims=keepdim)), None)


def any(input, dim=None, keepdim=False):
    axis = None if dim is None else _wrap_dim(dim, input.ndim, "any")
    return Tensor._from_op(np.asarray(np.any(input._data, axis=axis, keepdims=keepdim)), None)


def count_nonzero(input, dim=None):
    return Tensor._from_op(np.asarray(np.count_nonzero(input._data, axis=dim), dtype=np.int64),
                           None)
