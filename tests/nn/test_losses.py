"""Every loss against torch (float64): values and gradients, each reduction and option."""

import warnings

import numpy as np
import pytest
import torch
from helpers import compare

import deepgrad
import deepgrad.nn.functional as F

REDUCTIONS = ["none", "mean", "sum"]
rng = np.random.default_rng(0)


def labels(shape, classes, seed=0):
    return np.random.default_rng(seed).integers(0, classes, size=shape).astype(np.int64)


def fn(lib):
    return deepgrad.nn.functional if lib is deepgrad else torch.nn.functional


def const(lib, a):
    """A constant (no grad) in either library: class weights, pos_weight."""
    return lib.tensor(a)


def nnmod(lib):
    return deepgrad.nn if lib is deepgrad else torch.nn


# ----- cross-entropy -------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_indices(reduction):
    compare(lambda lib, x, t: fn(lib).cross_entropy(x, t, reduction=reduction),
            [(6, 5), labels(6, 5)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_weight_ignore_index(reduction):
    t = labels(8, 4)
    t[[1, 5]] = -100
    w = np.array([0.5, 2.0, 1.0, 3.0])
    compare(lambda lib, x, t: fn(lib).cross_entropy(x, t, weight=const(lib, w),
                                                    reduction=reduction), [(8, 4), t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_label_smoothing(reduction, weighted):
    t = labels(7, 5, seed=3)
    t[2] = 1  # ignore_index below
    w = np.array([0.5, 2.0, 1.0, 3.0, 0.7])

    def f(lib, x, t):
        return fn(lib).cross_entropy(x, t, weight=const(lib, w) if weighted else None,
                                     ignore_index=1, label_smoothing=0.2, reduction=reduction)

    compare(f, [(7, 5), t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_probability_targets(reduction, smoothing):
    probs = rng.dirichlet(np.ones(4), size=6)
    w = np.array([1.0, 0.5, 2.0, 1.5])
    compare(lambda lib, x, p: fn(lib).cross_entropy(x, p, weight=const(lib, w),
                                                    reduction=reduction,
                                                    label_smoothing=smoothing), [(6, 4), probs])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_k_dim(reduction):
    t = labels((2, 3, 4), 5)
    t[0, 1, 2] = -100
    compare(lambda lib, x, t: fn(lib).cross_entropy(x, t, reduction=reduction),
            [(2, 5, 3, 4), t])
    probs = np.moveaxis(rng.dirichlet(np.ones(5), size=(2, 3)), -1, 1)
    compare(lambda lib, x, p: fn(lib).cross_entropy(x, p, reduction=reduction),
            [(2, 5, 3), probs])


def test_cross_entropy_unbatched():
    compare(lambda lib, x, t: fn(lib).cross_entropy(x, t), [(5,), np.array(3)])


def test_cross_entropy_module_and_float32():
    x = rng.standard_normal((4, 3)).astype(np.float32)
    t = np.array([0, 2, 1, 2])
    loss = deepgrad.nn.CrossEntropyLoss(label_smoothing=0.1)(deepgrad.tensor(x),
                                                             deepgrad.tensor(t))
    expected = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(torch.tensor(x), torch.tensor(t))
    assert loss.dtype == deepgrad.float32
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_cross_entropy_extreme_logits_are_finite(scale):
    for dtype in (np.float32, np.float64):
        x = np.array([[scale, 0.0, -scale], [0.0, scale, 1.0]], dtype=dtype)
        t = np.array([2, 0])
        dx = deepgrad.tensor(x, requires_grad=True)
        loss = F.cross_entropy(dx, deepgrad.tensor(t))
        loss.backward()
        tx = torch.tensor(x, requires_grad=True)
        tl = torch.nn.functional.cross_entropy(tx, torch.tensor(t))
        tl.backward()
        assert np.isfinite(loss.item()) and np.isfinite(dx.grad.numpy()).all()
        np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-6)
        np.testing.assert_allclose(dx.grad.numpy(), tx.grad.numpy(), atol=1e-6)


def test_cross_entropy_errors():
    x = deepgrad.randn(4, 3)
    with pytest.raises(IndexError, match=r"Target 3 is out of bounds.*\[0, 2\]"):
        F.cross_entropy(x, deepgrad.tensor([0, 1, 3, 2]))
    with pytest.raises(IndexError, match="Target -1"):
        F.cross_entropy(x, deepgrad.tensor([0, 1, -1, 2]))
    with pytest.raises(RuntimeError, match=r"dtype float32.*class indices.*long\(\)"):
        F.cross_entropy(x, deepgrad.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"batch_size \(4\).*batch_size \(3\)"):
        F.cross_entropy(x, deepgrad.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match=r"weight should be a 1D tensor of 3"):
        F.cross_entropy(x, deepgrad.tensor([0, 1, 2, 1]), weight=deepgrad.ones(4))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, deepgrad.tensor([0, 1, 2, 1]), reduction="avg")
    # torch refuses the same inputs
    with pytest.raises((IndexError, RuntimeError)):
        torch.nn.functional.cross_entropy(torch.randn(4, 3), torch.tensor([0, 1, 3, 2]))


def test_cross_entropy_warns_once_on_probabilities():
    import deepgrad.ops.loss as L

    L._warned_probabilities = False
    probs = deepgrad.softmax(deepgrad.randn(5, 4), dim=1)
    t = deepgrad.tensor([0, 1, 2, 3, 0])
    with pytest.warns(UserWarning, match="looks like probabilities"):
        F.cross_entropy(probs, t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.cross_entropy(probs, t)  # only once
        F.cross_entropy(deepgrad.randn(5, 4), t)  # logits never warn


# ----- NLL ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction):
    t = labels(6, 4)
    t[3] = -100
    w = np.array([1.0, 2.0, 0.5, 1.5])
    compare(lambda lib, x, t: fn(lib).nll_loss(lib.log_softmax(x, 1), t, weight=const(lib, w),
                                               reduction=reduction), [(6, 4), t])
    compare(lambda lib, x, t: fn(lib).nll_loss(x, t, reduction=reduction),
            [(2, 4, 3), labels((2, 3), 4)])


def test_nll_module_matches_cross_entropy():
    x = deepgrad.randn(5, 3)
    t = deepgrad.tensor([0, 2, 1, 1, 0])
    a = deepgrad.nn.NLLLoss()(deepgrad.nn.LogSoftmax(dim=1)(x), t)
    b = deepgrad.nn.CrossEntropyLoss()(x, t)
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-6)


# ----- pointwise --------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kwargs", [("mse_loss", {}), ("l1_loss", {}),
                                         ("smooth_l1_loss", {"beta": 0.5}),
                                         ("smooth_l1_loss", {"beta": 0.0}),
                                         ("huber_loss", {"delta": 0.7})])
def test_pointwise_losses(name, kwargs, reduction):
    compare(lambda lib, x, y: getattr(fn(lib), name)(x, y, reduction=reduction, **kwargs),
            [(4, 5), (4, 5)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_pointwise_weighted(name, reduction):
    w = rng.uniform(0.1, 2, size=(3, 4))
    compare(lambda lib, x, y: getattr(fn(lib), name)(x, y, reduction=reduction,
                                                     weight=const(lib, w)), [(3, 4), (3, 4)])


@pytest.mark.parametrize("cls,kwargs", [("MSELoss", {}), ("L1Loss", {}),
                                        ("SmoothL1Loss", {"beta": 2.0}),
                                        ("HuberLoss", {"delta": 0.3})])
def test_pointwise_modules(cls, kwargs):
    compare(lambda lib, x, y: getattr(nnmod(lib), cls)(**kwargs)(x, y), [(6,), (6,)])


def test_mse_broadcast_warns_like_torch():
    with pytest.warns(UserWarning, match="target size"):  # both warn, same value
        compare(lambda lib, x, y: fn(lib).mse_loss(x, y), [(3, 1), (3,)])
    with pytest.warns(UserWarning, match=r"target size \(3,\).*input size \(3, 1\)"):
        F.mse_loss(deepgrad.randn(3, 1), deepgrad.randn(3))
    with pytest.raises(RuntimeError, match=r"mse_loss.*\(3, 2\).*\(4,\)"), \
            pytest.warns(UserWarning):
        F.mse_loss(deepgrad.randn(3, 2), deepgrad.randn(4))


# ----- binary cross-entropy -------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce(reduction):
    p = rng.uniform(0.05, 0.95, size=(4, 3))
    t = rng.uniform(0, 1, size=(4, 3))
    w = rng.uniform(0.5, 2, size=(3,))
    compare(lambda lib, x, t: fn(lib).binary_cross_entropy(x, t, weight=const(lib, w),
                                                           reduction=reduction), [p, t])
    compare(lambda lib, x, t: nnmod(lib).BCELoss(reduction=reduction)(x, t), [p, t])


def test_bce_clamps_log_at_minus_100():
    x = np.array([0.0, 1.0, 0.5])
    t = np.array([1.0, 0.0, 1.0])
    dl = F.binary_cross_entropy(deepgrad.tensor(x), deepgrad.tensor(t), reduction="none")
    tl = torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(t),
                                                  reduction="none")
    np.testing.assert_allclose(dl.numpy(), tl.numpy())
    assert dl.numpy()[0] == 100
    for bad in ([1.5], [-0.5, 0.5], [0.5, float("nan")], [float("nan")]):
        with pytest.raises(RuntimeError, match="between 0 and 1"):
            F.binary_cross_entropy(deepgrad.tensor(bad), deepgrad.tensor([1.0] * len(bad)))
    with pytest.raises(ValueError, match="same size"):
        F.binary_cross_entropy(deepgrad.tensor([0.5, 0.5]), deepgrad.tensor([[1.0, 0.0]]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits(reduction):
    t = rng.uniform(0, 1, size=(5, 3))
    w = rng.uniform(0.5, 2, size=(5, 3))
    pw = np.array([0.5, 2.0, 3.0])
    compare(lambda lib, x, t: fn(lib).binary_cross_entropy_with_logits(x, t, reduction=reduction),
            [(5, 3), t], low=-6, high=6)
    compare(lambda lib, x, t: fn(lib).binary_cross_entropy_with_logits(
        x, t, weight=const(lib, w), pos_weight=const(lib, pw), reduction=reduction),
        [(5, 3), t], low=-6, high=6)
    compare(lambda lib, x, t: nnmod(lib).BCEWithLogitsLoss(pos_weight=const(lib, pw),
                                                           reduction=reduction)(x, t), [(5, 3), t])


def test_bce_with_logits_extreme_values():
    x = np.array([1e4, -1e4, 1e4, -1e4, 0.0], dtype=np.float32)
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0], dtype=np.float32)
    pw = np.array([2.0], dtype=np.float32)
    for kwargs in ({}, {"pos_weight": pw}):
        dx = deepgrad.tensor(x, requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(
            dx, deepgrad.tensor(t), reduction="sum",
            **{k: deepgrad.tensor(v) for k, v in kwargs.items()})
        loss.backward()
        tx = torch.tensor(x, requires_grad=True)
        tl = torch.nn.functional.binary_cross_entropy_with_logits(
            tx, torch.tensor(t), reduction="sum",
            **{k: torch.tensor(v) for k, v in kwargs.items()})
        tl.backward()
        assert np.isfinite(loss.item()) and np.isfinite(dx.grad.numpy()).all()
        np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-6)
        np.testing.assert_allclose(dx.grad.numpy(), tx.grad.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match=r"Target size \(2,\) must be the same as input size"):
        F.binary_cross_entropy_with_logits(deepgrad.randn(2, 1), deepgrad.randn(2))


# ----- KL divergence ----------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    p = rng.dirichlet(np.ones(4), size=3)
    target = np.log(p) if log_target else p
    compare(lambda lib, x, t: fn(lib).kl_div(lib.log_softmax(x, 1), t, reduction=reduction,
                                             log_target=log_target), [(3, 4), target])
    compare(lambda lib, x, t: nnmod(lib).KLDivLoss(reduction=reduction,
                                                   log_target=log_target)(x, t),
            [(3, 4), target], grad=log_target)


def test_kl_div_zero_target_contributes_zero():
    p = np.array([[0.0, 0.5, 0.5]])
    compare(lambda lib, x: fn(lib).kl_div(x, lib.tensor(p), reduction="sum"), [(1, 3)])


def test_kl_div_mean_warns_like_torch():
    with pytest.warns(UserWarning, match="batchmean"):
        compare(lambda lib, x, t: fn(lib).kl_div(x, t), [(2, 3), rng.dirichlet(np.ones(3), 2)])


def test_legacy_size_average_reduce():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        compare(lambda lib, x, y: fn(lib).mse_loss(x, y, size_average=False), [(3, 2), (3, 2)])
    with pytest.warns(UserWarning, match="reduction='none'"):
        compare(lambda lib, x, y: fn(lib).l1_loss(x, y, reduce=False), [(3, 2), (3, 2)])


def test_loss_module_reprs_match_torch():
    for name in ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss",
                 "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "KLDivLoss"]:
        assert repr(getattr(deepgrad.nn, name)()) == repr(getattr(torch.nn, name)())
