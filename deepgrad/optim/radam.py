"""RAdam: Adam with a rectified (variance-corrected) adaptive step (Liu et al., 2020)."""

import math

import numpy as np

from deepgrad.optim.optimizer import (
    Optimizer,
    _check_adam_like,
    _check_implementation_flags,
    _lerp_,
    _regularized_grad,
    _square_avg_,
    _to_scalar,
)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam, PyTorch's update rule::

        input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight decay),
               ε (eps), decoupled_weight_decay, maximize
        initialize: m₀ ← 0, v₀ ← 0, ρ_∞ ← 2/(1 - β₂) - 1
        for t = 1, 2, ...:
            g_t ← ∇θ f_t(θ_{t-1})              (-∇ if maximize)
            if λ ≠ 0:
                if decoupled_weight_decay: θ_{t-1} ← θ_{t-1} - γ λ θ_{t-1}
                else:                      g_t ← g_t + λ θ_{t-1}
            m_t ← β₁ m_{t-1} + (1 - β₁) g_t
            v_t ← β₂ v_{t-1} + (1 - β₂) g_t²
            m̂_t ← m_t / (1 - β₁^t)
            ρ_t ← ρ_∞ - 2 t β₂^t / (1 - β₂^t)          (length of the approximated SMA)
            if ρ_t > 5:
                l_t ← √(1 - β₂^t) / (√v_t + ε)
                r_t ← √((ρ_t - 4)(ρ_t - 2) ρ_∞ / ((ρ_∞ - 4)(ρ_∞ - 2) ρ_t))
                θ_t ← θ_{t-1} - γ m̂_t l_t r_t
            else:
                θ_t ← θ_{t-1} - γ m̂_t               (variance not yet tractable: SGD+momentum)

    State per parameter: ``step`` (float32 0-d), ``exp_avg`` (m), ``exp_avg_sq`` (v).

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate γ (default 1e-3).
        betas: (β₁, β₂) (default (0.9, 0.999)).
        eps: ε added to the denominator (default 1e-8).
        weight_decay: λ (default 0).
        decoupled_weight_decay: decay the weights directly, as AdamW (default False).
        maximize: maximize the objective (default False).
        foreach, capturable: PyTorch's implementation switches; accepted, no effect.
        differentiable: not supported (must be False).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_adam_like(lr, betas, eps, weight_decay)
        _check_implementation_flags("RAdam", foreach, None, differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (see the class docstring for the rule)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            beta1, beta2 = (float(_to_scalar(b)) for b in group["betas"])
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            decoupled = group["decoupled_weight_decay"]
            maximize = group["maximize"]
            for p, param, state, step in self._stepped_params(group, ("exp_avg", "exp_avg_sq")):

                s = self._scratch(param)
                t = self._scratch(param, 1)
                if decoupled and weight_decay != 0:
                    np.multiply(param, 1 - lr * weight_decay, out=param)
                g = _regularized_grad(param, p.grad._data, s,
                                      0 if decoupled else weight_decay, maximize)
                m = state["exp_avg"]._data
                v = state["exp_avg_sq"]._data
                _lerp_(m, g, 1 - beta1, t)
                _square_avg_(v, g, beta2, t)

                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                np.divide(m, bias_correction1, out=t)  # m̂
                np.multiply(t, lr, out=t)
                if rho_t > 5.0:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    np.sqrt(v, out=s)
                    np.add(s, eps, out=s)
                    np.divide(bias_correction2 ** 0.5, s, out=s)  # the adaptive lr l_t
                    np.multiply(t, s, out=t)
                    np.multiply(t, rect, out=t)
                np.subtract(param, t, out=param)
                p._version += 1
        return loss
