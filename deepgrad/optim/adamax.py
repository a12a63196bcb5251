"""Adamax: Adam with the infinity norm in place of the second moment (Kingma & Ba, 2015)."""

import numpy as np

from deepgrad.optim.optimizer import (
    Optimizer,
    _check_adam_like,
    _check_implementation_flags,
    _lerp_,
    _regularized_grad,
    _to_scalar,
)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax, PyTorch's update rule::

        input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight decay),
               ε (eps), maximize
        initialize: m₀ ← 0 (first moment), u₀ ← 0 (infinity norm)
        for t = 1, 2, ...:
            g_t ← ∇θ f_t(θ_{t-1})              (-∇ if maximize)
            if λ ≠ 0: g_t ← g_t + λ θ_{t-1}
            m_t ← β₁ m_{t-1} + (1 - β₁) g_t
            u_t ← max(β₂ u_{t-1}, |g_t| + ε)
            θ_t ← θ_{t-1} - γ m_t / ((1 - β₁^t) u_t)

    State per parameter: ``step`` (float32 0-d), ``exp_avg`` (m), ``exp_inf`` (u).

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate γ (default 2e-3).
        betas: (β₁, β₂) (default (0.9, 0.999)).
        eps: ε added to |g| (default 1e-8).
        weight_decay: L2 penalty λ (default 0).
        maximize: maximize the objective (default False).
        foreach, capturable: PyTorch's implementation switches; accepted, no effect.
        differentiable: not supported (must be False).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_adam_like(lr, betas, eps, weight_decay)
        _check_implementation_flags("Adamax", foreach, None, differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (see the class docstring for the rule)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            beta1, beta2 = (float(_to_scalar(b)) for b in group["betas"])
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            for p, param, state, step in self._stepped_params(group, ("exp_avg", "exp_inf")):

                s = self._scratch(param)
                t = self._scratch(param, 1)
                g = _regularized_grad(param, p.grad._data, s, weight_decay, maximize)
                m = state["exp_avg"]._data
                u = state["exp_inf"]._data
                _lerp_(m, g, 1 - beta1, t)
                np.multiply(u, beta2, out=u)
                np.abs(g, out=t)
                np.add(t, eps, out=t)
                np.maximum(u, t, out=u)
                clr = lr / (1 - beta1 ** step)
                np.divide(m, u, out=t)
                np.multiply(t, -clr, out=t)
                np.add(param, t, out=param)
                p._version += 1
        return loss
