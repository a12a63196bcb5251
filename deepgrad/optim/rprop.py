"""Rprop: resilient backpropagation, steps from the gradient's sign alone (Riedmiller, 1993)."""

import numpy as np

from deepgrad.optim.optimizer import (
    Optimizer,
    _check_implementation_flags,
    _regularized_grad,
    _scalar_state,
    _to_scalar,
)
from deepgrad.tensor import Tensor

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop, PyTorch's update rule::

        input: θ₀ (params), f(θ) (objective), η₊, η₋ (etas), Γ_max, Γ_min (step sizes),
               γ (lr, the initial step size), maximize
        initialize: g⁰_prev ← 0, η⁰ ← γ (one step size per coordinate)
        for t = 1, 2, ...:
            g_t ← ∇θ f_t(θ_{t-1})              (-∇ if maximize)
            for each coordinate i:
                if g_t^i g_prev^i > 0: η_t^i ← min(η_{t-1}^i η₊, Γ_max)
                elif g_t^i g_prev^i < 0:
                    η_t^i ← max(η_{t-1}^i η₋, Γ_min)
                    g_t^i ← 0                  (the sign flipped: skip this coordinate once)
                else: η_t^i ← η_{t-1}^i
            θ_t ← θ_{t-1} - η_t sign(g_t)
            g_prev ← g_t

    Full-batch only in spirit: the steps ignore the gradient's magnitude, so mini-batch noise
    in the sign makes them erratic. State per parameter: ``step``, ``prev`` (g_prev),
    ``step_size`` (η).

    Args:
        params: parameters or parameter groups to optimize.
        lr: the initial step size γ (default 1e-2).
        etas: (η₋, η₊), the multiplicative decrease and increase factors (default (0.5, 1.2)).
        step_sizes: (Γ_min, Γ_max), the bounds of the step sizes (default (1e-6, 50)).
        maximize: maximize the objective (default False).
        foreach, capturable: PyTorch's implementation switches; accepted, no effect.
        differentiable: not supported (must be False).
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_implementation_flags("Rprop", foreach, None, differentiable)
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (see the class docstring for the rule)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param = p._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    state["prev"] = Tensor._from_op(np.zeros_like(param), None)
                    state["step_size"] = Tensor._from_op(
                        np.full_like(param, float(_to_scalar(group["lr"]))), None)
                state["step"]._data += 1

                s = self._scratch(param)
                g = _regularized_grad(param, p.grad._data, s, 0, maximize)
                prev = state["prev"]._data
                step_size = state["step_size"]._data
                product = self._scratch(param, 1)
                np.multiply(g, prev, out=product)
                factor = self._scratch(param, 2)
                np.sign(product, out=factor)  # keeps a NaN product NaN, as PyTorch does
                factor[product > 0] = etaplus
                flipped = product < 0
                factor[flipped] = etaminus
                factor[product == 0] = 1
                np.multiply(step_size, factor, out=step_size)
                np.clip(step_size, step_size_min, step_size_max, out=step_size)

                np.copyto(prev, g)
                prev[flipped] = 0  # a coordinate whose sign flipped takes no step this time
                np.sign(prev, out=factor)
                np.multiply(factor, step_size, out=factor)
                np.subtract(param, factor, out=param)
                p._version += 1
        return loss
