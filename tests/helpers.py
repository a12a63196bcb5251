"""Run the same computation in deepgrad and in torch and compare forward and gradients.

    compare(lambda lib, x, y: lib.matmul(x, y), [(2, 3), (3, 4)])

``lib`` is the ``deepgrad`` or ``torch`` module, so a test is one line whenever the APIs agree.
Inputs are float64 random arrays (or given arrays); gradients are compared for every float
input, using a random upstream gradient so that sums don't hide errors.
"""

import numpy as np
import torch

import deepgrad


def _make_inputs(specs, rng, low, high):
    arrays = []
    for spec in specs:
        if isinstance(spec, np.ndarray):
            arrays.append(spec)
        else:
            arrays.append(rng.uniform(low, high, size=spec).astype(np.float64))
    return arrays


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, deepgrad.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def compare(fn, specs, *, seed=0, low=-2.0, high=2.0, atol=1e-6, rtol=1e-6, grad=True,
            upstream=True, check_dtype=True):
    """Check ``fn(deepgrad, *xs)`` against ``fn(torch, *xs)``: values, dtypes, gradients."""
    rng = np.random.default_rng(seed)
    arrays = _make_inputs(specs, rng, low, high)
    dg_inputs = [deepgrad.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    th_inputs = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    dg_out = fn(deepgrad, *dg_inputs)
    th_out = fn(torch, *th_inputs)
    dg_outs = dg_out if isinstance(dg_out, (tuple, list)) else (dg_out,)
    th_outs = th_out if isinstance(th_out, (tuple, list)) else (th_out,)
    assert len(dg_outs) == len(th_outs)
    for d, t in zip(dg_outs, th_outs):
        d_np, t_np = to_numpy(d), to_numpy(t)
        assert d_np.shape == t_np.shape, f"shape {d_np.shape} != torch {t_np.shape}"
        if check_dtype:
            assert str(d_np.dtype) == str(t_np.dtype), f"dtype {d_np.dtype} != torch {t_np.dtype}"
        np.testing.assert_allclose(d_np, t_np, atol=atol, rtol=rtol)
    if not grad:
        return dg_outs
    total_dg, total_th = 0, 0
    for d, t in zip(dg_outs, th_outs):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            weights = rng.standard_normal(t.shape) if upstream else np.ones(t.shape)
            total_dg = total_dg + (d * deepgrad.tensor(weights)).sum()
            total_th = total_th + (t * torch.tensor(weights)).sum()
    if not isinstance(total_th, torch.Tensor):
        return dg_outs
    total_dg.backward()
    total_th.backward()
    for i, (d, t) in enumerate(zip(dg_inputs, th_inputs)):
        if t.grad is None:
            assert d.grad is None or np.allclose(d.grad.numpy(), 0), f"input {i}: unexpected grad"
            continue
        assert d.grad is not None, f"input {i}: deepgrad computed no gradient"
        assert d.grad.shape == tuple(t.grad.shape)
        np.testing.assert_allclose(d.grad.numpy(), t.grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {i}")
    return dg_outs


def compare_raises(fn, specs, exception=Exception, match=None, seed=0):
    """Both frameworks must refuse the input; deepgrad's message must match ``match``."""
    import pytest

    rng = np.random.default_rng(seed)
    arrays = _make_inputs(specs, rng, -1, 1)
    with pytest.raises(Exception):  # noqa: B017 -- torch's error types vary by op
        fn(torch, *[torch.tensor(a) for a in arrays])
    with pytest.raises(exception, match=match):
        fn(deepgrad, *[deepgrad.tensor(a) for a in arrays])
