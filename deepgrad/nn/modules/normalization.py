"""``LayerNorm``, ``GroupNorm``, ``RMSNorm``, ``LocalResponseNorm`` (math in ``ops.norm`` and
``ops.norm_extra``)."""

import numbers

import numpy as np

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter, factory_dtype
from deepgrad.ops.norm import group_norm, layer_norm
from deepgrad.ops.norm_extra import local_response_norm, rms_norm
from deepgrad.tensor import _check_device

__all__ = ["LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm"]


class LayerNorm(Module):
    """Normalise each sample over its trailing ``normalized_shape`` dims, then y = γ·x̂ + β
    with element-wise γ, β of that shape."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        _check_device(device)
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _dtype = factory_dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=_dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=_dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    @no_grad()
    def reset_parameters(self):
        if self.weight is not None:
            self.weight._data[...] = 1
            self.weight._bump_version()
        if self.bias is not None:
            self.bias._data[...] = 0
            self.bias._bump_version()

    def forward(self, input):
        k = len(self.normalized_shape)
        if tuple(input.shape[input.ndim - k:]) != self.normalized_shape or input.ndim < k:
            raise RuntimeError(
                f"{self._describe()}: given normalized_shape={list(self.normalized_shape)}, "
                f"expected input with shape [*, {', '.join(map(str, self.normalized_shape))}], "
                f"but got input of size {list(input.shape)}")
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Split the C channels into ``num_groups`` groups; normalise each (sample, group) over
    its channels and positions, then a per-channel affine map."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        _check_device(device)
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"num_channels must be divisible by num_groups (got "
                             f"num_channels={num_channels}, num_groups={num_groups})")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        _dtype = factory_dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_channels, dtype=_dtype))
            if bias:
                self.bias = Parameter(np.zeros(num_channels, dtype=_dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    @no_grad()
    def reset_parameters(self):
        for t, value in ((self.weight, 1), (self.bias, 0)):
            if t is not None:
                t._data[...] = value
                t._bump_version()

    def forward(self, input):
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise RuntimeError(
                f"{self._describe()}: expected input of shape (N, {self.num_channels}, *), but "
                f"got input of shape {tuple(input.shape)}")
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """y = x / √(mean(x²) + ε) · γ over the trailing ``normalized_shape`` dims (no centring,
    no bias); ``eps=None`` uses the machine epsilon of the input's dtype."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        _check_device(device)
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _dtype = factory_dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=_dtype))
        else:
            self.register_parameter("weight", None)

    @no_grad()
    def reset_parameters(self):
        if self.weight is not None:
            self.weight._data[...] = 1
            self.weight._bump_version()

    def forward(self, input):
        try:
            return rms_norm(input, self.normalized_shape, self.weight, self.eps)
        except RuntimeError as error:
            raise RuntimeError(f"{self._describe()}: {error}") from None

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """AlexNet's LRN: each channel divided by (k + α/n Σ x² over n neighbouring channels)^β."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        try:
            return local_response_norm(input, self.size, self.alpha, self.beta, self.k)
        except ValueError as error:
            raise ValueError(f"{self._describe()}: {error}") from None

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
