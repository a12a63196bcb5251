"""``TensorBoardLogger``: scalars as TensorBoard event files (via tensorboardX, imported lazily)."""

import os

from deepgrad.train.callbacks.base import Callback

__all__ = ["TensorBoardLogger"]


class TensorBoardLogger(Callback):
    """Logs each epoch's values to ``log_dir`` (``tensorboard --logdir <log_dir>`` shows them).

    Train and validation values share a chart: ``loss`` and ``val_loss`` are written as
    ``loss/train`` and ``loss/val``; ``lr`` as ``lr``. ``update_freq='batch'`` also writes
    every batch loss as ``batch/loss`` against the global step. Needs the ``tensorboard`` extra
    (``pip install tensorboardX``).
    """

    def __init__(self, log_dir="runs", update_freq="epoch"):
        if update_freq not in ("epoch", "batch"):
            raise ValueError(f"TensorBoardLogger: update_freq must be 'epoch' or 'batch', got "
                             f"{update_freq!r}")
        self.log_dir, self.update_freq = os.fspath(log_dir), update_freq
        self.writer = None

    def on_train_begin(self, logs=None):
        try:
            from tensorboardX import SummaryWriter
        except ImportError as e:
            raise ImportError("TensorBoardLogger needs tensorboardX: pip install "
                              "'deepgrad[tensorboard]' (or tensorboardX)") from e
        self.writer = SummaryWriter(self.log_dir)

    def on_batch_end(self, batch, logs=None):
        if self.update_freq == "batch" and logs and "loss" in logs:
            self.writer.add_scalar("batch/loss", logs["loss"], self.trainer.global_step)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            if not isinstance(value, (int, float)):
                continue
            if key.startswith("val_"):
                tag = f"{key[4:]}/val"
            elif key == "lr":
                tag = "lr"
            else:
                tag = f"{key}/train"
            self.writer.add_scalar(tag, value, epoch + 1)
        self.writer.flush()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
            self.writer = None
