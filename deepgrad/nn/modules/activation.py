"""Activation layers: thin modules around ``deepgrad.ops.activation`` and softmax.

The nonlinearity f between affine layers (without it, stacked layers collapse into one affine
map). ``inplace=True`` is accepted for PyTorch compatibility but deepgrad always returns a new
tensor (autograd needs the input).
"""

from deepgrad.nn.module import Module
from deepgrad.ops import activation as A
from deepgrad.ops.reduce import log_softmax, softmax

__all__ = ["Sigmoid", "Tanh", "ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Softplus",
           "Hardtanh", "Softmax", "LogSoftmax"]


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
