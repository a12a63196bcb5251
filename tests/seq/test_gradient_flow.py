"""gradient_norms_through_time against torch (same weights, float64): ‖∂L/∂h_t‖, ‖∂L/∂x_t‖."""

import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad.nn.utils.gradient_flow import gradient_norms_through_time

T, N, I, H = 12, 3, 4, 5


def torch_norms(th, x, wrt, cell=False, lstm=False, batch_first=False):
    x = torch.tensor(x, requires_grad=True)
    seq = x.transpose(0, 1) if batch_first else x
    if wrt == "input" and not cell:
        out, _ = th(seq)
        (out[:, -1] if batch_first else out[-1]).sum().backward()
        return x.grad.pow(2).sum((1, 2)).sqrt().numpy()
    state, hs = None, []
    for t in range(T):
        if cell:
            state = th(x[t], state)
        else:
            step = x[t:t + 1].transpose(0, 1) if batch_first else x[t:t + 1]
            _, state = th(step, state)
        h = state[0] if lstm else state
        h.retain_grad()
        hs.append(h)
    (hs[-1] if cell else hs[-1][-1]).sum().backward()
    if wrt == "input":
        return x.grad.pow(2).sum((1, 2)).sqrt().numpy()
    return np.array([h.grad.pow(2).sum().sqrt().item() for h in hs])


CASES = [("RNN", {}), ("LSTM", {}), ("GRU", {}), ("RNN", {"num_layers": 2}),
         ("LSTM", {"batch_first": True}), ("RNNCell", {}), ("LSTMCell", {})]


@pytest.mark.parametrize("wrt", ["hidden", "input"])
@pytest.mark.parametrize("name,kwargs", CASES)
def test_matches_torch(name, kwargs, wrt):
    torch.manual_seed(0)
    th = getattr(torch.nn, name)(I, H, **kwargs).double()
    dg_rnn = getattr(dg.nn, name)(I, H, **kwargs).double()
    dg_rnn.load_state_dict({k: dg.tensor(v.detach().numpy().copy())
                            for k, v in th.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((T, N, I))
    bf = kwargs.get("batch_first", False)
    given = x.transpose(1, 0, 2) if bf else x
    ours = gradient_norms_through_time(dg_rnn, dg.tensor(given), wrt=wrt)
    ref = torch_norms(th, x, wrt, cell=name.endswith("Cell"), lstm="LSTM" in name,
                      batch_first=bf)
    assert ours.shape == (T,)
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-14)


def test_vanilla_rnn_gradient_vanishes_faster_than_lstm():
    dg.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((40, 4, 8))
    rnn = gradient_norms_through_time(dg.nn.RNN(8, 32).double(), x)
    lstm = dg.nn.LSTM(8, 32).double()
    with dg.no_grad():  # forget-gate bias 1: f ≈ σ(1), the cell path keeps the gradient
        lstm.bias_ih_l0[32:64] = 1.0
        lstm.bias_hh_l0[32:64] = 0.0
    lstm = gradient_norms_through_time(lstm, x)
    assert rnn[0] / rnn[-1] < 1e-7 and lstm[0] / lstm[-1] > 1e-6
    assert np.all(np.diff(np.log(rnn[:-1])) > 0)  # shrinks at every step back


def test_errors():
    x = np.zeros((3, 2, 4))
    with pytest.raises(ValueError, match="wrt must be"):
        gradient_norms_through_time(dg.nn.RNN(4, 3), x, wrt="weights")
    with pytest.raises(TypeError, match="recurrent layer or cell"):
        gradient_norms_through_time(dg.nn.Linear(4, 3), x)
    with pytest.raises(ValueError, match="unidirectional"):
        gradient_norms_through_time(dg.nn.GRU(4, 3, bidirectional=True), x)
    with pytest.raises(ValueError, match=r"\(T, N, H_in\)"):
        gradient_norms_through_time(dg.nn.RNN(4, 3), np.zeros((3, 4)))
    norms = gradient_norms_through_time(dg.nn.GRU(4, 3, bidirectional=True), x, wrt="input")
    assert norms.shape == (3,)
