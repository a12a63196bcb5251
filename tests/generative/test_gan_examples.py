"""The GAN and CycleGAN examples run end to end on a few Fashion-MNIST images (tiny widths)."""

import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = [pytest.mark.slow,  # the data set and matplotlib's 80-panel grids take a while
              pytest.mark.skipif(not os.path.isdir("/usr/share/datasets/fashion-mnist"),
                                 reason="Fashion-MNIST files not installed")]


def _example(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "examples",
                                                                     f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gan_example_writes_grids_curves_and_weights(tmp_path):
    pytest.importorskip("matplotlib")
    results = _example("gan_fashion_mnist").main(models=("dcgan", "cgan"), epochs=1, limit=64,
                                                 batch_size=32, ngf=2, latent=8,
                                                 out=str(tmp_path), verbose=0)
    for name in ("dcgan", "cgan"):
        for f in ("samples.png", "losses.png", "history.csv", "model.safetensors"):
            assert (tmp_path / name / f).stat().st_size > 0
        assert results[name]["stop_reason"] is None
        assert 0 < results[name]["d_real"] < 1 and results[name]["g_loss"] > 0


def test_cyclegan_example_reports_translation_error(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    result = _example("cyclegan_fashion_mnist").main(epochs=1, limit=32, batch_size=16, ngf=2,
                                                     n_blocks=1, out=str(tmp_path), verbose=0,
                                                     val_size=64)
    assert (tmp_path / "translations.png").stat().st_size > 0
    assert 0 < result["val_ab_error"] < 1
    assert "the average B image" in capsys.readouterr().out
