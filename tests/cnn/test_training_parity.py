"""20 SGD steps of a small CNN with BatchNorm in deepgrad and torch (float64) stay within 1e-6."""

import numpy as np
import torch

import deepgrad


def _model(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8, 10))


def _sgd_step(params, lr, momentum, bufs):
    """PyTorch's SGD with momentum: b = μ·b + g (b = g at the first step); p −= lr·b."""
    for i, p in enumerate(params):
        g = p.grad.detach().numpy() if hasattr(p.grad, "detach") else p.grad
        g = np.array(g, copy=True)
        bufs[i] = g if bufs[i] is None else momentum * bufs[i] + g
        if isinstance(p, torch.Tensor):
            with torch.no_grad():
                p -= torch.tensor(lr * bufs[i])
        else:
            p._data -= lr * bufs[i]
        p.grad = None


def test_small_cnn_with_batchnorm_matches_torch_for_20_steps():
    torch.manual_seed(0)
    ref = _model(torch).double()
    mine = _model(deepgrad).double()
    for (name, p), (_, q) in zip(mine.named_parameters(), ref.named_parameters()):
        assert p.shape == tuple(q.shape), name
        p._data[...] = q.detach().numpy()
    rng = np.random.default_rng(0)
    loss_d, loss_t = deepgrad.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    bufs_d, bufs_t = [None] * 10, [None] * 10
    params_d, params_t = list(mine.parameters()), list(ref.parameters())
    for step in range(20):
        x = rng.standard_normal((16, 1, 8, 8))
        y = rng.integers(0, 10, 16)
        ld = loss_d(mine(deepgrad.tensor(x)), deepgrad.tensor(y))
        lt = loss_t(ref(torch.tensor(x)), torch.tensor(y))
        np.testing.assert_allclose(ld.item(), lt.item(), rtol=1e-6, atol=1e-6, err_msg=str(step))
        ld.backward()
        lt.backward()
        _sgd_step(params_d, 0.1, 0.9, bufs_d)
        _sgd_step(params_t, 0.1, 0.9, bufs_t)
    for key, value in ref.state_dict().items():
        np.testing.assert_allclose(mine.state_dict()[key].numpy(), value.numpy(), rtol=1e-6,
                                   atol=1e-6, err_msg=key)
    mine.eval()
    ref.eval()
    x = rng.standard_normal((4, 1, 8, 8))
    np.testing.assert_allclose(mine(deepgrad.tensor(x)).detach().numpy(),
                               ref(torch.tensor(x)).detach().numpy(), atol=1e-6)
