"""Stochastic gradient descent, optionally with (Nesterov) momentum."""

import numpy as np

from deepgrad.optim.optimizer import (
    Optimizer,
    _check_implementation_flags,
    _regularized_grad,
)
from deepgrad.tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's update rule::

        input: γ (lr), θ₀ (params), f(θ) (objective), λ (weight decay),
               μ (momentum), τ (dampening), nesterov, maximize
        for t = 1, 2, ...:
            g_t ← ∇θ f_t(θ_{t-1})
            if maximize: g_t ← -g_t
            if λ ≠ 0:    g_t ← g_t + λ θ_{t-1}
            if μ ≠ 0:
                if t > 1: b_t ← μ b_{t-1} + (1 - τ) g_t
                else:     b_t ← g_t
                if nesterov: g_t ← g_t + μ b_t
                else:        g_t ← b_t
            θ_t ← θ_{t-1} - γ g_t

    The momentum buffer ``b`` is ``state[p]["momentum_buffer"]``. Note that this momentum
    is the "heavy ball" form without the (1 - μ) factor, as in PyTorch; with a fixed lr it is
    equivalent to Sutskever et al.'s ``v ← μ v + γ g; θ ← θ - v``.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate γ (default 1e-3).
        momentum: momentum factor μ (default 0).
        dampening: dampening τ for momentum (default 0).
        weight_decay: L2 penalty λ (default 0).
        nesterov: use Nesterov momentum (default False).
        maximize: maximize the objective instead of minimizing it (default False).
        foreach, fused: PyTorch's implementation switches; accepted, no effect in deepgrad.
        differentiable: not supported (must be False).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_implementation_flags("SGD", foreach, fused, differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (see the class docstring for the rule)."""
        loss = self._closure_loss(closure)
        multiply, add, subtract = np.multiply, np.add, np.subtract
        for group in self.param_groups:
            lr = float(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            weight_decay = group["weight_decay"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                param = p._data
                g = grad._data
                s = self._scratch(param)
                if weight_decay != 0 or maximize or g.shape != param.shape:
                    g = _regularized_grad(param, g, s, weight_decay, maximize)
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = Tensor._from_op(np.array(g, dtype=param.dtype, copy=True), None)
                        state["momentum_buffer"] = buf
                    else:
                        b = buf._data
                        multiply(b, momentum, out=b)
                        if dampening == 0:
                            add(b, g, out=b)
                        else:
                            t = self._scratch(param, 1)
                            multiply(g, 1 - dampening, out=t)
                            add(b, t, out=b)
                        buf._version += 1
                    b = buf._data
                    if nesterov:
                        t = self._scratch(param, 1)
                        multiply(b, momentum, out=t)
                        add(t, g, out=s)
                        multiply(s, lr, out=s)
                    else:
                        multiply(b, lr, out=s)
                else:
                    multiply(g, lr, out=s)
                subtract(param, s, out=param)
                p._version += 1
        return loss
