"""Mode-collapse check: sample diversity (generated vs real mean pairwise distance) as a metric
and as the SampleDiversity callback GAN training runs by default."""

import warnings

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import nn
from deepgrad.metrics import mean_pairwise_distance, sample_diversity
from deepgrad.models import GAN
from deepgrad.train import SampleDiversity, fit_generative


def test_mean_pairwise_distance_matches_torch_pdist():
    x = np.random.default_rng(0).standard_normal((7, 2, 3, 3)) + 5.0
    expected = torch.pdist(torch.tensor(x.reshape(7, -1))).mean().item()
    assert mean_pairwise_distance(x) == pytest.approx(expected, rel=1e-12)
    assert mean_pairwise_distance(deepgrad.tensor(x)) == pytest.approx(expected, rel=1e-12)


def test_sample_diversity_ratio():
    rng = np.random.default_rng(1)
    real = rng.random((50, 1, 4, 4))
    assert sample_diversity(real, real) == pytest.approx(1.0)
    assert sample_diversity(np.repeat(real[:1], 30, axis=0), real) == 0.0  # collapsed
    assert 0.4 < sample_diversity(0.5 * real[25:], real[:25]) < 0.6  # half the spread
    with pytest.raises(ValueError, match=r"sample_diversity: generated images \(1, 4, 4\) "
                                         r"and real images \(1, 2, 8\) differ"):
        sample_diversity(real, real.reshape(50, 1, 2, 8))
    with pytest.raises(ValueError, match="expected at least 2 images"):
        sample_diversity(real[:1], real)
    with pytest.raises(ValueError, match="the real images are all identical"):
        sample_diversity(real, np.zeros((3, 1, 4, 4)))


class ConstantGenerator(nn.Module):
    """Mode collapse in its purest form: the same image for every z."""

    def __init__(self, shape):
        super().__init__()
        self.image = nn.Parameter(deepgrad.zeros(*shape))

    def forward(self, z):
        return z[:, :1].reshape(z.shape[0], 1, 1, 1) * 0.0 + self.image.tanh()


class SpreadGenerator(nn.Module):
    """A generator whose images vary with z about as much as uniform noise does."""

    def __init__(self, latent_dim, shape):
        super().__init__()
        self.shape = shape
        self.linear = nn.Linear(latent_dim, int(np.prod(shape)))
        with deepgrad.no_grad():
            self.linear.weight.mul_(6.0)

    def forward(self, z):
        return self.linear(z).tanh().reshape(z.shape[0], *self.shape)


def _gan(generator):
    return GAN(latent_dim=4, image_size=4, hidden=(8,), generator=generator)


def _data():
    return np.random.default_rng(2).random((64, 1, 4, 4)).astype(np.float32)


def test_collapsed_generator_is_flagged():
    model = _gan(ConstantGenerator((1, 4, 4)))
    with pytest.warns(RuntimeWarning, match="SampleDiversity: possible mode collapse at "
                                            "epoch 1"):
        history = fit_generative(model, _data(), epochs=1, batch_size=16, verbose=0)
    assert history["diversity"] == [0.0]
    stop = SampleDiversity(stop=True)
    with pytest.warns(RuntimeWarning, match="mode collapse"):
        history = fit_generative(_gan(ConstantGenerator((1, 4, 4))), _data(), epochs=3,
                                 batch_size=16, verbose=0, callbacks=[stop])
    assert len(history.epoch) == 1 and "mode collapse" in history.stop_reason


def test_healthy_generator_is_not_flagged_and_training_is_unchanged():
    def run(**kw):
        deepgrad.manual_seed(3)
        model = _gan(SpreadGenerator(4, (1, 4, 4)))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no collapse warning
            history = fit_generative(model, _data(), epochs=2, batch_size=16, verbose=0, **kw)
        return model, history

    model, history = run()
    assert len(history["diversity"]) == 2 and all(d > 0.5 for d in history["diversity"])
    # the check samples from its own seed and puts the generator back: same training without it
    plain, plain_history = run(diversity=None)
    assert "diversity" not in plain_history
    for key, value in plain.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key].numpy(), value.numpy())
    np.testing.assert_array_equal(history["g_loss"], plain_history["g_loss"])


def test_callback_with_given_real_images_and_csv(tmp_path):
    from deepgrad.train import CSVLogger

    real = _data()[:10]
    cb = SampleDiversity(real=real, n=8)
    fit_generative(_gan(SpreadGenerator(4, (1, 4, 4))), _data(), epochs=1, batch_size=32,
                   verbose=0, callbacks=[cb, CSVLogger(tmp_path / "h.csv")], diversity=None)
    assert "diversity" in (tmp_path / "h.csv").read_text().splitlines()[0]
    with pytest.raises(ValueError, match="SampleDiversity: n must be at least 2"):
        SampleDiversity(n=1)
