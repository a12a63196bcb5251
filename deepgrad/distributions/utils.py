"""Helpers shared by the distributions (PyTorch's ``torch.distributions.utils``)."""

import numbers

import numpy as np

import deepgrad
from deepgrad.tensor import Tensor

__all__ = ["broadcast_all", "logits_to_probs", "probs_to_logits", "clamp_probs", "lazy_property",
           "draw"]


def broadcast_all(*values):
    """Turn numbers into tensors and broadcast everything to one shape.

    Numbers take the dtype of the tensor arguments (or the default dtype when all are numbers),
    as torch does, so ``Normal(0., scale)`` keeps ``scale``'s dtype.
    """
    tensors = [v for v in values if isinstance(v, Tensor)]
    for v in values:
        if not isinstance(v, (Tensor, numbers.Number)):
            raise ValueError(
                f"Input arguments must all be instances of numbers.Number or Tensor; "
                f"got {type(v).__name__}")
    dtype = tensors[0].dtype if tensors else deepgrad.get_default_dtype()
    converted = [v if isinstance(v, Tensor) else deepgrad.tensor(v, dtype=dtype) for v in values]
    shapes = {tuple(v.shape) for v in converted}
    if len(shapes) == 1:
        return tuple(converted)
    try:
        return tuple(deepgrad.broadcast_tensors(*converted))
    except Exception as error:  # name the shapes rather than show NumPy's message
        raise ValueError(
            f"distribution parameters of shapes {[tuple(v.shape) for v in converted]} "
            f"cannot be broadcast together") from error


def clamp_probs(probs):
    """Clamp probabilities into [eps, 1 - eps] (eps of the dtype) so logs stay finite."""
    eps = float(np.finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary=False):
    """sigmoid(logits) for a binary variable, softmax(logits, -1) for a categorical one."""
    if is_binary:
        return deepgrad.sigmoid(logits)
    return deepgrad.softmax(logits, dim=-1)


def probs_to_logits(probs, is_binary=False):
    """log p - log(1 - p) for a binary variable, log p for a categorical one (p clamped)."""
    clamped = clamp_probs(probs)
    if is_binary:
        return deepgrad.log(clamped) - deepgrad.log1p(-clamped)
    return deepgrad.log(clamped)


class lazy_property:
    """A property computed once, on first access, then stored on the instance.

    Distributions given ``probs`` compute ``logits`` (and the reverse) only when asked.
    """

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with deepgrad.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def draw(shape, dtype, kind="normal", **params):
    """An array of ``shape`` drawn from deepgrad's global generator (``manual_seed``-able)."""
    from deepgrad.backend.random import generator

    rng = generator()
    shape = tuple(shape)
    if kind == "normal":
        array = rng.standard_normal(shape)
    elif kind == "uniform":
        array = rng.random(shape)
    elif kind == "gamma":
        array = rng.standard_gamma(params["shape_param"], size=shape)
    elif kind == "exponential":
        array = rng.standard_exponential(shape)
    elif kind == "poisson":
        array = rng.poisson(params["lam"], size=shape)
    else:
        raise ValueError(f"unknown draw kind {kind!r}")
    return np.asarray(array, dtype=dtype)


def sized(shape):
    """``shape`` as a ``deepgrad.Size`` (accepts an int, a tuple, a list or a Size)."""
    if isinstance(shape, numbers.Integral):
        shape = (int(shape),)
    return deepgrad.Size(tuple(int(s) for s in shape))
