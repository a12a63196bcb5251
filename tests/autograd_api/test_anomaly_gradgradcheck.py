"""Anomaly detection (torch's error naming the backward function) and gradgradcheck."""

import warnings

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import autograd


def _nan_message(lib, build):
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autograd.detect_anomaly():
            with pytest.raises(RuntimeError) as error:
                build(x).sum().backward()
    return str(error.value).splitlines()[0]


@pytest.mark.parametrize("build, name, index", [
    (lambda x: x / x, "DivBackward", 1),
    (lambda x: x.sqrt() * 0, "SqrtBackward", 0),
    (lambda x: x.log() * 0, "LogBackward", 0),
])
def test_detect_anomaly_names_the_backward(build, name, index):
    th = _nan_message(torch, build)
    dg = _nan_message(deepgrad, build)
    assert dg == th == f"Function '{name}0' returned nan values in its {index}th output."


def test_anomaly_off_lets_nan_through_and_modes_restore():
    x = deepgrad.tensor([0.0, 1.0], requires_grad=True)
    assert not autograd.is_anomaly_enabled()
    with np.errstate(all="ignore"):
        (x / x).sum().backward()
    assert np.isnan(x.grad.numpy()[0])
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with autograd.detect_anomaly():
            assert autograd.is_anomaly_enabled()
            with autograd.set_detect_anomaly(False):
                assert not autograd.is_anomaly_enabled()
            assert autograd.is_anomaly_enabled()
    assert not autograd.is_anomaly_enabled()
    autograd.set_detect_anomaly(True)
    try:
        assert autograd.is_anomaly_enabled() and autograd.is_anomaly_check_nan_enabled()
        y = deepgrad.tensor([0.0, 1.0], requires_grad=True)
        with np.errstate(all="ignore"), pytest.raises(RuntimeError, match="DivBackward"):
            (y / y).sum().backward()
    finally:
        autograd.set_detect_anomaly(False)
    with autograd.set_detect_anomaly(True, check_nan=False):
        z = deepgrad.tensor([0.0, 1.0], requires_grad=True)
        with np.errstate(all="ignore"):
            (z / z).sum().backward()  # check_nan=False: no error
    assert not autograd.is_anomaly_enabled()

    @autograd.set_detect_anomaly(True)
    def decorated():
        return autograd.is_anomaly_enabled()

    assert decorated() and not autograd.is_anomaly_enabled()


def test_anomaly_clean_backward_unchanged():
    x = deepgrad.tensor([0.5, 1.0], requires_grad=True, dtype=deepgrad.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with autograd.detect_anomaly():
            (x.exp() * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.0]) * (1 + np.array([0.5, 1.0])))


def test_gradgradcheck_passes_on_correct_ops():
    rng = np.random.default_rng(0)
    x = deepgrad.tensor(rng.uniform(0.5, 1.5, 3), requires_grad=True)
    y = deepgrad.tensor(rng.uniform(0.5, 1.5, (2, 3)), requires_grad=True)
    assert autograd.gradgradcheck(lambda a, b: (a.exp() * b).sin(), (x, y))
    assert autograd.gradgradcheck(lambda a: a.log_softmax(0), (x,))
    assert autograd.gradgradcheck(lambda a, b: (a * b).sum(), (x, y),
                                  grad_outputs=deepgrad.tensor(2.0, dtype=deepgrad.float64))


def test_gradgradcheck_catches_backward_wrong_away_from_the_point():
    c = 0.7

    class Cube(autograd.Function):
        """x³ whose backward is right only at x = c: gradcheck at c passes, the second
        derivative (6c + 1 instead of 6c) does not."""

        def forward(self, x):
            self.x = x
            return x ** 3

        def backward(self, grad):
            return grad * (3 * self.x ** 2 + (self.x - c))

    x = deepgrad.tensor([c], dtype=deepgrad.float64, requires_grad=True)
    assert autograd.gradcheck(Cube.apply, (x,))
    with pytest.raises(autograd.GradcheckError, match="second-derivative mismatch"):
        autograd.gradgradcheck(Cube.apply, (x,))
    assert not autograd.gradgradcheck(Cube.apply, (x,), raise_exception=False)


def test_gradcheck_accepts_torchs_switches():
    x = deepgrad.tensor([0.3, 0.7], dtype=deepgrad.float64, requires_grad=True)
    assert autograd.gradcheck(lambda a: a.exp() * a, (x,), eps=1e-6, atol=1e-5,
                              check_undefined_grad=False, check_batched_grad=False,
                              fast_mode=True, nondet_tol=0.0)
    assert autograd.gradgradcheck(lambda a: a.exp() * a, (x,), check_batched_grad=False)
