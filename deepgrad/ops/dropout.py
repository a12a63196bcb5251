"""Dropout: during training zero each element with probability p and scale the survivors by
1/(1 − p) ("inverted dropout"), so the expected activation is unchanged and evaluation needs no
rescaling. The mask comes from deepgrad's seeded generator; backward multiplies by the same mask.
"""

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.backend.random import generator as _rng

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout"]


def keep_mask(shape, p, generator=None):
    """Bernoulli(1 − p) draws of ``shape`` (True = keep): 32-bit uniform integers u from the
    generator's raw stream, kept where u ≥ p·2³² (exact to 2⁻³², and about twice as fast as
    drawing floats)."""
    size = 1
    for s in shape:
        size *= s
    raw = _rng(generator).bit_generator.random_raw((size + 1) // 2)
    threshold = np.uint32(min(round(p * 2.0 ** 32), 2 ** 32 - 1))
    return raw.view(np.uint32)[:size].reshape(shape) >= threshold


class Dropout(Function):
    """y = x · m / (1 − p), m ~ Bernoulli(1 − p); dy/dx = m / (1 − p)."""

    def forward(self, x, p, mask_shape, generator):
        if p == 1:
            self.mask = np.zeros(mask_shape, x.dtype)
            return x * self.mask
        keep = keep_mask(mask_shape, p, generator)
        # the scaled mask in x's dtype: one multiply forward, one backward
        self.mask = np.multiply(keep, x.dtype.type(1 / (1 - p)), dtype=x.dtype)
        return x * self.mask

    def backward(self, grad):
        return grad * self.mask


def _check_p(p, op):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False, generator=None):
    """Zero elements with probability ``p`` and scale the rest by 1/(1 − p) (training only)."""
    _check_p(p, "dropout")
    if not training or p == 0:
        return input
    if input.dtype.kind != "f":
        raise RuntimeError(f"dropout: expected a floating point input, got {input.dtype}")
    return Dropout.apply(input, float(p), input.shape, generator)


def _channel_dropout(input, p, training, generator, op, spatial):
    _check_p(p, op)
    batched = spatial + 2
    if input.ndim not in (batched - 1, batched):
        raise RuntimeError(f"{op}: expected a {batched - 1}-D (unbatched) or {batched}-D "
                           f"(batched) input, got shape {tuple(input.shape)}")
    if not training or p == 0:
        return input
    # one draw per (sample, channel): whole feature maps are dropped
    channels = input.ndim - spatial
    mask_shape = tuple(input.shape[:channels]) + (1,) * spatial
    return Dropout.apply(input, float(p), mask_shape, generator)


def dropout1d(input, p=0.5, training=True, inplace=False, generator=None):
    """Drop whole channels of (N, C, L) / (C, L) inputs."""
    return _channel_dropout(input, p, training, generator, "dropout1d", 1)


def dropout2d(input, p=0.5, training=True, inplace=False, generator=None):
    """Drop whole feature maps of (N, C, H, W) / (C, H, W) inputs."""
    return _channel_dropout(input, p, training, generator, "dropout2d", 2)


def dropout3d(input, p=0.5, training=True, inplace=False, generator=None):
    """Drop whole volumes of (N, C, D, H, W) / (C, D, H, W) inputs."""
    return _channel_dropout(input, p, training, generator, "dropout3d", 3)


class AlphaDropout(Function):
    """SELU-preserving dropout: dropped units take α' = −λα, then an affine map a·x + b restores
    zero mean and unit variance."""

    def forward(self, x, p, generator):
        alpha = -1.7580993408473766  # −λα of SELU
        keep = keep_mask(x.shape, p, generator)
        a = 1.0 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
        b = -a * alpha * p
        self.scale = np.multiply(keep, x.dtype.type(a), dtype=x.dtype)
        return x * self.scale + np.where(keep, x.dtype.type(b), x.dtype.type(a * alpha + b))

    def backward(self, grad):
        return grad * self.scale


def alpha_dropout(input, p=0.5, training=False, inplace=False, generator=None):
    _check_p(p, "alpha_dropout")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0
    return AlphaDropout.apply(input, float(p), generator)
