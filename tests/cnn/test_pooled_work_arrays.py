"""Ops that keep work arrays in the shared pool (conv, pool, batch norm, LSTM, layer norm) give
torch's results when graphs are kept alive, interleaved and backpropagated twice, and never hand a
pooled array to the caller (no-grad outputs survive later calls). Outputs and gradients come
from the recycling ``OUTPUTS`` pool, which must never hand out memory that an array still uses:
every test here runs with it as shipped and with it recycling arrays of any size."""

import numpy as np
import pytest
import torch

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad import nn
from deepgrad.ops._buffers import OUTPUTS, OutputPool


@pytest.fixture(autouse=True, params=["default", "recycle-all"])
def _recycling(request, monkeypatch):
    if request.param == "recycle-all":
        monkeypatch.setattr(OUTPUTS, "min_bytes", 0)


def _copy_params(src, dst):
    for name, p in src.named_parameters():
        dst.get_parameter(name).data = torch.tensor(p.detach().numpy().copy())


def test_no_grad_outputs_survive_later_calls():
    rng = np.random.default_rng(0)
    w = dg.tensor(rng.standard_normal((4, 3, 3, 3)))
    lstm = nn.LSTM(3, 5, batch_first=True).double()
    with dg.no_grad():
        x1, x2 = (dg.tensor(rng.standard_normal((2, 3, 8, 8))) for _ in range(2))
        y1 = F.conv2d(x1, w, padding=1)
        p1 = F.max_pool2d(y1, 2)
        h1 = lstm(x1[:, :, 0].transpose(1, 2))[0]
        saved = [t.numpy().copy() for t in (y1, p1, h1)]
        F.max_pool2d(F.conv2d(x2, w, padding=1), 2)
        lstm(x2[:, :, 0].transpose(1, 2))
    for t, before in zip((y1, p1, h1), saved):
        np.testing.assert_array_equal(t.numpy(), before)


def test_interleaved_graphs_and_retain_graph_match_torch():
    rng = np.random.default_rng(1)
    w, xs = rng.standard_normal((4, 3, 3, 3)), [rng.standard_normal((2, 3, 8, 8)) for _ in "ab"]
    bn, tbn = nn.BatchNorm2d(4).double(), torch.nn.BatchNorm2d(4).double()
    lstm, tlstm = nn.LSTM(8, 6, batch_first=True).double(), torch.nn.LSTM(8, 6, batch_first=True)
    tlstm = tlstm.double()
    _copy_params(lstm, tlstm)
    ln, tln = nn.LayerNorm(6).double(), torch.nn.LayerNorm(6).double()

    def losses(lib, F_, norm, rnn, layer_norm, inputs, weight):
        out = []
        for i, x in enumerate(inputs):
            y = F_.max_pool2d(norm(F_.conv2d(x, weight, padding=1, stride=1 + i)).relu(), 2)
            seq = y.sum(1)  # (N, H', W'): rows as time steps of width W'
            if seq.shape[-1] != 8:
                seq = F_.pad(seq, (0, 8 - seq.shape[-1]))
            out.append((layer_norm(rnn(seq)[0]) ** 2).sum())
        return out

    d_in = [dg.tensor(x, requires_grad=True) for x in xs]
    t_in = [torch.tensor(x, requires_grad=True) for x in xs]
    d_w, t_w = dg.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    for loss_set in (losses(dg, F, bn, lstm, ln, d_in, d_w),
                     losses(torch, torch.nn.functional, tbn, tlstm, tln, t_in, t_w)):
        loss_set[1].backward(retain_graph=True)
        loss_set[0].backward()
        loss_set[1].backward()
    for d, t in zip(d_in + [d_w], t_in + [t_w]):
        np.testing.assert_allclose(d.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(lstm.weight_hh_l0.grad.numpy(), tlstm.weight_hh_l0.grad.numpy(),
                               rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("holder", ["array", "transpose", "slice", "memoryview", "frombuffer",
                                    "reshape_of_view"])
def test_output_pool_reuses_memory_only_once_unreferenced(holder):
    pool = OutputPool(keep=4, min_bytes=0)
    a = pool.empty((4, 6), np.float64)
    a[...] = np.arange(24).reshape(4, 6)
    keep = {"array": lambda: a, "transpose": lambda: a.T, "slice": lambda: a[1:, ::2],
            "memoryview": lambda: memoryview(a), "frombuffer": lambda: np.frombuffer(a),
            "reshape_of_view": lambda: a[:2].reshape(-1)}[holder]()
    del a
    before = np.array(keep)
    for _ in range(3):
        b = pool.empty((6, 4), np.float64)
        assert not np.shares_memory(np.asarray(keep), b)
        b.fill(-1)
    np.testing.assert_array_equal(np.asarray(keep), before)  # untouched by the fills
    del keep, b
    assert np.shares_memory(pool.empty((24,), np.float64), pool.bases[(24, np.dtype("f8"))][0])


def test_output_pool_small_arrays_cap_and_layout():
    pool = OutputPool(keep=2, min_bytes=1024)
    assert pool.empty((10,), np.float32).base is None and not pool.bases  # under min_bytes
    held = [pool.empty((512,), np.float32) for _ in range(4)]
    assert len(pool.bases[(512, np.dtype("f4"))]) == 2
    assert len({a.ctypes.data for a in held}) == 4
    capped = OutputPool(min_bytes=0, max_bytes=3000)
    held = [capped.empty((100,), np.float64) for _ in range(5)]  # 800 bytes each
    assert len(capped.bases[(100, np.dtype("f8"))]) == 3 and capped.kept_bytes == 2400
    nhwc = np.zeros((2, 8, 8, 4), np.float32).transpose(0, 3, 1, 2)
    like = pool.empty_like(nhwc)
    assert like.shape == nhwc.shape and like.strides == nhwc.strides
    assert pool.zeros((600,), np.float64).sum() == 0
