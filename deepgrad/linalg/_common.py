"""What the linalg ops share: input checks with PyTorch's messages, LinAlgError, and the
packing that lets one Function return several differentiable outputs (Q and R, U, S and Vh).
"""

import math

import numpy as np

from deepgrad.autograd.function import Function

_TORCH_NAMES = {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool"}


class LinAlgError(RuntimeError):
    """A matrix is singular or not positive-definite (``torch.linalg.LinAlgError``)."""


def check_float(op, A):
    if A.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{_TORCH_NAMES.get(A.dtype.name, A.dtype.name)}")


def check_matrix(op, A, square=False, name="A"):
    """At least 2-D, floating, and (if asked) batches of square matrices."""
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor {name} must have at least 2 dimensions.")
    check_float(op, A)
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: {name} must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


def mT(a):
    return np.swapaxes(a, -1, -2)


def batch_prefix(index, batch_shape):
    """``"(Batch element k): "`` as PyTorch writes it for batched inputs."""
    if not batch_shape:
        return ""
    return f"(Batch element {int(np.ravel_multi_index(index, batch_shape))}): "


def each_matrix(a):
    """(index, matrix) for every matrix of a batch."""
    for index in np.ndindex(a.shape[:-2]):
        yield index, a[index]


def zero_pivot(matrix):
    """The 1-based index of the first exactly-zero pivot of LU with partial pivoting (what
    LAPACK's getrf reports), or None."""
    u = np.array(matrix, dtype=np.float64)
    n = u.shape[0]
    for j in range(n):
        p = j + int(np.argmax(np.abs(u[j:, j])))
        if u[p, j] == 0:
            return j + 1
        u[[j, p]] = u[[p, j]]
        u[j + 1:, j:] -= np.outer(u[j + 1:, j] / u[j, j], u[j, j:])
    return None


def solve(a, b):
    """np.linalg.solve with b always a batch of matrices (NumPy 2 treats 1-D b alone as a
    vector)."""
    return np.linalg.solve(a, b)


class Packed(Function):
    """A Function with several outputs: ``outputs`` returns them as arrays; ``apply`` hands
    back one array with each output flattened into the last dim, and ``unpack`` cuts it into
    Tensors. The backward ``grads`` then gets the outputs' gradients, None where an output's
    gradient is all zero (unused)."""

    def forward(self, x, *options):
        outs = self.outputs(x, *options)
        batch = x.shape[:-2]
        self.parts = [o.shape[len(batch):] for o in outs]
        return np.concatenate([o.reshape(batch + (-1,)) for o in outs], axis=-1)

    def backward(self, grad):
        batch = grad.shape[:-1]
        pieces, start = [], 0
        for part in self.parts:
            size = math.prod(part)
            g = grad[..., start:start + size].reshape(batch + part)
            pieces.append(g if np.any(g) else None)
            start += size
        return self.grads(*pieces)


def unpack(packed, batch, parts):
    """The outputs of a ``Packed`` op as Tensors of shapes ``batch + part``."""
    outs, start = [], 0
    for part in parts:
        size = math.prod(part)
        outs.append(packed[..., start:start + size].reshape(tuple(batch) + tuple(part)))
        start += size
    return outs
