"""nn.utils.parametrize, nn.utils.parametrizations and the old hook-based weight_norm /
spectral_norm, compared with torch in float64 (same weights; torch's random u/v/base copied in)."""

import warnings

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import nn


def pair(cls, *args, seed=0, **kwargs):
    """The same layer in both libraries, float64, with torch's initial weights."""
    torch.manual_seed(seed)
    th = getattr(torch.nn, cls)(*args, **kwargs).double()
    dg = getattr(nn, cls)(*args, **kwargs).double()
    dg.load_state_dict({k: deepgrad.tensor(v.detach().numpy()) for k, v in th.state_dict().items()})
    return dg, th


def copy_state(dg, th):
    dg.load_state_dict({k: deepgrad.tensor(v.detach().numpy()) for k, v in th.state_dict().items()})


def close(a, b, atol=1e-10):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    np.testing.assert_allclose(a, b, atol=atol, rtol=1e-9)


def run_both(dg, th, shape, seed=1):
    """Forward + backward of sum(out * r) in both; returns the outputs."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    xd, xt = deepgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yd, yt = dg(xd), th(xt)
    r = rng.standard_normal(tuple(yt.shape))
    (yd * deepgrad.tensor(r)).sum().backward()
    (yt * torch.tensor(r)).sum().backward()
    close(yd, yt)
    close(xd.grad, xt.grad)
    return yd, yt


def grads_match(dg, th):
    gd = {k: p.grad for k, p in dg.named_parameters()}
    gt = {k: p.grad for k, p in th.named_parameters()}
    assert list(gd) == list(gt)
    for k in gt:
        close(gd[k], gt[k])


class Symmetric:
    """A parametrization class for both libraries (built per library)."""

    @staticmethod
    def make(lib):
        class Sym(lib.nn.Module):
            def forward(self, X):
                return X.triu() + X.triu(1).transpose(-1, -2)

            def right_inverse(self, A):
                return A.triu()
        return Sym()


def make_low_rank(lib):
    class LowRank(lib.nn.Module):
        def forward(self, A, B):
            return A @ B

        def right_inverse(self, X):
            return X, lib.eye(X.shape[1], dtype=X.dtype)
    return LowRank()


def test_register_parametrization_state_keys_forward_backward():
    dg, th = pair("Linear", 4, 4)
    deepgrad.nn.utils.parametrize.register_parametrization(dg, "weight", Symmetric.make(deepgrad))
    torch.nn.utils.parametrize.register_parametrization(th, "weight", Symmetric.make(torch))
    assert type(dg).__name__ == type(th).__name__ == "ParametrizedLinear"
    assert isinstance(dg, nn.Linear)
    assert list(dg.state_dict()) == list(th.state_dict())
    assert [n for n, _ in dg.named_parameters()] == [n for n, _ in th.named_parameters()]
    assert repr(dg) == repr(th).replace("Sym()", "Sym()")
    close(dg.weight, th.weight)
    close(dg.parametrizations.weight.original, th.parametrizations.weight.original)
    run_both(dg, th, (3, 4))
    grads_match(dg, th)


def test_assignment_uses_right_inverse_and_remove_keeps_value():
    dg, th = pair("Linear", 3, 3)
    for lib, m in ((deepgrad, dg), (torch, th)):
        lib.nn.utils.parametrize.register_parametrization(m, "weight", Symmetric.make(lib))
    value = np.arange(9.0).reshape(3, 3) / 5
    dg.weight = deepgrad.tensor(value)
    th.weight = torch.tensor(value)
    close(dg.parametrizations.weight.original, th.parametrizations.weight.original)
    close(dg.weight, th.weight)
    original = dg.parametrizations.weight.original
    deepgrad.nn.utils.parametrize.remove_parametrizations(dg, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(th, "weight")
    assert type(dg) is nn.Linear and type(th) is torch.nn.Linear
    assert dg.weight is original and isinstance(dg.weight, nn.Parameter)
    close(dg.weight, th.weight)
    assert list(dg.state_dict()) == list(th.state_dict()) == ["bias", "weight"]
    assert not deepgrad.nn.utils.parametrize.is_parametrized(dg)


def test_remove_without_leaving_parametrized_restores_original():
    dg, th = pair("Linear", 3, 3)
    for lib, m in ((deepgrad, dg), (torch, th)):
        lib.nn.utils.parametrize.register_parametrization(m, "weight", Symmetric.make(lib))
        lib.nn.utils.parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    close(dg.weight, th.weight)


def test_right_inverse_returning_several_tensors():
    dg, th = pair("Linear", 3, 2)
    P = deepgrad.nn.utils.parametrize
    P.register_parametrization(dg, "weight", make_low_rank(deepgrad))
    torch.nn.utils.parametrize.register_parametrization(th, "weight", make_low_rank(torch))
    assert list(dg.state_dict()) == list(th.state_dict())
    assert "parametrizations.weight.original1" in dg.state_dict()
    run_both(dg, th, (4, 3))
    grads_match(dg, th)
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        P.remove_parametrizations(dg, "weight", leave_parametrized=False)
    P.remove_parametrizations(dg, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(th, "weight")
    close(dg.weight, th.weight)


def test_stacked_parametrizations_and_cached():
    dg, th = pair("Linear", 3, 3)
    for lib, m in ((deepgrad, dg), (torch, th)):
        lib.nn.utils.parametrize.register_parametrization(m, "weight", Symmetric.make(lib))
        lib.nn.utils.parametrize.register_parametrization(m, "weight", lib.nn.Tanh())
    assert len(dg.parametrizations.weight) == 2
    close(dg.weight, th.weight)
    with deepgrad.nn.utils.parametrize.cached():
        assert dg.weight is dg.weight
    assert dg.weight is not dg.weight
    run_both(dg, th, (2, 3))
    grads_match(dg, th)


def test_parametrize_errors_match_torch():
    P = deepgrad.nn.utils.parametrize
    m = nn.Linear(3, 4)

    class Bad(nn.Module):
        def forward(self, X):
            return X[:2]
    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(m, "weight", Bad())
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        P.register_parametrization(m, "nope", Bad())
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(m, "weight")
    P.register_parametrization(m, "weight", Bad(), unsafe=True)
    assert tuple(m.weight.shape) == (2, 3)
    assert P.type_before_parametrizations(m) is nn.Linear


def test_state_dict_roundtrip_from_torch_parametrized():
    dg, th = pair("Linear", 3, 3, seed=3)
    for lib, m in ((deepgrad, dg), (torch, th)):
        lib.nn.utils.parametrize.register_parametrization(m, "weight", Symmetric.make(lib))
    with torch.no_grad():
        th.parametrizations.weight.original.mul_(2)
    result = dg.load_state_dict({k: deepgrad.tensor(v.numpy())
                                 for k, v in th.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    close(dg.weight, th.weight)


@pytest.mark.parametrize("cls,args,dim", [("Linear", (5, 3), 0), ("Conv2d", (2, 3, 3), 0),
                                          ("Linear", (4, 3), 1), ("Linear", (4, 3), None)])
def test_parametrizations_weight_norm(cls, args, dim):
    dg, th = pair(cls, *args)
    deepgrad.nn.utils.parametrizations.weight_norm(dg, dim=dim)
    torch.nn.utils.parametrizations.weight_norm(th, dim=dim)
    assert list(dg.state_dict()) == list(th.state_dict())
    close(dg.parametrizations.weight.original0, th.parametrizations.weight.original0)
    close(dg.weight, th.weight)
    shape = (2, args[0]) if cls == "Linear" else (1, 2, 5, 5)
    run_both(dg, th, shape)
    grads_match(dg, th)


def test_parametrizations_weight_norm_loads_old_g_v_keys():
    dg, th = pair("Linear", 3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.utils.weight_norm(th)
    deepgrad.nn.utils.parametrizations.weight_norm(dg)
    with torch.no_grad():
        th.weight_g.mul_(3)
    dg.load_state_dict({k: deepgrad.tensor(v.detach().numpy()) for k, v in th.state_dict().items()})
    close(dg.weight, th.weight_v * (th.weight_g / th.weight_v.norm(dim=1, keepdim=True)))


@pytest.mark.parametrize("cls,args,shape", [("Linear", (5, 3), (2, 5)),
                                            ("Conv2d", (2, 3, 3), (1, 2, 5, 5)),
                                            ("ConvTranspose2d", (2, 3, 3), (1, 2, 4, 4))])
def test_parametrizations_spectral_norm(cls, args, shape):
    dg, th = pair(cls, *args)
    shape = (2, args[0]) if cls == "Linear" else shape
    deepgrad.nn.utils.parametrizations.spectral_norm(dg)
    torch.nn.utils.parametrizations.spectral_norm(th)
    assert list(dg.state_dict()) == list(th.state_dict())
    copy_state(dg, th)  # torch's random u, v (after its 15 warm-up iterations)
    for _ in range(2):  # training mode: a power iteration per access
        for m in (dg, th):
            m.zero_grad()
        run_both(dg, th, shape)
        grads_match(dg, th)
        close(dg.parametrizations.weight[0]._u, th.parametrizations.weight[0]._u)
    dg.eval(), th.eval()
    close(dg.weight, th.weight)
    s = np.linalg.svd(dg.weight.detach().numpy().reshape(dg.weight.shape[0], -1)
                      if cls != "ConvTranspose2d" else
                      np.moveaxis(dg.weight.detach().numpy(), 1, 0).reshape(3, -1),
                      compute_uv=False)
    assert abs(s[0] - 1) < 0.2


@pytest.mark.parametrize("shape,orthogonal_map", [((4, 4), None), ((4, 4), "cayley"),
                                                  ((4, 4), "householder"), ((5, 3), None),
                                                  ((3, 5), None), ((5, 3), "matrix_exp")])
def test_parametrizations_orthogonal(shape, orthogonal_map):
    dg, th = pair("Linear", shape[1], shape[0], seed=4)
    deepgrad.nn.utils.parametrizations.orthogonal(dg, orthogonal_map=orthogonal_map)
    torch.nn.utils.parametrizations.orthogonal(th, orthogonal_map=orthogonal_map)
    assert list(dg.state_dict()) == list(th.state_dict())
    copy_state(dg, th)  # torch's base (random completion for non-square weights)
    close(dg.weight, th.weight, atol=1e-9)
    w = dg.weight.detach().numpy()
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-10)
    with torch.no_grad():  # move away from the identity so the map's gradient is exercised
        th.parametrizations.weight.original.add_(0.1 * torch.randn(shape, dtype=torch.float64))
    copy_state(dg, th)
    close(dg.weight, th.weight, atol=1e-9)
    run_both(dg, th, (2, shape[1]))
    grads_match(dg, th)


def test_orthogonal_assignment_and_no_trivialization():
    dg, th = pair("Linear", 4, 4, seed=5)
    deepgrad.nn.utils.parametrizations.orthogonal(dg, orthogonal_map="householder",
                                                  use_trivialization=False)
    torch.nn.utils.parametrizations.orthogonal(th, orthogonal_map="householder",
                                               use_trivialization=False)
    close(dg.parametrizations.weight.original, th.parametrizations.weight.original, atol=1e-9)
    close(dg.weight, th.weight, atol=1e-9)
    q = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))[0]
    dg.weight = deepgrad.tensor(q)
    th.weight = torch.tensor(q)
    close(dg.weight, th.weight, atol=1e-9)
    with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
        deepgrad.nn.utils.parametrizations.orthogonal(nn.Linear(2, 2), orthogonal_map="x")


@pytest.mark.parametrize("cls,args,dim,shape", [("Linear", (3, 4), 0, (2, 3)),
                                                ("Conv1d", (2, 3, 3), 0, (1, 2, 6)),
                                                ("Linear", (3, 4), None, (2, 3))])
def test_old_weight_norm_matches_torch(cls, args, dim, shape):
    dg, th = pair(cls, *args)
    with pytest.warns(FutureWarning):
        deepgrad.nn.utils.weight_norm(dg, dim=dim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.utils.weight_norm(th, dim=dim)
    assert list(dg.state_dict()) == list(th.state_dict())
    close(dg.weight_g, th.weight_g)
    run_both(dg, th, shape)
    grads_match(dg, th)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        deepgrad.nn.utils.weight_norm(dg, dim=dim)
    deepgrad.nn.utils.remove_weight_norm(dg)
    torch.nn.utils.remove_weight_norm(th)
    assert list(dg.state_dict()) == list(th.state_dict())
    close(dg.weight, th.weight)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        deepgrad.nn.utils.remove_weight_norm(dg)


@pytest.mark.parametrize("cls,args,shape", [("Linear", (3, 4), (2, 3)),
                                            ("Conv2d", (2, 3, 3), (1, 2, 5, 5)),
                                            ("ConvTranspose1d", (2, 3, 3), (1, 2, 4))])
def test_old_spectral_norm_matches_torch(cls, args, shape):
    dg, th = pair(cls, *args)
    deepgrad.nn.utils.spectral_norm(dg, n_power_iterations=2)
    torch.nn.utils.spectral_norm(th, n_power_iterations=2)
    assert list(dg.state_dict()) == list(th.state_dict())
    copy_state(dg, th)
    for _ in range(2):
        for m in (dg, th):
            m.zero_grad()
        run_both(dg, th, shape)
        grads_match(dg, th)
        close(dg.weight_u, th.weight_u)
        close(dg.weight_v, th.weight_v)
    dg.eval(), th.eval()
    run_both(dg, th, shape, seed=2)
    deepgrad.nn.utils.remove_spectral_norm(dg)
    torch.nn.utils.remove_spectral_norm(th)
    assert list(dg.state_dict()) == list(th.state_dict())
    close(dg.weight, th.weight)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        deepgrad.nn.utils.remove_spectral_norm(dg)
