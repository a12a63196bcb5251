"""Adadelta: Adagrad-like steps whose units match the parameters' (Zeiler, 2012)."""

import numpy as np

from deepgrad.optim.optimizer import (
    Optimizer,
    _check_implementation_flags,
    _regularized_grad,
)
from deepgrad.tensor import Tensor

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, PyTorch's update rule::

        input: γ (lr), θ₀ (params), f(θ) (objective), ρ (decay), λ (weight decay),
               ε (eps), maximize
        initialize: v₀ ← 0 (square avg), u₀ ← 0 (accumulated updates)
        for t = 1, 2, ...:
            g_t ← ∇θ f_t(θ_{t-1})              (-∇ if maximize)
            if λ ≠ 0: g_t ← g_t + λ θ_{t-1}
            v_t ← ρ v_{t-1} + (1 - ρ) g_t²
            Δx_t ← √(u_{t-1} + ε) / √(v_t + ε) · g_t
            u_t ← ρ u_{t-1} + (1 - ρ) Δx_t²
            θ_t ← θ_{t-1} - γ Δx_t

    State per parameter: ``step``, ``square_avg`` (v), ``acc_delta`` (u).

    Args:
        params: parameters or parameter groups to optimize.
        lr: coefficient γ that scales Δx before it is applied (default 1.0).
        rho: decay ρ of the running averages (default 0.9).
        eps: ε inside the square roots (default 1e-6).
        weight_decay: L2 penalty λ (default 0).
        maximize: maximize the objective (default False).
        foreach, capturable: PyTorch's implementation switches; accepted, no effect.
        differentiable: not supported (must be False).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_implementation_flags("Adadelta", foreach, None, differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (see the class docstring for the rule)."""
        loss = self._closure_loss(closure)
        multiply, add = np.multiply, np.add
        for group in self.param_groups:
            lr = float(group["lr"])
            rho = group["rho"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                param = p._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = Tensor._from_op(np.zeros((), np.float32), None)
                    state["square_avg"] = Tensor._from_op(np.zeros_like(param), None)
                    state["acc_delta"] = Tensor._from_op(np.zeros_like(param), None)
                state["step"]._data += 1

                s = self._scratch(param)
                std = self._scratch(param, 1)
                delta = self._scratch(param, 2)
                g = _regularized_grad(param, grad._data, s, weight_decay, maximize)
                square_avg = state["square_avg"]._data
                acc_delta = state["acc_delta"]._data
                multiply(square_avg, rho, out=square_avg)
                multiply(g, 1 - rho, out=std)
                multiply(std, g, out=std)
                add(square_avg, std, out=square_avg)
                add(square_avg, eps, out=std)
                np.sqrt(std, out=std)
                add(acc_delta, eps, out=delta)
                np.sqrt(delta, out=delta)
                np.divide(delta, std, out=delta)
                multiply(delta, g, out=delta)
                multiply(acc_delta, rho, out=acc_delta)
                multiply(delta, 1 - rho, out=std)
                multiply(std, delta, out=std)
                add(acc_delta, std, out=acc_delta)
                multiply(delta, lr, out=delta)
                np.subtract(param, delta, out=param)
                p._version += 1
        return loss
