"""Activation layers: thin modules around ``deepgrad.ops.activation`` and softmax.

The nonlinearity f between affine layers (without it, stacked layers collapse into one affine
map). ``inplace=True`` is accepted for PyTorch compatibility but deepgrad always returns a new
tensor (autograd needs the input).
"""

import numpy as np

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter, factory_dtype
from deepgrad.ops import activation as A
from deepgrad.ops import activation_extra as X
from deepgrad.ops.reduce import log_softmax, softmax
from deepgrad.tensor import _check_device

__all__ = ["Sigmoid", "Tanh", "ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Softplus",
           "Hardtanh", "Softmax", "LogSoftmax", "LogSigmoid", "Hardswish", "Hardsigmoid", "SELU",
           "CELU", "Mish", "Softsign", "Softmin", "GLU", "PReLU", "RReLU", "Threshold",
           "Hardshrink", "Softshrink", "Tanhshrink", "Softmax2d"]


def _inplace_repr(inplace):
    return "inplace=True" if inplace else ""


class Sigmoid(Module):
    """σ(z) = 1 / (1 + e^−z), squashing to (0, 1); σ' = σ(1 − σ)."""

    def forward(self, input):
        return A.sigmoid(input)


class Tanh(Module):
    """tanh(z) ∈ (−1, 1); tanh' = 1 − tanh²."""

    def forward(self, input):
        return A.tanh(input)


class ReLU(Module):
    """max(0, z)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return A.relu(input)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Hardtanh(Module):
    """z clipped to [min_val, max_val]."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val "
                             f"({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return A.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self):
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class ReLU6(Hardtanh):
    """min(max(0, z), 6)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class LeakyReLU(Module):
    """z for z > 0, negative_slope · z otherwise (default slope 0.01; some course slides use
    0.1)."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return A.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        inplace = ", inplace=True" if self.inplace else ""
        return f"negative_slope={self.negative_slope}{inplace}"


class ELU(Module):
    """z for z > 0, α (e^z − 1) otherwise."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return A.elu(input, self.alpha)

    def extra_repr(self):
        inplace = ", inplace=True" if self.inplace else ""
        return f"alpha={self.alpha}{inplace}"


class GELU(Module):
    """z · Φ(z), Φ the standard normal CDF (``approximate='tanh'`` for the tanh formula)."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return A.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """z · σ(z) (swish)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return A.silu(input)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Softplus(Module):
    """(1/β) log(1 + e^(βz)), a smooth ReLU; linear where βz > threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return A.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """softmax(z)_i = e^(z_i) / Σ_j e^(z_j) along ``dim``: scores to probabilities.

    Don't put it before ``CrossEntropyLoss``, which takes logits and applies log-softmax itself.
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log softmax(z) = z − logsumexp(z) along ``dim`` (pair with ``NLLLoss``)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return log_softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


def _with_inplace(text, inplace):
    return text + (", inplace=True" if inplace else "")


class LogSigmoid(Module):
    """log σ(z) = −softplus(−z), computed without overflow."""

    def forward(self, input):
        return X.logsigmoid(input)


class Hardsigmoid(Module):
    """clip(z/6 + 1/2, 0, 1): a piecewise-linear sigmoid."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return X.hardsigmoid(input)


class Hardswish(Module):
    """z · hardsigmoid(z) (MobileNetV3)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return X.hardswish(input)


class SELU(Module):
    """λ (max(0, z) + min(0, α (e^z − 1))) with λ ≈ 1.0507, α ≈ 1.6733 (pair with
    ``AlphaDropout`` and LeCun-normal init)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return X.selu(input)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class CELU(Module):
    """max(0, z) + min(0, α (e^(z/α) − 1))."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return X.celu(input, self.alpha)

    def extra_repr(self):
        return _with_inplace(f"alpha={self.alpha}", self.inplace)


class Mish(Module):
    """z · tanh(softplus(z))."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return X.mish(input)


class Softsign(Module):
    """z / (1 + |z|)."""

    def forward(self, input):
        return X.softsign(input)


class Tanhshrink(Module):
    """z − tanh(z)."""

    def forward(self, input):
        return X.tanhshrink(input)


class Softmin(Module):
    """softmax(−z) along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return X.softmin(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels at every spatial position of (N, C, H, W) or (C, H, W)."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"{self._describe()}: expected input to be 3D or 4D, got "
                             f"{input.ndim}D instead (shape {tuple(input.shape)})")
        return softmax(input, -3)


class GLU(Module):
    """Gated linear unit a · σ(b), a and b the two halves of the input along ``dim``."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return X.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class PReLU(Module):
    """z for z > 0, a·z otherwise, with the slope a learned: one shared (``num_parameters=1``)
    or one per channel (dim 1 of the input); a starts at ``init``."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        _check_device(device)
        self.num_parameters, self.init = num_parameters, init
        _dtype = factory_dtype(dtype)
        self.weight = Parameter(np.empty((num_parameters,), dtype=_dtype))
        self.reset_parameters()

    @no_grad()
    def reset_parameters(self):
        self.weight._data[...] = self.init
        self.weight._bump_version()

    def forward(self, input):
        try:
            return X.prelu(input, self.weight)
        except RuntimeError as error:
            raise RuntimeError(f"{self._describe()}: {error}") from None

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomised leaky ReLU: slope ~ U(lower, upper) per element while training, the mean
    slope (lower + upper)/2 in evaluation."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return X.rrelu(input, self.lower, self.upper, self.training)

    def extra_repr(self):
        return _with_inplace(f"lower={self.lower}, upper={self.upper}", self.inplace)


class Threshold(Module):
    """z where z > threshold, else ``value``."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return X.threshold(input, self.threshold, self.value)

    def extra_repr(self):
        return _with_inplace(f"threshold={self.threshold}, value={self.value}", self.inplace)


class Hardshrink(Module):
    """z where |z| > λ, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return X.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Module):
    """z − λ·sign(z) where |z| > λ, else 0 (the proximal map of λ|z|)."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return X.softshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"
