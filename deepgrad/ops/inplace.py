"""In-place ops (``add_``, ``mul_``, ``zero_``, ``uniform_``...).

Allowed only where autograd stays correct: on tensors outside the graph, or inside
``no_grad`` (optimizer updates, weight init). Each bumps the tensor's version, so a graph
that saved the old values refuses to backward instead of returning wrong gradients.
"""

import numpy as np

from deepgrad.backend.random import generator as _rng
from deepgrad.tensor import Tensor


def _value(x):
    return x._data if isinstance(x, Tensor) else x


def _write(tensor, result, op):
    tensor._bump_version()
    try:
        np.copyto(tensor._data, result, casting="same_kind")
    except (ValueError, TypeError) as error:
        raise RuntimeError(f"{op}: result of shape {np.shape(result)} can't be written in place "
                           f"into a tensor of shape {tuple(tensor.shape)} and dtype "
                           f"{tensor.dtype}: {error}") from None
    return tensor


def _binary_inplace(name, ufunc):
    def method(self, other, alpha=None):
        value = _value(other)
        if alpha is not None:
            value = value * alpha
        self._bump_version()
        try:
            ufunc(self._data, value, out=self._data, casting="same_kind")
        except (ValueError, TypeError) as error:
            raise RuntimeError(f"{name}: can't update a tensor of shape {tuple(self.shape)} and "
                               f"dtype {self.dtype} in place with shape {np.shape(value)}: "
                               f"{error}") from None
        return self

    method.__name__ = name
    return method


add_ = _binary_inplace("add_", np.add)
sub_ = _binary_inplace("sub_", np.subtract)
mul_ = _binary_inplace("mul_", np.multiply)
_true_div_ = _binary_inplace("div_", np.true_divide)


def div_(self, other, *, rounding_mode=None):
    """``x /= other`` in place; ``rounding_mode`` 'trunc' or 'floor' rounds the quotient as
    ``deepgrad.div`` does."""
    if rounding_mode is None:
        return _true_div_(self, other)
    from deepgrad.ops.elementwise import div

    quotient = div(Tensor._from_op(self._data, None), other, rounding_mode=rounding_mode)
    return _write(self, quotient._data, "div_")
pow_ = _binary_inplace("pow_", np.power)


def addcmul_(self, tensor1, tensor2, value=1):
    return _write(self, self._data + value * _value(tensor1) * _value(tensor2), "addcmul_")


def addcdiv_(self, tensor1, tensor2, value=1):
    return _write(self, self._data + value * _value(tensor1) / _value(tensor2), "addcdiv_")


def lerp_(self, end, weight):
    return _write(self, self._data + _value(weight) * (_value(end) - self._data), "lerp_")


def clamp_(self, min=None, max=None):
    return _write(self, np.clip(self._data, _value(min), _value(max)), "clamp_")


def zero_(self):
    return _write(self, 0, "zero_")


def fill_(self, value):
    return _write(self, _value(value), "fill_")


def copy_(self, src):
    return _write(self, _value(src), "copy_")


def neg_(self):
    return _write(self, -self._data, "neg_")


def sqrt_(self):
    return _write(self, np.sqrt(self._data), "sqrt_")


def exp_(self):
    return _write(self, np.exp(self._data), "exp_")


def abs_(self):
    return _write(self, np.abs(self._data), "abs_")


def relu_(self):
    return _write(self, np.maximum(self._data, 0), "relu_")


def uniform_(self, a=0.0, b=1.0, generator=None):
    return _write(self, _rng(generator).uniform(a, b, self.shape), "uniform_")


def normal_(self, mean=0.0, std=1.0, generator=None):
    return _write(self, _rng(generator).normal(mean, std, self.shape), "normal_")


def bernoulli_(self, p=0.5, generator=None):
    return _write(self, _rng(generator).random(self.shape) < p, "bernoulli_")


def exponential_(self, lambd=1.0, generator=None):
    return _write(self, _rng(generator).exponential(1.0 / lambd, self.shape), "exponential_")


def random_(self, low=0, high=None, generator=None):
    if high is None:
        low, high = 0, low
    return _write(self, _rng(generator).integers(low, high, self.shape), "random_")


def masked_fill_(self, mask, value):
    self._bump_version()
    self._data[np.broadcast_to(_value(mask), self.shape)] = _value(value)
    return self


def index_fill_(self, dim, index, value):
    self._bump_version()
    key = [slice(None)] * self.ndim
    key[dim] = _value(index)
    self._data[tuple(key)] = _value(value)
    return self
