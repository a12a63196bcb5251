"""``EarlyStopping``: stop when a monitored quantity has stopped improving (Keras' semantics)."""

import math
import warnings

from deepgrad.train.callbacks.base import Callback
from deepgrad.train.history import _auto_mode

__all__ = ["EarlyStopping"]


class EarlyStopping(Callback):
    """Stop training after ``patience`` epochs in a row without improvement of ``monitor``.

    An epoch improves when ``current < best - min_delta`` (mode ``'min'``) or
    ``current > best + min_delta`` (mode ``'max'``); ``'auto'`` picks ``'max'`` for accuracy,
    F1, precision and recall, ``'min'`` otherwise. With ``restore_best_weights`` the model gets
    the weights of its best epoch back when training ends. ``baseline``: the value to beat
    before anything counts as an improvement; ``start_from_epoch``: epochs of warm-up before
    monitoring starts.
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.verbose = monitor, int(patience), verbose
        self.mode = _auto_mode(monitor) if mode == "auto" else mode
        self.min_delta = abs(float(min_delta))
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.start_from_epoch = start_from_epoch
        self._reset()
        self._loaded = False

    def _reset(self):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = math.inf if self.mode == "min" else -math.inf
        if self.baseline is not None:
            self.best = float(self.baseline)
        self.best_weights = None

    def _improved(self, current):
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def on_train_begin(self, logs=None):
        if not self._loaded:  # a resumed run keeps the counts restored from the checkpoint
            self._reset()
        self._loaded = False

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"EarlyStopping: monitor {self.monitor!r} is not in the logs "
                          f"(available: {sorted(logs or {})}); pass val_data for 'val_*' keys",
                          RuntimeWarning, stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._improved(current):
            self.best, self.best_epoch, self.wait = float(current), epoch, 0
            if self.restore_best_weights:
                self.best_weights = {k: v._data.copy()
                                     for k, v in self.model.state_dict().items()}
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True
            reason = (f"EarlyStopping: {self.monitor} did not improve for {self.wait} epochs "
                      f"(best {self.best:.6g} at epoch {self.best_epoch + 1}); stopped after "
                      f"epoch {epoch + 1}")
            self.trainer.history.stop_reason = reason
            if self.verbose:
                print(reason)

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"EarlyStopping: restoring the weights of epoch {self.best_epoch + 1}")
            self.model.load_state_dict(self.best_weights)

    def state_dict(self):
        return {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch,
                "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state):
        self.wait, self.best = int(state["wait"]), float(state["best"])
        self.best_epoch, self.stopped_epoch = int(state["best_epoch"]), int(state["stopped_epoch"])
        self._loaded = True


