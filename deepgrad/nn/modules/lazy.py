"""Lazy layers: ``LazyLinear``, ``LazyConv1d``, ``LazyConv2d`` infer their input size
(in_features / in_channels) from the first input they see, as PyTorch's.

Until then their parameters are ``UninitializedParameter`` placeholders. The first call
materialises them in place (the same Parameter objects, so an optimizer built earlier keeps
them), runs ``reset_parameters()``, and turns the module into a plain ``Linear``/``ConvNd``.
Loading a state_dict also materialises them, with the checkpoint's shapes.
"""

import numpy as np

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.backend.dtypes import to_dtype
from deepgrad.nn.module import Module
from deepgrad.nn.modules.conv import Conv1d, Conv2d
from deepgrad.nn.modules.linear import Linear
from deepgrad.nn.parameter import Parameter
from deepgrad.tensor import _check_device

__all__ = ["UninitializedParameter", "LazyLinear", "LazyConv1d", "LazyConv2d"]


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet; ``materialize(shape)`` gives it storage (in
    the dtype it has been cast to meanwhile) and makes it an ordinary ``Parameter``."""

    __slots__ = ()

    def __init__(self, requires_grad=True, device=None, dtype=None):
        _check_device(device)
        _dtype = to_dtype(dtype) if dtype is not None else np.dtype(np.float32)
        super().__init__(np.empty((0,), dtype=_dtype), requires_grad)

    def materialize(self, shape, device=None, dtype=None):
        _dtype = to_dtype(dtype) if dtype is not None else self._data.dtype
        self._data = np.empty(tuple(shape), dtype=_dtype)
        self._version += 1
        self.__class__ = Parameter

    def __repr__(self):
        return "<UninitializedParameter>"


class _LazyMixin:
    """The shared steps: placeholders until the first input, then materialise and become
    ``cls_to_become``."""

    cls_to_become = None

    def has_uninitialized_params(self):
        return any(isinstance(p, UninitializedParameter) for p in self._parameters.values())

    def _infer_parameters(self, input):
        if self.has_uninitialized_params():
            with no_grad():
                self.initialize_parameters(input)
        self._sync_sizes()
        self.__class__ = self.cls_to_become

    def forward(self, input, *args, **kwargs):
        self._infer_parameters(input)
        return self.forward(input, *args, **kwargs)  # the materialised class's forward


class LazyLinear(_LazyMixin, Linear):
    """``Linear`` with in_features taken from the last dimension of the first input."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Module.__init__(self)
        _check_device(device)
        self.in_features, self.out_features = 0, out_features
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if input.ndim == 0:
            raise RuntimeError(f"{self._describe()}: can't infer in_features from a 0-d input")
        self.in_features = int(input.shape[-1])
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()

    def _sync_sizes(self):
        self.in_features = int(self.weight.shape[1])


class _LazyConvMixin(_LazyMixin):
    def _lazy_init(self, out_channels, bias, dtype):
        self.out_channels = out_channels
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        n = self._dims
        if input.ndim not in (n + 1, n + 2):
            raise RuntimeError(f"{self._describe()}: Expected {n + 1}D (unbatched) or {n + 2}D "
                               f"(batched) input, but got input of size: {list(input.shape)}")
        self.in_channels = int(input.shape[1] if input.ndim == n + 2 else input.shape[0])
        if self.in_channels % self.groups:
            raise ValueError(f"{self._describe()}: in_channels must be divisible by groups "
                             f"(in_channels={self.in_channels}, groups={self.groups})")
        self.weight.materialize((self.out_channels, self.in_channels // self.groups)
                                + tuple(self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()

    def _sync_sizes(self):
        self.in_channels = int(self.weight.shape[1]) * self.groups


class LazyConv1d(_LazyConvMixin, Conv1d):
    """``Conv1d`` with in_channels taken from the first input."""

    cls_to_become = Conv1d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, dtype)


class LazyConv2d(_LazyConvMixin, Conv2d):
    """``Conv2d`` with in_channels taken from the first input."""

    cls_to_become = Conv2d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, dtype)
