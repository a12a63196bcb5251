"""Inverses, determinants and linear solves, batched over leading dims, with their gradients.

With Y = A⁻¹ and dout = G:
* inv:      dA = −Yᵀ G Yᵀ
* det:      dA = G · cof(A), the cofactor matrix det(A) A⁻ᵀ, formed from the SVD so that it
            stays finite for a singular A (rank n − 1 has a nonzero cofactor)
* slogdet:  d log|det A| = A⁻ᵀ
* solve:    X = A⁻¹ B: dB = A⁻ᵀ G, dA = −dB Xᵀ
* pinv:     PyTorch's formula for the differential of the pseudo-inverse at constant rank
"""

from collections import namedtuple

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.linalg._common import (
    LinAlgError,
    batch_prefix,
    check_float,
    check_matrix,
    each_matrix,
    mT,
    zero_pivot,
)
from deepgrad.ops import creation, elementwise, shape
from deepgrad.ops._util import unbroadcast
from deepgrad.ops.linalg import matmul
from deepgrad.tensor import Tensor

__all__ = [
    "det", "inv", "inv_ex", "logdet", "lstsq", "matrix_exp", "matrix_power", "pinv", "slogdet",
    "solve", "solve_ex", "solve_triangular", "tensorinv", "tensorsolve",
]

linalg_slogdet = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
linalg_lstsq = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
linalg_inv_ex = namedtuple("linalg_inv_ex", ["inverse", "info"])
triangular_solve_result = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])


def _singular_error(op, a):
    for index, m in each_matrix(a):
        try:
            np.linalg.inv(m)
        except np.linalg.LinAlgError:
            k = zero_pivot(m)
            where = f"The diagonal element {k} is zero, the" if k else "The"
            return LinAlgError(f"{op}: {batch_prefix(index, a.shape[:-2])}{where} inversion "
                               f"could not be completed because the input matrix is singular.")
    return LinAlgError(f"{op}: the input matrix is singular")


class Inv(Function):
    __slots__ = ("out",)

    def forward(self, a):
        try:
            self.out = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise _singular_error("linalg.inv", a) from None
        return self.out

    def backward(self, grad):
        yt = mT(self.out)
        return -(yt @ grad @ yt)


def inv(A):
    """A⁻¹ for each square matrix of the batch; a singular one raises LinAlgError."""
    check_matrix("linalg.inv", A, square=True)
    return Inv.apply(A)


def inv_ex(A, *, check_errors=False):
    """(A⁻¹, info): info is 0, or the 1-based zero pivot of a singular matrix (then the
    inverse is NaN), instead of raising."""
    check_matrix("linalg.inv_ex", A, square=True)
    info = np.zeros(A.shape[:-2], dtype=np.int32)
    for index, m in each_matrix(A._data):
        try:
            np.linalg.inv(m)
        except np.linalg.LinAlgError:
            info[index] = zero_pivot(m) or 1
    if np.any(info):
        if check_errors:
            raise _singular_error("linalg.inv_ex", A._data)
        nan = np.full(A.shape, np.nan, dtype=A.dtype)
        return linalg_inv_ex(Tensor._from_op(nan, None), Tensor._from_op(info, None))
    return linalg_inv_ex(Inv.apply(A), Tensor._from_op(np.asarray(info), None))


def _cofactor(a):
    """det(A) A⁻ᵀ = det(U) det(Vh) U diag(Π_{j≠i} s_j) Vh, finite at rank n − 1."""
    u, s, vh = np.linalg.svd(a)
    n = s.shape[-1]
    ones = np.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    left = np.cumprod(np.concatenate([ones, s[..., :-1]], -1), -1)
    right = np.flip(np.cumprod(np.flip(np.concatenate([s[..., 1:], ones], -1), -1), -1), -1)
    others = left * right  # the product of all singular values but the i-th
    signs = np.linalg.det(u) * np.linalg.det(vh)
    return signs[..., None, None] * (u * others[..., None, :]) @ vh if n else u @ vh


class Det(Function):
    __slots__ = ("a",)

    def forward(self, a):
        self.a = a
        return np.linalg.det(a)

    def backward(self, grad):
        return grad[..., None, None] * _cofactor(self.a)


def det(A):
    """det A of each square matrix."""
    check_matrix("linalg.det", A, square=True)
    return Det.apply(A)


class LogAbsDet(Function):
    __slots__ = ("a",)

    def forward(self, a):
        self.a = a
        return np.linalg.slogdet(a)[1]

    def backward(self, grad):
        with np.errstate(all="ignore"):
            try:
                inverse_t = mT(np.linalg.inv(self.a))
            except np.linalg.LinAlgError:
                inverse_t = np.full(self.a.shape, np.inf, self.a.dtype)
        return grad[..., None, None] * inverse_t


def slogdet(A):
    """(sign, log|det A|): the log-magnitude is differentiable (gradient A⁻ᵀ), the sign not."""
    check_matrix("linalg.slogdet", A, square=True)
    sign = np.linalg.slogdet(A._data)[0]
    return linalg_slogdet(Tensor._from_op(np.asarray(sign), None), LogAbsDet.apply(A))


def logdet(A):
    """log det A: NaN where det A < 0, −inf where det A = 0."""
    check_matrix("logdet", A, square=True)
    sign, logabs = slogdet(A)
    nan = Tensor._from_op(np.asarray(np.nan, dtype=A.dtype), None)
    return elementwise.where(sign < 0, nan, logabs)


def _vector_rhs(A, B):
    """PyTorch's rule: B is a (batch of) vector(s) if 1-D, or if its shape is A's without the
    last dim."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


class Solve(Function):
    """X = A⁻¹ B (B a batch of matrices; batch dims broadcast)."""

    def forward(self, a, b):
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        self.shapes = (a.shape, b.shape)
        self.a = np.broadcast_to(a, batch + a.shape[-2:])
        b = np.broadcast_to(b, batch + b.shape[-2:])
        try:
            self.x = np.linalg.solve(self.a, b)
        except np.linalg.LinAlgError:
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix "
                              "is singular.") from None
        return self.x

    def backward(self, grad):
        grad_b = np.linalg.solve(mT(self.a), grad)
        grad_a = None
        if self.needs_input_grad[0]:
            grad_a = unbroadcast(-(grad_b @ mT(self.x)), self.shapes[0])
        return grad_a, unbroadcast(grad_b, self.shapes[1])


def solve(A, B, *, left=True):
    """X with A X = B (or X A = B when ``left=False``); B may be a (batch of) vector(s)."""
    check_matrix("linalg.solve", A, square=True)
    check_float("linalg.solve", B)
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {A.dtype} and B of type {B.dtype} instead")
    vector = _vector_rhs(A, B)
    if not left:
        if vector:
            raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not "
                               "supported for left=False. In this case linalg.solve is "
                               "equivalent to B / A.squeeze(-1)")
        return solve(A.mT, B.mT).mT
    B2 = shape.unsqueeze(B, -1) if vector else B
    if B2.ndim < 2 or A.shape[-1] != B2.shape[-2]:
        b_dims = "x".join(map(str, B2.shape[-2:]))
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({A.shape[-2]}x{A.shape[-1]} and {b_dims})")
    try:
        np.broadcast_shapes(A.shape[:-2], B2.shape[:-2])
    except ValueError:
        raise RuntimeError(f"linalg.solve: the batch dimensions of A {tuple(A.shape)} and B "
                           f"{tuple(B.shape)} don't broadcast") from None
    X = Solve.apply(A, B2)
    return shape.squeeze(X, -1) if vector else X


class SolveTriangular(Function):
    """X = T⁻¹ B with T the upper or lower triangle of A: dB = T⁻ᵀ G, dA = triangle of
    −dB Xᵀ."""

    def forward(self, a, b, upper, unitriangular):
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        self.shapes, self.upper, self.unit = (a.shape, b.shape), upper, unitriangular
        t = np.triu(a, 1 if unitriangular else 0) if upper else np.tril(
            a, -1 if unitriangular else 0)
        if unitriangular:
            t = t + np.eye(a.shape[-1], dtype=a.dtype)
        self.t = np.broadcast_to(t, batch + a.shape[-2:])
        with np.errstate(all="ignore"):
            try:
                self.x = np.linalg.solve(self.t, np.broadcast_to(b, batch + b.shape[-2:]))
            except np.linalg.LinAlgError:  # a zero on the diagonal: inf/NaN, as LAPACK's trtrs
                self.x = np.full(batch + b.shape[-2:], np.nan, dtype=a.dtype)
        return self.x

    def backward(self, grad):
        grad_b = np.linalg.solve(mT(self.t), grad)
        grad_a = None
        if self.needs_input_grad[0]:
            g = -(grad_b @ mT(self.x))
            k = 1 if self.unit else 0
            g = np.triu(g, k) if self.upper else np.tril(g, -k)
            grad_a = unbroadcast(g, self.shapes[0])
        return grad_a, unbroadcast(grad_b, self.shapes[1])


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with T X = B (or X T = B), T the upper/lower triangle of A (unit diagonal if asked)."""
    check_matrix("linalg.solve_triangular", A, square=True)
    check_matrix("linalg.solve_triangular", B, name="B")
    if not left:
        return solve_triangular(A.mT, B.mT, upper=not upper, unitriangular=unitriangular).mT
    if A.shape[-1] != B.shape[-2]:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation AX = B ({A.shape[-2]}x{A.shape[-1]} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    return SolveTriangular.apply(A, B, bool(upper), bool(unitriangular))


def _tolerance(s, shape_, atol, rtol, op):
    """PyTorch's cut-off for 'zero' singular values: max(atol, rtol·σ_max), with
    rtol = ε·max(m, n) when neither is given."""
    eps = np.finfo(s.dtype).eps
    if isinstance(atol, Tensor):
        atol = atol._data
    if isinstance(rtol, Tensor):
        rtol = rtol._data
    if rtol is None:
        rtol = eps * max(shape_[-2:]) if atol is None or np.all(np.asarray(atol) <= 0) else 0.0
    atol = 0.0 if atol is None else atol
    smax = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    return np.maximum(np.asarray(atol)[..., None] if np.ndim(atol) else atol,
                      (np.asarray(rtol)[..., None] if np.ndim(rtol) else rtol) * smax)


def _pinv_backward(grad, p, a):
    """PyTorch's pinv_backward (the differential of A⁺ at constant rank, adjoint)."""
    m, n = a.shape[-2:]
    ph, gh = mT(p), mT(grad)
    if m <= n:
        k = gh @ p
        kph = k @ ph
        return -mT(p @ k) + kph - (a @ p) @ kph + (ph @ p) @ (gh - k @ a)
    k = p @ gh
    phk = ph @ k
    return -mT(k @ p) + (gh - a @ k) @ p @ ph + phk - phk @ p @ a


class Pinv(Function):
    __slots__ = ("a", "out")

    def forward(self, a, atol, rtol):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        keep = s > _tolerance(s, a.shape, atol, rtol, "linalg.pinv")
        with np.errstate(divide="ignore"):
            s_inv = np.where(keep, 1.0 / np.where(keep, s, 1), 0).astype(a.dtype)
        self.a = a
        self.out = (mT(vh) * s_inv[..., None, :]) @ mT(u)
        return self.out

    def backward(self, grad):
        return _pinv_backward(grad, self.out, self.a)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    """The Moore-Penrose pseudo-inverse A⁺ = V Σ⁺ Uᵀ, singular values below
    max(atol, rtol·σ_max) treated as zero (``rcond`` is the older name of rtol)."""
    if A.ndim < 2 or A.dtype.kind != "f":
        raise RuntimeError(f"linalg.pinv({A.dtype}{list(A.shape)}): expected a tensor with 2 or "
                           f"more dimensions of float, double, cfloat or cdouble types")
    if rcond is not None:
        rtol = rcond
    return Pinv.apply(A, atol, rtol)


def matrix_power(A, n):
    """Aⁿ by repeated squaring (A⁰ = I, A⁻ⁿ = (A⁻¹)ⁿ); the gradient flows through the
    products."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but got "
                           f"shape {tuple(A.shape)}")
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"linalg.matrix_power: n must be an integer, got {type(n).__name__}")
    if n == 0:  # the identity, still attached to A (with a zero gradient), as in PyTorch
        from deepgrad.ops.matrix import AddScaled

        eye = np.broadcast_to(np.eye(A.shape[-1], dtype=A.dtype), A.shape)
        return AddScaled.apply(A, eye, 0, 1)
    if n < 0:
        check_float("linalg.matrix_power", A)
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution X = A⁺ B of min ‖A X − B‖ (minimum norm when
    underdetermined), with (residuals, rank, singular_values) as PyTorch's drivers give them."""
    from deepgrad.linalg.decompositions import svdvals

    check_matrix("linalg.lstsq", A)
    check_float("linalg.lstsq", B)
    drivers = ("gels", "gelsy", "gelsd", "gelss")
    driver = "gelsy" if driver is None else driver
    if driver not in drivers:
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of "
                           f"{drivers}")
    vector = A.ndim - B.ndim == 1
    if B.ndim < A.ndim - 1 or B.ndim > A.ndim:
        raise RuntimeError(f"torch.linalg.lstsq: input.dim() must be greater or equal to "
                           f"other.dim() and (input.dim() - other.dim()) <= 1 (shapes "
                           f"{tuple(A.shape)} and {tuple(B.shape)})")
    B2 = shape.unsqueeze(B, -1) if vector else B
    m, n = A.shape[-2:]
    if B2.shape[-2] != m:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2) "
                           f"(shapes {tuple(A.shape)} and {tuple(B.shape)})")
    X = matmul(pinv(A, rtol=rcond), B2)
    s = svdvals(A.detach())._data
    rank = (s > _tolerance(s, A.shape, None, rcond, "lstsq")).sum(-1).astype(np.int64)
    empty = Tensor._from_op(np.zeros(0, dtype=A.dtype), None)
    residuals = empty
    if m > n and driver != "gelsy" and np.all(rank == n):
        diff = elementwise.sub(matmul(A, X), B2)
        residuals = (diff * diff).sum(-2)
        if vector:
            residuals = shape.squeeze(residuals, -1)
    values = Tensor._from_op(s, None) if driver in ("gelsd", "gelss") else empty
    rank_t = Tensor._from_op(np.asarray(rank), None) if driver != "gels" else Tensor._from_op(
        np.zeros(0, np.int64), None)
    return linalg_lstsq(shape.squeeze(X, -1) if vector else X, residuals, rank_t, values)


def matrix_exp(A):
    """exp(A) = Σ Aᵏ/k!, by scaling and squaring of a Taylor series (composed of matmuls, so
    the gradient is the chain rule through them)."""
    check_matrix("linalg.matrix_exp", A, square=True)
    norm = float(np.max(np.abs(A._data).sum(-2))) if A.numel() else 0.0
    squarings = max(0, int(np.ceil(np.log2(norm))) + 1) if norm > 0.5 else 0
    X = A / (2.0 ** squarings) if squarings else A
    eye = creation.eye(A.shape[-1], dtype=A.dtype)
    term, result = X, elementwise.add(eye, X)
    for k in range(2, 19):
        term = matmul(term, X) / k
        result = result + term
    for _ in range(squarings):
        result = matmul(result, result)
    return result


linalg_solve_ex = namedtuple("linalg_solve_ex", ["result", "info"])


def solve_ex(A, B, *, left=True, check_errors=False):
    """(X, info) of ``solve``: info is 0, or the 1-based zero pivot of a singular A (then X
    is NaN), instead of raising."""
    check_matrix("linalg.solve_ex", A, square=True)
    info = np.zeros(A.shape[:-2], dtype=np.int32)
    for index, m in each_matrix(A._data):
        try:
            np.linalg.inv(m)
        except np.linalg.LinAlgError:
            info[index] = zero_pivot(m) or 1
    if np.any(info) and not check_errors:
        vector = _vector_rhs(A, B)
        batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-1] if vector else B.shape[:-2])
        shape_ = batch + ((A.shape[-1],) if vector else tuple(B.shape[-2:]))
        X = Tensor._from_op(np.full(shape_, np.nan, dtype=A.dtype), None)
        return linalg_solve_ex(X, Tensor._from_op(info, None))
    return linalg_solve_ex(solve(A, B, left=left), Tensor._from_op(info, None))


def tensorinv(A, ind=2):
    """The inverse of A read as a linear map from its last dims to its first ``ind``:
    tensordot(tensorinv(A), A, ind) is the identity."""
    import math

    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return inv(A.reshape(rows, cols)).reshape(tuple(A.shape[ind:]) + tuple(A.shape[:ind]))


def tensorsolve(A, B, dims=None):
    """X with tensordot(A, X, X.ndim) = B (``dims`` of A moved to the end first)."""
    import math

    if dims is not None:
        dims = [d % A.ndim for d in dims]
        rest = [d for d in range(A.ndim) if d not in dims]
        A = shape.permute(A, rest + dims)
    result_shape = tuple(A.shape[B.ndim:])
    rows, cols = math.prod(B.shape), math.prod(result_shape)
    if math.prod(A.shape[:B.ndim]) != rows or tuple(A.shape[:B.ndim]) != tuple(B.shape) \
            or rows != cols:
        raise RuntimeError(f"linalg.tensorsolve: expected A's leading dims to equal B's shape "
                           f"{tuple(B.shape)} and to form a square system, got A of shape "
                           f"{tuple(A.shape)}")
    return solve(A.reshape(rows, cols), B.reshape(rows)).reshape(result_shape)
