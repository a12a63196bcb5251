"""More activations (PyTorch's ``torch.nn.functional`` names), forward and backward side by side.

Pointwise ones with a kink or a closed-form derivative get a small ``Function``; the rest are
composed from existing ops (their gradients then follow by the chain rule):

    hardsigmoid(z) = clip(z/6 + 1/2, 0, 1)        hardswish(z) = z · hardsigmoid(z)
    logsigmoid(z)  = −softplus(−z)                softsign(z)  = z / (1 + |z|)
    selu(z) = λ (max(0, z) + min(0, α (e^z − 1)))  celu(z) = max(0, z) + min(0, α (e^(z/α) − 1))
    mish(z) = z · tanh(softplus(z))               glu(a, b) = a · σ(b)
    prelu(z) = z for z > 0, w·z otherwise (w learned)   rrelu: a random slope per element
    hardshrink / softshrink / tanhshrink / threshold     softmin(z) = softmax(−z)
"""

import math

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import no_grad
from deepgrad.backend.random import generator as _rng
from deepgrad.ops import activation as A
from deepgrad.ops import elementwise as E
from deepgrad.ops.dropout import _check_p, keep_mask
from deepgrad.ops.elementwise import _float_input
from deepgrad.ops.inplace import _write
from deepgrad.ops.reduce import softmax
from deepgrad.tensor import Tensor, _wrap_dim

__all__ = ["logsigmoid", "hardsigmoid", "hardswish", "selu", "celu", "mish", "softsign",
           "softmin", "glu", "prelu", "rrelu", "threshold", "hardshrink", "softshrink",
           "tanhshrink", "gumbel_softmax", "feature_alpha_dropout", "channel_shuffle",
           "native_channel_shuffle", "relu_", "elu_", "leaky_relu_", "hardtanh_", "celu_",
           "selu_", "rrelu_", "threshold_"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_ONE_SIXTH = float(np.float32(1.0) / np.float32(6.0))


def _stable_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class LogSigmoid(Function):
    """log σ(z) = −(max(−z, 0) + log1p(e^−|z|)); d/dz = 1 − σ(z) = σ(−z)."""

    def forward(self, x):
        x = _float_input(x)
        self.x = x
        return -(np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x))))

    def backward(self, grad):
        return grad * _stable_sigmoid(-self.x)


class Hardsigmoid(Function):
    """clip(z/6 + 1/2, 0, 1); the slope is 1/6 strictly inside (−3, 3), 0 outside."""

    def forward(self, x):
        x = _float_input(x)
        self.inside = (x > -3) & (x < 3)
        return np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    def backward(self, grad):
        # PyTorch's kernel uses the float32 constant 1.0f / 6.0f, for every dtype
        return grad * (self.inside * _ONE_SIXTH)


class Hardswish(Function):
    """z · clip(z/6 + 1/2, 0, 1): 0 for z ≤ −3, z for z ≥ 3, z(z + 3)/6 between;
    derivative 0 below −3, z/3 + 1/2 on [−3, 3], 1 above (PyTorch's choice at the ends)."""

    def forward(self, x):
        x = _float_input(x)
        self.x = x
        return (x * np.clip(x / 6 + 0.5, 0, 1)).astype(x.dtype, copy=False)

    def backward(self, grad):
        x = self.x
        slope = np.where(x < -3, 0.0, np.where(x <= 3, x / 3 + 0.5, 1.0))
        return (grad * slope).astype(grad.dtype, copy=False)


class ScaledELU(Function):
    """scale · (z for z > 0, α (e^(z·input_scale) − 1) otherwise): SELU and CELU.

    d/dz = scale for z > 0, scale · α · input_scale · e^(z·input_scale) otherwise.
    """

    def forward(self, x, alpha, scale, input_scale, grad_input_scale=None):
        x = _float_input(x)
        self.x, self.alpha, self.scale = x, alpha, scale
        self.input_scale = input_scale if grad_input_scale is None else grad_input_scale
        negative = alpha * np.expm1(np.minimum(x, 0) * input_scale)
        return (scale * np.where(x > 0, x, negative)).astype(x.dtype, copy=False)

    def backward(self, grad):
        x = self.x
        negative = self.alpha * self.input_scale * np.exp(np.minimum(x, 0) * self.input_scale)
        return (grad * self.scale * np.where(x > 0, 1.0, negative)).astype(grad.dtype, copy=False)


class Mish(Function):
    """z · tanh(softplus(z)); d/dz = tanh(sp) + z · σ(z) · (1 − tanh²(sp))."""

    def forward(self, x):
        x = _float_input(x)
        softplus = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
        self.x, self.t = x, np.tanh(softplus)
        return x * self.t

    def backward(self, grad):
        x, t = self.x, self.t
        return grad * (t + x * _stable_sigmoid(x) * (1 - t * t))


class Softsign(Function):
    """z / (1 + |z|); d/dz = 1 / (1 + |z|)²."""

    def forward(self, x):
        x = _float_input(x)
        self.denominator = 1 + np.abs(x)
        return x / self.denominator

    def backward(self, grad):
        return grad / (self.denominator * self.denominator)


class Threshold(Function):
    """z where z > threshold, else ``value``; the gradient passes where z > threshold."""

    def forward(self, x, threshold, value):
        self.keep = x > threshold
        return np.where(self.keep, x, value).astype(x.dtype, copy=False)

    def backward(self, grad):
        return grad * self.keep


class Shrink(Function):
    """hardshrink: z where |z| > λ, else 0; softshrink: z ∓ λ where |z| > λ, else 0.
    Both pass the gradient only outside [−λ, λ]."""

    def forward(self, x, lambd, soft):
        x = _float_input(x)
        self.keep = (x < -lambd) | (x > lambd)
        shrunk = x - np.sign(x) * lambd if soft else x
        return np.where(self.keep, shrunk, 0).astype(x.dtype, copy=False)

    def backward(self, grad):
        return grad * self.keep


class FeatureAlphaDropout(Function):
    """Alpha dropout of whole channels: one keep/drop draw per (sample, channel); dropped
    channels take α' = −λα, then a·x + b restores zero mean and unit variance."""

    def forward(self, x, p, mask_shape, generator):
        alpha = 1.7580993408473766  # λα of SELU
        keep = keep_mask(mask_shape, p, generator)
        a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
        self.scale = np.multiply(keep, x.dtype.type(a), dtype=x.dtype)
        shift = np.where(keep, x.dtype.type(alpha * a * p), x.dtype.type(alpha * a * (p - 1)))
        return x * self.scale + shift

    def backward(self, grad):
        return grad * self.scale


# ----- public functions ----------------------------------------------------------------------
def logsigmoid(input):
    return LogSigmoid.apply(input)


def hardsigmoid(input, inplace=False):
    return Hardsigmoid.apply(input)


def hardswish(input, inplace=False):
    return Hardswish.apply(input)


def selu(input, inplace=False):
    """λ (max(0, z) + min(0, α (e^z − 1))), λ ≈ 1.0507, α ≈ 1.6733 (self-normalising)."""
    return ScaledELU.apply(input, alpha=SELU_ALPHA, scale=SELU_SCALE, input_scale=1.0)


def celu(input, alpha=1.0, inplace=False):
    """max(0, z) + min(0, α (e^(z/α) − 1))."""
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    # PyTorch's CELU backward takes 1 / float32(α) as the input scale; so does this one
    return ScaledELU.apply(input, alpha=float(alpha), scale=1.0, input_scale=1.0 / alpha,
                           grad_input_scale=1.0 / float(np.float32(alpha)))


def mish(input, inplace=False):
    return Mish.apply(input)


def softsign(input):
    return Softsign.apply(input)


def tanhshrink(input):
    """z − tanh(z)."""
    return E.sub(input, A.tanh(input))


def threshold(input, threshold, value, inplace=False):
    return Threshold.apply(input, threshold=threshold, value=value)


def hardshrink(input, lambd=0.5):
    return Shrink.apply(input, lambd=float(lambd), soft=False)


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                           f"{lambd}.")
    return Shrink.apply(input, lambd=float(lambd), soft=True)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(−z) along ``dim``: large scores get small weights."""
    if dtype is not None:
        input = input.to(dtype)
    return softmax(E.neg(input), dim)


def glu(input, dim=-1):
    """Gated linear unit: split ``input`` in halves a, b along ``dim``; return a · σ(b)."""
    if input.ndim == 0:
        raise RuntimeError("glu: glu does not support scalars because halving size must be even")
    axis = _wrap_dim(dim, input.ndim, "glu")
    size = input.shape[axis]
    if size % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {axis} is size "
                           f"{size} (input shape {tuple(input.shape)})")
    half = size // 2
    return E.mul(input.narrow(axis, 0, half), A.sigmoid(input.narrow(axis, half, half)))


def prelu(input, weight):
    """z for z > 0, w·z otherwise; ``weight`` holds 1 slope or one per channel (dim 1)."""
    if weight.ndim > 1 or (weight.numel() != 1 and input.ndim == 0):
        raise RuntimeError(f"prelu: weight must be a scalar or 1-D tensor with one slope per "
                           f"channel, got weight of shape {tuple(weight.shape)} for input of "
                           f"shape {tuple(input.shape)}")
    slope = weight
    count = weight.numel()
    if count != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if count != channels:
            raise RuntimeError(f"prelu: Mismatch of parameter numbers and input channel size. "
                               f"Found parameter numbers = {count} and channel size = "
                               f"{channels} (input shape {tuple(input.shape)})")
        view = [1] * input.ndim
        view[1] = channels
        slope = weight.reshape(view)
    elif weight.ndim:
        slope = weight.reshape(())
    positive = Tensor._from_op(input._data > 0, None)
    return E.where(positive, input, E.mul(slope, input))


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False, generator=None):
    """Randomised leaky ReLU: while training, each z ≤ 0 gets a slope a ~ U(lower, upper)
    drawn from the seeded generator; in evaluation the slope is the mean (lower + upper)/2."""
    if not training:
        return A.leaky_relu(input, (lower + upper) / 2)
    x = input._data
    draws = _rng(generator).uniform(lower, upper, x.shape)
    noise = np.where(x <= 0, draws, 1).astype(x.dtype)
    return E.mul(input, Tensor._from_op(noise, None))


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Sample from the Gumbel-softmax (concrete) distribution: softmax((z + g)/τ) with
    g = −log(Exp(1)) noise from the seeded generator. ``hard=True`` returns one-hot samples
    whose gradient is the soft sample's (straight-through: y_hard − sg(y_soft) + y_soft)."""
    noise = -np.log(_rng(None).exponential(1.0, logits.shape)).astype(logits.dtype)
    gumbels = E.div(E.add(logits, Tensor._from_op(noise, None)), tau)
    y_soft = softmax(gumbels, dim)
    if not hard:
        return y_soft
    axis = _wrap_dim(dim, logits.ndim, "gumbel_softmax")
    soft = y_soft._data
    index = np.argmax(soft, axis=axis)
    y_hard = np.zeros_like(soft)
    np.put_along_axis(y_hard, np.expand_dims(index, axis), 1, axis=axis)
    return E.add(E.sub(Tensor._from_op(y_hard, None), y_soft.detach()), y_soft)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False, generator=None):
    """Alpha dropout of whole channels (N, C, ...): each channel kept or set to α'."""
    _check_p(p, "feature_alpha_dropout")
    if not training or p == 0 or input.numel() == 0:
        return input
    if input.ndim < 2:
        raise RuntimeError(f"feature_alpha_dropout: Feature dropout requires at least 2 "
                           f"dimensions in the input, got shape {tuple(input.shape)}")
    if p == 1:
        return E.mul(input, 0.0)
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return FeatureAlphaDropout.apply(input, float(p), mask_shape, generator)


def channel_shuffle(input, groups):
    """(N, C, *) viewed as (N, g, C/g, *), the two group axes swapped, flattened back:
    channels of different groups interleave (ShuffleNet)."""
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle: expected input of at least 3 dimensions (N, C, *), "
                           f"got shape {tuple(input.shape)}")
    groups = int(groups)
    channels = input.shape[1]
    if groups <= 0:
        raise RuntimeError(f"channel_shuffle: Number of groups to divide channels in must be "
                           f"positive. Value of groups:{groups}")
    if channels % groups:
        raise RuntimeError(f"channel_shuffle: Number of channels must be divisible by groups. "
                           f"Got {channels} channels and {groups} groups.")
    n, rest = input.shape[0], tuple(input.shape[2:])
    grouped = input.reshape((n, groups, channels // groups) + rest)
    return grouped.transpose(1, 2).reshape(input.shape)


native_channel_shuffle = channel_shuffle


# ----- in-place spellings (F.relu_ ...) ----------------------------------------------------------
def _in_place(fn, name):
    """``name(input, ...)`` writes ``fn(input, ...)`` into ``input`` and returns it. As every
    in-place op in deepgrad, it refuses tensors that autograd tracks."""

    def op(input, *args, **kwargs):
        with no_grad():
            result = fn(input, *args, **kwargs)
        return _write(input, result._data, name)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"In-place ``{fn.__name__}``: overwrites ``input`` with the result."
    return op


relu_ = _in_place(A.relu, "relu_")
elu_ = _in_place(A.elu, "elu_")
leaky_relu_ = _in_place(A.leaky_relu, "leaky_relu_")
hardtanh_ = _in_place(A.hardtanh, "hardtanh_")
celu_ = _in_place(celu, "celu_")
selu_ = _in_place(selu, "selu_")
rrelu_ = _in_place(rrelu, "rrelu_")
threshold_ = _in_place(threshold, "threshold_")
