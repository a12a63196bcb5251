"""deepgrad.func against torch.func (float64): grad, vjp, jacrev/jacfwd, hessian, vmap,
functional_call."""

import numpy as np
import pytest
import torch
import torch.func as TF

import deepgrad
import deepgrad.func as F

RNG = np.random.default_rng(0)


def _same(d, t, atol=1e-9):
    if isinstance(t, (tuple, list)):
        assert isinstance(d, (tuple, list)) and len(d) == len(t)
        for a, b in zip(d, t):
            _same(a, b, atol)
        return
    assert tuple(d.shape) == tuple(t.shape)
    np.testing.assert_allclose(d.detach().numpy(), t.detach().numpy(), atol=atol, rtol=1e-8)


def _args(*shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    return [deepgrad.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


def loss(lib):
    return lambda w, x: ((x @ w).tanh() ** 2).sum() + (w ** 3).sum()


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_grad_and_value(argnums):
    d, t = _args((3, 2), (4, 3))
    _same(F.grad(loss(deepgrad), argnums=argnums)(*d), TF.grad(loss(torch), argnums=argnums)(*t))
    _same(F.grad_and_value(loss(deepgrad), argnums=argnums)(*d),
          TF.grad_and_value(loss(torch), argnums=argnums)(*t))


def test_grad_has_aux_and_errors():
    def f(lib):
        return lambda x: ((x ** 2).sum(), x.mean())

    d, t = _args((3,))
    _same(F.grad(f(deepgrad), has_aux=True)(*d), TF.grad(f(torch), has_aux=True)(*t))
    with pytest.raises(RuntimeError, match="scalar"):
        F.grad(lambda x: x * 2)(d[0])
    with pytest.raises(RuntimeError, match="argnums"):
        F.grad(lambda x: x.sum(), argnums=3)(d[0])
    with pytest.raises(NotImplementedError, match="higher-order"):
        F.grad(lambda x: F.grad(lambda y: (y ** 3).sum())(x).sum())(d[0])


def test_vjp():
    def f(lib):
        return lambda x, y: (x.sin() * y, (x * y).sum())

    d, t = _args((3,), (3,))
    d_out, d_fn = F.vjp(f(deepgrad), *d)
    t_out, t_fn = TF.vjp(f(torch), *t)
    _same(d_out, t_out)
    cot = [RNG.standard_normal(3), RNG.standard_normal(())]
    _same(d_fn(tuple(deepgrad.tensor(c) for c in cot)), t_fn(tuple(torch.tensor(c) for c in cot)))


@pytest.mark.parametrize("which", ["jacrev", "jacfwd", "hessian"])
def test_jacobians(which):
    d, t = _args((3, 2), (4, 3))
    if which == "hessian":
        _same(getattr(F, which)(loss(deepgrad))(*d), getattr(TF, which)(loss(torch))(*t),
              atol=1e-6)
        return

    def vec(lib):
        return lambda w, x: (x @ w).tanh()

    _same(getattr(F, which)(vec(deepgrad), argnums=(0, 1))(*d),
          getattr(TF, which)(vec(torch), argnums=(0, 1))(*t))


def test_vmap():
    d, t = _args((5, 3), (3, 2), (5,))

    def f(lib):
        return lambda x, w, s: ((x @ w) * s, (x ** 2).sum())

    _same(F.vmap(f(deepgrad), in_dims=(0, None, 0))(*d),
          TF.vmap(f(torch), in_dims=(0, None, 0))(*t))
    _same(F.vmap(lambda x: x.sum(0), in_dims=1, out_dims=0)(d[0]),
          TF.vmap(lambda x: x.sum(0), in_dims=1, out_dims=0)(t[0]))
    # per-sample gradients: vmap over grad, the torch.func recipe
    d, t = _args((3, 2), (5, 4, 3))
    per_sample = F.vmap(F.grad(loss(deepgrad)), in_dims=(None, 0))(*d)
    expected = TF.vmap(TF.grad(loss(torch)), in_dims=(None, 0))(*t)
    _same(per_sample, expected)
    with pytest.raises(ValueError, match="same size in the mapped dimension"):
        F.vmap(lambda a, b: a + b)(deepgrad.ones(2), deepgrad.ones(3))


def test_vmap_gradients_flow():
    x = deepgrad.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    F.vmap(lambda r: (r.exp() * r).sum())(x).sum().backward()
    xn = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(xn) * (1 + xn))


def test_functional_call():
    deepgrad.manual_seed(0)
    model = deepgrad.nn.Sequential(deepgrad.nn.Linear(3, 4), deepgrad.nn.Tanh(),
                                   deepgrad.nn.Linear(4, 1)).double()
    x = deepgrad.tensor(RNG.standard_normal((5, 3)))
    params = {k: v.detach() * 2 for k, v in model.named_parameters()}
    for v in params.values():
        v.requires_grad_(True)
    out = F.functional_call(model, params, (x,))
    t_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                  torch.nn.Linear(4, 1)).double()
    t_params = {k: torch.tensor(v.detach().numpy(), requires_grad=True)
                for k, v in params.items()}
    t_out = TF.functional_call(t_model, t_params, (torch.tensor(x.numpy()),))
    _same(out, t_out)
    out.sum().backward()
    t_out.sum().backward()
    for k in params:
        _same(params[k].grad, t_params[k].grad)
    # the module's own parameters are back and untouched
    assert model[0].weight is list(model.parameters())[0] and model[0].weight.grad is None
    with pytest.raises(RuntimeError, match="Missing key"):
        F.functional_call(model, {"0.weight": params["0.weight"]}, (x,), strict=True)
    assert deepgrad.vmap is F.vmap
