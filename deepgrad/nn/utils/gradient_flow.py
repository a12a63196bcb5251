"""How much gradient reaches each earlier time step: the vanishing-gradient measurement.

For a loss L on the last output of a recurrent network, backpropagation through time gives

    ∂L/∂h_t = ∂L/∂h_T · Π_{τ=t+1..T} ∂h_τ/∂h_{τ−1}

For a vanilla RNN, ∂h_τ/∂h_{τ−1} = diag(1 − h_τ²) W_hh: when its norm stays below 1 the
product shrinks geometrically with T − t, so early inputs barely affect the gradient (the
vanishing gradient). The LSTM's cell path c_τ = f_τ ⊙ c_{τ−1} + i_τ ⊙ g_τ multiplies by the
forget gate instead (≈ 1 when the gate is open), so far more gradient survives.
``gradient_norms_through_time`` measures ‖∂L/∂x_t‖ or ‖∂L/∂h_t‖ for every t.
"""

import numpy as np

from deepgrad.tensor import Tensor

__all__ = ["gradient_norms_through_time"]


def _default_loss(last):
    return last.sum()


def gradient_norms_through_time(rnn, input, hx=None, wrt="hidden", loss_fn=None):
    """Norms ‖∂L/∂(·)_t‖ for t = 1..T, where L = ``loss_fn(y_T)`` depends on the last step only.

    Args:
        rnn: an ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (any number of layers; unidirectional for
            ``wrt='hidden'``) or an ``RNNCell`` / ``LSTMCell`` / ``GRUCell``.
        input: (T, N, H_in) — (N, T, H_in) for a batch_first layer — a Tensor or array.
        hx: initial state (as the module takes it), zeros by default.
        wrt: ``'hidden'`` — the total derivative ∂L/∂h_t of the hidden state after step t
            (all layers' h of that step; for the LSTM h, not c), through every later step;
            ``'input'`` — ∂L/∂x_t.
        loss_fn: maps the last output y_T (N, H_out) to a scalar; default ``y_T.sum()``.

    Returns a NumPy array (T,): the Frobenius norm over the batch and features of each step's
    gradient. The module's parameter gradients are accumulated as by any ``backward``.
    """
    from deepgrad.nn.modules.rnn import LSTM, LSTMCell, RNNBase, RNNCellBase

    if wrt not in ("hidden", "input"):
        raise ValueError(f"gradient_norms_through_time: wrt must be 'hidden' or 'input', got "
                         f"{wrt!r}")
    if not isinstance(rnn, (RNNBase, RNNCellBase)):
        raise TypeError(f"gradient_norms_through_time: expected a recurrent layer or cell, got "
                        f"{type(rnn).__name__}")
    loss_fn = loss_fn or _default_loss
    data = input._data if isinstance(input, Tensor) else np.asarray(input)
    if data.ndim != 3:
        raise ValueError(f"gradient_norms_through_time: expected a batched sequence (T, N, "
                         f"H_in), got shape {data.shape}")
    batch_first = isinstance(rnn, RNNBase) and rnn.batch_first
    if batch_first:
        data = data.transpose(1, 0, 2)
    x = Tensor._from_op(np.ascontiguousarray(data), None).requires_grad_()
    T = x.shape[0]
    cell = isinstance(rnn, RNNCellBase)
    is_lstm = isinstance(rnn, (LSTM, LSTMCell))
    if not cell and rnn.bidirectional and wrt == "hidden":
        raise ValueError("gradient_norms_through_time: wrt='hidden' needs a unidirectional "
                         "RNN (a bidirectional layer's backward states run the other way); "
                         "use wrt='input'")
    if wrt == "input" and not cell:
        seq = x.transpose(0, 1) if batch_first else x
        output, _ = rnn(seq, hx)
        last = output[:, -1] if batch_first else output[-1]
        loss_fn(last).backward()
        return np.sqrt((x.grad.numpy() ** 2).sum(axis=(1, 2)))
    states = []
    state = hx
    for t in range(T):
        x_t = x[t] if cell else (x[t:t + 1].transpose(0, 1) if batch_first else x[t:t + 1])
        if cell:
            state = rnn(x_t, state)
            h = state[0] if is_lstm else state
        else:
            _, state = rnn(x_t, state)
            h = state[0] if is_lstm else state
        h.retain_grad()
        states.append(h)
    last = states[-1] if cell else states[-1][-1]
    loss_fn(last).backward()
    if wrt == "input":
        return np.sqrt((x.grad.numpy() ** 2).sum(axis=(1, 2)))
    norms = [0.0 if h.grad is None else float(np.sqrt((h.grad.numpy() ** 2).sum()))
             for h in states]
    return np.array(norms)
