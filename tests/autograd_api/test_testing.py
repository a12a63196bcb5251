"""deepgrad.testing.assert_close and make_tensor against torch.testing."""

import numpy as np
import pytest
import torch

import deepgrad


def _pair(make):
    return make(deepgrad), make(torch)


CASES = [
    lambda lib: (lib.tensor([1.0, 2.0, 3.0]), lib.tensor([1.0, 2.1, 3.0])),
    lambda lib: (lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0], dtype=lib.float64)),
    lambda lib: (lib.ones(2), lib.ones(3)),
    lambda lib: (1.0, 1.1),
    lambda lib: ([lib.ones(2)], [lib.zeros(2)]),
    lambda lib: (lib.tensor([1, 2]), lib.tensor([1, 3])),
    lambda lib: (lib.tensor([float("nan")]), lib.tensor([float("nan")])),
    lambda lib: ({"a": lib.ones(1)}, {"b": lib.ones(1)}),
    lambda lib: (lib.tensor([[1.0, 5.0], [2.0, 2.0]], dtype=lib.float64),
                 lib.tensor([[1.0, 2.0], [2.0, 2.0 + 1e-6]], dtype=lib.float64)),
]


@pytest.mark.parametrize("index", range(len(CASES)))
def test_failures_match_torch(index):
    with pytest.raises(AssertionError) as th_error:
        torch.testing.assert_close(*CASES[index](torch))
    with pytest.raises(AssertionError) as dg_error:
        deepgrad.testing.assert_close(*CASES[index](deepgrad))
    assert str(dg_error.value) == str(th_error.value).replace("torch.", "deepgrad.")


PASSING = [
    lambda lib: (lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0 + 1e-6])),
    lambda lib: (lib.tensor([float("inf")]), lib.tensor([float("inf")])),
    lambda lib: ((lib.ones(2), 3), (lib.ones(2), 3)),
    lambda lib: ({"w": lib.zeros(2, 2)}, {"w": lib.zeros(2, 2)}),
    lambda lib: (2.0, 2.0 + 1e-8),
]


@pytest.mark.parametrize("index", range(len(PASSING)))
def test_passes_like_torch(index):
    torch.testing.assert_close(*PASSING[index](torch))
    deepgrad.testing.assert_close(*PASSING[index](deepgrad))


def test_options():
    a, b = deepgrad.tensor([1.0, 2.0]), deepgrad.tensor([1.0, 2.1])
    deepgrad.testing.assert_close(a, b, rtol=0.1, atol=0.0)
    with pytest.raises(AssertionError, match="^custom$"):
        deepgrad.testing.assert_close(a, b, msg="custom")
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
        deepgrad.testing.assert_close(a, b, rtol=1e-3)
    nan = deepgrad.tensor([float("nan")])
    deepgrad.testing.assert_close(nan, nan, equal_nan=True)
    deepgrad.testing.assert_close(a, b.double(), check_dtype=False, rtol=0.1, atol=0)
    deepgrad.testing.assert_close(np.ones(2), np.ones(2))


def test_make_tensor():
    deepgrad.manual_seed(0)
    t = deepgrad.testing.make_tensor(3, 4, dtype=deepgrad.float64, low=-1, high=1,
                                     requires_grad=True)
    assert t.shape == (3, 4) and t.dtype == np.float64 and t.requires_grad
    assert ((t.detach().numpy() >= -1) & (t.detach().numpy() < 1)).all()
    i = deepgrad.testing.make_tensor((100,), dtype=deepgrad.int64)
    assert i.dtype == np.int64 and i.numpy().min() >= -9 and i.numpy().max() < 10
    b = deepgrad.testing.make_tensor(5, dtype=deepgrad.bool)
    assert b.dtype == np.bool_
    assert deepgrad.testing.make_tensor(50, dtype=deepgrad.int64, exclude_zero=True).numpy() \
        .all()


def test_top_level_anomaly_switches():
    assert deepgrad.is_anomaly_enabled() is False
    deepgrad.set_anomaly_enabled(True)
    try:
        assert deepgrad.is_anomaly_enabled() and deepgrad.is_anomaly_check_nan_enabled()
    finally:
        deepgrad.set_anomaly_enabled(False)
    assert deepgrad.is_anomaly_enabled() is torch.is_anomaly_enabled() is False
