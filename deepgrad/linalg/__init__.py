"""``deepgrad.linalg``: PyTorch's ``torch.linalg``, on NumPy's LAPACK, batched over leading dims.

    import deepgrad as dg
    A = dg.randn(4, 3, 3, dtype=dg.float64, requires_grad=True)
    x = dg.linalg.solve(A, dg.ones(4, 3, dtype=dg.float64))   # A x = 1 for each of 4 matrices
    dg.linalg.slogdet(A).logabsdet.sum().backward()          # A.grad = A⁻ᵀ

Loaded on first use (``import deepgrad`` does not import it). The math is in
``inverses.py`` (inv, det, solve, pinv, lstsq...), ``decompositions.py`` (cholesky, qr, eigh,
svd), ``lu.py`` and ``norms.py``, each op's gradient written next to its forward.
"""

from deepgrad.linalg._common import LinAlgError
from deepgrad.linalg.decompositions import (
    cholesky,
    cholesky_ex,
    eigh,
    eigvalsh,
    matrix_rank,
    qr,
    svd,
    svdvals,
)
from deepgrad.linalg.inverses import (
    det,
    inv,
    inv_ex,
    lstsq,
    matrix_exp,
    matrix_power,
    pinv,
    slogdet,
    solve,
    solve_ex,
    solve_triangular,
    tensorinv,
    tensorsolve,
)
from deepgrad.linalg.lu import lu, lu_factor, lu_factor_ex, lu_solve
from deepgrad.linalg.norms import cond, matrix_norm, norm, vector_norm
from deepgrad.ops import matrix as _matrix
from deepgrad.ops import reduce as _reduce
from deepgrad.ops.elementwise import mul as _mul
from deepgrad.ops.linalg import matmul
from deepgrad.ops.matrix import multi_dot

__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eigh",
    "eigvalsh", "inv", "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve",
    "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm",
    "pinv", "qr", "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals",
    "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm",
]


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` (batch dims broadcast)."""
    return _matrix._cross("linalg.cross", input, other, dim)


def vecdot(x, y, *, dim=-1):
    """Σ x·y along ``dim``, batch dims broadcast."""
    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found "
                           f"x of type {x.dtype} and y of type {y.dtype} instead")
    return _reduce.sum(_mul(x, y), dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonal of each matrix in the (dim1, dim2) planes (last two by default)."""
    return _matrix.diagonal(A, offset, dim1, dim2)


def vander(x, *, N=None):
    """Powers x⁰, x¹, ..., x^(N−1) along a new last dim (batched; N defaults to x.size(-1))."""
    if x.ndim < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension")
    n = x.shape[-1] if N is None else int(N)
    if n <= 1 and N is not None and n < 1:
        raise RuntimeError(f"linalg.vander: N must be greater than 1, got {N}")
    if x.dtype.kind in "biu":
        import numpy as np

        from deepgrad.ops.shape import to_dtype

        x = to_dtype(x, np.dtype(np.int64))
    return _matrix._powers(x, n, "linalg.vander")
