"""The course examples run and print what the course says."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(script, *args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, os.path.join(ROOT, "examples", script), *args],
                          env=env, capture_output=True, text=True, timeout=300)


def test_perceptron_prints_sigmoid_of_minus_six():
    done = _run("perceptron.py")
    assert done.returncode == 0, done.stderr
    assert "y_hat = sigmoid(-6) = 0.0025" in done.stdout


def test_pass_class_learns():
    pytest.importorskip("deepgrad.optim", reason="needs deepgrad.optim")
    pytest.importorskip("deepgrad.utils.data", reason="needs deepgrad.utils.data")
    done = _run("pass_class.py", "--epochs", "40")
    assert done.returncode == 0, done.stderr
    accuracy = float(done.stdout.split("test accuracy: ")[1].split()[0])
    assert accuracy >= 0.85
    assert "P(pass)" in done.stdout


@pytest.mark.slow
def test_mlp_fashion_mnist_example(tmp_path):
    pytest.importorskip("deepgrad.datasets", reason="needs deepgrad.datasets")
    if not os.path.isdir("/usr/share/datasets/fashion-mnist"):
        pytest.skip("Fashion-MNIST files not installed")
    done = _run("mlp_fashion_mnist.py", "--epochs", "10", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.split("test accuracy: ")[1].split()[0]) >= 0.88
