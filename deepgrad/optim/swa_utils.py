"""Weight averaging: :class:`AveragedModel` for Stochastic Weight Averaging (SWA) and an
exponential moving average (EMA) of the weights, with PyTorch's ``torch.optim.swa_utils`` API.

An averaged copy of a network is what DDPM samples from and what many GANs show (the weights
of the last step are noisy; their average over the last few thousand steps is smoother)::

    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))
    for x, y in loader:
        ...; optimizer.step()
        ema.update_parameters(model)      # W_ema <- decay · W_ema + (1 − decay) · W
    ema(x)                                # the averaged network

The first ``update_parameters`` copies the model's weights; later ones apply the averaging
function. Without one, the average is SWA's equal-weight mean of every model seen::

    W_swa <- W_swa + (W − W_swa) / (n + 1)          (n models averaged so far)
"""

import copy
import itertools
import math

import numpy as np

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.nn.module import Module
from deepgrad.optim.lr_scheduler import LRScheduler, _format_param
from deepgrad.optim.optimizer import _lerp_
from deepgrad.tensor import Tensor

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay):
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         f"[0,1] range.")


def _store(target, value):
    """Write ``value`` into ``target`` in place (a float average into an integer buffer is
    truncated, as PyTorch's ``copy_`` does)."""
    np.copyto(target._data, value._data if isinstance(value, Tensor) else value,
              casting="unsafe")
    target._version += 1


def get_ema_multi_avg_fn(decay=0.999):
    """The in-place EMA update of lists of tensors, for ``AveragedModel(multi_avg_fn=...)``::

        W_0^EMA = W_0,   W_{t+1}^EMA = decay · W_t^EMA + (1 − decay) · W_{t+1}

    (computed as PyTorch's ``lerp_(W, 1 − decay)``; integer tensors as
    ``decay · W^EMA + (1 − decay) · W``, truncated)."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _num_averaged):
        for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
            if p_ema.dtype.kind in "fc":
                _lerp_(p_ema._data, p_model._data, 1 - decay, np.empty_like(p_ema._data))
                p_ema._version += 1
            else:
                _store(p_ema, p_ema._data * decay + p_model._data * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """The in-place equal-weight average of lists of tensors, W ← W + (W_model − W)/(n + 1)."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = int(num_averaged)
        for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
            if p_avg.dtype.kind in "fc":
                _lerp_(p_avg._data, p_model._data, 1 / (n + 1), np.empty_like(p_avg._data))
                p_avg._version += 1
            else:
                _store(p_avg, p_avg._data + (p_model._data - p_avg._data) / (n + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """The EMA of one tensor, for ``AveragedModel(avg_fn=...)``: returns
    ``decay · W^EMA + (1 − decay) · W``."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        return ema_param * decay + current_param * (1 - decay)

    return ema_update


def get_swa_avg_fn():
    """The equal-weight average of one tensor: returns ``W_avg + (W − W_avg) / (n + 1)``."""

    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (int(num_averaged) + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose weights are a running average of ``model``'s (SWA, Izmailov
    et al. 2018, or an EMA: Polyak averaging with exponential weights).

    Args:
        model: the module to average; it is deep-copied into ``self.module``.
        device: accepted for PyTorch compatibility; only ``None`` or ``'cpu'``.
        avg_fn: ``avg_fn(averaged, current, num_averaged) -> Tensor``, the new average of one
            tensor (e.g. :func:`get_ema_avg_fn`).
        multi_avg_fn: ``multi_avg_fn(averaged_list, current_list, num_averaged)``, updating the
            averages in place (e.g. :func:`get_ema_multi_avg_fn`). At most one of the two;
            neither: the equal-weight SWA mean.
        use_buffers: average the buffers too (batch norm's running statistics); otherwise the
            buffers are copied from ``model`` at every update.

    ``n_averaged`` (a buffer, saved in ``state_dict``) counts the updates; the first one copies
    the weights. ``forward`` calls the averaged copy.
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        if device is not None and str(device) != "cpu":
            raise ValueError(f"AveragedModel: deepgrad runs on the CPU only, got device="
                             f"{device!r}")
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel: model must be a deepgrad.nn.Module, got "
                            f"{type(model).__name__}")
        self.module = copy.deepcopy(model)
        self.register_buffer("n_averaged", Tensor(np.array(0, dtype=np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _pairs(self, model):
        if self.use_buffers:
            mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            mine, theirs = list(self.module.parameters()), list(model.parameters())
        if len(mine) != len(theirs) or any(a.shape != b.shape for a, b in zip(mine, theirs)):
            shapes = lambda ts: [tuple(t.shape) for t in ts]  # noqa: E731
            raise ValueError(f"AveragedModel.update_parameters: {type(model).__name__} does "
                             f"not match the averaged copy ({len(theirs)} tensors of shapes "
                             f"{shapes(theirs)[:4]}... vs {len(mine)} of {shapes(mine)[:4]}...)")
        return mine, theirs

    @no_grad()
    def update_parameters(self, model):
        """Fold ``model``'s current weights into the average (the first call copies them)."""
        mine, theirs = self._pairs(model)
        n = int(self.n_averaged.item())
        if n == 0:
            for p_avg, p_model in zip(mine, theirs):
                _store(p_avg, p_model)
        elif self.avg_fn is not None:
            for p_avg, p_model in zip(mine, theirs):
                _store(p_avg, self.avg_fn(p_avg.detach(), p_model.detach(), self.n_averaged))
        else:
            multi_avg_fn = self.multi_avg_fn or get_swa_multi_avg_fn()
            # grouped by dtype as PyTorch does, so an integer buffer takes its own path
            groups = {}
            for p_avg, p_model in zip(mine, theirs):
                groups.setdefault(p_avg.dtype, ([], []))
                groups[p_avg.dtype][0].append(p_avg)
                groups[p_avg.dtype][1].append(p_model)
            for averaged, current in groups.values():
                multi_avg_fn(averaged, current, self.n_averaged)
        if not self.use_buffers:
            for b_avg, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                _store(b_avg, b_model)
        _store(self.n_averaged, np.array(n + 1))

    def extra_repr(self):
        kind = ("avg_fn" if self.avg_fn is not None else "multi_avg_fn"
                if self.multi_avg_fn is not None else "swa")
        return f"averaging={kind}, use_buffers={self.use_buffers}"


@no_grad()
def update_bn(loader, model, device=None):
    """Recompute the batch-norm running statistics of ``model`` (e.g. an SWA average) with one
    pass over ``loader``: the statistics are reset and then accumulated as a cumulative mean
    (``momentum=None``). A batch is a tensor or a tuple/list whose first item is the input."""
    from deepgrad.nn.modules.batchnorm import _BatchNorm

    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    r"""Anneal each group's lr to a constant ``swa_lr`` over ``anneal_epochs`` steps, then
    hold it: the schedule SWA runs while it averages the weights. At step t (t = 0 when built)::

        α_t = a(min(1, t / anneal_epochs)),   a(u) = (1 - cos(π u)) / 2  ('cos')  or  u
        lr_t = α_t swa_lr + (1 - α_t) lr_start

    where lr_start is the lr the group had when annealing began (recovered each step from
    the current lr, as PyTorch does, so another scheduler may have moved it before)::

        swa_scheduler = SWALR(optimizer, swa_lr=0.05, anneal_epochs=5, anneal_strategy="linear")
        for epoch in range(epochs):
            train_one_epoch(...)
            if epoch >= swa_start:
                swa_model.update_parameters(model)
                swa_scheduler.step()
            else:
                scheduler.step()

    Args:
        optimizer: the wrapped optimizer.
        swa_lr: the final lr, one for all groups or a list with one per group (stored as
            ``group["swa_lr"]``).
        anneal_epochs: steps of the annealing phase (default 10; 0 jumps to swa_lr).
        anneal_strategy: 'cos' (default) or 'linear'.
        last_epoch: index of the last epoch (default -1).
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for value, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = value
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        """lr_start from lr = α swa_lr + (1 - α) lr_start."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = (self._cosine_anneal if anneal_strategy == "cos"
                            else self._linear_anneal)

    def get_lr(self):
        self._warn_outside_step()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs, strict=True)]

    def state_dict(self):
        """Every attribute except the optimizer and the annealing function."""
        return {key: value for key, value in self.__dict__.items()
                if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
