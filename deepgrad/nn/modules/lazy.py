"""Lazy layers: ``LazyLinear``, ``LazyConv1d/2d``, ``LazyConvTranspose1d/2d``,
``LazyBatchNorm1d/2d``, ``LazyInstanceNorm1d/2d`` infer their input size (in_features,
in_channels, num_features) from the first input they see, as PyTorch's.

Until then their parameters are ``UninitializedParameter`` placeholders. The first call
materialises them in place (the same Parameter objects, so an optimizer built earlier keeps
them), runs ``reset_parameters()``, and turns the module into a plain ``Linear``/``ConvNd``.
Loading a state_dict also materialises them, with the checkpoint's shapes.
"""

import numpy as np

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.backend.dtypes import to_dtype
from deepgrad.nn.module import Module
from deepgrad.nn.modules.batchnorm import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)
from deepgrad.nn.modules.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from deepgrad.nn.modules.linear import Linear
from deepgrad.nn.parameter import Parameter, factory_dtype
from deepgrad.tensor import Tensor, _check_device

__all__ = ["UninitializedParameter", "UninitializedBuffer", "LazyLinear", "LazyConv1d",
           "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
           "LazyConvTranspose3d", "LazyBatchNorm1d",
           "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d"]


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet; ``materialize(shape)`` gives it storage (in
    the dtype it has been cast to meanwhile) and makes it an ordinary ``Parameter``."""

    __slots__ = ()

    def __init__(self, requires_grad=True, device=None, dtype=None):
        _check_device(device)
        _dtype = factory_dtype(dtype)
        super().__init__(np.empty((0,), dtype=_dtype), requires_grad)

    def materialize(self, shape, device=None, dtype=None):
        _dtype = to_dtype(dtype) if dtype is not None else self._data.dtype
        self._data = np.empty(tuple(shape), dtype=_dtype)
        self._version += 1
        self.__class__ = Parameter

    def __repr__(self):
        return "<UninitializedParameter>"


class UninitializedBuffer(Tensor):
    """A buffer whose shape is not known yet (running statistics of lazy norm layers)."""

    __slots__ = ()

    def __init__(self, requires_grad=False, device=None, dtype=None):
        _check_device(device)
        _dtype = factory_dtype(dtype)
        super().__init__(np.empty((0,), dtype=_dtype))

    def materialize(self, shape, device=None, dtype=None):
        _dtype = to_dtype(dtype) if dtype is not None else self._data.dtype
        self._data = np.empty(tuple(shape), dtype=_dtype)
        self._version += 1
        self.__class__ = Tensor

    def __repr__(self):
        return "<UninitializedBuffer>"


class _LazyMixin:
    """The shared steps: placeholders until the first input, then materialise and become
    ``cls_to_become``."""

    cls_to_become = None

    def has_uninitialized_params(self):
        return any(isinstance(p, UninitializedParameter) for p in self._parameters.values()) \
            or any(isinstance(b, UninitializedBuffer) for b in self._buffers.values())

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
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups)
        else:
            shape = (self.out_channels, self.in_channels // self.groups)
        self.weight.materialize(shape + tuple(self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()

    def _sync_sizes(self):
        if self.transposed:
            self.in_channels = int(self.weight.shape[0])
        else:
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


class LazyConvTranspose1d(_LazyConvMixin, ConvTranspose1d):
    """``ConvTranspose1d`` with in_channels taken from the first input."""

    cls_to_become = ConvTranspose1d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, dtype)


class LazyConvTranspose2d(_LazyConvMixin, ConvTranspose2d):
    """``ConvTranspose2d`` with in_channels taken from the first input."""

    cls_to_become = ConvTranspose2d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, dtype)


class _LazyNormMixin(_LazyMixin):
    """num_features from dim 1 of the first input (dim 0 for unbatched instance norm)."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None):
        super().__init__(0, eps, momentum, False, False, device, dtype)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.num_batches_tracked = Tensor(np.array(0, dtype=np.int64))

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        batched = getattr(self, "_dims", None)
        channel_dim = 0 if batched is not None and input.ndim == batched + 1 else 1
        if input.ndim <= channel_dim:
            raise RuntimeError(f"{self._describe()}: can't infer num_features from an input of "
                               f"shape {tuple(input.shape)}")
        self.num_features = int(input.shape[channel_dim])
        for tensor in (self.weight, self.bias, self.running_mean, self.running_var):
            if tensor is not None and hasattr(tensor, "materialize"):
                tensor.materialize((self.num_features,))
        self.reset_parameters()

    def _sync_sizes(self):
        for tensor in (self.weight, self.running_mean):
            if tensor is not None:
                self.num_features = int(tensor.shape[0])
                return


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """``BatchNorm1d`` with num_features taken from the first input."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """``BatchNorm2d`` with num_features taken from the first input."""

    cls_to_become = BatchNorm2d


class LazyInstanceNorm1d(_LazyNormMixin, InstanceNorm1d):
    """``InstanceNorm1d`` with num_features taken from the first input (PyTorch's defaults:
    affine and track_running_stats True, unlike ``InstanceNorm1d``)."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormMixin, InstanceNorm2d):
    """``InstanceNorm2d`` with num_features taken from the first input (PyTorch's defaults:
    affine and track_running_stats True, unlike ``InstanceNorm2d``)."""

    cls_to_become = InstanceNorm2d


class LazyBatchNorm3d(_LazyNormMixin, BatchNorm3d):
    """``BatchNorm3d`` with num_features taken from the first input."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm3d(_LazyNormMixin, InstanceNorm3d):
    """``InstanceNorm3d`` with num_features taken from the first input."""

    cls_to_become = InstanceNorm3d


class LazyConv3d(_LazyConvMixin, Conv3d):
    """``Conv3d`` with in_channels taken from the first input."""

    cls_to_become = Conv3d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, dtype)


class LazyConvTranspose3d(_LazyConvMixin, ConvTranspose3d):
    """``ConvTranspose3d`` with in_channels taken from the first input."""

    cls_to_become = ConvTranspose3d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, dtype)
