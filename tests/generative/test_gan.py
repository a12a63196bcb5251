"""GAN, DCGAN and ConditionalGAN: players against torch twins (float64, same weights), the
losses, one train_step against the same step written in torch, which parameters each player's
update touches, check_health and divergence detection by fit_generative."""

import math
import warnings

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import optim
from deepgrad.models import MODELS, model_input_size
from deepgrad.models.gan import DCGAN, GAN, ConditionalGAN, cgan, dcgan, gan
from deepgrad.train import fit_generative

tnn = torch.nn


def _copy_to_torch(dg_module, th_module):
    state = {k: torch.tensor(v.numpy()) for k, v in dg_module.state_dict().items()}
    th_module.load_state_dict(state)
    return th_module


def _assert_state_equal(dg_module, th_module, atol=1e-10):
    th_state = th_module.state_dict()
    dg_state = dg_module.state_dict()
    assert sorted(dg_state) == sorted(th_state)
    for k, v in dg_state.items():
        np.testing.assert_allclose(v.numpy(), th_state[k].numpy(), atol=atol, rtol=1e-8,
                                   err_msg=k)


class TorchDCGANGenerator(tnn.Module):
    def __init__(self, nz, c, s, ngf):
        super().__init__()
        self.net = tnn.Sequential(
            tnn.ConvTranspose2d(nz, 4 * ngf, s // 4, 1, 0, bias=False), tnn.BatchNorm2d(4 * ngf),
            tnn.ReLU(), tnn.ConvTranspose2d(4 * ngf, 2 * ngf, 4, 2, 1, bias=False),
            tnn.BatchNorm2d(2 * ngf), tnn.ReLU(),
            tnn.ConvTranspose2d(2 * ngf, c, 4, 2, 1, bias=False), tnn.Tanh())

    def forward(self, z):
        return self.net(z.reshape(z.shape[0], z.shape[1], 1, 1))


class TorchDCGANDiscriminator(tnn.Module):
    def __init__(self, c, s, ndf):
        super().__init__()
        self.net = tnn.Sequential(
            tnn.Conv2d(c, ndf, 4, 2, 1, bias=False), tnn.LeakyReLU(0.2),
            tnn.Conv2d(ndf, 2 * ndf, 4, 2, 1, bias=False), tnn.BatchNorm2d(2 * ndf),
            tnn.LeakyReLU(0.2), tnn.Conv2d(2 * ndf, 1, s // 4, 1, 0, bias=False))

    def forward(self, x):
        return self.net(x).reshape(x.shape[0], 1)


class TorchMLP(tnn.Module):
    def __init__(self, sizes, out_act=None):
        super().__init__()
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(tnn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(tnn.LeakyReLU(0.2))
        if out_act is not None:
            layers.append(out_act)
        self.net = tnn.Sequential(*layers)


def _dcgan64(size=8, ngf=4, ndf=4, **kw):
    deepgrad.manual_seed(1)
    model = DCGAN(latent_dim=5, in_channels=2, image_size=size, ngf=ngf, ndf=ndf, **kw)
    return model.to(deepgrad.float64)


@pytest.mark.parametrize("size", [8, 28])
def test_dcgan_players_equal_torch_float64(size):
    model = _dcgan64(size)
    th_g = _copy_to_torch(model.generator, TorchDCGANGenerator(5, 2, size, 4).double())
    th_d = _copy_to_torch(model.discriminator, TorchDCGANDiscriminator(2, size, 4).double())
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, 5))
    x = rng.uniform(-1, 1, (6, 2, size, size))
    for train in (True, False):
        model.train(train)
        th_g.train(train)
        th_d.train(train)
        g = model.generator(deepgrad.tensor(z))
        assert g.shape == (6, 2, size, size)
        np.testing.assert_allclose(g.detach().numpy(), th_g(torch.tensor(z)).detach().numpy(),
                                   atol=1e-10)
        d = model.discriminator(deepgrad.tensor(x))
        assert d.shape == (6, 1)
        np.testing.assert_allclose(d.detach().numpy(), th_d(torch.tensor(x)).detach().numpy(),
                                   atol=1e-10)
    _assert_state_equal(model.generator, th_g)  # running statistics too


def test_dcgan_init_is_normal_002():
    deepgrad.manual_seed(0)
    model = DCGAN()
    w = np.concatenate([m.weight.detach().numpy().ravel() for m in model.modules()
                        if type(m).__name__ in ("Conv2d", "ConvTranspose2d")])
    assert abs(w.mean()) < 1e-3 and w.std() == pytest.approx(0.02, rel=0.02)
    bn = np.concatenate([m.weight.detach().numpy().ravel() for m in model.modules()
                         if type(m).__name__ == "BatchNorm2d"])
    assert bn.mean() == pytest.approx(1.0, abs=0.01) and bn.std() == pytest.approx(0.02, rel=0.2)
    leaky = [m for m in model.discriminator.modules() if type(m).__name__ == "LeakyReLU"]
    assert leaky and all(m.negative_slope == 0.2 for m in leaky)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_losses_equal_torch(smoothing):
    model = _dcgan64(label_smoothing=smoothing)
    rng = np.random.default_rng(2)
    real, fake = rng.standard_normal((7, 1)) * 3, rng.standard_normal((7, 1)) * 3
    d = model.discriminator_loss(deepgrad.tensor(real), deepgrad.tensor(fake)).item()
    bce = tnn.functional.binary_cross_entropy_with_logits
    rt, ft = torch.tensor(real), torch.tensor(fake)
    expected = bce(rt, torch.full_like(rt, 1 - smoothing)) + bce(ft, torch.zeros_like(ft))
    assert d == pytest.approx(expected.item(), rel=1e-12)
    g = model.generator_loss(deepgrad.tensor(fake)).item()
    assert g == pytest.approx(-torch.log(torch.sigmoid(ft)).mean().item(), rel=1e-10)


def _torch_gan_step(th_g, th_d, opt_g, opt_d, x, z, smoothing, d_extra=None, g_extra=None):
    """The reference step: D on real and detached fake, then G through the updated D."""
    bce = tnn.functional.binary_cross_entropy_with_logits
    real = x * 2 - 1
    fake = th_g(z)
    opt_d.zero_grad()
    real_logits, fake_logits = th_d(real), th_d(fake.detach())
    d_loss = (bce(real_logits, torch.full_like(real_logits, 1 - smoothing))
              + bce(fake_logits, torch.zeros_like(fake_logits)))
    d_loss.backward()
    opt_d.step()
    opt_g.zero_grad()
    g_loss = bce(th_d(fake), torch.ones_like(fake_logits))
    g_loss.backward()
    opt_g.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
            "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item()}


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_dcgan_train_step_equals_torch(smoothing):
    model = _dcgan64(label_smoothing=smoothing)
    th_g = _copy_to_torch(model.generator, TorchDCGANGenerator(5, 2, 8, 4).double())
    th_d = _copy_to_torch(model.discriminator, TorchDCGANDiscriminator(2, 8, 4).double())
    opts = model.configure_optimizers(lr=0.01)
    assert opts["generator"].param_groups[0]["betas"] == (0.5, 0.999)
    th_opt_g = torch.optim.Adam(th_g.parameters(), lr=0.01, betas=(0.5, 0.999))
    th_opt_d = torch.optim.Adam(th_d.parameters(), lr=0.01, betas=(0.5, 0.999))
    rng = np.random.default_rng(3)
    for _ in range(2):
        x, z = rng.uniform(0, 1, (6, 2, 8, 8)), rng.standard_normal((6, 5))
        logs = model.train_step(deepgrad.tensor(x), None, opts, z=deepgrad.tensor(z))
        expected = _torch_gan_step(th_g, th_d, th_opt_g, th_opt_d, torch.tensor(x),
                                   torch.tensor(z), smoothing)
        assert logs == pytest.approx(expected, rel=1e-9)
    _assert_state_equal(model.generator, th_g)
    _assert_state_equal(model.discriminator, th_d)


def test_each_update_changes_only_its_player():
    deepgrad.manual_seed(0)
    model = GAN(latent_dim=4, image_size=8, hidden=(16, 16)).to(deepgrad.float64)
    x = deepgrad.rand(10, 1, 8, 8, dtype=deepgrad.float64)
    z = deepgrad.randn(10, 4, dtype=deepgrad.float64)

    def snapshot(module):
        return {k: v.numpy().copy() for k, v in module.state_dict().items()}

    def changed(before, module):
        return {k for k, v in module.state_dict().items() if not np.array_equal(v.numpy(),
                                                                                before[k])}

    def d_loss():
        with deepgrad.no_grad():
            fake = model.generate(z)
            return model.discriminator_loss(model.discriminate(x * 2 - 1),
                                            model.discriminate(fake)).item()

    def g_loss():
        with deepgrad.no_grad():
            return model.generator_loss(model.discriminate(model.generate(z))).item()

    # discriminator only (G's lr is 0): D changes, d_loss goes down, G untouched
    g0, d0, before = snapshot(model.generator), snapshot(model.discriminator), d_loss()
    opts = {"generator": optim.SGD(model.generator.parameters(), lr=0.0),
            "discriminator": optim.SGD(model.discriminator.parameters(), lr=0.05)}
    model.train_step(x, None, opts, z=z)
    assert not changed(g0, model.generator)
    assert changed(d0, model.discriminator) == set(d0)
    assert d_loss() < before
    # generator only (D's lr is 0): G changes, g_loss goes down, D untouched
    g0, d0, before = snapshot(model.generator), snapshot(model.discriminator), g_loss()
    opts = {"generator": optim.SGD(model.generator.parameters(), lr=0.05),
            "discriminator": optim.SGD(model.discriminator.parameters(), lr=0.0)}
    model.train_step(x, None, opts, z=z)
    assert not changed(d0, model.discriminator)
    assert changed(g0, model.generator) == set(g0)
    assert g_loss() < before
    assert all(p.requires_grad for p in model.discriminator.parameters())


def test_g_update_leaves_no_gradient_in_d():
    deepgrad.manual_seed(0)
    model = GAN(latent_dim=4, image_size=8, hidden=(16, 16))
    opts = model.configure_optimizers()
    seen = {}

    class Spy(optim.Adam):
        def step(self):
            seen["d_grads"] = [p.grad.numpy().copy() for p in self.param_groups[0]["params"]]
            return super().step()

    opts["discriminator"] = Spy(model.discriminator.parameters(), lr=1e-3)
    model.train_step(deepgrad.rand(8, 1, 8, 8), None, opts)
    for before, p in zip(seen["d_grads"], model.discriminator.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), before)


def test_mlp_cgan_train_step_equals_torch():
    deepgrad.manual_seed(0)
    model = ConditionalGAN(latent_dim=3, num_classes=4, image_size=4, conv=False, embed_dim=2,
                           hidden=(8, 6), label_smoothing=0.1).to(deepgrad.float64)
    sizes_g, sizes_d = [5, 8, 6, 16], [18, 6, 8, 1]
    th_g = TorchMLP(sizes_g, tnn.Tanh()).double()
    th_d = TorchMLP(sizes_d).double()
    th_ge, th_de = tnn.Embedding(4, 2).double(), tnn.Embedding(4, 2).double()
    _copy_to_torch(model.generator, th_g)
    _copy_to_torch(model.discriminator, th_d)
    th_ge.weight.data = torch.tensor(model.g_embedding.weight.detach().numpy())
    th_de.weight.data = torch.tensor(model.d_embedding.weight.detach().numpy())

    def tg(zy):
        z, y = zy
        return th_g.net(torch.cat([z, th_ge(y)], 1)).reshape(-1, 1, 4, 4)

    def td(x, y):
        return th_d.net(torch.cat([x.reshape(len(x), -1), th_de(y)], 1))

    opts = model.configure_optimizers(lr=0.01)
    th_opt_g = torch.optim.Adam(list(th_g.parameters()) + list(th_ge.parameters()), lr=0.01,
                                betas=(0.5, 0.999))
    th_opt_d = torch.optim.Adam(list(th_d.parameters()) + list(th_de.parameters()), lr=0.01,
                                betas=(0.5, 0.999))
    rng = np.random.default_rng(0)
    x, z = rng.uniform(0, 1, (6, 1, 4, 4)), rng.standard_normal((6, 3))
    y = np.array([0, 1, 2, 3, 1, 1])
    logs = model.train_step(deepgrad.tensor(x), deepgrad.tensor(y), opts, z=deepgrad.tensor(z))
    yt = torch.tensor(y)
    expected = _torch_gan_step(lambda z_: tg((z_, yt)), lambda x_: td(x_, yt), th_opt_g,
                               th_opt_d, torch.tensor(x), torch.tensor(z), 0.1)
    assert logs == pytest.approx(expected, rel=1e-9)
    _assert_state_equal(model.generator, th_g)
    np.testing.assert_allclose(model.g_embedding.weight.detach().numpy(),
                               th_ge.weight.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(model.d_embedding.weight.detach().numpy(),
                               th_de.weight.detach().numpy(), atol=1e-10)
    _assert_state_equal(model.discriminator, th_d)


def test_conditional_sample_shapes_labels_and_conditioning():
    deepgrad.manual_seed(0)
    model = cgan(latent_dim=8, num_classes=10, image_size=8, ngf=4, ndf=4)
    out = model.sample(5, labels=[7, 7, 0, 9, 3])
    assert out.shape == (5, 1, 8, 8) and out.dtype == deepgrad.float32
    assert 0.0 <= out.numpy().min() and out.numpy().max() <= 1.0
    assert model.training  # sample restores the mode
    z = deepgrad.randn(1, 8).repeat(3, 1)
    images = model.sample(3, labels=deepgrad.tensor([1, 1, 2]), z=z).numpy()
    np.testing.assert_allclose(images[0], images[1], atol=1e-6)
    assert np.abs(images[0] - images[2]).max() > 1e-4  # the label changes the image
    assert model.sample(12).shape == (12, 1, 8, 8)
    with pytest.raises(ValueError, match=r"expected 3 labels, got shape \(2,\)"):
        model.sample(3, labels=[1, 2])
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\)"):
        model.sample(2, labels=[1, 10])
    with pytest.raises(ValueError, match="needs the labels"):
        model.train_step(deepgrad.rand(2, 1, 8, 8), None, model.configure_optimizers())
    with pytest.raises(ValueError, match="unconditional"):
        gan(image_size=8).sample(2, labels=[1, 2])
    logs = model.train_step(deepgrad.rand(4, 1, 8, 8), deepgrad.tensor([0, 1, 2, 3]),
                            model.configure_optimizers())
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake"}


@pytest.mark.parametrize("name,kwargs", [("gan", {}), ("dcgan", {"ngf": 4, "ndf": 4}),
                                         ("cgan", {"ngf": 4, "ndf": 4}),
                                         ("cgan", {"conv": False})])
def test_builders_registered_and_shapes(name, kwargs):
    builder = MODELS[name]
    assert builder is {"gan": gan, "dcgan": dcgan, "cgan": cgan}[name]
    assert builder.task == "generative"
    for size in (28, 32):
        assert model_input_size(name, image_size=size, in_channels=3) == (3, size, size)
        model = builder(in_channels=3, image_size=size, **kwargs)
        assert model.task == "generative"
        labels = [1, 2] if model.conditional else None
        assert model.sample(2, labels=labels).shape == (2, 3, size, size)
        x = deepgrad.rand(2, 3, size, size)
        assert model(x, deepgrad.tensor([1, 2]) if labels else None).shape == (2, 1)


def test_bad_image_size_and_smoothing():
    with pytest.raises(ValueError, match="multiple of 4"):
        dcgan(image_size=30)
    with pytest.raises(ValueError, match="label_smoothing"):
        GAN(label_smoothing=1.0)


def test_check_health_collapse_and_non_finite():
    model = GAN(image_size=8, hidden=(4,), health_patience=3)
    collapsed = {"d_loss": 0.001, "g_loss": 12.0, "d_real": 1.0, "d_fake": 1e-5}
    healthy = {"d_loss": 1.2, "g_loss": 0.9, "d_real": 0.6, "d_fake": 0.4}
    assert model.check_health(collapsed) is None
    assert model.check_health(collapsed) is None
    assert model.check_health(healthy) is None  # a healthy batch resets the count
    assert model.check_health(collapsed) is None
    assert model.check_health(collapsed) is None
    message = model.check_health(collapsed)
    assert "discriminator collapse" in message and "3 consecutive" in message
    assert "g_loss=12" in message
    assert "non-finite g_loss=inf" in model.check_health({**healthy, "g_loss": math.inf})
    # with smoothing the d_loss floor is the real targets' entropy (0.325 for 0.9)
    smooth = GAN(image_size=8, hidden=(4,), health_patience=1, label_smoothing=0.1)
    assert "collapse" in smooth.check_health({"d_loss": 0.34, "g_loss": 9.0})
    assert smooth.check_health({"d_loss": 0.5, "g_loss": 9.0}) is None


def test_fit_generative_detects_nan_in_the_data():
    deepgrad.manual_seed(0)
    model = GAN(latent_dim=4, image_size=8, hidden=(16,))
    x = np.random.default_rng(0).uniform(0, 1, (32, 1, 8, 8)).astype(np.float32)
    x[20, 0, 3, 3] = np.nan
    with pytest.warns(RuntimeWarning, match=r"d_loss=nan.*epoch 1/3, batch 3/4"):
        history = fit_generative(model, (x, np.zeros(32, np.int64)), epochs=3, batch_size=8,
                                 verbose=0, shuffle=False)
    assert "d_loss=nan" in history.stop_reason and len(history.epoch) == 1


def _overpowered(d_lr):
    deepgrad.manual_seed(0)
    model = GAN(latent_dim=4, image_size=8, hidden=(32,), health_patience=5)
    opts = {"generator": optim.SGD(model.generator.parameters(), lr=1e-4),
            "discriminator": optim.SGD(model.discriminator.parameters(), lr=d_lr)}
    x = np.random.default_rng(0).uniform(0, 1, (256, 1, 8, 8)).astype(np.float32) ** 4
    return model, opts, x


def test_fit_generative_detects_an_overpowered_discriminator():
    """D's learning rate 10^4 x G's: D wins, G's loss explodes; check_health stops the run
    with its explanation."""
    model, opts, x = _overpowered(1.0)
    with pytest.warns(RuntimeWarning, match="discriminator collapse"):
        history = fit_generative(model, x, epochs=20, batch_size=32, optimizers=opts,
                                 verbose=0)
    assert "GAN.check_health" in history.stop_reason and len(history.epoch) < 20
    assert history["g_loss"][-1] > 6 and history["d_loss"][-1] < 0.01


def test_fit_generative_detects_an_absurd_learning_rate():
    model, opts, x = _overpowered(30.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's overflow warnings on the way to NaN
        history = fit_generative(model, x, epochs=20, batch_size=32, optimizers=opts,
                                 verbose=0)
    assert history.stop_reason is not None and len(history.epoch) < 20
    assert "=nan" in history.stop_reason or "collapse" in history.stop_reason


def test_fit_generative_trains_a_dcgan_step_count():
    deepgrad.manual_seed(0)
    model = dcgan(latent_dim=4, image_size=8, ngf=2, ndf=2)
    x = np.random.default_rng(0).uniform(0, 1, (24, 1, 8, 8)).astype(np.float32)
    history = fit_generative(model, (x, np.zeros(24, np.int64)), val_data=(x[:8], np.zeros(8)),
                             epochs=2, batch_size=8, verbose=0)
    assert set(history.keys()) >= {"d_loss", "g_loss", "d_real", "d_fake", "val_d_loss",
                                   "lr_generator", "lr_discriminator"}
    assert history.stop_reason is None and len(history.epoch) == 2


def test_plot_gan_losses(tmp_path):
    pytest.importorskip("matplotlib")
    from deepgrad.train import History
    from deepgrad.viz import plot_gan_losses

    rng = np.random.default_rng(0)
    logs = {"d_loss": list(1.3 + 0.1 * rng.standard_normal(200)),
            "g_loss": list(0.8 + 0.1 * rng.standard_normal(200)),
            "d_real": list(rng.uniform(0.4, 0.6, 200)), "d_fake": list(rng.uniform(0.4, 0.6, 200))}
    fig = plot_gan_losses(logs, path=tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000
    assert len(fig.axes) == 2
    labels = sorted(line.get_label() for line in fig.axes[0].get_lines()
                    if not line.get_label().startswith("_"))
    assert labels == ["d_loss", "g_loss"]
    smoothed = [line for line in fig.axes[0].get_lines() if line.get_label() == "d_loss"][0]
    np.testing.assert_allclose(smoothed.get_ydata()[10:], np.convolve(
        logs["d_loss"], np.ones(4) / 4, mode="valid")[7:], atol=1e-12)
    history = History()
    history.on_epoch_end(0, {"d_loss": 1.0, "g_loss": 2.0})
    assert len(plot_gan_losses(history).axes) == 1
    with pytest.raises(ValueError, match="none of"):
        plot_gan_losses({"loss": [1.0]})
