"""3-d pooling over (N, C, D, H, W) (or unbatched (C, D, H, W)): max, average, adaptive
average and adaptive max, and max unpooling.

Windows are read as one strided slice per kernel offset (as ``conv3d``). Output size per
spatial dim: O = ⌊(L + 2P − Dil·(K − 1) − 1)/S⌋ + 1 (⌈…⌉ with ``ceil_mode``, dropping a last
window that would start in the right padding). Max keeps the first maximum of each window and
backward routes the gradient there; average divides by the window size (with or without the
padding, ``count_include_pad``) and backward spreads g/size over the window. Adaptive average
is separable: one averaging matrix per dim, A[o, l] = 1/|bin o| on bin o = [⌊oL/O⌋, ⌈(o+1)L/O⌉).
"""

import itertools

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.tensor import Tensor

__all__ = ["max_pool3d", "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
           "max_unpool3d", "max_pool3d_with_indices", "adaptive_max_pool3d_with_indices"]


def _triple(value, name, op):
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = tuple(value) * 3
        if len(value) != 3:
            raise RuntimeError(f"{op}: {name} must either be a single int, or a tuple of three "
                               f"ints, got {tuple(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * 3


def _output_size(length, k, s, p, d, ceil_mode):
    span = length + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= length + p:
        out -= 1
    return out


def _windows(op, x, kernel, stride, padding, dilation, ceil_mode):
    if min(kernel) <= 0:
        raise RuntimeError(f"{op}: kernel_size must be greater than zero, got {kernel}")
    if min(stride) <= 0:
        raise RuntimeError(f"{op}: stride should be greater than zero, but got {stride}")
    sizes = tuple(_output_size(length, k, s, p, d, ceil_mode) for length, k, s, p, d in
                  zip(x.shape[2:], kernel, stride, padding, dilation))
    if min(sizes) <= 0:
        raise RuntimeError(f"{op}: Given input size: {tuple(x.shape[1:])}. Calculated output "
                           f"size: {(x.shape[1],) + sizes}. Output size is too small")
    return sizes


def _pad_for(sizes, kernel, stride, padding, dilation, lengths):
    """Left/right padding so that every window lies inside the padded array."""
    widths = []
    for o, k, s, p, d, length in zip(sizes, kernel, stride, padding, dilation, lengths):
        need = (o - 1) * s + d * (k - 1) + 1
        widths.append((p, max(need - length - p, 0)))
    return widths


def _slices(offset, dilation, stride, sizes):
    return tuple(slice(k * d, k * d + s * (o - 1) + 1, s)
                 for k, d, s, o in zip(offset, dilation, stride, sizes))


class MaxPoolNd(Function):
    def forward(self, x, kernel, stride, padding, dilation, sizes):
        n, c = x.shape[:2]
        lengths = x.shape[2:]
        widths = _pad_for(sizes, kernel, stride, padding, dilation, lengths)
        padded = np.pad(x, [(0, 0), (0, 0)] + widths, constant_values=-np.inf)
        best = np.full((n, c) + sizes, -np.inf, dtype=x.dtype)
        where = np.zeros((n, c) + sizes, dtype=np.int64)
        grids = np.meshgrid(*(np.arange(o) for o in sizes), indexing="ij")
        for offset in itertools.product(*(range(k) for k in kernel)):
            view = padded[(slice(None),) * 2 + _slices(offset, dilation, stride, sizes)]
            better = (view > best) | (np.isnan(view) & ~np.isnan(best))
            if better.any():
                flat = np.zeros(sizes, dtype=np.int64)
                for axis, grid in enumerate(grids):
                    coordinate = grid * stride[axis] + offset[axis] * dilation[axis] \
                        - padding[axis]
                    flat = flat * lengths[axis] + coordinate
                best = np.where(better, view, best)
                where = np.where(better, flat, where)
        self.where, self.shape = where, x.shape
        return best

    def backward(self, grad):
        n, c = self.shape[:2]
        volume = int(np.prod(self.shape[2:]))
        base = (np.arange(n * c) * volume).reshape((n, c) + (1,) * (grad.ndim - 2))
        total = np.bincount((self.where + base).reshape(-1), grad.reshape(-1),
                            minlength=n * c * volume)
        return total.astype(grad.dtype, copy=False).reshape(self.shape)


class AvgPoolNd(Function):
    def forward(self, x, kernel, stride, padding, sizes, count_include_pad, divisor_override):
        lengths = x.shape[2:]
        widths = _pad_for(sizes, kernel, stride, padding, (1,) * len(kernel), lengths)
        padded = np.pad(x, [(0, 0), (0, 0)] + widths)
        total = np.zeros(x.shape[:2] + sizes, dtype=x.dtype)
        for offset in itertools.product(*(range(k) for k in kernel)):
            total += padded[(slice(None),) * 2 + _slices(offset, (1,) * 3, stride, sizes)]
        if divisor_override:
            divisor = np.asarray(float(divisor_override), dtype=x.dtype)
        else:
            divisor = np.ones(sizes, dtype=x.dtype)
            for axis, (o, k, s, p, length) in enumerate(zip(sizes, kernel, stride, padding,
                                                            lengths)):
                start = np.arange(o) * s - p
                end = np.minimum(start + k, length + p)
                if count_include_pad:
                    count = end - start
                else:
                    count = np.minimum(end, length) - np.maximum(start, 0)
                shape = [1] * len(sizes)
                shape[axis] = o
                divisor = divisor * count.reshape(shape)
        self.divisor, self.args = divisor, (kernel, stride, widths, sizes, x.shape)
        return total / divisor

    def backward(self, grad):
        kernel, stride, widths, sizes, shape = self.args
        padded_shape = shape[:2] + tuple(length + lo + hi
                                         for length, (lo, hi) in zip(shape[2:], widths))
        dpadded = np.zeros(padded_shape, dtype=grad.dtype)
        share = grad / self.divisor
        for offset in itertools.product(*(range(k) for k in kernel)):
            dpadded[(slice(None),) * 2 + _slices(offset, (1,) * 3, stride, sizes)] += share
        crop = tuple(slice(lo, lo + length) for (lo, _), length in zip(widths, shape[2:]))
        return dpadded[(slice(None),) * 2 + crop]


def _batched(input, op):
    if input.ndim not in (4, 5):
        raise RuntimeError(f"{op}: Expected 4D or 5D (batch mode) tensor for input, but got "
                           f"input of shape {tuple(input.shape)}")
    if input.ndim == 4:
        return input.unsqueeze(0), True
    return input, False


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over each KD×KH×KW window of (N, C, D, H, W) (padding counts as −∞)."""
    op = "max_pool3d"
    x, unbatched = _batched(input, op)
    kernel = _triple(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == [] else _triple(stride, "stride", op)
    padding = _triple(padding, "padding", op)
    dilation = _triple(dilation, "dilation", op)
    for k, p in zip(kernel, padding):
        if p * 2 > k:
            raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but "
                               f"got pad={p}, kernel_size={k} and dilation={dilation}")
    sizes = _windows(op, x, kernel, stride, padding, dilation, ceil_mode)
    out = MaxPoolNd.apply(x, kernel, stride, padding, dilation, sizes)
    indices = None
    if return_indices:
        indices = Tensor._from_op(out.grad_fn.where if out.grad_fn is not None else
                                  _indices_no_grad(x, kernel, stride, padding, dilation, sizes),
                                  None)
    if unbatched:
        out = out.squeeze(0)
        indices = None if indices is None else indices.squeeze(0)
    return (out, indices) if return_indices else out


def _indices_no_grad(x, kernel, stride, padding, dilation, sizes):
    node = MaxPoolNd()
    node.forward(x._data, kernel, stride, padding, dilation, sizes)
    return node.where


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over each KD×KH×KW window of (N, C, D, H, W)."""
    op = "avg_pool3d"
    x, unbatched = _batched(input, op)
    kernel = _triple(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == [] else _triple(stride, "stride", op)
    padding = _triple(padding, "padding", op)
    for k, p in zip(kernel, padding):
        if p * 2 > k:
            raise RuntimeError(f"{op}: pad should be at most half of kernel size, but got "
                               f"pad={p} and kernel_size={k}")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    sizes = _windows(op, x, kernel, stride, padding, (1, 1, 1), ceil_mode)
    out = AvgPoolNd.apply(x, kernel, stride, padding, sizes, bool(count_include_pad),
                          divisor_override)
    return out.squeeze(0) if unbatched else out


def _adaptive_sizes(input, output_size, op):
    if not isinstance(output_size, (tuple, list)):
        output_size = (output_size,) * 3
    if len(output_size) != 3:
        raise RuntimeError(f"{op}: output_size must be 3, got {tuple(output_size)}")
    return tuple(length if o is None else int(o)
                 for o, length in zip(output_size, input.shape[-3:]))


def _bins(length, out):
    starts = (np.arange(out) * length) // out
    ends = -((-(np.arange(out) + 1) * length) // out)  # ceil
    return starts, ends


class AdaptiveAvgPool3d(Function):
    """out = x ×_d A_d ×_h A_h ×_w A_w with the per-dim averaging matrices A."""

    def forward(self, x, sizes):
        mats = []
        for length, out in zip(x.shape[2:], sizes):
            starts, ends = _bins(length, out)
            positions = np.arange(length)
            inside = (positions >= starts[:, None]) & (positions < ends[:, None])
            mats.append((inside / (ends - starts)[:, None]).astype(x.dtype))
        self.mats = mats
        return np.einsum("ncdhw,Dd,Hh,Ww->ncDHW", x, *mats, optimize=True)

    def backward(self, grad):
        return np.einsum("ncDHW,Dd,Hh,Ww->ncdhw", grad, *self.mats, optimize=True)


def adaptive_avg_pool3d(input, output_size):
    """Average pool (N, C, D, H, W) to ``output_size`` bins per spatial dim."""
    op = "adaptive_avg_pool3d"
    x, unbatched = _batched(input, op)
    out = AdaptiveAvgPool3d.apply(x, _adaptive_sizes(x, output_size, op))
    return out.squeeze(0) if unbatched else out


class AdaptiveMaxPool3d(Function):
    def forward(self, x, sizes):
        n, c = x.shape[:2]
        lengths = x.shape[2:]
        out = np.empty((n, c) + sizes, dtype=x.dtype)
        where = np.empty((n, c) + sizes, dtype=np.int64)
        bins = [_bins(length, o) for length, o in zip(lengths, sizes)]
        for cell in itertools.product(*(range(o) for o in sizes)):
            box = tuple(slice(bins[a][0][i], bins[a][1][i]) for a, i in enumerate(cell))
            block = x[(slice(None),) * 2 + box]
            flat = block.reshape(n, c, -1)
            pick = np.argmax(flat, axis=2)
            out[(slice(None),) * 2 + cell] = np.take_along_axis(flat, pick[..., None], 2)[..., 0]
            local = np.unravel_index(pick, block.shape[2:])
            index = np.zeros_like(pick)
            for axis in range(3):
                index = index * lengths[axis] + local[axis] + box[axis].start
            where[(slice(None),) * 2 + cell] = index
        self.where, self.shape = where, x.shape
        return out

    backward = MaxPoolNd.backward


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pool (N, C, D, H, W) to ``output_size`` bins per spatial dim."""
    op = "adaptive_max_pool3d"
    x, unbatched = _batched(input, op)
    sizes = _adaptive_sizes(x, output_size, op)
    node = AdaptiveMaxPool3d()
    out = AdaptiveMaxPool3d.apply(x, sizes)
    if return_indices:
        if out.grad_fn is not None:
            where = out.grad_fn.where
        else:
            node.forward(x._data, sizes)
            where = node.where
        indices = Tensor._from_op(where, None)
    if unbatched:
        out = out.squeeze(0)
        if return_indices:
            indices = indices.squeeze(0)
    return (out, indices) if return_indices else out


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool3d(input, output_size, True)


class MaxUnpool(Function):
    def forward(self, x, indices, volume):
        n, c = x.shape[:2]
        out = np.zeros((n, c, volume), dtype=x.dtype)
        flat = indices.reshape(n, c, -1)
        np.put_along_axis(out, flat, x.reshape(n, c, -1), axis=2)
        self.flat, self.shape = flat, x.shape
        return out

    def backward(self, grad):
        return np.take_along_axis(grad, self.flat, axis=2).reshape(self.shape), None, None


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each pooled value back at the position its index names; zeros elsewhere."""
    op = "max_unpool3d"
    x, unbatched = _batched(input, op)
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    idx = idx.reshape(x.shape)
    kernel = _triple(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else _triple(stride, "stride", op)
    padding = _triple(padding, "padding", op)
    if output_size is None:
        sizes = tuple((length - 1) * s - 2 * p + k for length, s, p, k in
                      zip(x.shape[2:], stride, padding, kernel))
    else:
        sizes = tuple(int(s) for s in tuple(output_size)[-3:])
    volume = int(np.prod(sizes))
    if idx.size and (idx.min() < 0 or idx.max() >= volume):
        raise RuntimeError(f"{op}: Found an invalid max index: {int(idx.max())} (output volumes "
                           f"are of size {sizes[0]}x{sizes[1]}x{sizes[2]})")
    out = MaxUnpool.apply(x, idx, volume).reshape(x.shape[:2] + sizes)
    return out.squeeze(0) if unbatched else out
