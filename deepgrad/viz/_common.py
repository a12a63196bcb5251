"""Shared helpers: lazy matplotlib, arrays from tensors, image batches to a common layout."""

import os

import numpy as np


def figure(figsize):
    """A matplotlib Figure not attached to pyplot (no GUI backend, nothing global)."""
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError("deepgrad.viz needs matplotlib: pip install 'deepgrad[plot]' "
                          "(or matplotlib)") from e
    return Figure(figsize=figsize, layout="constrained")


def finish(fig, path):
    if path is not None:
        path = os.fspath(path)
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        fig.savefig(path, dpi=100)
    return fig


def to_numpy(x):
    if hasattr(x, "_data") and hasattr(x, "detach"):
        return np.asarray(x._data)
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        return x.detach().numpy()
    return np.asarray(x)


def as_images(images, image_shape=None):
    """(N, H, W) grayscale or (N, H, W, 3) RGB float arrays from (N, C, H, W), (N, H, W),
    (N, H, W, C) or flat (N, D) with ``image_shape``."""
    a = to_numpy(images).astype(np.float32, copy=False)
    if image_shape is not None:
        a = a.reshape((a.shape[0],) + tuple(image_shape))
    if a.ndim == 2:
        side = int(round(np.sqrt(a.shape[1])))
        if side * side != a.shape[1]:
            raise ValueError(f"viz: flat images of {a.shape[1]} values are not square; pass "
                             f"image_shape=(H, W)")
        a = a.reshape(a.shape[0], side, side)
    if a.ndim == 4:
        if a.shape[1] in (1, 3):  # NCHW, PyTorch's layout, wins when both could fit
            a = a.transpose(0, 2, 3, 1)
        if a.shape[-1] == 1:
            a = a[..., 0]
        elif a.shape[-1] != 3:
            raise ValueError(f"viz: images of shape {a.shape[1:]} have neither 1 nor 3 channels")
    if a.ndim not in (3, 4):
        raise ValueError(f"viz: expected a batch of images, got shape {a.shape}")
    return a


def normalize01(a):
    lo, hi = float(np.min(a)), float(np.max(a))
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def grid_shape(n, ncols=None):
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    ncols = max(1, min(ncols, n))
    return int(np.ceil(n / ncols)), ncols
