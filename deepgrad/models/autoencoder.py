"""Autoencoders (MLP and convolutional), the denoising variant, and anomaly detection by
reconstruction error.

An autoencoder squeezes an image x through a low-dimensional code z = f(x) (the course uses 2
and 5 latent dimensions) and rebuilds it, x̂ = g(z), learning both maps without labels by
minimising the reconstruction loss

    L(x, x̂) = ||x − x̂||² = Σ_pixels (x − x̂)²        (summed over pixels, averaged over a batch)

The denoising autoencoder feeds a corrupted x̃ = clip(x + σ·ε, 0, 1), ε ~ N(0, I), and still
asks for the clean x: L(x, g(f(x̃))). Images the model never learned to rebuild (other classes,
outliers) come back worse, so the per-image error ||x − x̂||² is an anomaly score
(:func:`reconstruction_errors`, :func:`anomaly_roc_auc`).

The networks (shared with :mod:`deepgrad.models.vae`)::

    MLP   encoder  flatten → C·H·W → 512 → 256 → latent            (ReLU between)
          decoder  latent → 256 → 512 → C·H·W → unflatten C×H×W
    conv  encoder  conv3×3 s2 (C→32) → conv3×3 s2 (32→64) → flatten → latent
                   (28 → 14 → 7: O = ⌊(W − K + 2P)/S⌋ + 1 = ⌊(28 − 3 + 2)/2⌋ + 1 = 14)
          decoder  latent → 64·7·7 → convT3×3 s2 (64→32) → convT3×3 s2 (32→C), output_padding 1
                   (7 → 14 → 28: O = (W − 1)·S − 2P + K + output_padding)

``hidden`` replaces the widths (512, 256) or the channels (32, 64).
"""

import numpy as np

import deepgrad
from deepgrad import nn, optim
from deepgrad.autograd import no_grad
from deepgrad.train.metrics import roc_auc_score

__all__ = ["Autoencoder", "autoencoder", "reconstruction_errors", "anomaly_roc_auc"]

_MLP_HIDDEN = (512, 256)
_CONV_CHANNELS = (32, 64)


def check_config(name, latent_dim, in_channels, image_size, conv):
    if int(latent_dim) < 1:
        raise ValueError(f"{name}: latent_dim must be a positive integer, got {latent_dim}")
    if int(in_channels) < 1 or int(image_size) < 1:
        raise ValueError(f"{name}: in_channels and image_size must be positive, got "
                         f"{in_channels} and {image_size}")
    if conv and image_size % 4:
        raise ValueError(f"{name}: the convolutional variant halves the image twice, so "
                         f"image_size must be a multiple of 4 (28, 32, ...), got {image_size}")


def encoder_network(in_channels, image_size, conv, hidden=None):
    """The encoder body's layers (image → features, a list) and its number of output
    features."""
    if conv:
        c1, c2 = hidden or _CONV_CHANNELS
        side = image_size // 4
        layers = [nn.Conv2d(in_channels, c1, 3, stride=2, padding=1), nn.ReLU(),
                  nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten()]
        return layers, c2 * side * side
    layers, width = [nn.Flatten()], in_channels * image_size * image_size
    for w in hidden or _MLP_HIDDEN:
        layers += [nn.Linear(width, w), nn.ReLU()]
        width = w
    return layers, width


def decoder_network(latent_dim, in_channels, image_size, conv, hidden=None):
    """The decoder (code → C×H×W pre-activations: logits, or sigmoid-ed by the caller)."""
    if conv:
        c1, c2 = hidden or _CONV_CHANNELS
        side = image_size // 4
        return nn.Sequential(
            nn.Linear(latent_dim, c2 * side * side), nn.ReLU(), nn.Unflatten(1, (c2, side, side)),
            nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c1, in_channels, 3, stride=2, padding=1, output_padding=1))
    widths = list(reversed(hidden or _MLP_HIDDEN))
    layers, width = [], latent_dim
    for w in widths:
        layers += [nn.Linear(width, w), nn.ReLU()]
        width = w
    layers += [nn.Linear(width, in_channels * image_size * image_size),
               nn.Unflatten(1, (in_channels, image_size, image_size))]
    return nn.Sequential(*layers)


def as_model_input(model, x, name):
    """``x`` as a Tensor of the model's float dtype, checked to be N×C×H×W of the model's
    image shape (a clear error naming the model and both shapes otherwise)."""
    if not isinstance(x, deepgrad.Tensor):
        x = deepgrad.tensor(np.asarray(x))
    dtype = next(model.parameters()).dtype
    if x.dtype != dtype:
        x = x.to(dtype)
    expected = (model.in_channels, model.image_size, model.image_size)
    if x.ndim != 4 or tuple(x.shape[1:]) != expected:
        raise ValueError(f"{name}: expected images of shape (N, {expected[0]}, {expected[1]}, "
                         f"{expected[2]}) with pixels in [0, 1], got shape {tuple(x.shape)}; "
                         f"build the model with in_channels/image_size matching the data")
    return x


def check_latent_size(model, state_dict, name):
    """Raise a clear error when ``state_dict`` was saved by a model of another latent size
    (read off the decoder's first Linear, whose weight is out × latent_dim)."""
    value = state_dict.get("decoder.0.weight")
    if value is None or len(value.shape) != 2:
        return
    saved = int(value.shape[1])
    if saved != model.latent_dim:
        raise RuntimeError(f"{name}.load_state_dict: the checkpoint has latent_dim={saved} "
                           f"but this model has latent_dim={model.latent_dim}; build the model "
                           f"with latent_dim={saved} (decoder.0.weight: checkpoint shape "
                           f"{tuple(value.shape)}, model shape "
                           f"{tuple(model.decoder[0].weight.shape)})")


class Autoencoder(nn.Module):
    """Encoder f and decoder g trained on L(x, x̂) = ||x − x̂||² with x̂ = sigmoid(g(f(x))).

    Args:
        latent_dim: size of the code z (2 or 5 in the course).
        in_channels, image_size: the C and H = W of the images (pixels in [0, 1]).
        conv: convolutional (True) or MLP (False) encoder/decoder (see the module docstring).
        hidden: the MLP widths or the two conv channel counts (defaults (512, 256), (32, 64)).
        noise_std: σ > 0 makes it a denoising autoencoder: train on x̃ = clip(x + σ·ε, 0, 1)
            and reconstruct the clean x.

    ``sample(n)`` decodes codes drawn from a Gaussian fitted to the training codes,
    N(code_mean, code_cov): the buffers are an exponential moving average (momentum 0.1) of
    the codes' batch mean and covariance during ``train_step``; :meth:`fit_latent` refits
    them exactly on a data set. A plain autoencoder has no prior, so these samples are only as
    good as that Gaussian fit (a VAE's are the principled version).
    """

    task = "generative"

    def __init__(self, latent_dim=2, in_channels=1, image_size=28, conv=False, hidden=None,
                 noise_std=0.0):
        super().__init__()
        check_config("Autoencoder", latent_dim, in_channels, image_size, conv)
        if noise_std < 0:
            raise ValueError(f"Autoencoder: noise_std must be >= 0, got {noise_std}")
        self.latent_dim, self.conv, self.noise_std = int(latent_dim), bool(conv), float(noise_std)
        self.in_channels, self.image_size = int(in_channels), int(image_size)
        layers, features = encoder_network(in_channels, image_size, conv, hidden)
        self.encoder = nn.Sequential(*layers, nn.Linear(features, self.latent_dim))
        self.decoder = decoder_network(self.latent_dim, in_channels, image_size, conv, hidden)
        self.register_buffer("code_mean", deepgrad.zeros(self.latent_dim))
        self.register_buffer("code_cov", deepgrad.eye(self.latent_dim))
        self._codes_seen = False

    def encode(self, x):
        """The code z = f(x), N × latent_dim."""
        return self.encoder(as_model_input(self, x, "Autoencoder.encode"))

    def decode(self, z):
        """The image x̂ = sigmoid(g(z)) in [0, 1], N×C×H×W."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"Autoencoder.decode: expected codes of shape (N, "
                             f"{self.latent_dim}), got {tuple(z.shape)}")
        return deepgrad.sigmoid(self.decoder(z))

    def forward(self, x):
        return self.decode(self.encode(x))

    reconstruct = forward

    def corrupt(self, x):
        """x̃ = clip(x + σ·ε, 0, 1), the denoising autoencoder's input (x itself if σ = 0)."""
        if self.noise_std == 0:
            return x
        noise = deepgrad.randn(*x.shape, dtype=x.dtype) * self.noise_std
        return deepgrad.clamp(x + noise, 0.0, 1.0)

    @staticmethod
    def reconstruction_loss(x_hat, x):
        """||x − x̂||² summed over the pixels of each image, averaged over the batch."""
        return ((x_hat - x) ** 2).sum() / x.shape[0]

    # ----- the generative-model protocol ------------------------------------------------
    def configure_optimizers(self, lr=None):
        """Adam with lr 1e-3 (the course's default)."""
        return {"model": optim.Adam(self.parameters(), lr=1e-3 if lr is None else lr)}

    def train_step(self, x, y, optimizers):
        self.train()
        x = as_model_input(self, x, "Autoencoder.train_step")
        optimizer = optimizers["model"]
        optimizer.zero_grad()
        z = self.encode(self.corrupt(x))
        loss = self.reconstruction_loss(self.decode(z), x)
        loss.backward()
        optimizer.step()
        self._update_code_statistics(z.detach().numpy())
        return {"loss": loss.item()}

    def evaluate_step(self, x, y):
        """The reconstruction loss of the (corrupted, for a denoising model) input."""
        self.eval()
        with no_grad():
            x = as_model_input(self, x, "Autoencoder.evaluate_step")
            loss = self.reconstruction_loss(self(self.corrupt(x)), x)
        return {"loss": loss.item()}

    def sample(self, n, labels=None):
        """n images decoded from z ~ N(code_mean, code_cov), in [0, 1] (no grad, eval mode)."""
        self.eval()
        mean = self.code_mean.numpy().astype(np.float64)
        cov = self.code_cov.numpy().astype(np.float64)
        chol = np.linalg.cholesky(cov + 1e-6 * np.eye(self.latent_dim))
        eps = deepgrad.randn(int(n), self.latent_dim, dtype=deepgrad.float64).numpy()
        z = deepgrad.tensor(mean + eps @ chol.T).to(self.code_mean.dtype)
        with no_grad():
            return self.decode(z)

    @no_grad()
    def fit_latent(self, x, batch_size=256):
        """Set code_mean/code_cov to the mean and covariance of the codes of ``x``."""
        self.eval()
        codes = np.concatenate([self.encode(x[i:i + batch_size]).numpy()
                                for i in range(0, len(x), batch_size)])
        self._set_code_statistics(codes.mean(0), np.atleast_2d(np.cov(codes, rowvar=False)))
        self._codes_seen = True
        return self

    def _update_code_statistics(self, codes, momentum=0.1):
        mean = codes.mean(0)
        cov = np.atleast_2d(np.cov(codes, rowvar=False)) if len(codes) > 1 else \
            np.zeros((self.latent_dim, self.latent_dim))
        if self._codes_seen:
            mean = (1 - momentum) * self.code_mean.numpy() + momentum * mean
            cov = (1 - momentum) * self.code_cov.numpy() + momentum * cov
        self._set_code_statistics(mean, cov)
        self._codes_seen = True

    def _set_code_statistics(self, mean, cov):
        self.code_mean._data[...] = mean
        self.code_cov._data[...] = cov

    def load_state_dict(self, state_dict, strict=True, assign=False):
        check_latent_size(self, state_dict, "Autoencoder")
        result = super().load_state_dict(state_dict, strict, assign)
        self._codes_seen = True
        return result

    def extra_repr(self):
        kind = "conv" if self.conv else "mlp"
        return (f"latent_dim={self.latent_dim}, {kind}, image={self.in_channels}×"
                f"{self.image_size}×{self.image_size}, noise_std={self.noise_std}")


@no_grad()
def reconstruction_errors(model, x, batch_size=256):
    """Per-image ||x − x̂||² (float64 array of shape (N,)) with x̂ = ``model.reconstruct(x)``
    (an Autoencoder's output; a VAE's decoding of its mean code), in eval mode, no noise.
    Large errors flag images unlike the training data."""
    model.eval()
    errors = []
    for i in range(0, len(x), batch_size):
        batch = as_model_input(model, x[i:i + batch_size], "reconstruction_errors")
        diff = model.reconstruct(batch).numpy().astype(np.float64) - batch.numpy()
        errors.append((diff ** 2).reshape(len(diff), -1).sum(1))
    return np.concatenate(errors) if errors else np.zeros(0)


def anomaly_roc_auc(model, x, is_anomaly, batch_size=256):
    """ROC AUC of the reconstruction error as an anomaly score: the probability that a random
    anomaly has a larger error than a random normal image (1 = perfect, 0.5 = chance)."""
    return roc_auc_score(is_anomaly, reconstruction_errors(model, x, batch_size))


def autoencoder(latent_dim=2, in_channels=1, image_size=28, conv=False, hidden=None,
                noise_std=0.0):
    """An :class:`Autoencoder` (``conv=True`` for the convolutional one, ``noise_std`` > 0 for
    a denoising one)."""
    return Autoencoder(latent_dim, in_channels, image_size, conv, hidden, noise_std)


autoencoder.task = "generative"
autoencoder.input_size = lambda in_channels=1, image_size=28, **_: (in_channels, image_size,
                                                                    image_size)
