"""Vector and matrix norms (``torch.linalg.vector_norm``/``matrix_norm``/``norm``/``cond``),
composed of reductions so that their gradients are PyTorch's:

* vector: ‖x‖_p = (Σ|x|^p)^(1/p); ∞ and −∞ are max/min |x| (gradient shared among ties);
  0 counts the nonzeros (no gradient)
* matrix: 'fro' = the 2-norm of all entries; 'nuc' = Σσ; 2 / −2 = σ_max / σ_min;
  1 / −1 = max/min column sum of |a|; ∞ / −∞ = max/min row sum of |a|
"""

import math

import numpy as np

from deepgrad.linalg._common import check_float
from deepgrad.ops import elementwise, reduce, shape
from deepgrad.ops._util import normalize_dims
from deepgrad.tensor import Tensor, _wrap_dim

__all__ = [
    "cond", "matrix_norm", "norm", "vector_norm",
]


def _cast(op, x, dtype):
    check_float(op, x)
    if dtype is not None:
        from deepgrad.backend import dtypes

        x = shape.to_dtype(x, dtypes.to_dtype(dtype))
    return x


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """‖x‖_ord over ``dim`` (all elements when None), treating the entries as one vector."""
    x = _cast("linalg.vector_norm", x, dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if isinstance(dim, int):
        dim = (dim,)
    axes = normalize_dims(dim, x.ndim, "linalg.vector_norm")
    ord = float(ord)
    if ord == math.inf or ord == -math.inf:
        if x.numel() == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                               f"tensor because the operation does not have an identity")
        pick = reduce.amax if ord > 0 else reduce.amin
        return pick(elementwise.abs(x), axes, keepdim)
    if ord == 0:
        count = np.sum(x._data != 0, axis=axes, keepdims=keepdim).astype(x.dtype)
        return Tensor._from_op(np.asarray(count), None)
    with np.errstate(divide="ignore"):
        return reduce.Norm.apply(x, ord, axes, keepdim)


_MATRIX_ORDS = ("fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norm ``ord`` of each matrix in the (dim[0], dim[1]) planes."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    A = _cast("linalg.matrix_norm", A, dtype)
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (_wrap_dim(d, A.ndim, "linalg.matrix_norm") for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        from deepgrad.linalg.decompositions import svdvals

        rest = [d for d in range(A.ndim) if d not in (d0, d1)]
        s = svdvals(shape.permute(A, rest + [d0, d1]))
        if ord == "nuc":
            out = reduce.sum(s, -1)
        else:
            out = (reduce.amax if ord == 2 else reduce.amin)(s, -1)
        if keepdim:
            for d in sorted((d0, d1)):
                out = shape.unsqueeze(out, d)
        return out
    # 1: sum over rows (dim[0]) then the max over columns; inf: the other way round
    summed, picked = (d0, d1) if abs(ord) == 1 else (d1, d0)
    sums = reduce.sum(elementwise.abs(A), summed, keepdim=True)
    out = (reduce.amax if ord > 0 else reduce.amin)(sums, picked, True)
    return out if keepdim else _squeeze_dims(out, (d0, d1))


def _squeeze_dims(x, dims):
    for d in sorted(dims, reverse=True):
        x = shape.squeeze(x, d)
    return x


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm over one dim (or all of a flattened tensor when ord is None), a matrix
    norm over two; with ``dim=None`` and ``ord`` given, A must be 1-D or 2-D."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None:
        if ord is None:
            return vector_norm(A, 2, None, keepdim, dtype=dtype)
        if A.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input "
                               f"must be 1D or 2D. Got {A.ndim}D.")
        dim = tuple(range(A.ndim))
    dim = tuple(dim)
    if len(dim) == 1:
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.norm: Order {ord} not supported for vector norms")
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                       f"{list(dim)}")


def cond(A, p=None):
    """The condition number κ_p(A) = ‖A‖_p ‖A⁻¹‖_p (σ_max / σ_min for p = None or 2)."""
    from deepgrad.linalg.decompositions import svdvals
    from deepgrad.linalg.inverses import inv

    if p is None or p == 2 or p == -2:
        s = svdvals(A)
        big, small = reduce.amax(s, -1), reduce.amin(s, -1)
        return elementwise.div(small, big) if p == -2 else elementwise.div(big, small)
    return elementwise.mul(matrix_norm(A, p), matrix_norm(inv(A), p))
