"""``embedding_bag``: look up a bag of rows and reduce it in one step, without the (n, D) tensor
of looked-up rows in the graph.

Bag b holds ids input[offsets[b] : offsets[b + 1]] (or one row of a 2-D input). Its output is
    sum:  Σ_i s_i W[id_i]        (s_i = per_sample_weights, else 1)
    mean: Σ_i W[id_i] / n_b
    max:  max_i W[id_i]          (elementwise; the gradient goes to the row that won)
Ids equal to ``padding_idx`` are left out of their bag (and of its count); an empty bag gives
zeros. Backward scatters the bag's gradient back onto the rows it used:
dW[id_i] += s_i · dout[b] (sum), dout[b] / n_b (mean); d s_i = dout[b] · W[id_i].
"""

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.ops.embedding import _check_indices, _renorm_
from deepgrad.tensor import Tensor

__all__ = ["embedding_bag"]


class EmbeddingBagSum(Function):
    """Weighted sum per bag: out[bag_i] += coef_i · W[id_i] (mean and sum modes)."""

    def forward(self, weight, ids, bags, coef, num_bags, sample_weights):
        rows = weight[ids]
        scale = coef if sample_weights is None else coef * sample_weights
        out = np.zeros((num_bags, weight.shape[1]), dtype=weight.dtype)
        np.add.at(out, bags, rows * scale[:, None])
        self.ids, self.bags, self.coef, self.num = ids, bags, coef, weight.shape[0]
        self.sample_weights, self.scale = sample_weights, scale
        self.rows = rows if sample_weights is not None else None
        return out

    def backward(self, grad):
        per_row = grad[self.bags]
        grad_weight = grad_samples = None
        if self.needs_input_grad[0]:
            grad_weight = np.zeros((self.num, grad.shape[1]), dtype=grad.dtype)
            np.add.at(grad_weight, self.ids, per_row * self.scale[:, None])
        if self.sample_weights is not None and self.needs_input_grad[5]:
            grad_samples = np.zeros(self.sample_weights.shape, dtype=grad.dtype)
            grad_samples[:] = (per_row * self.rows).sum(axis=1) * self.coef
        return grad_weight, None, None, None, None, grad_samples


class EmbeddingBagMax(Function):
    """Elementwise max per bag; the gradient goes to the row holding each maximum."""

    def forward(self, weight, ids, bags, num_bags):
        dim = weight.shape[1]
        out = np.zeros((num_bags, dim), dtype=weight.dtype)
        winner = np.full((num_bags, dim), -1, dtype=np.int64)
        rows = weight[ids]
        for b in np.unique(bags):
            members = np.flatnonzero(bags == b)
            best = np.argmax(rows[members], axis=0)  # the first maximum, as PyTorch's loop
            winner[b] = ids[members[best]]
            out[b] = rows[members[best], np.arange(dim)]
        self.winner, self.num = winner, weight.shape[0]
        return out

    def backward(self, grad):
        grad_weight = np.zeros((self.num, grad.shape[1]), dtype=grad.dtype)
        used = self.winner >= 0
        columns = np.broadcast_to(np.arange(grad.shape[1]), grad.shape)
        np.add.at(grad_weight, (self.winner[used], columns[used]), grad[used])
        return grad_weight, None, None, None


def _array(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Sums, means or maxes of bags of embeddings: input (B, N) (B bags of N ids) or 1-D ids
    with ``offsets`` (B,) marking where each bag starts -> output (B, embedding_dim)."""
    op = "embedding_bag"
    if weight.ndim != 2:
        raise ValueError(f"{op}: weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{op}: mode has to be one of sum, mean or max, got {mode!r}")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError(f"{op}: scale_grad_by_freq and sparse gradients are not "
                                  f"supported")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx >= num or padding_idx < -num:
            raise AssertionError("padding_idx must be within the number of embeddings")
        padding_idx = padding_idx % num
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                f"on GitHub.")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"{op}: embedding_bag: If per_sample_weights "
                             f"({tuple(per_sample_weights.shape)}) is not None, then it must have "
                             f"the same shape as the input ({tuple(input.shape)})")
    ids = _array(input)
    if ids.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{op}: if input is 2D, then offsets has to be None, as input is "
                             f"treated is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type(offsets).__name__}")
        num_bags, length = ids.shape
        bags = np.repeat(np.arange(num_bags), length)
        ids = ids.reshape(-1)
    elif ids.ndim == 1:
        if offsets is None:
            raise ValueError(f"{op}: offsets has to be a 1D Tensor but got None")
        starts = _array(offsets).astype(np.int64)
        if starts.ndim != 1:
            raise ValueError(f"{op}: offsets has to be a 1D Tensor, got shape "
                             f"{tuple(starts.shape)}")
        if include_last_offset:
            num_bags = starts.size - 1
            ends = starts[1:]
            starts = starts[:-1]
        else:
            num_bags = starts.size
            ends = np.append(starts[1:], ids.size)
        if num_bags and (starts[0] != 0 or (np.diff(starts) < 0).any()
                         or ends[-1] > ids.size):
            raise RuntimeError(f"{op}: offsets {starts.tolist()} must start at 0, be "
                               f"non-decreasing and stay within the {ids.size} ids")
        bags = np.repeat(np.arange(num_bags), np.maximum(ends - starts, 0))
        used = ends[-1] if num_bags else 0
        ids = ids[:used]
    else:
        raise ValueError(f"{op}: input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{ids.ndim}")
    _check_indices(Tensor._from_op(ids, None), num, op)
    if max_norm is not None:
        _renorm_(weight, Tensor._from_op(ids, None), max_norm, norm_type)
    samples = None
    if per_sample_weights is not None:
        samples = per_sample_weights.reshape(-1)[:ids.size]
    keep = np.ones(ids.size, dtype=bool) if padding_idx is None else ids != padding_idx
    if not keep.all():
        ids, bags = ids[keep], bags[keep]
        if samples is not None:
            samples = samples[Tensor._from_op(np.flatnonzero(keep), None)]
    if mode == "max":
        return EmbeddingBagMax.apply(weight, ids, bags, num_bags)
    coef = np.ones(ids.size, dtype=weight.dtype)
    if mode == "mean":
        counts = np.bincount(bags, minlength=num_bags)
        coef = (1.0 / counts[bags]).astype(weight.dtype)
    return EmbeddingBagSum.apply(weight, ids, bags, coef, num_bags, samples)
