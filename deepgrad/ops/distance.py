"""Distances and normalisation of vectors, composed from reductions (gradients by the chain rule).

    normalize(x)            = x / max(‖x‖_p, ε)                    along ``dim``
    cosine_similarity(a, b) = Σ (a/‖a‖)(b/‖b‖)  with each ‖·‖ clamped at ε (no gradient through
                              the clamp, as PyTorch)
    pairwise_distance(a, b) = ‖a − b + ε‖_p                         along the last dim
    pdist(x)                = ‖x_i − x_j‖_p for every row pair i < j (the condensed matrix)
"""

import numpy as np

from deepgrad.ops import elementwise as E
from deepgrad.ops._util import broadcast_shape
from deepgrad.tensor import Tensor, _wrap_dim

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "pdist"]


def _check_float(x, op):
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point tensor, got {x.dtype} of shape "
                           f"{tuple(x.shape)}")


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """Divide by the p-norm along ``dim``, clamped below at ``eps`` (unit vectors)."""
    _check_float(input, "normalize")
    if input.ndim:
        _wrap_dim(dim, input.ndim, "normalize")
    denominator = input.norm(p, dim, keepdim=True).clamp(min=eps)
    return E.div(input, denominator)


def _clamped_no_grad(norm, eps):
    """``norm`` clamped at ``eps`` in value while its gradient stays that of ``norm``."""
    data = norm._data
    if (data >= eps).all():
        return norm
    shift = Tensor._from_op(np.maximum(data, eps) - data, None)
    return E.add(norm, shift)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """cos θ = a·b / (‖a‖ ‖b‖) along ``dim`` (inputs broadcast together)."""
    _check_float(x1, "cosine_similarity")
    shape = broadcast_shape("cosine_similarity", x1.shape, x2.shape)
    if x1.shape != shape:
        x1 = x1.expand(shape)
    if x2.shape != shape:
        x2 = x2.expand(shape)
    if len(shape):
        dim = _wrap_dim(dim, len(shape), "cosine_similarity")
    n1 = _clamped_no_grad(x1.norm(2, dim, keepdim=True), eps)
    n2 = _clamped_no_grad(x2.norm(2, dim, keepdim=True), eps)
    return E.mul(E.div(x1, n1), E.div(x2, n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """‖x1 − x2 + ε‖_p along the last dimension (ε keeps the gradient finite at x1 = x2)."""
    _check_float(x1, "pairwise_distance")
    ndim = max(x1.ndim, x2.ndim)
    broadcast_shape("pairwise_distance", x1.shape, x2.shape)
    difference = E.add(E.sub(x1, x2), eps)
    if ndim == 0:
        return difference.abs()
    return difference.norm(p, ndim - 1, keepdim=keepdim)


def pdist(input, p=2):
    """Distances between every pair of rows i < j of an (N, M) input: N(N − 1)/2 values, in
    the order of the upper triangle read row by row."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D (shape "
                           f"{tuple(input.shape)})")
    _check_float(input, "pdist")
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values, got {p}")
    rows, cols = np.triu_indices(input.shape[0], k=1)
    if rows.size == 0:
        return E.mul(input.reshape(-1)[:0], 0.0)
    difference = E.sub(input[rows], input[cols])
    return difference.norm(p, 1)
