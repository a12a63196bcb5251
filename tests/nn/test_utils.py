"""nn.utils: gradient clipping and parameter vectors against torch."""

import math

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import nn


def twin_params(seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    shapes = [(4, 3), (3,), (2, 2, 2)]
    values = [rng.standard_normal(s) for s in shapes]
    grads = [scale * rng.standard_normal(s) for s in shapes]
    dg, th = [], []
    for v, g in zip(values, grads):
        p = nn.Parameter(deepgrad.tensor(v))
        p.grad = deepgrad.tensor(g)
        dg.append(p)
        q = torch.nn.Parameter(torch.tensor(v))
        q.grad = torch.tensor(g)
        th.append(q)
    return dg, th


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    dg, th = twin_params()
    total = nn.utils.clip_grad_norm_(dg, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(th, max_norm, norm_type=norm_type)
    assert isinstance(total, deepgrad.Tensor) and total.ndim == 0
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-10)
    for p, q in zip(dg, th):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10)


def test_clip_grad_norm_single_tensor_none_grads_and_nonfinite():
    p = nn.Parameter(deepgrad.ones(3))
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == 0.0  # no grads yet
    p.grad = deepgrad.tensor([3.0, 4.0, 0.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0.0], rtol=1e-5)
    assert p.grad.dtype == np.float32
    p.grad = deepgrad.tensor([float("nan"), 1.0, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch():
    dg, th = twin_params()
    assert nn.utils.clip_grad_value_(dg, 0.7) is None
    torch.nn.utils.clip_grad_value_(th, 0.7)
    for p, q in zip(dg, th):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_get_total_norm_and_clip_with_norm():
    dg, th = twin_params()
    total = nn.utils.get_total_norm([p.grad for p in dg])
    expected = torch.nn.utils.get_total_norm([q.grad for q in th])
    np.testing.assert_allclose(total.item(), expected.item())
    nn.utils.clip_grads_with_norm_(dg, 1.0, total)
    torch.nn.utils.clip_grads_with_norm_(th, 1.0, expected)
    for p, q in zip(dg, th):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy())


def test_parameters_to_vector_and_back():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = nn.utils.parameters_to_vector(model.parameters())
    th = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    th.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    np.testing.assert_array_equal(vec.detach().numpy(),
                                  torch.nn.utils.parameters_to_vector(th.parameters()).detach())
    vec.sum().backward()  # differentiable, like torch
    assert (model[0].weight.grad.numpy() == 1).all()
    new = deepgrad.arange(11, dtype=deepgrad.float32)
    nn.utils.vector_to_parameters(new, model.parameters())
    np.testing.assert_array_equal(model[0].weight.detach().numpy(),
                                  np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(model[1].bias.detach().numpy(), [10.0])
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        nn.utils.vector_to_parameters(np.zeros(11), model.parameters())
    with pytest.raises(RuntimeError, match="11 elements"):
        nn.utils.vector_to_parameters(deepgrad.zeros(5), model.parameters())


def test_utils_submodules_import_lazily():
    import deepgrad.nn.utils as utils

    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        _ = utils.nonexistent
