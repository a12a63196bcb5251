"""Denoising diffusion (DDPM, Ho et al., 2020) with a DDIM sampler (Song et al., 2021).

The forward process adds Gaussian noise in T small steps with variances β_1..β_T:

    q(x_t | x_{t−1}) = N(√(1 − β_t) x_{t−1}, β_t I),   α_t = 1 − β_t,   ᾱ_t = Π_{s≤t} α_s
    q(x_t | x_0)     = N(√ᾱ_t x_0, (1 − ᾱ_t) I)   so   x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε,  ε ~ N(0, I)

A network ε_θ(x_t, t) (the U-Net of ``deepgrad.models.unet``) learns to predict the noise with
the simple loss  L = E_{t ~ U{1..T}, ε} ‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖²  on data scaled
to [−1, 1]. Sampling runs the chain backwards from x_T ~ N(0, I) (Algorithm 2):

    x_{t−1} = 1/√α_t · (x_t − β_t/√(1 − ᾱ_t) · ε_θ(x_t, t)) + σ_t z,   z ~ N(0, I) (0 at t = 1)

with σ_t² = β_t ("beta") or the posterior variance β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) · β_t. DDIM
takes fewer, larger steps t → s through the predicted x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ)/√ᾱ_t:

    x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s − σ²) ε_θ + σ z,   σ = η √((1 − ᾱ_s)/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_s)

(η = 0: deterministic; η = 1: as noisy as DDPM). In code the arrays are indexed 0..T−1, index i
holding the paper's t = i + 1; the network sees the index i, and "ᾱ before the first step" is 1.
"""

from collections import namedtuple

import numpy as np

from deepgrad import nn
from deepgrad.autograd.grad_mode import no_grad
from deepgrad.backend.random import generator as _rng
from deepgrad.models.unet import UNet
from deepgrad.nn import functional as F
from deepgrad.ops.creation import randn
from deepgrad.ops.shape import cat
from deepgrad.tensor import Tensor

__all__ = ["NoiseSchedule", "linear_schedule", "cosine_schedule", "make_schedule", "DDPM",
           "ddpm"]

NoiseSchedule = namedtuple("NoiseSchedule", ["betas", "alphas", "alpha_bars"])
NoiseSchedule.__doc__ = """β_t, α_t = 1 − β_t and ᾱ_t = Π_{s≤t} α_s, float64 arrays of length T."""


def _schedule(betas):
    betas = np.asarray(betas, dtype=np.float64)
    alphas = 1.0 - betas
    return NoiseSchedule(betas, alphas, np.cumprod(alphas))


def linear_schedule(timesteps=1000, beta_start=1e-4, beta_end=0.02):
    """Ho et al.'s schedule: β_t rises linearly from ``beta_start`` to ``beta_end``
    (β_t = β_1 + (t − 1)/(T − 1) · (β_T − β_1))."""
    if timesteps < 1:
        raise ValueError(f"linear_schedule: timesteps must be ≥ 1, got {timesteps}")
    if not 0 < beta_start <= beta_end < 1:
        raise ValueError(f"linear_schedule: need 0 < beta_start ≤ beta_end < 1, got "
                         f"{beta_start}, {beta_end}")
    return _schedule(np.linspace(beta_start, beta_end, timesteps, dtype=np.float64))


def cosine_schedule(timesteps=1000, s=0.008, max_beta=0.999):
    """Nichol & Dhariwal's schedule (Improved DDPM, 2021): ᾱ follows a squared cosine,

        f(t) = cos²(((t/T + s)/(1 + s)) · π/2),   ᾱ_t = f(t)/f(0),
        β_t = min(1 − ᾱ_t/ᾱ_{t−1}, max_beta)

    (the clip keeps the last steps from being pure noise jumps, β_T would be 1); ᾱ is then
    recomputed from the clipped β."""
    if timesteps < 1:
        raise ValueError(f"cosine_schedule: timesteps must be ≥ 1, got {timesteps}")
    t = np.arange(timesteps + 1, dtype=np.float64)
    f = np.cos((t / timesteps + s) / (1 + s) * np.pi / 2) ** 2
    alpha_bar = f / f[0]
    betas = np.minimum(1 - alpha_bar[1:] / alpha_bar[:-1], max_beta)
    return _schedule(betas)


_SCHEDULES = {"linear": linear_schedule, "cosine": cosine_schedule}


def make_schedule(name, timesteps=1000):
    """The schedule called ``name`` ('linear' or 'cosine') with its paper's constants."""
    if name not in _SCHEDULES:
        raise ValueError(f"unknown noise schedule {name!r}; choose one of {sorted(_SCHEDULES)}")
    return _SCHEDULES[name](timesteps)


def _per_sample(values, like):
    """Per-sample coefficients (N,) as an (N, 1, 1, 1) tensor of ``like``'s dtype."""
    values = np.asarray(values, dtype=np.float64).reshape(-1, *([1] * (like.ndim - 1)))
    return Tensor(values.astype(like.dtype))


class DDPM(nn.Module):
    """A denoising diffusion model: a noise schedule and a noise-predicting network.

    Follows the generative protocol (``task``, ``configure_optimizers``, ``train_step``,
    ``evaluate_step``, ``sample``). Images come in as pixels in [0, 1] and are scaled to
    x_0 = 2·x − 1; samples are returned in [0, 1].

    Args:
        model: ε_θ(x_t, t[, y]) (a ``UNet``); with ``num_classes`` it must take labels.
        image_size, in_channels: the image shape (checked in ``train_step`` / ``sample``).
        timesteps, schedule: T and 'linear' or 'cosine'.
        num_classes: class-conditional model; labels 0..num_classes−1.
        cond_drop_prob: probability of training with the "no label" token instead of the label
            (classifier-free guidance needs it > 0).
        guidance_scale: default w of classifier-free guidance in ``sample``:
            ε̃ = (1 + w) ε_θ(x_t, t, y) − w ε_θ(x_t, t).
        lr, grad_clip: Adam's default learning rate and the global gradient-norm clip.
        ema_decay: keep an exponential moving average of the network's weights (and buffers),
            W_ema ← decay · W_ema + (1 − decay) · W after every ``train_step`` (Ho et al. use
            0.9999 over 800k steps; a short CPU run wants 0.99–0.999). ``sample`` then uses the
            averaged network (``self.ema``, a ``deepgrad.optim.swa_utils.AveragedModel``,
            saved and loaded with the model's ``state_dict``); None: no average.
    """

    task = "generative"
    # what `deepgrad sample` / `deepgrad train` use unless told otherwise: 1000 ancestral steps
    # of a U-Net take many minutes on a CPU, DDIM's 50 give comparable images
    sample_defaults = {"sampler": "ddim", "steps": 50}

    def __init__(self, model, image_size=28, in_channels=1, timesteps=1000, schedule="linear",
                 num_classes=None, cond_drop_prob=0.0, guidance_scale=0.0, lr=1e-3,
                 grad_clip=1.0, ema_decay=None):
        super().__init__()
        if not 0 <= cond_drop_prob < 1:
            raise ValueError(f"DDPM: cond_drop_prob must be in [0, 1), got {cond_drop_prob}")
        self.model = model
        self.image_size, self.in_channels = image_size, in_channels
        self.timesteps, self.schedule_name = timesteps, schedule
        self.num_classes, self.cond_drop_prob = num_classes, cond_drop_prob
        self.guidance_scale, self.lr, self.grad_clip = guidance_scale, lr, grad_clip
        self.schedule = make_schedule(schedule, timesteps)
        self.ema_decay = ema_decay
        self.ema = None
        if ema_decay is not None:
            from deepgrad.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

            self.ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(ema_decay),
                                     use_buffers=True)
            self.ema.requires_grad_(False)  # updated by averaging, never by an optimizer

    # -- checks ---------------------------------------------------------------------------------

    def _check_images(self, x, where):
        expected = (self.in_channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            shape = ", ".join(map(str, expected))
            raise ValueError(f"DDPM.{where}: expected images of shape (N, {shape}) "
                             f"(in_channels={self.in_channels}, image_size={self.image_size}), "
                             f"got {tuple(x.shape)}")

    def _labels(self, y, n, where):
        """Labels as an int64 array (n,), checked; None for an unconditional model."""
        if self.num_classes is None:
            if y is not None and where == "sample":
                raise ValueError("DDPM.sample: labels given to an unconditional model (build it "
                                 "with num_classes to generate a requested class)")
            return None
        if y is None:
            if where == "sample":  # an even spread over the classes
                return np.arange(n, dtype=np.int64) % self.num_classes
            raise ValueError(f"DDPM.{where}: a class-conditional model needs labels y")
        y = np.asarray(y.numpy() if isinstance(y, Tensor) else y).reshape(-1)
        if y.shape != (n,) or (y.size and y.dtype.kind not in "iu"):
            raise ValueError(f"DDPM.{where}: expected {n} integer labels, got shape {y.shape} "
                             f"dtype {y.dtype}")
        if y.size and (y.min() < 0 or y.max() >= self.num_classes):
            bad = y[(y < 0) | (y >= self.num_classes)]
            raise ValueError(f"DDPM.{where}: labels must be in [0, {self.num_classes}), got "
                             f"{bad[:5].tolist()}")
        return y.astype(np.int64)

    # -- training -------------------------------------------------------------------------------

    def q_sample(self, x0, t, noise):
        """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, a draw of q(x_t | x_0) (x_0 in [−1, 1], t indices)."""
        alpha_bar = self.schedule.alpha_bars[np.asarray(t, dtype=np.int64)]
        return _per_sample(np.sqrt(alpha_bar), x0) * x0 + \
            _per_sample(np.sqrt(1 - alpha_bar), x0) * noise

    def loss(self, x, y=None, t=None, noise=None):
        """The simple loss mean ‖ε − ε_θ(x_t, t)‖² for pixels x in [0, 1], with t uniform in
        0..T−1 and ε ~ N(0, I) unless given (tests inject them)."""
        n = x.shape[0]
        x0 = x * 2 - 1
        if t is None:
            t = _rng().integers(0, self.timesteps, size=n)
        t = np.asarray(t.numpy() if isinstance(t, Tensor) else t, dtype=np.int64)
        if t.shape != (n,) or t.min() < 0 or t.max() >= self.timesteps:
            raise ValueError(f"DDPM.loss: t must be {n} indices in [0, {self.timesteps})")
        if noise is None:
            noise = randn(*x.shape, dtype=x.dtype)
        if y is not None:
            y = np.asarray(y.numpy() if isinstance(y, Tensor) else y, dtype=np.int64)
        if y is not None and self.training and self.cond_drop_prob > 0:
            y = np.where(_rng().random(n) < self.cond_drop_prob, self.num_classes, y)
        x_t = self.q_sample(x0, t, noise)
        return F.mse_loss(self.model(x_t, t, None if y is None else Tensor(y)), noise)

    def configure_optimizers(self, lr=None):
        from deepgrad.optim import Adam

        return {"model": Adam(self.model.parameters(), lr=self.lr if lr is None else lr)}

    def train_step(self, x, y, optimizers):
        """One Adam step on the noise-prediction loss (then the EMA update, with
        ``ema_decay``); returns {"loss": ...}."""
        self._check_images(x, "train_step")
        y = self._labels(y, x.shape[0], "train_step")
        self.train()
        opt = optimizers["model"]
        opt.zero_grad()
        loss = self.loss(x, y)
        loss.backward()
        if self.grad_clip:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
        opt.step()
        if self.ema is not None:
            self.ema.update_parameters(self.model)
        return {"loss": float(loss.item())}

    @no_grad()
    def evaluate_step(self, x, y):
        self._check_images(x, "evaluate_step")
        y = self._labels(y, x.shape[0], "evaluate_step")
        was_training = self.training
        self.eval()
        try:
            return {"loss": float(self.loss(x, y).item())}
        finally:
            self.train(was_training)

    # -- sampling -------------------------------------------------------------------------------

    def _alpha_bar(self, t):
        return 1.0 if t < 0 else float(self.schedule.alpha_bars[t])

    def sampling_network(self, use_ema=None):
        """The network ``sample`` runs: the EMA average when there is one that has been updated
        (``use_ema=None``), or as asked (``use_ema=True`` needs ``ema_decay``)."""
        has_ema = self.ema is not None and int(self.ema.n_averaged.item()) > 0
        if use_ema and self.ema is None:
            raise ValueError("DDPM.sample: use_ema=True but the model keeps no EMA (build it "
                             "with ema_decay=0.999, say)")
        if use_ema or (use_ema is None and has_ema):
            return self.ema.module
        return self.model

    def predict_noise(self, x_t, t, y=None, guidance_scale=0.0, network=None):
        """ε_θ(x_t, t[, y]), with classifier-free guidance (1 + w) ε(y) − w ε(∅) when w ≠ 0;
        ``network`` replaces ε_θ (e.g. the EMA average)."""
        net = self.model if network is None else network
        n = x_t.shape[0]
        ts = np.full(n, t, dtype=np.int64)
        if y is None or not guidance_scale:
            return net(x_t, ts, None if y is None else Tensor(y))
        null = np.full(n, self.num_classes, dtype=np.int64)
        both = net(cat([x_t, x_t], dim=0), np.concatenate([ts, ts]),
                          Tensor(np.concatenate([y, null])))
        eps_cond, eps_uncond = both[:n], both[n:]
        return eps_cond * (1 + guidance_scale) - eps_uncond * guidance_scale

    def _x0_from_eps(self, x_t, eps, alpha_bar, clip_x0):
        x0 = (x_t - eps * np.sqrt(1 - alpha_bar)) * (1 / np.sqrt(alpha_bar))
        return x0.clamp(-1, 1) if clip_x0 else x0

    def ddpm_step(self, x_t, t, eps, t_prev=None, noise=None, clip_x0=False, variance="beta"):
        """One ancestral step x_t -> x_{t_prev} (t_prev = t − 1 by default; −1 ends the chain).

        The posterior mean μ̃ = √ᾱ_s β/(1 − ᾱ_t) x̂_0 + √α (1 − ᾱ_s)/(1 − ᾱ_t) x_t with
        α = ᾱ_t/ᾱ_s, β = 1 − α (s = t_prev); without clipping x̂_0 this is Algorithm 2's
        1/√α (x_t − β/√(1 − ᾱ_t) ε). Then x_s = μ̃ + σ z, σ² = β or β̃ = (1 − ᾱ_s)/(1 − ᾱ_t) β."""
        t_prev = t - 1 if t_prev is None else t_prev
        ab_t, ab_s = self._alpha_bar(t), self._alpha_bar(t_prev)
        alpha = ab_t / ab_s
        beta = 1 - alpha
        if clip_x0:
            x0 = self._x0_from_eps(x_t, eps, ab_t, True)
            mean = x0 * (np.sqrt(ab_s) * beta / (1 - ab_t)) + \
                x_t * (np.sqrt(alpha) * (1 - ab_s) / (1 - ab_t))
        else:
            mean = (x_t - eps * (beta / np.sqrt(1 - ab_t))) * (1 / np.sqrt(alpha))
        if t_prev < 0:
            return mean
        if variance == "beta":
            var = beta
        elif variance == "posterior":
            var = (1 - ab_s) / (1 - ab_t) * beta
        else:
            raise ValueError(f"DDPM: variance must be 'beta' or 'posterior', got {variance!r}")
        noise = randn(*x_t.shape, dtype=x_t.dtype) if noise is None else noise
        return mean + noise * np.sqrt(var)

    def ddim_step(self, x_t, t, t_prev, eps, eta=0.0, noise=None, clip_x0=False):
        """One DDIM step x_t -> x_{t_prev}: x̂_0 from ε (clipped to [−1, 1] if asked, with ε
        recomputed from it), then x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s − σ²) ε + σ z."""
        ab_t, ab_s = self._alpha_bar(t), self._alpha_bar(t_prev)
        x0 = self._x0_from_eps(x_t, eps, ab_t, clip_x0)
        if clip_x0:
            eps = (x_t - x0 * np.sqrt(ab_t)) * (1 / np.sqrt(1 - ab_t))
        sigma = eta * np.sqrt((1 - ab_s) / (1 - ab_t)) * np.sqrt(1 - ab_t / ab_s)
        x_s = x0 * np.sqrt(ab_s) + eps * np.sqrt(max(1 - ab_s - sigma ** 2, 0.0))
        if sigma > 0 and t_prev >= 0:
            noise = randn(*x_t.shape, dtype=x_t.dtype) if noise is None else noise
            x_s = x_s + noise * sigma
        return x_s

    def timestep_sequence(self, steps):
        """The timesteps visited, descending: all T, or ``steps`` evenly spaced over 0..T−1."""
        if not 1 <= steps <= self.timesteps:
            raise ValueError(f"DDPM.sample: steps must be in [1, {self.timesteps}], got {steps}")
        if steps == self.timesteps:
            return np.arange(self.timesteps - 1, -1, -1)
        return np.unique(np.linspace(0, self.timesteps - 1, steps).round().astype(np.int64))[::-1]

    @no_grad()
    def sample(self, n, labels=None, steps=None, sampler="ddpm", eta=0.0, guidance_scale=None,
               clip_x0=True, variance="beta", generator=None, return_trajectory=False,
               use_ema=None):
        """n images (n×C×H×W in [0, 1]) from x_T ~ N(0, I), in eval mode.

        sampler 'ddpm': ancestral sampling over all T steps (or ``steps`` evenly spaced ones,
        the chain respaced with α = ᾱ_t/ᾱ_s); 'ddim': DDIM with ``eta`` over ``steps`` (default
        50). ``labels`` (conditional models; default 0, 1, 2, ... cycling) picks each sample's
        class; ``guidance_scale`` w (default the model's) applies classifier-free guidance.
        ``clip_x0`` keeps the predicted x̂_0 in [−1, 1] at each step (Ho et al.'s code does).
        ``use_ema`` picks the network (see :meth:`sampling_network`; default the EMA average
        when the model keeps one)."""
        if sampler not in ("ddpm", "ddim"):
            raise ValueError(f"DDPM.sample: sampler must be 'ddpm' or 'ddim', got {sampler!r}")
        if steps is None:
            steps = self.timesteps if sampler == "ddpm" else min(50, self.timesteps)
        y = self._labels(labels, n, "sample")
        w = self.guidance_scale if guidance_scale is None else guidance_scale
        ts = self.timestep_sequence(steps)
        net = self.sampling_network(use_ema)
        dtype = next(iter(self.parameters())).dtype
        was_training = self.training
        self.eval()
        try:
            x = randn(n, self.in_channels, self.image_size, self.image_size, dtype=dtype,
                      generator=generator)
            trajectory = [x]
            for i, t in enumerate(ts):
                t_prev = int(ts[i + 1]) if i + 1 < len(ts) else -1
                eps = self.predict_noise(x, int(t), y, w, net)
                noise = randn(*x.shape, dtype=dtype, generator=generator)
                if sampler == "ddpm":
                    x = self.ddpm_step(x, int(t), eps, t_prev, noise, clip_x0, variance)
                else:
                    x = self.ddim_step(x, int(t), t_prev, eps, eta, noise, clip_x0)
                if return_trajectory:
                    trajectory.append(x)
        finally:
            self.train(was_training)
        images = ((x + 1) * 0.5).clamp(0, 1)
        if return_trajectory:
            return images, [((s + 1) * 0.5).clamp(0, 1) for s in trajectory]
        return images

    def extra_repr(self):
        return (f"image_size={self.image_size}, in_channels={self.in_channels}, "
                f"timesteps={self.timesteps}, schedule={self.schedule_name!r}, "
                f"num_classes={self.num_classes}"
                + (f", ema_decay={self.ema_decay}" if self.ema is not None else ""))


def ddpm(in_channels=1, image_size=28, num_classes=None, timesteps=1000, schedule="linear",
         base_channels=16, channel_mults=(1, 2, 4), num_res_blocks=1, dropout=0.0,
         cond_drop_prob=None, guidance_scale=0.0, lr=1e-3, ema_decay=None):
    """A DDPM with a small U-Net (about 620k parameters with the defaults: 16/32/64 channels at
    28/14/7 pixels), trainable on Fashion-MNIST on a CPU. ``num_classes`` makes it
    class-conditional (cond_drop_prob then defaults to 0.1, so classifier-free guidance works);
    ``image_size`` must be divisible by 2^(len(channel_mults) − 1) (28 and 32 are).
    ``ema_decay`` keeps an EMA of the U-Net's weights that sampling uses (see :class:`DDPM`)."""
    factor = 2 ** (len(channel_mults) - 1)
    if image_size % factor:
        raise ValueError(f"ddpm: image_size {image_size} must be divisible by {factor} "
                         f"(channel_mults has {len(channel_mults)} levels)")
    if cond_drop_prob is None:
        cond_drop_prob = 0.1 if num_classes is not None else 0.0
    unet = UNet(in_channels, base_channels, tuple(channel_mults), num_res_blocks,
                num_classes=num_classes, dropout=dropout)
    return DDPM(unet, image_size, in_channels, timesteps, schedule, num_classes, cond_drop_prob,
                guidance_scale, lr, ema_decay=ema_decay)


ddpm.task = "generative"
ddpm.input_size = lambda in_channels=1, image_size=28, **_: (in_channels, image_size, image_size)
