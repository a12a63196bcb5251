"""Affine maps beyond ``linear``: the bilinear form and maxout, composed from existing ops.

* bilinear: y_k = x1ᵀ A_k x2 + b_k (one matrix A_k per output feature);
* maxout (Goodfellow et al., 2013): h_j = max_i (W_ij · x + b_ij) over k affine pieces, a
  learned piecewise-linear convex activation.
"""

from deepgrad.ops.linalg import linear, matmul
from deepgrad.ops.reduce import amax

__all__ = ["bilinear", "maxout"]


def bilinear(input1, input2, weight, bias=None):
    """y = x1ᵀ A x2 + b for ``weight`` A of shape (out, in1, in2); inputs (*, in1), (*, in2)."""
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear: weight must be 3-D (out_features, in1_features, "
                           f"in2_features), got shape {tuple(weight.shape)}")
    out, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2 or input1.shape[:-1] != \
            input2.shape[:-1]:
        raise RuntimeError(f"bilinear: inputs of shape {tuple(input1.shape)} and "
                           f"{tuple(input2.shape)} don't fit weight of shape "
                           f"{tuple(weight.shape)} (expected (*, {in1}) and (*, {in2}) with the "
                           f"same leading dimensions)")
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # (M, in1) @ (in1, out·in2) -> (M, out, in2), then contract with x2 over in2
    left = matmul(x1, weight.permute(1, 0, 2).reshape(in1, out * in2)).reshape(-1, out, in2)
    y = matmul(left, x2.unsqueeze(-1)).squeeze(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out)


def maxout(input, weight, bias, pool_size):
    """h = max over ``pool_size`` pieces of the affine map x Wᵀ + b.

    ``weight`` is (out_features · pool_size, in_features); output feature j takes the max of
    pieces j·pool_size ... j·pool_size + pool_size − 1.
    """
    pieces = linear(input, weight, bias)
    out_features = weight.shape[0] // pool_size
    grouped = pieces.reshape(*pieces.shape[:-1], out_features, pool_size)
    return amax(grouped, -1)
