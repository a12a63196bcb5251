"""Adafactor: Adam-like steps with a factored second moment (Shazeer & Stern, 2018)."""

import numpy as np

from deepgrad.optim.optimizer import (
    Optimizer,
    _check_implementation_flags,
    _lerp_,
    _regularized_grad,
    _scalar_state,
    _to_scalar,
)
from deepgrad.tensor import Tensor

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    r"""Adafactor, PyTorch's (torch 2.5+) update rule::

        input: γ (lr), τ (β₂ decay), θ₀ (params), f(θ) (objective), ε₁, ε₂ (eps),
               d (clipping threshold), λ (weight decay), maximize
        initialize: R₀ ← 0 (row factor), C₀ ← 0 (column factor), V₀ ← 0 (for vectors)
        for t = 1, 2, ...:
            G_t ← ∇θ f_t(θ_{t-1})              (-∇ if maximize)
            β̂₂ ← 1 - t^τ
            ρ_t ← min(γ, 1/√t)
            α_t ← max(ε₂, RMS(θ_{t-1})) ρ_t
            θ_t ← θ_{t-1} - γ λ θ_{t-1}
            if dim(G_t) > 1:                   (the last two dims are factored)
                R_t ← β̂₂ R_{t-1} + (1 - β̂₂) mean_over_columns(G_t²)
                C_t ← β̂₂ C_{t-1} + (1 - β̂₂) mean_over_rows(G_t²)
                V̂_t ← R_t C_t / max(mean(R_t), ε₁)
            else:
                V̂_t ← β̂₂ V̂_{t-1} + (1 - β̂₂) G_t²
            U_t ← G_t / max(√V̂_t, ε₁)
            Û_t ← U_t / max(1, RMS(U_t) / d)
            θ_t ← θ_t - α_t Û_t

    A matrix of shape (n, m) keeps n + m numbers of second moment instead of n m. As in
    PyTorch (unlike the paper), ``lr`` caps the relative step ρ_t and scales the decoupled
    weight decay, and ε₁ (default: the dtype's machine epsilon) guards the variance estimate
    and the update rather than the factors. State per parameter: ``step`` (float32 0-d) and
    ``row_var``, ``col_var`` (shapes (..., n, 1) and (..., 1, m)) or ``variance``.

    Args:
        params: parameters or parameter groups to optimize.
        lr: the cap on the relative step size, and the weight decay's scale (default 1e-2).
        beta2_decay: τ ≤ 0, the decay rate of β₂ (default -0.8).
        eps: (ε₁, ε₂); ε₁ None means the machine epsilon of the parameter's dtype
            (default (None, 1e-3)).
        d: the clipping threshold of the update's RMS (default 1.0).
        weight_decay: λ (default 0).
        maximize: maximize the objective (default False).
        foreach: PyTorch's implementation switch; accepted, no effect.
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        _check_implementation_flags("Adafactor", foreach)
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (see the class docstring for the rule)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            beta2_decay = group["beta2_decay"]
            eps1, eps2 = group["eps"]
            d = group["d"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param = p._data
                if param.dtype.kind == "c":
                    raise RuntimeError("Adafactor does not support complex parameters")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    if param.ndim > 1:
                        state["row_var"] = Tensor._from_op(
                            np.zeros(param.shape[:-1] + (1,), param.dtype), None)
                        state["col_var"] = Tensor._from_op(
                            np.zeros(param.shape[:-2] + (1, param.shape[-1]), param.dtype),
                            None)
                    else:
                        state["variance"] = Tensor._from_op(np.zeros_like(param), None)
                if eps1 is None:  # as PyTorch, the first parameter's dtype sets it for the group
                    eps1 = float(np.finfo(param.dtype).eps)
                state["step"]._data += 1
                step = float(state["step"]._data)

                s = self._scratch(param)
                g = _regularized_grad(param, p.grad._data, s, 0, maximize)
                one_minus_beta2 = step ** beta2_decay
                rho = min(lr, 1 / (step ** 0.5))
                rms = float(np.sqrt(np.vdot(param, param))) / (param.size ** 0.5)
                alpha = max(eps2, rms) * rho
                if weight_decay != 0:
                    np.multiply(param, 1 - lr * weight_decay, out=param)

                update = self._scratch(param, 1)
                if param.ndim > 1:
                    row_var, col_var = state["row_var"]._data, state["col_var"]._data
                    np.square(g, out=update)
                    row_mean = update.mean(axis=-1, keepdims=True)
                    col_mean = update.mean(axis=-2, keepdims=True)
                    _lerp_(row_var, row_mean, one_minus_beta2, np.empty_like(row_var))
                    _lerp_(col_var, col_mean, one_minus_beta2, np.empty_like(col_var))
                    np.multiply(row_var, col_var, out=update)  # the outer product R C
                    row_scale = np.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
                    np.divide(update, row_scale, out=update)
                else:
                    variance = state["variance"]._data
                    np.square(g, out=update)
                    _lerp_(variance, update, one_minus_beta2, np.empty_like(variance))
                    np.copyto(update, variance)
                np.maximum(update, eps1 * eps1, out=update)
                np.sqrt(update, out=update)
                np.divide(g, update, out=update)
                update_rms = float(np.sqrt(np.vdot(update, update))) / (update.size ** 0.5)
                denom = max(1.0, update_rms / d)
                np.multiply(update, -alpha / denom, out=update)
                np.add(param, update, out=param)
                p._version += 1
        return loss
