"""Embedding lookup: row ``i`` of the weight matrix is the vector of token ``i``.

Forward gathers rows, out[..., :] = W[idx[...], :]. Backward scatters the upstream gradient
back onto the rows that were used, summing repeats: dW[i] = Σ_{positions p with idx[p] = i}
dout[p]; the ``padding_idx`` row gets no gradient.
"""

import warnings

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import no_grad

__all__ = ["embedding", "one_hot"]


class Embedding(Function):
    def forward(self, weight, indices, padding_idx, scale_grad_by_freq=False):
        self.indices, self.num, self.padding_idx = indices, weight.shape[0], padding_idx
        self.scale_grad_by_freq = scale_grad_by_freq
        return weight[indices]

    def backward(self, grad):
        idx = self.indices.reshape(-1)
        g = grad.reshape(idx.size, -1)
        # sort the ids, then sum each run of equal ids with one reduceat (several times faster
        # than np.add.at's scatter)
        order = np.argsort(idx, kind="stable")
        ids = idx[order]
        starts = np.concatenate(([0], np.flatnonzero(ids[1:] != ids[:-1]) + 1)) if ids.size \
            else np.zeros(0, dtype=np.int64)
        dw = np.zeros((self.num, g.shape[1]), dtype=grad.dtype)
        if ids.size:
            sums = np.add.reduceat(g[order], starts, axis=0)
            if self.scale_grad_by_freq:  # each row's gradient over its count in the batch
                counts = np.diff(np.append(starts, ids.size))
                sums /= counts[:, None].astype(sums.dtype)
            dw[ids[starts]] = sums
        if self.padding_idx is not None:
            dw[self.padding_idx] = 0
        return dw, None, None, None


def _check_indices(input, num, op):
    data = input._data
    if data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected the indices to be an integer tensor (Long or Int), "
                           f"got {data.dtype} of shape {tuple(data.shape)}")
    if data.size:
        low, high = int(data.min()), int(data.max())
        if low < 0 or high >= num:
            bad = low if low < 0 else high
            raise IndexError(f"{op}: token id {bad} is out of range for a vocabulary of size "
                             f"{num} (valid ids 0..{num - 1}); input shape {tuple(data.shape)}")


def _renorm_(weight, input, max_norm, norm_type):
    """Rescale in place, outside the graph, the used rows whose norm exceeds ``max_norm``."""
    rows = np.unique(input._data)
    w = weight._data
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
    scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    with no_grad():
        w[rows] *= scale[:, None].astype(w.dtype)
        weight._bump_version()


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight`` (num_embeddings, embedding_dim) for integer ``input`` (*):
    output (*, embedding_dim). ``max_norm`` renormalises the used rows in place first."""
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                           f"shape {tuple(weight.shape)}")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx += num
        elif padding_idx >= num:
            raise AssertionError("Padding_idx must be within num_embeddings")
    if sparse:
        if scale_grad_by_freq:
            raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with "
                               "sparse gradients")
        _warn_dense_gradient()
    _check_indices(input, num, "embedding")
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    return Embedding.apply(weight, input._data, padding_idx, bool(scale_grad_by_freq))


_warned_sparse = False


def _warn_dense_gradient():
    """deepgrad has no sparse tensors: ``sparse=True`` gives the same gradient values, dense."""
    global _warned_sparse
    if not _warned_sparse:
        _warned_sparse = True
        warnings.warn("embedding: sparse=True gives a dense gradient in deepgrad (no sparse "
                      "tensors); its values are those of PyTorch's sparse gradient",
                      UserWarning, stacklevel=3)


def one_hot(tensor, num_classes=-1):
    """Integer class ids (*) -> int64 one-hot (*, num_classes)."""
    from deepgrad.tensor import Tensor

    data = tensor._data
    if data.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(data.max()) + 1 if data.size else 0
    if data.size and (data.min() < 0 or data.max() >= num_classes):
        raise RuntimeError(f"one_hot: Class values must be smaller than num_classes "
                           f"({num_classes}) and non-negative")
    out = np.zeros(data.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, data[..., None], 1, axis=-1)
    return Tensor._from_op(out, None)
