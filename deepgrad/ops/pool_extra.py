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
