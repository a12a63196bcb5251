"""The fit loop of generative models: :func:`fit_generative` and :class:`GenerativeTrainer`.

A generative model (``deepgrad.models``' Autoencoder, VAE, GAN, DCGAN, ConditionalGAN, CycleGAN,
DDPM ...) trains itself one batch at a time, because one step may update several networks
(a GAN's discriminator, then its generator). It implements::

    task = "generative"
    configure_optimizers(lr=None) -> {"generator": Adam(...), "discriminator": Adam(...)}
    train_step(x, y, optimizers) -> {"d_loss": 0.61, "g_loss": 1.9, ...}   # plain floats
    evaluate_step(x, y) -> {"loss": ...}          # optional, no updates (used for val_data)
    sample(n, labels=None) -> Tensor n×C×H×W in [0, 1]
    check_health(logs) -> str | None              # optional: why training has gone wrong

``x`` is a float Tensor N×C×H×W with pixels in [0, 1], ``y`` the int64 labels (N,). The loop
runs epochs of ``train_step``, averages every returned number over the epoch (weighted by
batch size, over the batches that returned it) into the :class:`~deepgrad.train.History`,
evaluates ``val_data`` with ``evaluate_step`` (``val_*`` entries), shows progress and calls
the usual callbacks (CSVLogger, ModelCheckpoint, EarlyStopping on ``val_loss``...). A NaN/inf
returned value, or a message from ``model.check_health``, stops training with
``History.stop_reason`` saying which value, epoch and batch, and a RuntimeWarning.
"""

import math
import warnings

import numpy as np

from deepgrad.train.callbacks.diversity import SampleDiversity
from deepgrad.train.trainer import (
    TrainingInterrupted,
    TrainingLoop,
    _batch_size_of,
    _param_dtype,
    _split_batch,
    _to_tensor,
    as_loader,
)

__all__ = ["fit_generative", "GenerativeTrainer", "OptimizerGroup"]


class OptimizerGroup:
    """Several named optimizers seen as one: ``state_dict``/``load_state_dict``/``zero_grad``
    over all of them (so training checkpoints keep every player's moments), and
    ``param_groups`` of the first (the ``lr`` a progress line shows)."""

    def __init__(self, optimizers):
        self.optimizers = dict(optimizers)

    def __getitem__(self, name):
        return self.optimizers[name]

    def __iter__(self):
        return iter(self.optimizers)

    def items(self):
        return self.optimizers.items()

    @property
    def param_groups(self):
        return next(iter(self.optimizers.values())).param_groups

    def zero_grad(self, set_to_none=True):
        for opt in self.optimizers.values():
            opt.zero_grad(set_to_none=set_to_none)

    def state_dict(self):
        return {name: opt.state_dict() for name, opt in self.optimizers.items()}

    def load_state_dict(self, state):
        missing = set(self.optimizers) - set(state)
        if missing:
            raise KeyError(f"OptimizerGroup.load_state_dict: no state for optimizer(s) "
                           f"{sorted(missing)}; the state holds {sorted(state)}")
        for name, opt in self.optimizers.items():
            opt.load_state_dict(state[name])


def _resolve_optimizers(model, optimizers, lr):
    if optimizers is None:
        if not hasattr(model, "configure_optimizers"):
            raise TypeError(f"fit_generative: {type(model).__name__} has no "
                            f"configure_optimizers(); pass optimizers={{name: optimizer}}")
        optimizers = model.configure_optimizers(lr=lr)
    if hasattr(optimizers, "step") and hasattr(optimizers, "zero_grad"):
        optimizers = {"model": optimizers}
    if not isinstance(optimizers, dict) or not optimizers:
        raise TypeError(f"fit_generative: optimizers must be a non-empty dict of name -> "
                        f"optimizer (or one optimizer), got {optimizers!r}")
    for name, opt in optimizers.items():
        if not (hasattr(opt, "step") and hasattr(opt, "zero_grad")):
            raise TypeError(f"fit_generative: optimizers[{name!r}] must have step() and "
                            f"zero_grad(), got {opt!r}")
    return dict(optimizers)


def _as_generative_loader(data, batch_size, shuffle, float_dtype, name):
    """Like ``as_loader``, and a bare image array/Tensor (no labels) is also accepted."""
    import deepgrad

    if isinstance(data, (np.ndarray, deepgrad.Tensor)):
        from deepgrad.utils.data import DataLoader, TensorDataset

        return DataLoader(TensorDataset(_to_tensor(data, float_dtype)), batch_size=batch_size,
                          shuffle=shuffle)
    return as_loader(data, batch_size, shuffle, float_dtype, name)


def _check_logs(logs, where):
    if not isinstance(logs, dict):
        raise TypeError(f"fit_generative: {where} must return a dict of name -> float, got "
                        f"{type(logs).__name__}")
    out = {}
    for key, value in logs.items():
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"fit_generative: {where} returned {key}={value!r}, which is not "
                            f"a number") from None
    return out


class GenerativeTrainer(TrainingLoop):
    """Runs :func:`fit_generative`; callbacks reach it as ``self.trainer`` (its ``model``,
    ``optimizers``, ``history``, ``epoch``, ``stop_training``, ``running_logs()``...), as they
    reach :class:`~deepgrad.train.Trainer`. ``optimizer`` is an :class:`OptimizerGroup` over
    all of the model's optimizers, so ``ModelCheckpoint`` saves every one of them, and
    ``fit(resume_from=path)`` / :meth:`resume` continue a run from such a checkpoint (model
    with its buffers -- EMA, image pools --, every optimizer, random-generator state, epoch,
    step, history, callback states) exactly as if it had never stopped."""

    def __init__(self, model, optimizers=None, lr=None, callbacks=None, verbose=1,
                 on_nan="stop", metadata=None, diversity="auto"):
        if not hasattr(model, "train_step"):
            raise TypeError(f"fit_generative: {type(model).__name__} has no train_step(x, y, "
                            f"optimizers); it is not a generative model (see "
                            f"deepgrad.train.generative)")
        self.model = model
        self.optimizers = _resolve_optimizers(model, optimizers, lr)
        self.optimizer = OptimizerGroup(self.optimizers)
        self.scheduler = None
        self._init_loop(callbacks, verbose, on_nan, metadata)
        self._running = {}
        if diversity == "auto":  # GANs are watched for mode collapse unless told otherwise
            diversity = SampleDiversity() if getattr(model, "check_diversity", False) else None
        if diversity is not None and not any(isinstance(cb, SampleDiversity)
                                             for cb in self.callbacks):
            self.callbacks.append(diversity)

    def fit(self, train_data, val_data=None, epochs=1, batch_size=64, shuffle=True,
            steps_per_epoch=None, resume_from=None):
        """Train until ``epochs`` epochs in total have run; returns the History.
        ``resume_from``: a training checkpoint (e.g. ``ModelCheckpoint``'s) to continue."""
        float_dtype = _param_dtype(self.model)
        train_loader = _as_generative_loader(train_data, batch_size, shuffle, float_dtype,
                                             "train_data")
        val_loader = None
        if val_data is not None:
            if not hasattr(self.model, "evaluate_step"):
                raise TypeError(f"fit_generative: val_data was given but "
                                f"{type(self.model).__name__} has no evaluate_step(x, y)")
            val_loader = _as_generative_loader(val_data, batch_size, False, float_dtype,
                                               "val_data")
        return self._run(train_loader, val_loader, epochs, steps_per_epoch, resume_from)

    def running_logs(self):
        """The epoch's mean of every logged value so far (what the progress bar shows)."""
        r = self._running
        counts = r.get("counts", {})
        return {k: v / counts[k] for k, v in r.get("sums", {}).items() if counts[k]}

    def current_lr(self):
        return float(self.optimizer.param_groups[0]["lr"])

    # ----- the loops ----------------------------------------------------------------------
    def _should_validate(self, logs):
        return not self.stop_training

    def _validate(self, loader):
        return self._evaluate_loader(loader)

    def _lr_logs(self):
        lrs = {}
        for name, opt in self.optimizers.items():
            groups = getattr(opt, "param_groups", None)
            if groups:
                lrs[name] = float(groups[0]["lr"])
        if len(lrs) == 1:
            return {"lr": next(iter(lrs.values()))}
        return {f"lr_{name}": v for name, v in lrs.items()}

    def _where(self, epoch, batch):
        total = f"/{self.steps_per_epoch}" if self.steps_per_epoch else ""
        return (f"epoch {epoch + 1}/{self.epochs}, batch {batch + 1}{total} "
                f"(step {self.global_step})")

    def _stop(self, message):
        if self.on_nan == "raise":
            raise TrainingInterrupted(message)
        warnings.warn(message, RuntimeWarning, stacklevel=4)
        self.history.stop_reason = message
        self.stop_training = True

    def _train_epoch(self, loader, epoch, cbs):
        model, optimizers = self.model, self.optimizers
        running = self._running = {"sums": {}, "counts": {}}
        sums, counts = running["sums"], running["counts"]
        batch_hooks = cbs.needs_batch_hooks
        limit = self.steps_per_epoch
        check_health = getattr(model, "check_health", None)
        model.train()
        for batch_idx, batch in enumerate(loader):
            if limit is not None and batch_idx >= limit:
                break
            inputs, y = _split_batch(batch)
            x = inputs[0]
            if batch_hooks:
                cbs.on_batch_begin(batch_idx, {"batch": batch_idx})
            logs = _check_logs(model.train_step(x, y, optimizers), "train_step")
            self.global_step += 1
            bad = [k for k, v in logs.items() if not math.isfinite(v)]
            if bad and self.on_nan != "ignore":
                values = ", ".join(f"{k}={logs[k]}" for k in bad)
                self._stop(f"fit_generative: {values} at {self._where(epoch, batch_idx)}; "
                           f"training stopped (this batch's update has already been applied, "
                           f"so the weights may hold NaN: reload a checkpoint). Try a lower "
                           f"learning rate, check the inputs for NaN/inf, or compute losses "
                           f"from logits (BCEWithLogitsLoss).")
                break
            size = _batch_size_of(y, inputs)
            for k, v in logs.items():  # a batch may skip a value (e.g. an empty domain)
                sums[k] = sums.get(k, 0.0) + v * size
                counts[k] = counts.get(k, 0) + size
            if batch_hooks:
                cbs.on_batch_end(batch_idx, {"batch": batch_idx, "size": size, **logs})
            if check_health is not None:
                problem = check_health(logs)
                if problem:
                    self._stop(f"fit_generative: {type(model).__name__}.check_health at "
                               f"{self._where(epoch, batch_idx)}: {problem}")
                    break
            if self.stop_training:
                break
        logs = self.running_logs()
        if not logs:
            logs = {"loss": float("nan")}
        return logs

    def _evaluate_loader(self, loader):
        from deepgrad.autograd import no_grad

        model = self.model
        was_training = model.training
        model.eval()
        sums, counts = {}, {}
        try:
            with no_grad():
                for batch in loader:
                    inputs, y = _split_batch(batch)
                    logs = _check_logs(model.evaluate_step(inputs[0], y), "evaluate_step")
                    size = _batch_size_of(y, inputs)
                    for k, v in logs.items():
                        sums[k] = sums.get(k, 0.0) + v * size
                        counts[k] = counts.get(k, 0) + size
        finally:
            model.train(was_training)
        return {k: v / counts[k] for k, v in sums.items()}


def fit_generative(model, train_data, val_data=None, epochs=1, batch_size=64, optimizers=None,
                   lr=None, callbacks=None, verbose=1, on_nan="stop", shuffle=True,
                   steps_per_epoch=None, metadata=None, resume_from=None, diversity="auto"):
    """Train a generative ``model`` (one that has ``train_step``) for ``epochs`` epochs;
    returns the :class:`~deepgrad.train.History`.

    Args:
        model: a generative model (see :mod:`deepgrad.train.generative` for the protocol).
        train_data, val_data: an ``(X, y)`` tuple of arrays (images N×C×H×W in [0, 1], int
            labels), a bare image array, a Dataset or a DataLoader. ``val_data`` needs
            ``model.evaluate_step``; its numbers are logged as ``val_<name>``.
        optimizers: a dict ``name -> optimizer`` passed to ``train_step`` (or one optimizer,
            named ``'model'``); None asks ``model.configure_optimizers(lr=lr)``.
        lr: the learning rate for ``configure_optimizers`` (None: the model's recipe).
        callbacks: Callback objects (CSVLogger, ModelCheckpoint, EarlyStopping...).
        verbose: 0 silent, 1 progress bar, 2 one line per epoch.
        on_nan: ``'stop'`` (default: a NaN/inf value returned by ``train_step`` stops training,
            with ``history.stop_reason`` naming the value, epoch and batch, and a
            RuntimeWarning), ``'raise'`` (:class:`~deepgrad.train.TrainingInterrupted`, also
            for a ``check_health`` message) or ``'ignore'``.
        steps_per_epoch: at most this many batches per epoch.
        metadata: a dict saved in training checkpoints.
        diversity: a :class:`~deepgrad.train.callbacks.SampleDiversity` that logs
            ``diversity`` (generated vs real images' spread) each epoch and warns of mode
            collapse; ``'auto'`` adds one for GANs (``model.check_diversity``), None none.
        resume_from: a training checkpoint (``ModelCheckpoint`` writes one each epoch) to
            continue from: the run ends with the weights an uninterrupted one would have.

    ``model.check_health(logs)``, if defined, is called after every batch with that batch's
    returned numbers; a message stops training the same way::

        history = fit_generative(DCGAN(), (X_train, y_train), epochs=5, batch_size=128)
        history["d_loss"], history["g_loss"], history.stop_reason
    """
    trainer = GenerativeTrainer(model, optimizers=optimizers, lr=lr, callbacks=callbacks,
                                verbose=verbose, on_nan=on_nan, metadata=metadata,
                                diversity=diversity)
    return trainer.fit(train_data, val_data, epochs=epochs, batch_size=batch_size,
                       shuffle=shuffle, steps_per_epoch=steps_per_epoch,
                       resume_from=resume_from)
