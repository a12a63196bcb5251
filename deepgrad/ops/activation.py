"""Activation functions, each with its derivative next to it.

The perceptron's nonlinearity f in y = f(w·x + b): sigmoid σ(z) = 1 / (1 + e^-z) with
σ' = σ(1 − σ); tanh with tanh' = 1 − tanh²; ReLU max(0, z) with derivative 1 for z > 0.
"""

import math

import numpy as np

from deepgrad.autograd.function import Function, apply_unary
from deepgrad.ops._buffers import OUTPUTS as _OUT
from deepgrad.ops._util import const
from deepgrad.ops.elementwise import _float_input, erf_array

_EXP_LIMIT = {2: 11.0, 4: 88.0, 8: 709.0}  # by itemsize: e^limit is finite in that dtype
_SIGMOID_CONSTANTS = {}
_FLOAT32 = np.dtype(np.float32)
_ZERO32 = const(0, _FLOAT32)
_SMALL = 1 << 15  # elements: below this a fresh np.maximum output beats the output pool


class Sigmoid(Function):
    """σ(z) = 1 / (1 + e^-z), computed without overflow for large |z|; σ' = σ(1 − σ)."""

    __slots__ = ("out",)

    def forward(self, x):
        if x.dtype is not _FLOAT32:
            x = _float_input(x)
        # e^-z is capped just below the dtype's overflow (88 for float32), so no inf and no
        # warning; the capped results differ from the exact ones only below 1e-38 (denormals)
        if x.dtype is _FLOAT32:
            limit, one = _SIGMOID_FLOAT32
        else:
            limit, one = _sigmoid_constants(x.dtype)
        out = np.negative(x)
        if type(out) is not np.ndarray:  # a 0-d input gives a NumPy scalar
            out = np.asarray(out)
        np.minimum(out, limit, out=out)
        np.exp(out, out=out)
        out += one
        np.reciprocal(out, out=out)
        self.out = out
        return out

    def backward(self, grad):
        out = self.out
        dx = np.subtract(const(1, out.dtype), out)
        dx *= out
        dx *= grad
        return dx


def _sigmoid_constants(dtype):
    """(the exponent cap, one) as 0-d arrays of ``dtype``, cached."""
    constants = _SIGMOID_CONSTANTS.get(dtype)
    if constants is None:
        limit = _EXP_LIMIT.get(dtype.itemsize, 88.0)
        constants = _SIGMOID_CONSTANTS[dtype] = (const(limit, dtype), const(1, dtype))
    return constants


_SIGMOID_FLOAT32 = _sigmoid_constants(_FLOAT32)


class Tanh(Function):
    """tanh(z); tanh' = 1 − tanh²."""

    __slots__ = ("out",)

    def forward(self, x):
        out = self.out = np.tanh(x if x.dtype is _FLOAT32 else _float_input(x))
        return out

    def backward(self, grad):
        return grad * (1 - self.out * self.out)


class ReLU(Function):
    """max(0, z); the gradient passes where z > 0 (0 at z = 0, as PyTorch)."""

    __slots__ = ("out",)

    def forward(self, x):
        # 0-d zero: half the cost of Python's 0; a recycled output array: no fresh pages
        zero = _ZERO32 if x.dtype is _FLOAT32 else const(0, x.dtype)
        if x.size < _SMALL:
            out = self.out = np.maximum(x, zero)
        else:
            out = self.out = np.maximum(x, zero, out=_OUT.empty_like(x))
        return out

    def backward(self, grad):
        out = self.out
        mask = np.greater(out, const(0, out.dtype), out=_OUT.empty_like(out, np.bool_))
        return np.multiply(grad, mask, out=_OUT.empty_like(out, grad.dtype))


class LeakyReLU(Function):
    """z for z > 0, negative_slope·z otherwise (PyTorch's default slope 0.01)."""

    __slots__ = ("positive", "slope")

    def forward(self, x, negative_slope=0.01):
        self.positive, self.slope = x > 0, negative_slope
        return np.where(self.positive, x, x * negative_slope).astype(x.dtype, copy=False)

    def backward(self, grad):
        return np.where(self.positive, grad, grad * self.slope).astype(grad.dtype, copy=False)


class ELU(Function):
    """z for z > 0, α(e^z − 1) otherwise."""

    def forward(self, x, alpha=1.0):
        self.x, self.alpha = x, alpha
        negative_part = alpha * np.expm1(np.minimum(x, 0))
        self.out = np.where(x > 0, x, negative_part).astype(x.dtype, copy=False)
        return self.out

    def backward(self, grad):
        return np.where(self.x > 0, grad, grad * (self.out + self.alpha)).astype(grad.dtype,
                                                                              copy=False)


class GELU(Function):
    """z·Φ(z), Φ the standard normal CDF; ``approximate='tanh'`` uses the tanh formula."""

    def forward(self, x, approximate="none"):
        x = _float_input(x)
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
            self.t = np.tanh(inner)
            return 0.5 * x * (1 + self.t)
        if approximate != "none":
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.cdf = 0.5 * (1 + erf_array(x / math.sqrt(2)))
        return x * self.cdf

    def backward(self, grad):
        x = self.x
        if self.approximate == "tanh":
            t = self.t
            d_inner = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return grad * (self.cdf + x * pdf)


class Softplus(Function):
    """(1/β) log(1 + e^(βz)), linear above ``threshold`` (PyTorch's numerics)."""

    def forward(self, x, beta=1.0, threshold=20.0):
        x = _float_input(x)
        self.scaled, self.threshold = x * beta, threshold
        soft = (np.maximum(self.scaled, 0) + np.log1p(np.exp(-np.abs(self.scaled)))) / beta
        return np.where(self.scaled > threshold, x, soft).astype(x.dtype, copy=False)

    def backward(self, grad):
        z = self.scaled
        sig = np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), 1 - 1 / (1 + np.exp(-np.abs(z))))
        return np.where(z > self.threshold, grad, grad * sig).astype(grad.dtype, copy=False)


class SiLU(Function):
    """z·σ(z) (swish)."""

    def forward(self, x):
        x = _float_input(x)
        e = np.exp(-np.abs(x))
        self.x, self.sig = x, np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return x * self.sig

    def backward(self, grad):
        sig = self.sig
        return grad * sig * (1 + self.x * (1 - sig))


class Hardtanh(Function):
    def forward(self, x, min_val=-1.0, max_val=1.0):
        self.inside = (x > min_val) & (x < max_val)
        return np.clip(x, min_val, max_val)

    def backward(self, grad):
        return grad * self.inside


def sigmoid(input):
    return apply_unary(Sigmoid, input)


def tanh(input):
    return apply_unary(Tanh, input)


def relu(input, inplace=False):
    return apply_unary(ReLU, input)


def relu6(input, inplace=False):
    return Hardtanh.apply(input, min_val=0.0, max_val=6.0)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return Hardtanh.apply(input, min_val=min_val, max_val=max_val)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return LeakyReLU.apply(input, negative_slope=negative_slope)


def elu(input, alpha=1.0, inplace=False):
    return ELU.apply(input, alpha=alpha)


def gelu(input, approximate="none"):
    return GELU.apply(input, approximate=approximate)


def softplus(input, beta=1.0, threshold=20.0):
    return Softplus.apply(input, beta=beta, threshold=threshold)


def silu(input, inplace=False):
    return SiLU.apply(input)
