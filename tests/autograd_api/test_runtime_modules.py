"""deepgrad.jit / compiler (pass-throughs), random.fork_rng, and profiler region timings."""

import time

import numpy as np
import pytest
import torch

import deepgrad


def test_jit_passes_models_through():
    model = deepgrad.nn.Linear(2, 2)
    assert deepgrad.jit.script(model) is model
    assert deepgrad.jit.trace(model, deepgrad.ones(1, 2)) is model

    @deepgrad.jit.ignore
    def f(x):
        return x + 1

    @deepgrad.jit.ignore(drop=True)
    def g(x):
        return x * 2

    assert f(1) == 2 and g(2) == 4
    assert deepgrad.jit.is_scripting() is torch.jit.is_scripting() is False
    assert deepgrad.jit.annotate(list, [1]) == [1]
    with pytest.raises(NotImplementedError, match="deepgrad.save"):
        deepgrad.jit.save(model, "m.pt")


def test_compiler_switches():
    def f(x):
        return x

    assert deepgrad.compiler.disable(f) is f
    assert deepgrad.compiler.disable()(f) is f
    assert deepgrad.compiler.is_compiling() is torch.compiler.is_compiling() is False


def test_fork_rng_restores_the_stream():
    deepgrad.manual_seed(3)
    with deepgrad.random.fork_rng():
        inside = deepgrad.rand(3).numpy()
    after = deepgrad.rand(3).numpy()
    np.testing.assert_array_equal(inside, after)  # the block's draws did not advance it
    with deepgrad.random.fork_rng(enabled=False):
        deepgrad.rand(1)
    assert not np.array_equal(deepgrad.rand(3).numpy(), after)
    assert deepgrad.random.initial_seed() == 3


def test_profiler_times_regions():
    P = deepgrad.profiler
    with P.profile(activities=[P.ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(3):
            with P.record_function("forward"):
                time.sleep(0.002)
            prof.step()
    with P.record_function("outside"):  # no active profile: nothing recorded
        pass
    events = {e.key: e for e in prof.key_averages()}
    assert events["forward"].count == 3 and events["forward"].cpu_time_total >= 0.006
    assert "ProfilerStep#2" in events and "outside" not in events
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)
    assert "forward" in table and "# of Calls" in table
    assert deepgrad.autograd.profiler.record_function is P.record_function


def test_saved_tensor_hook_contexts_keep_gradients():
    x = deepgrad.tensor([1.0, 2.0], requires_grad=True)
    with deepgrad.autograd.graph.save_on_cpu(pin_memory=True):
        y = (x * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    with pytest.raises(NotImplementedError, match="pack/unpack hooks"):
        with deepgrad.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            pass
    with pytest.raises(TypeError):
        deepgrad.autograd.graph.saved_tensors_hooks(1, 2)
