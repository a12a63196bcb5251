"""A training run for the resume test, run as a subprocess:

    python resume_run.py full   OUT    -- 6 epochs uninterrupted, weights to OUT/full.npz
    python resume_run.py crash  OUT    -- dies (os._exit) right after epoch 3's checkpoint
    python resume_run.py resume OUT    -- continues from OUT/ckpt.safetensors to epoch 6

Shuffling, dropout, Adam's moments and a StepLR schedule all have to resume exactly for the
final weights to match bit for bit.
"""

import os
import sys

import numpy as np

import deepgrad
from deepgrad import nn, optim
from deepgrad.train import Callback, ModelCheckpoint, Trainer


class DieAfter(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            os._exit(17)  # like a kill: no cleanup, no finally blocks


def main(mode, out):
    deepgrad.manual_seed(1234)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    ckpt = os.path.join(out, "ckpt.safetensors")
    callbacks = [ModelCheckpoint(ckpt)]
    if mode == "crash":
        callbacks.append(DieAfter(2))
    trainer = Trainer(model, loss=nn.CrossEntropyLoss(), optimizer=opt, scheduler=sched,
                      metrics=["accuracy"], callbacks=callbacks, verbose=0)
    history = trainer.fit((x, y), val_data=(x[:50], y[:50]), epochs=6, batch_size=32,
                          shuffle=True, resume_from=ckpt if mode == "resume" else None)
    arrays = {k: v.numpy() for k, v in model.state_dict().items()}
    arrays["history_loss"] = np.array(history.history["loss"])
    arrays["history_lr"] = np.array(history.history["lr"])
    np.savez(os.path.join(out, f"{mode}.npz"), **arrays)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
