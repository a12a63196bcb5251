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

