"""``CSVLogger``: one CSV row per epoch with every logged value."""

import csv
import os

from deepgrad.train.callbacks.base import Callback

__all__ = ["CSVLogger"]


class CSVLogger(Callback):
    """Writes ``epoch`` and the epoch's logs (loss, metrics, val_*, lr) to ``filename``.

    The file is flushed after each epoch, so it is complete up to the last finished epoch even
    if training is killed. ``append=True`` continues an existing file (as a resumed run does).
    """

    def __init__(self, filename, separator=",", append=False):
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self.keys = None
        self._file = None

    def on_train_begin(self, logs=None):
        parent = os.path.dirname(self.filename)
        if parent:
            os.makedirs(parent, exist_ok=True)
        self.keys = None
        append = (self.append or self.trainer.epoch > 0) and os.path.exists(self.filename)
        if append:
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.separator), None)
            if header:
                self.keys = header[1:]
        self._file = open(self.filename, "a" if append else "w", newline="")
        self._writer = csv.writer(self._file, delimiter=self.separator)

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: v for k, v in (logs or {}).items() if isinstance(v, (int, float))}
        if self.keys is None:
            self.keys = list(logs)
            self._writer.writerow(["epoch"] + self.keys)
        self._writer.writerow([epoch] + [logs.get(k, "") for k in self.keys])
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
