"""Cholesky, QR, symmetric eigendecomposition and SVD, batched, with PyTorch's gradients.

With dout for each output (a zero/unused one counts as absent):
* cholesky:  dA = L⁻ᵀ Φ(Lᵀ dL) L⁻¹, Φ = the lower triangle mirrored, its diagonal halved
             (Murray 2016, as PyTorch's ``cholesky_backward``)
* eigh:      dA = V (diag(dλ) + sk(Vᵀ dV) / E) Vᵀ,   E_ij = λ_j − λ_i, sk(X) = (X − Xᵀ)/2
* svd:       dA from U, S, Vh (PyTorch's ``svd_backward``, E_ij = σ_j² − σ_i²); singular
             values alone give dA = U diag(dS) Vh
* qr:        dA = (dQ + Q sym(triu(dR Rᵀ − Qᵀ dQ))) R⁻ᵀ for m ≥ n
Gradients through eigenvectors or singular vectors are finite only for distinct values, as
in PyTorch.
"""

from collections import namedtuple

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.linalg._common import (
    LinAlgError,
    Packed,
    batch_prefix,
    check_matrix,
    each_matrix,
    mT,
    unpack,
)
from deepgrad.linalg.inverses import _tolerance, solve
from deepgrad.ops.linalg import matmul
from deepgrad.tensor import Tensor

__all__ = [
    "cholesky", "cholesky_ex", "cholesky_inverse", "cholesky_solve", "eigh", "eigvalsh",
    "legacy_svd", "matrix_rank", "qr", "svd", "svdvals",
]

linalg_qr = namedtuple("linalg_qr", ["Q", "R"])
linalg_eigh = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
linalg_svd = namedtuple("linalg_svd", ["U", "S", "Vh"])
linalg_cholesky_ex = namedtuple("linalg_cholesky_ex", ["L", "info"])
svd_result = namedtuple("svd", ["U", "S", "V"])


def _diag_embed(v):
    n = v.shape[-1]
    out = np.zeros(v.shape + (n,), dtype=v.dtype)
    i = np.arange(n)
    out[..., i, i] = v
    return out


# ----- Cholesky -----------------------------------------------------------------------------


def _failing_minor(m):
    """The order of the first leading minor that is not positive-definite (bisection:
    if order k fails, every larger order fails too)."""
    low, high = 1, m.shape[-1]
    while low < high:
        mid = (low + high) // 2
        try:
            np.linalg.cholesky(m[:mid, :mid])
            low = mid + 1
        except np.linalg.LinAlgError:
            high = mid
    return low


def _cholesky_info(a):
    info = np.zeros(a.shape[:-2], dtype=np.int32)
    for index, m in each_matrix(a):
        try:
            np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            info[index] = _failing_minor(m)
    return info


class Cholesky(Function):
    __slots__ = ("L",)

    def forward(self, a):
        try:
            self.L = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            info = _cholesky_info(a)
            index = tuple(np.argwhere(info)[0]) if info.ndim else ()
            raise LinAlgError(
                f"linalg.cholesky: {batch_prefix(index, a.shape[:-2])}The factorization could "
                f"not be completed because the input is not positive-definite (the leading "
                f"minor of order {int(info[index])} is not positive-definite).") from None
        return self.L

    def backward(self, grad):
        L = self.L
        phi = np.tril(mT(L) @ np.tril(grad))
        phi = 0.5 * (phi + mT(np.tril(phi, -1)))  # symmetric, diagonal halved
        inverse = np.linalg.inv(L)  # one factorisation serves both sides
        return mT(inverse) @ phi @ inverse  # L⁻ᵀ Φ L⁻¹


def cholesky(A, *, upper=False):
    """L with A = L Lᵀ (only A's lower triangle is read), or U with A = Uᵀ U when ``upper``
    (only the upper triangle is read: the factor of Aᵀ's lower one, transposed)."""
    check_matrix("linalg.cholesky", A, square=True)
    return Cholesky.apply(A.mT).mT if upper else Cholesky.apply(A)


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info): info is 0, or the order of the first leading minor that is not
    positive-definite (then L is undefined), instead of raising."""
    check_matrix("linalg.cholesky_ex", A, square=True)
    info = _cholesky_info(A._data)
    if np.any(info):
        if check_errors:
            cholesky(A)
        L = Tensor._from_op(np.full(A.shape, np.nan, dtype=A.dtype), None)
    else:
        L = cholesky(A, upper=upper)
    return linalg_cholesky_ex(L, Tensor._from_op(np.asarray(info), None))


def cholesky_solve(B, L, upper=False):
    """X with A X = B for A = L Lᵀ (or Uᵀ U); the gradient flows to B and to L."""
    A = matmul(L.mT, L) if upper else matmul(L, L.mT)
    return solve(A, B)


def cholesky_inverse(L, upper=False):
    """A⁻¹ for A = L Lᵀ (or Uᵀ U)."""
    from deepgrad.linalg.inverses import inv

    return inv(matmul(L.mT, L) if upper else matmul(L, L.mT))


# ----- QR -----------------------------------------------------------------------------------


class QR(Packed):
    def outputs(self, a, mode):
        self.mode = mode
        self.q, self.r = np.linalg.qr(a, mode=mode)
        return [self.q, self.r]

    def grads(self, gq, gr):
        q, r = self.q, self.r
        m, n = q.shape[-2], r.shape[-1]
        if gq is None and gr is None:
            return None
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        if gq is not None:
            g = -(mT(q) @ gq) if gr is None else gr @ mT(r) - mT(q) @ gq
        else:
            g = gr @ mT(r)
        if m >= n:
            sym = np.triu(g)
            sym = sym + mT(sym)
            sym = sym - _diag_embed(0.5 * np.diagonal(sym, 0, -2, -1))
            g = q @ sym
            if gq is not None:
                g = g + gq
            return mT(np.linalg.solve(r, mT(g)))  # g R⁻ᵀ
        x = -g
        skew = np.tril(x - mT(x))
        g = q @ skew
        g = mT(np.linalg.solve(r[..., :m], mT(g)))  # g R[:, :m]⁻ᵀ
        g = np.concatenate([g, np.zeros(g.shape[:-1] + (n - m,), g.dtype)], -1)
        if gr is not None:
            g = g + q @ gr
        return g


def qr(A, mode="reduced"):
    """A = Q R, Q with orthonormal columns, R upper triangular. ``mode``: 'reduced' (Q m×k),
    'complete' (Q m×m), 'r' (R only; Q is empty)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    check_matrix("linalg.qr", A)
    m, n = A.shape[-2:]
    k = min(m, n)
    batch = A.shape[:-2]
    if mode == "r":
        r = np.linalg.qr(A._data, mode="r")
        return linalg_qr(Tensor._from_op(np.zeros(0, A.dtype), None), Tensor._from_op(r, None))
    parts = [(m, k), (k, n)] if mode == "reduced" else [(m, m), (m, n)]
    return linalg_qr(*unpack(QR.apply(A, mode), batch, parts))


# ----- symmetric eigendecomposition ---------------------------------------------------------


def _eigh_backward(gl, gv, lam, v):
    if gv is None:
        return (v * gl[..., None, :]) @ mT(v)
    vtgv = mT(v) @ gv
    vtgv = 0.5 * (vtgv - mT(vtgv))
    e = lam[..., None, :] - lam[..., :, None]
    n = lam.shape[-1]
    e[..., np.arange(n), np.arange(n)] = 1
    g = vtgv / e
    i = np.arange(n)
    g[..., i, i] = 0 if gl is None else gl
    return v @ g @ mT(v)


class Eigh(Packed):
    def outputs(self, a, uplo):
        self.lam, self.v = np.linalg.eigh(a, UPLO=uplo)
        return [self.lam, self.v]

    def grads(self, gl, gv):
        if gl is None and gv is None:
            return None
        return _eigh_backward(gl, gv, self.lam, self.v)


def _check_uplo(op, uplo):
    if uplo not in ("L", "U", "l", "u"):
        raise RuntimeError(f"{op}: Expected UPLO argument to be 'L' or 'U', but got {uplo}")
    return uplo.upper()


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors of each symmetric matrix; only
    the ``UPLO`` triangle is read."""
    check_matrix("linalg.eigh", A, square=True)
    uplo = _check_uplo("linalg.eigh", UPLO)
    n = A.shape[-1]
    return linalg_eigh(*unpack(Eigh.apply(A, uplo), A.shape[:-2], [(n,), (n, n)]))


class Eigvalsh(Function):
    __slots__ = ("lam", "v")

    def forward(self, a, uplo):
        self.lam, self.v = np.linalg.eigh(a, UPLO=uplo)
        return self.lam

    def backward(self, grad):
        return _eigh_backward(grad, None, self.lam, self.v)


def eigvalsh(A, UPLO="L"):
    """The eigenvalues (ascending) of each symmetric matrix; gradient V diag(dλ) Vᵀ."""
    check_matrix("linalg.eigvalsh", A, square=True)
    return Eigvalsh.apply(A, _check_uplo("linalg.eigvalsh", UPLO))


# ----- singular value decomposition ---------------------------------------------------------


def _svd_backward(gu, gs, gvh, u, s, vh):
    m, n = u.shape[-2], vh.shape[-1]
    if gu is None and gvh is None:
        return (u * gs[..., None, :]) @ vh
    skew_u = None if gu is None else mT(u) @ gu - mT(mT(u) @ gu)
    skew_v = None if gvh is None else vh @ mT(gvh) - mT(vh @ mT(gvh))
    s2 = s * s
    e = s2[..., None, :] - s2[..., :, None]
    k = s.shape[-1]
    e[..., np.arange(k), np.arange(k)] = 1
    if gu is not None and gvh is not None:
        g = (skew_u * s[..., None, :] + s[..., :, None] * skew_v) / e
    elif gu is not None:
        g = (skew_u / e) * s[..., None, :]
    else:
        g = s[..., :, None] * (skew_v / e)
    if gs is not None:
        g = g + _diag_embed(gs)
    if m > n and gu is not None:
        g = u @ g
        gu_sinv = gu / s[..., None, :]
        g = g + gu_sinv - u @ (mT(u) @ gu_sinv)
        return g @ vh
    if m < n and gvh is not None:
        g = g @ vh
        sinv_gvh = gvh / s[..., :, None]
        g = g + sinv_gvh - (sinv_gvh @ mT(vh)) @ vh
        return u @ g
    return u @ g @ vh


class SVD(Packed):
    def outputs(self, a, full_matrices):
        self.full = full_matrices
        self.u, self.s, self.vh = np.linalg.svd(a, full_matrices=full_matrices)
        return [self.u, self.s, self.vh]

    def grads(self, gu, gs, gvh):
        if gu is None and gs is None and gvh is None:
            return None
        u, s, vh = self.u, self.s, self.vh
        if self.full:  # the extra columns of U / rows of Vh carry no information about A
            k = s.shape[-1]
            u, vh = u[..., :k], vh[..., :k, :]
            gu = None if gu is None else gu[..., :k]
            gvh = None if gvh is None else gvh[..., :k, :]
        return _svd_backward(gu, gs, gvh, u, s, vh)


def svd(A, full_matrices=True, *, driver=None):
    """A = U diag(S) Vh, singular values descending. With ``full_matrices`` U is m×m and Vh
    n×n (the extra vectors get no gradient); otherwise m×k and k×n."""
    check_matrix("linalg.svd", A)
    m, n = A.shape[-2:]
    k = min(m, n)
    parts = [(m, m), (k,), (n, n)] if full_matrices else [(m, k), (k,), (k, n)]
    return linalg_svd(*unpack(SVD.apply(A, bool(full_matrices)), A.shape[:-2], parts))


class Svdvals(Function):
    __slots__ = ("u", "vh")

    def forward(self, a):
        self.u, s, self.vh = np.linalg.svd(a, full_matrices=False)
        return s

    def backward(self, grad):
        return (self.u * grad[..., None, :]) @ self.vh


def svdvals(A, *, driver=None):
    """The singular values, descending; gradient U diag(dS) Vh."""
    check_matrix("linalg.svdvals", A)
    return Svdvals.apply(A)


def legacy_svd(input, some=True, compute_uv=True):
    """``torch.svd``: (U, S, V) with V = Vhᵀ."""
    if not compute_uv:
        m, n = input.shape[-2:]
        s = svdvals(input)
        zeros = np.zeros
        return svd_result(Tensor._from_op(zeros(input.shape[:-2] + (m, m), input.dtype), None),
                          s, Tensor._from_op(zeros(input.shape[:-2] + (n, n), input.dtype), None))
    u, s, vh = svd(input, full_matrices=not some)
    return svd_result(u, s, vh.mT)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    """The number of singular values above max(atol, rtol·σ_max) (int64)."""
    check_matrix("linalg.matrix_rank", A)
    if tol is not None:
        atol, rtol = tol, 0.0
    s = np.linalg.svd(A._data, compute_uv=False)
    if hermitian:
        s = np.abs(s)
    rank = (s > _tolerance(s, A.shape, atol, rtol, "linalg.matrix_rank")).sum(-1)
    return Tensor._from_op(np.asarray(rank, dtype=np.int64), None)
