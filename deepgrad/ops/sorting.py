"""Sorting, selection and order statistics: sort, topk, kthvalue, median, mode, quantile,
unique, searchsorted, histograms, cumulative max/min/product and NaN-ignoring reductions.

A selection (sort, topk, kthvalue, median along a dim, mode, cummax) returns the chosen
values and their int64 indices; its gradient goes back to exactly the chosen elements. Sorts
are stable, so ties keep their input order and the indices are those of PyTorch's
``stable=True``; NaN counts as larger than every number, as in PyTorch.
"""

import builtins
from collections import namedtuple

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.backend import dtypes
from deepgrad.ops import elementwise, reduce, shape
from deepgrad.ops._util import normalize_dims
from deepgrad.ops.index import Gather
from deepgrad.ops.reduce import _expand_back, return_type
from deepgrad.tensor import Tensor, _wrap_dim

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode",
           "quantile", "nanquantile", "unique", "unique_consecutive", "searchsorted",
           "bucketize", "bincount", "histc", "cummax", "cummin", "cumprod", "logcumsumexp",
           "diff", "nanmean", "nansum", "aminmax"]

min_max = namedtuple("aminmax", ["min", "max"])


def _index_tensor(array):
    return Tensor._from_op(np.asarray(array, dtype=np.int64), None)


def _constant(array):
    return Tensor._from_op(np.asarray(array), None)


def _as_vector(input, dim, op):
    """(tensor, axis, was_0d): a 0-d input acts as a 1-element vector along its dim 0 / -1."""
    if input.ndim == 0:
        _wrap_dim(dim, 0, op)
        return input.reshape(1), 0, True
    return input, _wrap_dim(dim, input.ndim, op), False


def _argsort(data, axis, descending):
    """Stable argsort (NaN last when ascending, first when descending); ties keep input order
    both ways: a descending sort is the ascending sort of the reversed slice, reversed."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")
    last = data.shape[axis] - 1
    order = np.argsort(np.flip(data, axis), axis=axis, kind="stable")
    return last - np.flip(order, axis)


class Select(Function):
    """values = x[..., indices, ...] along ``axis``; backward puts each gradient back where
    its value came from (each index appears once per slice)."""

    def forward(self, x, indices, axis, keepdim):
        self.shape, self.indices, self.axis, self.keepdim = x.shape, indices, axis, keepdim
        values = np.take_along_axis(x, indices, axis=axis)
        return values if keepdim else np.squeeze(values, axis)

    def backward(self, grad):
        if not self.keepdim:
            grad = np.expand_dims(grad, self.axis)
        out = np.zeros(self.shape, dtype=grad.dtype)
        np.put_along_axis(out, self.indices, grad, axis=self.axis)
        return out


def _selected(x, indices, axis, keepdim, was_0d, op):
    """The (values, indices) pair of a selection along ``axis``, typed after ``op``."""
    values = Select.apply(x, indices, axis, keepdim)
    if not keepdim:
        indices = np.squeeze(indices, axis)
    if was_0d:
        return return_type(op)(values.reshape(()), _index_tensor(indices.reshape(())))
    return return_type(op)(values, _index_tensor(indices))


# ----- sort, topk, kthvalue -------------------------------------------------------------------


def sort(input, dim=-1, descending=False, stable=False):
    """Sorted values along ``dim`` and the indices they came from (always a stable sort)."""
    if isinstance(dim, bool):  # sort(x, stable=...) spelled positionally is not torch's API
        raise TypeError("sort(): dim must be an int, got a bool")
    x, axis, was_0d = _as_vector(input, dim, "sort")
    order = _argsort(x._data, axis, descending)
    return _selected(x, order, axis, True, was_0d, "sort")


def argsort(input, dim=-1, descending=False, stable=False):
    x, axis, was_0d = _as_vector(input, dim, "argsort")
    order = _argsort(x._data, axis, descending)
    return _index_tensor(order.reshape(()) if was_0d else order)


def msort(input):
    """``sort(input, dim=0).values``."""
    return sort(input, 0).values


def _dim_size(x, axis):
    return x.shape[axis] if x.ndim else 1


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``dim``, in sorted order, with indices;
    among equal values the one earlier in the input comes first."""
    x, axis, was_0d = _as_vector(input, dim, "topk")
    size = x.shape[axis]
    if not isinstance(k, (int, np.integer)) or not 0 <= k <= size:
        raise RuntimeError(f"topk(): selected index k out of range (k = {k}, but dimension "
                           f"{dim} of the input of shape {tuple(input.shape)} has size {size})")
    count = 1 if was_0d else int(k)  # a 0-d input gives its element back even for k = 0
    return _selected(x, _topk_indices(x._data, count, axis, largest), axis, True, was_0d, "topk")


def _topk_indices(data, k, axis, largest):
    """The first k indices of the stable sort, without sorting all n when k is small: an
    argpartition (O(n)) finds the k-th value t; the winners are the elements better than t
    plus the earliest ties with t, and only those k are sorted."""
    size = data.shape[axis]
    if k * 8 > size or size < 512 or (data.dtype.kind == "f" and np.isnan(data).any()):
        return np.take(_argsort(data, axis, largest), np.arange(k), axis=axis)
    rows = np.moveaxis(data, axis, -1)
    kth = size - k if largest else k - 1
    part = np.argpartition(rows, kth, axis=-1)
    columns = part[..., kth:] if largest else part[..., :k]
    threshold = np.take_along_axis(rows, part[..., kth:kth + 1], axis=-1)
    tie = rows == threshold
    winners_tie = np.take_along_axis(rows, columns, axis=-1) == threshold
    if (tie.sum(axis=-1) != winners_tie.sum(axis=-1)).any():
        # some ties with the k-th value were left out: keep the earliest, as a stable sort
        better = rows > threshold if largest else rows < threshold
        needed = k - better.sum(axis=-1, keepdims=True)
        chosen = better | (tie & (np.cumsum(tie, axis=-1) <= needed))
        columns = np.nonzero(chosen)[-1].reshape(rows.shape[:-1] + (k,))
    else:
        columns = np.sort(columns, axis=-1)  # index order, so the value sort keeps it on ties
    values = np.take_along_axis(rows, columns, axis=-1)
    order = _argsort(values, -1, largest)
    return np.moveaxis(np.take_along_axis(columns, order, axis=-1), -1, axis)


def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element (k counts from 1) along ``dim`` and its index."""
    x, axis, was_0d = _as_vector(input, dim, "kthvalue")
    size = x.shape[axis]
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim} "
                           f"(k = {k}, input of shape {tuple(input.shape)})")
    return _selected(x, _kth_indices(x._data, int(k) - 1, axis), axis, keepdim, was_0d, "kthvalue")


def _kth_indices(data, position, axis):
    """Index of the element at ``position`` in sorted order (NaN last), found by partition in
    O(n); among equal values which index is returned is unspecified, as in PyTorch."""
    order = np.argpartition(data, position, axis=axis)
    return np.take(order, [position], axis=axis)


# ----- median and mode ------------------------------------------------------------------------


class MedianAll(Function):
    """The lower median of all elements; the gradient is shared evenly by the elements equal
    to it (PyTorch's evenly_distribute_backward)."""

    def forward(self, x, ignore_nan):
        flat = x.reshape(-1)
        if flat.size == 0:
            if x.dtype.kind != "f":
                raise IndexError("median(): input of shape (0,) and integer dtype has no median")
            return np.full((), np.nan, x.dtype)
        valid = flat.size - int(np.isnan(flat).sum()) if x.dtype.kind == "f" else flat.size
        if ignore_nan:
            position = builtins.max((valid - 1) // 2, 0)
        else:
            position = valid if valid < flat.size else (flat.size - 1) // 2
        self.x = x
        self.out = np.asarray(np.partition(flat, position)[position])
        return self.out

    def backward(self, grad):
        winners = np.isnan(self.x) if np.isnan(self.out) else self.x == self.out
        return np.where(winners, grad / winners.sum(), 0).astype(grad.dtype, copy=False)


def _median(input, dim, keepdim, ignore_nan, op):
    if dim is None:
        return MedianAll.apply(input, ignore_nan)
    x, axis, was_0d = _as_vector(input, dim, op)
    data = x._data
    size = data.shape[axis]
    if size == 0:
        raise IndexError(f"{op}(): Expected reduction dim {dim} to have non-zero size "
                         f"(input of shape {tuple(input.shape)}).")
    if data.dtype.kind != "f" or not np.isnan(data).any():
        return _selected(x, _kth_indices(data, (size - 1) // 2, axis), axis, keepdim, was_0d, op)
    # with NaNs the median's place in sorted order differs from slice to slice
    valid = size - np.isnan(data).sum(axis=axis, keepdims=True)
    if ignore_nan:  # the lower median of the numbers; NaN only when all are NaN
        position = np.maximum((valid - 1) // 2, 0)
    else:  # any NaN makes the median NaN: the first NaN in sorted order
        position = np.where(valid < size, valid, (size - 1) // 2)
    order = _argsort(data, axis, False)
    return _selected(x, np.take_along_axis(order, position, axis), axis, keepdim, was_0d, op)


def median(input, dim=None, keepdim=False):
    """The lower median: the ((n − 1) // 2)-th smallest element (NaN if any is NaN).
    ``median(x)`` is a 0-d tensor; ``median(x, dim)`` a (values, indices) pair."""
    return _median(input, dim, keepdim, False, "median")


def nanmedian(input, dim=None, keepdim=False):
    """median ignoring NaN: the lower median of the non-NaN elements."""
    return _median(input, dim, keepdim, True, "nanmedian")


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest one if several are) and the index
    of its last occurrence."""
    x, axis, was_0d = _as_vector(input, dim, "mode")
    size = x.shape[axis]
    if size == 0:
        raise IndexError(f"mode(): Expected reduction dim {dim} to have non-zero size "
                         f"(input of shape {tuple(input.shape)}).")
    data = np.moveaxis(x._data, axis, -1)
    order = np.argsort(data, axis=-1, kind="stable")
    ranked = np.take_along_axis(data, order, axis=-1)
    same = ranked[..., 1:] == ranked[..., :-1]  # NaN != NaN: each NaN is its own run
    edge = np.ones(data.shape[:-1] + (1,), dtype=bool)
    starts = np.concatenate([edge, ~same], axis=-1)
    ends = np.concatenate([~same, edge], axis=-1)
    position = np.arange(size)
    run_start = np.maximum.accumulate(np.where(starts, position, 0), axis=-1)
    run_length = np.where(ends, position - run_start + 1, 0)
    best = np.argmax(run_length, axis=-1)[..., None]  # the first longest run: smallest value
    indices = np.moveaxis(np.take_along_axis(order, best, axis=-1), -1, axis)
    return _selected(x, indices, axis, keepdim, was_0d, "mode")


# ----- quantile -------------------------------------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_q(q, input, op):
    """q as a 1-D array of the input's dtype, and whether the result drops the q dim."""
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor, got shape "
                               f"{tuple(q.shape)}")
        if q.dtype != input.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor "
                               f"(q {q.dtype}, input {input.dtype})")
        values = q._data.reshape(-1)
        if np.any((values < 0) | (values > 1)):
            raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
        return values, q.ndim == 0
    if not 0 <= q <= 1:
        raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
    return np.asarray([q], dtype=input.dtype), True


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, op):
    """PyTorch's algorithm: sort, rank = q·(n − 1) (n = the non-NaN count for nanquantile,
    rank = n − 1 when quantile sees a NaN), round the rank per ``interpolation``, then
    lerp(sorted[floor(rank)], sorted[ceil(rank)], rank − floor(rank))."""
    if input.dtype not in (dtypes.float32, dtypes.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype, got "
                           f"{input.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest. Got {interpolation}")
    qs, drop_q = _quantile_q(q, input, op)
    if input.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty, got shape "
                           f"{tuple(input.shape)}")
    dtype = input.dtype.type
    if dim is None:
        x = input.reshape(-1)
    else:
        x, axis, _ = _as_vector(input, dim, op)
        x = x.permute([d for d in range(x.ndim) if d != axis] + [axis])
    ordered = sort(x, -1).values  # (*batch, n), NaN last
    data = ordered._data
    batch, size = data.shape[:-1], data.shape[-1]
    nan = np.isnan(data)
    if ignore_nan:
        scale = (size - nan.sum(axis=-1, keepdims=True) - 1).astype(dtype)
        scaled = qs.reshape((-1,) + (1,) * data.ndim) * scale  # (Q, *batch, 1)
        from_q = scaled >= 0  # an all-NaN slice has rank 0
    else:
        scale = dtype(size - 1)
        scaled = qs.reshape((-1,) + (1,) * data.ndim) * scale
        from_q = ~nan.any(axis=-1, keepdims=True)  # a NaN makes the rank n - 1
    ranks = np.where(from_q, scaled, dtype(0) if ignore_nan else scale)
    ranks = np.broadcast_to(ranks, (len(qs),) + batch + (1,)).astype(input.dtype)
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.round(ranks)  # half to even, as torch.round
    below = ranks.astype(np.int64)
    ordered = ordered.unsqueeze(0).expand(len(qs), *batch, size)
    out = Gather.apply(ordered, ordered.ndim - 1, below)
    if interpolation in ("linear", "midpoint"):
        weight = np.full_like(ranks, 0.5) if interpolation == "midpoint" else (
            ranks - below).astype(input.dtype)
        above = Gather.apply(ordered, ordered.ndim - 1, np.ceil(ranks).astype(np.int64))
        weight_t = _constant(weight)
        if interpolation == "linear" and isinstance(q, Tensor) and q.requires_grad:
            # the weight is q·scale − floor(rank): differentiable in q where it came from q
            q_rank = q.reshape((-1,) + (1,) * data.ndim) * _constant(np.asarray(scale, dtype))
            weight_t = elementwise.where(_constant(from_q), q_rank, _constant(ranks)) \
                - _constant(below.astype(input.dtype))
        step = above - out
        out = elementwise.where(_constant(weight < 0.5), out + weight_t * step,
                                above - step * (1 - weight_t))  # torch's lerp
    out = out.squeeze(-1)  # (Q, *batch)
    if keepdim:
        if dim is None:
            out = out.reshape((len(qs),) + (1,) * input.ndim)
        elif input.ndim:
            out = out.unsqueeze(1 + axis)
    return out.reshape(out.shape[1:]) if drop_q else out


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles along ``dim`` (of all elements by default); a 1-D ``q`` puts its
    dim first in the result. NaN if the reduced elements contain NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile ignoring NaN (NaN only where every reduced element is NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


# ----- unique ---------------------------------------------------------------------------------


def _unique_result(values, inverse, counts, return_inverse, return_counts, dtype):
    values = _constant(values.astype(dtype, copy=False))
    if not return_inverse and not return_counts:
        return values
    out = [values]
    if return_inverse:
        out.append(_index_tensor(inverse))
    if return_counts:
        out.append(_index_tensor(counts))
    return tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (or distinct slices along ``dim``) in ascending order; the
    inverse maps each input element (slice) to its place in the result. No gradient."""
    data = input._data
    if dim is None:
        values, inverse, counts = np.unique(data.reshape(-1), return_inverse=True,
                                            return_counts=True, equal_nan=False)
        inverse = inverse.reshape(data.shape)
    else:
        axis = _wrap_dim(dim, input.ndim, "unique")
        if data.shape[axis] == 0:
            values = data
            inverse = counts = np.zeros(0, np.int64)
        else:
            values, inverse, counts = np.unique(data, return_inverse=True, return_counts=True,
                                                axis=axis, equal_nan=False)
            inverse = inverse.reshape(-1)
    return _unique_result(values, inverse, counts, return_inverse, return_counts, data.dtype)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse each run of equal consecutive elements (slices along ``dim``) to one."""
    data = input._data
    if dim is None:
        rows = data.reshape(-1, 1)
    else:
        axis = _wrap_dim(dim, input.ndim, "unique_consecutive")
        moved = np.moveaxis(data, axis, 0)
        rows = moved.reshape(moved.shape[0], -1)
    if rows.shape[0] == 0:
        starts = np.zeros(0, dtype=bool)
    else:
        changed = np.any(rows[1:] != rows[:-1], axis=1)
        starts = np.concatenate([[True], changed])
    inverse = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    counts = np.diff(np.append(first, rows.shape[0]))
    if dim is None:
        values = data.reshape(-1)[first]
        inverse = inverse.reshape(data.shape)
    else:
        values = np.take(data, first, axis=axis)
    return _unique_result(values, inverse, counts, return_inverse, return_counts, data.dtype)


# ----- searchsorted, bucketize, bincount, histc -----------------------------------------------


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """For each value, the index where it would be inserted to keep ``sorted_sequence``
    sorted: the first such place (``side='left'``), or the last (``right=True`` /
    ``side='right'``). A 1-D sequence serves every value; an N-D one holds one sorted row per
    leading index of ``input``."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
        right = side == "right"
    boundaries = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    values = np.asarray(input) if scalar else input._data
    order = None if sorter is None else sorter._data
    if order is not None:
        if order.shape != boundaries.shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {list(boundaries.shape)} and "
                               f"sorter tensor {list(order.shape)}")
        boundaries = np.take_along_axis(boundaries, order, axis=-1)
    if boundaries.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                           "the first N-1 dimensions of boundaries tensor and input value "
                           "tensor must match, but we got boundaries tensor [] ")
    side_name = "right" if right else "left"
    if boundaries.ndim == 1:
        out = np.searchsorted(boundaries, values, side=side_name)
    else:
        if scalar or boundaries.shape[:-1] != values.shape[:-1]:
            raise RuntimeError(
                f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first "
                f"N-1 dimensions of boundaries tensor and input value tensor must match, but "
                f"we got boundaries tensor {list(boundaries.shape)} and input value tensor "
                f"{list(values.shape)}")
        rows = boundaries.reshape(-1, boundaries.shape[-1])
        wanted = values.reshape(rows.shape[0], -1)
        out = np.empty(wanted.shape, dtype=np.int64)
        for r in range(rows.shape[0]):
            out[r] = np.searchsorted(rows[r], wanted[r], side=side_name)
        out = out.reshape(values.shape)
    return Tensor._from_op(np.asarray(out, dtype=np.int32 if out_int32 else np.int64), None)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value among 1-D sorted ``boundaries``: i with
    boundaries[i-1] < x <= boundaries[i] (``right=True``: boundaries[i-1] <= x < boundaries[i])."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries.ndim}) (shape {tuple(boundaries.shape)})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def bincount(input, weights=None, minlength=0):
    """Occurrences of each non-negative integer (the summed ``weights`` if given)."""
    data = input._data
    if data.ndim != 1 or data.dtype.kind not in "iu" or (data.size and data.min() < 0):
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs (got "
                           f"shape {tuple(data.shape)}, dtype {data.dtype}).")
    if minlength < 0:
        raise RuntimeError(f"bincount(): minlength should be >= 0, got {minlength}")
    if weights is None:
        return Tensor._from_op(np.bincount(data, minlength=minlength).astype(np.int64), None)
    w = weights._data
    if w.ndim != 1 or w.shape[0] != data.shape[0]:
        raise RuntimeError(f"bincount(): weights should be 1-d and have the same length as "
                           f"input (input {tuple(data.shape)}, weights {tuple(w.shape)})")
    dtype = dtypes.float32 if w.dtype == dtypes.float32 else dtypes.float64  # torch's rule
    counts = np.bincount(data, weights=w.astype(np.float64), minlength=minlength)
    return Tensor._from_op(counts.astype(dtype), None)


def histc(input, bins=100, min=0, max=0):
    """Counts of the elements in ``bins`` equal-width bins over [min, max] (the data's range
    when min == max); elements outside are ignored, max itself falls in the last bin.
    Bin of x: int((x − min) · bins / (max − min)), in the input's dtype."""
    data = input._data
    if data.dtype.kind != "f":
        raise RuntimeError(f"histc(): input dtype must be floating point, got {data.dtype}")
    if bins <= 0:
        raise RuntimeError(f"histc(): bins must be > 0, but got {bins}")
    low, high = float(min), float(max)
    if low > high:
        raise RuntimeError(f"histc(): max must be larger than min (min {min}, max {max})")
    if low == high and data.size:
        low, high = float(data.min()), float(data.max())
    if low == high:
        low, high = low - 1, high + 1
    if not (np.isfinite(low) and np.isfinite(high)):
        raise RuntimeError(f"histc(): range of [{low}, {high}] is not finite")
    dtype = data.dtype.type
    low, high = dtype(low), dtype(high)
    flat = data.reshape(-1)
    inside = flat[(flat >= low) & (flat <= high)]
    position = ((inside - low) * dtype(bins) / (high - low)).astype(np.int64)
    position[position == bins] = bins - 1
    return Tensor._from_op(np.bincount(position, minlength=bins).astype(data.dtype), None)


# ----- cumulative max / min / product / logsumexp ---------------------------------------------


class RunningSelect(Function):
    """values = x[..., indices, ...] along ``axis`` where indices repeat (cummax's running
    winner); backward adds up the gradients of every output that picked the same element,
    with one bincount over flat positions."""

    def forward(self, x, indices, axis):
        self.shape, self.indices, self.axis = x.shape, indices, axis
        return np.take_along_axis(x, indices, axis=axis)

    def backward(self, grad):
        rows = np.moveaxis(self.indices, self.axis, -1)
        size = rows.shape[-1]
        offsets = np.arange(rows.size // builtins.max(size, 1)).reshape(rows.shape[:-1] + (1,))
        flat = (rows + offsets * size).reshape(-1)
        summed = np.bincount(flat, weights=np.moveaxis(grad, self.axis, -1).reshape(-1),
                             minlength=rows.size)
        return np.moveaxis(summed.reshape(rows.shape), -1, self.axis).astype(grad.dtype)


def _cumulative_extreme(input, dim, op, accumulate):
    """Running max (min) and the index of its latest occurrence; once a NaN is seen the value
    stays NaN and the index follows the latest NaN (PyTorch's rule). The gradient of each
    output goes to the element at its index (added where indices repeat)."""
    x, axis, was_0d = _as_vector(input, dim, op)
    data = x._data
    running = accumulate(data, axis=axis)
    hit = data == running  # where the running value was (re)set
    if data.dtype.kind == "f":
        hit |= np.isnan(data) & np.isnan(running)
    position = np.arange(data.shape[axis]).reshape(
        [-1 if d == axis else 1 for d in range(data.ndim)])
    indices = np.maximum.accumulate(np.where(hit, position, 0), axis=axis)
    values = RunningSelect.apply(x, indices, axis)
    if was_0d:
        return return_type(op)(values.reshape(()), _index_tensor(indices.reshape(())))
    return return_type(op)(values, _index_tensor(indices))


def cummax(input, dim):
    return _cumulative_extreme(input, dim, "cummax", np.maximum.accumulate)


def cummin(input, dim):
    return _cumulative_extreme(input, dim, "cummin", np.minimum.accumulate)


def _reversed_cumsum(a, axis):
    return np.flip(np.cumsum(np.flip(a, axis), axis=axis), axis)


class Cumprod(Function):
    """out_k = ∏_{j≤k} x_j, so dx_i = Σ_{k≥i} g_k ∏_{j≤k, j≠i} x_j. Without zeros that is
    Σ_{k≥i} g_k out_k / x_i. With zeros (first zero of a slice at z): the same formula before
    z, Σ_{k≥z} g_k ∏_{j≤k, j≠z} x_j at z, and 0 after z (every product there has two zeros
    or none depends on x_i)."""

    def forward(self, x, axis):
        self.x, self.axis = x, axis
        self.out = np.cumprod(x, axis=axis, dtype=dtypes.int64 if x.dtype.kind in "iub" else None)
        return self.out

    def backward(self, grad):
        x, out, axis = self.x, self.out, self.axis
        zero = x == 0
        if not zero.any():
            return _reversed_cumsum(grad * out, axis) / x
        seen = np.cumsum(zero, axis=axis)
        before = seen == 0
        first = zero & (seen == 1)
        dx = np.where(before, _reversed_cumsum(grad * out, axis) / np.where(before, x, 1), 0)
        without_first = np.cumprod(np.where(first, 1, x), axis=axis)
        return np.where(first, _reversed_cumsum(grad * without_first, axis), dx)


def cumprod(input, dim, dtype=None):
    """Running product along ``dim`` (integers accumulate in int64)."""
    if dtype is not None:
        input = input.to(dtype)
    if input.ndim == 0:
        _wrap_dim(dim, 0, "cumprod")
        return Cumprod.apply(input.reshape(1), 0).reshape(())
    return Cumprod.apply(input, _wrap_dim(dim, input.ndim, "cumprod"))


class LogCumSumExp(Function):
    """out_k = log Σ_{j≤k} e^{x_j}, accumulated pairwise with logaddexp (no overflow).
    dx_j = Σ_{k≥j} g_k e^{x_j − out_k}, summed in log space separately for g > 0 and g < 0
    (PyTorch's formula) so it neither overflows nor loses the sign."""

    def forward(self, x, axis):
        self.x, self.axis = x, axis
        self.out = np.logaddexp.accumulate(x, axis=axis)
        return self.out

    def backward(self, grad):
        x, out, axis = self.x, self.out, self.axis
        lowest = np.finfo(grad.dtype).min
        with np.errstate(divide="ignore"):
            log_abs = np.log(np.abs(grad))
        positive = np.where(grad > 0, log_abs, lowest)
        negative = np.where(grad < 0, log_abs, lowest)

        def reversed_logcumsumexp(a):
            return np.flip(np.logaddexp.accumulate(np.flip(a, axis), axis=axis), axis)

        with np.errstate(over="ignore", invalid="ignore"):
            return (np.exp(reversed_logcumsumexp(positive - out) + x)
                    - np.exp(reversed_logcumsumexp(negative - out) + x))


def logcumsumexp(input, dim):
    if input.dtype.kind != "f":
        raise RuntimeError(f"logcumsumexp(): expected a floating point input, got {input.dtype}")
    if input.ndim == 0:
        _wrap_dim(dim, 0, "logcumsumexp")
        return LogCumSumExp.apply(input.reshape(1), 0).reshape(())
    return LogCumSumExp.apply(input, _wrap_dim(dim, input.ndim, "logcumsumexp"))


# ----- diff -----------------------------------------------------------------------------------


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """n-th forward difference along ``dim``: out[i] = x[i + 1] − x[i], applied n times, after
    joining ``prepend`` / ``append``; bool tensors use xor."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"diff(): order must be non-negative but got {n}")
    axis = _wrap_dim(dim, input.ndim, "diff")
    if n == 0:  # PyTorch returns the input itself, without prepend/append
        return input
    parts = [input]
    for extra, name in ((prepend, "prepend"), (append, "append")):
        if extra is None:
            continue
        if not isinstance(extra, Tensor):
            raise TypeError(f"diff(): argument '{name}' must be Tensor, not "
                            f"{type(extra).__name__}")
        if extra.ndim != input.ndim:
            raise RuntimeError(f"diff expects prepend or append to be the same dimension as "
                               f"input ({name} {tuple(extra.shape)}, input "
                               f"{tuple(input.shape)})")
        if name == "prepend":
            parts.insert(0, extra)
        else:
            parts.append(extra)
    out = shape.cat(parts, axis) if len(parts) > 1 else input
    later = [slice(None)] * input.ndim
    earlier = [slice(None)] * input.ndim
    later[axis], earlier[axis] = slice(1, None), slice(None, -1)
    later, earlier = tuple(later), tuple(earlier)
    for _ in range(n):
        if out.dtype == dtypes.bool_:
            out = elementwise.logical_xor(out[later], out[earlier])
        else:
            out = out[later] - out[earlier]
    return out


# ----- NaN-ignoring reductions, aminmax -------------------------------------------------------


class NanSum(Function):
    """Σ of the non-NaN elements; the gradient is grad · [x is not NaN] (so an infinite
    upstream gradient, nanmean's 1/0 over an all-NaN slice, gives NaN there, as in PyTorch)."""

    def forward(self, x, axes, keepdim):
        self.present, self.axes, self.keepdim = ~np.isnan(x), axes, keepdim
        return np.asarray(np.where(self.present, x, 0).sum(axis=axes, keepdims=keepdim))

    def backward(self, grad):
        grad = _expand_back(grad, None, self.axes, self.keepdim)
        with np.errstate(invalid="ignore"):
            return grad * self.present


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """sum treating NaN as 0."""
    if input.dtype.kind != "f":
        return reduce.sum(input, dim, keepdim, dtype=dtype)
    out = NanSum.apply(input, normalize_dims(dim, input.ndim, "nansum"), keepdim)
    return out if dtype is None else out.to(dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """mean of the non-NaN elements: nansum / their count."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex "
                           f"dtype but got {input.dtype}")
    present = elementwise.logical_not(elementwise.isnan(input))
    count = reduce.sum(present, dim, keepdim).to(input.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):  # all-NaN slices: 0 / 0
        return nansum(input, dim, keepdim) / count


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) together; like amin/amax, ties share the gradient evenly."""
    empty = input.numel() == 0 if dim is None else _dim_size(
        input, _wrap_dim(dim, input.ndim, "aminmax")) == 0
    if empty:
        raise RuntimeError(f"aminmax(): cannot compute aminmax over an empty dimension as the "
                           f"operation has no identity (input of shape {tuple(input.shape)}).")
    axes = () if dim is None else dim
    return min_max(reduce.amin(input, axes, keepdim), reduce.amax(input, axes, keepdim))
