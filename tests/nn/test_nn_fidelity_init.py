"""nn.init against torch: the deprecated un-underscored aliases, gains, deterministic fills,
and the statistics of the random ones."""

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import nn

ALIASES = ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
           "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]


@pytest.mark.parametrize("name", ALIASES)
def test_deprecated_alias_warns_and_fills(name):
    args = {"constant": (0.5,), "sparse": (0.5,)}.get(name, ())
    shape = (3, 4, 3) if name == "dirac" else (4, 4)
    t = deepgrad.zeros(*shape)
    with pytest.warns(FutureWarning, match=f"nn.init.{name}` is now deprecated in favor of "
                                           f"`nn.init.{name}_"):
        out = getattr(nn.init, name)(t, *args)
    assert out is t and getattr(nn.init, name).__name__ == name
    if name in ("constant", "eye", "dirac"):
        ref = getattr(torch.nn.init, name + "_")(torch.zeros(*shape), *args)
        np.testing.assert_array_equal(t.numpy(), ref.numpy())


@pytest.mark.parametrize("nonlinearity,param", [("linear", None), ("conv2d", None),
                                                ("conv_transpose3d", None), ("sigmoid", None),
                                                ("tanh", None), ("relu", None),
                                                ("leaky_relu", None), ("leaky_relu", 0.2),
                                                ("selu", None)])
def test_calculate_gain(nonlinearity, param):
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), abs=0)


def test_calculate_gain_errors():
    for bad in (("foo", None), ("leaky_relu", "x")):
        with pytest.raises(ValueError):
            torch.nn.init.calculate_gain(*bad)
        with pytest.raises(ValueError):
            nn.init.calculate_gain(*bad)


def test_deterministic_fills_match_torch():
    for groups in (1, 2):
        d = nn.init.dirac_(deepgrad.zeros(4, 2, 3, 3), groups=groups)
        t = torch.nn.init.dirac_(torch.zeros(4, 2, 3, 3), groups=groups)
        np.testing.assert_array_equal(d.numpy(), t.numpy())
    np.testing.assert_array_equal(nn.init.eye_(deepgrad.zeros(3, 5)).numpy(),
                                  torch.nn.init.eye_(torch.zeros(3, 5)).numpy())


def test_random_fills_statistics_and_generator():
    w = nn.init.trunc_normal_(deepgrad.zeros(200, 200, dtype=deepgrad.float64), 0.0, 1.0, -0.5,
                              1.0)
    a = w.numpy()
    assert a.min() >= -0.5 and a.max() <= 1.0
    q = nn.init.orthogonal_(deepgrad.zeros(6, 4, dtype=deepgrad.float64), gain=2.0).numpy()
    np.testing.assert_allclose(q.T @ q, 4 * np.eye(4), atol=1e-10)
    s = nn.init.sparse_(deepgrad.zeros(10, 6), 0.3).numpy()
    assert ((s == 0).sum(axis=0) == 3).all()
    g1, g2 = deepgrad.Generator().manual_seed(3), deepgrad.Generator().manual_seed(3)
    x = nn.init.kaiming_normal_(deepgrad.zeros(50, 40), generator=g1).numpy()
    y = nn.init.kaiming_normal_(deepgrad.zeros(50, 40), generator=g2).numpy()
    np.testing.assert_array_equal(x, y)
    assert abs(x.std() - np.sqrt(2 / 40)) < 0.02
