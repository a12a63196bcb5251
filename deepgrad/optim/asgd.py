"""ASGD: averaged stochastic gradient descent (Polyak & Juditsky, 1992)."""

import numpy as np

from deepgrad.optim.optimizer import (
    Optimizer,
    _check_implementation_flags,
    _regularized_grad,
    _scalar_state,
    _to_scalar,
)
from deepgrad.tensor import Tensor

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD, PyTorch's update rule::

        input: γ (lr), λ (lambd, decay term), α (power for the eta update), t₀ (when to
               start averaging), θ₀ (params), f(θ) (objective), weight decay w, maximize
        initialize: η₀ ← γ, μ₀ ← 1, ax₀ ← 0
        for t = 1, 2, ...:
            g_t ← ∇θ f_t(θ_{t-1})              (-∇ if maximize)
            if w ≠ 0: g_t ← g_t + w θ_{t-1}
            θ_t ← (1 - λ η_{t-1}) θ_{t-1} - η_{t-1} g_t
            if μ_{t-1} ≠ 1: ax_t ← ax_{t-1} + μ_{t-1} (θ_t - ax_{t-1})
            else:           ax_t ← θ_t
            η_t ← γ / (1 + λ γ t)^α
            μ_t ← 1 / max(1, t - t₀)

    ``ax`` is the running average of the iterates (the answer SGD-averaging returns); the
    parameters themselves follow plain SGD with a decaying step. State per parameter:
    ``step``, ``eta``, ``mu`` (float32 0-d tensors, as in PyTorch, so η is rounded to float32)
    and ``ax``.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate γ (default 1e-2).
        lambd: decay term λ (default 1e-4).
        alpha: power α of the eta update (default 0.75).
        t0: the step at which averaging starts (default 1e6).
        weight_decay: L2 penalty w (default 0).
        maximize: maximize the objective (default False).
        foreach, capturable: PyTorch's implementation switches; accepted, no effect.
        differentiable: not supported (must be False).
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_implementation_flags("ASGD", foreach, None, differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (see the class docstring for the rule)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param = p._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    state["eta"] = _scalar_state(lr)
                    state["mu"] = _scalar_state(1.0)
                    state["ax"] = Tensor._from_op(np.zeros_like(param), None)
                state["step"]._data += 1
                step = float(state["step"]._data)

                s = self._scratch(param)
                g = _regularized_grad(param, p.grad._data, s, weight_decay, maximize)
                eta = float(state["eta"]._data)
                mu = float(state["mu"]._data)
                np.multiply(param, 1 - lambd * eta, out=param)  # the decay term
                t = self._scratch(param, 1)
                np.multiply(g, -eta, out=t)
                np.add(param, t, out=param)
                p._version += 1

                ax = state["ax"]._data
                if mu != 1:
                    np.subtract(param, ax, out=t)
                    np.multiply(t, mu, out=t)
                    np.add(ax, t, out=ax)
                else:
                    np.copyto(ax, param)
                # PyTorch rounds both through a float32 tensor, even when a loaded state holds
                # them in float64
                state["eta"]._data[...] = np.float32(lr / ((1 + lambd * lr * step) ** alpha))
                state["mu"]._data[...] = np.float32(1 / max(1, step - t0))
        return loss
