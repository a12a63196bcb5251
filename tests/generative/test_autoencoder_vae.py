"""Autoencoder and VAE: losses, gradients and Adam steps equal torch's (float64, same weights and
noise), training reduces the loss, denoising, anomaly ROC AUC, sampling, errors."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score as sk_roc_auc

import deepgrad
from deepgrad.models import MODELS, Autoencoder, autoencoder, model_input_size, vae
from deepgrad.models.autoencoder import anomaly_roc_auc, reconstruction_errors
from deepgrad.models.vae import vae_loss
from deepgrad.train.metrics import roc_auc_score

SIZE, HIDDEN_MLP, HIDDEN_CONV = 12, (32, 16), (4, 8)


def _torch_networks(latent, channels, conv, hidden, vae_heads, size=SIZE):
    """torch modules with the same structure and parameter names as deepgrad's."""
    nn = torch.nn
    SIZE = size  # noqa: N806
    if conv:
        c1, c2 = hidden
        side = SIZE // 4
        enc = [nn.Conv2d(channels, c1, 3, stride=2, padding=1), nn.ReLU(),
               nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten()]
        features = c2 * side * side
        dec = nn.Sequential(
            nn.Linear(latent, features), nn.ReLU(), nn.Unflatten(1, (c2, side, side)),
            nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c1, channels, 3, stride=2, padding=1, output_padding=1))
    else:
        enc, width = [nn.Flatten()], channels * SIZE * SIZE
        for w in hidden:
            enc += [nn.Linear(width, w), nn.ReLU()]
            width = w
        features, dec, width = width, [], latent
        for w in reversed(hidden):
            dec += [nn.Linear(width, w), nn.ReLU()]
            width = w
        dec = nn.Sequential(*dec, nn.Linear(width, channels * SIZE * SIZE),
                            nn.Unflatten(1, (channels, SIZE, SIZE)))
    model = nn.Module()
    if vae_heads:
        model.encoder = nn.Sequential(*enc)
        model.fc_mu = nn.Linear(features, latent)
        model.fc_logvar = nn.Linear(features, latent)
    else:
        model.encoder = nn.Sequential(*enc, nn.Linear(features, latent))
    model.decoder = dec
    return model.double()


def _copy_weights(mine, ref):
    ours = {k: v for k, v in mine.state_dict().items() if not k.startswith("code_")}
    theirs = ref.state_dict()
    assert sorted(ours) == sorted(theirs)
    for key, value in theirs.items():
        assert ours[key].shape == tuple(value.shape), key
        ours[key]._data[...] = value.numpy()


def _torch_vae_loss(ref, x, eps):
    h = ref.encoder(x)
    mu, logvar = ref.fc_mu(h), ref.fc_logvar(h)
    z = mu + torch.exp(logvar / 2) * eps
    logits = ref.decoder(z)
    n = x.shape[0]
    rec = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / n
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum() / n
    return rec + kl, rec, kl, logits, mu, logvar


def _images(rng, n, channels=1):
    return rng.uniform(0, 1, size=(n, channels, SIZE, SIZE))


def _pair(conv, latent=3, channels=1, kind="vae"):
    hidden = HIDDEN_CONV if conv else HIDDEN_MLP
    torch.manual_seed(0)
    ref = _torch_networks(latent, channels, conv, hidden, vae_heads=kind == "vae")
    build = vae if kind == "vae" else autoencoder
    mine = build(latent_dim=latent, in_channels=channels, image_size=SIZE, conv=conv,
                 hidden=hidden).double()
    _copy_weights(mine, ref)
    return mine, ref


def _assert_grads_equal(mine, ref):
    grads = {k: p.grad for k, p in mine.named_parameters()}
    for key, p in ref.named_parameters():
        np.testing.assert_allclose(grads[key].numpy(), p.grad.numpy(), rtol=1e-7, atol=1e-9,
                                   err_msg=key)


@pytest.mark.parametrize("conv", [False, True], ids=["mlp", "conv"])
def test_vae_forward_loss_and_gradients_match_torch(conv):
    mine, ref = _pair(conv, channels=2)
    rng = np.random.default_rng(1)
    x, eps = _images(rng, 5, 2), rng.standard_normal((5, 3))
    loss, rec, kl = mine.loss(deepgrad.tensor(x), eps=eps)
    logits, mu, logvar = mine(deepgrad.tensor(x), eps=eps)
    t_loss, t_rec, t_kl, t_logits, t_mu, t_logvar = _torch_vae_loss(
        ref, torch.tensor(x), torch.tensor(eps))
    for a, b in [(loss, t_loss), (rec, t_rec), (kl, t_kl), (logits, t_logits), (mu, t_mu),
                 (logvar, t_logvar)]:
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9,
                                   atol=1e-10)
    assert abs(loss.item() - (rec.item() + kl.item())) < 1e-9
    loss.backward()
    t_loss.backward()
    _assert_grads_equal(mine, ref)


def test_vae_kl_term_equals_torch_distributions():
    rng = np.random.default_rng(2)
    mu, logvar = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    x = rng.uniform(0, 1, (4, 1, 2, 2))
    _, _, kl = vae_loss(deepgrad.tensor(np.zeros_like(x)), deepgrad.tensor(x),
                        deepgrad.tensor(mu), deepgrad.tensor(logvar))
    q = torch.distributions.Normal(torch.tensor(mu), torch.tensor(np.exp(logvar / 2)))
    p = torch.distributions.Normal(torch.zeros(4, 3, dtype=torch.float64),
                                   torch.ones(4, 3, dtype=torch.float64))
    expected = torch.distributions.kl_divergence(q, p).sum(1).mean().item()
    assert abs(kl.item() - expected) < 1e-10


@pytest.mark.parametrize("conv", [False, True], ids=["mlp", "conv"])
def test_vae_adam_steps_match_torch(conv):
    mine, ref = _pair(conv)
    optimizers = mine.configure_optimizers(lr=3e-3)
    t_opt = torch.optim.Adam(ref.parameters(), lr=3e-3)
    rng = np.random.default_rng(3)
    for step in range(6):
        x, eps = _images(rng, 8), rng.standard_normal((8, 3))
        logs = mine.train_step(deepgrad.tensor(x), None, optimizers, eps=eps)
        t_opt.zero_grad()
        t_loss, t_rec, t_kl = _torch_vae_loss(ref, torch.tensor(x), torch.tensor(eps))[:3]
        t_loss.backward()
        t_opt.step()
        assert abs(logs["loss"] - t_loss.item()) <= 1e-6 * abs(t_loss.item()), step
        assert abs(logs["kl"] - t_kl.item()) <= 1e-6 * max(1.0, abs(t_kl.item())), step
    for key, value in ref.state_dict().items():
        np.testing.assert_allclose(mine.state_dict()[key].numpy(), value.numpy(), rtol=1e-6,
                                   atol=1e-9, err_msg=key)
    x = _images(rng, 4)
    eps = rng.standard_normal((4, 3))
    ev = mine.evaluate_step(deepgrad.tensor(x), None, eps=eps)
    with torch.no_grad():
        assert abs(ev["loss"] - _torch_vae_loss(ref, torch.tensor(x),
                                                torch.tensor(eps))[0].item()) < 1e-6


@pytest.mark.parametrize("conv", [False, True], ids=["mlp", "conv"])
def test_autoencoder_loss_and_gradients_match_torch(conv):
    mine, ref = _pair(conv, latent=2, kind="ae")
    x = _images(np.random.default_rng(4), 6)
    loss = Autoencoder.reconstruction_loss(mine(deepgrad.tensor(x)), deepgrad.tensor(x))
    xt = torch.tensor(x)
    t_loss = ((torch.sigmoid(ref.decoder(ref.encoder(xt))) - xt) ** 2).sum() / 6
    assert abs(loss.item() - t_loss.item()) < 1e-9
    loss.backward()
    t_loss.backward()
    _assert_grads_equal(mine, ref)


def _stripes(rng, n, vertical):
    """Images of one bright bar (vertical or horizontal) at a random place, plus noise."""
    x = 0.05 * rng.uniform(0, 1, (n, 1, SIZE, SIZE))
    where = rng.integers(2, SIZE - 2, n)
    for i, w in enumerate(where):
        if vertical:
            x[i, 0, :, w - 1:w + 1] = 0.95
        else:
            x[i, 0, w - 1:w + 1, :] = 0.95
    return x.astype(np.float32)


@pytest.mark.parametrize("conv", [False, True], ids=["mlp", "conv"])
def test_autoencoder_training_reduces_the_loss_and_flags_anomalies(conv):
    rng = np.random.default_rng(5)
    normal = _stripes(rng, 64, vertical=True)
    model = autoencoder(latent_dim=2, image_size=SIZE, conv=conv,
                        hidden=HIDDEN_CONV if conv else HIDDEN_MLP)
    optimizers = model.configure_optimizers(lr=1e-2)
    first = model.evaluate_step(normal, None)["loss"]
    for _ in range(40):
        for i in range(0, 64, 16):
            model.train_step(deepgrad.tensor(normal[i:i + 16]), None, optimizers)
    assert model.evaluate_step(normal, None)["loss"] < 0.5 * first
    test = np.concatenate([_stripes(rng, 20, vertical=True), _stripes(rng, 20, vertical=False)])
    is_anomaly = np.r_[np.zeros(20), np.ones(20)]
    errors = reconstruction_errors(model, test, batch_size=16)
    expected = ((model(deepgrad.tensor(test)).detach().numpy() - test) ** 2).sum((1, 2, 3))
    np.testing.assert_allclose(errors, expected, rtol=1e-5)
    auc = anomaly_roc_auc(model, test, is_anomaly)
    assert auc == pytest.approx(sk_roc_auc(is_anomaly, errors))
    assert auc > 0.9


def test_denoising_autoencoder_corrupts_the_input_and_targets_the_clean_image():
    model = autoencoder(latent_dim=2, image_size=SIZE, hidden=HIDDEN_MLP, noise_std=0.4).double()
    x = deepgrad.tensor(_images(np.random.default_rng(6), 4))
    deepgrad.manual_seed(7)
    noisy = model.corrupt(x)
    assert noisy.numpy().min() >= 0 and noisy.numpy().max() <= 1
    assert np.abs(noisy.numpy() - x.numpy()).mean() > 0.1
    expected = ((model(noisy).detach().numpy() - x.numpy()) ** 2).sum() / 4
    deepgrad.manual_seed(7)
    logs = model.train_step(x, None, model.configure_optimizers())
    assert logs["loss"] == pytest.approx(expected, rel=1e-12)
    clean = autoencoder(latent_dim=2, image_size=SIZE, hidden=HIDDEN_MLP)
    assert clean.corrupt(x) is x


def _denoised_error(noise_std, lr, epochs):
    """Train on clean bars; return the error of denoising fresh noisy copies, and of the noisy
    copies themselves."""
    deepgrad.manual_seed(0)
    rng = np.random.default_rng(8)
    clean = _stripes(rng, 64, vertical=True)
    model = autoencoder(latent_dim=2, image_size=SIZE, hidden=HIDDEN_MLP, noise_std=noise_std)
    optimizers = model.configure_optimizers(lr=lr)
    for _ in range(epochs):
        for i in range(0, 64, 16):
            model.train_step(deepgrad.tensor(clean[i:i + 16]), None, optimizers)
    noisy = np.clip(clean + 0.3 * rng.standard_normal(clean.shape), 0, 1).astype(np.float32)
    with deepgrad.no_grad():
        denoised = model.eval()(deepgrad.tensor(noisy)).numpy()
    return ((denoised - clean) ** 2).sum(), ((noisy - clean) ** 2).sum()


def test_denoising_autoencoder_learns_to_remove_noise():
    denoised, noisy = _denoised_error(0.3, 3e-3, 80)
    plain, _ = _denoised_error(0.0, 1e-2, 40)
    assert denoised < 0.5 * noisy
    assert denoised < 0.5 * plain  # a plain autoencoder, never shown noise, doesn't remove it


def test_roc_auc_score_matches_sklearn_with_ties_and_checks_input():
    rng = np.random.default_rng(9)
    for _ in range(10):
        t = rng.integers(0, 2, 40)
        s = rng.integers(0, 6, 40).astype(float)
        assert roc_auc_score(t, s) == pytest.approx(sk_roc_auc(t, s), abs=1e-12)
    assert roc_auc_score([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc_score([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert roc_auc_score([0, 1], [0.5, 0.5]) == 0.5
    with pytest.raises(ValueError, match="only one class"):
        roc_auc_score([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="binary"):
        roc_auc_score([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="3 samples but y_score has 2"):
        roc_auc_score([0, 1, 1], [0.1, 0.2])


def test_vae_sample_interpolate_and_reconstruct():
    model = vae(latent_dim=3, image_size=SIZE, hidden=HIDDEN_MLP)
    samples = model.sample(5)
    assert samples.shape == (5, 1, SIZE, SIZE) and not samples.requires_grad
    assert 0 <= samples.numpy().min() and samples.numpy().max() <= 1
    x = _images(np.random.default_rng(10), 2).astype(np.float32)
    strip = model.interpolate(x[0], x[1:2], steps=4).numpy()
    assert strip.shape == (4, 1, SIZE, SIZE)
    with deepgrad.no_grad():
        ends = model.reconstruct(deepgrad.tensor(x)).numpy()
        mu = model.encode(x)[0].numpy()
        middle = model.decode(deepgrad.tensor((2 * mu[0] + mu[1]) / 3)[None]).numpy()
    np.testing.assert_allclose(strip[[0, 3]], ends, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(strip[1], middle[0], rtol=1e-5, atol=1e-6)
    deepgrad.manual_seed(3)
    a = model.sample(2).numpy()
    deepgrad.manual_seed(3)
    np.testing.assert_array_equal(a, model.sample(2).numpy())


def test_autoencoder_samples_from_the_gaussian_fit_of_its_codes():
    model = autoencoder(latent_dim=2, image_size=SIZE, hidden=HIDDEN_MLP)
    x = _stripes(np.random.default_rng(11), 50, vertical=True)
    model.fit_latent(x, batch_size=16)
    with deepgrad.no_grad():
        codes = model.encode(x).numpy()
    np.testing.assert_allclose(model.code_mean.numpy(), codes.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.code_cov.numpy(), np.cov(codes, rowvar=False), rtol=1e-4,
                               atol=1e-7)
    samples = model.sample(6)
    assert samples.shape == (6, 1, SIZE, SIZE)
    assert 0 <= samples.numpy().min() and samples.numpy().max() <= 1
    # the fitted Gaussian travels with the weights
    other = autoencoder(latent_dim=2, image_size=SIZE, hidden=HIDDEN_MLP)
    other.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(other.code_cov.numpy(), model.code_cov.numpy())
    # train_step tracks the codes' moving average
    fresh = autoencoder(latent_dim=2, image_size=SIZE, hidden=HIDDEN_MLP)
    fresh.train_step(deepgrad.tensor(x[:16]), None, fresh.configure_optimizers())
    assert not np.allclose(fresh.code_cov.numpy(), np.eye(2))


def test_bad_input_and_checkpoint_errors_are_clear():
    model = vae(latent_dim=2, image_size=SIZE, hidden=HIDDEN_MLP)
    with pytest.raises(ValueError, match=r"VAE.encode: expected images of shape \(N, 1, 12, 12"):
        model.encode(np.zeros((2, 1, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"expected images of shape"):
        model.train_step(np.zeros((2, 12, 12), np.float32), None, model.configure_optimizers())
    with pytest.raises(ValueError, match=r"VAE.decode: expected codes of shape \(N, 2\)"):
        model.decode(deepgrad.zeros(3, 5))
    with pytest.raises(ValueError, match="eps must have the shape of mu"):
        model.loss(np.zeros((2, 1, SIZE, SIZE), np.float32), eps=np.zeros((2, 3)))
    bigger = vae(latent_dim=5, image_size=SIZE, hidden=HIDDEN_MLP)
    with pytest.raises(RuntimeError, match="checkpoint has latent_dim=5 but this model has "
                                           "latent_dim=2; build the model with latent_dim=5"):
        model.load_state_dict(bigger.state_dict())
    ae = autoencoder(latent_dim=2, image_size=SIZE, conv=True, hidden=HIDDEN_CONV)
    with pytest.raises(RuntimeError, match="checkpoint has latent_dim=5"):
        ae.load_state_dict(autoencoder(latent_dim=5, image_size=SIZE, conv=True,
                                       hidden=HIDDEN_CONV).state_dict())
    with pytest.raises(ValueError, match="Autoencoder.encode: expected images"):
        ae.encode(np.zeros((1, 3, SIZE, SIZE), np.float32))
    with pytest.raises(ValueError, match="multiple of 4"):
        vae(image_size=30, conv=True)
    with pytest.raises(ValueError, match="noise_std must be >= 0"):
        autoencoder(noise_std=-1)
    with pytest.raises(ValueError, match="steps must be >= 2"):
        model.interpolate(np.zeros((1, SIZE, SIZE)), np.zeros((1, SIZE, SIZE)), steps=1)


def test_registered_builders_follow_the_protocol():
    for name in ("autoencoder", "vae"):
        builder = MODELS[name]
        assert builder.task == "generative"
        assert model_input_size(name, in_channels=3, image_size=32) == (3, 32, 32)
        model = builder(latent_dim=5, in_channels=3, image_size=32, conv=True)
        assert model.task == "generative"
        assert set(model.configure_optimizers()) == {"model"}
        assert model.sample(2).shape == (2, 3, 32, 32)


def _fashion_mnist(n_train):
    from deepgrad.datasets import FashionMNIST

    def images(ds):
        return np.asarray(ds.data.numpy(), np.float32)[:, None] / 255.0

    return images(FashionMNIST(train=True))[:n_train], images(FashionMNIST(train=False))


def train_vae_against_torch(conv, latent=2, n_train=20000, epochs=2, batch_size=128, lr=1e-3,
                            seed=0, same_init=False):
    """Train deepgrad's VAE and the same architecture in torch (float32, the same data order
    and budget); return both test −ELBOs (the same test ε for both) and training seconds.

    ``same_init=False``: each framework's own seeded initialisation and ε. ``same_init=True``:
    deepgrad starts from torch's initial weights and both draw the same training ε, so the
    runs differ only by float32 rounding (this isolates the implementation from the
    seed-to-seed spread, which is large early in training)."""
    import time

    x_train, x_test = _fashion_mnist(n_train)
    hidden = HIDDEN_CONV_FULL if conv else HIDDEN_MLP_FULL
    deepgrad.manual_seed(seed)
    mine = vae(latent_dim=latent, conv=conv, hidden=hidden)
    torch.manual_seed(seed)
    ref = _torch_networks(latent, 1, conv, hidden, vae_heads=True, size=28).float()
    if same_init:
        _copy_weights(mine, ref)
    shared_eps = np.random.default_rng(seed + 2)
    optimizers = mine.configure_optimizers(lr=lr)
    t_opt = torch.optim.Adam(ref.parameters(), lr=lr)
    order = np.random.default_rng(seed)
    seconds = {"deepgrad": 0.0, "torch": 0.0}
    for _ in range(epochs):
        perm = order.permutation(len(x_train))
        for i in range(0, len(perm), batch_size):
            xb = x_train[perm[i:i + batch_size]]
            eb = shared_eps.standard_normal((len(xb), latent)).astype(np.float32)
            start = time.perf_counter()
            mine.train_step(deepgrad.tensor(xb), None, optimizers, eps=eb if same_init else None)
            seconds["deepgrad"] += time.perf_counter() - start
            start = time.perf_counter()
            t_opt.zero_grad()
            xt = torch.from_numpy(xb)
            eps = torch.from_numpy(eb) if same_init else torch.randn(len(xb), latent)
            loss = _torch_vae_loss(ref, xt, eps)[0]
            loss.backward()
            t_opt.step()
            seconds["torch"] += time.perf_counter() - start
    eps = np.random.default_rng(seed + 1).standard_normal((len(x_test), latent)).astype(
        np.float32)
    totals = {"deepgrad": 0.0, "torch": 0.0}
    for i in range(0, len(x_test), 1000):
        xb, eb = x_test[i:i + 1000], eps[i:i + 1000]
        logs = mine.evaluate_step(deepgrad.tensor(xb), None, eps=eb)
        totals["deepgrad"] += logs["loss"] * len(xb)
        with torch.no_grad():
            totals["torch"] += _torch_vae_loss(ref, torch.from_numpy(xb),
                                               torch.from_numpy(eb))[0].item() * len(xb)
    return {k: v / len(x_test) for k, v in totals.items()}, seconds


HIDDEN_MLP_FULL, HIDDEN_CONV_FULL = (512, 256), (32, 64)


@pytest.mark.slow
@pytest.mark.parametrize("conv", [False, True], ids=["mlp", "conv"])
def test_vae_test_elbo_within_2_percent_of_torch(conv):
    """Fashion-MNIST, latent 2, batch 128, Adam 1e-3, test −ELBO on the 10,000 test images.
    MLP: 2 epochs on 20,000 images, each framework's own initialisation (measured: deepgrad
    275.12, torch 275.33). Conv: 1 epoch on 10,000 images (78 steps, where two seeds still
    differ by ~10%: own inits gave deepgrad 369.65, torch 337.78), so from torch's initial
    weights and the same ε."""
    n_train, epochs = (10000, 1) if conv else (20000, 2)
    elbo, seconds = train_vae_against_torch(conv, n_train=n_train, epochs=epochs,
                                            same_init=conv)
    print(f"VAE {'conv' if conv else 'mlp'}: test -ELBO deepgrad {elbo['deepgrad']:.2f}, torch "
          f"{elbo['torch']:.2f}; train seconds {seconds}")
    assert abs(elbo["deepgrad"] - elbo["torch"]) <= 0.02 * elbo["torch"]


@pytest.mark.slow
def test_conv_vae_own_inits_agree_with_torch_on_average_over_seeds():
    """The conv VAE with each framework's own initialisation and ε (1 epoch on 10,000 images,
    78 steps): one seed can differ by ~10% (seed 0: deepgrad 369.7, torch 337.8), but that is
    the seed-to-seed spread, not a difference of the frameworks: over seeds 0-4 the means agree
    (measured 2026-12-02: deepgrad 357.6 ± 20.6, torch 356.6 ± 14.3, sample std), and the
    per-seed differences fall on both sides."""
    results = [train_vae_against_torch(True, n_train=10000, epochs=1, seed=seed)[0]
               for seed in range(5)]
    mine = np.array([r["deepgrad"] for r in results])
    theirs = np.array([r["torch"] for r in results])
    print(f"conv VAE own inits, seeds 0-4: deepgrad {mine.round(2)}, torch {theirs.round(2)}")
    assert abs(mine.mean() - theirs.mean()) <= 0.02 * theirs.mean()
    assert (mine > theirs).any() and (mine < theirs).any()
