"""Convolution layers: ``Conv1d``, ``Conv2d``, ``Conv3d`` and their transposes.

Thin modules: they own ``weight`` and ``bias`` and call ``deepgrad.ops.conv``. Output size
O = ⌊(W + 2P − D·(K − 1) − 1)/S⌋ + 1 (the course's (W − K + 2P)/S + 1 with D = 1).
"""

import math

import numpy as np

from deepgrad.nn import init
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter, factory_dtype
from deepgrad.ops import conv as conv_ops
from deepgrad.ops.conv3d import conv3d, conv_transpose3d
from deepgrad.ops.shape import pad as pad_op
from deepgrad.tensor import _check_device

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, n):
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)
    return (int(value),) * n


class _ConvNd(Module):
    _dims = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device=None,
                 dtype=None):
        super().__init__()
        _check_device(device)
        name = type(self).__name__
        n = self._dims
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels must be divisible by groups "
                             f"(in_channels={in_channels}, groups={groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels must be divisible by groups "
                             f"(out_channels={out_channels}, groups={groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        kernel_size = _ntuple(kernel_size, n)
        stride = _ntuple(stride, n)
        dilation = _ntuple(dilation, n)
        if any(k <= 0 for k in kernel_size) or any(s <= 0 for s in stride) or \
                any(d <= 0 for d in dilation):
            raise ValueError(f"{name}: kernel_size, stride and dilation must be positive, got "
                             f"kernel_size={kernel_size}, stride={stride}, dilation={dilation}")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"['valid', 'same']")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            if padding == "same":
                # the total padding D·(K − 1) split left ⌊·/2⌋, right the rest, as PyTorch
                pairs = []
                for d, k in zip(reversed(dilation), reversed(kernel_size)):
                    total = d * (k - 1)
                    pairs += [total // 2, total - total // 2]
                self._reversed_padding_repeated_twice = tuple(pairs)
            else:
                self._reversed_padding_repeated_twice = (0, 0) * n
        else:
            padding = _ntuple(padding, n)
            self._reversed_padding_repeated_twice = tuple(
                p for p in reversed(padding) for _ in range(2))
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.transposed = dilation, transposed
        self.output_padding = _ntuple(output_padding, n)
        self.groups, self.padding_mode = groups, padding_mode
        _dtype = factory_dtype(dtype)
        if transposed:
            shape = (in_channels, out_channels // groups) + kernel_size
        else:
            shape = (out_channels, in_channels // groups) + kernel_size
        self.weight = Parameter(np.empty(shape, dtype=_dtype))
        if bias:
            self.bias = Parameter(np.empty((out_channels,), dtype=_dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: W ~ kaiming_uniform(a=√5) = U(±1/√fan_in), b ~ U(±1/√fan_in)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _check_input(self, input):
        n = self._dims
        if input.ndim not in (n + 1, n + 2):
            raise RuntimeError(f"{self._describe()}: expected {n + 1}-D (unbatched) or {n + 2}-D "
                               f"(batched) input, but got input of shape {tuple(input.shape)}")
        c = input.shape[-n - 1]
        if c != self.in_channels:
            raise RuntimeError(
                f"{self._describe()}: expected input with {self.in_channels} channels "
                f"(dimension {input.ndim - n - 1}), but got input of shape "
                f"{tuple(input.shape)} with {c} channels; weight has shape "
                f"{tuple(self.weight.shape)}")

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
            f"stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _conv(self, input, fn):
        self._check_input(input)
        if self.padding_mode != "zeros":
            mode = "constant" if self.padding_mode == "zeros" else self.padding_mode
            padded = pad_op(input, self._reversed_padding_repeated_twice, mode=mode)
            return fn(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return fn(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                  self.groups)


class Conv1d(_ConvNd):
    """1-d convolution over (N, C_in, L) → (N, C_out, L_out); weight (C_out, C_in/groups, K)."""

    _dims = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        return self._conv(input, conv_ops.conv1d)


class Conv2d(_ConvNd):
    """2-d convolution over (N, C_in, H, W) → (N, C_out, H_out, W_out),
    H_out = ⌊(H + 2P − D·(K − 1) − 1)/S⌋ + 1; weight (C_out, C_in/groups, KH, KW).

    ``padding`` is an int, a pair, 'valid' or 'same'; ``padding_mode`` zeros, reflect,
    replicate or circular; ``groups=in_channels`` gives a depthwise convolution."""

    _dims = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        return self._conv(input, conv_ops.conv2d)


class Conv3d(_ConvNd):
    """3-d convolution over (N, C_in, D, H, W) → (N, C_out, D_out, H_out, W_out) (video,
    volumes); weight (C_out, C_in/groups, KD, KH, KW)."""

    _dims = 3

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        return self._conv(input, conv3d)


class _ConvTransposeNd(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, output_padding,
                 groups, bias, dilation, padding_mode, device, dtype):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f'{type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        n = self._dims
        output_size = tuple(int(s) for s in output_size)[-n:]
        if len(output_size) != n:
            raise ValueError(f"{self._describe()}: output_size must have {n} or {n + 2} "
                             f"elements (got {len(output_size)})")
        result = []
        for i in range(n):
            size = input.shape[input.ndim - n + i]
            low = ((size - 1) * self.stride[i] - 2 * self.padding[i]
                   + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            high = low + self.stride[i] - 1
            if not low <= output_size[i] <= high:
                raise ValueError(f"{self._describe()}: requested an output size of "
                                 f"{output_size}, but valid sizes range from {low} to {high} "
                                 f"(for an input of {tuple(input.shape[-n:])})")
            result.append(output_size[i] - low)
        return tuple(result)


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-d convolution; weight (C_in, C_out/groups, K)."""

    _dims = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        self._check_input(input)
        return conv_ops.conv_transpose1d(input, self.weight, self.bias, self.stride,
                                         self.padding, self._output_padding(input, output_size),
                                         self.groups, self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-d convolution ("deconvolution"), weight (C_in, C_out/groups, KH, KW);
    H_out = (H − 1)·S − 2P + D·(K − 1) + output_padding + 1."""

    _dims = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        self._check_input(input)
        return conv_ops.conv_transpose2d(input, self.weight, self.bias, self.stride,
                                         self.padding, self._output_padding(input, output_size),
                                         self.groups, self.dilation)


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-d convolution, weight (C_in, C_out/groups, KD, KH, KW);
    D_out = (D − 1)·S − 2P + Dil·(K − 1) + output_padding + 1."""

    _dims = 3

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        self._check_input(input)
        return conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding,
                                self._output_padding(input, output_size), self.groups,
                                self.dilation)
