"""A variational autoencoder on Fashion-MNIST: samples from the prior, latent interpolation and
the 2-D latent space of the test set coloured by class.

The encoder maps x to the mean and log-variance of q(z|x); a code z = μ + exp(logvar/2)·ε,
ε ~ N(0, I) (the reparameterisation trick) is decoded to pixel logits. Training minimises the
negative ELBO per image:

    −ELBO = BCE(decoder(z), x) summed over pixels  −  ½ Σ (1 + logvar − μ² − exp(logvar))

The KL term keeps the codes near N(0, I), so decoding random z ~ N(0, I) gives new clothes.
With --latent 2 the codes can be drawn directly: latent_map.png scatters μ(x) of the test set
coloured by class, latent_grid.png decodes a grid of codes.

Writes into --out: samples.png, interpolation.png, latent_map.png (and latent_grid.png for a
2-D latent space). With --score, the reference classifier (LeNet-5, trained once and cached)
rates 1000 samples: Inception-style score, confidence, class evenness and the Fréchet distance
to the test images, next to the same numbers for real test images.

Run:  python examples/vae_fashion_mnist.py [--epochs 5] [--latent 2] [--conv] [--score]
      python examples/vae_fashion_mnist.py --weights runs/vae/vae.safetensors --score
"""

import argparse
import time

import numpy as np

import deepgrad as dg
from deepgrad.datasets import FashionMNIST
from deepgrad.models import vae
from deepgrad.train import fit_generative
from deepgrad.viz import (
    plot_history,
    plot_interpolation,
    plot_latent_grid,
    plot_latent_map,
    plot_samples,
)


def load(train):
    """Fashion-MNIST images N×1×28×28 float32 in [0, 1] and int64 labels."""
    ds = FashionMNIST(train=train)
    return (np.asarray(ds.data.numpy(), np.float32)[:, None] / 255.0,
            np.asarray(ds.targets.numpy(), np.int64), ds.classes)


def test_elbo(model, x, batch_size=500):
    """Mean negative ELBO (and its terms) per test image, one ε sample per image."""
    sums, n = {}, 0
    for i in range(0, len(x), batch_size):
        logs = model.evaluate_step(dg.tensor(x[i:i + batch_size]), None)
        for k, v in logs.items():
            sums[k] = sums.get(k, 0.0) + v * len(x[i:i + batch_size])
        n += len(x[i:i + batch_size])
    return {k: v / n for k, v in sums.items()}


def main(epochs=5, latent=2, conv=False, limit=None, lr=1e-3, out="runs/vae", score=False,
         verbose=1, weights=None):
    dg.manual_seed(0)
    x_train, y_train, classes = load(train=True)
    x_test, y_test, _ = load(train=False)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    model = vae(latent_dim=latent, conv=conv)
    start = time.perf_counter()
    if weights:  # saved by an earlier run (out/vae.safetensors)
        model.load_state_dict(dg.load(weights))
        epochs = 0
    else:
        history = fit_generative(model, (x_train, y_train),
                                 val_data=(x_test[:2000], y_test[:2000]), epochs=epochs,
                                 batch_size=128, lr=lr, verbose=verbose)
        plot_history(history, path=f"{out}/curves.png")
        dg.save(model.state_dict(), f"{out}/vae.safetensors")
    seconds = time.perf_counter() - start
    elbo = test_elbo(model, x_test)
    print(f"VAE ({'conv' if conv else 'mlp'}, latent {latent}), {epochs} epoch(s) on "
          f"{len(x_train)} images in {seconds:.0f} s: test -ELBO {elbo['loss']:.2f} per image "
          f"(reconstruction {elbo['rec']:.2f} + KL {elbo['kl']:.2f})")

    dg.manual_seed(1)
    samples = model.sample(64)
    plot_samples(samples, path=f"{out}/samples.png", ncols=8, title="samples z ~ N(0, I)")
    # interpolate between test images of different classes
    first = [int(np.flatnonzero(y_test == c)[0]) for c in range(10)]
    pairs = [(0, 9), (1, 8), (5, 7), (2, 3)]  # T-shirt→boot, trouser→bag, sandal→sneaker, ...
    strips = [model.interpolate(x_test[first[a]], x_test[first[b]], steps=10) for a, b in pairs]
    plot_interpolation(strips, path=f"{out}/interpolation.png",
                       row_titles=[f"{classes[a].split('/')[0]}→{classes[b].split('/')[0]}"
                                   for a, b in pairs], title="decoded straight lines in z")
    with dg.no_grad():
        mu = np.concatenate([model.encode(x_test[i:i + 1000])[0].numpy()
                             for i in range(0, len(x_test), 1000)])
    plot_latent_map(mu, y_test, class_names=classes, path=f"{out}/latent_map.png",
                    title="μ(x) of the test set")
    if latent == 2:
        plot_latent_grid(model.decode, n=15, limit=2.5, path=f"{out}/latent_grid.png")
    print(f"wrote {out}/samples.png, interpolation.png, latent_map.png")

    result = {"test_neg_elbo": elbo["loss"], "seconds": seconds}
    if score:
        from deepgrad.metrics import feature_statistics, reference_classifier

        reference = reference_classifier()
        test_stats = feature_statistics(reference.features(x_test))
        generated = model.sample(1000).numpy()
        gen, real = reference.score(generated), reference.score(x_test[:1000])
        gen["frechet_distance"] = reference.frechet_distance(generated, test_stats)
        real["frechet_distance"] = reference.frechet_distance(x_test[:1000], test_stats)
        for name, s in (("VAE samples", gen), ("real test images", real)):
            print(f"{name:>17}: score {s['inception_score']:.2f}, confidence "
                  f"{s['confidence']:.3f}, evenness {s['evenness']:.3f}, Fréchet distance "
                  f"{s['frechet_distance']:.2f}")
        result.update(samples=gen, real=real)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--latent", type=int, default=2)
    parser.add_argument("--conv", action="store_true", help="convolutional encoder/decoder")
    parser.add_argument("--limit", type=int, default=None, help="use the first N train images")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--out", default="runs/vae")
    parser.add_argument("--score", action="store_true", help="rate samples with the reference "
                        "classifier (trains it once, ~5 min, if not cached)")
    parser.add_argument("--verbose", type=int, default=1)
    parser.add_argument("--weights", default=None, help="skip training: load these weights")
    a = parser.parse_args()
    main(a.epochs, a.latent, a.conv, a.limit, a.lr, a.out, a.score, a.verbose, a.weights)
