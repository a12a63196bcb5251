"""nn.utils.prune against torch (same float64 weights): masks, state keys, forward, gradients,
iterative and global pruning, remove."""

import numpy as np
import pytest
import torch
import torch.nn.utils.prune  # noqa: F401  (a submodule torch does not import itself)

import deepgrad
from deepgrad import nn
from deepgrad.nn.utils import prune


def pair(*shape, seed=0):
    rng = np.random.default_rng(seed)
    th = torch.nn.Linear(*shape).double()
    dg = nn.Linear(*shape).double()
    w, b = rng.standard_normal((shape[1], shape[0])), rng.standard_normal(shape[1])
    with torch.no_grad():
        th.weight.copy_(torch.tensor(w))
        th.bias.copy_(torch.tensor(b))
    dg.load_state_dict({"weight": deepgrad.tensor(w), "bias": deepgrad.tensor(b)})
    return dg, th


def check_same(dg, th):
    assert list(dg.state_dict()) == list(th.state_dict())
    for k, v in th.state_dict().items():
        np.testing.assert_allclose(dg.state_dict()[k].numpy(), v.numpy(), atol=0)
    x = np.random.default_rng(1).standard_normal((3, dg.in_features))
    yd, yt = dg(deepgrad.tensor(x)), th(torch.tensor(x))
    np.testing.assert_allclose(yd.detach().numpy(), yt.detach().numpy(), atol=1e-12)
    yd.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(dg.weight_orig.grad.numpy(), th.weight_orig.grad.numpy(),
                               atol=1e-12)


@pytest.mark.parametrize("amount", [0.3, 5, 0])
def test_l1_unstructured_matches_torch(amount):
    dg, th = pair(4, 5)
    assert prune.l1_unstructured(dg, "weight", amount=amount) is dg
    torch.nn.utils.prune.l1_unstructured(th, "weight", amount=amount)
    check_same(dg, th)
    assert prune.is_pruned(dg)


def test_iterative_pruning_prunes_among_survivors():
    dg, th = pair(4, 6)
    for lib, m in ((prune, dg), (torch.nn.utils.prune, th)):
        lib.l1_unstructured(m, "weight", amount=0.25)
        lib.l1_unstructured(m, "weight", amount=3)
        lib.l1_unstructured(m, "bias", amount=2)
    check_same(dg, th)
    assert int((dg.weight_mask.numpy() == 0).sum()) == 6 + 3


def test_importance_scores_and_custom_mask():
    dg, th = pair(3, 3)
    scores = np.arange(9.0).reshape(3, 3)[::-1].copy()
    prune.l1_unstructured(dg, "weight", amount=4, importance_scores=deepgrad.tensor(scores))
    torch.nn.utils.prune.l1_unstructured(th, "weight", amount=4,
                                         importance_scores=torch.tensor(scores))
    mask = np.eye(3)
    prune.custom_from_mask(dg, "bias", deepgrad.tensor(mask[0]))
    torch.nn.utils.prune.custom_from_mask(th, "bias", torch.tensor(mask[0]))
    check_same(dg, th)


def test_global_unstructured_matches_torch():
    (d1, t1), (d2, t2) = pair(4, 3, seed=2), pair(3, 5, seed=3)
    prune.global_unstructured([(d1, "weight"), (d2, "weight")],
                              pruning_method=prune.L1Unstructured, amount=0.4)
    torch.nn.utils.prune.global_unstructured([(t1, "weight"), (t2, "weight")],
                                             pruning_method=torch.nn.utils.prune.L1Unstructured,
                                             amount=0.4)
    check_same(d1, t1)
    check_same(d2, t2)


def test_remove_identity_random():
    dg, th = pair(4, 5)
    for lib, m in ((prune, dg), (torch.nn.utils.prune, th)):
        lib.l1_unstructured(m, "weight", amount=7)
        lib.remove(m, "weight")
    assert list(dg.state_dict()) == list(th.state_dict())
    assert isinstance(dg.weight, nn.Parameter) and not prune.is_pruned(dg)
    np.testing.assert_allclose(dg.weight.detach().numpy(), th.weight.detach().numpy())
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(dg, "weight")
    prune.identity(dg, "bias")
    assert float(dg.bias_mask.sum()) == 5
    prune.random_unstructured(dg, "weight", amount=0.5)
    assert int((dg.weight_mask.numpy() == 0).sum()) == 10
    with pytest.raises(ValueError):
        prune.l1_unstructured(nn.Linear(2, 2), "weight", amount=1.5)
    with pytest.raises(TypeError):
        prune.l1_unstructured(nn.Linear(2, 2), "weight", amount="x")
