"""Resizing: ``interpolate`` (nearest, nearest-exact, linear, bilinear, bicubic, area) and ``pixel_shuffle``.

Nearest and (bi)linear resizing are separable and linear in the input, so each spatial axis is
one small (out, in) matrix A: out = A_h · x · A_wᵀ, and the backward pass is A_hᵀ · dy · A_w.
Row i of A holds the interpolation weights of output position i:

* nearest: src = ⌊i·scale⌋ (scale = in/out, or 1/scale_factor when given), weight 1;
* bilinear, align_corners=False: src = (i + ½)·scale − ½ (clamped at 0), weights 1 − λ and λ
  on ⌊src⌋ and ⌊src⌋ + 1, λ = src − ⌊src⌋;
* bilinear, align_corners=True: src = i·(in − 1)/(out − 1), so the corner pixels line up.
"""

import math

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.ops import shape as shape_ops

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle"]

_LINEAR = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _axis_matrix(size_in, size_out, mode, align_corners, scale):
    """The (out, in) interpolation matrix of one axis (float64; cast by the caller)."""
    i = np.arange(size_out, dtype=np.float64)
    a = np.zeros((size_out, size_in), dtype=np.float64)
    rows = np.arange(size_out)
    if mode in ("nearest", "nearest-exact"):
        ratio = 1 / scale if scale is not None else size_in / size_out
        offset = 0.5 if mode == "nearest-exact" else 0.0
        src = np.minimum(np.floor((i + offset) * ratio).astype(np.int64), size_in - 1)
        a[rows, src] = 1
        return a
    if mode == "area":  # adaptive average pooling: output i averages [⌊i·in/out⌋, ⌈(i+1)·in/out⌉)
        for r in rows:
            start, end = (r * size_in) // size_out, -(-((r + 1) * size_in) // size_out)
            a[r, start:end] = 1.0 / (end - start)
        return a
    if align_corners:
        ratio = (size_in - 1) / (size_out - 1) if size_out > 1 else 0.0
        src = i * ratio
    else:
        ratio = 1 / scale if scale is not None else size_in / size_out
        src = (i + 0.5) * ratio - 0.5
        if mode != "bicubic":  # torch clamps the linear source index at 0, not the cubic one
            src = np.maximum(src, 0.0)
    if mode == "bicubic":
        return _cubic_rows(a, rows, src, size_in)
    lo = np.minimum(np.floor(src).astype(np.int64), size_in - 1)
    hi = np.minimum(lo + 1, size_in - 1)
    lam = src - lo
    np.add.at(a, (rows, lo), 1 - lam)
    np.add.at(a, (rows, hi), lam)
    return a


def _cubic_rows(a, rows, src, size_in, A=-0.75):
    """Keys' cubic convolution (A = -0.75, torch's choice) on taps ⌊src⌋-1 .. ⌊src⌋+2, the
    taps clamped to the border (so border weights pile onto the edge pixel)."""
    base = np.floor(src)
    t = src - base
    weights = (
        ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A,
        ((A + 2) * t - (A + 3)) * t * t + 1,
        ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1,
        ((A * (2 - t) - 5 * A) * (2 - t) + 8 * A) * (2 - t) - 4 * A,
    )
    for k, w in enumerate(weights):
        idx = np.clip(base.astype(np.int64) - 1 + k, 0, size_in - 1)
        np.add.at(a, (rows, idx), w)
    return a


class Resize(Function):
    def forward(self, x, mats):
        self.mats = mats
        out = x
        if len(mats) == 2:
            out = mats[0] @ out
        return out @ mats[-1].T

    def backward(self, grad):
        g = grad @ self.mats[-1]
        if len(self.mats) == 2:
            g = self.mats[0].T @ g
        return g


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize (N, C, L) or (N, C, H, W) to ``size`` or by ``scale_factor``, as
    ``F.interpolate`` (modes nearest, nearest-exact, linear, bilinear, bicubic, area)."""
    op = "interpolate"
    dims = input.ndim - 2
    if dims not in (1, 2):
        raise NotImplementedError(f"{op}: input of shape {tuple(input.shape)}: only 3-D (N, C, L)"
                                  f" and 4-D (N, C, H, W) inputs are supported")
    if mode not in ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "area"):
        raise NotImplementedError(f"{op}: mode {mode!r} is not supported (nearest, "
                                  f"nearest-exact, linear, bilinear, bicubic, area)")
    if mode in ("linear", "bilinear", "bicubic") and _LINEAR[mode] != dims:
        raise NotImplementedError(f"{op}: got {input.ndim}-D input, but {mode} mode needs "
                                  f"{_LINEAR[mode] + 2}-D input")
    if mode.startswith("nearest") or mode == "area":
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError(f"{op}: antialias is not supported")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    in_sizes = input.shape[2:]
    scales = [None] * dims
    if size is not None:
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * dims
        if len(sizes) != dims:
            raise ValueError(f"{op}: Input and output must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(in_sizes)} and output size of {list(sizes)}")
        sizes = tuple(int(s) for s in sizes)
    else:
        factors = (tuple(scale_factor) if isinstance(scale_factor, (tuple, list))
                   else (scale_factor,) * dims)
        if len(factors) != dims:
            raise ValueError(f"{op}: Input and scale_factor must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(in_sizes)} and scale_factor of shape {list(factors)}")
        sizes = tuple(int(math.floor(s * f)) for s, f in zip(in_sizes, factors))
        if not recompute_scale_factor and mode != "area":  # area pools to the size only
            scales = [float(f) for f in factors]
    if any(s <= 0 for s in sizes):
        raise ValueError(f"{op}: output size {sizes} must be positive (input "
                         f"{tuple(input.shape)})")
    dtype = input.dtype
    mats = tuple(_axis_matrix(si, so, mode, align_corners, sc).astype(dtype)
                 for si, so, sc in zip(in_sizes, sizes, scales))
    return Resize.apply(input, mats=mats)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    """(*, C·r², H, W) → (*, C, H·r, W·r): sub-pixel rearrangement (ESPCN)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    oc = c // (r * r)
    x = shape_ops.reshape(input, (-1, oc, r, r, h, w))
    x = shape_ops.permute(x, 0, 1, 4, 2, 5, 3)
    return shape_ops.reshape(x, (*lead, oc, h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H·r, W·r) → (*, C·r², H, W): the inverse of ``pixel_shuffle``."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, got {r}")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor, but input of shape {tuple(input.shape)} is not "
                           f"divisible by {r}")
    x = shape_ops.reshape(input, (-1, c, h // r, r, w // r, r))
    x = shape_ops.permute(x, 0, 1, 3, 5, 2, 4)
    return shape_ops.reshape(x, (*lead, c * r * r, h // r, w // r))
