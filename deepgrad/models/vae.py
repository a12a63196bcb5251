"""The variational autoencoder (Kingma & Welling, 2014), MLP and convolutional.

The encoder gives each image a Gaussian over codes, q(z|x) = N(μ(x), diag(σ²(x))), as a mean
and a log-variance; a code is drawn with the reparameterisation trick, so that gradients flow
through μ and σ (the randomness sits in ε alone)::

    z = μ + exp(logvar / 2) · ε,        ε ~ N(0, I)

and the decoder turns z into per-pixel Bernoulli logits. Training minimises the negative
evidence lower bound (ELBO), per image, averaged over the batch::

    −ELBO = BCE(logits, x) + KL(q(z|x) || N(0, I))
    BCE   = Σ_pixels  max(l, 0) − l·x + log(1 + exp(−|l|))            (l = logits)
    KL    = −½ Σ_latent (1 + logvar − μ² − exp(logvar))

The KL term pulls every q(z|x) towards the prior N(0, I), so decoding z ~ N(0, I) gives new
images (:meth:`VAE.sample`) and straight lines between codes decode to smooth morphs
(:meth:`VAE.interpolate`). The networks are the autoencoder's (see
:mod:`deepgrad.models.autoencoder`), with two heads, μ and logvar, on the encoder.
"""

import numpy as np

import deepgrad
from deepgrad import nn, optim
from deepgrad.autograd import no_grad
from deepgrad.models.autoencoder import (
    as_model_input,
    check_config,
    check_latent_size,
    decoder_network,
    encoder_network,
)
from deepgrad.nn import functional as F

__all__ = ["VAE", "vae", "vae_loss"]


def vae_loss(logits, x, mu, logvar):
    """The negative ELBO and its two terms, each summed over an image and averaged over the
    batch: returns ``(loss, reconstruction, kl)`` with loss = reconstruction + kl,
    reconstruction = BCE-with-logits(logits, x) summed over pixels and
    kl = −½ Σ (1 + logvar − μ² − exp(logvar))."""
    n = x.shape[0]
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / n
    kl = -0.5 * (1 + logvar - mu ** 2 - deepgrad.exp(logvar)).sum() / n
    return reconstruction + kl, reconstruction, kl


class VAE(nn.Module):
    """Encoder → (μ, logvar), z = μ + exp(logvar/2)·ε, decoder → pixel logits; trained on the
    negative ELBO (:func:`vae_loss`).

    Args:
        latent_dim: size of z (2 gives a latent space that can be drawn directly).
        in_channels, image_size: the C and H = W of the images (pixels in [0, 1]; the
            Bernoulli likelihood treats them as probabilities).
        conv: convolutional (True) or MLP (False) networks.
        hidden: the MLP widths or the two conv channel counts (defaults (512, 256), (32, 64)).

    ``forward(x, eps=None)`` returns ``(logits, mu, logvar)``; ``eps`` (N × latent_dim) fixes
    the noise of the reparameterisation (drawn from deepgrad's generator when None).
    """

    task = "generative"

    def __init__(self, latent_dim=2, in_channels=1, image_size=28, conv=False, hidden=None):
        super().__init__()
        check_config("VAE", latent_dim, in_channels, image_size, conv)
        self.latent_dim, self.conv = int(latent_dim), bool(conv)
        self.in_channels, self.image_size = int(in_channels), int(image_size)
        layers, features = encoder_network(in_channels, image_size, conv, hidden)
        self.encoder = nn.Sequential(*layers)
        self.fc_mu = nn.Linear(features, self.latent_dim)
        self.fc_logvar = nn.Linear(features, self.latent_dim)
        self.decoder = decoder_network(self.latent_dim, in_channels, image_size, conv, hidden)

    def encode(self, x):
        """The parameters of q(z|x): ``(mu, logvar)``, each N × latent_dim."""
        h = self.encoder(as_model_input(self, x, "VAE.encode"))
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu, logvar, eps=None):
        """z = μ + exp(logvar/2)·ε with ε ~ N(0, I) (or the given ``eps``)."""
        if eps is None:
            eps = deepgrad.randn(*mu.shape, dtype=mu.dtype)
        elif not isinstance(eps, deepgrad.Tensor):
            eps = deepgrad.tensor(np.asarray(eps, dtype=mu.dtype))
        if tuple(eps.shape) != tuple(mu.shape):
            raise ValueError(f"VAE.reparameterize: eps must have the shape of mu "
                             f"{tuple(mu.shape)}, got {tuple(eps.shape)}")
        return mu + deepgrad.exp(logvar * 0.5) * eps

    def decode_logits(self, z):
        """The decoder's per-pixel Bernoulli logits, N×C×H×W."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"VAE.decode: expected codes of shape (N, {self.latent_dim}), got "
                             f"{tuple(z.shape)}")
        return self.decoder(z)

    def decode(self, z):
        """Images sigmoid(decoder(z)) in [0, 1] (the Bernoulli means), N×C×H×W."""
        return deepgrad.sigmoid(self.decode_logits(z))

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x)
        return self.decode_logits(self.reparameterize(mu, logvar, eps)), mu, logvar

    def loss(self, x, eps=None):
        """``(−ELBO, reconstruction, kl)`` for the batch ``x`` (see :func:`vae_loss`)."""
        x = as_model_input(self, x, "VAE.loss")
        logits, mu, logvar = self(x, eps)
        return vae_loss(logits, x, mu, logvar)

    def reconstruct(self, x):
        """The decoding of the mean code, sigmoid(decoder(μ(x))) (deterministic)."""
        return self.decode(self.encode(x)[0])

    # ----- the generative-model protocol ------------------------------------------------
    def configure_optimizers(self, lr=None):
        """Adam with lr 1e-3."""
        return {"model": optim.Adam(self.parameters(), lr=1e-3 if lr is None else lr)}

    def train_step(self, x, y, optimizers, eps=None):
        """One Adam step on the negative ELBO; returns ``loss`` (−ELBO per image), ``rec`` and
        ``kl``."""
        self.train()
        optimizer = optimizers["model"]
        optimizer.zero_grad()
        loss, reconstruction, kl = self.loss(x, eps)
        loss.backward()
        optimizer.step()
        return {"loss": loss.item(), "rec": reconstruction.item(), "kl": kl.item()}

    def evaluate_step(self, x, y, eps=None):
        """The negative ELBO (one-sample estimate) and its terms, without updates."""
        self.eval()
        with no_grad():
            loss, reconstruction, kl = self.loss(x, eps)
        return {"loss": loss.item(), "rec": reconstruction.item(), "kl": kl.item()}

    def sample(self, n, labels=None):
        """n images decoded from the prior z ~ N(0, I), in [0, 1] (eval mode, no grad)."""
        self.eval()
        dtype = next(self.parameters()).dtype
        with no_grad():
            return self.decode(deepgrad.randn(int(n), self.latent_dim, dtype=dtype))

    def interpolate(self, x_a, x_b, steps=8):
        """``steps`` images decoded along the straight line from μ(x_a) to μ(x_b):
        z_t = (1 − t)·μ_a + t·μ_b for t = 0, 1/(steps − 1), ..., 1. ``x_a``, ``x_b``: one
        image each (C×H×W or 1×C×H×W)."""
        if steps < 2:
            raise ValueError(f"VAE.interpolate: steps must be >= 2, got {steps}")
        self.eval()
        with no_grad():
            ends = [self.encode(self._one_image(x, name))[0].numpy()[0]
                    for x, name in ((x_a, "x_a"), (x_b, "x_b"))]
            t = np.linspace(0.0, 1.0, int(steps))[:, None]
            z = (1 - t) * ends[0] + t * ends[1]
            return self.decode(deepgrad.tensor(z.astype(ends[0].dtype)))

    def _one_image(self, x, name):
        a = x.numpy() if isinstance(x, deepgrad.Tensor) else np.asarray(x)
        if a.ndim == 3:
            a = a[None]
        if a.ndim != 4 or a.shape[0] != 1:
            raise ValueError(f"VAE.interpolate: {name} must be one image (C×H×W or 1×C×H×W), "
                             f"got shape {a.shape}")
        return a

    def load_state_dict(self, state_dict, strict=True, assign=False):
        check_latent_size(self, state_dict, "VAE")
        return super().load_state_dict(state_dict, strict, assign)

    def extra_repr(self):
        kind = "conv" if self.conv else "mlp"
        return (f"latent_dim={self.latent_dim}, {kind}, image={self.in_channels}×"
                f"{self.image_size}×{self.image_size}")


def vae(latent_dim=2, in_channels=1, image_size=28, conv=False, hidden=None):
    """A :class:`VAE` (``conv=True`` for the convolutional one)."""
    return VAE(latent_dim, in_channels, image_size, conv, hidden)


vae.task = "generative"
vae.input_size = lambda in_channels=1, image_size=28, **_: (in_channels, image_size, image_size)
