"""Generative adversarial networks: :class:`GAN` (MLP players), :class:`DCGAN` (convolutional)
and :class:`ConditionalGAN` (both players see the class label).

The game. A generator G turns noise z ~ N(0, I) into an image G(z); a discriminator D outputs
the probability that its input is a **real** image (deepgrad's convention: D(x) = P(real); some
course slides write D = P(fake), which flips the labels below). D is trained to tell real from
fake, G to fool it::

    min_G max_D  E_x[log D(x)] + E_z[log(1 - D(G(z)))]

One training step (both players once, on one batch), with D returning a logit s and
D = sigmoid(s), so the losses are BCE-with-logits (stable: no log of a saturated sigmoid)::

    d_loss = BCE(D(x), t_real) + BCE(D(G(z).detach()), 0)     # D ascends log D(x) + log(1-D(G(z)))
    g_loss = BCE(D(G(z)), 1) = -log D(G(z))                   # the non-saturating generator loss

G minimising log(1 - D(G(z))) (the minimax form) has a vanishing gradient exactly when D wins
early in training; -log D(G(z)) has the same fixed point and strong gradients then.
``label_smoothing=0.1`` gives one-sided smoothing: real targets t_real = 0.9, fake targets stay
0, so D is never pushed to infinite confidence on real data.

Images are [0, 1] pixels in the data; the players work in [-1, 1] (G ends in tanh) and
``sample`` maps back to [0, 1].

``ema_decay`` keeps an exponential moving average of the generator's weights and batch-norm
statistics (``self.ema``, a ``deepgrad.optim.swa_utils.AveragedModel``, updated after every
``train_step`` and saved with the model); ``sample`` then draws from the averaged generator,
whose images are usually smoother than the last step's.

:meth:`GAN.check_health` reports a collapsed game -- D separating real from fake perfectly for
many consecutive batches (``d_loss`` at its floor, ``g_loss`` exploding), or non-finite values
-- and :func:`deepgrad.train.fit_generative` stops training with that message.
"""

import math

import deepgrad
from deepgrad import nn
from deepgrad.nn import functional as F

__all__ = ["GAN", "DCGAN", "ConditionalGAN", "MLPGenerator", "MLPDiscriminator",
           "DCGANGenerator", "DCGANDiscriminator", "dcgan_init_", "gan", "dcgan", "cgan"]


# ----- the players ------------------------------------------------------------------------
class MLPGenerator(nn.Module):
    """z (N, in_features) -> Linear/LeakyReLU(0.2) hidden layers -> tanh image N×C×H×W."""

    def __init__(self, in_features, image_shape, hidden=(256, 512)):
        super().__init__()
        self.image_shape = tuple(image_shape)
        layers, width = [], in_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers += [nn.Linear(width, math.prod(self.image_shape)), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z).reshape(z.shape[0], *self.image_shape)


class MLPDiscriminator(nn.Module):
    """Flattened input (N, in_features) -> Linear/LeakyReLU(0.2) hidden layers -> one logit
    (N, 1), sigmoid(logit) = P(real)."""

    def __init__(self, in_features, hidden=(512, 256)):
        super().__init__()
        layers, width = [], in_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x.reshape(x.shape[0], -1))


def _check_image_size(image_size, name):
    if image_size % 4 or image_size < 8:
        raise ValueError(f"{name}: image_size must be a multiple of 4 and at least 8 (two "
                         f"stride-2 stages), got {image_size}")
    return image_size // 4


class DCGANGenerator(nn.Module):
    """The DCGAN generator (Radford et al. 2016) for S×S images (S a multiple of 4)::

        z (N, in_features) viewed as N×in×1×1
        ConvT(in, 4·ngf, S/4, 1, 0)  BN ReLU     -> 4·ngf × S/4 × S/4   (O = (W-1)S - 2P + K)
        ConvT(4·ngf, 2·ngf, 4, 2, 1) BN ReLU     -> 2·ngf × S/2 × S/2
        ConvT(2·ngf, C, 4, 2, 1)     tanh        -> C × S × S
    """

    def __init__(self, in_features, out_channels=1, image_size=28, ngf=64):
        super().__init__()
        start = _check_image_size(image_size, "DCGANGenerator")
        self.net = nn.Sequential(
            nn.ConvTranspose2d(in_features, 4 * ngf, start, 1, 0, bias=False),
            nn.BatchNorm2d(4 * ngf), nn.ReLU(),
            nn.ConvTranspose2d(4 * ngf, 2 * ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * ngf), nn.ReLU(),
            nn.ConvTranspose2d(2 * ngf, out_channels, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.net(z.reshape(z.shape[0], z.shape[1], 1, 1))


class DCGANDiscriminator(nn.Module):
    """The DCGAN discriminator: strided convs (no pooling), LeakyReLU(0.2), batch norm except on
    the first layer, and a final S/4×S/4 conv to one logit per image (N, 1)::

        Conv(C, ndf, 4, 2, 1)         LeakyReLU(0.2)    -> ndf × S/2 × S/2
        Conv(ndf, 2·ndf, 4, 2, 1)  BN LeakyReLU(0.2)    -> 2·ndf × S/4 × S/4
        Conv(2·ndf, 1, S/4, 1, 0)                       -> 1 × 1 × 1
    """

    def __init__(self, in_channels=1, image_size=28, ndf=64):
        super().__init__()
        end = _check_image_size(image_size, "DCGANDiscriminator")
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
            nn.Conv2d(ndf, 2 * ndf, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * ndf),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * ndf, 1, end, 1, 0, bias=False))

    def forward(self, x):
        return self.net(x).reshape(x.shape[0], 1)


def dcgan_init_(module):
    """DCGAN's initialisation: conv and transposed-conv weights ~ N(0, 0.02), batch-norm
    weights ~ N(1, 0.02) and biases 0. Applied with ``model.apply(dcgan_init_)``."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


# ----- the game ---------------------------------------------------------------------------
class GAN(nn.Module):
    """A GAN with MLP players (see the module docstring for the game and the losses).

    Args:
        latent_dim: size of the noise z ~ N(0, I).
        in_channels, image_size: the images' shape C×S×S.
        hidden: the generator's hidden widths (the discriminator uses them reversed).
        label_smoothing: one-sided smoothing of the real target (0.1: t_real = 0.9).
        lr, betas: the Adam recipe of both players (DCGAN's 2e-4, (0.5, 0.999)).
        health_patience: consecutive collapsed batches before :meth:`check_health` reports.
        ema_decay: keep an EMA of the generator (see the module docstring); None: none.
        generator, discriminator: modules replacing the default players
            (``generator(z) -> N×C×S×S in [-1, 1]``, ``discriminator(x) -> (N, 1) logits``).

    ``forward(x)`` is the discriminator's logit (sigmoid of it = P(real)); ``sample(n)``
    generates. :meth:`train_step` follows :func:`deepgrad.train.fit_generative`'s protocol.
    """

    task = "generative"
    conditional = False
    monitor = None  # no loss of the game measures sample quality: nothing to stop early on
    check_diversity = True  # fit_generative logs the samples' diversity and warns of collapse

    def __init__(self, latent_dim=64, in_channels=1, image_size=28, hidden=(256, 512),
                 label_smoothing=0.0, lr=2e-4, betas=(0.5, 0.999), health_patience=100,
                 generator=None, discriminator=None, ema_decay=None):
        super().__init__()
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"{type(self).__name__}: label_smoothing must be in [0, 1), got "
                             f"{label_smoothing}")
        self.latent_dim, self.in_channels, self.image_size = latent_dim, in_channels, image_size
        self.label_smoothing, self.lr, self.betas = label_smoothing, lr, tuple(betas)
        self.health_patience = health_patience
        self._collapsed_batches = 0
        image_shape = (in_channels, image_size, image_size)
        self.generator = generator if generator is not None else MLPGenerator(
            latent_dim, image_shape, hidden)
        self.discriminator = discriminator if discriminator is not None else MLPDiscriminator(
            math.prod(image_shape), tuple(reversed(hidden)))
        self._init_ema(ema_decay)

    def _init_ema(self, ema_decay):
        """The EMA copy of the generator's modules (called once the players are built and
        initialised; subclasses that add generator modules call it themselves)."""
        self.ema_decay, self.ema = ema_decay, None
        if ema_decay is not None:
            from deepgrad.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

            self.ema = AveragedModel(nn.ModuleDict(self._generator_modules()),
                                     multi_avg_fn=get_ema_multi_avg_fn(ema_decay),
                                     use_buffers=True)
            self.ema.requires_grad_(False)  # updated by averaging, never by an optimizer

    def _generator_modules(self):
        """The modules ``generate`` uses, by name (the EMA averages exactly these)."""
        return {"generator": self.generator}

    def _players(self, use_ema):
        """The generator's modules to run: the EMA average or the trained ones."""
        if not use_ema:
            return self._generator_modules()
        if self.ema is None:
            raise ValueError(f"{type(self).__name__}: use_ema=True but the model keeps no EMA "
                             f"(build it with ema_decay=0.999, say)")
        return self.ema.module

    # the players, given labels or not (ConditionalGAN passes them on)
    def generate(self, z, labels=None, use_ema=False):
        """G(z): images in [-1, 1] (the generator's tanh range); ``use_ema``: the averaged G."""
        return self._players(use_ema)["generator"](z)

    def discriminate(self, x, labels=None):
        """D's logit s for images x in [-1, 1]; D(x) = sigmoid(s) = P(real)."""
        return self.discriminator(x)

    def forward(self, x, labels=None):
        return self.discriminate(x, labels)

    def _dtype(self):
        return next(iter(self.generator.parameters())).dtype

    def configure_optimizers(self, lr=None):
        """Adam for each player (the DCGAN recipe: lr 2e-4, betas (0.5, 0.999))."""
        from deepgrad import optim

        lr = self.lr if lr is None else lr
        return {"generator": optim.Adam(self.generator_parameters(), lr=lr, betas=self.betas),
                "discriminator": optim.Adam(self.discriminator_parameters(), lr=lr,
                                            betas=self.betas)}

    def generator_parameters(self):
        """The generator's parameters (what the "generator" optimizer updates)."""
        return list(self.generator.parameters())

    def discriminator_parameters(self):
        """The discriminator's parameters (what the "discriminator" optimizer updates)."""
        return list(self.discriminator.parameters())

    def discriminator_loss(self, real_logits, fake_logits):
        """BCE(D(x), 1 - label_smoothing) + BCE(D(G(z)), 0), from logits."""
        real_target = deepgrad.full(real_logits.shape, 1.0 - self.label_smoothing,
                                    dtype=real_logits.dtype)
        fake_target = deepgrad.zeros(fake_logits.shape, dtype=fake_logits.dtype)
        return (F.binary_cross_entropy_with_logits(real_logits, real_target)
                + F.binary_cross_entropy_with_logits(fake_logits, fake_target))

    def generator_loss(self, fake_logits):
        """The non-saturating loss BCE(D(G(z)), 1) = -mean log D(G(z))."""
        target = deepgrad.ones(fake_logits.shape, dtype=fake_logits.dtype)
        return F.binary_cross_entropy_with_logits(fake_logits, target)

    def _labels_for_step(self, y, n):
        return None

    def train_step(self, x, y, optimizers, z=None):
        """One D update then one G update on the batch x (pixels in [0, 1]).

        Returns ``d_loss``, ``g_loss``, ``d_real`` = mean D(x) and ``d_fake`` = mean D(G(z))
        (both before D's update). ``z`` fixes the noise (tests)."""
        opt_g, opt_d = optimizers["generator"], optimizers["discriminator"]
        n = x.shape[0]
        labels = self._labels_for_step(y, n)
        real = x * 2.0 - 1.0
        if z is None:
            z = deepgrad.randn(n, self.latent_dim, dtype=self._dtype())
        fake = self.generate(z, labels)

        # discriminator: real -> 1 (or 0.9), fake -> 0; G's graph is cut by detach()
        opt_d.zero_grad()
        real_logits = self.discriminate(real, labels)
        fake_logits = self.discriminate(fake.detach(), labels)
        d_loss = self.discriminator_loss(real_logits, fake_logits)
        d_loss.backward()
        opt_d.step()

        # generator: make the (updated) D call G(z) real; D's weights get no gradient
        opt_g.zero_grad()
        d_params = [p for p in self.discriminator_parameters() if p.requires_grad]
        for p in d_params:
            p.requires_grad_(False)
        try:
            g_loss = self.generator_loss(self.discriminate(fake, labels))
        finally:
            for p in d_params:
                p.requires_grad_(True)
        g_loss.backward()
        opt_g.step()
        if self.ema is not None:
            self.ema.update_parameters(nn.ModuleDict(self._generator_modules()))
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
                "d_real": real_logits.detach().sigmoid().mean().item(),
                "d_fake": fake_logits.detach().sigmoid().mean().item()}

    def evaluate_step(self, x, y):
        """Both losses on a batch without updates (fresh noise)."""
        n = x.shape[0]
        labels = self._labels_for_step(y, n)
        with deepgrad.no_grad():
            z = deepgrad.randn(n, self.latent_dim, dtype=self._dtype())
            fake = self.generate(z, labels)
            real_logits = self.discriminate(x * 2.0 - 1.0, labels)
            fake_logits = self.discriminate(fake, labels)
            return {"d_loss": self.discriminator_loss(real_logits, fake_logits).item(),
                    "g_loss": self.generator_loss(fake_logits).item(),
                    "d_real": real_logits.sigmoid().mean().item(),
                    "d_fake": fake_logits.sigmoid().mean().item()}

    def sample(self, n, labels=None, z=None, use_ema=None):
        """n generated images N×C×S×S in [0, 1] (eval mode, no gradients), from the EMA
        generator when the model keeps one that has been updated (``use_ema=None``), or as
        ``use_ema`` says."""
        if labels is not None and not self.conditional:
            raise ValueError(f"{type(self).__name__}.sample: the model is unconditional; "
                             f"labels must be None (use ConditionalGAN for class samples)")
        labels = self._sample_labels(n, labels)
        if use_ema is None:
            use_ema = self.ema is not None and int(self.ema.n_averaged.item()) > 0
        was_training = self.training
        self.eval()
        try:
            with deepgrad.no_grad():
                if z is None:
                    z = deepgrad.randn(n, self.latent_dim, dtype=self._dtype())
                elif tuple(z.shape) != (n, self.latent_dim):
                    raise ValueError(f"{type(self).__name__}.sample: z must be "
                                     f"({n}, {self.latent_dim}), got {tuple(z.shape)}")
                images = self.generate(z, labels, use_ema)
        finally:
            self.train(was_training)
        return ((images + 1.0) * 0.5).clamp(0.0, 1.0)

    def _sample_labels(self, n, labels):
        return None

    def check_health(self, logs):
        """A message when the game has collapsed, else None.

        Non-finite values are reported at once. Discriminator collapse -- D separating real
        from fake (almost) perfectly, so G's gradient carries no information -- is reported
        after ``health_patience`` consecutive batches with ``d_loss`` within 0.05 of its floor
        (0, or the real targets' entropy with label smoothing) and ``g_loss`` > 6
        (D(G(z)) < 0.0025)."""
        bad = [k for k in ("d_loss", "g_loss", "d_real", "d_fake")
               if k in logs and not math.isfinite(logs[k])]
        if bad:
            return (f"non-finite {', '.join(f'{k}={logs[k]}' for k in bad)}: the game has "
                    f"diverged; lower the learning rates")
        if "d_loss" not in logs or "g_loss" not in logs:
            return None
        t = 1.0 - self.label_smoothing
        floor = 0.0 if t >= 1.0 else -(t * math.log(t) + (1 - t) * math.log(1 - t))
        if logs["d_loss"] < floor + 0.05 and logs["g_loss"] > 6.0:
            self._collapsed_batches += 1
        else:
            self._collapsed_batches = 0
        if self._collapsed_batches >= self.health_patience:
            count, self._collapsed_batches = self._collapsed_batches, 0
            return (f"discriminator collapse: for {count} consecutive batches D told real "
                    f"from fake perfectly (d_loss={logs['d_loss']:.4g}, "
                    f"g_loss={logs['g_loss']:.4g}, D(G(z))~{logs.get('d_fake', math.nan):.2g}),"
                    f" so the generator gets no useful gradient. Try a lower discriminator "
                    f"learning rate, label_smoothing=0.1, or a smaller discriminator.")
        return None

    def extra_repr(self):
        return (f"latent_dim={self.latent_dim}, image=({self.in_channels}, {self.image_size}, "
                f"{self.image_size}), label_smoothing={self.label_smoothing}")


class DCGAN(GAN):
    """A GAN with DCGAN players (:class:`DCGANGenerator`, :class:`DCGANDiscriminator`):
    transposed convs with batch norm and ReLU in G, strided convs with batch norm and
    LeakyReLU(0.2) in D, weights initialised N(0, 0.02) (:func:`dcgan_init_`). Same game,
    losses and recipe as :class:`GAN`."""

    def __init__(self, latent_dim=100, in_channels=1, image_size=28, ngf=64, ndf=64,
                 label_smoothing=0.0, lr=2e-4, betas=(0.5, 0.999), health_patience=100,
                 ema_decay=None):
        super().__init__(
            latent_dim, in_channels, image_size, label_smoothing=label_smoothing, lr=lr,
            betas=betas, health_patience=health_patience,
            generator=DCGANGenerator(latent_dim, in_channels, image_size, ngf),
            discriminator=DCGANDiscriminator(in_channels, image_size, ndf))
        self.apply(dcgan_init_)
        self._init_ema(ema_decay)


class ConditionalGAN(GAN):
    """A class-conditional GAN (Mirza & Osindero 2014): both players see the label.

    G gets [z, E_g(y)] (a learned label embedding of ``embed_dim`` concatenated to the noise);
    D gets the image plus the label: with ``conv=True`` an embedding E_d(y) of S·S numbers
    reshaped to one extra S×S input channel (DCGAN players), with ``conv=False`` the flattened
    image concatenated with E_d(y) (MLP players). The losses are :class:`GAN`'s, with D judging
    "is this a real image *of class y*". ``sample(n, labels=[3, 3, 7])`` draws the requested
    classes (``labels=None``: 0, 1, 2, ... cyclically).
    """

    conditional = True

    def __init__(self, latent_dim=100, num_classes=10, in_channels=1, image_size=28, conv=True,
                 embed_dim=50, ngf=64, ndf=64, hidden=(256, 512), label_smoothing=0.0, lr=2e-4,
                 betas=(0.5, 0.999), health_patience=100, ema_decay=None):
        image_shape = (in_channels, image_size, image_size)
        if conv:
            generator = DCGANGenerator(latent_dim + embed_dim, in_channels, image_size, ngf)
            discriminator = DCGANDiscriminator(in_channels + 1, image_size, ndf)
            d_embed = image_size * image_size
        else:
            generator = MLPGenerator(latent_dim + embed_dim, image_shape, hidden)
            discriminator = MLPDiscriminator(math.prod(image_shape) + embed_dim,
                                             tuple(reversed(hidden)))
            d_embed = embed_dim
        super().__init__(latent_dim, in_channels, image_size, label_smoothing=label_smoothing,
                         lr=lr, betas=betas, health_patience=health_patience,
                         generator=generator, discriminator=discriminator)
        self.num_classes, self.conv, self.embed_dim = num_classes, conv, embed_dim
        self.g_embedding = nn.Embedding(num_classes, embed_dim)
        self.d_embedding = nn.Embedding(num_classes, d_embed)
        if conv:
            self.apply(dcgan_init_)
        self._init_ema(ema_decay)

    def _generator_modules(self):
        return {"generator": self.generator, "g_embedding": self.g_embedding}

    def generate(self, z, labels=None, use_ema=False):
        if labels is None:
            raise ValueError("ConditionalGAN.generate: labels are required")
        players = self._players(use_ema)
        return players["generator"](deepgrad.cat([z, players["g_embedding"](labels)], dim=1))

    def discriminate(self, x, labels=None):
        if labels is None:
            raise ValueError("ConditionalGAN.discriminate: labels are required")
        n = x.shape[0]
        emb = self.d_embedding(labels)
        if self.conv:
            cond = emb.reshape(n, 1, self.image_size, self.image_size)
            return self.discriminator(deepgrad.cat([x, cond], dim=1))
        return self.discriminator(deepgrad.cat([x.reshape(n, -1), emb], dim=1))

    def generator_parameters(self):
        return list(self.generator.parameters()) + list(self.g_embedding.parameters())

    def discriminator_parameters(self):
        return list(self.discriminator.parameters()) + list(self.d_embedding.parameters())

    def _check_labels(self, labels, n, where):
        labels = labels if isinstance(labels, deepgrad.Tensor) else deepgrad.tensor(
            list(labels) if not hasattr(labels, "shape") else labels)
        labels = labels.long() if labels.dtype != deepgrad.int64 else labels
        if tuple(labels.shape) != (n,):
            raise ValueError(f"ConditionalGAN.{where}: expected {n} labels, got shape "
                             f"{tuple(labels.shape)}")
        values = labels.numpy()
        if values.size and (values.min() < 0 or values.max() >= self.num_classes):
            raise ValueError(f"ConditionalGAN.{where}: labels must be in [0, "
                             f"{self.num_classes}), got min {values.min()} max {values.max()}")
        return labels

    def _labels_for_step(self, y, n):
        if y is None:
            raise ValueError("ConditionalGAN.train_step: needs the labels y of the batch")
        return self._check_labels(y, n, "train_step")

    def _sample_labels(self, n, labels):
        if labels is None:
            return deepgrad.arange(n) % self.num_classes
        return self._check_labels(labels, n, "sample")

    def extra_repr(self):
        return super().extra_repr() + f", num_classes={self.num_classes}, conv={self.conv}"


# ----- builders for the registry ------------------------------------------------------------
def _image_size(in_channels=1, image_size=28, **_):
    return (in_channels, image_size, image_size)


def gan(latent_dim=64, in_channels=1, image_size=28, hidden=(256, 512), label_smoothing=0.0,
        ema_decay=None):
    """MLP GAN (Goodfellow et al. 2014) for C×S×S images (``ema_decay``: sample from an EMA of
    the generator)."""
    return GAN(latent_dim, in_channels, image_size, tuple(hidden), label_smoothing,
               ema_decay=ema_decay)


def dcgan(latent_dim=100, in_channels=1, image_size=28, ngf=64, ndf=64, label_smoothing=0.0,
          ema_decay=None):
    """DCGAN (Radford et al. 2016) for C×S×S images, S a multiple of 4 (28, 32...)."""
    return DCGAN(latent_dim, in_channels, image_size, ngf, ndf, label_smoothing,
                 ema_decay=ema_decay)


def cgan(latent_dim=100, num_classes=10, in_channels=1, image_size=28, conv=True, embed_dim=50,
         ngf=64, ndf=64, label_smoothing=0.0, ema_decay=None):
    """Class-conditional GAN (conv=True: DCGAN players; conv=False: MLP players)."""
    return ConditionalGAN(latent_dim, num_classes, in_channels, image_size, conv, embed_dim,
                          ngf, ndf, label_smoothing=label_smoothing, ema_decay=ema_decay)


for _builder in (gan, dcgan, cgan):
    _builder.task = "generative"
    _builder.input_size = _image_size
