"""An MLP given the same weights and batches as a torch MLP follows the same loss curve."""

import importlib.util

import numpy as np
import torch

import deepgrad
from deepgrad import nn

LR, MOMENTUM, STEPS = 0.05, 0.9, 50


def _sgd_momentum_step(params, buffers):
    """PyTorch's SGD with momentum: b ← μ b + g (b = g on the first step); p ← p − lr b."""
    with deepgrad.no_grad():
        for i, p in enumerate(params):
            g = p.grad.detach().numpy()
            buffers[i] = g.copy() if buffers[i] is None else MOMENTUM * buffers[i] + g
            p.sub_(deepgrad.tensor(LR * buffers[i]))


def _deepgrad_optimizer(params):
    if importlib.util.find_spec("deepgrad.optim") is not None:
        from deepgrad import optim

        if hasattr(optim, "SGD"):
            opt = optim.SGD(params, lr=LR, momentum=MOMENTUM)
            return opt.zero_grad, opt.step
    buffers = [None] * len(params)

    def zero_grad():
        for p in params:
            p.grad = None

    return zero_grad, lambda: _sgd_momentum_step(params, buffers)


def test_mlp_matches_torch_for_50_sgd_momentum_steps():
    def build(lib):
        m = lib.nn
        return m.Sequential(m.Flatten(), m.Linear(20, 16), m.ReLU(), m.Linear(16, 16), m.Tanh(),
                            m.Dropout(0.0), m.Linear(16, 4))

    dg, th = build(deepgrad).double(), build(torch).double()
    th.load_state_dict({k: torch.tensor(v.numpy()) for k, v in dg.state_dict().items()})
    zero_grad, step = _deepgrad_optimizer(list(dg.parameters()))
    th_opt = torch.optim.SGD(th.parameters(), lr=LR, momentum=MOMENTUM)
    rng = np.random.default_rng(0)
    dg_loss_fn, th_loss_fn = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    dg_losses, th_losses = [], []
    for _ in range(STEPS):
        x = rng.standard_normal((32, 4, 5))
        y = rng.integers(0, 4, size=32)
        zero_grad()
        loss = dg_loss_fn(dg(deepgrad.tensor(x)), deepgrad.tensor(y))
        loss.backward()
        step()
        dg_losses.append(loss.item())
        th_opt.zero_grad()
        t_loss = th_loss_fn(th(torch.tensor(x)), torch.tensor(y))
        t_loss.backward()
        th_opt.step()
        th_losses.append(t_loss.item())
    np.testing.assert_allclose(dg_losses, th_losses, rtol=1e-6, atol=1e-6)
    assert dg_losses[-1] < dg_losses[0]  # it does learn
    for name, p in th.named_parameters():
        np.testing.assert_allclose(dg.get_parameter(name).detach().numpy(),
                                   p.detach().numpy(), atol=1e-6)


def test_float32_mlp_step_stays_float32():
    model = nn.Sequential(nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 3))
    x = deepgrad.randn(5, 10)
    loss = nn.CrossEntropyLoss()(model(x), deepgrad.tensor([0, 1, 2, 0, 1]))
    loss.backward()
    assert loss.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
