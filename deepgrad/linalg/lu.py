"""LU factorisation with partial pivoting, A = P L U (``linalg.lu_factor``, ``linalg.lu``,
``lu_unpack``, ``linalg.lu_solve``).

NumPy does not expose LAPACK's getrf, so the factorisation is the textbook elimination, one
column at a time, vectorised over the batch: pick the largest |a_ij| below the diagonal as
pivot (the first on ties, as LAPACK), swap it up, scale the column below it by 1/pivot, and
subtract the outer product from the trailing block. Pivots are LAPACK's: 1-based, row i was
swapped with row pivots[i].

Gradient (PyTorch's ``linalg_lu_backward``), for a square A:
    dA = P L⁻ᵀ (tril₋₁(Lᵀ dL) + triu(dU Uᵀ)) U⁻ᵀ
and its block forms for wide and tall A.
``lu_solve`` is two triangular solves on the unpacked factors, so its gradient flows through
them to LU and B.
"""

from collections import namedtuple

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.linalg._common import Packed, check_matrix, mT, unpack
from deepgrad.ops import index, shape
from deepgrad.ops.linalg import matmul
from deepgrad.tensor import Tensor

__all__ = [
    "lu", "lu_factor", "lu_factor_ex", "lu_solve", "lu_unpack",
]

linalg_lu_factor = namedtuple("linalg_lu_factor", ["LU", "pivots"])
linalg_lu_factor_ex = namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
linalg_lu = namedtuple("linalg_lu", ["P", "L", "U"])
lu_unpack_result = namedtuple("lu_unpack", ["P", "L", "U"])


def _factor(a):
    """(LU packed, pivots int32 1-based, info int32) of a batch of m x n matrices."""
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    k = min(m, n)
    lu = np.array(a, dtype=a.dtype).reshape((-1, m, n))
    count = lu.shape[0]
    rows = np.arange(count)
    pivots = np.zeros((count, k), dtype=np.int32)
    info = np.zeros(count, dtype=np.int32)
    for j in range(k):
        p = j + np.argmax(np.abs(lu[:, j:, j]), axis=1)
        pivots[:, j] = p + 1
        top = lu[rows, j].copy()
        lu[rows, j] = lu[rows, p]
        lu[rows, p] = top
        pivot = lu[:, j, j]
        zero = pivot == 0
        info[(info == 0) & zero] = j + 1
        scale = np.where(zero, 0, 1 / np.where(zero, 1, pivot)).astype(a.dtype)
        lu[:, j + 1:, j] *= scale[:, None]
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    return (lu.reshape(a.shape), pivots.reshape(batch + (k,)), info.reshape(batch))


def _permutation(pivots, m, dtype):
    """P (m x m) with A = P L U, from LAPACK's sequential row swaps."""
    batch = pivots.shape[:-1]
    flat = pivots.reshape(-1, pivots.shape[-1]) - 1
    perm = np.tile(np.arange(m), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for i in range(flat.shape[1]):
        p = flat[:, i]
        here = perm[rows, i].copy()
        perm[rows, i] = perm[rows, p]
        perm[rows, p] = here
    # row i of L U is row perm[i] of A, so P = I[perm]ᵀ
    P = np.zeros((flat.shape[0], m, m), dtype=dtype)
    P[rows[:, None], perm, np.arange(m)] = 1
    return P.reshape(batch + (m, m))


def _split(lu):
    m, n = lu.shape[-2:]
    k = min(m, n)
    L = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
    U = np.triu(lu[..., :k, :])
    return L, U


def _left_solve(t, b):
    return np.linalg.solve(t, b)  # t⁻¹ b


def _right_solve(b, t):
    return mT(np.linalg.solve(mT(t), mT(b)))  # b t⁻¹


def _lu_backward(gl, gu, P, L, U):
    """PyTorch's linalg_lu_backward (square, wide and tall A)."""
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    if m == n:
        g = np.zeros(L.shape, L.dtype)
        if gl is not None:
            g = g + np.tril(mT(L) @ gl, -1)
        if gu is not None:
            g = g + np.triu(gu @ mT(U))
        g = _left_solve(mT(L), _right_solve(g, mT(U)))  # L⁻ᵀ g U⁻ᵀ
    elif m < n:
        g = np.zeros(L.shape[:-2] + (m, m), L.dtype)
        if gl is not None:
            g = g + mT(L) @ gl
        if gu is not None:
            g = g - np.triu(gu) @ mT(U)
        g = _right_solve(np.tril(g, -1), mT(U[..., :k]))
        if gu is not None:
            g = np.concatenate([g + np.triu(gu[..., :k]), gu[..., k:]], -1)
        g = _left_solve(mT(L), g)
        if gu is None:
            g = np.concatenate([g, np.zeros(g.shape[:-1] + (n - k,), g.dtype)], -1)
    else:
        g = np.zeros(U.shape[:-2] + (n, n), U.dtype)
        if gu is not None:
            g = g + gu @ mT(U)
        if gl is not None:
            g = g - mT(L) @ np.tril(gl, -1)
        g = _left_solve(mT(L[..., :k, :]), np.triu(g))
        if gl is not None:
            g = np.concatenate([g + np.tril(gl[..., :k, :], -1), gl[..., k:, :]], -2)
        g = _right_solve(g, mT(U))
        if gl is None:
            g = np.concatenate([g, np.zeros(g.shape[:-2] + (m - k, n), g.dtype)], -2)
    return P @ g


class LUFactor(Function):
    """The packed LU (L strictly below the diagonal, U on and above it)."""

    def forward(self, a):
        self.lu, pivots, _ = _factor(a)
        self.P = _permutation(pivots, a.shape[-2], a.dtype)
        return self.lu

    def backward(self, grad):
        L, U = _split(self.lu)
        k = min(grad.shape[-2:])
        return _lu_backward(grad[..., :, :k], grad[..., :k, :], self.P, L, U)


class LU(Packed):
    def outputs(self, a):
        lu, pivots, _ = _factor(a)
        self.P = _permutation(pivots, a.shape[-2], a.dtype)
        self.L, self.U = _split(lu)
        return [self.P, self.L, self.U]

    def grads(self, gp, gl, gu):
        if gl is None and gu is None:
            return None
        return _lu_backward(gl, gu, self.P, self.L, self.U)


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """(LU, pivots, info): info is the 1-based index of the first zero pivot (0 if none)."""
    check_matrix("linalg.lu_factor", A)
    if not pivot:
        raise NotImplementedError("linalg.lu_factor: LU without pivoting is not supported on "
                                  "the CPU (as in PyTorch)")
    _, pivots, info = _factor(A._data)
    if check_errors and np.any(info):
        raise RuntimeError(f"linalg.lu_factor: U[{int(info.max())}, {int(info.max())}] is zero "
                           f"and using it on lu_solve would result in a division by zero")
    return linalg_lu_factor_ex(LUFactor.apply(A), Tensor._from_op(pivots, None),
                               Tensor._from_op(info, None))


def lu_factor(A, *, pivot=True):
    """(LU, pivots) of A = P L U: L (unit diagonal, not stored) and U packed in one matrix."""
    LU_, pivots, info = lu_factor_ex(A, pivot=pivot)
    return linalg_lu_factor(LU_, pivots)


def lu(A, *, pivot=True):
    """(P, L, U) with A = P L U: P a permutation, L unit lower (m x k), U upper (k x n)."""
    check_matrix("linalg.lu", A)
    if not pivot:
        raise NotImplementedError("linalg.lu: LU without pivoting is not supported on the CPU")
    m, n = A.shape[-2:]
    k = min(m, n)
    return linalg_lu(*unpack(LU.apply(A), A.shape[:-2], [(m, m), (m, k), (k, n)]))


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from ``lu_factor``'s output; L and U stay attached to LU_data."""
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    P = L = U = None
    if unpack_pivots:
        P = Tensor._from_op(_permutation(np.asarray(LU_pivots._data), m, LU_data.dtype), None)
    if unpack_data:
        eye = Tensor._from_op(np.eye(m, k, dtype=LU_data.dtype), None)
        L = index.tril(LU_data[..., :, :k], -1) + eye
        U = index.triu(LU_data[..., :k, :])
    empty = Tensor._from_op(np.zeros(0, LU_data.dtype), None)
    return lu_unpack_result(empty if P is None else P, empty if L is None else L,
                            empty if U is None else U)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A X = B (or X A = B; Aᵀ with ``adjoint``), A given by ``lu_factor``."""
    from deepgrad.linalg.inverses import solve_triangular

    P, L, U = lu_unpack(LU, pivots)
    if left and not adjoint:  # A X = P L U X = B
        y = solve_triangular(L, matmul(P.mT, B), upper=False, unitriangular=True)
        return solve_triangular(U, y, upper=True)
    if left:  # Aᵀ X = Uᵀ Lᵀ Pᵀ X = B
        y = solve_triangular(U.mT, B, upper=False)
        return matmul(P, solve_triangular(L.mT, y, upper=True, unitriangular=True))
    # X A = B  <=>  Aᵀ Xᵀ = Bᵀ;  X Aᵀ = B  <=>  A Xᵀ = Bᵀ
    return shape.transpose(lu_solve(LU, pivots, B.mT, adjoint=not adjoint), -1, -2)
