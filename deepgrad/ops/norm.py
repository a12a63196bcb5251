"""Normalization: ``batch_norm``, ``layer_norm``, ``group_norm``, ``instance_norm``.

All four normalise some set of values with their own mean and *biased* variance and then apply
a per-channel (or per-element) affine map — the course's batch-norm algorithm:

    μ = mean(x),   σ² = mean((x − μ)²),   x̂ = (x − μ) / √(σ² + ε),   y = γ·x̂ + β

They differ only in which values share a μ and σ²: batch norm over (N, *spatial) per channel,
layer norm over the trailing ``normalized_shape``, group norm over (C/G, *spatial) per sample
and group, instance norm over *spatial per sample and channel. Each is one fused op whose
backward is the closed form (m values per statistic)

    dx = (1/√(σ² + ε)) · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)),   dx̂ = γ·dy,
    dγ = Σ dy·x̂,   dβ = Σ dy.
"""

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import GradMode
from deepgrad.ops._buffers import POOL as _POOL

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm"]


def _cast_scalar(value, dtype):
    return np.asarray(value, dtype=dtype)


class BatchNorm(Function):
    """Batch norm over every axis but the channel axis 1 (statistics per channel)."""

    def forward(self, x, weight, bias, running_mean=None, running_var=None, training=True,
                momentum=0.1, eps=1e-5):
        c = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, c) + (1,) * (x.ndim - 2)
        m = x.size // c
        dtype = x.dtype
        # x − μ is saved for backward in a pooled work array laid out like x (given back in
        # ``release``, or at once without grad mode); squares and products use pooled scratch
        xc = _take_like(x)
        if training:
            mean = x.mean(axis=axes, dtype=dtype)
            np.subtract(x, mean.reshape(bshape), out=xc)
            var = (_channel_dot(xc, xc, axes) / m).astype(dtype, copy=False)
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += (momentum * mean).astype(running_mean.dtype, copy=False)
            if running_var is not None:
                unbiased = var * (m / max(m - 1, 1))
                running_var *= 1 - momentum
                running_var += (momentum * unbiased).astype(running_var.dtype, copy=False)
        else:
            mean = running_mean.astype(dtype, copy=False)
            var = running_var.astype(dtype, copy=False)
            np.subtract(x, mean.reshape(bshape), out=xc)
        invstd = (1 / np.sqrt(var + _cast_scalar(eps, dtype))).astype(dtype, copy=False)
        scale = invstd if weight is None else invstd * weight
        # y = γ·(x − μ)/σ + β, with γ/σ folded into one per-channel scale
        y = xc * scale.reshape(bshape)
        if bias is not None:
            y += bias.reshape(bshape)
        self.xc, self.invstd, self.weight = xc, invstd, weight
        self.training, self.axes, self.bshape, self.m = training, axes, bshape, m
        if not GradMode.enabled:
            _give_like(xc)
        return y

    def release(self):
        _give_like(self.__dict__.get("xc"))
        super().release()

    def backward(self, grad):
        axes, bshape = self.axes, self.bshape
        invstd = self.invstd
        needs = self.needs_input_grad
        sum_g = grad.sum(axis=axes)
        sum_gxc = _channel_dot(grad, self.xc, axes)  # Σ dy·(x − μ) = σ · Σ dy·x̂
        dw = (sum_gxc * invstd).astype(grad.dtype, copy=False) if needs[1] else None
        db = sum_g if needs[2] else None
        dx = None
        if needs[0]:
            scale = invstd if self.weight is None else invstd * self.weight
            if self.training:
                # dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)), x̂ = (x − μ)/σ
                mean_g = sum_g / self.m
                coef = sum_gxc * invstd * invstd / self.m
                dx = grad - mean_g.reshape(bshape)
                tmp = _take_like(self.xc)
                np.multiply(self.xc, coef.reshape(bshape), out=tmp)
                dx -= tmp
                _give_like(tmp)
                dx *= scale.reshape(bshape)
            else:
                dx = grad * scale.reshape(bshape)
        return dx, dw, db


def _channel_dot(a, b, axes):
    """Per-channel Σ a·b over ``axes``, the product in a pooled scratch array."""
    tmp = _take_like(b)
    np.multiply(a, b, out=tmp)
    total = tmp.sum(axis=axes)
    _give_like(tmp)
    return total


def _take_like(x):
    """A pooled work array of x's shape and dtype with x's memory layout (a channels-last
    view stays channels-last, so elementwise ops between them run in memory order)."""
    order = sorted(range(x.ndim), key=lambda a: -x.strides[a])
    if x.ndim and x.transpose(order).flags.c_contiguous:
        base = _POOL.take(tuple(x.shape[a] for a in order), x.dtype)
        return base.transpose(np.argsort(order))
    return _POOL.take(x.shape, x.dtype)


def _give_like(array):
    if array is not None:
        _POOL.give(array.base if array.base is not None and array.base.size == array.size
                   else array)


def _check_running(op, name, tensor, c):
    if tensor is not None and tensor.numel() != c:
        raise RuntimeError(f"{op}: {name} should contain {c} elements not {tensor.numel()}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation of (N, C, *) per channel.

    Training: μ, σ² are the batch's mean and biased variance over (N, *), and the running
    statistics (if given) move as r ← (1 − momentum)·r + momentum·s, with the *unbiased*
    variance s = σ²·m/(m − 1) for ``running_var``. Evaluation (``training=False``) uses the
    running statistics instead."""
    op = "batch_norm"
    if input.ndim < 2:
        raise ValueError(f"{op}: expected at least a 2-D input (N, C, *), got input of shape "
                         f"{tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{op}: {name} should contain {c} elements not {t.numel()} "
                               f"(input of shape {tuple(input.shape)})")
    _check_running(op, "running_mean", running_mean, c)
    _check_running(op, "running_var", running_var, c)
    if training:
        if input.numel() // c <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {tuple(input.shape)}")
    elif running_mean is None or running_var is None:
        raise RuntimeError(f"{op}: running_mean and running_var must be given when "
                           f"training=False")
    out = BatchNorm.apply(input, weight, bias,
                          running_mean=None if running_mean is None else running_mean._data,
                          running_var=None if running_var is None else running_var._data,
                          training=training, momentum=0.0 if momentum is None else momentum,
                          eps=eps)
    if training:
        for t in (running_mean, running_var):
            if t is not None:
                t._bump_version()
    return out


class GroupedNorm(Function):
    """x viewed as (R, m): normalise each row over its m values; then y = x̂·γ + β where γ, β
    broadcast against x (layer norm: trailing shape; group norm: per channel)."""

    def forward(self, x, weight, bias, rows, param_shape, eps):
        dtype = x.dtype
        xr = x.reshape(rows, -1)
        mean = xr.mean(axis=1, keepdims=True, dtype=dtype)
        xc = xr - mean
        var = np.einsum("ij,ij->i", xc, xc)[:, None] / xr.shape[1]
        invstd = (1 / np.sqrt(var + _cast_scalar(eps, dtype))).astype(dtype, copy=False)
        xhat = (xc * invstd).reshape(x.shape)
        y = xhat
        if weight is not None:
            y = y * weight.reshape(param_shape)
        if bias is not None:
            y = y + bias.reshape(param_shape)
        if y is xhat:
            y = xhat.copy()
        self.xhat, self.invstd, self.weight = xhat, invstd, weight
        self.rows, self.param_shape = rows, param_shape
        self.bias_shape = None if bias is None else bias.shape
        return y

    def backward(self, grad):
        xhat, param_shape = self.xhat, self.param_shape
        needs = self.needs_input_grad
        reduce_axes = tuple(i for i, s in enumerate(param_shape) if s == 1)
        dw = db = dx = None
        if needs[1]:
            dw = (grad * xhat).sum(axis=reduce_axes).reshape(self.weight.shape)
        if needs[2]:
            db = grad.sum(axis=reduce_axes).reshape(self.bias_shape)
        if needs[0]:
            dxhat = grad if self.weight is None else grad * self.weight.reshape(param_shape)
            dxr = dxhat.reshape(self.rows, -1)
            xr = xhat.reshape(self.rows, -1)
            m = xr.shape[1]
            mean_d = dxr.sum(axis=1, keepdims=True) / m
            mean_dx = np.einsum("ij,ij->i", dxr, xr)[:, None] / m
            dx = ((dxr - mean_d - xr * mean_dx) * self.invstd).reshape(grad.shape)
        return dx, dw, db


class LayerNorm(Function):
    """x viewed as (R, m): each row normalised over its m values, y = x̂·γ + β (γ, β of m).

    Few passes and few fresh arrays: the row sums are matrix-vector products, the variance a
    row-wise dot, x̂ is computed in place in a pooled buffer (given back in ``release``), and
    backward's dx = (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) is built in place in dx̂.
    """

    def forward(self, x, weight, bias, m, eps):
        dtype = x.dtype
        xr = x.reshape(-1, m)
        rows = xr.shape[0]
        ones = np.ones(m, dtype=dtype)
        mean = xr @ ones
        mean /= m
        xhat = _POOL.take((rows, m), dtype)
        np.subtract(xr, mean[:, None], out=xhat)
        var = np.einsum("ij,ij->i", xhat, xhat)
        var /= m
        var += eps
        invstd = np.sqrt(var, out=var)
        np.reciprocal(invstd, out=invstd)
        xhat *= invstd[:, None]
        if weight is not None:
            y = np.multiply(xhat, weight)
            if bias is not None:
                y += bias
        elif bias is not None:
            y = np.add(xhat, bias)
        else:
            y = xhat.copy()
        self.xhat, self.invstd, self.weight, self.ones = xhat, invstd, weight, ones
        return y.reshape(x.shape)

    def release(self):
        _POOL.give(getattr(self, "xhat", None))
        super().release()

    def backward(self, grad):
        xhat, invstd, weight = self.xhat, self.invstd, self.weight
        rows, m = xhat.shape
        g = grad.reshape(rows, m)
        needs = self.needs_input_grad
        dx = dw = db = None
        if needs[1]:
            dw = np.einsum("ij,ij->j", g, xhat)  # Σ dy·x̂ over rows
        if needs[2]:
            db = np.ones(rows, dtype=g.dtype) @ g
        if needs[0]:
            dx = np.multiply(g, weight) if weight is not None else g.copy()  # dx̂
            mean_d = dx @ self.ones
            mean_d /= m
            mean_dx = np.einsum("ij,ij->i", dx, xhat)
            mean_dx /= m
            tmp = _POOL.take((rows, m), dx.dtype)
            np.multiply(xhat, mean_dx[:, None], out=tmp)
            dx -= tmp
            _POOL.give(tmp)
            dx -= mean_d[:, None]
            dx *= invstd[:, None]
            dx = dx.reshape(grad.shape)
        return dx, dw, db


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing ``normalized_shape`` dims of each sample."""
    op = "layer_norm"
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != normalized_shape or input.ndim < k:
        raise RuntimeError(
            f"{op}: given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size "
            f"{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(f"{op}: expected {name} of shape {normalized_shape}, got "
                               f"{tuple(t.shape)}")
    m = int(np.prod(normalized_shape, dtype=np.int64))
    if weight is not None and weight.ndim > 1:
        weight = weight.reshape(m)
    if bias is not None and bias.ndim > 1:
        bias = bias.reshape(m)
    return LayerNorm.apply(input, weight, bias, m, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation: channels split into ``num_groups`` groups, each normalised over
    (C/G, *spatial) per sample, then a per-channel affine map."""
    op = "group_norm"
    if input.ndim < 2:
        raise RuntimeError(f"{op}: expected at least a 2-D input (N, C, *), got input of shape "
                           f"{tuple(input.shape)}")
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"{op}: expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {tuple(input.shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{op}: expected {name} to be a vector of size equal to the "
                               f"number of channels in input ({c}), but got {name} of shape "
                               f"{tuple(t.shape)}")
    param_shape = (1, c) + (1,) * (input.ndim - 2)
    return GroupedNorm.apply(input, weight, bias, rows=input.shape[0] * num_groups,
                             param_shape=param_shape, eps=eps)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Instance normalisation: each (sample, channel) over its spatial values. With running
    statistics, they move towards the batch average of the per-instance mean and unbiased
    variance (as PyTorch)."""
    op = "instance_norm"
    if input.ndim < 3:
        raise ValueError(f"{op}: expected at least a 3-D input (N, C, *), got input of shape "
                         f"{tuple(input.shape)}")
    c = input.shape[1]
    _check_running(op, "running_mean", running_mean, c)
    _check_running(op, "running_var", running_var, c)
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    spatial = int(np.prod(input.shape[2:]))
    if spatial <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{tuple(input.shape)}")
    if running_mean is not None or running_var is not None:
        x = input._data.reshape(input.shape[0], c, -1)
        m = momentum if momentum is not None else 0.0
        if running_mean is not None:
            running_mean._data *= 1 - m
            running_mean._data += (m * x.mean(axis=2).mean(axis=0)).astype(
                running_mean.dtype, copy=False)
            running_mean._bump_version()
        if running_var is not None:
            running_var._data *= 1 - m
            running_var._data += (m * x.var(axis=2, ddof=1).mean(axis=0)).astype(
                running_var.dtype, copy=False)
            running_var._bump_version()
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{op}: {name} should contain {c} elements not {t.numel()}")
    param_shape = (1, c) + (1,) * (input.ndim - 2)
    return GroupedNorm.apply(input, weight, bias, rows=input.shape[0] * c,
                             param_shape=param_shape, eps=eps)
