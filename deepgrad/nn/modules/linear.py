"""Fully connected layers: ``Identity``, ``Linear`` (y = x Wᵀ + b), ``Bilinear``, ``Maxout``."""

import math

import numpy as np

from deepgrad.nn import init
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter, factory_dtype
from deepgrad.ops.affine import bilinear, maxout
from deepgrad.ops.linalg import linear
from deepgrad.tensor import _check_device

__all__ = ["Identity", "Linear", "NonDynamicallyQuantizableLinear", "Bilinear", "Maxout"]


def _empty(shape, dtype):
    _dtype = factory_dtype(dtype)
    return Parameter(np.empty(shape, dtype=_dtype))


class Identity(Module):
    """Returns its input unchanged (a placeholder; any constructor arguments are ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """The fully connected layer of the perceptron: y = x Wᵀ + b.

    Args:
        in_features: size of each input sample (the input's last dimension).
        out_features: size of each output sample.
        bias: learn the additive bias b (default True).

    Shape: input (*, in_features) -> output (*, out_features). ``weight`` is
    (out_features, in_features), ``bias`` (out_features,).

    Initialisation (PyTorch's): W ~ U(−1/√in, 1/√in) via ``kaiming_uniform_(a=√5)``, and
    b ~ U(−1/√in, 1/√in).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        _check_device(device)
        self.in_features, self.out_features = in_features, out_features
        self.weight = _empty((out_features, in_features), dtype)
        if bias:
            self.bias = _empty((out_features,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        shape = input.shape
        weight, bias = self.weight, self.bias  # each a Module.__getattr__ call: read once
        if not shape or shape[-1] != weight.shape[1]:
            got = shape[-1] if shape else "a 0-d tensor"
            raise RuntimeError(
                f"{self._describe()}: input of shape {tuple(shape)} doesn't match weight of "
                f"shape {tuple(weight.shape)}: expected the input's last dimension to be "
                f"in_features={weight.shape[1]}, got {got}")
        return linear(input, weight, bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """A ``Linear`` under PyTorch's name for ``MultiheadAttention.out_proj`` (there it keeps
    the quantization tooling off the attention's output projection); same maths and weights,
    and the same printed model."""


class Bilinear(Module):
    """y = x1ᵀ A x2 + b, one matrix A_k per output feature.

    ``weight`` is (out_features, in1_features, in2_features); both weight and bias start
    U(−1/√in1, 1/√in1) (PyTorch).
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        _check_device(device)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = _empty((out_features, in1_features, in2_features), dtype)
        if bias:
            self.bias = _empty((out_features,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        if input1.shape[-1:] != (self.in1_features,) or input2.shape[-1:] != (self.in2_features,):
            raise RuntimeError(
                f"{self._describe()}: inputs of shape {tuple(input1.shape)} and "
                f"{tuple(input2.shape)} don't match in1_features={self.in1_features}, "
                f"in2_features={self.in2_features}")
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Maxout(Module):
    """Maxout unit (Goodfellow et al., 2013): h_j = max_{i<k} (W_ij · x + b_ij).

    Each output feature is the maximum of ``pool_size`` (k) affine pieces of the input, a
    learned convex piecewise-linear activation (ReLU is maxout with pieces z and 0). Not in
    PyTorch; ``weight`` is (out_features · pool_size, in_features), initialised like Linear.
    """

    def __init__(self, in_features, out_features, pool_size=2, bias=True, device=None,
                 dtype=None):
        super().__init__()
        _check_device(device)
        if pool_size < 1:
            raise ValueError(f"Maxout: pool_size must be at least 1, got {pool_size}")
        self.in_features, self.out_features, self.pool_size = in_features, out_features, pool_size
        self.weight = _empty((out_features * pool_size, in_features), dtype)
        if bias:
            self.bias = _empty((out_features * pool_size,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    reset_parameters = Linear.reset_parameters

    def forward(self, input):
        if not input.shape or input.shape[-1] != self.in_features:
            raise RuntimeError(f"{self._describe()}: input of shape {tuple(input.shape)} "
                               f"doesn't match in_features={self.in_features}")
        return maxout(input, self.weight, self.bias, self.pool_size)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"pool_size={self.pool_size}, bias={self.bias is not None}")
