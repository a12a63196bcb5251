"""scaled_dot_product_attention, MultiheadAttention, AdditiveAttention, PositionalEncoding."""

import math

import numpy as np
import pytest
import torch
from helpers import compare
from seq_check import check, module_leaves, pair, twin

import deepgrad
import deepgrad.nn as nn
import deepgrad.nn.functional as F

rng = np.random.default_rng(0)


def test_sdpa_plain_scale_and_batch_broadcast():
    compare(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v),
            [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)])
    compare(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v,
                                                                                scale=0.3),
            [(4, 5), (6, 5), (6, 2)])


def test_sdpa_masks():
    bool_mask = rng.random((4, 6)) > 0.3
    bool_mask[:, 0] = True
    compare(lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=m), [(2, 4, 5), (2, 6, 5), (2, 6, 3), bool_mask])
    compare(lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=m), [(2, 4, 5), (2, 6, 5), (2, 6, 3), (2, 4, 6)])  # float, with grad
    compare(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, is_causal=True), [(2, 5, 4), (2, 5, 4), (2, 5, 3)])


def test_sdpa_dropout_statistics_and_eval_identity():
    q = deepgrad.randn(1, 64, 8)
    out = F.scaled_dot_product_attention(q, q, deepgrad.ones(1, 64, 1), dropout_p=0.5)
    # rows of P sum to 1; after inverted dropout their mean is still ~1
    assert abs(out.numpy().mean() - 1) < 0.15


def test_sdpa_errors():
    q = deepgrad.randn(2, 4, 5)
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(3, 3\)"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=deepgrad.ones(3, 3).bool())
    with pytest.raises(RuntimeError, match="is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=deepgrad.ones(4, 4).bool(),
                                       is_causal=True)
    with pytest.raises(RuntimeError, match="bool or floating"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=deepgrad.ones(4, 4).long())
    with pytest.raises(RuntimeError, match=r"key \(2, 4, 6\)"):
        F.scaled_dot_product_attention(q, deepgrad.randn(2, 4, 6), q)


@pytest.mark.parametrize("kwargs", [dict(), dict(batch_first=True), dict(bias=False),
                                    dict(kdim=3, vdim=5), dict(add_bias_kv=True),
                                    dict(add_zero_attn=True)])
@pytest.mark.parametrize("weights", ["avg", "heads", "none"])
def test_mha_matches_torch(kwargs, weights):
    dg, th = twin(nn.MultiheadAttention, torch.nn.MultiheadAttention, 8, 2, **kwargs)
    N, L, S = 3, 4, 5
    bf = kwargs.get("batch_first")
    kdim, vdim = kwargs.get("kdim", 8), kwargs.get("vdim", 8)
    shape = (lambda n, l, e: (n, l, e)) if bf else (lambda n, l, e: (l, n, e))
    q, k, v = (pair(rng.standard_normal(s)) for s in (shape(N, L, 8), shape(N, S, kdim),
                                                      shape(N, S, vdim)))
    kpm = rng.random((N, S)) > 0.7
    kpm[:, 0] = False
    am = rng.standard_normal((L, S))
    opts = dict(need_weights=weights != "none", average_attn_weights=weights == "avg")
    out_d = dg(q[0], k[0], v[0], key_padding_mask=deepgrad.tensor(kpm),
               attn_mask=deepgrad.tensor(am), **opts)
    out_t = th(q[1], k[1], v[1], key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(am),
               **opts)
    if weights == "none":
        assert out_d[1] is None
        out_d, out_t = out_d[0], out_t[0]
    check(out_d, out_t, *module_leaves(dg, th, q, k, v))


def test_mha_self_attention_bool_masks_3d_and_unbatched():
    dg, th = twin(nn.MultiheadAttention, torch.nn.MultiheadAttention, 6, 3)
    x = pair(rng.standard_normal((5, 2, 6)))
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)
    check(dg(x[0], x[0], x[0], attn_mask=deepgrad.tensor(causal)),
          th(x[1], x[1], x[1], attn_mask=torch.tensor(causal)), *module_leaves(dg, th, x))
    m3 = rng.random((2 * 3, 5, 5)) > 0.6
    m3[..., 0] = False
    u = pair(rng.standard_normal((5, 6)))
    check(dg(x[0], x[0], x[0], attn_mask=deepgrad.tensor(m3))[0],
          th(x[1], x[1], x[1], attn_mask=torch.tensor(m3))[0], [], [])
    check(dg(u[0], u[0], u[0]), th(u[1], u[1], u[1]), [u[0]], [u[1]])


def test_mha_parameter_names_and_errors():
    assert list(nn.MultiheadAttention(8, 2).state_dict()) == list(
        torch.nn.MultiheadAttention(8, 2).state_dict())
    assert list(nn.MultiheadAttention(8, 2, kdim=3, vdim=4).state_dict()) == list(
        torch.nn.MultiheadAttention(8, 2, kdim=3, vdim=4).state_dict())
    m = nn.MultiheadAttention(8, 2)
    x = deepgrad.randn(4, 3, 8)
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(3, 3\), but should be \(4, 4\)"):
        m(x, x, x, attn_mask=deepgrad.zeros(3, 3))
    with pytest.raises(RuntimeError, match=r"key_padding_mask of shape \(3, 4\)"):
        m(x, x, x, key_padding_mask=deepgrad.zeros(4, 3).bool())
    with pytest.raises(RuntimeError, match="bool and floating"):
        m(x, x, x, attn_mask=deepgrad.zeros(4, 4).long())
    with pytest.raises(RuntimeError, match=r"query's last dimension to be 8"):
        m(deepgrad.randn(4, 3, 7), x, x)
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(8, 3)


def _additive_reference(params, q, keys, mask):
    Wq, Wk, bk, v = params
    e = np.tanh(q @ Wq.T[None, :, :] if q.ndim == 3 else q @ Wq.T)
    hidden = np.tanh((q @ Wq.T)[:, None, :] + keys @ Wk.T + bk)
    e = hidden @ v.T
    e = e[..., 0]
    e = np.where(mask, -np.inf, e)
    a = np.exp(e - e.max(axis=1, keepdims=True))
    a /= a.sum(axis=1, keepdims=True)
    return (a[:, :, None] * keys).sum(axis=1), a


def test_additive_attention_numpy_reference_and_gradcheck():
    m = nn.AdditiveAttention(3, 4, 5).double()
    q = deepgrad.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    keys = deepgrad.tensor(rng.standard_normal((2, 6, 4)), requires_grad=True)
    mask = np.zeros((2, 6), dtype=bool)
    mask[1, 4:] = True
    ctx, w = m(q, keys, mask=deepgrad.tensor(mask))
    params = [p.detach().numpy() for p in (m.query_proj.weight, m.key_proj.weight,
                                           m.key_proj.bias, m.score.weight)]
    ref_ctx, ref_w = _additive_reference(params, q.detach().numpy(), keys.detach().numpy(), mask)
    np.testing.assert_allclose(ctx.detach().numpy(), ref_ctx, atol=1e-12)
    np.testing.assert_allclose(w.detach().numpy(), ref_w, atol=1e-12)
    assert not np.any(w.detach().numpy()[1, 4:])
    from deepgrad.autograd import gradcheck

    assert gradcheck(lambda a, b: m(a, b, mask=deepgrad.tensor(mask))[0], (q, keys))
    ctx3, w3 = m(deepgrad.tensor(rng.standard_normal((2, 5, 3))), keys)
    assert ctx3.shape == (2, 5, 4) and w3.shape == (2, 5, 6)


def test_positional_encoding():
    pe = nn.PositionalEncoding(6, max_len=10)
    table = pe.pe.numpy()
    assert table[3, 4] == pytest.approx(math.sin(3 / 10000 ** (4 / 6)), abs=1e-6)
    assert table[3, 5] == pytest.approx(math.cos(3 / 10000 ** (4 / 6)), abs=1e-6)
    x = deepgrad.zeros(4, 2, 6)
    np.testing.assert_allclose(pe(x).numpy()[:, 1], table[:4])
    learned = nn.PositionalEncoding(6, max_len=10, kind="learned", batch_first=True)
    y = learned(deepgrad.zeros(2, 4, 6, requires_grad=True))
    y.sum().backward()
    assert learned.weight.grad.numpy()[:4].sum() == pytest.approx(2 * 4 * 6)
    assert not learned.weight.grad.numpy()[4:].any()
    with pytest.raises(RuntimeError, match="max_len=10"):
        pe(deepgrad.zeros(11, 1, 6))
