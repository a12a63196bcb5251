"""Power-average pooling and the ``*_with_indices`` spellings of max pooling.

LP pooling: out = (Σ_window x^p)^(1/p), computed as PyTorch does from the average pool:
    (sign(a) · relu(|a|) · k)^(1/p),   a = avg_pool(x^p), k the window size
(p = 1 is sum pooling, p → ∞ max pooling).
"""

from deepgrad.ops import activation as A
from deepgrad.ops import elementwise as E
from deepgrad.ops import pool, pool3d

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices"]


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _lp_finish(out, window, norm_type):
    magnitude = E.mul(E.mul(E.sign(out), A.relu(E.abs(out))), window)
    return E.pow(magnitude, 1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(Σ x^p)^(1/p) over sliding windows of (N, C, L)."""
    out = pool.avg_pool1d(E.pow(input, norm_type), kernel_size, stride, 0, ceil_mode)
    size = kernel_size[0] if isinstance(kernel_size, (tuple, list)) else kernel_size
    return _lp_finish(out, size, norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(Σ x^p)^(1/p) over sliding KH×KW windows of (N, C, H, W)."""
    kh, kw = _pair(kernel_size)
    out = pool.avg_pool2d(E.pow(input, norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_finish(out, kh * kw, norm_type)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(Σ x^p)^(1/p) over sliding KD×KH×KW windows of (N, C, D, H, W)."""
    kd, kh, kw = pool3d._triple(kernel_size, "kernel_size", "lp_pool3d")
    out = pool3d.avg_pool3d(E.pow(input, norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_finish(out, kd * kh * kw, norm_type)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return pool.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return pool.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return pool.adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return pool.adaptive_max_pool2d(input, output_size, True)


def _fractional_starts(sample, input_size, output_size, pool_size):
    """Window starts of fractional max pooling (Graham, 2014), PyTorch's formula: for u in
    [0, 1), start_i = ⌊(i + u)·α⌋ − ⌊u·α⌋ with α = (in − k)/(out − 1); the last window ends at
    the input's edge. ``sample``: array of u's, any shape; returns shape + (output_size,)."""
    import numpy as np

    starts = np.empty(sample.shape + (output_size,), dtype=np.int64)
    if output_size > 1:
        alpha = sample.dtype.type((input_size - pool_size) / (output_size - 1))
        i = np.arange(output_size - 1, dtype=sample.dtype)
        starts[..., :-1] = ((i + sample[..., None]) * alpha).astype(np.int64) \
            - (sample * alpha).astype(np.int64)[..., None]
    starts[..., -1] = input_size - pool_size
    return starts


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Max over pseudo-random KH×KW windows whose starts advance by a fractional stride so
    that (N, C, H, W) shrinks to ``output_size`` (or ``output_ratio`` · (H, W)).

    ``_random_samples`` (N, C, 2) in [0, 1) fixes the windows (index 0 for the width, 1 for the
    height, as PyTorch); by default they are drawn uniformly. Returns the pooled tensor, and the
    flat indices h·W + w of the maxima when ``return_indices``.
    """
    import numpy as np

    from deepgrad.backend.random import generator

    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool2d requires specifying either an output_size or "
                         "an output_ratio")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"fractional_max_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{tuple(input.shape)}")
    batched = input.ndim == 4
    x = input if batched else input.unsqueeze(0)
    n, c, h, w = x.shape
    kh, kw = _pair(kernel_size)
    if output_size is None:
        rh, rw = _pair(output_ratio)
        output_size = (int(h * rh), int(w * rw))
    oh, ow = _pair(output_size)
    if oh + kh - 1 > h or ow + kw - 1 > w:
        raise RuntimeError(f"fractional_max_pool2d(): pool height/width ({kh}, {kw}) too large "
                           f"relative to input {(h, w)} and output {(oh, ow)}")
    if _random_samples is None:
        samples = generator().random((n, c, 2)).astype(x._data.dtype)
    else:
        samples = np.asarray(getattr(_random_samples, "_data", _random_samples))
        if samples.shape != (n, c, 2):
            raise RuntimeError(f"fractional_max_pool2d(): expected _random_samples of shape "
                               f"{(n, c, 2)}, got {samples.shape}")
    rows = _fractional_starts(samples[..., 1], h, oh, kh)[..., :, None] + np.arange(kh)
    cols = _fractional_starts(samples[..., 0], w, ow, kw)[..., :, None] + np.arange(kw)
    # flat index of every (output row, output col, window row, window col): (N, C, oh, ow, kh·kw)
    flat = (rows[:, :, :, None, :, None] * w + cols[:, :, None, :, None, :]).reshape(
        n, c, oh, ow, kh * kw)
    from deepgrad import Tensor

    index = Tensor._from_op(flat.reshape(n, c, -1), None)
    windows = x.reshape(n, c, h * w).gather(2, index).reshape(n, c, oh, ow, kh * kw)
    out, arg = windows.max(dim=-1)
    indices = Tensor._from_op(np.take_along_axis(flat, arg._data[..., None], -1)[..., 0], None)
    if not batched:
        out, indices = out.squeeze(0), indices.squeeze(0)
    return (out, indices) if return_indices else out


__all__ += ["fractional_max_pool2d"]
