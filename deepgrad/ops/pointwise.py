"""More of PyTorch's pointwise math: trigonometric and hyperbolic functions, logs and
exponentials in other bases, special functions (erfc, erfinv, lgamma, digamma), and the
binary and ternary helpers (atan2, hypot, xlogy, lerp, addcmul, fmod, fmax...).

Each op is one Function with its derivative beside it; a unary op y = f(x) is written as its
``f`` and its derivative dy/dx = ``derivative(x, y)``. Dtypes follow PyTorch: integer and bool
inputs to float functions give float32, Python numbers never upcast a float32 tensor. Where
PyTorch's gradient is zero everywhere (sgn, heaviside) the op records no graph, as
``deepgrad.sign`` does. In-place variants (``tan_``...) follow ``ops/inplace.py``: allowed
outside the graph only, so a saved value is never overwritten under autograd's feet.
"""

import math

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import GradMode, no_grad
from deepgrad.backend import dtypes
from deepgrad.ops import activation as _activation
from deepgrad.ops import elementwise as _ew
from deepgrad.ops._util import as_tensor_arg, broadcast_shape, unbroadcast
from deepgrad.ops.elementwise import _binary, _float_input, _shape, erf_array
from deepgrad.ops.inplace import _write
from deepgrad.ops.shape import to_dtype
from deepgrad.tensor import Tensor

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _cast(x, dtype):
    """A saved operand in the result's dtype, so its gradient stays in that dtype."""
    return x.astype(dtype, copy=False) if type(x) is np.ndarray and x.dtype != dtype else x


def _tensor_only(x, op, name="other"):
    """PyTorch's signature takes a Tensor here, not a Python number."""
    if isinstance(x, (bool, int, float)):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    return as_tensor_arg(x)


def _no_integers(dtype, op):
    if dtype.kind != "f":
        raise NotImplementedError(f"{op}: not implemented for {dtype} tensors (needs floats)")


# ----- unary ops: y = f(x), dy/dx = derivative(x, y) ------------------------------------------


class _Unary(Function):
    """y = f(x) on float inputs (integers become float32); backward is grad · f'(x)."""

    __slots__ = ("x", "out")
    quiet = False  # True for ops with a restricted domain: NaN outside it, as in PyTorch

    def forward(self, x):
        self.x = x = _float_input(x)
        if self.quiet:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                self.out = self.f(x)
        else:
            self.out = self.f(x)
        return self.out

    def backward(self, grad):
        if self.quiet:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                return grad * self.derivative(self.x, self.out)
        return grad * self.derivative(self.x, self.out)


class Tan(_Unary):
    """tan x;  d/dx = 1 + tan² x."""

    f = np.tan
    derivative = staticmethod(lambda x, y: 1 + y * y)


class Asin(_Unary):
    """arcsin x;  d/dx = 1 / √(1 − x²)."""

    quiet = True
    f = np.arcsin
    derivative = staticmethod(lambda x, y: 1 / np.sqrt(1 - x * x))


class Acos(_Unary):
    """arccos x;  d/dx = −1 / √(1 − x²)."""

    quiet = True
    f = np.arccos
    derivative = staticmethod(lambda x, y: -1 / np.sqrt(1 - x * x))


class Atan(_Unary):
    """arctan x;  d/dx = 1 / (1 + x²)."""

    f = np.arctan
    derivative = staticmethod(lambda x, y: 1 / (1 + x * x))


class Sinh(_Unary):
    """sinh x;  d/dx = cosh x."""

    quiet = True
    f = np.sinh
    derivative = staticmethod(lambda x, y: np.cosh(x))


class Cosh(_Unary):
    """cosh x;  d/dx = sinh x."""

    quiet = True
    f = np.cosh
    derivative = staticmethod(lambda x, y: np.sinh(x))


class Asinh(_Unary):
    """arsinh x;  d/dx = 1 / √(x² + 1)."""

    f = np.arcsinh
    derivative = staticmethod(lambda x, y: 1 / np.sqrt(x * x + 1))


class Acosh(_Unary):
    """arcosh x (x ≥ 1);  d/dx = 1 / √(x² − 1)."""

    quiet = True
    f = np.arccosh
    derivative = staticmethod(lambda x, y: 1 / np.sqrt(x * x - 1))


class Atanh(_Unary):
    """artanh x (|x| < 1);  d/dx = 1 / (1 − x²)."""

    quiet = True
    f = np.arctanh
    derivative = staticmethod(lambda x, y: 1 / (1 - x * x))


class Log2(_Unary):
    """log₂ x;  d/dx = 1 / (x ln 2)."""

    quiet = True
    f = np.log2
    derivative = staticmethod(lambda x, y: 1 / (x * _LN2))


class Log10(_Unary):
    """log₁₀ x;  d/dx = 1 / (x ln 10)."""

    quiet = True
    f = np.log10
    derivative = staticmethod(lambda x, y: 1 / (x * _LN10))


class Exp2(_Unary):
    """2ˣ;  d/dx = 2ˣ ln 2."""

    quiet = True
    f = np.exp2
    derivative = staticmethod(lambda x, y: y * _LN2)


class Expm1(_Unary):
    """eˣ − 1, exact for small x;  d/dx = eˣ = y + 1."""

    quiet = True
    f = np.expm1
    derivative = staticmethod(lambda x, y: y + 1)


class Reciprocal(_Unary):
    """1 / x;  d/dx = −1 / x² = −y²."""

    quiet = True
    f = np.reciprocal
    derivative = staticmethod(lambda x, y: -(y * y))


def erfc_array(x):
    """erfc = 1 − erf without the cancellation for large x (math.erfc, in float64)."""
    exact = np.frompyfunc(math.erfc, 1, 1)(x.astype(np.float64, copy=False))
    return np.asarray(exact, dtype=np.float64).astype(x.dtype, copy=False)


class Erfc(_Unary):
    """erfc x = 1 − erf x;  d/dx = −2/√π · e^(−x²)."""

    f = staticmethod(erfc_array)
    derivative = staticmethod(lambda x, y: -_TWO_OVER_SQRT_PI * np.exp(-x * x))


def erfcx_array(x):
    """The scaled complementary error function e^(x²) · erfc x, in float64: the product below
    x = 3 (math.erfc keeps relative precision there), above it Laplace's continued fraction
    erfcx x = 1/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + ...)))), 40 levels, which stays finite
    where erfc underflows."""
    x64 = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.empty_like(x64)
        near = ~(x64 >= 3.0)  # NaN goes here too
        x_near = x64[near]
        out[near] = erfc_array(x_near) * np.exp(x_near * x_near)
        x_far = x64[~near]
        tail = np.zeros_like(x_far)
        for n in range(40, 0, -1):
            tail = (n / 2) / (x_far + tail)
        out[~near] = 1.0 / (math.sqrt(math.pi) * (x_far + tail))
    return out.astype(x.dtype, copy=False)


_ERFINV_A = (0.886226899, -1.645349621, 0.914624893, -0.140543331)
_ERFINV_B = (-2.118377725, 1.442710462, -0.329097515, 0.012229801)
_ERFINV_C = (-1.970840454, -1.624906493, 3.429567803, 1.641345311)
_ERFINV_D = (3.543889200, 1.637067800)


def _erfinv_positive(y_abs, q):
    """x ≥ 0 with erf x = y_abs, given also q = 1 − y_abs exactly (0 < q ≤ 1), in float64:
    a rational first guess (Pavlis' fit, as PyTorch: central for y ≤ 0.7, a tail fit beyond),
    then three Newton steps x ← x − (erf x − y) / (2/√π · e^(−x²)). In the tails erf x − y is
    formed as q − erfc x, which keeps full relative precision as y → 1 (q → 0)."""
    a, b, c, d = _ERFINV_A, _ERFINV_B, _ERFINV_C, _ERFINV_D
    central = y_abs <= 0.7
    z = y_abs * y_abs
    x = y_abs * (((a[3] * z + a[2]) * z + a[1]) * z + a[0]) / (
        (((b[3] * z + b[2]) * z + b[1]) * z + b[0]) * z + 1.0)
    z = np.sqrt(-np.log(q / 2.0))
    x_tail = (((c[3] * z + c[2]) * z + c[1]) * z + c[0]) / ((d[1] * z + d[0]) * z + 1.0)
    x = np.where(central, x, x_tail)
    tail = ~central
    x_mid, y_mid = x[central], y_abs[central]
    x_tail, log_q = x[tail], np.log(q[tail])
    for _ in range(3):
        x_mid = x_mid - (erf_array(x_mid) - y_mid) / (_TWO_OVER_SQRT_PI * np.exp(-x_mid * x_mid))
        # the tails solve ln erfc x = ln q, ln erfc x = ln erfcx(x) − x²: nearly linear in x²,
        # and finite where erfc itself underflows
        scaled = erfcx_array(x_tail)
        x_tail = x_tail + (np.log(scaled) - x_tail * x_tail - log_q) * scaled / _TWO_OVER_SQRT_PI
    x[central], x[tail] = x_mid, x_tail
    return x


def erfinv_array(y):
    """The inverse of erf on (−1, 1), ±inf at ±1, NaN outside (see ``_erfinv_positive``)."""
    y64 = np.asarray(y, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        finite = np.abs(y64) < 1.0
        y_abs = np.where(finite, np.abs(y64), 0.5)  # placeholders, replaced at the end
        x = np.copysign(_erfinv_positive(y_abs, 1.0 - y_abs), y64)  # 1 − |y| exact for |y| ≥ ½
        x = np.where(finite, x, np.where(np.abs(y64) == 1.0, np.copysign(np.inf, y64), np.nan))
    return x.astype(y.dtype, copy=False)


def ndtri_array(p):
    """Φ⁻¹(p), the standard normal quantile: ∓√2 · erf⁻¹ at q = 2p (p < ½) or 2 − 2p (p ≥ ½),
    both exact, so the far tails keep full precision; ∓inf at 0 and 1, NaN outside [0, 1]."""
    p64 = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inside = (p64 > 0) & (p64 < 1)
        p_in = np.where(inside, p64, 0.5)
        lower = p_in < 0.5
        q = np.where(lower, 2.0 * p_in, 2.0 - 2.0 * p_in)
        x = _erfinv_positive(1.0 - q, q) * math.sqrt(2.0)
        x = np.where(lower, -x, x)
        edge = np.where(p64 == 0, -np.inf, np.where(p64 == 1, np.inf, np.nan))
        x = np.where(inside, x, edge)
    return x.astype(p.dtype, copy=False)


class Erfinv(_Unary):
    """erf⁻¹ y;  d/dy = √π/2 · e^(x²) where x = erf⁻¹ y."""

    quiet = True
    f = staticmethod(erfinv_array)
    derivative = staticmethod(lambda x, y: (math.sqrt(math.pi) / 2) * np.exp(y * y))


class Sinc(_Unary):
    """sin(πx) / (πx), 1 at x = 0;  d/dx = (πx cos πx − sin πx) / (πx²), 0 at x = 0."""

    quiet = True

    @staticmethod
    def f(x):
        pi_x = x * math.pi
        return np.where(x == 0, np.ones((), x.dtype), np.sin(pi_x) / pi_x).astype(x.dtype,
                                                                                    copy=False)

    @staticmethod
    def derivative(x, y):
        pi_x = x * math.pi
        slope = (pi_x * np.cos(pi_x) - np.sin(pi_x)) / (pi_x * x)
        return np.where(x == 0, np.zeros((), x.dtype), slope)


class Deg2rad(_Unary):
    """x · π/180."""

    f = staticmethod(lambda x: x * (math.pi / 180.0))
    derivative = staticmethod(lambda x, y: math.pi / 180.0)


class Rad2deg(_Unary):
    """x · 180/π."""

    f = staticmethod(lambda x: x * (180.0 / math.pi))
    derivative = staticmethod(lambda x, y: 180.0 / math.pi)


def _lgamma_scalar(v):
    try:
        return math.lgamma(v)
    except (ValueError, OverflowError):  # poles at 0, −1, −2...; overflow near ±huge
        return math.inf


_PSI_10 = 2.25175258906672110764  # ψ(10)
_PSI_ASYMPTOTIC = (8.33333333333333333333E-2, -2.10927960927960927961E-2,
                   7.57575757575757575758E-3, -4.16666666666666666667E-3,
                   3.96825396825396825397E-3, -8.33333333333333333333E-3,
                   8.33333333333333333333E-2)


def lgamma_array(x):
    """ln |Γ(x)| elementwise (math.lgamma, in float64); +inf at the poles."""
    exact = np.frompyfunc(_lgamma_scalar, 1, 1)(x.astype(np.float64, copy=False))
    return np.asarray(exact, dtype=np.float64).astype(x.dtype, copy=False)


def digamma_array(x):
    """ψ(x) = Γ'(x)/Γ(x), PyTorch's (Cephes') method in float64:

    * x < 0: reflection ψ(x) = ψ(1 − x) − π / tan(π · frac(x)); NaN at negative integers;
    * 0 < x < 10: recurrence ψ(x) = ψ(x + 1) − 1/x until x ≥ 10;
    * x ≥ 10: ψ(x) ≈ ln x − 1/(2x) − Σ B₂ₖ / (2k x²ᵏ); ψ(±0) = ∓inf.
    """
    x64 = np.array(x, dtype=np.float64)  # a copy: shifted in place below
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        negative = x64 < 0
        reflection = np.where(negative, math.pi / np.tan(math.pi * np.fmod(x64, 1.0)), 0.0)
        x64 = np.where(negative, 1.0 - x64, x64)
        result = -reflection
        small = x64 < 10
        while small.any():
            result = np.where(small, result - 1.0 / x64, result)
            x64 = np.where(small, x64 + 1.0, x64)
            small = x64 < 10
        z = 1.0 / (x64 * x64)
        series = 0.0
        for coefficient in _PSI_ASYMPTOTIC:
            series = series * z + coefficient
        series = np.where(x64 < 1.0e17, z * series, 0.0)
        value = np.where(x64 == 10, result + _PSI_10, result + np.log(x64) - 0.5 / x64 - series)
        original = np.asarray(x, dtype=np.float64)
        value = np.where(original == 0, np.copysign(np.inf, -original), value)
        value = np.where(negative & (original == np.trunc(original)), np.nan, value)
    return value.astype(x.dtype, copy=False)


def trigamma_array(x):
    """ψ'(x), PyTorch's method: reflection below 1/2 (ψ'(1 − x) + ψ'(x) = π² / sin² πx), six
    recurrence steps ψ'(x) = ψ'(x + 1) + 1/x², then the asymptotic series."""
    x64 = x.astype(np.float64, copy=False)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reflect = x64 < 0.5
        sin_pi_x = np.sin(math.pi * x64)
        result = np.where(reflect, -(math.pi * math.pi) / (sin_pi_x * sin_pi_x), 0.0)
        x64 = np.where(reflect, 1.0 - x64, x64)
        for _ in range(6):
            result = result + 1.0 / (x64 * x64)
            x64 = x64 + 1.0
        ixx = 1.0 / (x64 * x64)
        result = result + (1 + 1 / (2 * x64) + ixx * (1.0 / 6 - ixx * (1.0 / 30 - ixx * (
            1.0 / 42)))) / x64
        result = np.where(reflect, -result, result)
    return result.astype(x.dtype, copy=False)


class Lgamma(_Unary):
    """ln |Γ(x)|;  d/dx = ψ(x) (digamma)."""

    f = staticmethod(lgamma_array)
    derivative = staticmethod(lambda x, y: digamma_array(x))


class Digamma(_Unary):
    """ψ(x) = d/dx ln Γ(x);  d/dx = ψ'(x) (trigamma)."""

    quiet = True
    f = staticmethod(digamma_array)
    derivative = staticmethod(lambda x, y: trigamma_array(x))


class Frac(Function):
    """x − trunc(x), the sign of x kept;  d/dx = 1 (PyTorch's convention at the jumps too)."""

    __slots__ = ()

    def forward(self, x):
        _no_integers(x.dtype, "frac")
        return x - np.trunc(x)

    def backward(self, grad):
        return grad


class Logit(Function):
    """ln(z / (1 − z)) with z = x, or z = clamp(x, eps, 1 − eps) when eps is given.

    d/dx = 1 / (x (1 − x)) inside; outside [0, 1] NaN (no eps) or 0 where eps clamped x.
    """

    __slots__ = ("x", "eps")

    def forward(self, x, eps=None):
        x = _float_input(x)
        self.x, self.eps = x, eps
        z = x if eps is None else np.clip(x, eps, 1.0 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(z / (1 - z))

    def backward(self, grad):
        x, eps = self.x, self.eps
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = grad / (x * (1 - x))
        if eps is None:
            return np.where((x < 0) | (x > 1), np.full((), np.nan, slope.dtype), slope)
        return np.where((x < eps) | (x > 1.0 - eps), np.zeros((), slope.dtype), slope)


class NanToNum(Function):
    """NaN → ``nan``, +inf → ``posinf``, −inf → ``neginf`` (default: the dtype's extremes);
    the gradient passes where x was finite and is 0 where it was replaced."""

    __slots__ = ("x",)

    def forward(self, x, nan=0.0, posinf=None, neginf=None):
        self.x = x
        if x.dtype.kind != "f":
            return x.copy()
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, grad):
        return grad * np.isfinite(self.x)


# ----- binary ops ---------------------------------------------------------------------------


class Atan2(Function):
    """atan2(a, b), the angle of the point (b, a);  ∂/∂a = b / (a² + b²), ∂/∂b = −a / (a² + b²)."""

    __slots__ = ("a", "b")

    def forward(self, a, b):
        out = _binary(np.arctan2, a, b, "atan2", float_result=True)
        self.a, self.b = _cast(a, out.dtype), _cast(b, out.dtype)
        return out

    def backward(self, grad):
        a, b = self.a, self.b
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = grad / (a * a + b * b)
        return (unbroadcast(scale * b, _shape(a)) if self.needs_input_grad[0] else None,
                unbroadcast(scale * -a, _shape(b)) if self.needs_input_grad[1] else None)


class Hypot(Function):
    """√(a² + b²);  ∂/∂a = a / hypot, ∂/∂b = b / hypot."""

    __slots__ = ("a", "b", "out")

    def forward(self, a, b):
        _no_integers(dtypes.result_dtype(a, b), "hypot")
        self.out = out = _binary(np.hypot, a, b, "hypot")
        self.a, self.b = _cast(a, out.dtype), _cast(b, out.dtype)
        return out

    def backward(self, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = grad / self.out
        return (unbroadcast(scale * self.a, _shape(self.a)) if self.needs_input_grad[0] else None,
                unbroadcast(scale * self.b, _shape(self.b)) if self.needs_input_grad[1] else None)


def _xlogy_array(x, y, log=np.log):
    """x · ln y (or x · ln(1 + y) with ``log=np.log1p``), 0 where x = 0 (even where the log is
    −inf), NaN where y is NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        product = x * log(y)
    return np.where(np.isnan(y), np.nan, np.where(x == 0, 0, product)).astype(
        product.dtype, copy=False)


class Xlogy(Function):
    """x · ln y (0 where x = 0);  ∂/∂x = ln y (0 where x = 0 and y ≤ 0), ∂/∂y = x / y.

    ``log1p=True`` gives xlog1py, x · ln(1 + y): ∂/∂x = ln(1 + y), ∂/∂y = x / (1 + y).
    """

    __slots__ = ("a", "b", "log1p")

    def forward(self, a, b, log1p=False):
        dtype = dtypes.result_dtype(a, b)
        dtype = dtype if dtype.kind == "f" else dtypes.default_float
        broadcast_shape("xlog1py" if log1p else "xlogy", _shape(a), _shape(b))
        a, b = _cast(a, dtype), _cast(b, dtype)
        self.a, self.b, self.log1p = a, b, log1p
        return np.asarray(_xlogy_array(a, b, np.log1p if log1p else np.log), dtype=dtype)

    def backward(self, grad):
        a, b, log1p = self.a, self.b, self.log1p
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            edge = (a == 0) & (b <= (-1 if log1p else 0))
            grad_a = np.where(edge, 0, _xlogy_array(grad, b, np.log1p if log1p else np.log))
            grad_a = unbroadcast(grad_a.astype(grad.dtype, copy=False), _shape(a))
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_b = unbroadcast(grad * a / (b + 1 if log1p else b), _shape(b))
        return grad_a, grad_b


class Logaddexp(Function):
    """ln(eᵃ + eᵇ) = max + ln(1 + e^(−|a − b|)), stable;  ∂/∂a = 1 / (1 + e^(b − a)).

    ``base2`` gives log₂(2ᵃ + 2ᵇ), whose ∂/∂a is 1 / (1 + 2^(b − a)).
    """

    __slots__ = ("a", "b", "base2")

    def forward(self, a, b, base2=False):
        op = "logaddexp2" if base2 else "logaddexp"
        _no_integers(dtypes.result_dtype(a, b), op)
        out = _binary(np.logaddexp2 if base2 else np.logaddexp, a, b, op)
        self.a, self.b, self.base2 = _cast(a, out.dtype), _cast(b, out.dtype), base2
        return out

    def backward(self, grad):
        power = np.exp2 if self.base2 else np.exp
        a, b = self.a, self.b
        with np.errstate(over="ignore", invalid="ignore"):
            return (unbroadcast(grad / (1 + power(b - a)), _shape(a))
                    if self.needs_input_grad[0] else None,
                    unbroadcast(grad / (1 + power(a - b)), _shape(b))
                    if self.needs_input_grad[1] else None)


class Copysign(Function):
    """|a| with the sign of b;  ∂/∂a = copysign(a, b) / a (0 at a = 0), ∂/∂b = 0."""

    __slots__ = ("a", "b", "out")

    def forward(self, a, b):
        self.out = out = _binary(np.copysign, a, b, "copysign", float_result=True)
        self.a, self.b = _cast(a, out.dtype), b
        return out

    def backward(self, grad):
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            a = self.a
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(a == 0, 0, self.out / a)
            grad_a = unbroadcast(grad * ratio, _shape(a))
        if self.needs_input_grad[1]:
            grad_b = np.zeros(_shape(self.b), grad.dtype)
        return grad_a, grad_b


class Fmod(Function):
    """C's fmod: a − trunc(a / b) · b, the sign of a;  ∂/∂a = 1, ∂/∂b = −trunc(a / b)."""

    __slots__ = ("a", "b")

    def forward(self, a, b):
        dtype = dtypes.result_dtype(a, b)
        if dtype.kind != "f" and np.any(np.asarray(b) == 0):
            raise RuntimeError("fmod: ZeroDivisionError (integer division by zero)")
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _binary(np.fmod, a, b, "fmod")
        self.a, self.b = _cast(a, out.dtype), _cast(b, out.dtype)
        return out

    def backward(self, grad):
        grad_b = None
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_b = unbroadcast(-grad * np.trunc(self.a / self.b), _shape(self.b))
        return (unbroadcast(grad, _shape(self.a)) if self.needs_input_grad[0] else None, grad_b)


class Fmax(Function):
    """max(a, b) ignoring NaN (NaN only where both are NaN). The gradient goes to a where
    a ≥ b or b is NaN, else to b: all of it to a at ties (PyTorch's rule; ``maximum`` splits)."""

    __slots__ = ("a", "b")

    def forward(self, a, b, pick=np.fmax):
        self.a, self.b = a, b
        return _binary(pick, a, b, "fmax" if pick is np.fmax else "fmin")

    def backward(self, grad):
        a, b = self.a, self.b
        a_wins = ((a >= b) if type(self) is Fmax else (a <= b)) | np.isnan(b)
        zero = np.zeros((), grad.dtype)
        return (unbroadcast(np.where(a_wins, grad, zero), _shape(a))
                if self.needs_input_grad[0] else None,
                unbroadcast(np.where(a_wins, zero, grad), _shape(b))
                if self.needs_input_grad[1] else None)


class Fmin(Fmax):
    """min(a, b) ignoring NaN; the gradient to a where a ≤ b or b is NaN, else to b."""

    __slots__ = ()

    def forward(self, a, b):
        return super().forward(a, b, pick=np.fmin)


# ----- ternary ops ---------------------------------------------------------------------------


class Lerp(Function):
    """start + w · (end − start), PyTorch's two-sided form (exact at w = 1);
    ∂/∂start = 1 − w, ∂/∂end = w, ∂/∂w = end − start."""

    __slots__ = ("start", "end", "weight")

    def forward(self, start, end, weight):
        broadcast_shape("lerp", start.shape, end.shape, _shape(weight))
        self.start, self.end, self.weight = start, end, weight
        diff = end - start
        small = np.abs(weight) < 0.5
        out = np.where(small, start + weight * diff, end - diff * (1 - weight))
        return out.astype(start.dtype, copy=False)

    def backward(self, grad):
        start, end, weight = self.start, self.end, self.weight
        needs = self.needs_input_grad
        return (unbroadcast(grad * (1 - weight), start.shape) if needs[0] else None,
                unbroadcast(grad * weight, end.shape) if needs[1] else None,
                unbroadcast(grad * (end - start), weight.shape)
                if needs[2] and type(weight) is np.ndarray else None)


class Addcmul(Function):
    """input + value · t1 · t2;  ∂/∂t1 = value · t2, ∂/∂t2 = value · t1."""

    __slots__ = ("t1", "t2", "value", "shapes")

    def forward(self, input, t1, t2, value=1, divide=False):
        op = "addcdiv" if divide else "addcmul"
        broadcast_shape(op, input.shape, t1.shape, t2.shape)
        if divide and t1.dtype.kind != "f" and t2.dtype.kind != "f":
            raise RuntimeError(
                "addcdiv: integer division with addcdiv is not supported (tensor1 and tensor2 "
                "are both integer tensors); use floating-point tensors")
        dtype = dtypes.result_dtype(input, t1, t2)
        if dtype.kind != "f":
            value = int(value)  # PyTorch casts value to the integer result dtype
        t1, t2 = t1.astype(dtype, copy=False), t2.astype(dtype, copy=False)
        self.t1, self.t2 = t1, t2
        self.value, self.shapes = value, (input.shape, t1.shape, t2.shape)
        term = t1 / t2 if divide else t1 * t2
        out = input + (term if value == 1 else value * term)
        return out.astype(dtype, copy=False)

    def backward(self, grad):
        needs, value, (s0, s1, s2) = self.needs_input_grad, self.value, self.shapes
        scaled = grad if value == 1 else grad * value
        return (unbroadcast(grad, s0) if needs[0] else None,
                unbroadcast(scaled * self.t2, s1) if needs[1] else None,
                unbroadcast(scaled * self.t1, s2) if needs[2] else None)


class Addcdiv(Addcmul):
    """input + value · t1 / t2;  ∂/∂t1 = value / t2, ∂/∂t2 = −value · t1 / t2²."""

    __slots__ = ()

    def forward(self, input, t1, t2, value=1):
        return super().forward(input, t1, t2, value=value, divide=True)

    def backward(self, grad):
        needs, value, (s0, s1, s2) = self.needs_input_grad, self.value, self.shapes
        t1, t2 = self.t1, self.t2
        over_t2 = (grad if value == 1 else grad * value) / t2
        return (unbroadcast(grad, s0) if needs[0] else None,
                unbroadcast(over_t2, s1) if needs[1] else None,
                unbroadcast(-over_t2 * t1 / t2, s2) if needs[2] else None)


# ----- the functions ------------------------------------------------------------------------


def tan(input):
    return Tan.apply(input)


def asin(input):
    return Asin.apply(input)


def acos(input):
    return Acos.apply(input)


def atan(input):
    return Atan.apply(input)


def sinh(input):
    return Sinh.apply(input)


def cosh(input):
    return Cosh.apply(input)


def asinh(input):
    return Asinh.apply(input)


def acosh(input):
    return Acosh.apply(input)


def atanh(input):
    return Atanh.apply(input)


arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


def log2(input):
    return Log2.apply(input)


def log10(input):
    return Log10.apply(input)


def exp2(input):
    return Exp2.apply(input)


def expm1(input):
    return Expm1.apply(input)


def reciprocal(input):
    return Reciprocal.apply(input)


def erfc(input):
    return Erfc.apply(input)


def erfinv(input):
    return Erfinv.apply(input)


def sinc(input):
    """The normalized sinc, sin(πx) / (πx)."""
    return Sinc.apply(input)


def deg2rad(input):
    return Deg2rad.apply(input)


def rad2deg(input):
    return Rad2deg.apply(input)


def lgamma(input):
    return Lgamma.apply(input)


def digamma(input):
    return Digamma.apply(input)


def frac(input):
    return Frac.apply(input)


def logit(input, eps=None):
    """ln(p / (1 − p)), the inverse of sigmoid; ``eps`` first clamps p to [eps, 1 − eps]."""
    if eps is None:
        return Logit.apply(input)
    return Logit.apply(input, eps=float(eps))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)


def sgn(input):
    """The sign, −1, 0 or +1 (for real tensors ``sgn`` is ``sign``; bool stays bool)."""
    if input.dtype == np.bool_:
        return Tensor._from_op(input._data.copy(), None)
    return _ew.sign(input)


def positive(input):
    """The input itself (``+x``); refused for bool, as in PyTorch."""
    if input.dtype == np.bool_:
        raise RuntimeError("positive: the `+` operator on a bool tensor is not supported")
    return input


def absolute(input):
    """|x| (``abs``); refused for bool, as in PyTorch."""
    if input.dtype == np.bool_:
        raise NotImplementedError("absolute: not implemented for bool tensors")
    return _ew.abs(input)


def atan2(input, other):
    """The angle of (other, input) in (−π, π]; PyTorch's ``atan2(y, x)``."""
    return Atan2.apply(_tensor_only(input, "atan2", "input"), _tensor_only(other, "atan2"))


arctan2 = atan2


def hypot(input, other):
    return Hypot.apply(_tensor_only(input, "hypot", "input"), _tensor_only(other, "hypot"))


def xlogy(input, other):
    """input · ln(other), 0 where input is 0: the entropy term x log x without NaN at 0."""
    if isinstance(input, (bool, int, float)) and isinstance(other, (bool, int, float)):
        raise TypeError("xlogy(): at least one of 'input' and 'other' must be a Tensor")
    return Xlogy.apply(as_tensor_arg(input), as_tensor_arg(other))


def logaddexp(input, other):
    return Logaddexp.apply(_tensor_only(input, "logaddexp", "input"),
                           _tensor_only(other, "logaddexp"))


def logaddexp2(input, other):
    return Logaddexp.apply(_tensor_only(input, "logaddexp2", "input"),
                           _tensor_only(other, "logaddexp2"), base2=True)


def copysign(input, other):
    return Copysign.apply(_tensor_only(input, "copysign", "input"), as_tensor_arg(other))


def fmod(input, other):
    """The remainder with the sign of the dividend (C's fmod); ``remainder`` takes the
    divisor's sign."""
    return Fmod.apply(_tensor_only(input, "fmod", "input"), as_tensor_arg(other))


def fmax(input, other):
    return Fmax.apply(_tensor_only(input, "fmax", "input"), _tensor_only(other, "fmax"))


def fmin(input, other):
    return Fmin.apply(_tensor_only(input, "fmin", "input"), _tensor_only(other, "fmin"))


def heaviside(input, values):
    """0 where x < 0, ``values`` where x = 0, 1 where x > 0 (no gradient)."""
    input = _tensor_only(input, "heaviside", "input")
    values = _tensor_only(values, "heaviside", "values")
    x, v = input._data, values._data
    if x.dtype != v.dtype:
        raise RuntimeError(f"heaviside: input ({x.dtype}) and values ({v.dtype}) must have the "
                           f"same dtype")
    broadcast_shape("heaviside", x.shape, v.shape)
    out = np.where(x == 0, v, (x > 0).astype(x.dtype))
    return Tensor._from_op(out.astype(x.dtype, copy=False), None)


def float_power(input, exponent):
    """input ** exponent computed in float64 (the result is float64 whatever the inputs)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power(): at least one of 'input' and 'exponent' must be a Tensor")
    if isinstance(input, Tensor):
        input = to_dtype(input, dtypes.float64)
    if isinstance(exponent, Tensor):
        exponent = to_dtype(exponent, dtypes.float64)
    elif not isinstance(exponent, (bool, int, float)):
        exponent = to_dtype(as_tensor_arg(exponent), dtypes.float64)
    if not isinstance(input, Tensor):
        input = Tensor._from_op(np.asarray(input, dtype=np.float64), None)
    return _ew.pow(input, float(exponent) if isinstance(exponent, (int, float)) else exponent)


def clamp_min(input, min):
    """max(x, min); the gradient passes where x ≥ min (so at x = min too)."""
    if isinstance(min, Tensor):
        broadcast_shape("clamp_min", input.shape, min.shape)
    return _ew.clamp(input, min=min)


def clamp_max(input, max):
    """min(x, max); the gradient passes where x ≤ max."""
    if isinstance(max, Tensor):
        broadcast_shape("clamp_max", input.shape, max.shape)
    return _ew.clamp(input, max=max)


def lerp(input, end, weight):
    """Linear interpolation input + weight · (end − input); weight a number or a tensor."""
    end = _tensor_only(end, "lerp", "end")
    for name, other in (("end", end), ("weight", weight)):
        if isinstance(other, Tensor) and other.dtype != input.dtype and (
                name == "end" or other.ndim > 0):
            raise RuntimeError(f"lerp: expected dtype {input.dtype} for `{name}` but got dtype "
                               f"{other.dtype}")
    _no_integers(input.dtype, "lerp")
    if isinstance(weight, Tensor) and weight.dtype != input.dtype:
        weight = to_dtype(weight, input.dtype)  # a 0-d weight of another float dtype
    return Lerp.apply(input, end, float(weight) if isinstance(weight, (int, float)) else weight)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value · tensor1 · tensor2, broadcast."""
    return Addcmul.apply(input, as_tensor_arg(tensor1), as_tensor_arg(tensor2), value=value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value · tensor1 / tensor2, broadcast (the Adam update's shape)."""
    return Addcdiv.apply(input, as_tensor_arg(tensor1), as_tensor_arg(tensor2), value=value)


greater, greater_equal, less, less_equal, not_equal = _ew.gt, _ew.ge, _ew.lt, _ew.le, _ew.ne


fix, true_divide, divide, multiply, subtract, negative = (
    _ew.trunc, _ew.div, _ew.div, _ew.mul, _ew.sub, _ew.neg)


def rsub(input, other, alpha=1):
    """other − alpha · input (``sub`` with the operands swapped)."""
    return _ew.sub(as_tensor_arg(other), input, alpha=alpha)


# ----- polygamma, mvlgamma, and the Hurwitz zeta they rest on -----------------------------

_MACHEP = 1.11022302462515654042e-16
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
           7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
           -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18)


def zeta_array(s, q):
    """Hurwitz ζ(s, q) = Σₖ (q + k)^−s for s > 1, PyTorch's (Cephes') Euler–Maclaurin method:
    the first terms summed while q + k ≤ 9 (at least ten of them), then the tail as an integral
    plus Bernoulli corrections, each loop stopping once a term is below machine epsilon."""
    s, q = np.broadcast_arrays(np.asarray(s, dtype=np.float64), np.array(q, dtype=np.float64))
    q = q.copy()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        total = np.power(q, -s)
        a = q.copy()
        b = np.zeros_like(q)
        steps = 0
        active = np.ones(q.shape, bool)
        while True:
            active &= (steps < 9) | (a <= 9.0)
            if not active.any():
                break
            steps += 1
            a = np.where(active, a + 1.0, a)
            b = np.where(active, np.power(a, -s), b)
            total = np.where(active, total + b, total)
            active &= ~((-_MACHEP * total < b) & (b < _MACHEP * total))
        tail = ~((-_MACHEP * total < b) & (b < _MACHEP * total))
        w = a
        total = np.where(tail, total + b * w / (s - 1.0) - 0.5 * b, total)
        a, k = np.ones_like(q), 0.0
        for coefficient in _ZETA_A:
            a = a * (s + k)
            b = b / w
            term = a * b / coefficient
            total = np.where(tail, total + term, total)
            tail &= ~(np.abs(term / total) < _MACHEP)
            k += 1.0
            a = a * (s + k)
            b = b / w
            k += 1.0
        pole = (q <= 0) & (q == np.floor(q))
        total = np.where(pole | (s == 1), np.inf, total)
        undefined = (s < 1) | ((q <= 0) & ~pole & (s != np.floor(s)))
        total = np.where(undefined, np.nan, total)
    return total


def polygamma_array(n, x):
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma: ψ, ψ', then (−1)ⁿ⁺¹ n! ζ(n + 1, x)."""
    if n == 0:
        return digamma_array(x)
    if n == 1:
        return trigamma_array(x)
    sign = 1.0 if n % 2 else -1.0
    value = sign * math.exp(math.lgamma(n + 1.0)) * zeta_array(n + 1.0, x)
    return value.astype(x.dtype, copy=False)


class Polygamma(Function):
    """ψ⁽ⁿ⁾(x);  d/dx = ψ⁽ⁿ⁺¹⁾(x)."""

    __slots__ = ("x", "n")

    def forward(self, x, n=0):
        self.x, self.n = _float_input(x), n
        return polygamma_array(n, self.x)

    def backward(self, grad):
        return grad * polygamma_array(self.n + 1, self.x)


def polygamma(n, input):
    """ψ⁽ⁿ⁾(input) for an integer n ≥ 0 (n = 0 is digamma)."""
    if int(n) != n or n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative or fractional n (got {n})")
    return Polygamma.apply(input, n=int(n))


class Mvlgamma(Function):
    """ln Γ_p(x) = p(p − 1)/4 · ln π + Σᵢ₌₀^(p−1) ln Γ(x − i/2);  d/dx = Σᵢ ψ(x − i/2)."""

    __slots__ = ("x", "p")

    def forward(self, x, p=1):
        x = _float_input(x)
        self.x, self.p = x, p
        total = sum(lgamma_array(x - i / 2) for i in range(p))
        return (total + p * (p - 1) * math.log(math.pi) / 4).astype(x.dtype, copy=False)

    def backward(self, grad):
        return grad * sum(digamma_array(self.x - i / 2) for i in range(self.p))


def mvlgamma(input, p):
    """The multivariate log-gamma function of dimension p (Wishart densities)."""
    if p < 1:
        raise RuntimeError(f"mvlgamma: p has to be greater than or equal to 1 (got {p})")
    return Mvlgamma.apply(input, p=int(p))


# ----- integer and bit-level ops (no gradient) ------------------------------------------------


def _integer_binary(ufunc, op, python_numbers=True):
    def apply(input, other):
        if not python_numbers:
            _tensor_only(other, op)
        a = input._data if isinstance(input, Tensor) else input
        b = other._data if isinstance(other, Tensor) else np.asarray(other) if isinstance(
            other, (list, tuple)) else other
        for value in (a, b):
            if isinstance(value, float) or (type(value) is np.ndarray and value.dtype.kind == "f"):
                raise NotImplementedError(f"{op}: not implemented for floating-point tensors "
                                          f"(integer or bool only)")
        return Tensor._from_op(np.asarray(_binary(ufunc, a, b, op)), None)

    apply.__name__ = op
    apply.__doc__ = f"Elementwise ``{op}`` of integer or bool tensors (no gradient)."
    return apply


bitwise_and = _integer_binary(np.bitwise_and, "bitwise_and")
bitwise_or = _integer_binary(np.bitwise_or, "bitwise_or")
bitwise_xor = _integer_binary(np.bitwise_xor, "bitwise_xor")
bitwise_left_shift = _integer_binary(np.left_shift, "bitwise_left_shift")
bitwise_right_shift = _integer_binary(np.right_shift, "bitwise_right_shift")
gcd = _integer_binary(np.gcd, "gcd", python_numbers=False)
lcm = _integer_binary(np.lcm, "lcm", python_numbers=False)


def bitwise_not(input):
    """~x: every bit flipped (logical not for bool)."""
    if input.dtype.kind == "f":
        raise NotImplementedError("bitwise_not: not implemented for floating-point tensors")
    return Tensor._from_op(np.invert(input._data), None)


def nextafter(input, other):
    """The next representable float after input in the direction of other (no gradient)."""
    other = _tensor_only(other, "nextafter")
    _no_integers(dtypes.result_dtype(input._data, other._data), "nextafter")
    return Tensor._from_op(np.asarray(_binary(np.nextafter, input._data, other._data,
                                              "nextafter")), None)


def ldexp(input, other):
    """input · 2^other (exact scaling by powers of two); differentiable in both."""
    return _ew.mul(input, exp2(_tensor_only(other, "ldexp")))


def frexp(input):
    """(mantissa, exponent) with input = mantissa · 2^exponent, |mantissa| in [0.5, 1);
    the exponent is int32 and the mantissa's gradient is 2^−exponent."""
    if input.dtype.kind != "f":
        raise RuntimeError(f"frexp: only supports floating-point dtypes (got {input.dtype})")
    _, exponent = np.frexp(input._data)
    exponent = Tensor._from_op(np.asarray(exponent, dtype=np.int32), None)
    mantissa = _ew.mul(input, Tensor._from_op(np.asarray(
        np.ldexp(np.ones((), input.dtype), -exponent._data), dtype=input.dtype), None))
    return mantissa, exponent


def signbit(input):
    """True where the sign bit is set (−0.0 included)."""
    x = input._data
    return Tensor._from_op(np.zeros(x.shape, bool) if x.dtype == np.bool_ else np.signbit(x),
                           None)


def isposinf(input):
    return Tensor._from_op(np.isposinf(input._data) if input.dtype.kind == "f" else np.zeros(
        input.shape, bool), None)


def isneginf(input):
    return Tensor._from_op(np.isneginf(input._data) if input.dtype.kind == "f" else np.zeros(
        input.shape, bool), None)


def isreal(input):
    """True everywhere: deepgrad's tensors are real."""
    return Tensor._from_op(np.ones(input.shape, bool), None)


def _swapped(fn):
    def method(self, other):
        return fn(other, self)

    return method


# Python's bit operators on tensors: bitwise for integers, logical for bool (PyTorch's ``&``)
OPERATORS = {
    "__and__": bitwise_and, "__rand__": _swapped(bitwise_and),
    "__or__": bitwise_or, "__ror__": _swapped(bitwise_or),
    "__xor__": bitwise_xor, "__rxor__": _swapped(bitwise_xor),
    "__invert__": bitwise_not,
    "__lshift__": bitwise_left_shift, "__rlshift__": _swapped(bitwise_left_shift),
    "__rshift__": bitwise_right_shift, "__rrshift__": _swapped(bitwise_right_shift),
    "polygamma": lambda self, n: polygamma(n, self),
}


# ----- torch.special: Bessel I₀/I₁, normal distribution, entropy ------------------------------


def _bessel_i_scaled(nu, x):
    """e^(−|x|) · I_ν(|x|) for ν = 0, 1 in float64: the power series
    Σₖ (x/2)^(2k+ν) / (k! (k + ν)!) up to |x| = 30, above it the asymptotic series
    e^x/√(2πx) · Σₖ (−1)ᵏ aₖ(ν)/xᵏ, aₖ = ∏ⱼ (4ν² − (2j − 1)²) / (k! 8ᵏ); both to ~1e-15."""
    ax = np.abs(np.asarray(x, dtype=np.float64))
    out = np.empty_like(ax)
    with np.errstate(over="ignore", invalid="ignore"):
        small = ~(ax > 30.0)  # NaN goes here too
        xs = ax[small]
        half_squared = (xs / 2) ** 2
        term = np.ones_like(xs) if nu == 0 else xs / 2
        total = term.copy()
        for k in range(1, 100):
            term = term * half_squared / (k * (k + nu))
            total = total + term
        out[small] = total * np.exp(-xs)
        xl = ax[~small]
        term = np.ones_like(xl)
        total = term.copy()
        for k in range(1, 40):
            term = term * -(4.0 * nu * nu - (2 * k - 1) ** 2) / (k * 8.0 * xl)
            total = total + term
        out[~small] = total / np.sqrt(2 * math.pi * xl)
    return out


def i0_array(x, scaled=False):
    """I₀(x), the modified Bessel function of order 0 (e^(−|x|) I₀(x) when ``scaled``)."""
    value = _bessel_i_scaled(0, x)
    if not scaled:
        with np.errstate(over="ignore", invalid="ignore"):
            value = value * np.exp(np.abs(x.astype(np.float64, copy=False)))
    return value.astype(x.dtype, copy=False)


def i1_array(x, scaled=False):
    """I₁(x), odd in x (e^(−|x|) I₁(x) when ``scaled``)."""
    x64 = x.astype(np.float64, copy=False)
    value = np.copysign(_bessel_i_scaled(1, x64), x64)
    if not scaled:
        with np.errstate(over="ignore", invalid="ignore"):
            value = value * np.exp(np.abs(x64))
    return value.astype(x.dtype, copy=False)


def _tiny_to_half(x, slope):
    """PyTorch's I₁ gradients: the limit 1/2 where |x| ≤ machine epsilon (the formula's 0/0)."""
    return np.where(np.abs(x) > np.finfo(x.dtype).eps, slope, np.full((), 0.5, x.dtype))


class I0(_Unary):
    """I₀(x);  d/dx = I₁(x)."""

    f = staticmethod(i0_array)
    derivative = staticmethod(lambda x, y: i1_array(x))


class I0e(_Unary):
    """e^(−|x|) I₀(x);  d/dx = i1e(x) − sgn(x) · i0e(x)."""

    f = staticmethod(lambda x: i0_array(x, scaled=True))
    derivative = staticmethod(lambda x, y: i1_array(x, scaled=True) - np.sign(x) * y)


class I1(_Unary):
    """I₁(x);  d/dx = I₀(x) − I₁(x)/x (1/2 at 0)."""

    quiet = True
    f = staticmethod(i1_array)
    derivative = staticmethod(lambda x, y: _tiny_to_half(x, i0_array(x) - y / x))


class I1e(_Unary):
    """e^(−|x|) I₁(x);  d/dx = i0e(x) − i1e(x) · (sgn(x) + 1/x) (1/2 at 0)."""

    quiet = True
    f = staticmethod(lambda x: i1_array(x, scaled=True))
    derivative = staticmethod(lambda x, y: _tiny_to_half(
        x, i0_array(x, scaled=True) - y * (np.sign(x) + 1 / x)))


class Erfcx(_Unary):
    """e^(x²) erfc x;  d/dx = 2x · erfcx(x) − 2/√π."""

    quiet = True
    f = staticmethod(erfcx_array)
    derivative = staticmethod(lambda x, y: 2 * x * y - _TWO_OVER_SQRT_PI)


def ndtr_array(x):
    """Φ(x), the standard normal CDF: ½ + ½ erf(x/√2) near 0, ½ erfc(|x|/√2) (or 1 minus it)
    beyond, so the lower tail keeps its relative precision (PyTorch's split)."""
    t = x.astype(np.float64, copy=False) * math.sqrt(0.5)
    z = np.abs(t)
    tail = 0.5 * erfc_array(z)
    value = np.where(z < math.sqrt(0.5), 0.5 + 0.5 * erf_array(t),
                     np.where(t > 0, 1 - tail, tail))
    return value.astype(x.dtype, copy=False)


def log_ndtr_array(x):
    """ln Φ(x): ln(erfcx(−x/√2) / 2) − x²/2 below −1 (no underflow), ln(1 − erfc(x/√2)/2)
    above."""
    t = x.astype(np.float64, copy=False) * math.sqrt(0.5)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        low = np.log(erfcx_array(-t) / 2) - t * t
        high = np.log1p(-erfc_array(t) / 2)
    return np.where(t < -math.sqrt(0.5), low, high).astype(x.dtype, copy=False)


_INV_SQRT_2PI = 1.0 / math.sqrt(2 * math.pi)


class Ndtr(_Unary):
    """Φ(x) = P(Z ≤ x) for Z ~ N(0, 1);  d/dx = φ(x) = e^(−x²/2)/√(2π)."""

    f = staticmethod(ndtr_array)
    derivative = staticmethod(lambda x, y: _INV_SQRT_2PI * np.exp(-0.5 * x * x))


class Ndtri(_Unary):
    """Φ⁻¹(p);  d/dp = 1/φ(Φ⁻¹ p) = √(2π) · e^(y²/2)."""

    quiet = True
    f = staticmethod(ndtri_array)
    derivative = staticmethod(lambda x, y: math.sqrt(2 * math.pi) * np.exp(0.5 * y * y))


class LogNdtr(_Unary):
    """ln Φ(x);  d/dx = φ(x)/Φ(x) = e^(−(y + x²/2))/√(2π)."""

    quiet = True
    f = staticmethod(log_ndtr_array)
    derivative = staticmethod(lambda x, y: _INV_SQRT_2PI * np.exp(-(y + 0.5 * x * x)))


class Entr(_Unary):
    """−x ln x (0 at 0, −inf below);  d/dx = −(1 + ln x)."""

    quiet = True

    @staticmethod
    def f(x):
        value = np.where(x > 0, -x * np.log(np.where(x > 0, x, 1)), np.where(x == 0, 0, -np.inf))
        return np.where(np.isnan(x), x, value).astype(x.dtype, copy=False)

    derivative = staticmethod(lambda x, y: -(1 + np.log(x)))


def i0(input):
    return I0.apply(input)


def i0e(input):
    return I0e.apply(input)


def i1(input):
    return I1.apply(input)


def i1e(input):
    return I1e.apply(input)


def erfcx(input):
    return Erfcx.apply(input)


def ndtr(input):
    return Ndtr.apply(input)


def ndtri(input):
    return Ndtri.apply(input)


def log_ndtr(input):
    return LogNdtr.apply(input)


def entr(input):
    return Entr.apply(input)


def xlog1py(input, other):
    """input · ln(1 + other), 0 where input is 0."""
    if isinstance(input, (bool, int, float)) and isinstance(other, (bool, int, float)):
        raise TypeError("xlog1py(): at least one of 'input' and 'other' must be a Tensor")
    return Xlogy.apply(as_tensor_arg(input), as_tensor_arg(other), log1p=True)


def zeta(input, other):
    """The Hurwitz zeta function ζ(input, other) = Σₖ (other + k)^−input (no gradient, as in
    PyTorch); either argument may be a number."""
    if isinstance(input, (bool, int, float)) and isinstance(other, (bool, int, float)):
        raise TypeError("zeta(): at least one of 'input' and 'other' must be a Tensor")
    s = input._data if isinstance(input, Tensor) else input
    q = other._data if isinstance(other, Tensor) else other
    dtype = dtypes.result_dtype(s, q)
    dtype = dtype if dtype.kind == "f" else dtypes.default_float
    broadcast_shape("zeta", _shape(s), _shape(q))
    return Tensor._from_op(zeta_array(s, q).astype(dtype, copy=False), None)


SPECIAL = ["i0e", "i1", "i1e", "erfcx", "ndtr", "ndtri", "log_ndtr", "entr", "xlog1py", "zeta"]


# ----- in-place variants ----------------------------------------------------------------------


def _inplace(op, name):
    """``x.op_(...)``: the out-of-place result written into x (ops/inplace.py's rules: outside
    the graph only; integer tensors refuse float results)."""

    def method(self, *args, **kwargs):
        if GradMode.enabled:
            for arg in (*args, *kwargs.values()):
                if isinstance(arg, Tensor) and arg.requires_grad:
                    raise RuntimeError(
                        f"{name}: in-place operations with an argument that requires grad are "
                        f"not supported by deepgrad; use the out-of-place {name[:-1]}")
        with no_grad():
            result = op(self, *args, **kwargs)
        return _write(self, result._data, name)

    method.__name__ = name
    method.__doc__ = f"In-place ``{name[:-1]}``."
    return method


def float_power_(self, exponent):
    if self.dtype != np.float64:
        raise RuntimeError(f"float_power_: the base has dtype {self.dtype} but the result "
                           f"requires float64 (call .double() first)")
    return _inplace(float_power, "float_power_")(self, exponent)


_INPLACE_OPS = {
    "tan": tan, "asin": asin, "arcsin": asin, "acos": acos, "arccos": acos, "atan": atan,
    "arctan": atan, "atan2": atan2, "arctan2": atan2, "sinh": sinh, "cosh": cosh,
    "asinh": asinh, "arcsinh": asinh, "acosh": acosh, "arccosh": acosh, "atanh": atanh,
    "arctanh": atanh, "log2": log2, "log10": log10, "exp2": exp2, "expm1": expm1,
    "reciprocal": reciprocal, "erfc": erfc, "erfinv": erfinv, "logit": logit, "xlogy": xlogy,
    "hypot": hypot, "fmod": fmod, "frac": frac, "clamp_min": clamp_min, "clamp_max": clamp_max,
    "nan_to_num": nan_to_num, "sgn": sgn, "heaviside": heaviside, "copysign": copysign,
    "deg2rad": deg2rad, "rad2deg": rad2deg, "sinc": sinc, "absolute": absolute,
    "greater": greater, "greater_equal": greater_equal, "less": less, "less_equal": less_equal,
    "not_equal": not_equal, "lgamma": lgamma, "digamma": digamma,
    # in-place forms of older ops that lacked one
    "log": _ew.log, "log1p": _ew.log1p, "sin": _ew.sin, "cos": _ew.cos, "rsqrt": _ew.rsqrt,
    "square": _ew.square, "sign": _ew.sign, "erf": _ew.erf, "floor": _ew.floor,
    "ceil": _ew.ceil, "round": _ew.round, "trunc": _ew.trunc, "remainder": _ew.remainder,
    "floor_divide": _ew.floor_divide, "eq": _ew.eq, "ne": _ew.ne, "lt": _ew.lt, "le": _ew.le,
    "gt": _ew.gt, "ge": _ew.ge,
}

_INPLACE_OPS.update({
    "fix": fix, "true_divide": true_divide, "divide": divide, "multiply": multiply,
    "subtract": subtract, "negative": negative, "ldexp": ldexp, "nextafter": nextafter,
    "gcd": gcd, "lcm": lcm, "bitwise_and": bitwise_and, "bitwise_or": bitwise_or,
    "bitwise_xor": bitwise_xor, "bitwise_not": bitwise_not,
    "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift,
    "polygamma": OPERATORS["polygamma"], "mvlgamma": mvlgamma, "sigmoid": _activation.sigmoid,
    "tanh": _activation.tanh, "i0": i0, "logical_and": _ew.logical_and,
    "logical_or": _ew.logical_or, "logical_xor": _ew.logical_xor,
    "logical_not": _ew.logical_not,
})

INPLACE = {name + "_": _inplace(op, name + "_") for name, op in _INPLACE_OPS.items()}
INPLACE["float_power_"] = float_power_

__all__ = [
    "tan", "asin", "arcsin", "acos", "arccos", "atan", "arctan", "atan2", "arctan2", "sinh",
    "cosh", "asinh", "arcsinh", "acosh", "arccosh", "atanh", "arctanh", "log2", "log10", "exp2",
    "expm1", "reciprocal", "erfc", "erfinv", "logit", "xlogy", "hypot", "lerp", "addcmul",
    "addcdiv", "fmod", "frac", "clamp_min", "clamp_max", "nan_to_num", "sgn", "heaviside",
    "copysign", "float_power", "deg2rad", "rad2deg", "logaddexp", "logaddexp2", "sinc", "fmax",
    "fmin", "positive", "absolute", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "lgamma", "digamma", "polygamma", "mvlgamma", "fix", "true_divide", "divide",
    "multiply", "subtract", "negative", "rsub", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm", "nextafter",
    "ldexp", "frexp", "signbit", "isposinf", "isneginf", "isreal", "i0",
]
