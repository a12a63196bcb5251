"""A generative training run for the resume test, run as a subprocess:

    python resume_generative_run.py MODEL full   OUT  -- 4 epochs uninterrupted -> OUT/full.npz
    python resume_generative_run.py MODEL crash  OUT  -- dies (os._exit) after epoch 2's checkpoint
    python resume_generative_run.py MODEL resume OUT  -- continues from OUT/ckpt.safetensors

MODEL is ``dcgan`` (two Adams, batch norm, an EMA of the generator), ``cyclegan`` (image pools
that are full and drawing after the first epoch) or ``ddpm`` (random timesteps and noise, an
EMA). Shuffling, every optimizer's moments, the buffers and the random generator all have to
resume exactly for the final weights to match bit for bit.
"""

import os
import sys

import numpy as np

import deepgrad
from deepgrad.train import ModelCheckpoint, fit_generative

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "train"))
from resume_run import DieAfter  # noqa: E402  (the classifier resume test's kill switch)


def make(name):
    from deepgrad.models import DCGAN, CycleGAN, ddpm

    if name == "dcgan":
        return DCGAN(latent_dim=4, image_size=8, ngf=4, ndf=4, ema_decay=0.9)
    if name == "cyclegan":
        return CycleGAN(image_size=8, ngf=2, ndf=2, n_blocks=1, pool_size=3)
    if name == "ddpm":
        return ddpm(image_size=8, timesteps=10, base_channels=4, channel_mults=(1, 2),
                    ema_decay=0.9)
    raise SystemExit(f"unknown model {name}")


def main(name, mode, out):
    deepgrad.manual_seed(1234)
    rng = np.random.default_rng(0)
    x = rng.random((40, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, 40)
    model = make(name)
    ckpt = os.path.join(out, "ckpt.safetensors")
    callbacks = [ModelCheckpoint(ckpt)]
    if mode == "crash":
        callbacks.append(DieAfter(1))
    history = fit_generative(model, (x, y), epochs=4, batch_size=8, callbacks=callbacks,
                             verbose=0, resume_from=ckpt if mode == "resume" else None)
    arrays = {k: v.numpy() for k, v in model.state_dict().items()}
    for key, values in history.history.items():
        arrays[f"history_{key}"] = np.array(values)
    arrays["rng_after"] = deepgrad.rand(3).numpy()
    np.savez(os.path.join(out, f"{mode}.npz"), **arrays)


if __name__ == "__main__":
    main(*sys.argv[1:4])
