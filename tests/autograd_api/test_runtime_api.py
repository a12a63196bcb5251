"""deepgrad.cuda, deepgrad.backends, compile and deterministic flags: torch's CPU-only
answers, so device-agnostic scripts run unchanged."""

import numpy as np
import pytest
import torch

import deepgrad


@pytest.mark.parametrize("name", ["is_available", "device_count", "is_initialized",
                                  "memory_allocated", "max_memory_allocated",
                                  "is_bf16_supported", "empty_cache", "seed"])
def test_cuda_answers_like_cpu_only_torch(name):
    assert getattr(deepgrad.cuda, name)() == getattr(torch.cuda, name)()


@pytest.mark.parametrize("name", ["current_device", "get_device_name", "init"])
def test_cuda_device_queries_raise_like_torch(name):
    with pytest.raises(AssertionError):
        getattr(torch.cuda, name)()
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        getattr(deepgrad.cuda, name)()


def test_cuda_seeding_and_synchronize_are_no_ops():
    deepgrad.manual_seed(5)
    a = deepgrad.randn(3)
    deepgrad.manual_seed(5)
    assert deepgrad.cuda.manual_seed(123) is None
    assert deepgrad.cuda.manual_seed_all(123) is None
    assert deepgrad.cuda.synchronize() is None
    np.testing.assert_array_equal(deepgrad.randn(3).numpy(), a.numpy())  # CPU stream untouched


def test_device_agnostic_script():
    device = "cuda" if deepgrad.cuda.is_available() else \
        "mps" if deepgrad.backends.mps.is_available() else "cpu"
    assert device == "cpu"
    model = deepgrad.nn.Linear(3, 2).to(device)
    assert model(deepgrad.ones(1, 3).to(device)).shape == (1, 2)


def test_backends_flags():
    assert deepgrad.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert deepgrad.backends.mps.is_built() is False
    assert deepgrad.backends.cudnn.is_available() is torch.backends.cudnn.is_available()
    for flag in ("benchmark", "deterministic", "enabled", "allow_tf32"):
        assert getattr(deepgrad.backends.cudnn, flag) == getattr(torch.backends.cudnn, flag)
    assert deepgrad.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    try:
        deepgrad.backends.cudnn.benchmark = True
        deepgrad.backends.cudnn.deterministic = True
        import deepgrad.backends.cudnn as cudnn

        assert cudnn.benchmark is True and cudnn.deterministic is True
    finally:
        deepgrad.backends.cudnn.benchmark = False
        deepgrad.backends.cudnn.deterministic = False


def test_deterministic_algorithms():
    assert deepgrad.are_deterministic_algorithms_enabled() is False
    try:
        deepgrad.use_deterministic_algorithms(True, warn_only=True)
        assert deepgrad.are_deterministic_algorithms_enabled() is True
        assert deepgrad.is_deterministic_algorithms_warn_only_enabled() is True
    finally:
        deepgrad.use_deterministic_algorithms(False)
    assert deepgrad.are_deterministic_algorithms_enabled() is False
    with pytest.raises(TypeError):
        deepgrad.use_deterministic_algorithms("yes")
    assert deepgrad.get_float32_matmul_precision() == "highest"
    deepgrad.set_float32_matmul_precision("high")
    assert deepgrad.get_float32_matmul_precision() == "high"
    deepgrad.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError):
        deepgrad.set_float32_matmul_precision("fast")


def test_compile_returns_the_model_unchanged():
    model = deepgrad.nn.Linear(3, 2)
    compiled = deepgrad.compile(model, mode="reduce-overhead", fullgraph=True)
    assert compiled is model

    def f(x):
        return x.sin() + 1

    assert deepgrad.compile(f) is f

    @deepgrad.compile(dynamic=True)
    def g(x):
        return x * 2

    assert g(deepgrad.tensor(3.0)).item() == 6.0
    with pytest.raises(RuntimeError, match="Either mode or options"):
        deepgrad.compile(f, mode="default", options={})


def test_cpu_accelerator_mps_modules_answer_like_torch():
    for name in ("is_available", "device_count", "current_device"):
        assert getattr(deepgrad.cpu, name)() == getattr(torch.cpu, name)()
    assert deepgrad.cpu.synchronize() is None
    with deepgrad.cpu.amp.autocast():
        assert deepgrad.is_autocast_enabled()
    assert deepgrad.accelerator.is_available() is torch.accelerator.is_available() is False
    assert deepgrad.accelerator.current_accelerator() is None
    assert deepgrad.accelerator.device_count() == torch.accelerator.device_count() == 0
    device = deepgrad.accelerator.current_accelerator() or "cpu"
    assert deepgrad.ones(2).to(device).tolist() == [1.0, 1.0]
    assert deepgrad.mps.device_count() == torch.mps.device_count() == 0
    with pytest.raises(RuntimeError) as th_error:
        torch.mps.synchronize()
    with pytest.raises(RuntimeError) as dg_error:
        deepgrad.mps.synchronize()
    assert str(dg_error.value) == str(th_error.value)
