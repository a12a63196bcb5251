"""Adam: adaptive moment estimation (Kingma & Ba, 2015)."""

import numpy as np

from deepgrad.optim.optimizer import (
    Optimizer,
    _check_implementation_flags,
    _regularized_grad,
)
from deepgrad.tensor import Tensor

__all__ = ["Adam"]


def _to_float(value):
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError("Tensor hyper-parameters must be 1-element")
        return float(value.item())
    return value


class Adam(Optimizer):
    r"""Adam, PyTorch's update rule::

        input: γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weight decay),
               ε (eps), amsgrad, maximize, decoupled_weight_decay
        initialize: m₀ ← 0 (first moment), v₀ ← 0 (second moment), v₀^max ← 0
        for t = 1, 2, ...:
            g_t ← ∇θ f_t(θ_{t-1})              (-∇ if maximize)
            if λ ≠ 0:
                if decoupled_weight_decay: θ_{t-1} ← θ_{t-1} - γ λ θ_{t-1}    (AdamW)
                else:                      g_t ← g_t + λ θ_{t-1}             (L2 penalty)
            m_t ← β₁ m_{t-1} + (1 - β₁) g_t
            v_t ← β₂ v_{t-1} + (1 - β₂) g_t²
            m̂_t ← m_t / (1 - β₁^t)
            if amsgrad: v_t^max ← max(v_{t-1}^max, v_t);  v̂_t ← v_t^max / (1 - β₂^t)
            else:       v̂_t ← v_t / (1 - β₂^t)
            θ_t ← θ_{t-1} - γ m̂_t / (√v̂_t + ε)

    The state of each parameter holds ``step`` (a float32 0-d tensor, as in PyTorch),
    ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with amsgrad, ``max_exp_avg_sq``.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate γ (default 1e-3).
        betas: (β₁, β₂), decay rates of the moment averages (default (0.9, 0.999)).
        eps: ε added to the denominator for numerical stability (default 1e-8).
        weight_decay: λ (default 0); an L2 penalty added to the gradient unless
            ``decoupled_weight_decay``.
        amsgrad: use the AMSGrad variant, which normalizes by the running maximum of v
            (default False).
        maximize: maximize the objective (default False).
        decoupled_weight_decay: decay the weights directly, as AdamW (default False).
        foreach, capturable, fused: PyTorch's implementation switches; accepted, no effect.
        differentiable: not supported (must be False).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(_to_float(b) for b in betas)
        _check_implementation_flags(type(self).__name__, foreach, fused, differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (see the class docstring for the rule)."""
        loss = self._closure_loss(closure)
        multiply, add = np.multiply, np.add
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                param = p._data
                g = grad._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = Tensor._from_op(np.zeros((), np.float32), None)
                    state["exp_avg"] = Tensor._from_op(np.zeros_like(param), None)
                    state["exp_avg_sq"] = Tensor._from_op(np.zeros_like(param), None)
                    if amsgrad:
                        state["max_exp_avg_sq"] = Tensor._from_op(np.zeros_like(param), None)
                step_t = state["step"]
                step_t._data += 1
                step_t._version += 1
                step = float(step_t._data)

                s = self._scratch(param)
                t = self._scratch(param, 1)
                if decoupled:
                    if weight_decay != 0:
                        multiply(param, 1 - lr * weight_decay, out=param)
                    g = _regularized_grad(param, g, s, 0, maximize)
                else:
                    g = _regularized_grad(param, g, s, weight_decay, maximize)

                m = state["exp_avg"]._data
                v = state["exp_avg_sq"]._data
                # m ← β₁ m + (1 - β₁) g;  v ← β₂ v + (1 - β₂) g²  (in place: cheaper in NumPy)
                multiply(m, beta1, out=m)
                multiply(g, 1 - beta1, out=t)
                add(m, t, out=m)
                multiply(v, beta2, out=v)
                np.square(g, out=t)
                multiply(t, 1 - beta2, out=t)
                add(v, t, out=v)
                if amsgrad:
                    v = state["max_exp_avg_sq"]._data
                    np.maximum(v, state["exp_avg_sq"]._data, out=v)

                # θ ← θ - γ m̂ / (√v̂ + ε), with both bias corrections folded into scalars:
                # γ m/(1-β₁ᵗ) / (√v/√(1-β₂ᵗ) + ε) = c m / (√v + ε√(1-β₂ᵗ)), c = γ√(1-β₂ᵗ)/(1-β₁ᵗ)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
                np.sqrt(v, out=t)
                add(t, eps * bias_correction2_sqrt, out=t)
                np.divide(m, t, out=t)
                multiply(t, lr * bias_correction2_sqrt / bias_correction1, out=t)
                np.subtract(param, t, out=param)
                p._version += 1
        return loss
