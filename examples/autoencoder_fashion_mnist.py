"""Autoencoders on Fashion-MNIST: latent sizes 2 and 5, a denoising autoencoder, and anomaly
detection by reconstruction error.

An autoencoder learns x → z → x̂ without labels by minimising L(x, x̂) = ||x − x̂||² (summed
over the 784 pixels, averaged over a batch). With 2 latent numbers the reconstructions are
blurry class prototypes; with 5 they keep more of the shape. A denoising autoencoder is fed
x̃ = clip(x + σ·ε, 0, 1) and must return the clean x.

Anomaly detection: train only on "normal" classes (default: the tops -- T-shirt, pullover,
dress, coat, shirt); images of the other classes reconstruct worse, so the per-image error
||x − x̂||² separates them. The script reports the ROC AUC of that score on the test set (the
probability that a random anomaly has a larger error than a random normal image).

Writes into --out: reconstructions_latent{2,5}.png (inputs above reconstructions),
denoising.png (clean / noisy / denoised), anomaly_errors.png (error histograms).

Run:  python examples/autoencoder_fashion_mnist.py [--epochs 3] [--conv] [--limit 20000]
"""

import argparse
import time

import numpy as np

import deepgrad as dg
from deepgrad.datasets import FashionMNIST
from deepgrad.models import autoencoder
from deepgrad.models.autoencoder import reconstruction_errors
from deepgrad.train import fit_generative
from deepgrad.train.metrics import roc_auc_score
from deepgrad.viz import plot_reconstructions

TOPS = (0, 2, 3, 4, 6)


def load(train):
    """Fashion-MNIST images N×1×28×28 float32 in [0, 1] and int64 labels."""
    ds = FashionMNIST(train=train)
    return (np.asarray(ds.data.numpy(), np.float32)[:, None] / 255.0,
            np.asarray(ds.targets.numpy(), np.int64), ds.classes)


def train(x, y, latent_dim, conv, epochs, noise_std=0.0, verbose=1):
    model = autoencoder(latent_dim=latent_dim, conv=conv, noise_std=noise_std)
    start = time.perf_counter()
    history = fit_generative(model, (x, y), epochs=epochs, batch_size=128, verbose=verbose)
    print(f"  trained in {time.perf_counter() - start:.0f} s, final train loss "
          f"{history.history['loss'][-1]:.2f}")
    return model


def main(epochs=3, conv=False, limit=None, normal=TOPS, noise_std=0.3, out="runs/autoencoder",
         verbose=1):
    dg.manual_seed(0)
    x_train, y_train, classes = load(train=True)
    x_test, y_test, _ = load(train=False)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    results = {}
    for latent in (2, 5):
        print(f"autoencoder, latent {latent} ({'conv' if conv else 'mlp'}):")
        model = train(x_train, y_train, latent, conv, epochs, verbose=verbose)
        errors = reconstruction_errors(model, x_test)
        results[f"latent{latent}"] = float(errors.mean())
        print(f"  test reconstruction loss ||x - x_hat||^2: {errors.mean():.2f} per image")
        with dg.no_grad():
            rec = model(dg.tensor(x_test[:10]))
        plot_reconstructions(x_test[:10], rec, path=f"{out}/reconstructions_latent{latent}.png",
                             title=f"latent {latent}: test loss {errors.mean():.1f}")

    print(f"denoising autoencoder, latent 5, noise std {noise_std}:")
    model = train(x_train, y_train, 5, conv, epochs, noise_std=noise_std, verbose=verbose)
    noisy = np.clip(x_test + noise_std * np.random.default_rng(0).standard_normal(
        x_test.shape), 0, 1).astype(np.float32)
    with dg.no_grad():
        denoised = model.eval()(dg.tensor(noisy)).numpy()
    noisy_err = ((noisy - x_test) ** 2).sum((1, 2, 3)).mean()
    denoised_err = ((denoised - x_test) ** 2).sum((1, 2, 3)).mean()
    results["denoise_noisy"], results["denoise_denoised"] = float(noisy_err), float(denoised_err)
    print(f"  ||x - x_noisy||^2 = {noisy_err:.2f}, ||x - denoised||^2 = {denoised_err:.2f}")
    plot_reconstructions(x_test[:10], denoised[:10], inputs=noisy[:10],
                         path=f"{out}/denoising.png", title="denoising autoencoder")

    names = ", ".join(classes[c].split(" ")[0] for c in normal)
    print(f"anomaly detection: latent 5, trained on {names} only")
    keep = np.isin(y_train, normal)
    model = train(x_train[keep], y_train[keep], 5, conv, epochs, verbose=verbose)
    errors = reconstruction_errors(model, x_test)
    is_anomaly = ~np.isin(y_test, normal)
    auc = roc_auc_score(is_anomaly, errors)
    results["anomaly_auc"] = auc
    print(f"  test ROC AUC (reconstruction error as the anomaly score): {auc:.3f}")
    for c in sorted(set(range(10)) - set(normal)):
        mask = (y_test == c) | ~is_anomaly  # this class against the normal ones
        print(f"    {classes[c]:>14}: AUC {roc_auc_score(y_test[mask] == c, errors[mask]):.3f}")
    _plot_error_histograms(errors, is_anomaly, f"{out}/anomaly_errors.png", auc)
    return results


def _plot_error_histograms(errors, is_anomaly, path, auc):
    from deepgrad.viz._common import figure, finish

    fig = figure((6, 3.5))
    ax = fig.subplots()
    bins = np.linspace(0, np.percentile(errors, 99), 60)
    ax.hist(errors[~is_anomaly], bins, alpha=0.6, density=True, label="normal (trained on)")
    ax.hist(errors[is_anomaly], bins, alpha=0.6, density=True, label="anomalies")
    ax.set_xlabel("reconstruction error ||x - x_hat||^2")
    ax.set_title(f"ROC AUC {auc:.3f}")
    ax.legend()
    finish(fig, path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--conv", action="store_true", help="convolutional autoencoders")
    parser.add_argument("--limit", type=int, default=None, help="use the first N train images")
    parser.add_argument("--normal", type=int, nargs="+", default=list(TOPS),
                        help="classes to train the anomaly detector on")
    parser.add_argument("--noise-std", type=float, default=0.3)
    parser.add_argument("--out", default="runs/autoencoder")
    parser.add_argument("--verbose", type=int, default=1)
    a = parser.parse_args()
    main(a.epochs, a.conv, a.limit, tuple(a.normal), a.noise_std, a.out, a.verbose)
