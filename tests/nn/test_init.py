"""nn.init: torch's formulas (gains, fans, bounds) and the statistics of the draws."""

import math

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad.nn import init


@pytest.mark.parametrize("name,param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                        ("tanh", None), ("relu", None), ("leaky_relu", None),
                                        ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "x")


@pytest.mark.parametrize("shape", [(3, 4), (8, 3, 5, 5), (2, 6, 7)])
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(deepgrad.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(deepgrad.empty(3))


def _stats(fn, shape, **kwargs):
    t = deepgrad.empty(*shape)
    out = fn(t, **kwargs)
    assert out is t and t.dtype == np.float32
    return t.numpy()


SHAPE = (300, 200, 3)  # fan_in 600, fan_out 900


@pytest.mark.parametrize("name,kwargs,kind,std", [
    ("xavier_uniform_", {"gain": 2.0}, "uniform", 2.0 * math.sqrt(2 / 1500)),
    ("xavier_normal_", {"gain": 0.5}, "normal", 0.5 * math.sqrt(2 / 1500)),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, "uniform", math.sqrt(2 / 6) / math.sqrt(600)),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}, "uniform",
     math.sqrt(2) / math.sqrt(900)),
    ("kaiming_normal_", {"nonlinearity": "relu"}, "normal", math.sqrt(2) / math.sqrt(600)),
    ("kaiming_normal_", {"a": 0.1, "mode": "fan_out"}, "normal",
     math.sqrt(2 / 1.01) / math.sqrt(900)),
])
def test_scaled_inits_follow_torch(name, kwargs, kind, std):
    values = _stats(getattr(init, name), SHAPE, **kwargs)
    np.testing.assert_allclose(values.std(), std, rtol=0.01)
    assert abs(values.mean()) < 0.01 * std
    ref = getattr(torch.nn.init, name)(torch.empty(*SHAPE), **kwargs)
    np.testing.assert_allclose(ref.std().item(), values.std(), rtol=0.02)
    if kind == "uniform":  # torch's bound √3·std, reached but never exceeded
        bound = math.sqrt(3) * std
        assert np.abs(values).max() <= bound * (1 + 1e-6)
        assert np.abs(values).max() > 0.999 * bound
        assert ref.abs().max().item() <= bound * (1 + 1e-6)


def test_uniform_normal_constant_ones_zeros_eye():
    v = _stats(init.uniform_, (100_000,), a=-2.0, b=3.0)
    assert v.min() >= -2 and v.max() < 3 and abs(v.mean() - 0.5) < 0.02
    v = _stats(init.normal_, (100_000,), mean=1.0, std=0.5)
    assert abs(v.mean() - 1) < 0.01 and abs(v.std() - 0.5) < 0.01
    assert (_stats(init.constant_, (3, 2), val=0.25) == 0.25).all()
    assert (_stats(init.ones_, (3,)) == 1).all() and (_stats(init.zeros_, (3,)) == 0).all()
    np.testing.assert_array_equal(_stats(init.eye_, (3, 4)), torch.nn.init.eye_(
        torch.empty(3, 4)).numpy())
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(deepgrad.empty(2, 2, 2))


def test_dirac_matches_torch():
    np.testing.assert_array_equal(_stats(init.dirac_, (4, 2, 3, 3), groups=2),
                                  torch.nn.init.dirac_(torch.empty(4, 2, 3, 3), groups=2).numpy())


def test_trunc_normal():
    v = _stats(init.trunc_normal_, (200_000,), mean=0.5, std=1.0, a=-1.0, b=1.5)
    ref = torch.nn.init.trunc_normal_(torch.empty(200_000), mean=0.5, std=1.0, a=-1.0, b=1.5)
    assert v.min() >= -1 and v.max() <= 1.5
    np.testing.assert_allclose(v.mean(), ref.mean().item(), atol=0.01)
    np.testing.assert_allclose(v.std(), ref.std().item(), atol=0.01)


@pytest.mark.parametrize("shape", [(5, 8), (8, 5), (4, 3, 2, 2)])
def test_orthogonal(shape):
    v = _stats(init.orthogonal_, shape, gain=2.0).reshape(shape[0], -1).astype(np.float64)
    rows, cols = v.shape
    gram = v @ v.T if rows <= cols else v.T @ v
    np.testing.assert_allclose(gram, 4 * np.eye(min(rows, cols)), atol=1e-5)


def test_inits_leave_autograd_alone_and_are_seeded():
    p = deepgrad.nn.Parameter(deepgrad.empty(4, 4))
    deepgrad.manual_seed(3)
    init.kaiming_uniform_(p)
    first = p.detach().numpy().copy()
    assert p.requires_grad and p.grad_fn is None
    deepgrad.manual_seed(3)
    init.kaiming_uniform_(p)
    np.testing.assert_array_equal(first, p.detach().numpy())
    g = deepgrad.Generator(5)
    init.normal_(p, generator=g)
    np.testing.assert_allclose(p.detach().numpy(), np.random.Generator(
        np.random.PCG64(5)).normal(0, 1, (4, 4)).astype(np.float32))


def test_kaiming_errors_and_empty():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(deepgrad.empty(3, 3), mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(deepgrad.empty(0, 3))


def test_sparse():
    v = _stats(init.sparse_, (10, 6), sparsity=0.3)
    assert ((v == 0).sum(axis=0) >= 3).all()
