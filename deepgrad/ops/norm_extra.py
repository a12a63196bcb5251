"""RMS normalisation and local response normalisation, composed from existing ops.

    rms_norm(x) = x / √(mean(x²) + ε) · w         over the trailing ``normalized_shape`` dims
    local_response_norm(x)_c = x_c / (k + α/n · Σ_{c' near c} x_{c'}²)^β
                               (AlexNet's LRN: n neighbouring channels, zero-padded at the ends)
"""

import numpy as np

from deepgrad.ops import elementwise as E
from deepgrad.ops.shape import pad

__all__ = ["rms_norm", "local_response_norm"]


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Scale by the reciprocal root mean square over the last len(normalized_shape) dims;
    ``eps`` defaults to the machine epsilon of the input's dtype (PyTorch's choice)."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    count = len(normalized_shape)
    if count == 0 or tuple(input.shape[input.ndim - count:]) != normalized_shape \
            or input.ndim < count:
        raise RuntimeError(f"rms_norm: Given normalized_shape={list(normalized_shape)}, expected "
                           f"input with shape [*, {', '.join(map(str, normalized_shape))}], but "
                           f"got input of size {list(input.shape)}")
    if weight is not None and tuple(weight.shape) != normalized_shape:
        raise RuntimeError(f"rms_norm: Expected weight to be of same shape as normalized_shape, "
                           f"but got weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(normalized_shape)}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"rms_norm: expected a floating point input, got {input.dtype}")
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    dims = tuple(range(input.ndim - count, input.ndim))
    mean_square = E.mul(input, input).mean(dims, keepdim=True)
    out = E.mul(input, E.add(mean_square, eps).rsqrt())
    return out if weight is None else E.mul(out, weight)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Divide each channel by (k + α · mean of x² over ``size`` neighbouring channels)^β; the
    window reaches ⌊size/2⌋ channels back and ⌊(size − 1)/2⌋ forward, zeros past the ends."""
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: Expected 3D or higher dimensionality input (got "
                         f"{input.ndim} dimensions, shape {tuple(input.shape)})")
    if input.numel() == 0:
        return input
    channels = input.shape[1]
    widths = (0, 0) * (input.ndim - 2) + (size // 2, (size - 1) // 2)
    padded = pad(E.mul(input, input), widths)
    window = padded.narrow(1, 0, channels)
    for offset in range(1, size):
        window = E.add(window, padded.narrow(1, offset, channels))
    div = E.pow(E.add(E.mul(window, alpha / size), k), beta)
    return E.div(input, div)
