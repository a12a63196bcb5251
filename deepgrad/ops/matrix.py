"""Matrix and vector products beyond ``matmul``, diagonals, and matrix-building helpers.

Most are compositions of differentiable ops (their gradient is the chain rule through
``matmul``, ``reshape``, ``cat``...); the few that are not get a Function with forward and
backward side by side:

* ``addmm``/``addmv``/``addbmm``/``baddbmm``/``addr``: out = β·input + α·(product), so
  d input = β·dout (summed over broadcast dims) and d product = α·dout;
* ``diagonal`` and ``diag_embed`` are each other's adjoint: the gradient of taking a diagonal
  is writing dout onto the diagonal of zeros, and back;
* ``cross``: for c = a × b, da = b × dc and db = dc × a;
* ``cdist`` (p = 2): for d_ij = ‖x_i − y_j‖, with w = dout / d (0 where d = 0),
  dx_i = Σ_j w_ij (x_i − y_j) and dy_j = Σ_i w_ij (y_j − x_i): two GEMMs, no (P, R, M) array.

The decompositions and norms of ``torch.linalg`` live in ``deepgrad.linalg``; the top-level
aliases PyTorch keeps for them (``inverse``, ``det``, ``logdet``, ``cholesky``...) are here and
load that package on first use.
"""

import math

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.ops import creation, elementwise, reduce, shape
from deepgrad.ops._util import broadcast_shape, unbroadcast
from deepgrad.ops.linalg import einsum, matmul
from deepgrad.tensor import Tensor, _wrap_dim

__all__ = [
    "addbmm", "addmm", "addmv", "addr", "baddbmm", "block_diag", "cdist",
    "chain_matmul", "cholesky", "cholesky_inverse", "cholesky_solve", "corrcoef", "cov", "cross",
    "det", "diag", "diag_embed", "diagflat", "diagonal", "dist", "frobenius_norm", "ger", "inner",
    "inverse", "kron", "logdet", "lu", "lu_solve", "lu_unpack", "matrix_exp", "matrix_power",
    "mv", "nuclear_norm", "pinverse", "qr", "slogdet", "svd", "tensordot", "trace",
    "triangular_solve", "tril_indices", "triu_indices", "vander", "vdot",
]


def _dims(t):
    return "x".join(map(str, t.shape))


def _same_dtype(op, *tensors):
    first = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype != first:
            raise RuntimeError(f"{op}: expected all tensors to have the same dtype, but got "
                               f"{first} and {t.dtype}")


# ----- β·input + α·product ------------------------------------------------------------------


class AddScaled(Function):
    """out = β·input + α·product, input broadcast to the product's shape. With β = 0 the input
    is ignored (its NaNs too), as in PyTorch; its gradient is then zero."""

    def forward(self, input, product, beta, alpha):
        self.in_shape, self.beta, self.alpha = input.shape, beta, alpha
        out = product * alpha if alpha != 1 else product
        if beta != 0:
            out = out + (input * beta if beta != 1 else input)
        elif out is product:
            out = product.copy()
        return out.astype(product.dtype, copy=False)

    def backward(self, grad):
        grad_input = grad_product = None
        if self.needs_input_grad[0]:
            grad_input = unbroadcast(grad * self.beta, self.in_shape)
        if self.needs_input_grad[1]:
            grad_product = grad * self.alpha if self.alpha != 1 else grad
        return grad_input, grad_product


def _add_scaled(op, input, product, beta, alpha):
    if not isinstance(input, Tensor):
        input = Tensor(np.asarray(input, dtype=product.dtype))
    try:
        target = np.broadcast_shapes(input.shape, product.shape)
    except ValueError:
        target = None
    if target != tuple(product.shape):
        raise RuntimeError(f"{op}: input of shape {tuple(input.shape)} cannot be broadcast to "
                           f"the product's shape {tuple(product.shape)}")
    _same_dtype(op, input, product)
    return AddScaled.apply(input, product, beta, alpha)


def _check_mm(op, mat1, mat2, names=("mat1", "mat2")):
    for name, m in zip(names, (mat1, mat2)):
        if m.ndim != 2:
            raise RuntimeError(f"{op}: {name} must be a matrix, got {m.ndim}-D tensor of shape "
                               f"{tuple(m.shape)}")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"{op}: {names[0]} and {names[1]} shapes cannot be multiplied "
                           f"({_dims(mat1)} and {_dims(mat2)})")
    _same_dtype(op, mat1, mat2)


def _check_bmm(op, batch1, batch2):
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError(f"{op}: batch1 and batch2 must be 3-D tensors, got shapes "
                           f"{tuple(batch1.shape)} and {tuple(batch2.shape)}")
    if batch1.shape[0] != batch2.shape[0] or batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"{op}: batch1 of shape {tuple(batch1.shape)} and batch2 of shape "
                           f"{tuple(batch2.shape)} cannot be multiplied (batch sizes must be "
                           f"equal and batch1.size(2) == batch2.size(1))")
    _same_dtype(op, batch1, batch2)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """β·input + α·(mat1 @ mat2), input broadcast to (n, p)."""
    _check_mm("addmm", mat1, mat2)
    return _add_scaled("addmm", input, matmul(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """β·input + α·(mat @ vec)."""
    _check_mv("addmv", mat, vec)
    return _add_scaled("addmv", input, matmul(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """β·input + α·(vec1 ⊗ vec2), the outer product."""
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"addr: expected 1-D vectors, got shapes {tuple(vec1.shape)} and "
                           f"{tuple(vec2.shape)}")
    _same_dtype("addr", vec1, vec2)
    return _add_scaled("addr", input, einsum("i,j->ij", vec1, vec2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """β·input + α·Σ_b batch1[b] @ batch2[b] (one contraction over the batch and inner dim)."""
    _check_bmm("addbmm", batch1, batch2)
    return _add_scaled("addbmm", input, einsum("bij,bjk->ik", batch1, batch2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """β·input + α·(batch1 @ batch2), batch by batch."""
    _check_bmm("baddbmm", batch1, batch2)
    return _add_scaled("baddbmm", input, matmul(batch1, batch2), beta, alpha)


# ----- products -----------------------------------------------------------------------------


def _check_mv(op, mat, vec):
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"{op}: vector + matrix @ vector expected, got mat of shape "
                           f"{tuple(mat.shape)} and vec of shape {tuple(vec.shape)}")
    if mat.shape[1] != vec.shape[0]:
        raise RuntimeError(f"{op}: size mismatch, got mat ({_dims(mat)}), vec ({_dims(vec)})")
    _same_dtype(op, mat, vec)


def mv(input, vec):
    """Matrix @ vector."""
    _check_mv("mv", input, vec)
    return matmul(input, vec)


def vdot(input, other):
    """Σ input·other of two 1-D tensors (real: the dot product)."""
    if input.ndim != 1 or other.ndim != 1 or input.shape != other.shape:
        raise RuntimeError(f"vdot: expected two 1-D tensors of the same size, got shapes "
                           f"{tuple(input.shape)} and {tuple(other.shape)}")
    return matmul(input, other)


def tensordot(a, b, dims=2):
    """Contract ``dims`` (an int: a's last and b's first; or two lists of dims) as one GEMM."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot: dims={dims} exceeds the dimensions of the inputs "
                               f"(shapes {tuple(a.shape)} and {tuple(b.shape)})")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, (int, np.integer)) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, (int, np.integer)) else list(dims_b)
        if len(dims_a) != len(dims_b):
            raise RuntimeError(f"both dimension lists should have same length, got {dims_a} and "
                               f"{dims_b}")
    dims_a = [_wrap_dim(d, a.ndim, "tensordot") for d in dims_a]
    dims_b = [_wrap_dim(d, b.ndim, "tensordot") for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but first has "
                               f"size {a.shape[da]} in dim {da} and second has size "
                               f"{b.shape[db]} in dim {db} (shapes {tuple(a.shape)} and "
                               f"{tuple(b.shape)})")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    inner = math.prod(a.shape[d] for d in dims_a)
    left = shape.permute(a, free_a + dims_a).reshape(-1, inner) if a.ndim else a.reshape(1, 1)
    right = shape.permute(b, dims_b + free_b).reshape(inner, -1) if b.ndim else b.reshape(1, 1)
    out_shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    return matmul(left, right).reshape(out_shape)


def inner(input, other):
    """Σ over the last dim of both (a scalar operand multiplies)."""
    if input.ndim == 0 or other.ndim == 0:
        return elementwise.mul(input, other)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def kron(input, other):
    """Kronecker product: block (i, j) of the result is input[i, j] · other (any ndim)."""
    ndim = max(input.ndim, other.ndim)
    a_shape = (1,) * (ndim - input.ndim) + tuple(input.shape)
    b_shape = (1,) * (ndim - other.ndim) + tuple(other.shape)
    a = input.reshape([s for n in a_shape for s in (n, 1)])
    b = other.reshape([s for n in b_shape for s in (1, n)])
    return elementwise.mul(a, b).reshape([m * n for m, n in zip(a_shape, b_shape)])


def _chain_order(shapes):
    """The cheapest parenthesisation of a matrix chain (the textbook O(n³) DP)."""
    n = len(shapes)
    dims = [shapes[0][0]] + [s[1] for s in shapes]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors):
    """A @ B @ C ... in the cheapest order; the first and last may be 1-D (torch.linalg)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first_1d, last_1d = tensors[0].ndim == 1, tensors[-1].ndim == 1
    mats = list(tensors)
    if first_1d:
        mats[0] = mats[0].reshape(1, -1)
    if last_1d:
        mats[-1] = mats[-1].reshape(-1, 1)
    for i, m in enumerate(mats):
        if m.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D (or 1D at the ends) but got "
                               f"{tensors[i].ndim}D")
    for i in range(len(mats) - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} "
                               f"cannot be multiplied")
    _same_dtype("multi_dot", *mats)
    split = _chain_order([m.shape for m in mats])

    def product(i, j):
        if i == j:
            return mats[i]
        k = split[i][j]
        return matmul(product(i, k), product(k + 1, j))

    out = product(0, len(mats) - 1)
    if first_1d and last_1d:
        return out.reshape(())
    if first_1d:
        return out.reshape(-1)
    if last_1d:
        return out.reshape(-1)
    return out


def chain_matmul(*matrices):
    """The product of 2-D matrices in the cheapest order (deprecated in PyTorch for
    ``linalg.multi_dot``)."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if len(matrices) == 1:
        return shape.clone(matrices[0])
    for i, m in enumerate(matrices):
        if m.ndim != 2:
            raise RuntimeError(f"chain_matmul(): tensor {i} must be 2D, got {m.ndim}D")
    return multi_dot(matrices)


# ----- diagonals ----------------------------------------------------------------------------


def _diag_index(rows, cols, offset):
    """Row and column indices of diagonal ``offset`` in a rows x cols matrix."""
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    i = np.arange(length)
    return i - min(offset, 0), i + max(offset, 0)


class Diagonal(Function):
    """The diagonal ``offset`` of the (dim1, dim2) planes, as a new last dim."""

    __slots__ = ("in_shape", "offset", "dims")

    def forward(self, x, offset, dims):
        self.in_shape, self.offset, self.dims = x.shape, offset, dims
        return np.diagonal(x, offset, dims[0], dims[1]).copy()

    def backward(self, grad):
        out = np.zeros(self.in_shape, dtype=grad.dtype)
        planes = np.moveaxis(out, self.dims, (-2, -1))  # a view: writes land in ``out``
        rows, cols = _diag_index(planes.shape[-2], planes.shape[-1], self.offset)
        planes[..., rows, cols] = grad
        return out


class DiagEmbed(Function):
    """The last dim of ``x`` written onto diagonal ``offset`` of new (dim1, dim2) planes."""

    __slots__ = ("offset", "dims")

    def forward(self, x, offset, dims):
        self.offset, self.dims = offset, dims
        n = x.shape[-1] + abs(offset)
        out = np.zeros(x.shape[:-1] + (n, n), dtype=x.dtype)
        rows, cols = _diag_index(n, n, offset)
        out[..., rows, cols] = x
        return np.moveaxis(out, (-2, -1), dims)

    def backward(self, grad):
        return np.diagonal(grad, self.offset, self.dims[0], self.dims[1]).copy()


def _two_dims(dim1, dim2, ndim, op):
    d1, d2 = _wrap_dim(dim1, ndim, op), _wrap_dim(dim2, ndim, op)
    if d1 == d2:
        raise RuntimeError(f"{op}: diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal ``offset`` (> 0 above, < 0 below) of each (dim1, dim2) plane, appended
    as the last dim."""
    if input.ndim < 2:
        raise RuntimeError(f"diagonal: expected a tensor with at least 2 dimensions, got shape "
                           f"{tuple(input.shape)}")
    return Diagonal.apply(input, int(offset), _two_dims(dim1, dim2, input.ndim, "diagonal"))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Each last-dim vector of ``input`` on diagonal ``offset`` of a new (dim1, dim2) plane."""
    return DiagEmbed.apply(input, int(offset), _two_dims(dim1, dim2, input.ndim + 1,
                                                         "diag_embed"))


def diag(input, diagonal=0):
    """1-D: a square matrix with ``input`` on diagonal ``diagonal``; 2-D: that diagonal."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return Diagonal.apply(input, int(diagonal), (0, 1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def diagflat(input, offset=0):
    """``input`` flattened onto diagonal ``offset`` of a square matrix."""
    return diag_embed(input.reshape(-1), offset, 0, 1)


def trace(input):
    """The sum of the main diagonal of a matrix."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return reduce.sum(Diagonal.apply(input, 0, (0, 1)))


# ----- cross product and distances -----------------------------------------------------------


class Cross(Function):
    """c = a × b along ``axis`` (size 3): da = b × dc, db = dc × a."""

    def forward(self, a, b, axis):
        shape_ = np.broadcast_shapes(a.shape, b.shape)
        self.shapes, self.axis = (a.shape, b.shape), axis
        self.a, self.b = np.broadcast_to(a, shape_), np.broadcast_to(b, shape_)
        return np.cross(self.a, self.b, axis=axis)

    def backward(self, grad):
        axis = self.axis
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = unbroadcast(np.cross(self.b, grad, axis=axis), self.shapes[0])
        if self.needs_input_grad[1]:
            grad_b = unbroadcast(np.cross(grad, self.a, axis=axis), self.shapes[1])
        return grad_a, grad_b


def _cross(op, input, other, dim):
    if input.ndim != other.ndim:
        raise RuntimeError(f"{op}: inputs must have the same number of dimensions, got shapes "
                           f"{tuple(input.shape)} and {tuple(other.shape)}")
    full = broadcast_shape(op, input.shape, other.shape)
    if dim is None:  # torch.cross's legacy default: the first dim of size 3
        sizes = [d for d, n in enumerate(full) if n == 3]
        if not sizes:
            raise RuntimeError(f"{op}: no dimension of size 3 in input of shape "
                               f"{tuple(input.shape)}")
        dim = sizes[0]
    axis = _wrap_dim(dim, len(full), op) - len(full)
    sizes = [t.shape[axis] for t in (input, other)]
    if sizes != [3, 3]:
        raise RuntimeError(f"{op}: inputs dimension {dim} must have length 3. Got {sizes[0]} "
                           f"and {sizes[1]}")
    _same_dtype(op, input, other)
    return Cross.apply(input, other, axis)


def cross(input, other, dim=None):
    """The 3-vector cross product along ``dim`` (default: the first dim of size 3)."""
    return _cross("cross", input, other, dim)


class EuclideanCdist(Function):
    """d_ij = ‖x_i − y_j‖₂ over the last dim, batch dims broadcast. Small inputs subtract
    directly (exact zeros on equal rows); larger ones use ‖x‖² + ‖y‖² − 2 x·y (one GEMM), as
    PyTorch does for more than 25 rows."""

    def forward(self, x1, x2, use_mm):
        batch = np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
        self.shapes = (x1.shape, x2.shape)
        x1 = np.broadcast_to(x1, batch + x1.shape[-2:])
        x2 = np.broadcast_to(x2, batch + x2.shape[-2:])
        if use_mm:
            sq = ((x1 * x1).sum(-1)[..., :, None] + (x2 * x2).sum(-1)[..., None, :]
                  - 2 * np.matmul(x1, np.swapaxes(x2, -1, -2)))
            out = np.sqrt(np.maximum(sq, 1e-30))
        else:
            diff = x1[..., :, None, :] - x2[..., None, :, :]
            out = np.sqrt((diff * diff).sum(-1))
        self.x1, self.x2, self.out = x1, x2, out
        return out

    def backward(self, grad):
        x1, x2 = self.x1, self.x2
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(self.out == 0, 0, grad / self.out)
        grad_x1 = grad_x2 = None
        if self.needs_input_grad[0]:
            g = x1 * ratio.sum(-1)[..., None] - np.matmul(ratio, x2)
            grad_x1 = unbroadcast(g, self.shapes[0])
        if self.needs_input_grad[1]:
            g = x2 * ratio.sum(-2)[..., None] - np.matmul(np.swapaxes(ratio, -1, -2), x1)
            grad_x2 = unbroadcast(g, self.shapes[1])
        return grad_x1, grad_x2


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of x1 (*, P, M) and each row of x2 (*, R, M):
    (*, P, R). p = 2 has its own two-GEMM gradient; other p are the vector norm of the
    differences."""
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
        if x.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{x.dtype}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    broadcast_shape("cdist", x1.shape[:-2], x2.shape[:-2])
    _same_dtype("cdist", x1, x2)
    if p == 2:
        use_mm = compute_mode == "use_mm_for_euclid_dist" or (
            compute_mode == _CDIST_MODES[0] and (x1.shape[-2] > 25 or x2.shape[-2] > 25))
        return EuclideanCdist.apply(x1, x2, use_mm)
    from deepgrad.linalg import vector_norm

    diff = elementwise.sub(shape.unsqueeze(x1, -2), shape.unsqueeze(x2, -3))
    return vector_norm(diff, p, dim=-1)


def dist(input, other, p=2):
    """‖input − other‖_p over all elements (broadcast)."""
    from deepgrad.linalg import vector_norm

    return vector_norm(elementwise.sub(input, other), p)


# ----- building matrices --------------------------------------------------------------------


def block_diag(*tensors):
    """The tensors (0-, 1- or 2-D) as blocks down the diagonal of one matrix, zeros elsewhere."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    blocks = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.ndim} dimensions")
        blocks.append(t.reshape(1, -1) if t.ndim < 2 else t)
    if not blocks:
        return creation.zeros(1, 0)
    dtype = np.result_type(*[b._data for b in blocks])
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        if b.dtype != dtype:
            b = shape.to_dtype(b, dtype)
        pieces = [creation.zeros(r, left, dtype=dtype), b,
                  creation.zeros(r, width - left - c, dtype=dtype)]
        rows.append(shape.cat(pieces, dim=1))
        left += c
    return shape.cat(rows, dim=0)


def _triangle_indices(op, numpy_fn, row, col, offset, dtype):
    from deepgrad.backend import dtypes

    if row < 0 or col < 0:
        raise RuntimeError(f"{op}: row and col must be non-negative, got {row} and {col}")
    dtype = dtypes.int64 if dtype is None else dtypes.to_dtype(dtype)
    rows, cols = numpy_fn(row, offset, col)
    return Tensor._from_op(np.stack([rows, cols]).astype(dtype).reshape(2, -1), None)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Indices (2, N) of the lower triangle (on and below diagonal ``offset``), row by row."""
    return _triangle_indices("tril_indices", np.tril_indices, row, col, offset, dtype)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Indices (2, N) of the upper triangle (on and above diagonal ``offset``), row by row."""
    return _triangle_indices("triu_indices", np.triu_indices, row, col, offset, dtype)


def _powers(x, n, op):
    """[x⁰, x¹, ..., xⁿ⁻¹] along a new last dim, built by repeated products (no x⁻¹ at 0)."""
    if n < 0:
        raise RuntimeError(f"{op}: N must be non-negative, got {n}")
    columns = []
    if n > 0:
        columns.append(creation.ones_like(x))
    for _ in range(1, n):
        columns.append(elementwise.mul(columns[-1], x) if len(columns) > 1 else x)
    if not columns:
        return creation.zeros(*x.shape, 0, dtype=x.dtype)
    return shape.stack(columns, dim=-1)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of 1-D ``x``: column j is x^(N-1-j) (or x^j if increasing)."""
    if x.ndim != 1:
        raise RuntimeError(f"vander: x must be a one-dimensional tensor, got shape "
                           f"{tuple(x.shape)}")
    if x.dtype.kind in "biu":
        x = shape.to_dtype(x, np.dtype(np.int64))
    out = _powers(x, x.shape[0] if N is None else int(N), "vander")
    return out if increasing else shape.flip(out, -1)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance of the rows (variables) over the columns (observations):
    Σ w (x − x̄)(x − x̄)ᵀ / (Σ w − correction · Σ w·a / Σ w), with w = fweights · aweights."""
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    if x.dtype.kind != "f":
        from deepgrad.backend import dtypes

        x = shape.to_dtype(x, dtypes.default_float)
    observations = x.shape[1]
    weights = None
    for name, w in (("fweights", fweights), ("aweights", aweights)):
        if w is None:
            continue
        if w.ndim > 1 or w.numel() != observations:
            raise RuntimeError(f"cov(): expected {name} to be a 1-D tensor with {observations} "
                               f"elements (the number of observations), got shape "
                               f"{tuple(w.shape)}")
        if name == "fweights" and w.dtype.kind == "f":
            raise RuntimeError("cov(): expected fweights to have integral dtype")
        if np.any(w._data < 0):
            raise RuntimeError(f"cov(): {name} cannot be negative")
        w = shape.to_dtype(w, x.dtype) if w.dtype != x.dtype else w
        weights = w if weights is None else elementwise.mul(weights, w)
    if weights is None:
        total = observations
        mean = reduce.mean(x, dim=1, keepdim=True)
        scale = total - correction
    else:
        total = reduce.sum(weights)
        mean = elementwise.div(reduce.sum(elementwise.mul(x, weights), dim=1, keepdim=True),
                               total)
        if correction == 0:
            scale = total
        elif aweights is None:
            scale = elementwise.sub(total, correction)
        else:
            aw = shape.to_dtype(aweights, x.dtype) if aweights.dtype != x.dtype else aweights
            correction_term = elementwise.div(reduce.sum(elementwise.mul(weights, aw)), total)
            scale = elementwise.sub(total, elementwise.mul(correction_term, correction))
    centered = elementwise.sub(x, mean)
    weighted = centered if weights is None else elementwise.mul(centered, weights)
    product = matmul(weighted, centered.t())
    if isinstance(scale, Tensor):
        scale = elementwise.clamp(scale, min=0)
    else:
        scale = max(scale, 0)
    out = elementwise.div(product, scale)
    return out.reshape(()) if input.ndim < 2 else out


def corrcoef(input):
    """Pearson correlation of the rows: cov / (σ_i σ_j), clipped to [−1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return elementwise.div(c, c)
    std = elementwise.sqrt(diagonal(c))
    c = elementwise.div(c, std.reshape(-1, 1))
    c = elementwise.div(c, std.reshape(1, -1))
    return elementwise.clamp(c, -1, 1)


# ----- top-level aliases of torch.linalg (the package loads on first use) -------------------


def _linalg(module="deepgrad.linalg"):
    import importlib

    return importlib.import_module(module)


def inverse(input):
    """A⁻¹ (``torch.inverse``, an alias of ``linalg.inv``)."""
    return _linalg().inv(input)


def det(input):
    return _linalg().det(input)


def slogdet(input):
    return _linalg().slogdet(input)


def logdet(input):
    """log det A: NaN where det A < 0, −inf where it is 0 (gradient A⁻ᵀ)."""
    return _linalg("deepgrad.linalg.inverses").logdet(input)


def cholesky(input, upper=False):
    return _linalg().cholesky(input, upper=upper)


def cholesky_solve(input, input2, upper=False):
    """X with A X = input, given A's Cholesky factor ``input2`` (lower, or upper)."""
    return _linalg("deepgrad.linalg.decompositions").cholesky_solve(input, input2, upper=upper)


def cholesky_inverse(input, upper=False):
    """A⁻¹ from A's Cholesky factor ``input``."""
    return _linalg("deepgrad.linalg.decompositions").cholesky_inverse(input, upper=upper)


def pinverse(input, rcond=1e-15):
    return _linalg().pinv(input, rtol=rcond)


def matrix_power(input, n):
    return _linalg().matrix_power(input, n)


def matrix_exp(input):
    return _linalg().matrix_exp(input)


def qr(input, some=True):
    """The legacy ``torch.qr``: (Q, R), reduced when ``some``."""
    return _linalg().qr(input, mode="reduced" if some else "complete")


def svd(input, some=True, compute_uv=True):
    """The legacy ``torch.svd``: (U, S, V) with V (not Vᴴ), reduced when ``some``."""
    return _linalg("deepgrad.linalg.decompositions").legacy_svd(input, some=some,
                                                                compute_uv=compute_uv)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """The legacy ``torch.triangular_solve``: (X, A) with T X = b (Tᵀ X = b if ``transpose``),
    T the upper or lower triangle of A."""
    from deepgrad.linalg.inverses import solve_triangular

    T = A.mT if transpose else A
    X = solve_triangular(T, b, upper=upper != transpose, unitriangular=unitriangular)
    return _linalg("deepgrad.linalg.inverses").triangular_solve_result(X, shape.clone(A))


def lu(A, pivot=True, get_infos=False):
    """The legacy ``torch.lu``: (LU, pivots) or (LU, pivots, infos)."""
    LU_, pivots, info = _linalg().lu_factor_ex(A, pivot=pivot)
    return (LU_, pivots, info) if get_infos else (LU_, pivots)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) with A = P L U from ``lu_factor``'s packed output."""
    return _linalg("deepgrad.linalg.lu").lu_unpack(LU_data, LU_pivots, unpack_data,
                                                   unpack_pivots)


def lu_solve(b, LU_data, LU_pivots):
    """The legacy ``torch.lu_solve``: X with A X = b, A given by ``lu``."""
    return _linalg().lu_solve(LU_data, LU_pivots, b)


def ger(input, vec2):
    """The outer product (an old name of ``outer``)."""
    from deepgrad.ops.linalg import outer

    return outer(input, vec2)


def nuclear_norm(input, dim=None, keepdim=False):
    """Σσ of the matrix (or of the matrices in the two ``dim``)."""
    return _linalg().matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)


def frobenius_norm(input, dim=(-2, -1), keepdim=False):
    """The 2-norm of all entries over ``dim``."""
    return _linalg().vector_norm(input, 2, dim, keepdim)


def _in_place(op, name):
    """``x.addmm_(...)``: the out-of-place result written into x, outside the graph only (the
    rule of deepgrad/ops/inplace.py)."""

    def method(self, *args, **kwargs):
        from deepgrad.autograd.grad_mode import GradMode, no_grad
        from deepgrad.ops.inplace import _write

        if GradMode.enabled and any(isinstance(t, Tensor) and t.requires_grad
                                    for t in (self, *args, *kwargs.values())):
            raise RuntimeError(f"{name}: in-place operations on tensors that require grad are "
                               f"not supported; use the out-of-place {name[:-1]}")
        with no_grad():
            result = op(self, *args, **kwargs)
        if result.shape != self.shape:
            raise RuntimeError(f"{name}: the result of shape {tuple(result.shape)} can't be "
                               f"written in place into a tensor of shape {tuple(self.shape)}")
        return _write(self, result._data, name)

    method.__name__ = name
    method.__doc__ = f"In-place ``{name[:-1]}``."
    return method


addmm_ = _in_place(addmm, "addmm_")
addmv_ = _in_place(addmv, "addmv_")
addr_ = _in_place(addr, "addr_")
addbmm_ = _in_place(addbmm, "addbmm_")
baddbmm_ = _in_place(baddbmm, "baddbmm_")


# the Tensor methods PyTorch has for these (bound in deepgrad/ops/__init__.py)
TENSOR_METHODS = (
    "addbmm", "addbmm_", "addmm", "addmm_", "addmv", "addmv_", "addr", "addr_", "baddbmm",
    "baddbmm_", "cholesky", "cholesky_inverse", "cholesky_solve", "corrcoef", "cov", "cross",
    "det", "diag", "diag_embed", "diagflat", "diagonal", "dist", "ger", "inner", "inverse",
    "kron", "logdet", "lu", "lu_solve", "matrix_exp", "matrix_power", "mv", "pinverse", "qr",
    "slogdet", "svd", "trace", "triangular_solve", "vdot",
)
