"""Margin, embedding and likelihood losses (PyTorch's names), composed from existing ops.

Each is a few lines of the formula below; autograd derives the gradient. ``reduction`` is
'none' (one value per sample), 'mean' or 'sum', as in ``deepgrad.ops.loss``.

    margin_ranking:   max(0, −y (x1 − x2) + margin)
    hinge_embedding:  x if y = 1,  max(0, margin − x) if y = −1
    soft_margin:      log(1 + e^(−y x))
    multilabel_soft_margin: −mean_c [y log σ(x) + (1 − y) log σ(−x)]
    multi_margin:     Σ_{i≠y} w_y max(0, margin − x_y + x_i)^p / C
    multilabel_margin: Σ_{j ∈ targets} Σ_{i ∉ targets} max(0, 1 − (x_j − x_i)) / C
    cosine_embedding: 1 − cos(x1, x2) if y = 1,  max(0, cos(x1, x2) − margin) if y = −1
    triplet_margin:   max(0, margin + d(a, p) − d(a, n)),  d = pairwise_distance
    poisson_nll:      e^x − t·x (log_input) or x − t·log(x + ε), + Stirling's term if full
    gaussian_nll:     ½ (log σ² + (x − t)² / σ²), + ½ log 2π if full
"""

import math

import numpy as np

from deepgrad.ops import activation as A
from deepgrad.ops import elementwise as E
from deepgrad.ops.activation_extra import logsigmoid
from deepgrad.ops.distance import pairwise_distance
from deepgrad.ops.loss import _check_reduction, _legacy_reduction
from deepgrad.tensor import Tensor

__all__ = ["margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
           "cosine_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "poisson_nll_loss", "gaussian_nll_loss"]


def _reduction(size_average, reduce, reduction, op):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _const(array):
    return Tensor._from_op(np.asarray(array), None)


def _as_tensor(x, like):
    if isinstance(x, Tensor):
        return x
    return _const(np.asarray(x, dtype=like.dtype))


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, −y (x1 − x2) + margin): y = 1 asks for x1 ranked above x2, y = −1 below."""
    reduction = _reduction(size_average, reduce, reduction, "margin_ranking_loss")
    if not (input1.ndim == input2.ndim == target.ndim):
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {tuple(input1.shape)}, input2: "
                           f"{tuple(input2.shape)}, target: {tuple(target.shape)} ")
    loss = E.add(E.mul(E.neg(target), E.sub(input1, input2)), margin).clamp(min=0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y = 1, max(0, margin − x) where y = −1 (targets ±1)."""
    reduction = _reduction(size_average, reduce, reduction, "hinge_embedding_loss")
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    zero = _const(np.zeros((), dtype=input.dtype))
    margin_part = E.where(_const(t != 1), E.sub(margin, input).clamp(min=0), zero)
    self_part = E.where(_const(t != -1), input, zero)
    return _reduce(E.add(margin_part, self_part), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + e^(−y x)) for targets y = ±1 (a smooth hinge), computed without overflow."""
    reduction = _reduction(size_average, reduce, reduction, "soft_margin_loss")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"soft_margin_loss: target of shape {tuple(target.shape)} must have "
                           f"the input's shape {tuple(input.shape)}")
    z = E.mul(E.neg(_as_tensor(target, input)), input)
    return _reduce(A.softplus(z, 1.0, math.inf), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """One-vs-all logistic loss over C labels, averaged over the last (class) dimension."""
    reduction = _reduction(size_average, reduce, reduction, "multilabel_soft_margin_loss")
    target = _as_tensor(target, input)
    loss = E.neg(E.add(E.mul(target, logsigmoid(input)),
                       E.mul(E.sub(1, target), logsigmoid(E.neg(input)))))
    if weight is not None:
        loss = E.mul(loss, weight)
    class_dim = input.ndim - 1
    loss = E.div(loss.sum(class_dim), input.shape[class_dim])
    return _reduce(loss, reduction)


def _class_rows(input, target, op):
    """(C,) or (N, C) input as (N, C) rows, with int targets checked against it."""
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise RuntimeError(f"{op}: Expected non-empty vector or matrix with optional 0-dim "
                           f"batch size, but got: {list(input.shape)}")
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected an integer (int64) target of class indices, got "
                           f"{t.dtype}")
    rows = input if input.ndim == 2 else input.reshape(1, -1)
    return rows, t


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge: Σ_{i≠y} w_y max(0, margin − x_y + x_i)^p / C, p ∈ {1, 2}."""
    op = "multi_margin_loss"
    reduction = _reduction(size_average, reduce, reduction, op)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 supported, got p={p}")
    rows, t = _class_rows(input, target, op)
    n, classes = rows.shape
    t = t.reshape(-1)
    if t.shape != (n,):
        raise RuntimeError(f"{op}: inconsistent target size, expected {n} but got "
                           f"{list(target.shape)} (input shape {tuple(input.shape)})")
    if t.size and (t.min() < 0 or t.max() >= classes):
        raise IndexError(f"{op}: target out of range: class indices must be in [0, "
                         f"{classes - 1}] for input of shape {tuple(input.shape)}")
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != classes):
        raise RuntimeError(f"{op}: weight must be a 1-D tensor of {classes} elements (one per "
                           f"class), got shape {tuple(weight.shape)}")
    chosen = rows[np.arange(n), t].reshape(n, 1)
    z = E.add(E.sub(margin, chosen), rows).clamp(min=0)
    if p == 2:
        z = E.mul(z, z)
    if weight is not None:
        z = E.mul(z, weight[t].reshape(n, 1))
    others = np.ones((n, classes), dtype=input.dtype)
    others[np.arange(n), t] = 0
    loss = E.div(E.mul(z, _const(others)).sum(1), classes)
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge: each row of ``target`` lists the sample's classes, ended by the first
    −1; loss = Σ_{j listed} Σ_{i not listed} max(0, 1 − (x_j − x_i)) / C."""
    op = "multilabel_margin_loss"
    reduction = _reduction(size_average, reduce, reduction, op)
    rows, t = _class_rows(input, target, op)
    n, classes = rows.shape
    if t.shape != tuple(input.shape):
        raise RuntimeError(f"{op}: inconsistent target size: {list(t.shape)} for input of size: "
                           f"{list(input.shape)}")
    t = t.reshape(n, classes)
    # listed[n, k]: position k comes before the row's first −1
    listed = np.cumprod(t != -1, axis=1).astype(bool)
    if (t[listed] < 0).any() or (t[listed] >= classes).any():
        raise IndexError(f"{op}: target values must be class indices in [0, {classes - 1}] or "
                         f"-1 (end of list), for input of shape {tuple(input.shape)}")
    safe = np.where(listed, t, 0)
    is_target = np.zeros((n, classes), dtype=bool)
    row, position = np.nonzero(listed)
    is_target[row, t[row, position]] = True
    pair = listed[:, :, None] & ~is_target[:, None, :]  # (n, k, i)
    chosen = rows[np.arange(n)[:, None], safe]  # x_{target k}: (n, k)
    z = E.add(E.sub(1.0, chosen.reshape(n, classes, 1)), rows.reshape(n, 1, classes))
    z = z.clamp(min=0)
    loss = E.div(E.mul(z, _const(pair.astype(input.dtype))).sum((1, 2)), classes)
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1."""
    op = "cosine_embedding_loss"
    reduction = _reduction(size_average, reduce, reduction, op)
    if target.ndim not in (0, 1):
        raise RuntimeError(f"{op}: 0D or 1D target tensor expected, multi-target not "
                           f"supported (target shape {tuple(target.shape)})")
    if target.ndim == 1 and not (input1.ndim == 2 and input2.ndim == 2):
        raise RuntimeError(f"{op}: 1D target tensor expects 2D input tensors, but found inputs "
                           f"with sizes {list(input1.shape)} and {list(input2.shape)}.")
    if target.ndim == 0 and not (input1.ndim == 1 and input2.ndim == 1):
        raise RuntimeError(f"{op}: 0D target tensor expects 1D input tensors, but found inputs "
                           f"with sizes {list(input1.shape)} and {list(input2.shape)}.")
    dim = target.ndim
    epsilon = 1e-12
    product = E.mul(input1, input2).sum(dim)
    square1 = E.add(E.mul(input1, input1).sum(dim), epsilon)
    square2 = E.add(E.mul(input2, input2).sum(dim), epsilon)
    cos = E.div(product, E.mul(square1, square2).sqrt())
    t = target._data
    zero = _const(np.zeros((), dtype=cos.dtype))
    positive = E.where(_const(t == 1), E.sub(1, cos), zero)
    negative = E.where(_const(t == -1), E.sub(cos, margin).clamp(min=0), zero)
    return _reduce(E.add(positive, negative), reduction)


def _check_triplet_dims(anchor, positive, negative, op):
    if not (anchor.ndim == positive.ndim == negative.ndim):
        raise RuntimeError(f"{op}: The anchor, positive, and negative tensors are expected to "
                           f"have the same number of dimensions, but got: anchor "
                           f"{anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) − d(a, n)) with d the p-norm distance; ``swap`` uses
    min(d(a, n), d(p, n)) for the negative distance."""
    op = "triplet_margin_loss"
    reduction = _reduction(size_average, reduce, reduction, op)
    _check_triplet_dims(anchor, positive, negative, op)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = E.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(E.sub(E.add(d_pos, margin), d_neg).clamp(min=0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """The triplet loss with any distance function (``pairwise_distance`` by default)."""
    op = "triplet_margin_with_distance_loss"
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative, op)
    distance = pairwise_distance if distance_function is None else distance_function
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = E.minimum(d_neg, distance(positive, negative))
    return _reduce(E.sub(E.add(d_pos, margin), d_neg).clamp(min=0), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Poisson negative log-likelihood of counts t with rate λ: λ − t log λ, where
    ``log_input`` means input = log λ (loss e^x − t x); ``full`` adds Stirling's
    t log t − t + ½ log(2π t) where t > 1."""
    reduction = _reduction(size_average, reduce, reduction, "poisson_nll_loss")
    target = _as_tensor(target, input)
    if log_input:
        loss = E.sub(E.exp(input), E.mul(target, input))
    else:
        loss = E.sub(input, E.mul(target, E.log(E.add(input, eps))))
    if full:  # Stirling's t log t − t + ½ log(2π t) ≈ log(t!), only where t > 1
        big = _const(target._data > 1)
        safe = E.where(big, target, 2.0)
        stirling = E.add(E.sub(E.mul(safe, E.log(safe)), safe),
                         E.mul(E.log(E.mul(safe, 2 * math.pi)), 0.5))
        loss = E.add(loss, E.where(big, stirling, 0.0))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log-likelihood ½ (log σ² + (x − t)² / σ²) with predicted variance
    σ² = ``var`` (one per element, or one fewer dimension / a size-1 dimension for a shared
    variance, or a float). σ² is clamped at ``eps`` without blocking its gradient."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _const(np.full(input.shape, float(var), dtype=input.dtype))
    elif (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and sum(
                v for i, v in zip(input.shape, var.shape) if i != v) == 1:
            pass
        else:
            raise ValueError(f"gaussian_nll_loss: var is of incorrect size (var shape "
                             f"{tuple(var.shape)}, input shape {tuple(input.shape)})")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    data = var._data
    if (data < eps).any():  # clamp the value only: the gradient stays that of var
        var = E.add(var, _const((np.maximum(data, eps) - data).astype(data.dtype)))
    difference = E.sub(input, target)
    loss = E.mul(E.add(E.log(var), E.div(E.mul(difference, difference), var)), 0.5)
    if full:
        loss = E.add(loss, 0.5 * math.log(2 * math.pi))
    return _reduce(loss, reduction)
