"""``History``: the per-epoch record ``fit`` returns (Keras' ``history.history``)."""

import math

from deepgrad.train.callbacks.base import Callback

__all__ = ["History"]


class History(Callback):
    """``history.history`` maps each logged name (``loss``, ``accuracy``, ``val_loss``, ``lr``,
    ...) to its list of per-epoch values; ``history.epoch`` lists the epoch numbers (from 0).

    ``history['val_loss']`` is short for ``history.history['val_loss']``.
    ``stop_reason`` says why training ended early (``None`` after the last epoch).
    """

    def __init__(self):
        self.history = {}
        self.epoch = []
        self.stop_reason = None

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self.history.setdefault(key, [math.nan] * (len(self.epoch) - 1)).append(value)
        for values in self.history.values():  # a key missing this epoch gets NaN
            if len(values) < len(self.epoch):
                values.append(math.nan)

    def __getitem__(self, key):
        return self.history[key]

    def __contains__(self, key):
        return key in self.history

    def keys(self):
        return self.history.keys()

    def best(self, monitor="val_loss", mode="auto"):
        """(epoch, value) of the best value of ``monitor``."""
        values = self.history[monitor]
        if mode == "auto":
            mode = _auto_mode(monitor)
        pick = min if mode == "min" else max
        i = pick(range(len(values)), key=lambda j: values[j])
        return self.epoch[i], values[i]

    def state_dict(self):
        return {"history": {k: list(v) for k, v in self.history.items()},
                "epoch": list(self.epoch)}

    def load_state_dict(self, state):
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.epoch = list(state["epoch"])

    def to_csv(self, path):
        """Write one row per epoch (``epoch`` then the logged names)."""
        import csv

        keys = list(self.history)
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["epoch"] + keys)
            for i, epoch in enumerate(self.epoch):
                writer.writerow([epoch] + [self.history[k][i] for k in keys])

    def plot(self, path=None, **kwargs):
        """Loss/metric curves (matplotlib); see :func:`deepgrad.viz.plot_history`."""
        from deepgrad.viz import plot_history

        return plot_history(self, path, **kwargs)

    def __repr__(self):
        last = {k: v[-1] for k, v in self.history.items() if v}
        return f"History(epochs={len(self.epoch)}, last={last})"


def _auto_mode(monitor):
    name = monitor.lower()
    if name.startswith("val_"):
        name = name[4:]
    if any(word in name for word in ("acc", "f1", "precision", "recall", "auc")):
        return "max"
    return "min"
