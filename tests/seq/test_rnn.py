"""RNN / LSTM / GRU and cells: outputs, final states and all gradients equal torch's."""

import numpy as np
import pytest
import torch
from seq_check import check, module_leaves, pair, twin

import deepgrad
import deepgrad.nn as nn

CLASSES = {"RNN": (nn.RNN, torch.nn.RNN), "LSTM": (nn.LSTM, torch.nn.LSTM),
           "GRU": (nn.GRU, torch.nn.GRU)}
rng = np.random.default_rng(0)

CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(bias=False),
    dict(batch_first=True),
]


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items())
                         or "default")
def test_layer_matches_torch(mode, cfg):
    dg, th = twin(*CLASSES[mode], 5, 7, **cfg)
    T, B = 6, 3
    shape = (B, T, 5) if cfg.get("batch_first") else (T, B, 5)
    xd, xt = pair(rng.standard_normal(shape))
    check(dg(xd), th(xt), *module_leaves(dg, th, (xd, xt)))


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_initial_states(mode):
    dg, th = twin(*CLASSES[mode], 4, 6, num_layers=2, bidirectional=True)
    xd, xt = pair(rng.standard_normal((5, 2, 4)))
    hd, ht = pair(rng.standard_normal((4, 2, 6)))
    if mode == "LSTM":
        cd, ct = pair(rng.standard_normal((4, 2, 6)))
        check(dg(xd, (hd, cd)), th(xt, (ht, ct)),
              *module_leaves(dg, th, (xd, xt), (hd, ht), (cd, ct)))
    else:
        check(dg(xd, hd), th(xt, ht), *module_leaves(dg, th, (xd, xt), (hd, ht)))


def test_rnn_relu():
    dg, th = twin(nn.RNN, torch.nn.RNN, 4, 6, num_layers=2, nonlinearity="relu")
    xd, xt = pair(rng.standard_normal((5, 3, 4)))
    check(dg(xd), th(xt), *module_leaves(dg, th, (xd, xt)))


@pytest.mark.parametrize("cfg", [dict(), dict(num_layers=2, bidirectional=True)])
def test_lstm_proj_size(cfg):
    dg, th = twin(nn.LSTM, torch.nn.LSTM, 4, 8, proj_size=3, **cfg)
    dirs = 2 if cfg.get("bidirectional") else 1
    layers = cfg.get("num_layers", 1)
    xd, xt = pair(rng.standard_normal((5, 2, 4)))
    hd, ht = pair(rng.standard_normal((layers * dirs, 2, 3)))
    cd, ct = pair(rng.standard_normal((layers * dirs, 2, 8)))
    check(dg(xd, (hd, cd)), th(xt, (ht, ct)),
          *module_leaves(dg, th, (xd, xt), (hd, ht), (cd, ct)))


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_unbatched(mode):
    dg, th = twin(*CLASSES[mode], 4, 5, bidirectional=True)
    xd, xt = pair(rng.standard_normal((6, 4)))
    check(dg(xd), th(xt), *module_leaves(dg, th, (xd, xt)))


def test_dropout_between_layers_train_and_eval():
    dg = nn.LSTM(4, 5, num_layers=3, dropout=0.5).double()
    x = deepgrad.tensor(rng.standard_normal((6, 2, 4)))
    deepgrad.manual_seed(1)
    a = dg(x)[0]
    deepgrad.manual_seed(2)
    b = dg(x)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    dg.eval()
    np.testing.assert_array_equal(dg(x)[0].detach().numpy(), dg(x)[0].detach().numpy())
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells(cell, batched):
    dg, th = twin(getattr(nn, cell), getattr(torch.nn, cell), 4, 6)
    shape = (3, 4) if batched else (4,)
    hshape = (3, 6) if batched else (6,)
    xd, xt = pair(rng.standard_normal(shape))
    hd, ht = pair(rng.standard_normal(hshape))
    if cell == "LSTMCell":
        cd, ct = pair(rng.standard_normal(hshape))
        check(dg(xd, (hd, cd)), th(xt, (ht, ct)),
              *module_leaves(dg, th, (xd, xt), (hd, ht), (cd, ct)))
        check(dg(xd), th(xt), *module_leaves(dg, th))
    else:
        check(dg(xd, hd), th(xt, ht), *module_leaves(dg, th, (xd, xt), (hd, ht)))


def test_cell_loop_matches_layer():
    """An LSTMCell unrolled by hand equals the fused LSTM layer with the same weights."""
    layer = nn.LSTM(3, 4).double()
    cell = nn.LSTMCell(3, 4).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = deepgrad.tensor(rng.standard_normal((5, 2, 3)))
    with deepgrad.no_grad():
        out, (h_n, c_n) = layer(x)
        h = c = None
        for t in range(5):
            h, c = cell(x[t], None if h is None else (h, c))
    np.testing.assert_allclose(h.numpy(), h_n[0].numpy(), atol=1e-12)
    np.testing.assert_allclose(c.numpy(), c_n[0].numpy(), atol=1e-12)


def test_parameter_names_and_init():
    dg = nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=2)
    th = torch.nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=2)
    assert list(dg.state_dict()) == list(th.state_dict())
    for k, v in th.state_dict().items():
        assert tuple(dg.state_dict()[k].shape) == tuple(v.shape), k
        assert dg.state_dict()[k].dtype == np.float32
    bound = 1 / np.sqrt(8)
    values = np.concatenate([p.detach().numpy().ravel() for p in dg.parameters()])
    assert values.min() >= -bound and values.max() <= bound and values.std() > bound / 3
    assert repr(dg) == repr(th)


def test_float32_stays_float32():
    m = nn.GRU(3, 4, batch_first=True)
    x = deepgrad.randn(2, 5, 3, requires_grad=True)
    out, h = m(x)
    assert out.dtype == np.float32 and h.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and m.weight_hh_l0.grad.dtype == np.float32


def test_errors_name_shapes():
    m = nn.LSTM(4, 6, num_layers=2)
    with pytest.raises(RuntimeError, match=r"input_size. Expected 4, got 5"):
        m(deepgrad.randn(3, 2, 5))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(2, 2, 6\), got \[1, 2, 6\]"):
        m(deepgrad.randn(3, 2, 4), (deepgrad.zeros(1, 2, 6), deepgrad.zeros(2, 2, 6)))
    with pytest.raises(RuntimeError, match=r"hidden\[1\] size \(2, 2, 6\), got \[2, 2, 5\]"):
        m(deepgrad.randn(3, 2, 4), (deepgrad.zeros(2, 2, 6), deepgrad.zeros(2, 2, 5)))
    with pytest.raises(ValueError, match="2D or 3D"):
        m(deepgrad.randn(3, 2, 4, 1))
    with pytest.raises(ValueError, match="proj_size"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        nn.GRUCell(3, 4)(deepgrad.randn(2, 3), deepgrad.zeros(2, 5))


def test_long_sequence_backward_is_one_node():
    m = nn.LSTM(2, 3)
    x = deepgrad.randn(2000, 1, 2, requires_grad=True)
    out, _ = m(x)
    out.sum().backward()
    assert x.grad.shape == (2000, 1, 2)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_backward_twice_with_retain_graph(mode):
    # the fused layers keep their backward factors intact through a first backward
    dg, th = twin(*CLASSES[mode], 4, 6, num_layers=2, bidirectional=True, dropout=0.0)
    xd, xt = pair(rng.standard_normal((5, 3, 4)))
    hd, ht = pair(rng.standard_normal((4, 3, 6)))
    w = rng.standard_normal((5, 3, 12))
    hx_d, hx_t = ((hd, deepgrad.zeros(4, 3, 6, dtype=deepgrad.float64)),
                  (ht, torch.zeros(4, 3, 6, dtype=torch.float64))) if mode == "LSTM" \
        else (hd, ht)
    loss_d = (dg(xd, hx_d)[0] * deepgrad.tensor(w)).sum()
    loss_t = (th(xt, hx_t)[0] * torch.tensor(w)).sum()
    for loss in (loss_d, loss_t):
        loss.backward(retain_graph=True)
        loss.backward()
    for d, t in [(xd, xt), (hd, ht), (dg.weight_hh_l1, th.weight_hh_l1),
                 (dg.bias_ih_l0_reverse, th.bias_ih_l0_reverse)]:
        np.testing.assert_allclose(d.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_no_grad_outputs_survive_later_calls(mode):
    # without a graph the layers give their work arrays back at once; outputs stay theirs
    m = CLASSES[mode][0](3, 5, num_layers=2)
    with deepgrad.no_grad():
        first = m(deepgrad.randn(4, 2, 3))[0]
        saved = first.numpy().copy()
        m(deepgrad.randn(4, 2, 3))
    np.testing.assert_array_equal(first.numpy(), saved)
    out, _ = m(deepgrad.randn(4, 2, 3, requires_grad=True))  # and a graph still trains
    out.sum().backward()
    assert m.weight_hh_l0.grad is not None


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_batch_first_with_initial_states(mode):
    # batch-first layers read (B, T, I) and write (B, T, H) themselves (no transposes around)
    extra = dict(proj_size=3) if mode == "LSTM" else {}
    dg, th = twin(*CLASSES[mode], 4, 6, num_layers=3, bidirectional=True, batch_first=True,
                  **extra)
    xd, xt = pair(rng.standard_normal((2, 5, 4)))
    hd, ht = pair(rng.standard_normal((6, 2, 3 if mode == "LSTM" else 6)))
    if mode == "LSTM":
        cd, ct = pair(rng.standard_normal((6, 2, 6)))
        check(dg(xd, (hd, cd)), th(xt, (ht, ct)),
              *module_leaves(dg, th, (xd, xt), (hd, ht), (cd, ct)))
    else:
        check(dg(xd, hd), th(xt, ht), *module_leaves(dg, th, (xd, xt), (hd, ht)))
