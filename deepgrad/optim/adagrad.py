"""Adagrad: per-coordinate step sizes from the sum of all past squared gradients."""

import numpy as np

from deepgrad.optim.optimizer import (
    Optimizer,
    _check_implementation_flags,
    _regularized_grad,
)
from deepgrad.tensor import Tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), PyTorch's update rule::

        input: γ (lr), θ₀ (params), f(θ) (objective), λ (weight decay),
               τ (initial accumulator value), η (lr decay), ε (eps), maximize
        initialize: state_sum₀ ← τ
        for t = 1, 2, ...:
            g_t ← ∇θ f_t(θ_{t-1})              (-∇ if maximize)
            γ̃ ← γ / (1 + (t - 1) η)
            if λ ≠ 0: g_t ← g_t + λ θ_{t-1}
            state_sum_t ← state_sum_{t-1} + g_t²
            θ_t ← θ_{t-1} - γ̃ g_t / (√state_sum_t + ε)

    The state (``step``, ``sum``) is created for every parameter when the optimizer is built,
    as in PyTorch.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate γ (default 1e-2).
        lr_decay: learning-rate decay η (default 0).
        weight_decay: L2 penalty λ (default 0).
        initial_accumulator_value: τ, the starting value of the sums (default 0).
        eps: ε added to the denominator (default 1e-10).
        maximize: maximize the objective (default False).
        foreach, fused: PyTorch's implementation switches; accepted, no effect.
        differentiable: not supported (must be False).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_implementation_flags("Adagrad", foreach, fused, differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        state = self.state[p]
        state["step"] = Tensor._from_op(np.zeros((), np.float32), None)
        state["sum"] = Tensor._from_op(
            np.full_like(p._data, group["initial_accumulator_value"]), None)

    def step(self, closure=None):
        """Perform one optimization step (see the class docstring for the rule)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            lr_decay = group["lr_decay"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                param = p._data
                state = self.state[p]
                if len(state) == 0:  # a parameter added later with add_param_group
                    self._init_state(p, group)
                step_t = state["step"]
                step_t._data += 1
                step = float(step_t._data)

                s = self._scratch(param)
                std = self._scratch(param, 1)
                g = _regularized_grad(param, grad._data, s, weight_decay, maximize)
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]._data
                np.multiply(g, g, out=std)
                np.add(state_sum, std, out=state_sum)
                np.sqrt(state_sum, out=std)
                np.add(std, eps, out=std)
                np.multiply(g, -clr, out=s)
                np.divide(s, std, out=s)
                np.add(param, s, out=param)
                p._version += 1
        return loss
