"""Progress display: a tqdm bar per epoch when tqdm is installed, plain printed lines otherwise."""

import sys
import time

from deepgrad.train.callbacks.base import Callback

__all__ = ["ProgressBar"]


def format_logs(logs, skip=("size", "batch")):
    parts = []
    for key, value in logs.items():
        if key in skip or not isinstance(value, (int, float)):
            continue
        parts.append(f"{key}: {value:.3g}" if key == "lr" else f"{key}: {value:.4f}")
    return " - ".join(parts)


class ProgressBar(Callback):
    """Shows live loss and metrics while training (``verbose=1``) or one line per epoch
    (``verbose=2``). ``fit`` adds it when ``verbose > 0``.

    With ``verbose=1`` it uses tqdm (the ``progress`` extra) if importable; without tqdm it
    prints a line every ``interval`` seconds.
    """

    def __init__(self, verbose=1, interval=0.1, use_tqdm=None, file=None):
        self.verbose, self.interval = verbose, interval
        self.file = file
        if use_tqdm is None:
            try:
                import tqdm  # noqa: F401

                use_tqdm = True
            except ImportError:
                use_tqdm = False
        self.use_tqdm = use_tqdm and verbose == 1
        self._bar = None

    @property
    def _out(self):
        return self.file or sys.stdout

    def on_train_begin(self, logs=None):
        self.epochs = self.trainer.epochs

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self._last = time.perf_counter()
        self._seen = 0
        if self.use_tqdm:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.trainer.steps_per_epoch, unit="batch",
                             desc=f"Epoch {epoch + 1}/{self.epochs}", leave=True,
                             dynamic_ncols=True, file=self.file or sys.stderr)

    def on_batch_end(self, batch, logs=None):
        if self.verbose != 1:
            return
        self._seen += 1
        now = time.perf_counter()
        if self._bar is not None:
            if now - self._last >= self.interval:
                self._bar.update(self._seen - self._bar.n)
                self._bar.set_postfix_str(format_logs(self.trainer.running_logs()),
                                          refresh=True)
                self._last = now
        elif now - self._last >= max(self.interval, 2.0):
            total = self.trainer.steps_per_epoch
            where = f"{batch + 1}/{total}" if total else f"{batch + 1}"
            print(f"  batch {where} - {format_logs(self.trainer.running_logs())}",
                  file=self._out, flush=True)
            self._last = now

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._start
        text = format_logs(logs or {})
        if self._bar is not None:
            self._bar.update(self._seen - self._bar.n)
            self._bar.set_postfix_str(text, refresh=False)
            self._bar.close()
            self._bar = None
        else:
            print(f"Epoch {epoch + 1}/{self.epochs} - {elapsed:.1f}s - {text}", file=self._out,
                  flush=True)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
