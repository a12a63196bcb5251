"""Edge cases of the fused fast paths (LSTM gate math via exp, fused attention softmax,
layer norm, cross-entropy) against torch: saturated gates, float32, masks."""

import warnings

import numpy as np
import pytest
import torch
from seq_check import check, module_leaves, pair, twin

import deepgrad
import deepgrad.nn as nn

rng = np.random.default_rng(5)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lstm_saturated_gates_no_overflow(dtype):
    """Pre-activations of ±hundreds (exp overflows to inf) give σ = 0 or 1, tanh = ±1 as in
    torch, without NaN or overflow warnings."""
    dg, th = twin(nn.LSTM, torch.nn.LSTM, 3, 5, num_layers=2, bidirectional=True)
    with torch.no_grad():
        for p in th.parameters():
            p.mul_(1000)
    dg.load_state_dict({k: deepgrad.tensor(v.numpy().copy()) for k, v in th.state_dict().items()})
    if dtype == "float32":
        dg, th = dg.float(), th.float()
    x = rng.standard_normal((7, 2, 3)).astype(dtype)
    xd, xt = pair(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out_d, (h_d, c_d) = dg(xd)
        (out_d.sum() + c_d.sum()).backward()
    out_t, (h_t, c_t) = th(xt)
    (out_t.sum() + c_t.sum()).backward()
    tol = 1e-9 if dtype == "float64" else 2e-4
    out_d, c_d = out_d.detach().numpy(), c_d.detach().numpy()
    assert np.all(np.isfinite(out_d)) and np.all(np.isfinite(xd.grad.numpy()))
    np.testing.assert_allclose(out_d, out_t.detach().numpy(), atol=tol)
    np.testing.assert_allclose(c_d, c_t.detach().numpy(), atol=tol * 1000)
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), atol=tol * 1000)


def test_lstm_float32_matches_torch():
    dg, th = twin(nn.LSTM, torch.nn.LSTM, 6, 9, batch_first=True)
    dg, th = dg.float(), th.float()
    xd, xt = pair(rng.standard_normal((4, 11, 6)).astype(np.float32))
    hd, ht = pair(rng.standard_normal((1, 4, 9)).astype(np.float32))
    cd, ct = pair(rng.standard_normal((1, 4, 9)).astype(np.float32))
    out_d, _ = dg(xd, (hd, cd))
    assert out_d.dtype == np.float32
    check(dg(xd, (hd, cd)), th(xt, (ht, ct)),
          *module_leaves(dg, th, (xd, xt), (hd, ht), (cd, ct)), atol=2e-5, rtol=1e-4)



@pytest.mark.parametrize("need_weights", [True, False])
def test_self_attention_split_projection_with_masks(need_weights):
    """Self-attention (query is key is value) projects with the in_proj weight's thirds."""
    dg, th = twin(nn.MultiheadAttention, torch.nn.MultiheadAttention, 8, 2, batch_first=True)
    xd, xt = pair(rng.standard_normal((3, 5, 8)))
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)
    pad = np.zeros((3, 5), dtype=bool)
    pad[1, 3:] = True
    kw_d = dict(attn_mask=deepgrad.tensor(causal), key_padding_mask=deepgrad.tensor(pad),
                need_weights=need_weights)
    kw_t = dict(attn_mask=torch.tensor(causal), key_padding_mask=torch.tensor(pad),
                need_weights=need_weights)
    out_d, w_d = dg(xd, xd, xd, **kw_d)
    out_t, w_t = th(xt, xt, xt, **kw_t)
    assert (w_d is None) == (w_t is None)
    outs_d = [out_d] if w_d is None else [out_d, w_d]
    outs_t = [out_t] if w_t is None else [out_t, w_t]
    check(outs_d, outs_t, *module_leaves(dg, th, (xd, xt)))


@pytest.mark.parametrize("affine", ["both", "weight", "bias", "none"])
def test_layer_norm_fast_path(affine):
    x = rng.standard_normal((4, 3, 5, 6)).transpose(0, 2, 1, 3)  # not contiguous
    xd, xt = pair(x)
    wd, wt = pair(rng.standard_normal((3, 6)))
    bd, bt = pair(rng.standard_normal((3, 6)))
    w = (wd, wt) if affine in ("both", "weight") else (None, None)
    b = (bd, bt) if affine in ("both", "bias") else (None, None)
    out_d = deepgrad.nn.functional.layer_norm(xd, (3, 6), w[0], b[0], eps=1e-3)
    out_t = torch.nn.functional.layer_norm(xt, (3, 6), w[1], b[1], eps=1e-3)
    leaves_d = [xd] + [t for t in (w[0], b[0]) if t is not None]
    leaves_t = [xt] + [t for t in (w[1], b[1]) if t is not None]
    check(out_d, out_t, leaves_d, leaves_t)


def test_layer_norm_float32_and_retain_graph():
    """The pooled x̂ survives a second backward with retain_graph=True."""
    x = rng.standard_normal((7, 16)).astype(np.float32)
    xd, xt = pair(x)
    out_d = deepgrad.nn.functional.layer_norm(xd, (16,))
    out_t = torch.nn.functional.layer_norm(xt, (16,))
    assert out_d.dtype == np.float32
    g = rng.standard_normal((7, 16)).astype(np.float32)
    out_d.backward(deepgrad.tensor(g), retain_graph=True)
    out_d.backward(deepgrad.tensor(g))
    out_t.backward(torch.tensor(g), retain_graph=True)
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(out_d.detach().numpy(), out_t.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), atol=1e-4)


def test_dropout_keep_mask_rate_and_seed():
    from deepgrad.ops.dropout import keep_mask

    for p in (0.1, 0.5, 0.9):
        assert abs((1 - keep_mask((400, 500), p).mean()) - p) < 5e-3
    deepgrad.manual_seed(3)
    a = keep_mask((5, 7), 0.3)
    deepgrad.manual_seed(3)
    assert np.array_equal(a, keep_mask((5, 7), 0.3))
    assert keep_mask((0, 3), 0.5).shape == (0, 3) and keep_mask((3,), 1e-12).all()
