"""Loss functions, fused and numerically stable, each with its own backward.

Cross-entropy works from logits through log-softmax, log p = z − logsumexp(z), so logits of
±1e4 give finite values; its gradient is the famous softmax − one-hot. Binary cross-entropy
with logits uses max(−z, 0) + log1p(e^−|z|) = log(1 + e^−z), which never overflows. The course's
logistic cost is −[y log ŷ + (1 − y) log(1 − ŷ)] (note the leading minus sign).

Every loss takes ``reduction``: ``'none'`` (one value per element), ``'sum'`` or ``'mean'``
(for class weights, the weighted mean Σ wᵢ lᵢ / Σ wᵢ, as PyTorch).
"""

import math
import warnings

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.ops._util import unbroadcast
from deepgrad.tensor import Tensor

_minimum_reduce, _maximum_reduce = np.minimum.reduce, np.maximum.reduce

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]


# ----- helpers ------------------------------------------------------------------------------
def _legacy_reduction(size_average, reduce, reduction):
    """PyTorch's deprecated ``size_average``/``reduce`` flags mapped to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = "none" if not reduce else "mean" if size_average else "sum"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{result}' instead.", UserWarning, stacklevel=3)
    return result


_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction, op, allowed=_REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction "
                         f"(choose from {', '.join(map(repr, allowed))})")


def _array(x):
    return x._data if isinstance(x, Tensor) else (None if x is None else np.asarray(x))


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    total = loss.sum(dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(total)
    return np.asarray(total / loss.size if loss.size else np.nan, dtype=loss.dtype)


def _expand_reduced_grad(grad, shape, reduction, dtype):
    """dL/d(elementwise loss) for each reduction: the upstream gradient itself for 'none',
    else one 0-d number (the same for every element of ``shape``), which broadcasts against
    the elementwise factors it multiplies -- no array of ``shape`` is built for it."""
    if reduction == "none":
        return grad
    scale = grad.reshape(())
    if reduction == "mean":
        scale = scale / max(math.prod(shape), 1)
    return np.asarray(scale, dtype=dtype)


def _warn_size_mismatch(input, target, op):
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"{op}: Using a target size {tuple(target.shape)} that is different to the input "
            f"size {tuple(input.shape)}. This will likely lead to incorrect results due to "
            f"broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=4)


# ----- cross-entropy and NLL ------------------------------------------------------------------
def _to_rows(x):
    """(N, C, d1, ...) -> (N·d1·..., C), the class axis last; (C,) -> (1, C)."""
    if x.ndim == 1:
        return x[None, :]
    if x.ndim == 2:
        return x
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _from_rows(rows, shape):
    """Inverse of ``_to_rows`` for an array of ``shape``."""
    if len(shape) == 1:
        return rows.reshape(shape)
    if len(shape) == 2:
        return rows
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return np.ascontiguousarray(np.moveaxis(rows.reshape(moved), -1, 1))


def _class_target_rows(input, target, op, ignore_index):
    """Validate class-index targets against input (N, C, d...) and flatten them to rows."""
    if target.dtype.kind not in "iu":
        if target.dtype.kind == "f" and target.shape != input.shape:
            raise RuntimeError(
                f"{op}: target has dtype {target.dtype} and shape {tuple(target.shape)}, which "
                f"is neither class indices (an integer tensor, e.g. target.long()) nor class "
                f"probabilities (a float tensor of the input's shape {tuple(input.shape)})")
        raise RuntimeError(f"{op}: expected class-index target of integer dtype (int64), got "
                           f"{target.dtype}")
    expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if target.shape != expected:
        if input.ndim > 1 and target.ndim >= 1 and target.shape[0] != input.shape[0]:
            raise ValueError(f"{op}: Expected input batch_size ({input.shape[0]}) to match "
                             f"target batch_size ({target.shape[0]}); input shape "
                             f"{tuple(input.shape)}, target shape {tuple(target.shape)}")
        raise RuntimeError(f"{op}: target of shape {tuple(target.shape)} doesn't fit input of "
                           f"shape {tuple(input.shape)} (expected target shape {expected}: "
                           f"the input without its class dimension 1)")
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    flat = target.reshape(-1)
    ignored = flat == ignore_index
    if flat.size:
        valid = flat if not ignored.any() else flat[~ignored]
        if valid.size and (valid.min() < 0 or valid.max() >= classes):
            bad = valid[(valid < 0) | (valid >= classes)][0]
            raise IndexError(f"{op}: Target {int(bad)} is out of bounds: class indices must be "
                             f"in [0, {classes - 1}] for input of shape {tuple(input.shape)} "
                             f"({classes} classes)")
    return flat, ignored, classes


_warned_probabilities = False


def _maybe_warn_probabilities(rows, op):
    """Learners often feed softmax outputs to cross_entropy, which applies log-softmax itself:
    warn once when every row is a probability vector."""
    global _warned_probabilities
    if _warned_probabilities or rows.shape[-1] < 2 or rows.size == 0:
        return
    first = rows[0]
    if first.min() < 0 or abs(float(first.sum()) - 1) > 1e-4 or rows.min() < 0:
        return  # the first row settles it for logits without a pass over all rows
    if rows.max() <= 1 and np.allclose(rows.sum(axis=-1), 1, atol=1e-4):
        _warned_probabilities = True
        warnings.warn(f"{op}: the input looks like probabilities (every row is in [0, 1] and sums "
                      f"to 1), but cross_entropy expects raw scores (logits) and applies "
                      f"log-softmax itself; drop the final softmax from the model",
                      UserWarning, stacklevel=4)


class CrossEntropy(Function):
    """ℓ = −Σ_c a_c log softmax(z)_c for row coefficients a (one-hot·weight, smoothed or
    probability targets); dℓ/dz = p·Σ_c a_c − a, with p = softmax(z)."""

    def forward(self, input, target, weight, ignore_index, reduction, label_smoothing):
        op = "cross_entropy"
        if input.dtype.kind != "f":
            raise RuntimeError(f"{op}: expected a floating point input (logits), got "
                               f"{input.dtype}")
        if input.ndim == 0:
            raise RuntimeError(f"{op}: input must have at least 1 dimension (classes), got a "
                               f"0-d tensor")
        rows = _to_rows(input)
        dtype, classes = input.dtype, rows.shape[1]
        _maybe_warn_probabilities(rows, op)
        if weight is not None:
            if weight.shape != (classes,):
                raise RuntimeError(f"{op}: weight should be a 1D tensor of {classes} elements "
                                   f"(one per class), got shape {tuple(weight.shape)}")
            weight = weight.astype(dtype, copy=False)
        # log-softmax, shifted by the row max so exp never overflows
        shifted = rows - rows.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        sums = exp.sum(axis=1, keepdims=True)
        log_sums = np.log(sums)
        self.shape, self.dtype, self.reduction = input.shape, dtype, reduction
        self.probs = np.divide(exp, sums, out=exp)
        eps = label_smoothing
        probability_target = target.dtype.kind == "f"
        if probability_target:
            if target.shape != input.shape:
                _class_target_rows(input, target, op, ignore_index)  # raises the clear error
            coef = _to_rows(target).astype(dtype, copy=False)
            if eps:
                coef = coef * (1 - eps) + eps / classes
            if weight is not None:
                coef = coef * weight
            self.coef, self.sparse = coef, False
            log_p = shifted - log_sums
            # d/dt of −Σ w_c t'_c log p_c with t' = (1 − ε) t + ε/C is −(1 − ε) w_c log p_c
            self.target_rows = -(1 - eps) * log_p
            if weight is not None:
                self.target_rows = self.target_rows * weight
            losses = -(coef * log_p).sum(axis=1)
            denominator = rows.shape[0]
        else:
            flat, ignored, _ = _class_target_rows(input, target, op, ignore_index)
            any_ignored = bool(ignored.any())
            index = np.where(ignored, 0, flat) if any_ignored else flat
            rows_at = np.arange(len(index))
            picked = shifted[rows_at, index] - log_sums[:, 0]
            if weight is None and not any_ignored:
                row_weight, denominator, losses = None, len(index), -picked  # the W1 fast path
            else:
                row_weight = weight[index] if weight is not None else np.ones(len(index), dtype)
                if any_ignored:
                    row_weight = np.where(ignored, 0, row_weight).astype(dtype, copy=False)
                denominator = row_weight.sum()
                losses = -row_weight * picked
            if eps:
                # PyTorch: (1 − ε)·nll + ε/C · (−Σ_c w_c log p_c), the smoothing term on
                # non-ignored rows only
                log_p = shifted - log_sums
                class_w = weight if weight is not None else np.ones(classes, dtype)
                keep = (~ignored).astype(dtype)[:, None]
                coef = (eps / classes) * class_w[None, :] * keep
                coef[rows_at, index] += (1 - eps) * (1 if row_weight is None else row_weight)
                losses = -(coef * log_p).sum(axis=1)
                self.coef, self.sparse = coef, False
            else:
                self.index, self.row_weight, self.sparse = index, row_weight, True
        self.has_target_grad = probability_target
        self.denominator = denominator
        if reduction == "none":
            return losses.reshape(input.shape[:1] + input.shape[2:] if input.ndim > 1 else ())
        total = losses.sum(dtype=dtype)
        if reduction == "sum":
            return np.asarray(total)
        return np.asarray(total / denominator if denominator else np.nan, dtype=dtype)

    def _row_grad(self, grad):
        if self.reduction == "none":
            return grad.reshape(-1, 1)
        scale = grad.reshape(())
        if self.reduction == "mean":
            scale = scale / self.denominator
        return np.asarray(scale, dtype=self.dtype)

    def backward(self, grad):
        g = self._row_grad(grad)
        grad_input = grad_target = None
        if self.needs_input_grad[0]:
            if self.sparse:
                # softmax − one-hot, scaled: p·g everywhere, minus g at the target class
                scaled = g if self.row_weight is None else (self.row_weight[:, None] * g)
                scaled = np.asarray(scaled, dtype=self.dtype)
                rows = self.probs * scaled
                at_target = scaled if scaled.ndim == 0 else scaled[:, 0]
                rows[np.arange(len(self.index)), self.index] -= at_target
            else:
                rows = (self.probs * self.coef.sum(axis=1, keepdims=True) - self.coef) * g
            grad_input = _from_rows(rows.astype(self.dtype, copy=False), self.shape)
        if self.has_target_grad and len(self.needs_input_grad) > 1 and self.needs_input_grad[1]:
            grad_target = _from_rows((self.target_rows * g).astype(self.dtype, copy=False),
                                     self.shape)
        return grad_input, grad_target


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits ``input`` (N, C) or (N, C, d1, ...) and ``target``.

    ``target`` holds class indices (int64, shape (N,) or (N, d1, ...)) or class probabilities
    (float, the input's shape). For one sample with log p = log_softmax(z):
    ℓ = −w_y log p_y (indices) or ℓ = −Σ_c w_c t_c log p_c (probabilities); label smoothing ε
    mixes the target with the uniform distribution: t' = (1 − ε) t + ε / C.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got "
                         f"{label_smoothing}")
    target_array = _array(target)
    weight_array = _array(weight)
    if isinstance(target, Tensor) and target_array.dtype.kind == "f":
        node_target = target
    else:
        node_target = target_array
    return CrossEntropy.apply(input, node_target, weight_array, ignore_index, reduction,
                              float(label_smoothing))


class NLLLoss(Function):
    """ℓ = −w_y x_y for log-probabilities x; the gradient is −w_y at the target class."""

    def forward(self, input, target, weight, ignore_index, reduction):
        op = "nll_loss"
        if input.ndim == 0:
            raise RuntimeError(f"{op}: input must have at least 1 dimension, got a 0-d tensor")
        rows = _to_rows(input)
        dtype, classes = input.dtype, rows.shape[1]
        if weight is not None:
            if weight.shape != (classes,):
                raise RuntimeError(f"{op}: weight should be a 1D tensor of {classes} elements, "
                                   f"got shape {tuple(weight.shape)}")
            weight = weight.astype(dtype, copy=False)
        flat, ignored, _ = _class_target_rows(input, target, op, ignore_index)
        index = np.where(ignored, 0, flat)
        row_weight = weight[index] if weight is not None else np.ones(len(index), dtype)
        if ignored.any():
            row_weight = np.where(ignored, 0, row_weight).astype(dtype, copy=False)
        losses = -row_weight * np.take_along_axis(rows, index[:, None], axis=1)[:, 0]
        self.index, self.row_weight, self.shape, self.dtype = index, row_weight, input.shape, dtype
        self.reduction, self.denominator = reduction, row_weight.sum()
        if reduction == "none":
            return losses.reshape(target.shape)
        total = losses.sum(dtype=dtype)
        if reduction == "sum":
            return np.asarray(total)
        return np.asarray(total / self.denominator if self.denominator else np.nan, dtype=dtype)

    def backward(self, grad):
        if self.reduction == "none":
            g = grad.reshape(-1)
        else:
            g = grad.reshape(())
            if self.reduction == "mean":
                g = g / self.denominator
        classes = self.shape[1] if len(self.shape) > 1 else self.shape[0]
        rows = np.zeros((len(self.index), classes), self.dtype)
        np.put_along_axis(rows, self.index[:, None],
                          (-self.row_weight * g)[:, None].astype(self.dtype, copy=False), axis=1)
        return _from_rows(rows, self.shape), None


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of class ``target`` under log-probabilities ``input``
    (the output of ``log_softmax``): ℓ = −w_y input_y."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "nll_loss")
    return NLLLoss.apply(input, _array(target), _array(weight), ignore_index, reduction)


# ----- pointwise regression losses ----------------------------------------------------------------
class PointwiseLoss(Function):
    """ℓ(d) for d = input − target, elementwise; dℓ/dinput = ℓ'(d), dℓ/dtarget = −ℓ'(d)."""

    def forward(self, input, target, kind, reduction, param):
        self.input_shape, self.target_shape = input.shape, target.shape
        diff = input - target
        if kind == "mse":
            loss = diff * diff
            self.slope = 2 * diff
        elif kind == "l1":
            loss = np.abs(diff)
            self.slope = np.sign(diff)
        elif kind == "smooth_l1":
            abs_diff = np.abs(diff)
            if param == 0:
                loss, self.slope = abs_diff, np.sign(diff)
            else:
                small = abs_diff < param
                loss = np.where(small, 0.5 * diff * diff / param, abs_diff - 0.5 * param)
                self.slope = np.where(small, diff / param, np.sign(diff))
        elif kind == "huber":
            abs_diff = np.abs(diff)
            small = abs_diff < param
            loss = np.where(small, 0.5 * diff * diff, param * (abs_diff - 0.5 * param))
            self.slope = np.where(small, diff, param * np.sign(diff))
        else:
            raise ValueError(f"unknown pointwise loss {kind!r}")
        dtype = diff.dtype
        loss = loss.astype(dtype, copy=False)
        self.slope = self.slope.astype(dtype, copy=False)
        self.reduction, self.dtype = reduction, dtype
        return _reduce(loss, reduction)

    def backward(self, grad):
        g = self.slope * _expand_reduced_grad(grad, self.slope.shape, self.reduction, self.dtype)
        grad_input = grad_target = None
        if self.needs_input_grad[0]:
            grad_input = unbroadcast(g, self.input_shape)
        if self.needs_input_grad[1]:
            grad_target = unbroadcast(-g, self.target_shape)
        return grad_input, grad_target


def _pointwise(input, target, kind, reduction, param, op):
    _check_reduction(reduction, op)
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, dtype=input.dtype))
    if input.dtype.kind != "f" or target.dtype.kind not in "fiub":
        raise RuntimeError(f"{op}: expected floating point input, got input {input.dtype} and "
                           f"target {target.dtype}")
    _warn_size_mismatch(input, target, op)
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise RuntimeError(f"{op}: input of shape {tuple(input.shape)} and target of shape "
                           f"{tuple(target.shape)} cannot be broadcast together") from None
    if target.dtype != input.dtype and not target.requires_grad:
        target = Tensor._from_op(target._data.astype(input.dtype), None)
    return PointwiseLoss.apply(input, target, kind, reduction, param)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error: ℓ = (input − target)²; with ``weight``, the mean is Σ wℓ / Σ w."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    inner = "none" if weight is not None else reduction
    loss = _pointwise(input, target, "mse", inner, 0.0, "mse_loss")
    return _weighted(loss, input, weight, reduction, "mse_loss", by_weight_sum=True)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error: ℓ = |input − target|; with ``weight``, the mean is Σ wℓ / Σ w."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    inner = "none" if weight is not None else reduction
    loss = _pointwise(input, target, "l1", inner, 0.0, "l1_loss")
    return _weighted(loss, input, weight, reduction, "l1_loss", by_weight_sum=True)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """ℓ = 0.5 d² / β for |d| < β, else |d| − 0.5 β (d = input − target)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pointwise(input, target, "smooth_l1", reduction, float(beta), "smooth_l1_loss")


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """ℓ = 0.5 d² for |d| < δ, else δ(|d| − 0.5 δ) (d = input − target); with ``weight`` the
    mean is the plain mean of wℓ (PyTorch)."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    inner = "none" if weight is not None else reduction
    loss = _pointwise(input, target, "huber", inner, float(delta), "huber_loss")
    return _weighted(loss, input, weight, reduction, "huber_loss", by_weight_sum=False)


def _weighted(loss, input, weight, reduction, op, by_weight_sum):
    if weight is None:
        return loss
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{op}: Weights and input must have the same size (weight "
                         f"{tuple(weight.shape)}, input {tuple(input.shape)}).")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum() if by_weight_sum else loss.mean()


# ----- binary cross-entropy ---------------------------------------------------------------------
class BinaryCrossEntropy(Function):
    """ℓ = −w [t log x + (1 − t) log(1 − x)], each log clamped at −100 (PyTorch);
    dℓ/dx = w (x − t) / max(x (1 − x), 1e-12)."""

    def forward(self, input, target, weight, reduction):
        dtype = input.dtype
        if input.size:
            low, high = _minimum_reduce(input, None), _maximum_reduce(input, None)
            # NaN propagates through min/max, so one comparison pair also refuses NaN inputs
            if not (low >= 0 and high <= 1):
                raise RuntimeError("binary_cross_entropy: all elements of input should be "
                                   "between 0 and 1 (probabilities; for raw scores use "
                                   "binary_cross_entropy_with_logits / BCEWithLogitsLoss)")
            inside = low > 0 and high < 1  # no log(0): no warning to silence (errstate ~1 µs)
        else:
            inside = True
        if inside:
            log_x = np.maximum(np.log(input), -100)
            log_1mx = np.maximum(np.log1p(-input), -100)
        else:
            with np.errstate(divide="ignore"):
                log_x = np.maximum(np.log(input), -100)
                log_1mx = np.maximum(np.log1p(-input), -100)
        # the sum t log x + (1 − t) log(1 − x) in place, negated once at the end (after the
        # reduction, when there is one: negation is exact, so the result is the same)
        loss = np.multiply(target, log_x)
        rest = np.subtract(1, target)
        rest *= log_1mx
        loss += rest
        if weight is not None:
            loss *= weight
        self.input, self.target, self.weight = input, target, weight
        self.reduction, self.dtype = reduction, dtype
        self.log_x, self.log_1mx = log_x, log_1mx
        loss = _reduce(loss.astype(dtype, copy=False), reduction)
        return np.negative(loss, out=loss)

    def backward(self, grad):
        x, t = self.input, self.target
        g = _expand_reduced_grad(grad, x.shape, self.reduction, self.dtype)
        if self.weight is not None:
            g = g * self.weight
        grad_input = grad_target = None
        if self.needs_input_grad[0]:
            grad_input = (g * (x - t) / np.maximum((1 - x) * x, 1e-12)).astype(self.dtype,
                                                                                copy=False)
        if self.needs_input_grad[1]:
            grad_target = (g * (self.log_1mx - self.log_x)).astype(self.dtype, copy=False)
        return grad_input, grad_target


def _bce_shapes(input, target, op):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: Using a target size {tuple(target.shape)} that is different "
                         f"to the input size {tuple(input.shape)} is deprecated. Please ensure "
                         f"they have the same size.")


def _bce_weight(weight, input, op):
    if weight is None:
        return None
    weight = _array(weight).astype(input.dtype, copy=False)
    try:
        return np.broadcast_to(weight, input.shape)
    except ValueError:
        raise RuntimeError(f"{op}: weight of shape {tuple(weight.shape)} can't be broadcast to "
                           f"the input's shape {tuple(input.shape)}") from None


def _bce_target(target, input):
    if not isinstance(target, Tensor):
        return np.asarray(target, dtype=input.dtype)
    if target.dtype != input.dtype:
        return target._data.astype(input.dtype)
    return target


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """BCE on probabilities: ℓ = −w [t log x + (1 − t) log(1 − x)] (logs clamped at −100)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS:
        _check_reduction(reduction, "binary_cross_entropy")
    if target.shape != input.shape:
        _bce_shapes(input, target, "binary_cross_entropy")
    if weight is not None:
        weight = _bce_weight(weight, input, "binary_cross_entropy")
    return BinaryCrossEntropy.apply(input, _bce_target(target, input), weight, reduction)


class BinaryCrossEntropyWithLogits(Function):
    """ℓ = w [(1 − t) z + (1 + (p − 1) t) · softplus(−z)], softplus(−z) = max(−z, 0) +
    log1p(e^−|z|); dℓ/dz = w [(1 − t) − (1 + (p − 1) t) σ(−z)] (σ(z) − t when p = 1)."""

    def forward(self, input, target, weight, pos_weight, reduction):
        dtype = input.dtype
        if dtype.kind != "f":
            raise RuntimeError(f"binary_cross_entropy_with_logits: expected a floating point "
                               f"input, got {dtype}")
        e = np.exp(-np.abs(input))
        softplus_neg = np.maximum(-input, 0) + np.log1p(e)
        # σ(−z) without overflow: e^-|z| / (1 + e^-|z|) for z ≥ 0, 1 / (1 + e^-|z|) otherwise
        sig_neg = np.where(input >= 0, e, 1) / (1 + e)
        if pos_weight is not None:
            log_weight = 1 + (pos_weight - 1) * target
            loss = (1 - target) * input + log_weight * softplus_neg
        else:
            log_weight = None
            loss = (1 - target) * input + softplus_neg
        if weight is not None:
            loss = loss * weight
        self.input, self.target, self.weight, self.pos_weight = input, target, weight, pos_weight
        self.log_weight, self.sig_neg, self.softplus_neg = log_weight, sig_neg, softplus_neg
        self.reduction, self.dtype = reduction, dtype
        return _reduce(loss.astype(dtype, copy=False), reduction)

    def backward(self, grad):
        t = self.target
        g = _expand_reduced_grad(grad, self.input.shape, self.reduction, self.dtype)
        if self.weight is not None:
            g = g * self.weight
        grad_input = grad_target = None
        if self.needs_input_grad[0]:
            lw = 1 if self.log_weight is None else self.log_weight
            grad_input = (g * ((1 - t) - lw * self.sig_neg)).astype(self.dtype, copy=False)
        if self.needs_input_grad[1]:
            d_t = -self.input
            if self.pos_weight is not None:
                d_t = d_t + (self.pos_weight - 1) * self.softplus_neg
            grad_target = (g * d_t).astype(self.dtype, copy=False)
        return grad_input, grad_target


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """BCE on logits, stable for any z: ℓ = −w [p t log σ(z) + (1 − t) log(1 − σ(z))].

    ``pos_weight`` (broadcast along the last, class dimension) weighs the positive term.
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: Target size {tuple(target.shape)} must be the same as input "
                         f"size {tuple(input.shape)}")
    pos = None
    if pos_weight is not None:
        pos = _array(pos_weight).astype(input.dtype, copy=False)
        try:
            np.broadcast_shapes(pos.shape, input.shape)
        except ValueError:
            raise RuntimeError(f"{op}: pos_weight of shape {tuple(pos.shape)} can't be broadcast "
                               f"to the input's shape {tuple(input.shape)} (give one weight per "
                               f"class, the last dimension)") from None
    return BinaryCrossEntropyWithLogits.apply(input, _bce_target(target, input),
                                              _bce_weight(weight, input, op), pos, reduction)


# ----- KL divergence ----------------------------------------------------------------------------
class KLDiv(Function):
    """ℓ = t (log t − x) for log-probabilities x (0 where t = 0); with ``log_target``,
    ℓ = e^t (t − x)."""

    def forward(self, input, target, reduction, log_target):
        dtype = input.dtype
        if log_target:
            p = np.exp(target)
            loss = p * (target - input)
            self.d_input = -p
            self.d_target = p * (target - input + 1)
        else:
            positive = target > 0
            safe = np.where(positive, target, 1)
            log_t = np.log(safe)
            loss = np.where(positive, target * log_t, 0) - target * input
            self.d_input = -target
            self.d_target = np.where(positive, log_t + 1, 0) - input
        self.reduction, self.dtype = reduction, dtype
        self.batch = input.shape[0] if input.ndim else 1
        self.input_shape, self.target_shape = input.shape, target.shape
        loss = loss.astype(dtype, copy=False)
        if reduction == "batchmean":
            return np.asarray(loss.sum(dtype=dtype) / self.batch, dtype=dtype)
        return _reduce(loss, reduction)

    def backward(self, grad):
        shape = np.broadcast_shapes(self.input_shape, self.target_shape)
        if self.reduction == "batchmean":
            g = np.broadcast_to(np.asarray(grad.reshape(()) / self.batch, dtype=self.dtype), shape)
        else:  # d_input/d_target may have fewer dims than the loss: spread g over all of it
            g = np.broadcast_to(_expand_reduced_grad(grad, shape, self.reduction, self.dtype),
                                shape)
        grad_input = grad_target = None
        if self.needs_input_grad[0]:
            grad_input = unbroadcast((g * self.d_input).astype(self.dtype, copy=False),
                                     self.input_shape)
        if self.needs_input_grad[1]:
            grad_target = unbroadcast((g * self.d_target).astype(self.dtype, copy=False),
                                      self.target_shape)
        return grad_input, grad_target


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence KL(target ‖ q) with ``input`` = log q.

    ``reduction='batchmean'`` divides the sum by the batch size (the mathematical KL);
    ``'mean'`` divides by the number of elements, as PyTorch does (with its warning).
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "kl_div", ("none", "mean", "sum", "batchmean"))
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, dtype=input.dtype))
    return KLDiv.apply(input, target, reduction, bool(log_target))
