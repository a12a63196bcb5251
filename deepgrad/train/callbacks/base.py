"""The callback protocol of :class:`~deepgrad.train.Trainer` (Keras' hooks, with logs dicts).

A callback overrides any of::

    on_train_begin(logs)   on_epoch_begin(epoch, logs)   on_batch_begin(batch, logs)
    on_train_end(logs)     on_epoch_end(epoch, logs)     on_batch_end(batch, logs)

``logs`` at ``on_batch_end`` holds the batch's ``loss`` and ``size``; at ``on_epoch_end`` it
holds the epoch's mean ``loss``, the metrics, ``val_loss``/``val_<metric>`` when validation data
was given, and ``lr``. Epochs and batches are counted from 0. A callback reaches the training
run through ``self.trainer`` (``self.model`` for short) and stops it by setting
``self.trainer.stop_training = True``.
"""

__all__ = ["Callback", "CallbackList"]


class Callback:
    """Base class: every hook does nothing."""

    trainer = None

    def set_trainer(self, trainer):
        self.trainer = trainer

    @property
    def model(self):
        return self.trainer.model if self.trainer is not None else None

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    # state a training checkpoint keeps so that a resumed run behaves as an uninterrupted one
    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


class CallbackList:
    """Calls a hook on each callback in order; only hooks a callback overrides are called, so
    empty hooks cost nothing per batch."""

    _HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
              "on_batch_begin", "on_batch_end")

    def __init__(self, callbacks=(), trainer=None):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {cb!r}")
            if trainer is not None:
                cb.set_trainer(trainer)
        for hook in self._HOOKS:
            bound = [getattr(cb, hook) for cb in self.callbacks
                     if getattr(type(cb), hook) is not getattr(Callback, hook)]
            setattr(self, "_" + hook, bound)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def on_train_begin(self, logs=None):
        for fn in self._on_train_begin:
            fn(logs)

    def on_train_end(self, logs=None):
        for fn in self._on_train_end:
            fn(logs)

    def on_epoch_begin(self, epoch, logs=None):
        for fn in self._on_epoch_begin:
            fn(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        for fn in self._on_epoch_end:
            fn(epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        for fn in self._on_batch_begin:
            fn(batch, logs)

    def on_batch_end(self, batch, logs=None):
        for fn in self._on_batch_end:
            fn(batch, logs)

    @property
    def needs_batch_hooks(self):
        return bool(self._on_batch_begin or self._on_batch_end)
