"""Attention modules: ``MultiheadAttention`` (PyTorch's), ``AdditiveAttention`` (Bahdanau) and
``PositionalEncoding`` (sinusoidal or learned; deepgrad's own — PyTorch has none)."""

import math

import numpy as np

from deepgrad.backend import dtypes
from deepgrad.backend.dtypes import to_dtype
from deepgrad.nn import init
from deepgrad.nn.module import Module
from deepgrad.nn.modules.linear import Linear, NonDynamicallyQuantizableLinear
from deepgrad.nn.parameter import Parameter
from deepgrad.ops.attention import multi_head_attention_forward
from deepgrad.tensor import Tensor, _check_device

__all__ = ["MultiheadAttention", "AdditiveAttention", "PositionalEncoding"]


def _param(shape, dtype):
    return Parameter(np.empty(shape, dtype=to_dtype(dtype) if dtype is not None
                                     else dtypes.default_float))


class MultiheadAttention(Module):
    r"""Multi-head attention (PyTorch's ``nn.MultiheadAttention``)::

        head_i = softmax(Q W_iᵠ (K W_iᴷ)ᵀ / √d + mask) V W_iⱽ,   d = embed_dim / num_heads
        out    = concat(head_1, …, head_h) W_o + b_o

    Args: embed_dim, num_heads, dropout=0 (on the attention weights), bias=True,
    add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False.

    Parameters (PyTorch's names): ``in_proj_weight`` (3E, E) and ``in_proj_bias`` (3E,) when
    kdim = vdim = E, otherwise ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``;
    ``out_proj.weight``, ``out_proj.bias``; ``bias_k``, ``bias_v`` with add_bias_kv.

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False): query (L, N, E) ((N, L, E) with batch_first,
    (L, E) unbatched); masks: bool True = may NOT attend, or float added to the scores;
    ``key_padding_mask`` (N, S), ``attn_mask`` (L, S) or (N·num_heads, L, S). Returns
    (output, weights averaged (N, L, S) / per head (N, h, L, S) / None).
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        _check_device(device)
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = _param((embed_dim, embed_dim), dtype)
            self.k_proj_weight = _param((embed_dim, self.kdim), dtype)
            self.v_proj_weight = _param((embed_dim, self.vdim), dtype)
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = _param((3 * embed_dim, embed_dim), dtype)
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = _param((3 * embed_dim,), dtype)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        dtype=dtype)
        if add_bias_kv:
            self.bias_k = _param((1, 1, embed_dim), dtype)
            self.bias_v = _param((1, 1, embed_dim), dtype)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        """PyTorch's: Xavier-uniform projections, zero biases."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        me = self._describe()
        if query.ndim not in (2, 3):
            raise RuntimeError(f"{me}: query should be unbatched 2D or batched 3D tensor but "
                               f"received {query.ndim}-D query tensor of shape "
                               f"{tuple(query.shape)}")
        batched = query.ndim == 3
        if key.ndim != query.ndim or value.ndim != query.ndim:
            raise RuntimeError(f"{me}: query {tuple(query.shape)}, key {tuple(key.shape)} and "
                               f"value {tuple(value.shape)} must all be 2-D or all be 3-D")
        for name, t, size in (("query", query, self.embed_dim), ("key", key, self.kdim),
                              ("value", value, self.vdim)):
            if t.shape[-1] != size:
                raise RuntimeError(f"{me}: expected {name}'s last dimension to be {size}, got "
                                   f"shape {tuple(t.shape)}")
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        if not self.batch_first or not batched:
            same = query is key and key is value
            query = query.transpose(0, 1)
            key = query if same else key.transpose(0, 1)
            value = query if same else value.transpose(0, 1)
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise RuntimeError(f"{me}: key {tuple(key.shape)} and value {tuple(value.shape)} "
                               f"must share batch and sequence sizes, and the batch of query "
                               f"{tuple(query.shape)}")
        out, weights = multi_head_attention_forward(
            query, key, value, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.out_proj.weight, self.out_proj.bias, self.dropout, self.training,
            key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal,
            self.q_proj_weight, self.k_proj_weight, self.v_proj_weight, self.bias_k,
            self.bias_v, self.add_zero_attn)
        if not batched:
            out = out.squeeze(0)
            if weights is not None:
                weights = weights.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        return out, weights


class AdditiveAttention(Module):
    r"""Additive (Bahdanau) attention — deepgrad's module; PyTorch has none.

    For a query q (e.g. the decoder state) and keys k_j (encoder states)::

        e_j = vᵀ tanh(W_q q + W_k k_j + b)      (alignment score)
        α   = softmax(e) over j                 (masked positions get α_j = 0)
        c   = Σ_j α_j v_j                        (context; values default to the keys)

    Args: query_size, key_size, hidden_size (size of the tanh layer), bias=True.
    Parameters: ``query_proj`` Linear(query_size, hidden, bias=False), ``key_proj``
    Linear(key_size, hidden, bias), ``score`` Linear(hidden, 1, bias=False).

    forward(query (N, Dq) or (N, L, Dq), keys (N, S, Dk), values=None (N, S, Dv),
    mask=None (N, S) bool, True = ignore that key) -> (context (N, [L,] Dv),
    weights (N, [L,] S)).
    """

    def __init__(self, query_size, key_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        _check_device(device)
        self.query_size, self.key_size, self.hidden_size = query_size, key_size, hidden_size
        self.query_proj = Linear(query_size, hidden_size, bias=False, dtype=dtype)
        self.key_proj = Linear(key_size, hidden_size, bias=bias, dtype=dtype)
        self.score = Linear(hidden_size, 1, bias=False, dtype=dtype)

    def forward(self, query, keys, values=None, mask=None):
        from deepgrad.ops.activation import tanh
        from deepgrad.ops.index import masked_fill
        from deepgrad.ops.linalg import matmul
        from deepgrad.ops.reduce import softmax

        me = self._describe()
        values = keys if values is None else values
        single = query.ndim == 2
        if query.ndim not in (2, 3) or keys.ndim != 3 or values.ndim != 3:
            raise RuntimeError(f"{me}: expected query (N, Dq) or (N, L, Dq), keys (N, S, Dk) and "
                               f"values (N, S, Dv); got {tuple(query.shape)}, "
                               f"{tuple(keys.shape)}, {tuple(values.shape)}")
        if keys.shape[:2] != values.shape[:2] or query.shape[0] != keys.shape[0]:
            raise RuntimeError(f"{me}: batch/sequence sizes differ: query {tuple(query.shape)}, "
                               f"keys {tuple(keys.shape)}, values {tuple(values.shape)}")
        q = query.unsqueeze(1) if single else query  # (N, L, Dq)
        hidden = self.query_proj(q).unsqueeze(2) + self.key_proj(keys).unsqueeze(1)
        scores = self.score(tanh(hidden)).squeeze(-1)  # (N, L, S)
        if mask is not None:
            if tuple(mask.shape) != (keys.shape[0], keys.shape[1]) or mask.dtype != np.bool_:
                raise RuntimeError(f"{me}: expected a bool mask of shape "
                                   f"{(keys.shape[0], keys.shape[1])}, got {mask.dtype} "
                                   f"{tuple(mask.shape)}")
            scores = masked_fill(scores, mask.unsqueeze(1), float("-inf"))
        weights = softmax(scores, dim=-1)
        context = matmul(weights, values)
        if single:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights


class PositionalEncoding(Module):
    r"""Adds position information to a sequence of embeddings — deepgrad's module (PyTorch
    has none; this is the transformer paper's encoding).

    ``kind='sinusoidal'`` (fixed, a buffer ``pe``)::

        PE[pos, 2i]   = sin(pos / 10000^(2i/d_model))
        PE[pos, 2i+1] = cos(pos / 10000^(2i/d_model))

    ``kind='learned'``: a Parameter ``weight`` (max_len, d_model) ~ N(0, 0.02²).
    forward(x): x + PE[:L], then dropout; x is (L, N, d_model), or (N, L, d_model) with
    batch_first=True.
    """

    def __init__(self, d_model, max_len=5000, dropout=0.0, kind="sinusoidal",
                 batch_first=False, dtype=None):
        super().__init__()
        from deepgrad.nn.modules.dropout import Dropout

        if kind not in ("sinusoidal", "learned"):
            raise ValueError(f"PositionalEncoding: kind must be 'sinusoidal' or 'learned', got "
                             f"{kind!r}")
        dt = to_dtype(dtype) if dtype is not None else dtypes.default_float
        self.d_model, self.max_len, self.kind, self.batch_first = d_model, max_len, kind, \
            batch_first
        self.dropout = Dropout(dropout)
        if kind == "sinusoidal":
            pos = np.arange(max_len, dtype=np.float64)[:, None]
            div = np.exp(np.arange(0, d_model, 2, dtype=np.float64) * (-math.log(10000.0)
                                                                         / d_model))
            pe = np.zeros((max_len, d_model))
            pe[:, 0::2] = np.sin(pos * div)
            pe[:, 1::2] = np.cos(pos * div)[:, :d_model // 2]
            self.register_buffer("pe", Tensor._from_op(pe.astype(dt), None))
        else:
            self.weight = Parameter(np.empty((max_len, d_model), dtype=dt))
            init.normal_(self.weight, std=0.02)

    def forward(self, x):
        L = x.shape[1] if self.batch_first else x.shape[0]
        if x.shape[-1] != self.d_model or L > self.max_len:
            raise RuntimeError(f"{self._describe()}: expected input (..., d_model={self.d_model})"
                               f" with at most max_len={self.max_len} positions, got shape "
                               f"{tuple(x.shape)}")
        table = self.pe if self.kind == "sinusoidal" else self.weight
        pe = table[:L]
        pe = pe.unsqueeze(0) if self.batch_first else pe.unsqueeze(1)
        return self.dropout(x + pe)

    def extra_repr(self):
        return f"{self.d_model}, max_len={self.max_len}, kind={self.kind!r}"
