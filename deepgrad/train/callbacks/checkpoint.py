"""``ModelCheckpoint``: save the model (or the whole training state) during training."""

import math
import os
import warnings

from deepgrad.train.callbacks.base import Callback
from deepgrad.train.history import _auto_mode

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """Save after each epoch to ``filepath``.

    ``filepath`` may hold format fields filled from the epoch's logs, e.g.
    ``'ckpt/epoch{epoch:02d}-{val_loss:.3f}.safetensors'`` (``epoch`` counts from 1 as in
    Keras). With a fixed name and ``save_best_only=False`` the file always holds the last
    epoch; with ``save_best_only=True`` only epochs that improve ``monitor`` are written.

    ``save_weights_only=True`` writes the model's ``state_dict`` (safetensors, loadable with
    ``deepgrad.load``). Otherwise a full training checkpoint is written (model, optimizer,
    scheduler, random-generator state, epoch, step, history, metadata), which
    ``fit(..., resume_from=filepath)`` or ``Trainer.resume(filepath)`` continues exactly.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 mode="auto", save_weights_only=False):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"ModelCheckpoint: mode must be 'auto', 'min' or 'max', got "
                             f"{mode!r}")
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.mode = _auto_mode(monitor) if mode == "auto" else mode
        self.best = math.inf if self.mode == "min" else -math.inf
        self.last_saved = None

    def _path(self, epoch, logs):
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as e:
            raise KeyError(f"ModelCheckpoint: filepath {self.filepath!r} names {e}, which is "
                           f"not in the logs {sorted(logs)}") from None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"ModelCheckpoint: monitor {self.monitor!r} is not in the logs "
                              f"{sorted(logs)}; nothing saved", RuntimeWarning, stacklevel=2)
                return
            better = current < self.best if self.mode == "min" else current > self.best
            if not better:
                return
            self.best = float(current)
        path = self._path(epoch, logs)
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        if self.save_weights_only:
            from deepgrad.train import _state

            _state.save_weights(path, self.model, self.trainer.metadata)
        else:
            self.trainer.save_checkpoint(path)
        self.last_saved = path
        if self.verbose:
            print(f"ModelCheckpoint: saved epoch {epoch + 1} to {path}")

    def state_dict(self):
        return {"best": self.best}

    def load_state_dict(self, state):
        self.best = float(state["best"])
