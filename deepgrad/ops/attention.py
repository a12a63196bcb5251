"""Attention: ``scaled_dot_product_attention`` as one fused op, and multi-head attention.

    scores = Q Kᵀ · scale + mask          (scale = 1/√d by default)
    P      = softmax(scores) over keys     (rows: queries)
    P̃      = dropout(P)                    (training only)
    out    = P̃ V

Backward (one node): dV = P̃ᵀ dOut, dP̃ = dOut Vᵀ, dP = dP̃ ⊙ m/(1−p),
dScores = P ⊙ (dP − Σ_j dP ⊙ P), dQ = dScores K · scale, dK = dScoresᵀ Q · scale.
"""

import math

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.ops._util import unbroadcast
from deepgrad.ops.dropout import keep_mask
from deepgrad.ops.recurrent import _pack, _split
from deepgrad.tensor import Tensor

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


class ScaledDotProductAttention(Function):
    def forward(self, q, k, v, mask, scale, dropout_p, generator, with_weights):
        scores = np.matmul(q, np.swapaxes(k, -1, -2))
        scores *= scale
        if mask is not None:
            scores = scores + mask
        with np.errstate(invalid="ignore"):  # a fully masked row gives NaN, as in PyTorch
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
        P = scores
        self.drop = None
        Pd = P
        if dropout_p > 0:
            keep = keep_mask(P.shape, dropout_p, generator)
            self.drop = np.multiply(keep, P.dtype.type(1 / (1 - dropout_p)), dtype=P.dtype)
            Pd = P * self.drop
        out = np.matmul(Pd, v)
        self.q, self.k, self.v, self.P, self.Pd, self.scale = q, k, v, P, Pd, scale
        self.mask_shape = None if mask is None else mask.shape
        self.out_shape, self.with_weights = out.shape, with_weights
        if with_weights:
            return _pack([out, Pd])
        return out

    def backward(self, grad):
        q, k, v, P, Pd, scale = self.q, self.k, self.v, self.P, self.Pd, self.scale
        d_weights = None
        if self.with_weights:
            n = int(np.prod(self.out_shape))
            d_weights = grad[n:].reshape(Pd.shape)
            grad = grad[:n].reshape(self.out_shape)
        dv = None
        if self.needs_input_grad[2]:
            dv = unbroadcast(np.matmul(np.swapaxes(Pd, -1, -2), grad), v.shape)
        dP = np.matmul(grad, np.swapaxes(v, -1, -2))
        if d_weights is not None:
            dP += d_weights
        if self.drop is not None:
            dP *= self.drop
        dS = dP
        dS -= (dP * P).sum(axis=-1, keepdims=True)
        dS *= P
        dq = dk = dmask = None
        if self.needs_input_grad[3]:
            dmask = unbroadcast(dS, self.mask_shape).copy()
        dS *= scale
        if self.needs_input_grad[0]:
            dq = unbroadcast(np.matmul(dS, k), q.shape)
        if self.needs_input_grad[1]:
            dk = unbroadcast(np.matmul(np.swapaxes(dS, -1, -2), q), k.shape)
        return dq, dk, dv, dmask, None, None, None, None


def _float_mask(mask, dtype, op, target_shape):
    """A bool mask (True = take part) or a float mask (added) as an additive float mask."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        mask = Tensor(np.asarray(mask))
    try:
        np.broadcast_shapes(mask.shape, target_shape)
    except ValueError:
        raise RuntimeError(f"{op}: attn_mask of shape {tuple(mask.shape)} can't be broadcast to "
                           f"the attention scores' shape {tuple(target_shape)}") from None
    if mask.dtype == np.bool_:
        return Tensor._from_op(np.where(mask._data, 0, -np.inf).astype(dtype), None)
    if mask.dtype.kind != "f":
        raise RuntimeError(f"{op}: attn_mask must be bool or floating point, got {mask.dtype}")
    if mask.dtype != dtype:
        raise RuntimeError(f"{op}: expected attn_mask dtype to be bool or to match query dtype "
                           f"{dtype}, got {mask.dtype}")
    return mask


def _attention(q, k, v, mask, scale, dropout_p, with_weights):
    if with_weights:
        out_shape = np.broadcast_shapes(q.shape[:-2], v.shape[:-2]) + (q.shape[-2], v.shape[-1])
        w_shape = np.broadcast_shapes(q.shape[:-2], k.shape[:-2]) + (q.shape[-2], k.shape[-2])
        flat = ScaledDotProductAttention.apply(q, k, v, mask, scale, dropout_p, None, True)
        return _split(flat, [out_shape, w_shape])
    return ScaledDotProductAttention.apply(q, k, v, mask, scale, dropout_p, None, False)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q Kᵀ · scale + mask) V over the last two dims of (..., L, E), (..., S, E),
    (..., S, Ev). ``attn_mask`` bool (True = may attend) or float (added to the scores),
    broadcastable to (..., L, S); ``is_causal`` masks future keys; ``dropout_p`` drops
    attention weights (applied whenever > 0, as PyTorch)."""
    op = "scaled_dot_product_attention"
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError(f"{op}: query, key and value need at least 2 dimensions, got shapes "
                           f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"{op}: query {tuple(query.shape)}, key {tuple(key.shape)} and value "
                           f"{tuple(value.shape)} don't fit: need query.size(-1) == "
                           f"key.size(-1) and key.size(-2) == value.size(-2)")
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(f"{op}: Expected query, key, and value to have the same dtype, but "
                           f"got {query.dtype}, {key.dtype} and {value.dtype}")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        groups = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(groups, dim=-3)
        value = value.repeat_interleave(groups, dim=-3)
    L, S = query.shape[-2], key.shape[-2]
    scores_shape = np.broadcast_shapes(query.shape[:-2], key.shape[:-2]) + (L, S)
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(f"{op}: Explicit attn_mask should not be set when is_causal=True")
        attn_mask = Tensor._from_op(np.tril(np.ones((L, S), dtype=bool)), None)
    mask = _float_mask(attn_mask, query.dtype, op, scores_shape)
    if not 0 <= dropout_p < 1:
        raise ValueError(f"{op}: dropout_p must be in [0, 1), got {dropout_p}")
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    return _attention(query, key, value, mask, scale, float(dropout_p), False)


def _mha_mask(attn_mask, key_padding_mask, N, heads, L, S, dtype, op):
    """MultiheadAttention's masks (bool True = may NOT attend, or float added) as one additive
    float mask of shape broadcastable to (N, heads, L, S)."""
    total = None
    if attn_mask is not None:
        shape = tuple(attn_mask.shape)
        if attn_mask.ndim == 2:
            if shape != (L, S):
                raise RuntimeError(f"{op}: The shape of the 2D attn_mask is {shape}, but should "
                                   f"be {(L, S)}.")
            m = attn_mask
        elif attn_mask.ndim == 3:
            if shape != (N * heads, L, S):
                raise RuntimeError(f"{op}: The shape of the 3D attn_mask is {shape}, but should "
                                   f"be {(N * heads, L, S)}.")
            m = attn_mask.reshape(N, heads, L, S)
        else:
            raise RuntimeError(f"{op}: attn_mask's dimension {attn_mask.ndim} is not supported "
                               f"(expected 2-D (L, S) or 3-D (N·num_heads, L, S))")
        total = _additive(m, dtype, op, "attn_mask")
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (N, S):
            raise RuntimeError(f"{op}: expected key_padding_mask of shape {(N, S)}, got "
                               f"{tuple(key_padding_mask.shape)}")
        kpm = _additive(key_padding_mask, dtype, op, "key_padding_mask").reshape(N, 1, 1, S)
        total = kpm if total is None else total + kpm
    return total


def _additive(mask, dtype, op, name):
    if mask.dtype == np.bool_:
        return Tensor._from_op(np.where(mask._data, -np.inf, 0).astype(dtype), None)
    if mask.dtype.kind != "f":
        raise RuntimeError(f"{op}: only bool and floating types of {name} are supported, got "
                           f"{mask.dtype}")
    return mask.to(dtype)


def multi_head_attention_forward(query, key, value, num_heads, in_proj_weight, in_proj_bias,
                                 out_proj_weight, out_proj_bias, dropout_p=0.0, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 average_attn_weights=True, is_causal=False,
                                 q_proj_weight=None, k_proj_weight=None, v_proj_weight=None,
                                 bias_k=None, bias_v=None, add_zero_attn=False):
    """Multi-head attention on batch-first inputs (N, L, E), (N, S, kdim), (N, S, vdim).

    head_i = softmax(Q_i K_iᵀ/√d + mask) V_i with Q_i, K_i, V_i the i-th slices of the
    projections Q = q W_qᵀ + b_q (likewise K, V); out = concat(head_1..head_h) W_oᵀ + b_o.
    Returns (out (N, L, E), weights (N, L, S) averaged over heads, (N, h, L, S), or None).
    """
    from deepgrad.ops.linalg import linear
    from deepgrad.ops.shape import cat, pad

    op = "MultiheadAttention"
    N, L, E = query.shape
    S = key.shape[1]
    head_dim = E // num_heads
    if in_proj_weight is not None:
        # three products with the weight's thirds even for self-attention: one product with
        # the whole weight then a split of its (N, L, 3E) output costs a full-size zero array
        # per part in backward
        b = [None] * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        w = in_proj_weight.chunk(3)
        q, k, v = (linear(x, w[i], b[i]) for i, x in enumerate((query, key, value)))
    else:
        b = [None] * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        q = linear(query, q_proj_weight, b[0])
        k = linear(key, k_proj_weight, b[1])
        v = linear(value, v_proj_weight, b[2])
    if bias_k is not None:
        k = cat([k, bias_k.reshape(1, 1, E).expand(N, 1, E)], dim=1)
        v = cat([v, bias_v.reshape(1, 1, E).expand(N, 1, E)], dim=1)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
        S += 1
    q = q.reshape(N, L, num_heads, head_dim).transpose(1, 2)
    k = k.reshape(N, S, num_heads, head_dim).transpose(1, 2)
    v = v.reshape(N, S, num_heads, head_dim).transpose(1, 2)
    if add_zero_attn:
        k = pad(k, [0, 0, 0, 1])
        v = pad(v, [0, 0, 0, 1])
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
        S += 1
    if is_causal and attn_mask is None:
        raise RuntimeError(f"{op}: Need attn_mask if specifying the is_causal hint.")
    mask = _mha_mask(attn_mask, key_padding_mask, N, num_heads, L, S, query.dtype, op)
    p = dropout_p if training else 0.0
    scale = 1 / math.sqrt(head_dim)
    weights = None
    if need_weights:
        out, weights = _attention(q, k, v, mask, scale, p, True)
        if average_attn_weights:
            weights = weights.mean(dim=1)
    else:
        out = _attention(q, k, v, mask, scale, p, False)
    out = out.transpose(1, 2).reshape(N, L, E)
    return linear(out, out_proj_weight, out_proj_bias), weights


def _pad_last(mask):
    from deepgrad.ops.shape import pad

    if mask is None:
        return None
    if mask.dtype == np.bool_:
        return Tensor._from_op(np.pad(mask._data, [(0, 0)] * (mask.ndim - 1) + [(0, 1)]), None)
    return pad(mask, [0, 1])
