"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their single-step ``*Cell`` versions.

Each layer (one per layer and direction) is one fused op in ``deepgrad.ops.recurrent``; these
modules own the parameters (PyTorch's names: ``weight_ih_l0``, ``weight_hh_l0``,
``bias_ih_l0``, ``bias_hh_l0``, ``weight_hr_l0``, ``..._reverse``), check shapes and handle
``batch_first``, unbatched inputs, initial states and ``PackedSequence`` inputs.
"""

import math
import warnings

import numpy as np

from deepgrad.backend import dtypes
from deepgrad.backend.dtypes import to_dtype
from deepgrad.nn import init
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter
from deepgrad.ops.recurrent import gru_layer, lstm_layer, recurrent_stack, rnn_layer
from deepgrad.tensor import Tensor, _check_device

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "RNN": 1, "LSTM": 4, "GRU": 3}


def _zeros(shape, like):
    return Tensor._from_op(np.zeros(shape, dtype=like.dtype), None)


def _param(shape, dtype):
    return Parameter(np.empty(shape, dtype=to_dtype(dtype) if dtype is not None
                                     else dtypes.default_float))


class RNNBase(Module):
    """Shared constructor, parameters and input checks of RNN, LSTM and GRU."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        _check_device(device)
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1 or isinstance(
                dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          f"non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"hidden_size must be a positive integer, got {hidden_size}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"num_layers must be a positive integer, got {num_layers}")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError(f"proj_size argument is only supported for LSTM, not {name}")
        self.mode, self._name = mode, name
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            for d in range(dirs):
                layer_input = input_size if layer == 0 else real_hidden * dirs
                suffix = f"_l{layer}" + ("_reverse" if d == 1 else "")
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for pname, shape in shapes:
                    setattr(self, pname + suffix, _param(shape, dtype))
                    self._flat_weights_names.append(pname + suffix)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's init: every weight and bias ~ U(−1/√hidden_size, 1/√hidden_size)."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """Kept for PyTorch compatibility (cuDNN weight packing); nothing to do on NumPy."""

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional
                                                                    else 1))
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def _weights(self):
        weights = []
        for group in self.all_weights:
            if self.bias:
                weights.append(tuple(group))
            else:
                weights.append((group[0], group[1], None, None) + tuple(group[2:]))
        return weights

    # ----- checks -----------------------------------------------------------------------
    def _check_input(self, input, batch_sizes):
        expected_dim = 2 if batch_sizes is not None else 3
        if batch_sizes is None and input.ndim not in (2, 3):
            raise ValueError(f"{self._describe()}: Expected input to be 2D or 3D, got "
                             f"{input.ndim}D input of shape {tuple(input.shape)} instead")
        if batch_sizes is not None and input.ndim != expected_dim:
            raise RuntimeError(f"{self._describe()}: packed input data must have 2 dimensions, "
                               f"got shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{self._describe()}: input.size(-1) must be equal to input_size. "
                               f"Expected {self.input_size}, got {input.shape[-1]} (input shape "
                               f"{tuple(input.shape)})")
        if input.dtype.kind != "f":
            raise RuntimeError(f"{self._describe()}: expected a floating point input, got "
                               f"{input.dtype}")

    def _check_hidden(self, hx, expected, what="hidden"):
        if tuple(hx.shape) != tuple(expected):
            raise RuntimeError(f"{self._describe()}: Expected {what} size {tuple(expected)}, "
                               f"got {list(hx.shape)}")

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ----- forward ----------------------------------------------------------------------
    def forward(self, input, hx=None):
        from deepgrad.nn.utils.rnn import PackedSequence

        is_lstm = self.mode == "LSTM"
        dirs = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        packed = isinstance(input, PackedSequence)
        batch_sizes = None
        if packed:
            data, batch_sizes_t, sorted_idx, unsorted_idx = input
            self._check_input(data, batch_sizes_t)
            batch_sizes = np.asarray(batch_sizes_t._data, dtype=np.int64)
            B = int(batch_sizes[0])
            from deepgrad.ops.recurrent import packed_to_padded

            x = packed_to_padded(data, batch_sizes)
            unbatched = False
        else:
            self._check_input(input, None)
            unbatched = input.ndim == 2
            x = input
            if unbatched:
                x = x.unsqueeze(1)
            B = x.shape[0] if self.batch_first and not unbatched else x.shape[1]
            sorted_idx = unsorted_idx = None
        h_shape = (self.num_layers * dirs, B, real_hidden)
        c_shape = (self.num_layers * dirs, B, self.hidden_size)
        if hx is None:
            h0 = _zeros(h_shape, x)
            hx = (h0, _zeros(c_shape, x)) if is_lstm else h0
        else:
            if is_lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise RuntimeError(f"{self._describe()}: LSTM expects hx to be a tuple "
                                       f"(h_0, c_0)")
                h0, c0 = hx
            else:
                if not isinstance(hx, Tensor):
                    raise RuntimeError(f"{self._describe()}: hx must be a Tensor, got "
                                       f"{type(hx).__name__}")
                h0, c0 = hx, None
            if unbatched:
                for t in (h0, c0) if is_lstm else (h0,):
                    if t.ndim != 2:
                        raise RuntimeError(
                            f"{self._describe()}: For unbatched 2-D input, hx should also be "
                            f"2-D but got {t.ndim}-D tensor of shape {tuple(t.shape)}")
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if is_lstm else None
            else:
                for t in (h0, c0) if is_lstm else (h0,):
                    if t.ndim != 3:
                        raise RuntimeError(
                            f"{self._describe()}: For batched 3-D input, hx should also be "
                            f"3-D but got {t.ndim}-D tensor of shape {tuple(t.shape)}")
            if sorted_idx is not None:
                h0 = h0.index_select(1, sorted_idx)
                c0 = c0.index_select(1, sorted_idx) if is_lstm else None
            self._check_hidden(h0, h_shape, "hidden")
            if is_lstm:
                self._check_hidden(c0, c_shape, "hidden[1]")
            hx = (h0, c0) if is_lstm else h0
        nonlinearity = "relu" if self.mode == "RNN_RELU" else "tanh"
        mode = "RNN" if self.mode.startswith("RNN") else self.mode
        batch_first = bool(self.batch_first) and not packed and not unbatched
        output, hidden = recurrent_stack(mode, x, hx, self._weights(), self.num_layers,
                                         self.bidirectional, self.dropout, self.training,
                                         batch_sizes, nonlinearity, batch_first)
        if packed:
            from deepgrad.nn.utils.rnn import PackedSequence
            from deepgrad.ops.recurrent import padded_to_packed

            output = PackedSequence(padded_to_packed(output, batch_sizes), input.batch_sizes,
                                    sorted_idx, unsorted_idx)
            if unsorted_idx is not None:
                if is_lstm:
                    hidden = (hidden[0].index_select(1, unsorted_idx),
                              hidden[1].index_select(1, unsorted_idx))
                else:
                    hidden = hidden.index_select(1, unsorted_idx)
            return output, hidden
        if unbatched:
            output = output.squeeze(1)
            hidden = (hidden[0].squeeze(1), hidden[1].squeeze(1)) if is_lstm else \
                hidden.squeeze(1)
        return output, hidden


class RNN(RNNBase):
    r"""Multi-layer Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) (or relu).

    Args: input_size, hidden_size, num_layers=1, nonlinearity='tanh' ('relu'), bias=True,
    batch_first=False, dropout=0 (between layers, training only), bidirectional=False.

    Inputs: ``input`` (L, N, H_in) — (N, L, H_in) with batch_first, (L, H_in) unbatched, or a
    ``PackedSequence`` — and ``h_0`` (D·num_layers, N, H_out), zeros by default.
    Outputs: ``output`` (L, N, D·H_out) and ``h_n`` (D·num_layers, N, H_out).
    Parameters: ``weight_ih_l{k}`` (H, H_in or D·H), ``weight_hh_l{k}`` (H, H), ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (H,), with ``_reverse`` copies when bidirectional; all ~ U(−1/√H, 1/√H).
    """

    def __init__(self, *args, **kwargs):
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             f"'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    r"""Multi-layer long short-term memory (LSTM) RNN.

    For each step, with PyTorch's gate order (i, f, g, o) in the rows of the weights::

        i_t = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)
        f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)
        o_t = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho)
        c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
        h_t = o_t ⊙ tanh(c_t)          (h_t = W_hr (o_t ⊙ tanh(c_t)) when proj_size > 0)

    Args: input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0
    (between layers, training only), bidirectional=False, proj_size=0.

    Inputs: ``input`` (L, N, H_in) / (N, L, H_in) / (L, H_in) / ``PackedSequence`` and
    ``(h_0, c_0)``: (D·num_layers, N, H_out) and (D·num_layers, N, H_cell), zeros by default.
    Outputs: ``output`` (L, N, D·H_out), ``(h_n, c_n)``.
    Parameters: ``weight_ih_l{k}`` (4H, H_in), ``weight_hh_l{k}`` (4H, H_out), ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (4H,), ``weight_hr_l{k}`` (P, H) with proj_size; ``_reverse`` copies.
    All ~ U(−1/√H, 1/√H). The whole layer runs as one fused op (forward and backward through
    time), see ``deepgrad.ops.recurrent``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    r"""Multi-layer gated recurrent unit (GRU) RNN, PyTorch's variant::

        r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)
        z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))
        h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}

    Arguments, inputs and outputs as ``RNN``; weights hold the gates in the order (r, z, n):
    ``weight_ih_l{k}`` (3H, H_in), ``weight_hh_l{k}`` (3H, H), biases (3H,).
    """

    def __init__(self, *args, **kwargs):
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """Shared parameters (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``) of the cells."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        _check_device(device)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = _param((num_chunks * hidden_size, input_size), dtype)
        self.weight_hh = _param((num_chunks * hidden_size, hidden_size), dtype)
        if bias:
            self.bias_ih = _param((num_chunks * hidden_size,), dtype)
            self.bias_hh = _param((num_chunks * hidden_size,), dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, hx, n_states):
        """(1, B, I) input and (B, H) states; ``batched`` says whether to keep the batch dim."""
        if input.ndim not in (1, 2):
            raise ValueError(f"{self._describe()}: Expected input to be 1D or 2D, got "
                             f"{input.ndim}D instead (shape {tuple(input.shape)})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{self._describe()}: input has inconsistent input_size: got "
                               f"{input.shape[-1]} expected {self.input_size} (input shape "
                               f"{tuple(input.shape)})")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        B = x.shape[0]
        if hx is None:
            states = [_zeros((B, self.hidden_size), x) for _ in range(n_states)]
        else:
            states = list(hx) if n_states == 2 else [hx]
            if n_states == 2 and len(states) != 2:
                raise RuntimeError(f"{self._describe()}: expected hx to be a tuple (h_0, c_0)")
            for k, s in enumerate(states):
                if s.ndim != input.ndim:
                    raise RuntimeError(
                        f"{self._describe()}: {'batched' if batched else 'unbatched'} "
                        f"{input.ndim}-D input expects a {input.ndim}-D hidden state, got shape "
                        f"{tuple(s.shape)}")
                s = s if batched else s.unsqueeze(0)
                if tuple(s.shape) != (B, self.hidden_size):
                    raise RuntimeError(
                        f"{self._describe()}: Expected hidden{'[%d]' % k if n_states == 2 else ''}"
                        f" size {(B, self.hidden_size)}, got {list(s.shape)}")
                states[k] = s
        return x.unsqueeze(0), states, batched


class RNNCell(RNNCellBase):
    """One Elman RNN step: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx, 1)
        _, h_n = rnn_layer(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                           nonlinearity=self.nonlinearity)
        return h_n if batched else h_n.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gate equations as ``LSTM``): returns (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, (h, c), batched = self._prepare(input, hx, 2)
        _, h_n, c_n = lstm_layer(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih,
                                 self.bias_hh)
        return (h_n, c_n) if batched else (h_n.squeeze(0), c_n.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (equations as ``GRU``): returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx, 1)
        _, h_n = gru_layer(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h_n if batched else h_n.squeeze(0)
