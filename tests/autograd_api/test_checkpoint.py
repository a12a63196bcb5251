"""deepgrad.utils.checkpoint: recomputing activations in backward gives the gradients of the
plain call (and torch's), with dropout's randomness replayed."""

import warnings

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad.utils.checkpoint import checkpoint, checkpoint_sequential

RNG = np.random.default_rng(0)


def _block(lib, w1, w2):
    def f(x):
        return (lib.tanh(x @ w1) @ w2).sigmoid()

    return f




@pytest.mark.parametrize("use_reentrant", [True, False])
def test_gradients_equal_plain_call_and_torch(use_reentrant):
    arrays = [RNG.standard_normal(s) for s in ((4, 5), (5, 3), (2, 4))]
    results = {}
    for lib, ckpt in ((deepgrad, checkpoint), (torch, torch.utils.checkpoint.checkpoint),
                      (deepgrad, None)):
        w1, w2, x = (lib.tensor(a, requires_grad=True) for a in arrays)
        f = _block(lib, w1, w2)
        y = ckpt(f, x, use_reentrant=use_reentrant) if ckpt else f(x)
        z = ckpt(f, y @ w2.T @ w1.T, use_reentrant=use_reentrant) if ckpt else f(y @ w2.T @ w1.T)
        (z * z).sum().backward()
        key = (lib.__name__, ckpt is None)
        results[key] = [z.detach().numpy()] + [t.grad.numpy() for t in (w1, w2, x)]
    plain = results[("deepgrad", True)]
    for key in (("deepgrad", False), ("torch", False)):
        for a, b in zip(results[key], plain):
            np.testing.assert_allclose(a, b, atol=1e-12, rtol=1e-10)


def test_no_activations_kept_and_one_node():
    w = deepgrad.tensor(RNG.standard_normal((3, 3)), requires_grad=True)
    x = deepgrad.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    calls = []

    def f(t):
        calls.append(1)
        return (t @ w).exp().sum(-1)

    y = checkpoint(f, x, use_reentrant=True)
    assert type(y.grad_fn).__name__ == "CheckpointBackward" and len(calls) == 1
    assert y.grad_fn.parents == (x,)
    y.sum().backward()
    assert len(calls) == 2  # recomputed once in backward
    expected = np.exp(x.detach().numpy() @ w.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), expected @ w.detach().numpy().T)


def test_module_and_autograd_grad_with_non_reentrant():
    deepgrad.manual_seed(0)
    layer = deepgrad.nn.Sequential(deepgrad.nn.Linear(4, 6), deepgrad.nn.ReLU(),
                                   deepgrad.nn.Linear(6, 2)).double()
    x = deepgrad.tensor(RNG.standard_normal((3, 4)))  # needs no gradient
    y = checkpoint(layer, x, use_reentrant=False)
    params = list(layer.parameters())
    grads = deepgrad.autograd.grad(y.pow(2).sum(), params)
    expected = deepgrad.autograd.grad(layer(x).pow(2).sum(), params)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g.numpy(), e.numpy(), atol=1e-12)


def test_reentrant_without_grad_inputs_warns_like_torch():
    layer = deepgrad.nn.Linear(3, 2)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        y = checkpoint(layer, deepgrad.ones(1, 3), use_reentrant=True)
    assert not y.requires_grad
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed"):
        checkpoint(layer, deepgrad.ones(1, 3, requires_grad=True))


def test_dropout_replayed_in_recompute():
    deepgrad.manual_seed(1)
    x = deepgrad.tensor(RNG.standard_normal((50,)), requires_grad=True)
    drop = deepgrad.nn.Dropout(0.5)
    y = checkpoint(lambda t: drop(t) * t, x, use_reentrant=False)
    y.sum().backward()
    kept = y.detach().numpy() != 0
    # d/dx (mask * x / (1-p) * x) = 2 x mask / (1-p): the backward used the forward's mask
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, 4 * x.detach().numpy(), 0.0))
    assert 10 < kept.sum() < 40


def test_tuple_outputs_and_kwargs():
    a = deepgrad.tensor(RNG.standard_normal(3), requires_grad=True)
    b = deepgrad.tensor(RNG.standard_normal(3), requires_grad=True)

    def f(x, y, scale=1.0):
        return x * y * scale, (x + y).sin(), deepgrad.tensor([1, 2])

    out = checkpoint(f, a, b, scale=2.0, use_reentrant=False)
    assert isinstance(out, tuple) and out[2].dtype == np.int64
    (out[0].sum() + (out[1] ** 2).sum()).backward()
    ga, gb = a.grad.numpy().copy(), b.grad.numpy().copy()
    a.grad = b.grad = None
    ref = f(a, b, scale=2.0)
    (ref[0].sum() + (ref[1] ** 2).sum()).backward()
    np.testing.assert_allclose(ga, a.grad.numpy())
    np.testing.assert_allclose(gb, b.grad.numpy())
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(f, a, b, scale=2.0, use_reentrant=True)


def test_checkpoint_sequential_matches_torch():
    deepgrad.manual_seed(0)
    sizes = [(4, 8), (8, 8), (8, 8), (8, 3)]
    arrays = [(RNG.standard_normal(s).T.copy(), RNG.standard_normal(s[1])) for s in sizes]
    x_np = RNG.standard_normal((5, 4))
    grads = {}
    for lib, seq in ((deepgrad, checkpoint_sequential),
                     (torch, torch.utils.checkpoint.checkpoint_sequential)):
        layers = []
        for w, b in arrays:
            lin = lib.nn.Linear(w.shape[1], w.shape[0]).double()
            with lib.no_grad():
                lin.weight.copy_(lib.tensor(w))
                lin.bias.copy_(lib.tensor(b))
            layers += [lin, lib.nn.Tanh()]
        model = lib.nn.Sequential(*layers)
        x = lib.tensor(x_np, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = seq(model, 3, x, use_reentrant=True)
        out.sum().backward()
        grads[lib.__name__] = [out.detach().numpy(), x.grad.numpy()] + \
            [p.grad.numpy() for p in model.parameters()]
    for a, b in zip(grads["deepgrad"], grads["torch"]):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_no_grad_mode_just_runs():
    x = deepgrad.ones(2, requires_grad=True)
    with deepgrad.no_grad():
        y = checkpoint(lambda t: t * 2, x, use_reentrant=False)
    assert not y.requires_grad and y.tolist() == [2.0, 2.0]


def test_reachable_as_torch_utils_after_bare_import():
    import subprocess
    import sys

    code = ("import deepgrad as torch; print(torch.utils.checkpoint.checkpoint.__name__, "
            "torch.utils.data.DataLoader.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["checkpoint", "DataLoader"]


def test_context_fn_wraps_forward_and_recompute():
    seen = []

    class Mark:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            seen.append(self.name)

        def __exit__(self, *exc):
            return False

    x = deepgrad.ones(2, requires_grad=True)
    y = checkpoint(lambda t: t * 3, x, use_reentrant=False,
                   context_fn=lambda: (Mark("forward"), Mark("recompute")))
    assert seen == ["forward"]
    y.sum().backward()
    assert seen == ["forward", "recompute"] and x.grad.tolist() == [3.0, 3.0]
    with pytest.raises(ValueError, match="context_fn"):
        checkpoint(lambda t: t, x, use_reentrant=True, context_fn=lambda: (Mark("a"), Mark("b")))
