"""NAdam: Adam with Nesterov momentum (Dozat, 2016)."""

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

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, PyTorch's update rule::

        input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight decay),
               ψ (momentum decay), ε (eps), decoupled_weight_decay, maximize
        initialize: m₀ ← 0, v₀ ← 0, μ-product ← 1
        for t = 1, 2, ...:
            g_t ← ∇θ f_t(θ_{t-1})              (-∇ if maximize)
            if λ ≠ 0:
                if decoupled_weight_decay: θ_{t-1} ← θ_{t-1} - γ λ θ_{t-1}
                else:                      g_t ← g_t + λ θ_{t-1}
            μ_t ← β₁ (1 - ½ · 0.96^(t ψ))
            μ_{t+1} ← β₁ (1 - ½ · 0.96^((t+1) ψ))
            m_t ← β₁ m_{t-1} + (1 - β₁) g_t
            v_t ← β₂ v_{t-1} + (1 - β₂) g_t²
            m̂_t ← μ_{t+1} m_t / (1 - ∏_{i≤t+1} μ_i) + (1 - μ_t) g_t / (1 - ∏_{i≤t} μ_i)
            v̂_t ← v_t / (1 - β₂^t)
            θ_t ← θ_{t-1} - γ m̂_t / (√v̂_t + ε)

    State per parameter: ``step`` and ``mu_product`` (float32 0-d tensors, as in PyTorch),
    ``exp_avg`` (m), ``exp_avg_sq`` (v).

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate γ (default 2e-3).
        betas: (β₁, β₂) (default (0.9, 0.999)).
        eps: ε added to the denominator (default 1e-8).
        weight_decay: λ (default 0).
        momentum_decay: ψ (default 4e-3).
        decoupled_weight_decay: decay the weights directly, as AdamW (NAdamW; default False).
        maximize: maximize the objective (default False).
        foreach, capturable: PyTorch's implementation switches; accepted, no effect.
        differentiable: not supported (must be False).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_adam_like(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        _check_implementation_flags("NAdam", foreach, None, differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
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
            momentum_decay = group["momentum_decay"]
            decoupled = group["decoupled_weight_decay"]
            maximize = group["maximize"]
            for p, param, state, step in self._stepped_params(group, ("exp_avg", "exp_avg_sq"),
                                                             {"mu_product": 1.0}):
                bias_correction2 = 1 - beta2 ** step

                s = self._scratch(param)
                t = self._scratch(param, 1)
                if decoupled and weight_decay != 0:
                    np.multiply(param, 1 - lr * weight_decay, out=param)
                g = _regularized_grad(param, p.grad._data, s,
                                      0 if decoupled else weight_decay, maximize)

                # the momentum schedule μ_t, μ_{t+1} and the running product ∏ μ_i (float32,
                # as PyTorch keeps it)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product = state["mu_product"]._data
                np.multiply(mu_product, mu, out=mu_product)
                mu_product = float(mu_product)
                mu_product_next = mu_product * mu_next

                m = state["exp_avg"]._data
                v = state["exp_avg_sq"]._data
                _lerp_(m, g, 1 - beta1, t)
                _square_avg_(v, g, beta2, t)
                denom = self._scratch(param, 2)
                np.divide(v, bias_correction2, out=denom)
                np.sqrt(denom, out=denom)
                np.add(denom, eps, out=denom)
                # θ ← θ - γ(1 - μ_t)/(1 - ∏μ) · g/denom - γ μ_{t+1}/(1 - ∏μ·μ_{t+1}) · m/denom
                np.divide(g, denom, out=t)
                np.multiply(t, -lr * (1.0 - mu) / (1.0 - mu_product), out=t)
                np.add(param, t, out=param)
                np.divide(m, denom, out=t)
                np.multiply(t, (-lr * mu_next) / (1.0 - mu_product_next), out=t)
                np.add(param, t, out=param)
                p._version += 1
        return loss
