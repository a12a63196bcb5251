"""Connectionist temporal classification loss (Graves et al. 2006), forward and backward.

The target l (length S) is extended with blanks, l' = (b, l1, b, l2, ..., lS, b), and every
alignment of the T input frames that collapses to l is summed by the forward recursion
    α_t(s) = p_t(l'_s) · (α_{t−1}(s) + α_{t−1}(s−1) + [l'_s ≠ b, l'_s ≠ l'_{s−2}] α_{t−1}(s−2))
(in log space); the loss is −log(α_{T−1}(2S) + α_{T−1}(2S−1)). The backward recursion β runs
the same from the end, and the occupancy γ_t(c) = Σ_{s: l'_s = c} α_t(s) β_t(s) / (p_t(c) P)
gives the gradient. As PyTorch's, the gradient with respect to the log-probabilities x is
p_t(c) − γ_t(c) (with p = e^x): it equals the true one once it passes back through the
log_softmax that makes x, since γ sums to 1 over c.
"""

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.tensor import Tensor

__all__ = ["ctc_loss"]

_NEG_INF = -np.inf


def _logsumexp(*terms):
    stacked = np.stack(terms)
    top = stacked.max(axis=0)
    safe = np.where(np.isfinite(top), top, 0)
    with np.errstate(divide="ignore"):
        return safe + np.log(np.exp(stacked - safe).sum(axis=0))


def _ctc_one(lp, target, blank):
    """Negative log-likelihood of one target and its gradient p − γ, for lp (T, C)."""
    frames, classes = lp.shape
    extended = np.full(2 * len(target) + 1, blank, dtype=np.int64)
    extended[1::2] = target
    states = extended.size
    # the s − 2 skip is allowed onto a label that differs from the label two states back
    skip = np.zeros(states, dtype=bool)
    skip[2:] = (extended[2:] != blank) & (extended[2:] != extended[:-2])
    emit = lp[:, extended]  # (T, states): log p_t(l'_s)
    alpha = np.full((frames, states), _NEG_INF)
    alpha[0, 0] = emit[0, 0]
    if states > 1:
        alpha[0, 1] = emit[0, 1]
    for t in range(1, frames):
        prev = alpha[t - 1]
        one_back = np.concatenate(([_NEG_INF], prev[:-1]))
        two_back = np.where(skip, np.concatenate(([_NEG_INF, _NEG_INF], prev[:-2])), _NEG_INF)
        alpha[t] = emit[t] + _logsumexp(prev, one_back, two_back)
    last = alpha[frames - 1, -2:] if states > 1 else alpha[frames - 1, -1:]
    nll = -_logsumexp(*last)
    beta = np.full((frames, states), _NEG_INF)
    beta[frames - 1, -1] = emit[frames - 1, -1]
    if states > 1:
        beta[frames - 1, -2] = emit[frames - 1, -2]
    skip_forward = np.zeros(states, dtype=bool)  # from s onto s + 2
    skip_forward[:-2] = skip[2:]
    for t in range(frames - 2, -1, -1):
        nxt = beta[t + 1]
        one_ahead = np.concatenate((nxt[1:], [_NEG_INF]))
        two_ahead = np.where(skip_forward, np.concatenate((nxt[2:], [_NEG_INF, _NEG_INF])),
                             _NEG_INF)
        beta[t] = emit[t] + _logsumexp(nxt, one_ahead, two_ahead)
    # log Σ_{s: l'_s = c} α_t(s) β_t(s), gathered per class
    log_ab = alpha + beta
    top = np.max(log_ab, axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    summed = np.zeros((frames, classes))
    np.add.at(summed.T, extended, np.exp(log_ab - top).T)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_cab = np.log(summed) + top
        grad = np.exp(lp) - np.exp(log_cab + nll - lp)
    return nll, grad


class CTCLoss(Function):
    """Per-sample CTC negative log-likelihoods (N,) of log_probs (T, N, C)."""

    def forward(self, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
        frames, batch, classes = log_probs.shape
        losses = np.zeros(batch, dtype=log_probs.dtype)
        grad = np.zeros(log_probs.shape, dtype=np.float64)
        for n in range(batch):
            length = int(input_lengths[n])
            nll, g = _ctc_one(log_probs[:length, n].astype(np.float64), targets[n], blank)
            if zero_infinity and not np.isfinite(nll):
                nll, g = 0.0, 0.0
            losses[n] = nll
            grad[:length, n] = g
        self.grad, self.dtype = grad, log_probs.dtype
        return losses

    def backward(self, grad):
        return ((self.grad * grad[None, :, None]).astype(self.dtype, copy=False),
                None, None, None, None, None)


def _lengths(x, batch, name):
    values = x._data if isinstance(x, Tensor) else np.asarray(x)
    values = values.astype(np.int64).reshape(-1)
    if values.size != batch:
        raise RuntimeError(f"ctc_loss: expected {name} to have one entry per sample ({batch}), "
                           f"got {values.size}")
    return values


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """CTC loss of log_probs (T, N, C) (log_softmax outputs; (T, C) unbatched) against targets
    (N, S) padded or 1-D concatenated. 'mean' divides each loss by its target length, then
    averages over the batch; ``zero_infinity`` zeroes impossible alignments (loss inf)."""
    op = "ctc_loss"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction")
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
    if log_probs.ndim != 3:
        raise RuntimeError(f"{op}: expected log_probs of shape (T, N, C) or (T, C), got "
                           f"{tuple(log_probs.shape)}")
    frames, batch, classes = log_probs.shape
    if not 0 <= blank < classes:
        raise RuntimeError(f"{op}: blank must be in label range [0, {classes - 1}], got {blank}")
    target_array = targets._data if isinstance(targets, Tensor) else np.asarray(targets)
    if unbatched:
        target_array = target_array.reshape(1, -1) if target_array.ndim == 1 else target_array
    inputs = _lengths(input_lengths, batch, "input_lengths")
    lengths = _lengths(target_lengths, batch, "target_lengths")
    if (inputs > frames).any() or (inputs < 0).any():
        raise RuntimeError(f"{op}: Expected input_lengths to have value at most {frames}, but "
                           f"got value {int(inputs.max())} (log_probs shape "
                           f"{tuple(log_probs.shape)})")
    if target_array.ndim == 2:
        if lengths.size and lengths.max() > target_array.shape[1]:
            raise RuntimeError(f"{op}: Expected tensor to have size at least "
                               f"{int(lengths.max())} at dimension 1, but got size "
                               f"{target_array.shape[1]} for argument #2 'targets'")
        sequences = [target_array[n, :lengths[n]] for n in range(batch)]
    else:
        if lengths.sum() > target_array.size:
            raise RuntimeError(f"{op}: target_lengths sum to {int(lengths.sum())}, but the "
                               f"concatenated targets hold {target_array.size}")
        ends = np.cumsum(lengths)
        sequences = [target_array[end - size:end] for end, size in zip(ends, lengths)]
    losses = CTCLoss.apply(log_probs, sequences, inputs, lengths, blank, bool(zero_infinity))
    if reduction == "none":
        return losses.reshape(()) if unbatched else losses
    if reduction == "sum":
        return losses.sum()
    divisor = Tensor._from_op(np.maximum(lengths, 1).astype(log_probs.dtype), None)
    return (losses / divisor).mean()
