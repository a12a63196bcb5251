"""Tensor creation: zeros, ones, full, arange, linspace, eye, and random draws.

Random functions draw from the one global generator (``manual_seed``) unless given a
``generator``; floating results are float32 unless ``dtype`` says otherwise.
"""

import numpy as np

from deepgrad.backend import dtypes
from deepgrad.backend.random import generator as _rng
from deepgrad.ops._util import sizes_arg
from deepgrad.tensor import Tensor, _check_device


def _make(array, requires_grad=False, device=None):
    _check_device(device)
    out = Tensor._from_op(array, None)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _float_dtype(dtype):
    return dtypes.to_dtype(dtype) or dtypes.default_float


def _check_sizes(sizes, op):
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"{op}: trying to create tensor with negative dimension in {sizes}")
    return sizes


def _size(sizes, size, op):
    """The shape of ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``."""
    if size is not None:
        if sizes:
            raise TypeError(f"{op}() got the size both as positional arguments and as size=")
        sizes = (size,)
    return _check_sizes(sizes_arg(sizes), op)


def zeros(*sizes, size=None, dtype=None, device=None, requires_grad=False, out=None):
    shape = _size(sizes, size, "zeros")
    return _make(np.zeros(shape, _float_dtype(dtype)), requires_grad, device)


def ones(*sizes, size=None, dtype=None, device=None, requires_grad=False, out=None):
    shape = _size(sizes, size, "ones")
    return _make(np.ones(shape, _float_dtype(dtype)), requires_grad, device)


def empty(*sizes, size=None, dtype=None, device=None, requires_grad=False, out=None):
    shape = _size(sizes, size, "empty")
    return _make(np.empty(shape, _float_dtype(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = dtypes.bool_ if isinstance(fill_value, bool) else dtypes.int64 if isinstance(
            fill_value, int) else dtypes.default_float
    shape = _check_sizes(sizes_arg((size,)), "full")
    return _make(np.full(shape, fill_value, dtypes.to_dtype(dtype)), requires_grad, device)


def _like_dtype(input, dtype):
    return dtypes.to_dtype(dtype) or input.dtype


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    return _make(np.zeros(input.shape, _like_dtype(input, dtype)), requires_grad, device)


def ones_like(input, dtype=None, device=None, requires_grad=False):
    return _make(np.ones(input.shape, _like_dtype(input, dtype)), requires_grad, device)


def empty_like(input, dtype=None, device=None, requires_grad=False):
    return _make(np.empty(input.shape, _like_dtype(input, dtype)), requires_grad, device)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    return _make(np.full(input.shape, fill_value, _like_dtype(input, dtype)), requires_grad, device)


def rand_like(input, dtype=None, generator=None, *, device=None, requires_grad=False,
              layout=None, memory_format=None):
    """Uniform [0, 1) samples shaped (and typed, unless ``dtype``) like ``input``."""
    return rand(*input.shape, dtype=_like_dtype(input, dtype), generator=generator,
                device=device, requires_grad=requires_grad)


def randn_like(input, dtype=None, generator=None, *, device=None, requires_grad=False,
               layout=None, memory_format=None):
    """Standard normal samples shaped (and typed, unless ``dtype``) like ``input``."""
    return randn(*input.shape, dtype=_like_dtype(input, dtype), generator=generator,
                 device=device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values start, start+step, ... below end; int64 for integer arguments, else float32."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    dtype = dtypes.to_dtype(dtype) or (dtypes.int64 if integral else dtypes.default_float)
    if integral:
        array = np.arange(start, end, step, dtype=np.int64).astype(dtype)
    else:
        count = int(np.ceil((end - start) / step))
        array = (start + step * np.arange(count, dtype=np.float64)).astype(dtype)
    return _make(array, requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return _make(np.linspace(start, end, int(steps), dtype=np.float64).astype(_float_dtype(dtype)),
                 requires_grad, device)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    return _make(np.logspace(start, end, int(steps), base=base).astype(_float_dtype(dtype)),
                 requires_grad, device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)


def rand(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1)."""
    shape = _size(sizes, size, "rand")
    dtype = _float_dtype(dtype)
    return _make(_rng(generator).random(shape, dtype=np.float64).astype(dtype), requires_grad,
                 device)


def randn(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples."""
    shape = _size(sizes, size, "randn")
    dtype = _float_dtype(dtype)
    return _make(_rng(generator).standard_normal(shape).astype(dtype), requires_grad, device)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Integers uniform in [low, high) (``randint(high, size)`` starts at 0)."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    shape = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    array = _rng(generator).integers(low, high, size=shape, dtype=np.int64)
    return _make(array.astype(dtypes.to_dtype(dtype) or dtypes.int64), requires_grad, device)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    array = _rng(generator).permutation(int(n)).astype(dtypes.to_dtype(dtype) or dtypes.int64)
    return _make(array, requires_grad, device)


def normal(mean, std, size=None, generator=None):
    mean_array = mean._data if isinstance(mean, Tensor) else mean
    std_array = std._data if isinstance(std, Tensor) else std
    shape = size if size is not None else np.broadcast_shapes(np.shape(mean_array),
                                                              np.shape(std_array))
    draw = _rng(generator).standard_normal(shape) * std_array + mean_array
    dtype = mean.dtype if isinstance(mean, Tensor) else dtypes.default_float
    return _make(np.asarray(draw).astype(dtype))


def bernoulli(input, p=None, generator=None):
    probs = input._data if p is None else np.full(input.shape, p)
    return _make((_rng(generator).random(input.shape) < probs).astype(input.dtype))


def multinomial(input, num_samples, replacement=False, generator=None):
    """Draw category indices with probabilities proportional to ``input``'s rows."""
    probs = np.atleast_2d(input._data.astype(np.float64))
    if (probs < 0).any() or not np.isfinite(probs).all():
        raise RuntimeError(
            "multinomial: probability tensor contains either inf, nan or element < 0")
    rows = []
    rng = _rng(generator)
    for row in probs:
        total = row.sum()
        if total <= 0:
            raise RuntimeError(
                "multinomial: invalid probability distribution (sum of probabilities <= 0)")
        rows.append(rng.choice(row.size, size=num_samples, replace=replacement, p=row / total))
    out = np.asarray(rows, dtype=np.int64)
    return _make(out if input.ndim == 2 else out[0])


def from_numpy(array):
    """A tensor sharing memory with a NumPy array (dtype kept)."""
    return _make(np.asarray(array))


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtypes.to_dtype(dtype)):
        return data
    if isinstance(data, np.ndarray) and dtype is None:
        return _make(data)
    return Tensor(data, dtype=dtype)
