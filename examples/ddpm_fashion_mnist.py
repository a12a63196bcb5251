"""A denoising diffusion model (DDPM) on Fashion-MNIST, sampled with DDPM or DDIM.

Training picks a random step t and noise ε for every image, forms
x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (pixels scaled to [−1, 1]) and teaches a small U-Net
(16/32/64 channels at 28/14/7 pixels, sinusoidal timestep embedding, about 620k parameters)
to predict ε: loss ‖ε − ε_θ(x_t, t)‖². Sampling starts from noise and denoises step by step:
ancestral DDPM sampling uses all T = 1000 steps; DDIM (``--sampler ddim --steps 50``) takes
50 larger deterministic steps (η = 0) and is 20× faster. ``--conditional`` adds a label
embedding (with 10% label dropout, so ``--guidance w`` can apply classifier-free guidance),
and the grid then shows one row per class.

On a CPU this is slow: each training step runs the U-Net forward and backward on a batch,
so use ``--limit`` to train on a subset first, or a cheaper U-Net: ``--base-channels 8
--channel-mults 1,4,8`` (8/32/64 channels, about 580k parameters) costs about 0.6× the default's
time per image, as most of the work sits at full resolution. Writes the sample grid to ``--out``;
with ``--save model.safetensors`` also the weights, in the format ``deepgrad sample`` reads
(``deepgrad sample model.safetensors --sampler ddim --steps 50 --out grid.png``), every
``--save-every`` steps too, so a long run can be sampled before it ends. ``--ema D`` builds the
model with ``ema_decay=D``: it keeps an exponential moving average of the U-Net's weights
(W_ema ← D·W_ema + (1 − D)·W after every step), saved with it and used for sampling, which gives
cleaner samples than the last step's weights.

Run:  python examples/ddpm_fashion_mnist.py --epochs 1 --limit 2000 --sampler ddim --steps 50
      python examples/ddpm_fashion_mnist.py --conditional --guidance 1.0 --sampler ddim
      python examples/ddpm_fashion_mnist.py --conditional --guidance 3 --sampler ddim \\
          --base-channels 8 --channel-mults 1,4,8 --ema 0.995 --epochs 3 \\
          --save ddpm.safetensors --save-every 200
"""

import argparse
import time

import numpy as np

import deepgrad as dg
from deepgrad.datasets import FashionMNIST
from deepgrad.models import ddpm
from deepgrad.train import Callback, _state, fit_generative


def load_fashion_mnist(limit=None):
    """(x, y): float32 N×1×28×28 pixels in [0, 1] and int64 labels of the training set."""
    train_set = FashionMNIST(train=True)
    x = np.asarray(train_set.data, dtype=np.float32)[:, None] / 255.0
    y = np.asarray(train_set.targets, dtype=np.int64)
    return (x[:limit], y[:limit]) if limit else (x, y)


def save_grid(images, path, nrow):
    import matplotlib

    from deepgrad.viz import make_grid

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.imsave(path, make_grid(images, nrow=nrow, pad_value=1.0), cmap="gray", vmin=0, vmax=1)


class SaveWeights(Callback):
    """Every ``every`` steps and at the end: write the model's weights to ``path`` (None: don't)
    with ``meta`` plus the step count and the training seconds so far; stop training after
    ``max_steps`` steps (None: run all epochs)."""

    def __init__(self, path, meta, every=None, max_steps=None):
        self.path, self.meta, self.every, self.max_steps = path, meta, every, max_steps
        self.steps, self.start = 0, None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.path and self.every and self.steps % self.every == 0:
            self.save()
        if self.max_steps is not None and self.steps >= self.max_steps:
            self.trainer.stop_training = True

    def on_train_end(self, logs=None):
        if self.path:
            self.save()

    def save(self):
        seconds = time.perf_counter() - self.start
        meta = dict(self.meta, train_steps=self.steps, train_seconds=round(seconds, 1))
        _state.save_weights(self.path, self.model, meta)
        print(f"\nstep {self.steps} ({seconds:.0f} s): saved {self.path}", flush=True)


def main(epochs=1, limit=None, conditional=False, sampler="ddpm", steps=None, eta=0.0,
         guidance=0.0, schedule="linear", batch_size=64, lr=None, n=64, out="ddpm_samples.png",
         steps_per_epoch=None, verbose=1, seed=0, save=None, base_channels=16,
         channel_mults=(1, 2, 4), ema=None, save_every=None, max_steps=None):
    dg.manual_seed(seed)
    x, y = load_fashion_mnist(limit)
    kwargs = dict(in_channels=1, image_size=28, num_classes=10 if conditional else None,
                  schedule=schedule, guidance_scale=guidance, base_channels=base_channels,
                  channel_mults=list(channel_mults), ema_decay=ema)
    model = ddpm(**kwargs)
    print(f"DDPM ({schedule} schedule, T={model.timesteps}, channels "
          f"{[base_channels * m for m in channel_mults]}): "
          f"{sum(p.numel() for p in model.model.parameters()):,} parameters, {len(x)} images")
    meta = {"task": "generative", "model": "ddpm", "model_kwargs": kwargs,
            "dataset": "fashion-mnist", "class_names": FashionMNIST.classes,
            "input_shape": [1, 28, 28]}
    saver = SaveWeights(save, meta, save_every, max_steps)
    start = time.perf_counter()
    history = fit_generative(model, (x, y), epochs=epochs, batch_size=batch_size, lr=lr,
                             verbose=verbose, steps_per_epoch=steps_per_epoch, callbacks=[saver])
    seconds = time.perf_counter() - start
    steps_done = saver.steps
    print(f"trained {steps_done} steps ({len(history['loss'])} epoch(s)) in {seconds:.0f} s "
          f"({seconds / max(len(history['loss']), 1):.0f} s/epoch, "
          f"{seconds / max(steps_done, 1):.2f} s/step); loss per epoch: "
          + ", ".join(f"{v:.4f}" for v in history["loss"]))
    if history.stop_reason:
        print("stopped:", history.stop_reason)
    labels = np.repeat(np.arange(10), -(-n // 10))[:n] if conditional else None
    start = time.perf_counter()
    images = model.sample(n, labels=labels, steps=steps, sampler=sampler, eta=eta)
    print(f"sampled {n} images with {sampler} ({steps or 'default'} steps) in "
          f"{time.perf_counter() - start:.0f} s")
    save_grid(images, out, nrow=-(-n // 10) if conditional else 8)
    print(f"wrote {out}")
    return model, history


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images")
    parser.add_argument("--steps-per-epoch", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=None, help="Adam lr (default 1e-3)")
    parser.add_argument("--schedule", choices=["linear", "cosine"], default="linear")
    parser.add_argument("--conditional", action="store_true", help="class-conditional model")
    parser.add_argument("--guidance", type=float, default=0.0,
                        help="classifier-free guidance scale w (conditional models)")
    parser.add_argument("--sampler", choices=["ddpm", "ddim"], default="ddpm")
    parser.add_argument("--steps", type=int, default=None,
                        help="sampling steps (default: 1000 for ddpm, 50 for ddim)")
    parser.add_argument("--eta", type=float, default=0.0, help="DDIM noise (0 = deterministic)")
    parser.add_argument("--n", type=int, default=64, help="images in the grid")
    parser.add_argument("--out", default="ddpm_samples.png")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1, help="0 silent, 1 progress bar")
    parser.add_argument("--save", default=None, help="write the weights to this .safetensors")
    parser.add_argument("--save-every", type=int, default=None,
                        help="also write --save every N training steps")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="stop after N training steps in all (default: all epochs)")
    parser.add_argument("--base-channels", type=int, default=16,
                        help="U-Net channels at full resolution (default 16)")
    parser.add_argument("--channel-mults", default="1,2,4",
                        help="channel multiplier per resolution level (default 1,2,4)")
    parser.add_argument("--ema", type=float, default=None,
                        help="keep, save and sample an EMA of the weights, this decay (e.g. 0.995)")
    args = parser.parse_args()
    mults = tuple(int(m) for m in args.channel_mults.split(","))
    main(args.epochs, args.limit, args.conditional, args.sampler, args.steps, args.eta,
         args.guidance, args.schedule, args.batch_size, args.lr, args.n, args.out,
         args.steps_per_epoch, args.verbose, args.seed, args.save, args.base_channels, mults,
         args.ema, args.save_every, args.max_steps)
