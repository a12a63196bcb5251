"""An EMA of the denoiser (DDPM) and of the generator (GANs): updated after every train_step by
the formula, used by sample, saved and loaded with the model."""

import numpy as np
import pytest

import deepgrad
from deepgrad.models import DCGAN, GAN, ConditionalGAN, ddpm


def _weights(module):
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def _tiny_ddpm(**kw):
    return ddpm(in_channels=1, image_size=8, timesteps=10, base_channels=8, channel_mults=(1, 2),
                **kw)


def _check_ema_formula(model, trained, step, decay, batches):
    """Run train_step on each batch; the EMA must be W_1, then decay·W_ema + (1−decay)·W."""
    optimizers = model.configure_optimizers()
    expected = None
    for x, y in batches:
        step(x, y, optimizers)
        now = _weights(trained())
        expected = now if expected is None else {
            k: decay * expected[k] + (1 - decay) * now[k] for k in now}
        got = _weights(model.ema.module)
        for k, v in now.items():
            if v.dtype.kind == "f":
                np.testing.assert_allclose(got[k], expected[k], rtol=1e-6, atol=1e-7,
                                           err_msg=k)
            else:  # num_batches_tracked: averaged then truncated, as torch does
                expected[k] = got[k]
    assert int(model.ema.n_averaged.item()) == len(batches)
    return optimizers


def test_ddpm_ema_follows_the_formula_and_is_not_optimized():
    model = _tiny_ddpm(ema_decay=0.6)
    n_net = sum(p.numel() for p in model.model.parameters())
    optimizers = model.configure_optimizers()
    assert sum(p.numel() for g in optimizers["model"].param_groups for p in g["params"]) == n_net
    assert all(not p.requires_grad for p in model.ema.parameters())
    batches = [(deepgrad.rand(4, 1, 8, 8), None) for _ in range(3)]
    _check_ema_formula(model, lambda: model.model, model.train_step, 0.6, batches)
    assert all(p.grad is None for p in model.ema.parameters())
    ema, now = _weights(model.ema.module), _weights(model.model)
    assert not all(np.allclose(ema[k], now[k]) for k in now)


def test_ddpm_samples_from_the_ema_and_round_trips(tmp_path):
    model = _tiny_ddpm(ema_decay=0.5)
    # before any update the trained network is used (the EMA holds nothing yet)
    assert model.sampling_network() is model.model
    opts = model.configure_optimizers()
    for _ in range(2):
        model.train_step(deepgrad.rand(4, 1, 8, 8), None, opts)
    assert model.sampling_network() is model.ema.module
    default = model.sample(2, steps=3, generator=deepgrad.Generator(3)).numpy()
    raw = model.sample(2, steps=3, generator=deepgrad.Generator(3), use_ema=False).numpy()
    # the same images as a DDPM whose network holds the EMA weights
    plain = _tiny_ddpm()
    plain.model.load_state_dict(model.ema.module.state_dict())
    np.testing.assert_array_equal(
        plain.sample(2, steps=3, generator=deepgrad.Generator(3)).numpy(), default)
    assert not np.allclose(default, raw)
    deepgrad.save(model.state_dict(), tmp_path / "ddpm.safetensors")
    again = _tiny_ddpm(ema_decay=0.5)
    again.load_state_dict(deepgrad.load(tmp_path / "ddpm.safetensors"))
    assert int(again.ema.n_averaged.item()) == 2
    np.testing.assert_array_equal(
        again.sample(2, steps=3, generator=deepgrad.Generator(3)).numpy(), default)
    with pytest.raises(ValueError, match="DDPM.sample: use_ema=True but the model keeps no EMA"):
        plain.sample(1, steps=2, use_ema=True)
    with pytest.raises(ValueError, match="decay value 2"):
        _tiny_ddpm(ema_decay=2)


@pytest.mark.parametrize("make", [
    lambda: DCGAN(latent_dim=4, image_size=8, ngf=4, ndf=4, ema_decay=0.7),
    lambda: ConditionalGAN(latent_dim=4, num_classes=3, image_size=8, conv=False, embed_dim=2,
                           hidden=(8,), ema_decay=0.7),
], ids=["dcgan", "mlp_cgan"])
def test_gan_generator_ema(make):
    model = make()
    generator_keys = {k for k in model.state_dict() if k.startswith(("generator.",
                                                                     "g_embedding."))}
    ema_keys = {k[len("ema.module."):] for k in model.state_dict()
                if k.startswith("ema.module.")}
    assert ema_keys == generator_keys  # exactly the generator's modules are averaged
    batches = [(deepgrad.rand(4, 1, 8, 8), deepgrad.tensor([0, 1, 2, 0])) for _ in range(3)]
    trained = lambda: deepgrad.nn.ModuleDict(model._generator_modules())  # noqa: E731
    _check_ema_formula(model, trained, model.train_step, 0.7, batches)
    z = deepgrad.randn(4, 4)
    labels = [0, 1, 2, 1] if model.conditional else None
    with_ema = model.sample(4, labels=labels, z=z).numpy()
    without = model.sample(4, labels=labels, z=z, use_ema=False).numpy()
    assert not np.allclose(with_ema, without)
    again = make()
    again.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(again.sample(4, labels=labels, z=z).numpy(), with_ema)


def test_gan_without_ema_is_unchanged():
    model = DCGAN(latent_dim=4, image_size=8, ngf=4, ndf=4)
    assert model.ema is None and not any(k.startswith("ema") for k in model.state_dict())
    with pytest.raises(ValueError, match="DCGAN: use_ema=True but the model keeps no EMA"):
        model.sample(2, use_ema=True)


def test_cli_trains_and_samples_with_an_ema(tmp_path, capsys):
    from deepgrad.cli import main

    out = tmp_path / "runs"
    assert main(["train", "gan", "--dataset", "digits", "--epochs", "1", "--limit", "64",
                 "--batch-size", "32", "--arg", "hidden=(8,)", "--arg", "latent_dim=3",
                 "--arg", "ema_decay=0.9", "--out", str(out), "--name", "g", "-q",
                 "--no-plot"]) == 0
    text = capsys.readouterr().out
    n_trainable = sum(p.numel() for p in GAN(
        latent_dim=3, image_size=8, hidden=(8,)).parameters())
    assert f"({n_trainable:,} parameters)" in text  # the EMA copy is not counted
    path = str(out / "g" / "model.safetensors")
    assert main(["sample", path, "--n", "4", "--out", str(tmp_path / "s.png")]) == 0
    from deepgrad.cli.commands import load_saved_model

    model, _ = load_saved_model(path)
    assert int(model.ema.n_averaged.item()) == 2  # 64 images in batches of 32
