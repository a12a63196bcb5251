"""torch-style custom autograd Functions (ctx, static forward/backward) run unchanged on
deepgrad, with torch's gradients and errors; deepgrad's own array style still works."""

import numpy as np
import pytest
import torch

import deepgrad


def _define(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            (y,) = ctx.saved_tensors
            return grad_output * y

    class ScaledPair(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, k):
            ctx.save_for_backward(x, w)
            ctx.k = k
            ctx.seen = (ctx.needs_input_grad, lib.is_grad_enabled())
            return x * w * k, (x + w).sin()

        @staticmethod
        def backward(ctx, g_prod, g_sin):
            x, w = ctx.saved_tensors
            cos = (x + w).cos()
            gx = g_prod * w * ctx.k + g_sin * cos if ctx.needs_input_grad[0] else None
            gw = g_prod * x * ctx.k + g_sin * cos
            return gx, gw.sum(0), None  # w was broadcast: summing is the user's job here

    class Split(lib.autograd.Function):
        """torch 2's style: forward without ctx, setup_context fills it."""

        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    class ArgMaxAndDouble(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            index = x.argmax()
            ctx.mark_non_differentiable(index)
            return x * 2, index

        @staticmethod
        def backward(ctx, g, g_index):
            return g * 2

    return Exp, ScaledPair, Split, ArgMaxAndDouble


RNG = np.random.default_rng(0)


def test_matches_torch():
    x_np, w_np = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    results = {}
    for lib in (deepgrad, torch):
        Exp, ScaledPair, Split, ArgMax = _define(lib)
        x = lib.tensor(x_np, requires_grad=True)
        w = lib.tensor(w_np, requires_grad=True)
        prod, sin = ScaledPair.apply(x, w, 1.5)
        doubled, index = ArgMax.apply(x)
        loss = (Exp.apply(prod).sum() + (sin ** 2).sum() + Split.apply(x, 3.0).sum()
                + doubled.sum())
        loss.backward()
        seen = ScaledPair.apply(x, w, 1.0)[0].grad_fn
        results[lib.__name__] = dict(
            loss=loss.detach().numpy(), gx=x.grad.numpy(), gw=w.grad.numpy(),
            index=int(index), index_grad=index.requires_grad,
            exp_name=type(Exp.apply(x).grad_fn).__name__, seen=seen is not None)
    d, t = results["deepgrad"], results["torch"]
    for key in ("loss", "gx", "gw"):
        np.testing.assert_allclose(d[key], t[key], atol=1e-12, rtol=1e-12)
    assert d["index"] == t["index"] and d["index_grad"] is t["index_grad"] is False
    assert d["exp_name"] == t["exp_name"] == "ExpBackward"


def _seen_in_forward(lib):
    _, ScaledPair, _, _ = _define(lib)
    captured = {}

    class Probe(ScaledPair):
        @staticmethod
        def forward(ctx, x, w, k):
            out = ScaledPair.forward(ctx, x, w, k)
            captured["seen"] = ctx.seen
            return out

    Probe.apply(lib.ones(2, requires_grad=True), lib.ones(2), 2.0)
    return captured["seen"]


def test_ctx_sees_needs_input_grad_and_no_grad_mode():
    assert _seen_in_forward(deepgrad) == _seen_in_forward(torch) == ((True, False, False), False)


def test_gradient_shape_rules_and_count_like_torch():
    def bad(lib, make_grad, n_out=1):
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return make_grad(g)

        x = lib.ones(2, 3, requires_grad=True)
        Bad.apply(x).sum().backward()
        return x.grad

    cases = [lambda g: (g, g), lambda g: g[:1, :1].reshape(1), lambda g: g.sum()]
    for make in cases:
        with pytest.raises(RuntimeError) as th_error:
            bad(torch, make)
        with pytest.raises(RuntimeError) as dg_error:
            bad(deepgrad, make)
        assert str(dg_error.value) == str(th_error.value)
    # a gradient the input broadcasts to is summed down, and extra trailing Nones are fine
    for make in (lambda g: g.expand(4, 2, 3), lambda g: (g, None)):
        np.testing.assert_allclose(bad(deepgrad, make).numpy(), bad(torch, make).numpy())


def test_saved_tensors_freed_after_backward():
    Exp = _define(deepgrad)[0]
    x = deepgrad.ones(2, requires_grad=True)
    y = Exp.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_no_graph_when_nothing_requires_grad():
    Exp = _define(deepgrad)[0]
    y = Exp.apply(deepgrad.ones(2))
    assert not y.requires_grad and y.grad_fn is None
    with deepgrad.no_grad():
        assert Exp.apply(deepgrad.ones(2, requires_grad=True)).grad_fn is None


def test_array_style_functions_unchanged_and_gradcheck():
    class Square(deepgrad.autograd.Function):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, grad):
            return 2 * self.x * grad

    x = deepgrad.tensor([1.0, 3.0], dtype=deepgrad.float64, requires_grad=True)
    Square.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 6.0]
    Exp = _define(deepgrad)[0]
    assert deepgrad.autograd.gradcheck(Exp.apply, (x,))
    assert deepgrad.autograd.once_differentiable(len) is len


def test_legacy_variable():
    from deepgrad.autograd import Variable

    t = deepgrad.ones(2)
    v = Variable(t, requires_grad=True)
    assert v is not t and v.requires_grad and v.is_leaf and isinstance(v, Variable)
    (v * 3).sum().backward()
    assert v.grad.tolist() == [3.0, 3.0]
    assert not Variable(t).requires_grad and isinstance(t, Variable)
    assert not isinstance([1.0], Variable)
    with pytest.raises(TypeError) as dg_error:
        Variable([1.0])
    with pytest.raises(TypeError) as th_error:
        torch.autograd.Variable([1.0])
    assert str(dg_error.value) == str(th_error.value)
