"""``TerminateOnNaN``: stop as soon as a batch loss is NaN or infinite."""

import math
import warnings

from deepgrad.train.callbacks.base import Callback

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stops training when a batch's loss is NaN/inf, naming the epoch and batch.

    ``fit`` already does this by default (``on_nan='stop'``, before the bad update); this
    callback is the Keras-style explicit form, useful with ``on_nan='ignore'`` or to raise
    instead (``raise_error=True``).
    """

    def __init__(self, raise_error=False):
        self.raise_error = raise_error
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        message = (f"TerminateOnNaN: loss is {loss} at epoch {self._epoch + 1}, batch "
                   f"{batch + 1}; training stopped")
        if self.raise_error:
            raise FloatingPointError(message)
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        self.trainer.history.stop_reason = message
        self.trainer.stop_training = True
