"""The training loop: :class:`Trainer`, and :func:`fit`, :func:`evaluate`, :func:`predict`.

The course's vocabulary: an **epoch** is one pass over the training set; it is cut into
**batches** (mini-batches) of ``batch_size`` samples; one **iteration** (step) processes one
batch, so an epoch has ``ceil(N / batch_size)`` iterations. One training step is::

    model.train(); optimizer.zero_grad()
    loss = loss_fn(model(x), y)      # forward
    loss.backward()                  # backward: gradients of the loss w.r.t. every parameter
    optimizer.step()                 # update, e.g. w <- w - lr * dL/dw

Evaluation runs the model in ``eval()`` mode under ``no_grad()``. Everything optional (early
stopping, checkpoints, loggers, learning-rate schedules, the progress bar) is a callback.
"""

import math

import numpy as np

from deepgrad.train.callbacks.base import CallbackList
from deepgrad.train.callbacks.progress import ProgressBar
from deepgrad.train.history import History
from deepgrad.train.metrics import get_metric

__all__ = ["Trainer", "TrainingLoop", "fit", "evaluate", "predict", "TrainingInterrupted"]

_LOSSES = {
    "cross_entropy": "CrossEntropyLoss", "crossentropy": "CrossEntropyLoss",
    "ce": "CrossEntropyLoss", "nll": "NLLLoss", "mse": "MSELoss", "l1": "L1Loss",
    "bce": "BCELoss", "bce_with_logits": "BCEWithLogitsLoss", "smooth_l1": "SmoothL1Loss",
    "huber": "HuberLoss",
}
_OPTIMIZERS = {"sgd": ("SGD", 0.01), "adam": ("Adam", 1e-3), "adamw": ("AdamW", 1e-3),
               "rmsprop": ("RMSprop", 1e-2), "adagrad": ("Adagrad", 1e-2)}


class TrainingInterrupted(FloatingPointError):
    """Raised with ``on_nan='raise'`` when the loss becomes NaN or infinite."""


def _resolve_loss(loss):
    if isinstance(loss, str):
        key = loss.lower()
        if key not in _LOSSES:
            raise ValueError(f"fit: unknown loss {loss!r}; known names: {sorted(_LOSSES)}, or "
                             f"pass a loss module / function")
        from deepgrad import nn

        return getattr(nn, _LOSSES[key])()
    if not callable(loss):
        raise TypeError(f"fit: loss must be a name, a loss module or a function, got {loss!r}")
    return loss


def _resolve_optimizer(optimizer, model):
    if optimizer is None:
        optimizer = "adam"
    if isinstance(optimizer, str):
        key = optimizer.lower()
        if key not in _OPTIMIZERS:
            raise ValueError(f"fit: unknown optimizer {optimizer!r}; known names: "
                             f"{sorted(_OPTIMIZERS)}, or pass an optimizer object")
        from deepgrad import optim

        name, lr = _OPTIMIZERS[key]
        return getattr(optim, name)(model.parameters(), lr=lr)
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(f"fit: optimizer must have step() and zero_grad(), got {optimizer!r}")
    return optimizer


def _param_dtype(model):
    for p in model.parameters():
        if p.dtype.kind == "f":
            return p.dtype
    return np.dtype(np.float32)


def _to_tensor(array, float_dtype):
    import deepgrad

    if isinstance(array, deepgrad.Tensor):
        return array
    a = np.asarray(array)
    if a.dtype.kind == "f" and a.dtype != float_dtype:
        a = a.astype(float_dtype)  # NumPy's float64 default would not match float32 weights
    elif a.dtype.kind in "iu" and a.dtype != np.int64:
        a = a.astype(np.int64)
    return deepgrad.from_numpy(np.ascontiguousarray(a))


def _is_xy_pair(data):
    """(X, y) arrays, as opposed to a list of batches or a Dataset."""
    if not isinstance(data, (tuple, list)) or len(data) != 2 or _is_dataset(data):
        return False
    return all(hasattr(d, "shape") or (isinstance(d, list) and not (d and isinstance(
        d[0], (tuple, dict)))) for d in data)


def _is_dataset(data):
    return (hasattr(data, "__getitem__") and hasattr(data, "__len__")
            and not isinstance(data, (tuple, list, np.ndarray)) and not hasattr(data, "shape"))


def as_loader(data, batch_size=32, shuffle=False, float_dtype=np.float32, name="data"):
    """A DataLoader (or any iterable of batches) for ``data``: a DataLoader is used as is, a
    Dataset is wrapped in ``DataLoader(data, batch_size, shuffle)``, an ``(X, y)`` tuple of
    arrays or tensors becomes a TensorDataset first (floating arrays are cast to the model's
    dtype, integer labels to int64)."""
    if data is None:
        return None
    is_loader = hasattr(data, "__iter__") and hasattr(data, "dataset") and hasattr(
        data, "batch_size")
    if is_loader:
        return data
    if _is_xy_pair(data):
        from deepgrad.utils.data import DataLoader, TensorDataset

        x, y = data
        if len(x) != len(y):
            raise ValueError(f"{name}: X has {len(x)} samples but y has {len(y)}")
        dataset = TensorDataset(_to_tensor(x, float_dtype), _to_tensor(y, float_dtype))
        return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)
    if _is_dataset(data):
        from deepgrad.utils.data import DataLoader

        return DataLoader(data, batch_size=batch_size, shuffle=shuffle)
    if hasattr(data, "__iter__"):
        return data
    raise TypeError(f"{name} must be a DataLoader, a Dataset or an (X, y) tuple, got "
                    f"{type(data).__name__}")


def _split_batch(batch, name="batch"):
    if isinstance(batch, (tuple, list)):
        if len(batch) == 2:
            return (batch[0],), batch[1]
        if len(batch) > 2:
            return tuple(batch[:-1]), batch[-1]
        if len(batch) == 1:
            return (batch[0],), None
    if isinstance(batch, dict):
        return (batch["input"],), batch.get("target")
    return (batch,), None


def _batch_size_of(target, inputs):
    ref = target if target is not None else inputs[0]
    shape = getattr(ref, "shape", None)
    return int(shape[0]) if shape else len(ref)


class TrainingLoop:
    """What :class:`Trainer` and :class:`~deepgrad.train.GenerativeTrainer` share: the run's
    counters and callbacks, the epoch loop that calls them, and resumable training state.

    A subclass sets ``model``, ``optimizer`` and ``scheduler``, calls :meth:`_init_loop`, and
    implements ``_train_epoch(loader, epoch, cbs) -> logs``, ``_validate(loader) -> logs``,
    ``_lr_logs() -> logs`` and ``_should_validate(logs) -> bool``. Callbacks reach the trainer
    as ``self.trainer`` (``model``, ``optimizer``, ``history``, ``epoch``, ``global_step``,
    ``stop_training``, ``running_logs()``...).
    """

    def _init_loop(self, callbacks, verbose, on_nan, metadata):
        if on_nan not in ("stop", "raise", "ignore"):
            raise ValueError(f"on_nan must be 'stop', 'raise' or 'ignore', got {on_nan!r}")
        self.callbacks = list(callbacks or [])
        self.verbose = verbose
        self.on_nan = on_nan
        self.metadata = dict(metadata or {})
        self.history = History()
        self.epoch = 0          # the next epoch to run (from 0)
        self.global_step = 0    # optimizer steps taken so far
        self.epochs = 0
        self.steps_per_epoch = None
        self.stop_training = False
        self._resumed = False
        for cb in self.callbacks:
            if hasattr(cb, "scheduler") and self.scheduler is None and hasattr(cb, "step_per"):
                self.scheduler = cb.scheduler

    def _callback_list(self):
        from deepgrad.train.callbacks.lr_scheduler import LRSchedulerCallback

        # schedulers step first, so that a checkpoint written at the same epoch end holds the
        # stepped scheduler and a resumed run continues with the right learning rate
        schedulers = [cb for cb in self.callbacks if isinstance(cb, LRSchedulerCallback)]
        if self.scheduler is not None and not any(cb.scheduler is self.scheduler
                                                  for cb in schedulers):
            schedulers.insert(0, LRSchedulerCallback(self.scheduler))
        others = [cb for cb in self.callbacks if not isinstance(cb, LRSchedulerCallback)]
        # callbacks that add numbers to an epoch's logs (SampleDiversity) run before History
        # and the loggers, so that those record them
        producers = [cb for cb in others if getattr(cb, "adds_logs", False)]
        others = [cb for cb in others if not getattr(cb, "adds_logs", False)]
        callbacks = producers + [self.history] + schedulers + others
        if self.verbose:
            callbacks.append(ProgressBar(self.verbose))
        return CallbackList(callbacks, trainer=self)

    def _run(self, train_loader, val_loader, epochs, steps_per_epoch, resume_from):
        """Epochs until ``epochs`` in total have run (continuing a resumed run)."""
        if resume_from is not None:
            self.resume(resume_from)
        if not self._resumed:
            self.epoch, self.global_step, self.history = 0, 0, History()
        self._resumed = False
        self.epochs = int(epochs)
        self.train_loader = train_loader
        n = len(train_loader) if hasattr(train_loader, "__len__") else None
        self.steps_per_epoch = min(n, steps_per_epoch) if n and steps_per_epoch else (
            n or steps_per_epoch)
        cbs = self._callback_list()
        self.stop_training = False
        cbs.on_train_begin({})
        try:
            while self.epoch < self.epochs and not self.stop_training:
                epoch = self.epoch
                cbs.on_epoch_begin(epoch, {})
                logs = self._train_epoch(train_loader, epoch, cbs)
                if val_loader is not None and self._should_validate(logs):
                    logs.update({f"val_{k}": v for k, v in self._validate(val_loader).items()})
                logs.update(self._lr_logs())
                self.epoch = epoch + 1  # counted before callbacks run, so checkpoints say so
                cbs.on_epoch_end(epoch, logs)
        finally:
            cbs.on_train_end({})
        return self.history

    # ----- checkpoints --------------------------------------------------------------------
    def state_dict(self):
        """Everything a resumed run needs besides the model and optimizer."""
        cb_states = {}
        for i, cb in enumerate(self.callbacks):
            state = cb.state_dict()
            if state:
                cb_states[f"{i}:{type(cb).__name__}"] = state
        return {"epoch": self.epoch, "global_step": self.global_step,
                "history": self.history.state_dict(), "callbacks": cb_states,
                "metadata": self.metadata}

    def load_state_dict(self, state):
        self.epoch = int(state["epoch"])
        self.global_step = int(state["global_step"])
        self.history = History()
        self.history.load_state_dict(state["history"])
        cb_states = state.get("callbacks", {})
        for i, cb in enumerate(self.callbacks):
            key = f"{i}:{type(cb).__name__}"
            if key in cb_states:
                cb.load_state_dict(cb_states[key])
        if state.get("metadata"):
            self.metadata.update(state["metadata"])

    def save_checkpoint(self, path):
        """Write a training checkpoint: model, optimizer(s), scheduler, RNG state, epoch,
        step, history and callback states."""
        from deepgrad.train import _state

        _state.save(path, self)

    def resume(self, path):
        """Load a training checkpoint written by :meth:`save_checkpoint`; the next ``fit``
        continues from the epoch after the saved one."""
        from deepgrad.train import _state

        _state.load(path, self)
        self._resumed = True
        return self


class Trainer(TrainingLoop):
    """Trains ``model`` with ``loss`` and ``optimizer``, reporting ``metrics`` and calling
    ``callbacks`` (see :mod:`deepgrad.train.callbacks`).

    Args:
        model: a ``deepgrad.nn.Module``.
        loss: a loss module or function ``loss(output, target)``, or a name (``'cross_entropy'``,
            ``'mse'``, ``'bce'``, ``'bce_with_logits'``, ``'nll'``, ``'l1'``...).
        optimizer: an optimizer over ``model.parameters()``, or a name (``'adam'``, ``'sgd'``...)
            with its default learning rate; None means Adam(lr=1e-3).
        metrics: names (``'accuracy'``, ``'top5_accuracy'``, ``'f1'``...) or
            :class:`~deepgrad.train.metrics.Metric` objects or functions ``f(y_true, y_pred)``.
        callbacks: Callback objects, called in order.
        scheduler: an lr scheduler stepped once per epoch (or wrap it in
            :class:`~deepgrad.train.callbacks.LRSchedulerCallback` for more control); it is
            saved in training checkpoints either way.
        verbose: 0 silent, 1 progress bar, 2 one line per epoch.
        on_nan: what a NaN/inf loss does: ``'stop'`` (default: stop before the bad update and
            warn, naming epoch and batch), ``'raise'`` (:class:`TrainingInterrupted`) or
            ``'ignore'``.
        metadata: a dict saved in checkpoints (model name and arguments, dataset, class names)
            so that tools such as ``deepgrad eval`` can rebuild the model.
    """

    def __init__(self, model, loss="cross_entropy", optimizer=None, metrics=None, callbacks=None,
                 scheduler=None, verbose=1, on_nan="stop", metadata=None):
        self.model = model
        self.loss_fn = _resolve_loss(loss)
        self.optimizer = _resolve_optimizer(optimizer, model)
        self.metric_specs = list(metrics or [])
        self.scheduler = scheduler
        self._init_loop(callbacks, verbose, on_nan, metadata)
        self._running = {"loss_sum": 0.0, "count": 0}
        self._train_metrics = []

    # ----- public API ---------------------------------------------------------------------
    def fit(self, train_data, val_data=None, epochs=1, batch_size=32, shuffle=True,
            steps_per_epoch=None, resume_from=None):
        """Train until ``epochs`` epochs in total have run; returns the :class:`History`.

        ``resume_from`` (a training checkpoint path, e.g. written by ``ModelCheckpoint``)
        restores model, optimizer, scheduler, random-generator state, epoch and step first, so
        the run continues as if never interrupted.
        """
        float_dtype = _param_dtype(self.model)
        train_loader = as_loader(train_data, batch_size, shuffle, float_dtype, "train_data")
        val_loader = as_loader(val_data, batch_size, False, float_dtype, "val_data")
        self._train_metrics = [get_metric(m) for m in self.metric_specs]
        return self._run(train_loader, val_loader, epochs, steps_per_epoch, resume_from)

    def evaluate(self, data, batch_size=32):
        """Mean loss and metrics over ``data`` in eval mode without gradients: a dict."""
        loader = as_loader(data, batch_size, False, _param_dtype(self.model), "data")
        return self._evaluate_loader(loader, [get_metric(m) for m in self.metric_specs])

    def predict(self, data, batch_size=32):
        """The model's outputs for every sample of ``data``, concatenated (a Tensor)."""
        return predict(self.model, data, batch_size)

    def current_lr(self):
        groups = getattr(self.optimizer, "param_groups", None)
        return float(groups[0]["lr"]) if groups else float("nan")

    def running_logs(self):
        """Mean loss and metrics of the epoch so far (what the progress bar shows)."""
        r = self._running
        logs = {"loss": r["loss_sum"] / r["count"] if r["count"] else float("nan")}
        for m in self._train_metrics:
            value = m.compute()
            if np.ndim(value) == 0:
                logs[m.name] = float(value)
        return logs

    # ----- the loops ----------------------------------------------------------------------
    def _should_validate(self, logs):
        return not math.isnan(logs.get("loss", 0.0))

    def _validate(self, loader):
        return self._evaluate_loader(loader, [get_metric(m) for m in self.metric_specs])

    def _lr_logs(self):
        return {"lr": self.current_lr()}

    def _handle_nan(self, value, epoch, batch):
        where = (f"epoch {epoch + 1}/{self.epochs}, batch {batch + 1}"
                 + (f"/{self.steps_per_epoch}" if self.steps_per_epoch else ""))
        message = (f"loss is {value} at {where} (step {self.global_step}); training stopped "
                   f"before this batch's update. Try a lower learning rate, check the inputs "
                   f"for NaN/inf, or use a loss on logits (e.g. CrossEntropyLoss, "
                   f"BCEWithLogitsLoss).")
        if self.on_nan == "raise":
            raise TrainingInterrupted(message)
        import warnings

        warnings.warn(message, RuntimeWarning, stacklevel=3)
        self.history.stop_reason = message
        self.stop_training = True

    def _train_epoch(self, loader, epoch, cbs):
        model, optimizer, loss_fn = self.model, self.optimizer, self.loss_fn
        metrics = self._train_metrics
        for m in metrics:
            m.reset()
        running = self._running = {"loss_sum": 0.0, "count": 0}
        batch_hooks = cbs.needs_batch_hooks
        limit = self.steps_per_epoch
        check_nan = self.on_nan != "ignore"
        model.train()
        for batch_idx, batch in enumerate(loader):
            if limit is not None and batch_idx >= limit:
                break
            inputs, target = _split_batch(batch)
            if batch_hooks:
                cbs.on_batch_begin(batch_idx, {"batch": batch_idx})
            optimizer.zero_grad()
            output = model(*inputs)
            loss = loss_fn(output, target)
            value = loss.item()
            if check_nan and not math.isfinite(value):
                self._handle_nan(value, epoch, batch_idx)
                break
            loss.backward()
            optimizer.step()
            self.global_step += 1
            size = _batch_size_of(target, inputs)
            running["loss_sum"] += value * size
            running["count"] += size
            for m in metrics:
                m.update(target, output)
            if batch_hooks:
                cbs.on_batch_end(batch_idx, {"batch": batch_idx, "loss": value, "size": size})
            if self.stop_training:
                break
        return self.running_logs() if running["count"] else {"loss": float("nan")}

    def _evaluate_loader(self, loader, metrics):
        from deepgrad.autograd import no_grad

        model, loss_fn = self.model, self.loss_fn
        was_training = model.training
        model.eval()
        loss_sum, count = 0.0, 0
        for m in metrics:
            m.reset()
        try:
            with no_grad():
                for batch in loader:
                    inputs, target = _split_batch(batch)
                    output = model(*inputs)
                    size = _batch_size_of(target, inputs)
                    if loss_fn is not None and target is not None:
                        loss_sum += loss_fn(output, target).item() * size
                    count += size
                    for m in metrics:
                        m.update(target, output)
        finally:
            model.train(was_training)
        logs = {}
        if loss_fn is not None and count:
            logs["loss"] = loss_sum / count
        for m in metrics:
            value = m.compute()
            logs[m.name] = float(value) if np.ndim(value) == 0 else value
        return logs


def fit(model, train_data, val_data=None, loss="cross_entropy", optimizer=None, epochs=1,
        metrics=None, callbacks=None, batch_size=32, verbose=1, shuffle=True, scheduler=None,
        steps_per_epoch=None, resume_from=None, on_nan="stop", metadata=None):
    """Train ``model`` on ``train_data`` for ``epochs`` epochs; returns a :class:`History`.

    ``train_data``/``val_data``: a DataLoader, a Dataset or an ``(X, y)`` tuple. The other
    arguments are :class:`Trainer`'s and :meth:`Trainer.fit`'s::

        history = fit(model, (X_train, y_train), val_data=(X_val, y_val),
                      loss=nn.CrossEntropyLoss(), optimizer=optim.SGD(model.parameters(), 0.1),
                      epochs=10, metrics=["accuracy"], callbacks=[EarlyStopping(patience=3)])
        history.history["val_accuracy"]
    """
    trainer = Trainer(model, loss=loss, optimizer=optimizer, metrics=metrics,
                      callbacks=callbacks, scheduler=scheduler, verbose=verbose, on_nan=on_nan,
                      metadata=metadata)
    return trainer.fit(train_data, val_data, epochs=epochs, batch_size=batch_size,
                       shuffle=shuffle, steps_per_epoch=steps_per_epoch, resume_from=resume_from)


def evaluate(model, data, loss=None, metrics=("accuracy",), batch_size=256):
    """Mean ``loss`` (if given) and ``metrics`` of ``model`` over ``data`` (eval mode, no
    gradients), as a dict such as ``{'loss': 0.31, 'accuracy': 0.92}``."""
    trainer = Trainer.__new__(Trainer)
    trainer.model = model
    trainer.loss_fn = _resolve_loss(loss) if loss is not None else None
    loader = as_loader(data, batch_size, False, _param_dtype(model), "data")
    return Trainer._evaluate_loader(trainer, loader, [get_metric(m) for m in metrics or ()])


def predict(model, data, batch_size=256):
    """``model``'s outputs for all samples of ``data`` (eval mode, no gradients), concatenated
    into one Tensor. ``data``: inputs X (array or tensor), an ``(X, y)`` tuple, a Dataset or a
    DataLoader (targets are ignored)."""
    import deepgrad
    from deepgrad.autograd import no_grad

    dtype = _param_dtype(model)
    if isinstance(data, (np.ndarray, deepgrad.Tensor)):
        x = _to_tensor(data, dtype)
        batches = (x[i:i + batch_size] for i in range(0, x.shape[0], batch_size))
    else:
        batches = as_loader(data, batch_size, False, dtype, "data")
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with no_grad():
            for batch in batches:
                inputs, _ = _split_batch(batch) if not isinstance(batch, deepgrad.Tensor) else (
                    (batch,), None)
                outputs.append(model(*inputs))
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("predict: data is empty")
    return deepgrad.cat(outputs, dim=0)

