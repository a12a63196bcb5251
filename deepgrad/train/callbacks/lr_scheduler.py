"""``LRSchedulerCallback``: step a learning-rate scheduler from the training loop."""

from deepgrad.train.callbacks.base import Callback

__all__ = ["LRSchedulerCallback"]


class LRSchedulerCallback(Callback):
    """Calls ``scheduler.step()`` after every epoch (``step_per='epoch'``) or every batch
    (``step_per='batch'``, e.g. for OneCycleLR). ``ReduceLROnPlateau`` is stepped with the
    epoch's ``monitor`` value (``val_loss`` by default, falling back to ``loss`` without
    validation data). The scheduler's state is saved in training checkpoints.
    """

    def __init__(self, scheduler, step_per="epoch", monitor="val_loss"):
        if step_per not in ("epoch", "batch"):
            raise ValueError(f"LRSchedulerCallback: step_per must be 'epoch' or 'batch', got "
                             f"{step_per!r}")
        self.scheduler, self.step_per, self.monitor = scheduler, step_per, monitor
        self._plateau = type(scheduler).__name__ == "ReduceLROnPlateau"
        if self._plateau and step_per == "batch":
            raise ValueError("LRSchedulerCallback: ReduceLROnPlateau steps once per epoch with "
                             "a monitored value; use step_per='epoch'")

    def set_trainer(self, trainer):
        super().set_trainer(trainer)
        if trainer.scheduler is None:
            trainer.scheduler = self.scheduler  # so training checkpoints include it

    def on_batch_end(self, batch, logs=None):
        if self.step_per == "batch":
            self.scheduler.step()

    def on_epoch_end(self, epoch, logs=None):
        if self.step_per != "epoch":
            return
        if self._plateau:
            logs = logs or {}
            key = self.monitor if self.monitor in logs else "loss"
            if key not in logs:
                raise KeyError(f"LRSchedulerCallback: {self.monitor!r} not in the logs "
                               f"{sorted(logs)}")
            self.scheduler.step(logs[key])
        else:
            self.scheduler.step()
