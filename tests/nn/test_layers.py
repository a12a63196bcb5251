"""Layers against torch (float64, the same weights copied into both), plus run_layer_test."""

import math

import numpy as np
import pytest
import torch
from nn_layer_check import run_layer_test

import deepgrad
from deepgrad import nn

rng = np.random.default_rng(0)


def copy_params(dg_module, th_module):
    """Give the torch module deepgrad's parameters (by state_dict key)."""
    state = {k: torch.tensor(v.numpy()) for k, v in dg_module.state_dict().items()}
    th_module.load_state_dict(state)


def check_module(dg_module, th_module, *input_shapes, atol=1e-10):
    dg_module.double()
    th_module.double()
    copy_params(dg_module, th_module)
    arrays = [rng.standard_normal(s) for s in input_shapes]
    dx = [deepgrad.tensor(a, requires_grad=True) for a in arrays]
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    dy, ty = dg_module(*dx), th_module(*tx)
    np.testing.assert_allclose(dy.detach().numpy(), ty.detach().numpy(), atol=atol)
    upstream = rng.standard_normal(ty.shape)
    (dy * deepgrad.tensor(upstream)).sum().backward()
    (ty * torch.tensor(upstream)).sum().backward()
    for d, t in zip(dx, tx):
        np.testing.assert_allclose(d.grad.numpy(), t.grad.numpy(), atol=atol)
    th_params = dict(th_module.named_parameters())
    for name, p in dg_module.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), th_params[name].grad.numpy(), atol=atol,
                                   err_msg=name)


# ----- Linear --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 3, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias):
    check_module(nn.Linear(5, 3, bias=bias), torch.nn.Linear(5, 3, bias=bias), shape)


def test_linear_default_init_is_torchs():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=√5) gives exactly 1/√fan_in
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert layer.weight.dtype == np.float32 and w.shape == (300, 400)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.01)
    assert abs(w.mean()) < 0.002
    assert np.abs(b).max() <= bound
    th = torch.nn.Linear(400, 300)
    assert th.weight.abs().max().item() <= bound  # the same bound in torch
    np.testing.assert_allclose(th.weight.std().item(), w.std(), rtol=0.02)


def test_linear_repr_and_state_dict_keys_match_torch():
    dg = nn.Linear(3, 2, bias=False)
    th = torch.nn.Linear(3, 2, bias=False)
    assert repr(dg) == repr(th)
    assert list(nn.Linear(3, 2).state_dict()) == ["weight", "bias"]


def test_linear_width_error_names_module_path():
    model = nn.Sequential()
    model.add_module("features", nn.Sequential(nn.Linear(8, 6), nn.ReLU()))
    model.add_module("classifier", nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(4, 2)))
    with pytest.raises(RuntimeError, match=r"classifier\.2.*\(3, 5\).*\(2, 4\).*in_features=4"):
        model(deepgrad.randn(3, 8))


def test_linear_runs_layer_test():
    run_layer_test(nn.Linear, {"in_features": 4, "out_features": 3}, (2, 4), (2, 3),
                   expected_num_params=15)
    run_layer_test(nn.Linear, {"in_features": 4, "out_features": 3, "bias": False}, (2, 5, 4),
                   (2, 5, 3), expected_num_params=12)


def test_linear_float32_end_to_end():
    layer = nn.Linear(4, 3)
    x = deepgrad.randn(2, 4)
    y = layer(x)
    y.sum().backward()
    assert y.dtype == np.float32 and layer.weight.grad.dtype == np.float32
    assert layer.bias.grad.dtype == np.float32


def test_bilinear_matches_torch():
    check_module(nn.Bilinear(3, 4, 2), torch.nn.Bilinear(3, 4, 2), (5, 3), (5, 4))
    check_module(nn.Bilinear(3, 4, 2, bias=False), torch.nn.Bilinear(3, 4, 2, bias=False),
                 (2, 5, 3), (2, 5, 4))
    assert repr(nn.Bilinear(3, 4, 2)) == repr(torch.nn.Bilinear(3, 4, 2))
    layer = nn.Bilinear(9, 4, 2)
    assert np.abs(layer.weight.detach().numpy()).max() <= 1 / 3
    run_layer_test(nn.Bilinear, {"in1_features": 3, "in2_features": 3, "out_features": 2},
                   (4, 3), (4, 2), expected_num_params=20, num_inputs=2)


# ----- Maxout (not in torch: NumPy reference + finite differences) --------------------------
def test_maxout_numpy_reference_and_gradcheck():
    layer = nn.Maxout(4, 3, pool_size=5).double()
    x = rng.standard_normal((6, 4))
    out = layer(deepgrad.tensor(x)).detach().numpy()
    assert out.shape == (6, 3)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    pieces = (x @ w.T + b).reshape(6, 3, 5)
    np.testing.assert_allclose(out, pieces.max(axis=-1), atol=1e-12)
    xt = deepgrad.tensor(x, requires_grad=True)
    assert deepgrad.autograd.gradcheck(lambda x, w, b: deepgrad.nn.functional.maxout(x, w, b, 5),
                                       (xt, layer.weight, layer.bias))
    run_layer_test(nn.Maxout, {"in_features": 4, "out_features": 3, "pool_size": 2}, (5, 4),
                   (5, 3), expected_num_params=4 * 6 + 6)
    assert repr(nn.Maxout(4, 3, 2)) == \
        "Maxout(in_features=4, out_features=3, pool_size=2, bias=True)"


def test_maxout_with_pool_size_one_is_linear():
    layer = nn.Maxout(4, 3, pool_size=1)
    x = deepgrad.randn(2, 4)
    expected = deepgrad.nn.functional.linear(x, layer.weight, layer.bias)
    np.testing.assert_allclose(layer(x).detach().numpy(), expected.detach().numpy())


# ----- activations ------------------------------------------------------------------------------
ACTIVATIONS = [("Sigmoid", {}), ("Tanh", {}), ("ReLU", {}), ("ReLU6", {}), ("LeakyReLU", {}),
               ("LeakyReLU", {"negative_slope": 0.1}), ("ELU", {"alpha": 0.5}), ("GELU", {}),
               ("GELU", {"approximate": "tanh"}), ("SiLU", {}), ("Softplus", {"beta": 2.0}),
               ("Hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("Softmax", {"dim": 1}),
               ("LogSoftmax", {"dim": -1}), ("Softmax", {"dim": 0})]


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS)
def test_activation_modules_match_torch(name, kwargs):
    check_module(getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs), (4, 5),
                 atol=1e-9)
    assert repr(getattr(nn, name)(**kwargs)) == repr(getattr(torch.nn, name)(**kwargs))


@pytest.mark.parametrize("name", ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SiLU", "Hardtanh"])
def test_activation_inplace_repr(name):
    assert repr(getattr(nn, name)(inplace=True)) == repr(getattr(torch.nn, name)(inplace=True))


def test_relu6_scale():
    x = deepgrad.tensor([-1.0, 3.0, 7.0])
    np.testing.assert_array_equal(nn.ReLU6()(x).numpy(), [0.0, 3.0, 6.0])


# ----- Flatten / Unflatten / Identity ----------------------------------------------------------
def test_flatten_unflatten_identity():
    check_module(nn.Flatten(), torch.nn.Flatten(), (2, 3, 4))
    check_module(nn.Flatten(0, 1), torch.nn.Flatten(0, 1), (2, 3, 4))
    check_module(nn.Unflatten(1, (2, 6)), torch.nn.Unflatten(1, (2, 6)), (3, 12))
    check_module(nn.Unflatten(-1, (3, -1)), torch.nn.Unflatten(-1, (3, -1)), (2, 12))
    assert repr(nn.Flatten()) == repr(torch.nn.Flatten())
    assert repr(nn.Unflatten(1, (2, 5))) == repr(torch.nn.Unflatten(1, (2, 5)))
    x = deepgrad.randn(3)
    assert nn.Identity(54, unused="x")(x) is x
    assert repr(nn.Identity()) == repr(torch.nn.Identity())


# ----- Dropout ---------------------------------------------------------------------------------
def test_dropout_train_scales_and_eval_is_identity():
    layer = nn.Dropout(0.25)
    x = deepgrad.ones(200, 500, requires_grad=True)
    y = layer(x)
    values = y.detach().numpy()
    assert y.dtype == np.float32
    assert set(np.unique(values)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((values == 0).mean() - 0.25) < 0.01  # ~100k draws
    assert abs(values.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)  # gradient = the scaled mask
    layer.eval()
    assert layer(x) is x
    assert nn.functional.dropout(x, 0.5, training=False) is x


def test_dropout_edge_cases_and_errors():
    x = deepgrad.randn(10, 10)
    assert (nn.Dropout(1.0)(x).numpy() == 0).all()
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.functional.dropout(x, -0.1)
    assert repr(nn.Dropout(0.3)) == repr(torch.nn.Dropout(0.3))


def test_dropout_reproducible_from_manual_seed():
    x = deepgrad.ones(50)
    deepgrad.manual_seed(7)
    a = nn.functional.dropout(x, 0.5).numpy()
    deepgrad.manual_seed(7)
    b = nn.functional.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    g = deepgrad.Generator(7)
    c = nn.functional.dropout(x, 0.5, generator=g).numpy()
    np.testing.assert_array_equal(a, c)


def test_dropout2d_drops_whole_channels():
    x = deepgrad.ones(8, 16, 3, 3)
    y = nn.Dropout2d(0.5)(x).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert (per_channel == per_channel[..., :1]).all()  # constant within a feature map
    assert set(np.unique(y)) == {0.0, 2.0}
    assert repr(nn.Dropout2d(0.5)) == repr(torch.nn.Dropout2d(0.5))
    with pytest.raises(RuntimeError, match="dropout2d"):
        nn.functional.dropout2d(deepgrad.ones(3, 3), 0.5)


def test_alpha_dropout_keeps_mean_and_variance():
    x = deepgrad.randn(200_000)
    y = nn.AlphaDropout(0.2)(x).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    ref = torch.nn.AlphaDropout(0.2)(torch.randn(200_000))
    assert abs(ref.std().item() - y.std()) < 0.02
