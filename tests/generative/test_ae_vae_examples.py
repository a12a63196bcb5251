"""The autoencoder and VAE examples run end to end on a small subset and write their plots."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(script, *args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, os.path.join(ROOT, "examples", script), *args],
                          env=env, capture_output=True, text=True, timeout=1800)


@pytest.mark.slow
def test_autoencoder_example(tmp_path):
    done = _run("autoencoder_fashion_mnist.py", "--epochs", "1", "--limit", "2000",
                "--verbose", "0", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    auc = float(done.stdout.split("anomaly score): ")[1].split()[0])
    assert auc > 0.7
    for name in ("reconstructions_latent2", "reconstructions_latent5", "denoising",
                 "anomaly_errors"):
        assert (tmp_path / f"{name}.png").exists()


@pytest.mark.slow
def test_vae_example(tmp_path):
    done = _run("vae_fashion_mnist.py", "--epochs", "1", "--limit", "2000", "--verbose", "0",
                "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "test -ELBO" in done.stdout
    for name in ("samples", "interpolation", "latent_map", "latent_grid", "curves"):
        assert (tmp_path / f"{name}.png").exists()
