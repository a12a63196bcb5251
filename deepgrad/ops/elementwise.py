"""Elementwise arithmetic with broadcasting: + - * / // ** and the unary math functions.

Each op's backward sends ``grad * d(out)/d(input)`` to its inputs; an input that was broadcast
gets that gradient summed back to its own shape (``unbroadcast``).
"""

import math

import numpy as np

from deepgrad.autograd.function import Function, apply_binary, apply_unary
from deepgrad.backend import dtypes
from deepgrad.ops._util import as_tensor_arg, broadcast_shape, unbroadcast
from deepgrad.tensor import Tensor

_ndarray = np.ndarray
_PYTHON_NUMBERS = (float, int, bool)
_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)
_SCALARS = {_FLOAT32: {}, _FLOAT64: {}}  # dtype -> {Python number: cached 0-d array}


def _scalar(value, dtype):
    """A Python number as a cached read-only 0-d array of a float32/float64 array's dtype:
    NumPy 2 converts a Python scalar operand on every ufunc call, which costs as much as the
    ufunc itself on a small array. The result equals the weak-scalar one (NEP 50 casts the
    number to the array's dtype first); numbers beyond float32's range keep the plain path."""
    cache = _SCALARS[dtype]
    key = value if value else ("-0" if math.copysign(1.0, value) < 0 else "0")  # -0.0 == 0.0
    array = cache.get(key)
    if array is None:
        if len(cache) > 512:  # many distinct scalars (a schedule): keep the cache small
            cache.clear()
        array = cache[key] = np.full((), value, dtype)
        array.flags.writeable = False
    return array


def _binary(ufunc, a, b, op, float_result=False):
    """``ufunc(a, b)`` with PyTorch's type promotion and an error naming ``op`` and shapes."""
    a_array, b_array = type(a) is _ndarray, type(b) is _ndarray
    if a_array and b_array:
        dtype = a.dtype
        if dtype is not b.dtype or dtype.kind != "f":
            dtype = dtypes.result_dtype(a, b)
            if float_result and dtype.kind != "f":
                dtype = dtypes.default_float
            a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
        try:
            return ufunc(a, b)
        except ValueError:
            broadcast_shape(op, a.shape, b.shape)
            raise
    if a_array and type(b) in _PYTHON_NUMBERS:
        dtype = a.dtype
        if (dtype is _FLOAT32 or dtype is _FLOAT64) and -3e38 < b < 3e38:
            return ufunc(a, _scalar(b, dtype))
        if dtype.kind == "f":
            return ufunc(a, b)  # NumPy 2 keeps Python scalars weak: float32 stays float32
    elif b_array and type(a) in _PYTHON_NUMBERS:
        dtype = b.dtype
        if (dtype is _FLOAT32 or dtype is _FLOAT64) and -3e38 < a < 3e38:
            return ufunc(_scalar(a, dtype), b)
    array = a if a_array else b
    dtype = dtypes.result_dtype(a, b)
    if float_result and dtype.kind != "f":
        dtype = dtypes.default_float
    if array.dtype != dtype:
        array = array.astype(dtype)
        a, b = (array, b) if a_array else (a, array)
    result = ufunc(a, b)
    return result if result.dtype == dtype else result.astype(dtype)


def _shape(x):
    return x.shape if type(x) is _ndarray else ()


class Add(Function):
    # Nothing saved: backward reads the inputs' shapes from ``parents`` (an input that wants a
    # gradient is a tensor), so a forward that records nothing costs nothing extra.
    __slots__ = ()

    alpha = 1

    def forward(self, a, b, alpha=1):
        if alpha != 1:
            self.alpha = alpha
            b = b * alpha
        return _binary(np.add, a, b, "add")

    def backward(self, grad):
        needs = self.needs_input_grad
        a, b = self.parents[0], self.parents[1]
        return (unbroadcast(grad, a._data.shape) if needs[0] else None,
                unbroadcast(grad if self.alpha == 1 else grad * self.alpha, b._data.shape)
                if needs[1] else None)


class Sub(Function):
    __slots__ = ()

    alpha = 1

    def forward(self, a, b, alpha=1):
        if alpha != 1:
            self.alpha = alpha
            b = b * alpha
        return _binary(np.subtract, a, b, "sub")

    def backward(self, grad):
        needs = self.needs_input_grad
        a, b = self.parents[0], self.parents[1]
        return (unbroadcast(grad, a._data.shape) if needs[0] else None,
                unbroadcast(-grad if self.alpha == 1 else grad * -self.alpha, b._data.shape)
                if needs[1] else None)


class Mul(Function):
    __slots__ = ("a", "b")

    def forward(self, a, b):
        self.a, self.b = a, b
        return _binary(np.multiply, a, b, "mul")

    def backward(self, grad):
        a, b = self.a, self.b
        return (unbroadcast(grad * b, _shape(a)) if self.needs_input_grad[0] else None,
                unbroadcast(grad * a, _shape(b)) if self.needs_input_grad[1] else None)


class Div(Function):
    __slots__ = ("a", "b")

    def forward(self, a, b):
        self.a, self.b = a, b
        return _binary(np.true_divide, a, b, "div", float_result=True)

    def backward(self, grad):
        a, b = self.a, self.b
        grad_a = grad / b
        return (unbroadcast(grad_a, _shape(a)) if self.needs_input_grad[0] else None,
                unbroadcast(-grad_a * a / b, _shape(b)) if self.needs_input_grad[1] else None)


class Pow(Function):
    __slots__ = ("a", "b", "out")

    def forward(self, a, b):
        self.a, self.b = a, b
        integer_base = isinstance(a, np.ndarray) and a.dtype.kind in "iub"
        if integer_base and isinstance(b, (int, np.ndarray)) and np.any(np.asarray(b) < 0):
            raise RuntimeError("pow: integers to negative integer powers are not allowed")
        self.out = _binary(np.power, a, b, "pow")
        return self.out

    def backward(self, grad):
        a, b = self.a, self.b
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            if isinstance(b, np.ndarray):
                grad_a = unbroadcast(grad * b * np.power(a, b - 1), _shape(a))
            elif b == 2:
                grad_a = grad * (2 * a)
            else:
                grad_a = grad * (b * np.power(a, b - 1))
        if self.needs_input_grad[1]:
            log_a = np.log(np.where(np.asarray(a) > 0, a, 1))
            grad_b = unbroadcast(grad * self.out * log_a, _shape(b))
        return grad_a, grad_b


def _nograd_binary(ufunc, op):
    def apply(a, b):
        a_data = a._data if isinstance(a, Tensor) else a
        b_data = b._data if isinstance(b, Tensor) else b
        return Tensor._from_op(np.asarray(_binary(ufunc, a_data, b_data, op)), None)

    apply.__name__ = op
    return apply


def floor_divide(input, other):
    """``input // other`` rounding toward negative infinity (no gradient), as PyTorch's ``//``."""
    return _nograd_binary(np.floor_divide, "floor_divide")(input, other)


def remainder(input, other):
    """Python's ``%``: the result takes the divisor's sign (no gradient)."""
    return _nograd_binary(np.remainder, "remainder")(input, other)


def add(input, other, alpha=1):
    """input + alpha · other, broadcast; a Python number stays a weak scalar."""
    if type(other) is not Tensor and type(other) not in _PYTHON_NUMBERS:
        other = as_tensor_arg(other)
    if alpha == 1:
        return apply_binary(Add, input, other)
    return Add.apply(input, other, alpha=alpha)


def sub(input, other, alpha=1):
    """input - alpha · other, broadcast (refused on two bool tensors, as torch)."""
    if type(other) is not Tensor and type(other) not in _PYTHON_NUMBERS:
        other = as_tensor_arg(other)
    if alpha == 1:
        try:
            return apply_binary(Sub, input, other)
        except TypeError:
            _refuse_bool(input, other, "Subtraction, the `-` operator, with two bool tensors is "
                         "not supported. Use the `^` or `logical_xor()` operator instead.")
            raise
    return Sub.apply(input, other, alpha=alpha)


def _refuse_bool(input, other, message):
    """NumPy refuses ``-`` on bools with a TypeError; torch raises a RuntimeError."""
    if all(getattr(t, "dtype", None) == dtypes.bool_ or isinstance(t, bool)
           for t in (input, other)):
        raise RuntimeError(message) from None


def mul(input, other):
    if type(other) is not Tensor and type(other) not in _PYTHON_NUMBERS:
        other = as_tensor_arg(other)
    return apply_binary(Mul, input, other)


def div(input, other, rounding_mode=None):
    if rounding_mode is not None:
        return _rounded_div(input, other, rounding_mode)
    if type(input) is not Tensor:
        input = as_tensor_arg(input)
    if type(other) is not Tensor and type(other) not in _PYTHON_NUMBERS:
        other = as_tensor_arg(other)
    return apply_binary(Div, input, other)


def _rounded_div(input, other, rounding_mode):
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        result = div(input, other).detach()
        return Tensor._from_op(np.trunc(result._data).astype(
            dtypes.result_dtype(*(x._data if isinstance(x, Tensor) else x for x in (input, other)))
        ), None)
    if type(input) is not Tensor:
        input = as_tensor_arg(input)
    if type(other) is not Tensor and type(other) not in _PYTHON_NUMBERS:
        other = as_tensor_arg(other)
    return apply_binary(Div, input, other)


def pow(input, exponent):
    return Pow.apply(as_tensor_arg(input), as_tensor_arg(exponent))


# ----- unary ops ----------------------------------------------------------------------------


def _float_input(x):
    """Unary math on integer tensors gives the default float dtype, as in PyTorch."""
    dtype = x.dtype
    if dtype is _FLOAT32 or dtype is _FLOAT64 or dtype.kind == "f":
        return x
    return x.astype(dtypes.default_float)


class Neg(Function):
    __slots__ = ()

    def forward(self, x):
        return np.negative(x)

    def backward(self, grad):
        return -grad


class Abs(Function):
    __slots__ = ("x",)

    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, grad):
        return grad * np.sign(self.x)


class Exp(Function):
    """exp(x); its derivative is itself, so the output is what backward keeps."""

    __slots__ = ("out",)

    def forward(self, x):
        dtype = x.dtype
        if dtype is not _FLOAT32 and dtype is not _FLOAT64:
            x = _float_input(x)
        out = self.out = np.exp(x)
        return out

    def backward(self, grad):
        return grad * self.out


class Log(Function):
    __slots__ = ("x",)

    def forward(self, x):
        self.x = _float_input(x)
        return np.log(self.x)

    def backward(self, grad):
        return grad / self.x


class Log1p(Function):
    __slots__ = ("x",)

    def forward(self, x):
        self.x = _float_input(x)
        return np.log1p(self.x)

    def backward(self, grad):
        return grad / (1 + self.x)


class Sqrt(Function):
    __slots__ = ("out",)

    def forward(self, x):
        self.out = np.sqrt(_float_input(x))
        return self.out

    def backward(self, grad):
        return grad / (2 * self.out)


class Rsqrt(Function):
    __slots__ = ("out",)

    def forward(self, x):
        self.out = 1 / np.sqrt(_float_input(x))
        return self.out

    def backward(self, grad):
        return grad * -0.5 * self.out ** 3


class Sin(Function):
    __slots__ = ("x",)

    def forward(self, x):
        self.x = _float_input(x)
        return np.sin(self.x)

    def backward(self, grad):
        return grad * np.cos(self.x)


class Cos(Function):
    __slots__ = ("x",)

    def forward(self, x):
        self.x = _float_input(x)
        return np.cos(self.x)

    def backward(self, grad):
        return grad * -np.sin(self.x)


class Clamp(Function):
    __slots__ = ("x", "low", "high")

    def forward(self, x, low, high):
        self.x, self.low, self.high = x, low, high
        out = x
        if low is not None:
            out = np.maximum(out, low)
        if high is not None:
            out = np.minimum(out, high)
        return out.astype(dtypes.result_dtype(x, *(v for v in (low, high) if v is not None)),
                          copy=False)

    def backward(self, grad):
        # out = min(max(x, low), high): when low > high every element is high (PyTorch's rule)
        x, low, high = self.x, self.low, self.high
        inside = True
        if low is not None:
            inside = x >= low
        if high is not None:
            inside = (x <= high) & inside
        grad_x = unbroadcast(grad * inside, x.shape) if self.needs_input_grad[0] else None
        grad_low = grad_high = None
        if isinstance(low, np.ndarray) and self.needs_input_grad[1]:
            hit = (x < low) if high is None else (x < low) & (low < high)
            grad_low = unbroadcast(grad * hit, low.shape)
        if isinstance(high, np.ndarray) and self.needs_input_grad[2]:
            hit = (x > high) if low is None else (x > high) | (high < low)
            grad_high = unbroadcast(grad * hit, high.shape)
        return grad_x, grad_low, grad_high


class Maximum(Function):
    """Elementwise max; at ties the gradient is split evenly, as PyTorch does."""

    __slots__ = ("a", "b")

    def forward(self, a, b, pick=np.maximum):
        self.a, self.b = a, b
        return _binary(pick, a, b, "maximum" if pick is np.maximum else "minimum")

    def backward(self, grad):
        a, b = self.a, self.b
        a_wins = (a > b) if self.__class__ is Maximum else (a < b)
        share = np.where(a == b, 0.5, a_wins).astype(grad.dtype)
        return (unbroadcast(grad * share, _shape(a)) if self.needs_input_grad[0] else None,
                unbroadcast(grad * (1 - share), _shape(b)) if self.needs_input_grad[1] else None)


class Minimum(Maximum):
    __slots__ = ()

    def forward(self, a, b):
        return super().forward(a, b, pick=np.minimum)


class Where(Function):
    __slots__ = ("condition", "shapes", "out_shape")

    def forward(self, condition, a, b):
        self.condition, self.shapes = condition, (_shape(a), _shape(b))
        if condition.dtype != np.bool_:
            raise RuntimeError(
                f"where: expected condition to be a bool tensor, got {condition.dtype}")
        shape = broadcast_shape("where", condition.shape, _shape(a), _shape(b))
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            dtype = dtypes.result_dtype(a, b)
        else:
            dtype = dtypes.default_float
        self.out_shape = shape
        return np.where(condition, a, b).astype(dtype, copy=False)

    def backward(self, grad):
        zero = np.zeros((), dtype=grad.dtype)
        return (None,
                unbroadcast(np.where(self.condition, grad, zero), self.shapes[0])
                if self.needs_input_grad[1] else None,
                unbroadcast(np.where(self.condition, zero, grad), self.shapes[1])
                if self.needs_input_grad[2] else None)


def neg(input):
    if input._data.dtype == dtypes.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return Neg.apply(input)


def abs(input):
    return Abs.apply(input)


def exp(input):
    return apply_unary(Exp, input)


def log(input):
    return apply_unary(Log, input)


def log1p(input):
    return Log1p.apply(input)


def sqrt(input):
    return Sqrt.apply(input)


def rsqrt(input):
    return Rsqrt.apply(input)


def sin(input):
    return Sin.apply(input)


def cos(input):
    return Cos.apply(input)


def square(input):
    return mul(input, input)


def sign(input):
    """-1, 0 or +1 elementwise (gradient zero everywhere, so it records nothing)."""
    return Tensor._from_op(np.sign(input._data), None)


def _bound(value):
    return value if value is None or isinstance(value, Tensor) else float(value) \
        if isinstance(value, float) else value


def clamp(input, min=None, max=None):
    """Limit every element to [min, max]; the gradient flows only where x was inside."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    return Clamp.apply(input, as_tensor_arg(_bound(min)) if min is not None else None,
                       as_tensor_arg(_bound(max)) if max is not None else None)


clip = clamp


def maximum(input, other):
    return Maximum.apply(input, as_tensor_arg(other))


def minimum(input, other):
    return Minimum.apply(input, as_tensor_arg(other))


def where(condition, input=None, other=None):
    """``input`` where ``condition`` holds, else ``other`` (broadcast together)."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return Where.apply(condition, as_tensor_arg(input), as_tensor_arg(other))


def nonzero(input, as_tuple=False):
    indices = np.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._from_op(i.astype(np.int64), None) for i in indices)
    return Tensor._from_op(np.stack(indices, axis=1).astype(np.int64), None)


# ----- comparisons and logic (no gradient) ---------------------------------------------------


def _compare(ufunc, name):
    def compare(input, other):
        a = input._data if isinstance(input, Tensor) else input
        b = other._data if isinstance(other, Tensor) else other
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape != b.shape:
            broadcast_shape(name, a.shape, b.shape)
        return Tensor._from_op(np.asarray(ufunc(a, b)), None)

    compare.__name__ = name
    compare.__doc__ = f"Elementwise ``{name}`` as a bool tensor (no gradient)."
    return compare


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
logical_and = _compare(np.logical_and, "logical_and")
logical_or = _compare(np.logical_or, "logical_or")
logical_xor = _compare(np.logical_xor, "logical_xor")


def logical_not(input):
    return Tensor._from_op(np.logical_not(input._data), None)


def isnan(input):
    return Tensor._from_op(np.isnan(input._data), None)


def isinf(input):
    return Tensor._from_op(np.isinf(input._data), None)


def isfinite(input):
    return Tensor._from_op(np.isfinite(input._data), None)


def equal(input, other):
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


def allclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False):
    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False):
    return Tensor._from_op(np.isclose(input._data, other._data, rtol=rtol, atol=atol,
                                      equal_nan=equal_nan), None)


def floor(input):
    if input._data.dtype.kind in "iub":
        return Tensor._from_op(input._data.copy(), None)  # integers stay integers, as torch
    return Tensor._from_op(np.floor(input._data), None)


def ceil(input):
    if input._data.dtype.kind in "iub":
        return Tensor._from_op(input._data.copy(), None)  # integers stay integers, as torch
    return Tensor._from_op(np.ceil(input._data), None)


def round(input, decimals=0):
    """Round half to even (as torch), to ``decimals`` places."""
    return Tensor._from_op(np.round(input._data, decimals), None)


def trunc(input):
    if input._data.dtype.kind in "iub":
        return Tensor._from_op(input._data.copy(), None)  # integers stay integers, as torch
    return Tensor._from_op(np.trunc(input._data), None)


def erf_array(x):
    """erf elementwise: exact (math.erf) in float64, a 1.5e-7 rational fit in float32."""
    if x.dtype == np.float64:
        return np.asarray(np.frompyfunc(math.erf, 1, 1)(x), dtype=np.float64)
    # Abramowitz & Stegun 7.1.26
    t = 1.0 / (1.0 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                           + t * 1.061405429))))
    return (np.sign(x) * (1.0 - poly * np.exp(-x * x))).astype(x.dtype, copy=False)


class Erf(Function):
    def forward(self, x):
        self.x = _float_input(x)
        return erf_array(self.x)

    def backward(self, grad):
        return grad * (2 / math.sqrt(math.pi)) * np.exp(-self.x * self.x)


def erf(input):
    return Erf.apply(input)
