"""RMSprop: divide the gradient by a running root mean square of recent gradients (Hinton)."""

import numpy as np

from deepgrad.optim.optimizer import (
    Optimizer,
    _check_implementation_flags,
    _lerp_,
    _regularized_grad,
)
from deepgrad.tensor import Tensor

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's update rule::

        input: α (alpha), γ (lr), θ₀ (params), f(θ) (objective), λ (weight decay),
               μ (momentum), centered, ε (eps), maximize
        initialize: v₀ ← 0 (square average), b₀ ← 0 (buffer), g₀^ave ← 0
        for t = 1, 2, ...:
            g_t ← ∇θ f_t(θ_{t-1})              (-∇ if maximize)
            if λ ≠ 0: g_t ← g_t + λ θ_{t-1}
            v_t ← α v_{t-1} + (1 - α) g_t²
            ṽ_t ← v_t
            if centered:
                g_t^ave ← α g_{t-1}^ave + (1 - α) g_t
                ṽ_t ← ṽ_t - (g_t^ave)²
            if μ > 0:
                b_t ← μ b_{t-1} + g_t / (√ṽ_t + ε)
                θ_t ← θ_{t-1} - γ b_t
            else:
                θ_t ← θ_{t-1} - γ g_t / (√ṽ_t + ε)

    State per parameter: ``step``, ``square_avg`` (v), ``momentum_buffer`` (if μ > 0),
    ``grad_avg`` (if centered).

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate γ (default 1e-2).
        alpha: smoothing constant α (default 0.99).
        eps: ε added to the denominator (default 1e-8).
        weight_decay: L2 penalty λ (default 0).
        momentum: momentum factor μ (default 0).
        centered: normalize by an estimate of the gradient's variance instead of its second
            moment (default False).
        maximize: maximize the objective (default False).
        capturable, foreach: PyTorch's implementation switches; accepted, no effect.
        differentiable: not supported (must be False).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _check_implementation_flags("RMSprop", foreach, None, differentiable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (see the class docstring for the rule)."""
        loss = self._closure_loss(closure)
        multiply, add = np.multiply, np.add
        for group in self.param_groups:
            lr = float(group["lr"])
            alpha = group["alpha"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            momentum = group["momentum"]
            centered = group["centered"]
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
                    if momentum > 0:
                        state["momentum_buffer"] = Tensor._from_op(np.zeros_like(param), None)
                    if centered:
                        state["grad_avg"] = Tensor._from_op(np.zeros_like(param), None)
                state["step"]._data += 1

                s = self._scratch(param)
                avg = self._scratch(param, 1)
                g = _regularized_grad(param, grad._data, s, weight_decay, maximize)
                square_avg = state["square_avg"]._data
                multiply(square_avg, alpha, out=square_avg)
                multiply(g, 1 - alpha, out=avg)
                multiply(avg, g, out=avg)
                add(square_avg, avg, out=square_avg)
                if centered:
                    grad_avg = state["grad_avg"]._data
                    _lerp_(grad_avg, g, 1 - alpha, avg)
                    multiply(grad_avg, -1, out=avg)
                    multiply(avg, grad_avg, out=avg)
                    add(square_avg, avg, out=avg)
                    np.sqrt(avg, out=avg)
                else:
                    np.sqrt(square_avg, out=avg)
                add(avg, eps, out=avg)  # avg is now √ṽ + ε
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    multiply(buf, momentum, out=buf)
                    np.divide(g, avg, out=avg)
                    add(buf, avg, out=buf)
                    multiply(buf, lr, out=avg)
                    np.subtract(param, avg, out=param)
                else:
                    multiply(g, -lr, out=s)
                    np.divide(s, avg, out=avg)
                    add(param, avg, out=param)
                p._version += 1
        return loss

