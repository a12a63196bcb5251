"""The autograd engine: accumulation, retain_graph, freed graphs, grad modes, deep chains,
gradcheck, autograd.grad, hooks, memory."""

import gc
import tracemalloc

import numpy as np
import pytest
import torch
from helpers import compare

import deepgrad as dg
from deepgrad.autograd import gradcheck


def test_grads_accumulate_and_retain_graph():
    x = dg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    assert x.grad.tolist() == [2.0, -4.0, 6.0]
    y.backward()
    assert x.grad.tolist() == [4.0, -8.0, 12.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [7.0, -5.0, 15.0]
    x.grad = None
    (x.sum() * 2).backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_shared_subgraph_and_reused_inputs():
    compare(lambda lib, x, w: ((x @ w).tanh() * (x @ w) + x.sum() * w.mean()).sum(),
            [(4, 3), (3, 2)])
    compare(lambda lib, x: x * x * x + x / (x * x + 1), [(5,)])
    compare(lambda lib, x, y: lib.stack([x, x + y, x * y]).sum(0), [(3,), (3,)])


def test_grad_does_not_alias_between_leaves():
    a = dg.ones(3, requires_grad=True)
    b = dg.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.add_(1)
    assert b.grad.tolist() == [1.0, 1.0, 1.0]
    c = dg.ones(2, 3, requires_grad=True)
    c.expand(4, 2, 3).sum().backward()
    c.grad.mul_(2)  # must own its memory
    assert c.grad.tolist() == [[8.0] * 3] * 2


def test_no_grad_enable_grad_set_grad_enabled():
    x = dg.ones(2, requires_grad=True)
    with dg.no_grad():
        y = x * 2
        assert not dg.is_grad_enabled()
        with dg.enable_grad():
            z = x * 2
    assert dg.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad and z.requires_grad

    @dg.no_grad()
    def f(t):
        return t * 2

    @dg.enable_grad()
    def g(t):
        return t * 2

    assert not f(x).requires_grad
    with dg.no_grad():
        assert g(x).requires_grad
    with dg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    dg.set_grad_enabled(False)
    assert not (x + 1).requires_grad
    dg.set_grad_enabled(True)
    assert (x + 1).requires_grad
    with dg.inference_mode():
        assert not (x + 1).requires_grad


def test_ten_thousand_op_chain_no_recursion():
    x = dg.tensor(0.5, dtype=dg.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-9)


def test_autograd_grad():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    w = dg.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    gx, gw = dg.autograd.grad(y, [x, w])
    assert gx.tolist() == [3.0, 4.0] and gw.tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None
    z = dg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not have been used"):
        dg.autograd.grad((x * 2).sum(), [x, z])
    gx, gz = dg.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None and gx.tolist() == [2.0, 2.0]
    h = x * 3  # gradient with respect to an intermediate
    (gh,) = dg.autograd.grad((h * h).sum(), h)
    assert gh.tolist() == [6.0, 12.0]
    (gx,) = dg.autograd.grad(x * x, x, grad_outputs=dg.tensor([1.0, 10.0]))
    assert gx.tolist() == [2.0, 40.0]


def test_register_hook():
    seen = []
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 3
    y.register_hook(lambda g: g * 10)  # replaces the gradient flowing on
    y.sum().backward()
    assert seen == [[30.0, 30.0]] and x.grad.tolist() == [30.0, 30.0]
    handle.remove()
    (x * 1).sum().backward()
    assert len(seen) == 1
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        dg.ones(2).register_hook(lambda g: g)

    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = tx * 3
    ty.register_hook(lambda g: g * 10)
    ty.sum().backward()
    assert tx.grad.tolist() == x.grad.tolist()[:0] + [30.0, 30.0]


def test_retain_grad():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    assert y.grad.tolist() == [4.0, 8.0]


@pytest.mark.parametrize("case,shapes", [
    (lambda x, y: (x * y).sigmoid().sum(0), [(3, 2), (2,)]),
    (lambda x, y: (x @ y).log_softmax(-1), [(2, 3), (3, 4)]),
    (lambda x, y: dg.cat([x, y.T], 0).norm(dim=1), [(2, 3), (3, 1)]),
    (lambda x, y: (x[[0, 0, 1]] / (y.abs() + 1)).logsumexp(0), [(2, 3), (3,)]),
    (lambda x, y: x.var(1, keepdim=True) * y.prod(), [(3, 4), (2,)]),
    (lambda x, y: dg.nn.functional.pad(x, (1, 2), mode="reflect") * 2 + y.sum(), [(2, 3), ()]),
])
def test_gradcheck_sample(case, shapes):
    rng = np.random.default_rng(0)
    inputs = [dg.tensor(rng.uniform(-1, 1, s), requires_grad=True) for s in shapes]
    assert gradcheck(case, inputs)


def test_gradcheck_detects_wrong_gradient():
    class Bad(dg.autograd.Function):
        def forward(self, x):
            return x * x

        def backward(self, grad):
            return grad * 3.0

    x = dg.tensor([0.5, 1.5], dtype=dg.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(Bad.apply, [x])
    assert not gradcheck(Bad.apply, [x], raise_exception=False)


def _small_step(w1, w2, x):
    h = (x @ w1).relu()
    loss = (h @ w2).log_softmax(1)[:, 0].mean() + (w1 * w1).sum() * 1e-3
    loss.backward()
    with dg.no_grad():
        w1 -= 1e-3 * w1.grad
        w2 -= 1e-3 * w2.grad
    w1.grad = None
    w2.grad = None


def test_memory_flat_over_1000_iterations():
    dg.manual_seed(0)
    w1 = dg.randn(16, 32, requires_grad=True)
    w2 = dg.randn(32, 10, requires_grad=True)
    x = dg.randn(8, 16)
    for _ in range(50):
        _small_step(w1, w2, x)
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(200):
            _small_step(w1, w2, x)
        gc.collect()
        base, _ = tracemalloc.get_traced_memory()
        for _ in range(1000):
            _small_step(w1, w2, x)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - base < 20_000, f"memory grew by {after - base} bytes over 1000 iterations"


def test_backward_frees_saved_arrays():
    x = dg.randn(100, 100, requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert not hasattr(node, "out")  # the saved output is released


def test_custom_function_with_needs_input_grad():
    class Scale(dg.autograd.Function):
        def forward(self, x, factor):
            self.factor = factor
            return x * factor

        def backward(self, grad):
            return grad * self.factor, None

    x = dg.ones(3, requires_grad=True)
    Scale.apply(x, 4.0).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0, 4.0]


def test_leaf_broadcast_grad_and_dtype():
    b = dg.zeros(3, requires_grad=True)
    x = dg.ones(4, 3)
    (x + b).sum().backward()
    assert b.grad.shape == (3,) and b.grad.dtype == dg.float32 and b.grad.tolist() == [4.0] * 3


def test_leaf_grad_does_not_alias_given_gradient():
    x = dg.ones(3, requires_grad=True)
    g = dg.tensor([1.0, 2.0, 3.0])
    (x + 0).backward(g)
    g.mul_(10)
    assert x.grad.tolist() == [1.0, 2.0, 3.0]
    y = dg.ones(3, requires_grad=True)
    y.backward(g)
    g.zero_()
    assert y.grad.tolist() == [10.0, 20.0, 30.0]


def test_backward_inputs_and_multiple_roots():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    w = dg.tensor([3.0, 4.0], requires_grad=True)
    (x * w).sum().backward(inputs=[x])
    assert x.grad.tolist() == [3.0, 4.0] and w.grad is None
    h = x * 2
    dg.autograd.backward([h.sum(), (h * h).sum()])
    assert x.grad.tolist() == [3.0 + 2 + 8, 4.0 + 2 + 16]
