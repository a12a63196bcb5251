"""Gradient clipping, applied between ``loss.backward()`` and ``optimizer.step()``.

Clipping by norm rescales all gradients together when their global p-norm exceeds ``max_norm``
(g ← g · max_norm / (‖g‖ + 1e-6)), keeping their direction: the usual cure for exploding
gradients in RNNs. Clipping by value clamps each element to [−clip_value, clip_value].
"""

import math

import numpy as np

from deepgrad.tensor import Tensor

__all__ = ["get_total_norm", "clip_grads_with_norm_", "clip_grad_norm_", "clip_grad_norm",
           "clip_grad_value_"]


def _as_list(tensors):
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def _grads(parameters):
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The p-norm of all ``tensors`` viewed as one vector (``inf``: the largest |value|)."""
    tensors = [t for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._from_op(np.asarray(0.0, dtype=np.float32), None)
    dtype = tensors[0]._data.dtype
    arrays = [t._data for t in tensors]
    if math.isinf(norm_type):
        maxes = [np.abs(a).max() if a.size else 0.0 for a in arrays]
        total = max(maxes) if norm_type > 0 else min(
            np.abs(a).min() if a.size else math.inf for a in arrays)
    elif norm_type == 2.0:
        # a dot product per array: BLAS, no |g|² temporary
        total = math.sqrt(sum(float(np.dot(a.ravel(), a.ravel())) for a in arrays))
    else:
        total = sum(float(np.sum(np.abs(a) ** norm_type)) for a in arrays) ** (1.0 / norm_type)
    total = np.asarray(total, dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            f"non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            f"by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor._from_op(total, None)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale gradients by min(1, max_norm / (total_norm + 1e-6)) in place."""
    grads = _grads(parameters)
    if not grads:
        return
    total = float(total_norm._data if isinstance(total_norm, Tensor) else total_norm)
    coef = min(float(max_norm) / (total + 1e-6), 1.0)
    for g in grads:
        g._bump_version()
        np.multiply(g._data, g._data.dtype.type(coef), out=g._data)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients of ``parameters`` so their global ``norm_type``-norm is at most
    ``max_norm``; returns the norm before clipping (a tensor)."""
    parameters = _as_list(parameters)
    grads = _grads(parameters)
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total_norm)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of ``clip_grad_norm_`` (PyTorch keeps it too)."""
    import warnings

    warnings.warn("`deepgrad.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`deepgrad.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to [−clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g._bump_version()
        np.clip(g._data, -clip_value, clip_value, out=g._data)
