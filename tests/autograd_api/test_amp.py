"""deepgrad.amp: autocast (a no-op region) and GradScaler against torch's on the CPU."""

import warnings

import numpy as np
import pytest
import torch

import deepgrad


def _train(lib, scaler_kwargs, inject_inf_at=(), steps=6):
    rng = np.random.default_rng(0)
    w_np, x_np = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
    w = lib.tensor(w_np, requires_grad=True)
    x = lib.tensor(x_np)
    opt = lib.optim.SGD([w], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", **scaler_kwargs)
    scales = []
    for step in range(steps):
        opt.zero_grad()
        with lib.autocast(device_type="cpu", dtype=lib.float16 if lib is torch else None,
                          enabled=False):
            loss = (x @ w).pow(2).mean()
        if step in inject_inf_at:
            loss = loss * float("inf")
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    return w.detach().numpy(), scales, scaler.state_dict()


@pytest.mark.parametrize("kwargs, inf_at", [
    ({}, ()),
    ({"init_scale": 1024.0, "growth_interval": 2}, (3,)),
    ({"init_scale": 8.0, "growth_interval": 1, "backoff_factor": 0.25}, (0, 1)),
])
def test_grad_scaler_matches_torch(kwargs, inf_at):
    w_dg, scales_dg, state_dg = _train(deepgrad, kwargs, inf_at)
    w_th, scales_th, state_th = _train(torch, kwargs, inf_at)
    np.testing.assert_allclose(w_dg, w_th, atol=1e-12)
    assert scales_dg == scales_th
    assert state_dg == state_th


def test_unscale_then_clip_and_errors():
    w = deepgrad.tensor([3.0, 4.0], requires_grad=True)
    opt = deepgrad.optim.SGD([w], lr=1.0)
    scaler = deepgrad.amp.GradScaler("cpu", init_scale=4.0)
    scaler.scale((w * w).sum()).backward()
    assert w.grad.tolist() == [24.0, 32.0]
    scaler.unscale_(opt)
    assert w.grad.tolist() == [6.0, 8.0]
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="after step"):
        scaler.unscale_(opt)
    scaler.update()
    assert w.tolist() == [-3.0, -4.0]


def test_cuda_scaler_disables_itself_like_torch():
    with pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = deepgrad.cuda.amp.GradScaler()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert torch.cuda.amp.GradScaler().is_enabled() is scaler.is_enabled() is False
    loss = deepgrad.tensor(2.0, requires_grad=True)
    assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    w = deepgrad.tensor([1.0], requires_grad=True)
    opt = deepgrad.optim.SGD([w], lr=1.0)
    (w * 2).sum().backward()
    scaler.step(opt)
    scaler.update()
    assert w.tolist() == [-1.0]


def test_autocast_is_a_no_op_region():
    x = deepgrad.ones(2, 2)
    assert not deepgrad.is_autocast_enabled()
    with deepgrad.autocast(device_type="cpu", dtype=deepgrad.float16):
        assert deepgrad.is_autocast_enabled()
        assert (x @ x).dtype == np.float32
    with deepgrad.cuda.amp.autocast():
        assert deepgrad.is_autocast_enabled()
    assert not deepgrad.is_autocast_enabled()

    @deepgrad.amp.autocast("cpu")
    def f():
        return deepgrad.is_autocast_enabled()

    assert f() and not deepgrad.is_autocast_enabled()
    with pytest.raises(ValueError, match="device_type"):
        deepgrad.autocast(device_type=3)


def test_device_amp_modules_import_as_torchs():
    import warnings

    from deepgrad.cpu.amp import autocast as cpu_autocast
    from deepgrad.cuda.amp import GradScaler, autocast

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "CUDA is not available. Disabling", as torch
        assert not GradScaler().is_enabled()
    with autocast(enabled=False), cpu_autocast():
        pass
