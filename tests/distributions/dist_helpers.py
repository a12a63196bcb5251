"""Build a distribution in deepgrad and in torch and compare methods and gradients."""

import numpy as np
import torch

import deepgrad
from deepgrad import distributions as D

RNG = np.random.default_rng(0)


def _pair(array, grad=True):
    array = np.asarray(array, dtype=np.float64)
    return (deepgrad.tensor(array, requires_grad=grad), torch.tensor(array, requires_grad=grad))


def _close(d, t, atol=1e-9):
    d_np = d.detach().numpy() if isinstance(d, deepgrad.Tensor) else np.asarray(d)
    t_np = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    assert d_np.shape == t_np.shape, f"shape {d_np.shape} != torch {t_np.shape}"
    np.testing.assert_allclose(d_np, t_np, atol=atol, rtol=1e-9)


def _check(make, params, values, methods=("log_prob", "entropy", "mean", "variance"),
           atol=1e-9):
    """Build the distribution from ``params`` in both libraries, compare each method and the
    gradients of a weighted sum of all of them with respect to every parameter."""
    pairs = [_pair(p) for p in params]
    dg_dist = make(D, *[p[0] for p in pairs])
    th_dist = make(torch.distributions, *[p[1] for p in pairs])
    assert tuple(dg_dist.batch_shape) == tuple(th_dist.batch_shape)
    assert tuple(dg_dist.event_shape) == tuple(th_dist.event_shape)
    total_dg, total_th = 0, 0
    for name in methods:
        if name == "log_prob":
            v_dg, v_th = deepgrad.tensor(values), torch.tensor(values)
            out_dg, out_th = dg_dist.log_prob(v_dg), th_dist.log_prob(v_th)
        elif name in ("entropy",):
            out_dg, out_th = getattr(dg_dist, name)(), getattr(th_dist, name)()
        else:
            out_dg, out_th = getattr(dg_dist, name), getattr(th_dist, name)
        _close(out_dg, out_th, atol)
        weights = RNG.standard_normal(tuple(out_th.shape))
        total_dg = total_dg + (out_dg * deepgrad.tensor(weights)).sum()
        total_th = total_th + (out_th * torch.tensor(weights)).sum()
    if not methods:
        return
    total_dg.backward()
    total_th.backward()
    for i, (d, t) in enumerate(pairs):
        assert d.grad is not None, f"parameter {i}: no gradient"
        _close(d.grad, t.grad, atol)
