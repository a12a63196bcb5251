"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""

from deepgrad.optim.adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""Adam whose weight decay shrinks the weights directly instead of entering the moment
    averages, PyTorch's update rule::

        input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), ε (eps),
               λ (weight decay), amsgrad, maximize
        initialize: m₀ ← 0, v₀ ← 0, v₀^max ← 0
        for t = 1, 2, ...:
            g_t ← ∇θ f_t(θ_{t-1})              (-∇ if maximize)
            θ_t ← θ_{t-1} - γ λ θ_{t-1}
            m_t ← β₁ m_{t-1} + (1 - β₁) g_t
            v_t ← β₂ v_{t-1} + (1 - β₂) g_t²
            m̂_t ← m_t / (1 - β₁^t)
            if amsgrad: v_t^max ← max(v_{t-1}^max, v_t);  v̂_t ← v_t^max / (1 - β₂^t)
            else:       v̂_t ← v_t / (1 - β₂^t)
            θ_t ← θ_t - γ m̂_t / (√v̂_t + ε)

    With plain Adam an L2 penalty is divided by √v̂ like the gradient, so weights with large
    gradients are barely decayed; decoupling makes the decay uniform.

    Args: as ``Adam``, but ``weight_decay`` defaults to 1e-2 and is always decoupled.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        # a loaded state can't switch AdamW back to coupled decay
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
