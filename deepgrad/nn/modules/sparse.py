"""``Embedding``: a lookup table of learned vectors, one row per token id; ``EmbeddingBag``:
the sum, mean or max of a bag of them."""

import numpy as np

from deepgrad.nn import init
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter, factory_dtype
from deepgrad.ops.embedding import embedding
from deepgrad.ops.embedding_bag import embedding_bag
from deepgrad.tensor import Tensor, _check_device

__all__ = ["Embedding", "EmbeddingBag"]


class Embedding(Module):
    """Maps token ids (*) to vectors (*, embedding_dim): out[p] = weight[input[p]].

    Args:
        num_embeddings: vocabulary size; embedding_dim: size of each vector.
        padding_idx: this row gets no gradient (and is initialised to zeros), so it stays a
            fixed "padding" vector.
        max_norm: rows used by a forward call whose ``norm_type``-norm exceeds ``max_norm`` are
            rescaled in place to norm ``max_norm`` (as PyTorch, this modifies ``weight``).
        _weight / _freeze: used by ``from_pretrained``.

    ``weight`` (num_embeddings, embedding_dim) ~ N(0, 1), PyTorch's initialisation.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        _check_device(device)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None:
            if padding_idx > 0:
                assert padding_idx < num_embeddings, "Padding_idx must be within num_embeddings"
            elif padding_idx < 0:
                assert padding_idx >= -num_embeddings, \
                    "Padding_idx must be within num_embeddings"
                padding_idx = num_embeddings + padding_idx
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dt = factory_dtype(dtype)
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dt),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: shape of weight {tuple(_weight.shape)} does not "
                                 f"match num_embeddings and embedding_dim "
                                 f"({num_embeddings}, {embedding_dim})")
            data = _weight._data if isinstance(_weight, Tensor) else np.asarray(_weight)
            self.weight = Parameter(data, requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self):
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, input):
        try:
            return embedding(input, self.weight, self.padding_idx, self.max_norm,
                             self.norm_type, self.scale_grad_by_freq, self.sparse)
        except IndexError as error:
            raise IndexError(f"{self._describe()}: {error}") from None

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding holding ``embeddings`` (2-D); frozen (no gradient) unless freeze=False."""
        if embeddings.ndim != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        data = embeddings._data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        return cls(rows, cols, _weight=Tensor._from_op(data.copy(), None), _freeze=freeze,
                   padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


class EmbeddingBag(Module):
    """Sums, means or maxes of bags of embeddings, without the per-token vectors in between.

    ``forward(input, offsets=None, per_sample_weights=None)``: input (B, N) is B bags of N ids;
    or 1-D ids with ``offsets`` (B,) where each bag starts (``include_last_offset``: B + 1
    offsets, the last the end). Output (B, embedding_dim). ``padding_idx`` ids are skipped
    (and that row is initialised to zeros); ``per_sample_weights`` (mode='sum') scale each id.
    """

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, mode="mean", sparse=False, _weight=None,
                 include_last_offset=False, padding_idx=None, device=None, dtype=None):
        super().__init__()
        _check_device(device)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if padding_idx is not None:
            if padding_idx > 0:
                assert padding_idx < num_embeddings, "padding_idx must be within num_embeddings"
            elif padding_idx < 0:
                assert padding_idx >= -num_embeddings, \
                    "padding_idx must be within num_embeddings"
                padding_idx = num_embeddings + padding_idx
        self.padding_idx = padding_idx
        if _weight is None:
            dt = factory_dtype(dtype)
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dt))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"EmbeddingBag: shape of weight {tuple(_weight.shape)} does not "
                                 f"match num_embeddings and embedding_dim "
                                 f"({num_embeddings}, {embedding_dim})")
            data = _weight._data if isinstance(_weight, Tensor) else np.asarray(_weight)
            self.weight = Parameter(data)
        self.mode, self.include_last_offset = mode, include_last_offset

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, input, offsets=None, per_sample_weights=None):
        try:
            return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                                 self.scale_grad_by_freq, self.mode, self.sparse,
                                 per_sample_weights, self.include_last_offset, self.padding_idx)
        except (IndexError, ValueError, RuntimeError) as error:
            raise type(error)(f"{self._describe()}: {error}") from None

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, mode="mean", sparse=False,
                        include_last_offset=False, padding_idx=None):
        """An EmbeddingBag holding ``embeddings`` (2-D); frozen unless freeze=False."""
        if embeddings.ndim != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        data = embeddings._data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        bag = cls(rows, cols, _weight=Tensor._from_op(data.copy(), None), max_norm=max_norm,
                  norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, mode=mode,
                  sparse=sparse, include_last_offset=include_last_offset,
                  padding_idx=padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
