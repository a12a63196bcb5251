"""30 training steps of an LSTM language model track torch's losses step by step (float64)."""

import numpy as np
import torch

import deepgrad


def _model(lib):
    nn = lib.nn

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 8)
            self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True)
            self.out = nn.Linear(16, 20)

        def forward(self, x):
            h, _ = self.lstm(self.emb(x))
            return self.out(h)

    return LM().double()


def _sgd(lib, params, lr):
    # deepgrad.optim.SGD once it exists; until then the same formula inline: p -= lr * grad
    if lib is torch:
        return torch.optim.SGD(params, lr=lr)
    try:
        from deepgrad.optim import SGD

        return SGD(params, lr=lr)
    except ImportError:
        pass

    class InlineSGD:
        def __init__(self, params):
            self.params = list(params)

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        def step(self):
            for p in self.params:
                p._data -= lr * p.grad._data

    return InlineSGD(params)


def test_lstm_lm_training_parity():
    torch.manual_seed(0)
    th = _model(torch)
    dg = _model(deepgrad)
    dg.load_state_dict({k: deepgrad.tensor(v.detach().numpy().copy())
                        for k, v in th.state_dict().items()})
    rng = np.random.default_rng(0)
    data = rng.integers(0, 20, size=(30, 4, 11))
    opt_t, opt_d = _sgd(torch, th.parameters(), 0.5), _sgd(deepgrad, dg.parameters(), 0.5)
    losses = []
    for step in range(30):
        x, y = data[step, :, :-1], data[step, :, 1:].reshape(-1)
        for lib, model, opt in ((torch, th, opt_t), (deepgrad, dg, opt_d)):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)).reshape(-1, 20),
                                                   lib.tensor(y))
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert abs(losses[-1] - losses[-2]) < 1e-6, f"step {step}: {losses[-1]} vs {losses[-2]}"
    assert losses[-1] < losses[0]
