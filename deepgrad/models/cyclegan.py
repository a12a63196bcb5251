"""CycleGAN (Zhu et al. 2017): translation between two image domains A and B learned from
**unpaired** examples.

Two generators G: A -> B and F: B -> A (small ResNet-style nets: reflection padding,
instance norm, residual blocks) and two PatchGAN discriminators D_B (is this a real B?) and D_A
(a real A?) that judge overlapping patches, one score each. With least-squares (LSGAN)
adversarial losses, D(x) -> 1 for real and 0 for fake, the generators minimise::

    L_G = MSE(D_B(G(a)), 1) + MSE(D_A(F(b)), 1)                  # fool both discriminators
        + lambda_cycle * (|F(G(a)) - a|_1 + |G(F(b)) - b|_1)      # cycle consistency
        + lambda_identity * lambda_cycle * (|G(b) - b|_1 + |F(a) - a|_1)   # identity

and each discriminator minimises ``0.5 * (MSE(D(real), 1) + MSE(D(fake.detach()), 0))``, the
fakes coming from a history of generated images (:class:`ImagePool`, 50 per domain as in the
paper, after Shrivastava et al. 2017), so D does not only chase G's latest output. The
cycle loss is what makes unpaired training work: G may map a to any B-looking image, but F
must be able to bring it back, so G(a) keeps a's content. The identity loss keeps images that
already look like the target domain unchanged (and colours stable); it is off by default for
``'invert'``, where the right G is not the identity on B. One step updates the
generators first (discriminators frozen), then the discriminators (as the paper's code does).

The two domains come from the batch (``domain_split``): ``'invert'`` (default) makes domain A
the first half of the batch as it is and domain B the *other* half with inverted colours
(1 - x), so the two halves are different images (unpaired) and the true A -> B map, x -> 1 - x,
is known, which lets a test measure the translation; ``'classes'`` puts the images whose label
is in ``domain_a_classes`` in A and those in ``domain_b_classes`` in B (e.g. Fashion-MNIST
sneakers vs ankle boots); other images are ignored.
"""

import math

import numpy as np

import deepgrad
from deepgrad import nn
from deepgrad.backend.random import generator as _rng
from deepgrad.nn import functional as F

__all__ = ["CycleGAN", "ImagePool", "ResnetGenerator", "ResnetBlock", "PatchDiscriminator",
           "ReflectionPad", "cyclegan"]


class ImagePool(nn.Module):
    """A history of generated images for the discriminator's update (Zhu et al. 2017, after
    Shrivastava et al. 2017). :meth:`query` takes a batch of fakes and, image by image::

        while fewer than pool_size are stored:  store the image, return it
        then, with probability 0.5:             return a stored image chosen uniformly at
                                                random and store the new one in its place
        otherwise:                              return the new image

    ``pool_size=0`` returns the batch unchanged. The draws come from deepgrad's global
    generator (``manual_seed`` makes them reproducible) or ``generator``; the stored images and
    their count are buffers, so a training checkpoint keeps the history.
    """

    def __init__(self, pool_size=50, image_shape=(1, 28, 28), generator=None):
        super().__init__()
        if int(pool_size) != pool_size or pool_size < 0:
            raise ValueError(f"ImagePool: pool_size must be an integer >= 0, got {pool_size!r}")
        self.pool_size, self.image_shape = int(pool_size), tuple(image_shape)
        self.generator = generator
        self.register_buffer("images", deepgrad.zeros(self.pool_size, *self.image_shape))
        self.register_buffer("num_imgs", deepgrad.zeros((), dtype=deepgrad.int64))

    def query(self, images):
        """The batch the discriminator sees for ``images`` (N×C×H×W fakes; no gradient)."""
        if tuple(images.shape[1:]) != self.image_shape or images.ndim != 4:
            expected = "×".join(map(str, self.image_shape))
            raise ValueError(f"ImagePool.query: expected images N×{expected}, got "
                             f"{tuple(images.shape)}")
        if self.pool_size == 0:
            return images.detach()
        batch = images.detach().numpy()
        out = np.array(batch, dtype=self.images.dtype, copy=True)
        pool = self.images._data
        count = int(self.num_imgs.item())
        rng = _rng(self.generator)
        for i in range(len(out)):
            if count < self.pool_size:
                pool[count] = batch[i]
                count += 1
            elif rng.random() > 0.5:
                j = int(rng.integers(0, self.pool_size))
                out[i] = pool[j]
                pool[j] = batch[i]
        self.images._version += 1
        self.num_imgs._data[...] = count
        return deepgrad.from_numpy(out)

    def extra_repr(self):
        return f"pool_size={self.pool_size}"


class ReflectionPad(nn.Module):
    """Pads H and W by ``padding`` reflecting the border (torch's ``ReflectionPad2d``):
    ``F.pad(x, (p, p, p, p), mode='reflect')``. No parameters."""

    def __init__(self, padding):
        super().__init__()
        self.padding = int(padding)

    def forward(self, x):
        p = self.padding
        return F.pad(x, (p, p, p, p), mode="reflect")

    def extra_repr(self):
        return f"padding={self.padding}"


class ResnetBlock(nn.Module):
    """x + [pad, conv3×3, IN, ReLU, pad, conv3×3, IN](x): a residual block at fixed size."""

    def __init__(self, channels):
        super().__init__()
        self.block = nn.Sequential(
            ReflectionPad(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels),
            nn.ReLU(),
            ReflectionPad(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels))

    def forward(self, x):
        return x + self.block(x)


class ResnetGenerator(nn.Module):
    """The CycleGAN generator, small::

        pad 3, conv7×7 (C -> ngf), IN, ReLU                        S × S
        n_down × [conv3×3 stride 2, IN, ReLU], channels doubling  S / 2^n_down
        n_blocks × ResnetBlock
        n_down × [convT3×3 stride 2 (output_padding 1), IN, ReLU], channels halving
        pad 3, conv7×7 (ngf -> C), tanh                          S × S in [-1, 1]

    S must be divisible by 2^n_down.
    """

    def __init__(self, in_channels=1, out_channels=1, ngf=16, n_blocks=3, n_down=2):
        super().__init__()
        layers = [ReflectionPad(3), nn.Conv2d(in_channels, ngf, 7), nn.InstanceNorm2d(ngf),
                  nn.ReLU()]
        width = ngf
        for _ in range(n_down):
            layers += [nn.Conv2d(width, 2 * width, 3, stride=2, padding=1),
                       nn.InstanceNorm2d(2 * width), nn.ReLU()]
            width *= 2
        layers += [ResnetBlock(width) for _ in range(n_blocks)]
        for _ in range(n_down):
            layers += [nn.ConvTranspose2d(width, width // 2, 3, stride=2, padding=1,
                                          output_padding=1),
                       nn.InstanceNorm2d(width // 2), nn.ReLU()]
            width //= 2
        layers += [ReflectionPad(3), nn.Conv2d(width, out_channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.n_down = n_down

    def forward(self, x):
        step = 2 ** self.n_down
        if x.shape[-1] % step or x.shape[-2] % step:
            raise ValueError(f"ResnetGenerator: image size {tuple(x.shape[-2:])} must be "
                             f"divisible by {step} (n_down={self.n_down})")
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """PatchGAN: a fully convolutional net giving one real/fake score per overlapping patch::

        conv4×4 s2 (C -> ndf), LeakyReLU(0.2)
        (n_layers - 1) × [conv4×4 s2, IN, LeakyReLU(0.2)], channels doubling
        conv4×4 s1, IN, LeakyReLU(0.2); conv4×4 s1 -> 1 channel

    With the default n_layers=2 a 28×28 image gives a 5×5 map of scores (O = ⌊(W-4+2)/S⌋+1).
    """

    def __init__(self, in_channels=1, ndf=16, n_layers=2):
        super().__init__()
        layers = [nn.Conv2d(in_channels, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        width = ndf
        for _ in range(n_layers - 1):
            layers += [nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
                       nn.InstanceNorm2d(2 * width), nn.LeakyReLU(0.2)]
            width *= 2
        layers += [nn.Conv2d(width, 2 * width, 4, stride=1, padding=1),
                   nn.InstanceNorm2d(2 * width), nn.LeakyReLU(0.2),
                   nn.Conv2d(2 * width, 1, 4, stride=1, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class CycleGAN(nn.Module):
    """CycleGAN between domains A and B formed from each batch (see the module docstring).

    Args:
        in_channels, image_size: the images' shape C×S×S (both domains).
        ngf, ndf, n_blocks, n_down: generator/discriminator widths, residual blocks and
            down-sampling stages.
        lambda_cycle, lambda_identity: loss weights (10 and 0.5 as in the paper; None gives
            lambda_identity 0 for ``'invert'``, whose true map x -> 1 - x is not the identity
            on domain B, so the identity loss would pull G away from it).
        domain_split: ``'invert'`` or ``'classes'`` (with ``domain_a_classes``,
            ``domain_b_classes``).
        lr, betas: Adam for both generators together and both discriminators together.
        reference_size: how many domain-A training images the model keeps (a buffer saved
            with the weights) so that ``sample(n)`` can translate something after loading.
        pool_size: the fake-image history of each discriminator (:class:`ImagePool`; 0: the
            discriminators see only the current fakes).

    ``forward(a)`` is G(a) on [-1, 1] images; ``sample(n, x=None)`` maps domain-A images in
    [0, 1] (``x``, or the kept reference images) to domain B in [0, 1].
    """

    task = "generative"
    monitor = "cycle"  # what `deepgrad train --patience` watches (the adversarial terms trade)

    def __init__(self, in_channels=1, image_size=28, ngf=16, ndf=16, n_blocks=3, n_down=2,
                 lambda_cycle=10.0, lambda_identity=None, domain_split="invert",
                 domain_a_classes=(7,), domain_b_classes=(9,), lr=2e-4, betas=(0.5, 0.999),
                 reference_size=64, health_patience=100, pool_size=50):
        super().__init__()
        if domain_split not in ("invert", "classes"):
            raise ValueError(f"CycleGAN: domain_split must be 'invert' or 'classes', got "
                             f"{domain_split!r}")
        if image_size % (2 ** n_down):
            raise ValueError(f"CycleGAN: image_size {image_size} must be divisible by "
                             f"2**n_down = {2 ** n_down}")
        overlap = set(domain_a_classes) & set(domain_b_classes)
        if domain_split == "classes" and overlap:
            raise ValueError(f"CycleGAN: classes {sorted(overlap)} are in both domains")
        if lambda_identity is None:  # G(b) = b is wrong when the true map is x -> 1 - x
            lambda_identity = 0.0 if domain_split == "invert" else 0.5
        self.in_channels, self.image_size = in_channels, image_size
        self.lambda_cycle, self.lambda_identity = lambda_cycle, lambda_identity
        self.domain_split_mode = domain_split
        self.domain_a_classes = tuple(int(c) for c in domain_a_classes)
        self.domain_b_classes = tuple(int(c) for c in domain_b_classes)
        self.lr, self.betas = lr, tuple(betas)
        self.health_patience = health_patience
        self._collapsed_batches = 0
        n_layers = 2 if image_size >= 16 else 1  # keep PatchGAN's map at least 1×1
        self.g_ab = ResnetGenerator(in_channels, in_channels, ngf, n_blocks, n_down)
        self.g_ba = ResnetGenerator(in_channels, in_channels, ngf, n_blocks, n_down)
        self.d_a = PatchDiscriminator(in_channels, ndf, n_layers)
        self.d_b = PatchDiscriminator(in_channels, ndf, n_layers)
        for m in self.modules():  # the paper's init: N(0, 0.02), zero biases
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(m.weight, 0.0, 0.02)
                nn.init.zeros_(m.bias)
        self.register_buffer("reference_a", deepgrad.zeros(reference_size, in_channels,
                                                           image_size, image_size))
        self.register_buffer("reference_count", deepgrad.zeros(1, dtype=deepgrad.int64))
        image_shape = (in_channels, image_size, image_size)
        self.pool_a = ImagePool(pool_size, image_shape)  # fakes F(b) for D_A
        self.pool_b = ImagePool(pool_size, image_shape)  # fakes G(a) for D_B

    def forward(self, a):
        return self.g_ab(a)

    def _check_images(self, x, where):
        shape = (self.in_channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != shape:
            raise ValueError(f"CycleGAN.{where}: expected images N×{shape[0]}×{shape[1]}×"
                             f"{shape[2]}, got {tuple(x.shape)}")

    def domain_split(self, x, y=None):
        """The batch's domain-A and domain-B images (pixels in [0, 1]): ``'invert'``: A =
        x[:n//2], B = 1 - x[n//2:]; ``'classes'``: A = x[y in domain_a_classes], B = x[y in
        domain_b_classes] (either may be empty)."""
        self._check_images(x, "domain_split")
        n = x.shape[0]
        if self.domain_split_mode == "invert":
            if n < 2:
                raise ValueError("CycleGAN.domain_split: 'invert' needs a batch of at least 2 "
                                 "images (half of them become domain B)")
            return x[:n // 2], 1.0 - x[n // 2:]
        if y is None:
            raise ValueError("CycleGAN.domain_split: 'classes' needs the labels y")
        labels = y.numpy() if hasattr(y, "numpy") else y
        import numpy as np

        ia = np.flatnonzero(np.isin(labels, self.domain_a_classes))
        ib = np.flatnonzero(np.isin(labels, self.domain_b_classes))
        return x[deepgrad.tensor(ia)], x[deepgrad.tensor(ib)]

    def configure_optimizers(self, lr=None):
        """Adam(2e-4, betas (0.5, 0.999)) for G and F together, and for D_A and D_B."""
        from deepgrad import optim

        lr = self.lr if lr is None else lr
        return {"generator": optim.Adam(list(self.g_ab.parameters())
                                        + list(self.g_ba.parameters()), lr=lr,
                                        betas=self.betas),
                "discriminator": optim.Adam(list(self.d_a.parameters())
                                            + list(self.d_b.parameters()), lr=lr,
                                            betas=self.betas)}

    @staticmethod
    def _lsgan(scores, target):
        """Least-squares GAN loss: mean (D(x) - target)^2."""
        return F.mse_loss(scores, deepgrad.full(scores.shape, float(target), dtype=scores.dtype))

    def generator_losses(self, a, b):
        """(total, adversarial, cycle, identity) for domain batches a, b in [-1, 1], and the
        fakes (G(a), F(b))."""
        fake_b, fake_a = self.g_ab(a), self.g_ba(b)
        adversarial = self._lsgan(self.d_b(fake_b), 1.0) + self._lsgan(self.d_a(fake_a), 1.0)
        cycle = F.l1_loss(self.g_ba(fake_b), a) + F.l1_loss(self.g_ab(fake_a), b)
        total = adversarial + self.lambda_cycle * cycle
        identity = None
        if self.lambda_identity > 0:
            identity = F.l1_loss(self.g_ab(b), b) + F.l1_loss(self.g_ba(a), a)
            total = total + self.lambda_identity * self.lambda_cycle * identity
        return total, adversarial, cycle, identity, fake_b, fake_a

    def discriminator_loss(self, d, real, fake):
        """0.5 * (MSE(D(real), 1) + MSE(D(fake), 0))."""
        return 0.5 * (self._lsgan(d(real), 1.0) + self._lsgan(d(fake), 0.0))

    def _remember(self, a):
        """Keep the first domain-A training images as the reference batch of ``sample``."""
        have, room = int(self.reference_count.numpy()[0]), self.reference_a.shape[0]
        if have >= room or a.shape[0] == 0:
            return
        take = min(room - have, a.shape[0])
        ref = self.reference_a.numpy()
        ref[have:have + take] = a[:take].detach().numpy()
        self.reference_count.numpy()[0] = have + take

    def train_step(self, x, y, optimizers):
        """The generators' update (D_A, D_B frozen), then the discriminators' update on fakes
        drawn through the image pools (the current ones while the pools fill). Returns
        ``g_loss`` (total), ``g_adv``, ``cycle``, ``identity``, ``d_a_loss``, ``d_b_loss`` and
        ``d_loss`` = their sum; a batch without images of one domain (``'classes'``) is skipped
        and returns {}."""
        a01, b01 = self.domain_split(x, y)
        if a01.shape[0] == 0 or b01.shape[0] == 0:
            return {}
        self._remember(a01)
        a, b = a01 * 2.0 - 1.0, b01 * 2.0 - 1.0
        opt_g, opt_d = optimizers["generator"], optimizers["discriminator"]

        opt_g.zero_grad()
        d_params = [p for d in (self.d_a, self.d_b) for p in d.parameters() if p.requires_grad]
        for p in d_params:
            p.requires_grad_(False)
        try:
            total, adversarial, cycle, identity, fake_b, fake_a = self.generator_losses(a, b)
        finally:
            for p in d_params:
                p.requires_grad_(True)
        total.backward()
        opt_g.step()

        opt_d.zero_grad()
        d_a_loss = self.discriminator_loss(self.d_a, a, self.pool_a.query(fake_a))
        d_b_loss = self.discriminator_loss(self.d_b, b, self.pool_b.query(fake_b))
        (d_a_loss + d_b_loss).backward()
        opt_d.step()
        logs = {"g_loss": total.item(), "g_adv": adversarial.item(), "cycle": cycle.item(),
                "d_a_loss": d_a_loss.item(), "d_b_loss": d_b_loss.item()}
        logs["d_loss"] = logs["d_a_loss"] + logs["d_b_loss"]
        if identity is not None:
            logs["identity"] = identity.item()
        return logs

    def evaluate_step(self, x, y):
        """The losses without updates, and for ``'invert'`` ``ab_error``: mean |G(a) - (1 -
        a)| in [0, 1] pixels, the distance from the true A -> B map."""
        a01, b01 = self.domain_split(x, y)
        if a01.shape[0] == 0 or b01.shape[0] == 0:
            return {}
        a, b = a01 * 2.0 - 1.0, b01 * 2.0 - 1.0
        with deepgrad.no_grad():
            total, adversarial, cycle, identity, fake_b, fake_a = self.generator_losses(a, b)
            d_loss = (self.discriminator_loss(self.d_a, a, fake_a)
                      + self.discriminator_loss(self.d_b, b, fake_b))
            logs = {"g_loss": total.item(), "cycle": cycle.item(), "d_loss": d_loss.item()}
            if self.domain_split_mode == "invert":
                translated = (fake_b + 1.0) * 0.5
                logs["ab_error"] = (translated - (1.0 - a01)).abs().mean().item()
        return logs

    def translate(self, x, direction="ab"):
        """G(x) (``'ab'``) or F(x) (``'ba'``) for [0, 1] images, in [0, 1]; eval mode, no grad."""
        if direction not in ("ab", "ba"):
            raise ValueError(f"CycleGAN.translate: direction must be 'ab' or 'ba', got "
                             f"{direction!r}")
        if not isinstance(x, deepgrad.Tensor):
            x = deepgrad.tensor(x, dtype=self.reference_a.dtype)
        self._check_images(x, "translate")
        net = self.g_ab if direction == "ab" else self.g_ba
        was_training = self.training
        self.eval()
        try:
            with deepgrad.no_grad():
                out = net(x * 2.0 - 1.0)
        finally:
            self.train(was_training)
        return ((out + 1.0) * 0.5).clamp(0.0, 1.0)

    def sample(self, n, labels=None, x=None):
        """n domain-B images in [0, 1]: G applied to ``x[:n]`` (domain-A images in [0, 1]) or,
        without ``x``, to the domain-A training images the model kept (cycled to n)."""
        if labels is not None:
            raise ValueError("CycleGAN.sample: the model is not class-conditional; pass "
                             "domain-A images as x")
        if x is None:
            have = int(self.reference_count.numpy()[0])
            if have == 0:
                raise ValueError("CycleGAN.sample: no domain-A images to translate: pass x, "
                                 "or train first (the model keeps its first domain-A "
                                 "training images)")
            idx = deepgrad.arange(n) % have
            x = self.reference_a[idx]
        elif x.shape[0] < n:
            raise ValueError(f"CycleGAN.sample: asked for {n} images but x holds "
                             f"{x.shape[0]}")
        return self.translate(x[:n], "ab")

    def check_health(self, logs):
        """Non-finite losses at once; after ``health_patience`` consecutive batches, both
        discriminators winning outright (``d_loss`` < 0.01 while ``g_adv`` > 1.5: every fake
        patch scored near 0)."""
        bad = [k for k, v in logs.items() if not math.isfinite(v)]
        if bad:
            return (f"non-finite {', '.join(f'{k}={logs[k]}' for k in bad)}: training has "
                    f"diverged; lower the learning rates")
        if "d_loss" not in logs or "g_adv" not in logs:
            return None
        if logs["d_loss"] < 0.01 and logs["g_adv"] > 1.5:
            self._collapsed_batches += 1
        else:
            self._collapsed_batches = 0
        if self._collapsed_batches >= self.health_patience:
            count, self._collapsed_batches = self._collapsed_batches, 0
            return (f"discriminator collapse: for {count} consecutive batches D_A and D_B "
                    f"rejected every fake patch (d_loss={logs['d_loss']:.4g}, "
                    f"g_adv={logs['g_adv']:.4g}); lower the discriminators' learning rate")
        return None

    def extra_repr(self):
        split = self.domain_split_mode
        if split == "classes":
            split += f" {self.domain_a_classes} -> {self.domain_b_classes}"
        return (f"image=({self.in_channels}, {self.image_size}, {self.image_size}), "
                f"domains={split}, lambda_cycle={self.lambda_cycle}, "
                f"lambda_identity={self.lambda_identity}")


def cyclegan(in_channels=1, image_size=28, ngf=16, ndf=16, n_blocks=3, n_down=2,
             lambda_cycle=10.0, lambda_identity=None, domain_split="invert",
             domain_a_classes=(7,), domain_b_classes=(9,), pool_size=50):
    """CycleGAN between two domains of one data set (``'invert'``: images and their
    inverted-colour versions; ``'classes'``: two groups of classes); ``pool_size`` fake images
    per discriminator in its history."""
    return CycleGAN(in_channels, image_size, ngf, ndf, n_blocks, n_down, lambda_cycle,
                    lambda_identity, domain_split, tuple(domain_a_classes),
                    tuple(domain_b_classes), pool_size=pool_size)


cyclegan.task = "generative"
cyclegan.input_size = lambda in_channels=1, image_size=28, **_: (in_channels, image_size,
                                                                 image_size)
