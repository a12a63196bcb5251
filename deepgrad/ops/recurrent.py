"""Recurrent layers as fused ops: one graph node runs a whole layer over all time steps.

Each of ``RNNLayer``, ``LSTMLayer`` and ``GRULayer`` is ONE ``Function`` for one layer in one
direction. Forward projects the inputs of all time steps with one matrix product
(X W_ihᵀ + b), then walks the steps doing one GEMM (h W_hhᵀ) and the gate arithmetic in place
into preallocated buffers. Backward walks back through time just as leanly (one GEMM per step
for dL/dh) and forms dW_ih, dW_hh and the biases at the end with one GEMM each over all
steps, from the stored hidden states. A graph of small ops per step would cost ~20 nodes per
step instead of one per layer.

Gate equations (PyTorch's, with PyTorch's weight layout and gate order):

    RNN:   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)            (or relu)
    LSTM:  i = σ(W_ii x + b_ii + W_hi h + b_hi)     input gate
           f = σ(W_if x + b_if + W_hf h + b_hf)     forget gate
           g = tanh(W_ig x + b_ig + W_hg h + b_hg)  cell candidate
           o = σ(W_io x + b_io + W_ho h + b_ho)     output gate
           c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')   (h' = W_hr (o ⊙ tanh(c')) with proj_size)
    GRU:   r = σ(W_ir x + b_ir + W_hr h + b_hr)
           z = σ(W_iz x + b_iz + W_hz h + b_hz)
           n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
           h' = (1 − z) ⊙ n + z ⊙ h

Variable lengths (packed sequences) use PyTorch's packed layout idea: the batch is sorted by
decreasing length, so at step t only the first ``batch_sizes[t]`` rows are active; the others
carry their state unchanged and output zeros. Results equal PyTorch's packed results.

Implementation notes. The LSTM uses σ(a) = 1/(1 + e^(−a)) and tanh(a) = 2σ(2a) − 1 with its
rows pre-scaled by −1 (σ gates) and −2 (the g gate), so that one ``exp``, one add and one
reciprocal over the contiguous (4H, B) block of a step give all four gates (NumPy's ``exp``
costs about half its ``tanh``); the GRU does the same for its r and z rows (n needs r first,
so it has its own ``tanh``). The LSTM keeps PyTorch's gate order (i, f, g, o): the three
gates multiplied by dL/dc are contiguous in backward, and σ' is formed over the whole block
(its g part then overwritten), so no weight or gradient needs reordering. The LSTM works
feature-major (see ``LSTMLayer``); the RNN and GRU batch-major, each step forming its
backward factors (everything that does not depend on dL/dh) while its gates are in cache, so
that backward does one multiply or two per step besides its GEMM.
"""

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import GradMode
from deepgrad.ops._buffers import POOL as _POOL
from deepgrad.ops._util import column_sums

__all__ = ["rnn_layer", "lstm_layer", "gru_layer", "recurrent_stack"]



def _permute_blocks(w, order):
    size = w.shape[0] // len(order)
    return np.concatenate([w[j * size:(j + 1) * size] for j in order])


def _lstm_scaled(w, H):
    """A copy of ``w`` (gate blocks i, f, g, o) with the σ rows negated and the g rows times −2,
    so that 1/(1 + exp(row · x)) is σ of the σ gates and σ(2·) of g (exact scalings)."""
    w = np.array(w, copy=True)
    w[:2 * H] *= -1
    w[2 * H:3 * H] *= -2
    w[3 * H:] *= -1
    return w


def _step_plan(T, B, batch_sizes):
    """Active rows per processing step (all B when the sequences are not packed)."""
    if batch_sizes is None:
        return [B] * T, False
    return [int(b) for b in batch_sizes], True


def _zero_inactive(y, sizes, packed):
    if packed:
        for k, bs in enumerate(sizes):
            if bs < y.shape[1]:
                y[k, bs:] = 0


def _pack(parts):
    """Several outputs in one flat array (a Function has one output; ``_Part`` splits it)."""
    flat = np.empty(sum(p.size for p in parts), dtype=parts[0].dtype)
    start = 0
    for p in parts:
        flat[start:start + p.size].reshape(p.shape)[...] = p  # one copy, also for strided p
        start += p.size
    return flat


def _unpack(flat, shapes):
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(flat[start:start + size].reshape(shape))
        start += size
    return out


class _Part(Function):
    """One output of a multi-output fused op: a slice of its flat result."""

    def forward(self, flat, start, shape):
        self.size, self.start, self.dtype = flat.size, start, flat.dtype
        self.stop = start + int(np.prod(shape))
        return flat[start:self.stop].reshape(shape)

    def backward(self, grad):
        full = np.zeros(self.size, dtype=self.dtype)
        full[self.start:self.stop] = grad.ravel()
        return full, None, None


def _split(result, shapes):
    out, start = [], 0
    for shape in shapes:
        out.append(_Part.apply(result, start, tuple(shape)))
        start += int(np.prod(shape))
    return out


class _LayerBase(Function):
    """Shared bookkeeping: time reversal, packing, flattening the input of all steps."""

    _pooled = ()

    def release(self):
        # forward's buffers go back to the pool once backward has used them
        _POOL.give(*(getattr(self, name, None) for name in self._pooled))
        super().release()

    def _prepare(self, x, reverse, batch_sizes, batch_first):
        # batch_first = (input is (B, T, I), output is written (B, T, H)): the layer reads and
        # writes batch-first data itself, in the copies it makes anyway (no transposes around it)
        self.batch_first = batch_first
        if batch_first[0]:
            x = x.swapaxes(0, 1)
        T, B, _ = x.shape
        if reverse:
            x = x[::-1]
            if batch_sizes is not None:
                batch_sizes = batch_sizes[::-1]
        self.reverse = reverse
        self.sizes, self.packed = _step_plan(T, B, batch_sizes)
        x2 = np.ascontiguousarray(x).reshape(T * B, x.shape[2])
        self.x2, self.shape = x2, x.shape
        return T, B, x2

    def _outputs(self, S, extra=()):
        y = S[1:].copy() if self.packed else S[1:]
        _zero_inactive(y, self.sizes, self.packed)
        if self.reverse:
            y = y[::-1]
        if self.batch_first[1]:
            y = y.swapaxes(0, 1)
        return _pack([y, S[-1], *extra])

    def _output_grads(self, grad, T, B, H, states):
        """dL/dy as time-major (T, B, H) in processing order, then dL/d(final states)."""
        y_shape = (B, T, H) if self.batch_first[1] else (T, B, H)
        dy, *rest = _unpack(grad, [y_shape, *states])
        if self.batch_first[1]:
            dy = dy.swapaxes(0, 1)
        return (dy[::-1] if self.reverse else dy), *rest

    def _input_grads(self, dA, w_ih):
        """dX = dA W_ih, dW_ih = dAᵀ X, db = Σ dA (all steps at once)."""
        T, B, _ = self.shape
        dA2 = dA.reshape(T * B, -1)
        dx = None
        if self.needs_input_grad[0]:
            dx = (dA2 @ w_ih).reshape(self.shape)
            if self.reverse:
                dx = dx[::-1]
            if self.batch_first[0]:
                dx = dx.swapaxes(0, 1)
        return dx, dA2.T @ self.x2, column_sums(dA2)


class RNNLayer(_LayerBase):
    """Elman RNN, one layer and direction: h' = act(W_ih x + b_ih + W_hh h + b_hh).

    Per step one GEMM, one add and the activation; backward per step dA = dh ⊙ act'
    (act' = 1 − h'² for tanh, [h' > 0] for relu, formed for all steps at once in place) and
    one GEMM dh_prev = dA W_hh.
    """

    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, relu=False, reverse=False,
                batch_sizes=None, record=True, batch_first=(False, False)):
        T, B, x2 = self._prepare(x, reverse, batch_sizes, batch_first)
        H = w_hh.shape[0]
        A = _POOL.take((T * B, H), x.dtype)
        np.matmul(x2, w_ih.T, out=A)
        if b_ih is not None:
            A += b_ih + b_hh
        S = _POOL.take((T + 1, B, H), x.dtype)
        A = A.reshape(T, B, H)
        S[0] = h0
        w_hhT = w_hh.T
        for k, bs in enumerate(self.sizes):
            h = S[k + 1, :bs]
            np.matmul(S[k, :bs], w_hhT, out=h)
            h += A[k, :bs]
            if relu:
                np.maximum(h, 0, out=h)
            else:
                np.tanh(h, out=h)
            if bs < B:
                S[k + 1, bs:] = S[k, bs:]
        out = self._outputs(S)
        _POOL.give(A)  # backward needs only the hidden states
        if not record:
            _POOL.give(S)
            return out
        self.S, self.relu, self.w_ih, self.w_hh = S, relu, w_ih, w_hh
        self._pooled = ("S",)
        self.has_bias = b_ih is not None
        return out

    def backward(self, grad):
        S, sizes = self.S, self.sizes
        T, B, H = S.shape[0] - 1, S.shape[1], S.shape[2]
        dy, dh_n = self._output_grads(grad, T, B, H, [(B, H)])
        hs = S[1:]
        dA = _POOL.take(hs.shape, hs.dtype)  # act' first, then dL/d(pre-activation) over it
        if self.relu:
            np.sign(hs, out=dA)  # h' >= 0: sign is [h' > 0]
        else:
            np.multiply(hs, hs, out=dA)
            np.subtract(1, dA, out=dA)
        if self.packed:
            for k, bs in enumerate(sizes):
                dA[k, bs:] = 0  # rows past a sequence's end take no part
        dh = dh_n.copy()
        for k in range(T - 1, -1, -1):
            bs = sizes[k]
            d = dh[:bs]
            d += dy[k, :bs]
            da = dA[k, :bs]
            da *= d
            np.matmul(da, self.w_hh, out=d)
        dx, dw_ih, db = self._input_grads(dA, self.w_ih)
        dw_hh = dA.reshape(T * B, H).T @ S[:-1].reshape(T * B, H)
        _POOL.give(dA)
        if not self.has_bias:
            return dx, dh, dw_ih, dw_hh, None, None
        return dx, dh, dw_ih, dw_hh, db, db.copy()


class LSTMLayer(_LayerBase):
    """LSTM, one layer and direction (gate equations in the module docstring).

    Work arrays are feature-major: step k's pre-activations are one contiguous (4H, B) block
    A[k] (gate rows, batch columns), its hidden state S[k] is (P, B) and its cell state C[k]
    (H, B). Then the recurrent product is the single GEMM W_hh (4H, P) · S[k] (P, B), with
    PyTorch's weight as it is, and every gate is a contiguous (H, B) slab of A[k]. OpenBLAS
    splits this tall GEMM across its threads (measured 80 → 49 µs with 2 threads) but not the
    wide (B, P) · (P, 4H) one of the batch-major layout (90 → 85 µs), and NumPy's ufuncs run
    ~5x slower on row-strided slices than on contiguous blocks.

    Forward keeps the gates, the cell states, their tanh and i ⊙ g. Backward first forms, for
    all steps at once (a dozen bulk array operations instead of a dozen small ones per step), the
    factors of the gate gradients that do not depend on dL/dh:
    M = (σ'(i) g, σ'(f) c_prev, (1 − g²) i, σ'(o) tanh c) and K = o (1 − tanh² c), so that the
    walk back through time only multiplies them by dL/dh and dL/dc and does one GEMM per step.
    """

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr=None, reverse=False,
                batch_sizes=None, record=True, batch_first=(False, False)):
        self.batch_first, self.reverse = batch_first, reverse
        xt = x.swapaxes(0, 1) if batch_first[0] else x  # (T, B, I) views, no copy
        if reverse:
            xt = xt[::-1]
            if batch_sizes is not None:
                batch_sizes = batch_sizes[::-1]
        T, B, _ = xt.shape
        self.sizes, self.packed = _step_plan(T, B, batch_sizes)
        self.x, self.shape = xt, xt.shape
        H, P = w_ih.shape[0] // 4, w_hh.shape[1]
        dt = x.dtype
        A = _POOL.take((T, 4 * H, B), dt)  # pre-activations, then the gates (i, f, g, o)
        if xt.strides[2] != dt.itemsize:  # BLAS needs unit stride along the features
            xt = np.ascontiguousarray(xt)
        np.matmul(_lstm_scaled(w_ih, H), xt.transpose(0, 2, 1), out=A)  # one GEMM per step
        if b_ih is not None:
            A += _lstm_scaled(b_ih + b_hh, H)[:, None]
        S = _POOL.take((T + 1, P, B), dt)
        C = _POOL.take((T + 1, H, B), dt)
        TC = _POOL.take((T, H, B), dt, zero=self.packed)  # past an end: finite for _factors
        IG = _POOL.take((T, H, B), dt, zero=self.packed)
        R = _POOL.take((T, H, B), dt, zero=self.packed) if w_hr is not None else None
        S[0] = h0.T
        C[0] = c0.T
        with np.errstate(over="ignore"):  # exp(−a) = inf for a ≪ 0 gives σ(a) = 0
            _lstm_steps(A, S, C, TC, IG, R, _lstm_scaled(w_hh, H), w_hr, self.sizes)
        out = self._outputs(S.transpose(0, 2, 1), (C[-1].T,))
        if not record:  # no node will hold this call: its work arrays go back now
            _POOL.give(A, S, C, TC, IG, R)
            return out
        self.A, self.S, self.C, self.TC, self.IG, self.R = A, S, C, TC, IG, R
        self._pooled = ("A", "S", "C", "TC", "IG", "R")
        self.w_ih, self.w_hh, self.w_hr = w_ih, w_hh, w_hr
        self.has_bias = b_ih is not None
        return out

    def _factors(self):
        """(M, K) of the class docstring for all steps, M as (T, 4, H, B) and K as (T, H, B),
        from the stored gates, i ⊙ g (IG) and h = o ⊙ tanh c, two operations each:
        σ'(i) g = ig − i·ig, σ'(o) tanh c = h − o·h, (1 − g²) i = i − ig·g, K = o − h·tanh c."""
        A, C, TC, IG = self.A, self.C, self.TC, self.IG
        T, H4, B = A.shape
        H = H4 // 4
        G = A.reshape(T, 4, H, B)
        i, f, g, o = G[:, 0], G[:, 1], G[:, 2], G[:, 3]
        h = self.S[1:] if self.R is None else self.R  # o ⊙ tanh c
        M = _POOL.take(G.shape, A.dtype)
        m0, m1, m2, m3 = M[:, 0], M[:, 1], M[:, 2], M[:, 3]
        np.multiply(i, IG, out=m0)
        np.subtract(IG, m0, out=m0)
        np.subtract(1, f, out=m1)
        m1 *= f
        m1 *= C[:-1]  # σ'(f) c_prev
        np.multiply(IG, g, out=m2)
        np.subtract(i, m2, out=m2)
        np.multiply(o, h, out=m3)
        np.subtract(h, m3, out=m3)
        K = _POOL.take(TC.shape, A.dtype)
        np.multiply(h, TC, out=K)
        np.subtract(o, K, out=K)
        return M, K

    def backward(self, grad):
        A, S, sizes = self.A, self.S, self.sizes
        T, H4, B = A.shape
        H, P = H4 // 4, S.shape[1]
        dy, dh_n, dc_n = self._output_grads(grad, T, B, P, [(B, P), (B, H)])
        M, K = self._factors()
        f = A.reshape(T, 4, H, B)[:, 1]
        dyT = _POOL.take((T, P, B), A.dtype)
        np.copyto(dyT, dy.transpose(0, 2, 1))
        dA = _POOL.take(A.shape, A.dtype, zero=self.packed)  # columns past an end: no part
        dh, dc = np.array(dh_n.T, order="C"), np.array(dc_n.T, order="C")
        tmp = np.empty((H, B), dtype=A.dtype)
        proj = self.R is not None
        if proj:
            DH = np.zeros((T, P, B), dtype=A.dtype)
            dr = np.empty((H, B), dtype=A.dtype)
        w_hhT = self.w_hh.T
        for k in range(T - 1, -1, -1):
            bs = sizes[k]
            d = dh[:, :bs]
            d += dyT[k, :, :bs]
            if proj:
                DH[k, :, :bs] = d
                d = np.matmul(self.w_hr.T, d, out=dr[:, :bs])
            dck, tk = dc[:, :bs], tmp[:, :bs]
            np.multiply(d, K[k, :, :bs], out=tk)
            dck += tk  # dc += dh ⊙ o ⊙ (1 − tanh²c)
            gates = dA[k].reshape(4, H, B)[:, :, :bs]
            np.multiply(dck, M[k, :3, :, :bs], out=gates[:3])  # di, df, dg_pre
            np.multiply(d, M[k, 3, :, :bs], out=gates[3])  # do_pre = dh tanh c σ'(o)
            dck *= f[k, :, :bs]
            np.matmul(w_hhT, dA[k, :, :bs], out=dh[:, :bs])  # dh_prev = W_hhᵀ dA
        _POOL.give(M, K, dyT)
        # every weight gradient is one GEMM over all steps: dA as (4H, T·B), steps in order
        dA2 = _POOL.take((H4, T, B), A.dtype)
        np.copyto(dA2, dA.transpose(1, 0, 2))
        _POOL.give(dA)
        dA2 = dA2.reshape(H4, T * B)
        dx = None
        if self.needs_input_grad[0]:
            dx = np.matmul(dA2.T, self.w_ih).reshape(self.shape)
            if self.reverse:
                dx = dx[::-1]
            if self.batch_first[0]:
                dx = dx.swapaxes(0, 1)
        # [x | h_prev] side by side: dW_ih and dW_hh are one GEMM dA [x | h_prev]
        I = self.shape[2]
        xh = _POOL.take((T, B, I + P), A.dtype)
        np.copyto(xh[..., :I], self.x)
        np.copyto(xh[..., I:], S[:-1].transpose(0, 2, 1))
        dw = np.matmul(dA2, xh.reshape(T * B, I + P))
        _POOL.give(xh)
        dw_ih, dw_hh = np.ascontiguousarray(dw[:, :I]), np.ascontiguousarray(dw[:, I:])
        dw_hr = None
        if proj and self.needs_input_grad[7]:
            dw_hr = np.tensordot(DH, self.R, axes=([0, 2], [0, 2]))
        db = np.matmul(dA2, _ones(T * B, A.dtype)) if self.has_bias else None
        _POOL.give(dA2)
        dh0, dc0 = np.ascontiguousarray(dh.T), np.ascontiguousarray(dc.T)
        if db is None:
            return dx, dh0, dc0, dw_ih, dw_hh, None, None, dw_hr
        return dx, dh0, dc0, dw_ih, dw_hh, db, db.copy(), dw_hr


_ONES = {}


def _ones(n, dtype):
    """A cached read-only vector of ``n`` ones (bias gradients as one matrix product)."""
    key = (n, np.dtype(dtype))
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 64:
            _ONES.clear()
        ones = _ONES[key] = np.ones(n, dtype)
        ones.flags.writeable = False
    return ones


def _lstm_steps(A, S, C, TC, IG, R, w_hh, w_hr, sizes):
    """The LSTM recurrence in place, feature-major: A[k] (4H, B) holds step k's scaled input
    projection (see ``_lstm_scaled``; ``w_hh`` is scaled the same way) and becomes its gates
    (i, f, g, o); S[k + 1] receives h, C[k + 1] the cell state, TC[k] its tanh and IG[k]
    i ⊙ g. Columns
    past a packed sequence's end (``sizes[k]`` active) carry their h and c unchanged."""
    H4, B = A.shape[1:]
    H = H4 // 4
    dt = A.dtype
    one = dt.type(1)
    tmp = np.empty((H4, B), dtype=dt)
    for k, bs in enumerate(sizes):
        a, t = A[k, :, :bs], tmp[:, :bs]
        np.matmul(w_hh, S[k, :, :bs], out=t)
        a += t
        np.exp(a, out=a)
        a += one
        np.divide(one, a, out=a)  # σ for i, f, o; σ(2·) for g
        i, f, g, o = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
        g *= 2
        g -= one  # tanh(x) = 2σ(2x) − 1
        c, igk = C[k + 1, :, :bs], IG[k, :, :bs]
        np.multiply(f, C[k, :, :bs], out=c)
        np.multiply(i, g, out=igk)
        c += igk  # c' = f ⊙ c + i ⊙ g
        tc = TC[k, :, :bs]
        np.tanh(c, out=tc)
        h = S[k + 1, :, :bs] if R is None else R[k, :, :bs]
        np.multiply(o, tc, out=h)  # o ⊙ tanh c' (h', or what W_hr projects to h')
        if R is not None:
            np.matmul(w_hr, h, out=S[k + 1, :, :bs])
        if bs < B:
            S[k + 1, :, bs:] = S[k, :, bs:]
            C[k + 1, :, bs:] = C[k, :, bs:]


_GRU_IN_ORDER = (2, 0, 1)  # input-side blocks kept as (n, r, z): see GRULayer.backward
_GRU_IN_BACK = (1, 2, 0)


class GRULayer(_LayerBase):
    """GRU, one layer and direction (PyTorch's variant: r gates W_hn h + b_hn).

    Per step: one GEMM h W_hhᵀ, then σ of the r and z rows by one exp and one reciprocal (their
    rows pre-scaled by −1: σ(a) = 1/(1 + e^(−a))) and one tanh for n. With ``record`` the step
    also forms, while in cache, the factors of its backward

        D = (D_n, D_r, D_z, D_n ⊙ r, z),   D_n = (1 − z)(1 − n²),
        D_r = D_n ⊙ (W_hn h + b_hn) ⊙ r(1 − r),   D_z = (h − n) ⊙ z(1 − z),

    so that backward is, per step, Q = dh ⊙ D (one multiply), dh_prev = Q_hh W_hh + dh ⊙ z
    with Q_hh = (dr_pre, dz_pre, dn_pre ⊙ r) = Q[:, H:4H], and the input side's
    (dn_pre, dr_pre, dz_pre) = Q[:, :3H] (which is why W_ih's blocks are kept as n, r, z).
    """

    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False, batch_sizes=None,
                record=True, batch_first=(False, False)):
        T, B, x2 = self._prepare(x, reverse, batch_sizes, batch_first)
        H = w_hh.shape[1]
        H2 = 2 * H
        dt = x.dtype
        one = dt.type(1)
        A = _POOL.take((T * B, 3 * H), dt)
        np.matmul(x2, _rz_negated(w_ih, H2).T, out=A)
        b_hn = None
        if b_ih is not None:
            bias = b_ih.copy()
            bias[:H2] += b_hh[:H2]
            A += _rz_negated(bias, H2)
            b_hn = b_hh[H2:]
        A = A.reshape(T, B, 3 * H)
        whhT = _rz_negated(w_hh, H2).T
        S = _POOL.take((T + 1, B, H), dt)
        S[0] = h0
        D = _POOL.take((T, B, 5 * H), dt) if record else None
        tmp = np.empty((B, 3 * H), dtype=dt)
        rh = np.empty((B, H), dtype=dt)
        with np.errstate(over="ignore"):  # exp(−a) = inf for a ≪ 0 gives σ(a) = 0
            for k, bs in enumerate(self.sizes):
                a, h, t = A[k, :bs], S[k, :bs], tmp[:bs]
                np.matmul(h, whhT, out=t)
                rz = a[:, :H2]
                rz += t[:, :H2]
                np.exp(rz, out=rz)
                rz += one
                np.reciprocal(rz, out=rz)  # r, z = σ(·)
                r, z, n = a[:, :H], a[:, H:H2], a[:, H2:]
                hn = t[:, H2:]  # W_hn h (+ b_hn)
                if b_hn is not None:
                    hn += b_hn
                np.multiply(r, hn, out=rh[:bs])
                n += rh[:bs]
                np.tanh(n, out=n)
                out = S[k + 1, :bs]
                np.subtract(h, n, out=out)  # h' = n + z ⊙ (h − n)
                if record:
                    _gru_factors(D[k, :bs], rz, n, hn, out, one)
                out *= z
                out += n
                if bs < B:
                    S[k + 1, bs:] = S[k, bs:]
        out = self._outputs(S)
        _POOL.give(A)  # backward needs only S and D
        if not record:  # no node will hold this call: its work arrays go back now
            _POOL.give(S)
            return out
        self.S, self.D = S, D
        self._pooled = ("S", "D")
        self.W_ih = _permute_blocks(w_ih, _GRU_IN_ORDER)
        self.w_hh = w_hh
        self.has_bias = b_ih is not None
        return out

    def backward(self, grad):
        S, D, sizes = self.S, self.D, self.sizes
        T, B, H = S.shape[0] - 1, S.shape[1], S.shape[2]
        dy, dh_n = self._output_grads(grad, T, B, H, [(B, H)])
        Q = _POOL.take(D.shape, D.dtype, zero=self.packed)  # rows past an end take no part
        Q5, D5 = Q.reshape(T, B, 5, H), D.reshape(T, B, 5, H)
        dh = dh_n.copy()
        for k in range(T - 1, -1, -1):
            bs = sizes[k]
            d = dh[:bs]
            d += dy[k, :bs]
            np.multiply(d[:, None, :], D5[k, :bs], out=Q5[k, :bs])
            np.matmul(Q[k, :bs, H:4 * H], self.w_hh, out=d)
            d += Q[k, :bs, 4 * H:]  # + dh ⊙ z
        Q2 = Q.reshape(T * B, 5 * H)
        dx, dw_ih, db_ih = self._input_grads(Q[..., :3 * H], self.W_ih)
        Qhh = Q2[:, H:4 * H]
        dw_hh = Qhh.T @ S[:-1].reshape(T * B, H)
        dw_ih = _permute_blocks(dw_ih, _GRU_IN_BACK)
        db_hh = column_sums(Qhh) if self.has_bias else None
        _POOL.give(Q)
        if not self.has_bias:
            return dx, dh, dw_ih, dw_hh, None, None
        return dx, dh, dw_ih, dw_hh, _permute_blocks(db_ih, _GRU_IN_BACK), db_hh


def _rz_negated(w, rows):
    """A copy of ``w`` with its first ``rows`` rows (the GRU's r and z) negated."""
    w = np.array(w, copy=True)
    w[:rows] *= -1
    return w


def _gru_factors(Dk, rz, n, hn, h_minus_n, one):
    """One step's backward factors (D_n, D_r, D_z, D_n ⊙ r, z) of ``GRULayer``, into Dk."""
    H = n.shape[1]
    r, z = rz[:, :H], rz[:, H:]
    Dn, Dr, Dz, Dnr = Dk[:, :H], Dk[:, H:2 * H], Dk[:, 2 * H:3 * H], Dk[:, 3 * H:4 * H]
    drz = Dk[:, H:3 * H]
    np.subtract(one, rz, out=drz)
    drz *= rz  # σ' = σ(1 − σ) for r and z
    Dz *= h_minus_n
    np.subtract(one, z, out=Dn)
    np.multiply(n, n, out=Dnr)
    np.subtract(one, Dnr, out=Dnr)
    Dn *= Dnr  # (1 − z)(1 − n²)
    Dr *= hn
    Dr *= Dn
    np.multiply(Dn, r, out=Dnr)
    Dk[:, 4 * H:] = z


def _records(*inputs):
    """Whether ``Function.apply`` will record a node for these inputs (grad mode on and some
    input requires grad): only then does a layer keep what its backward needs."""
    return GradMode.enabled and any(getattr(t, "requires_grad", False) for t in inputs)


def _layout(x, batch_first):
    """(T, B) of ``x`` and the output shape maker for a layer's ``batch_first`` pair."""
    T, B = (x.shape[1], x.shape[0]) if batch_first[0] else (x.shape[0], x.shape[1])
    return T, B, (lambda H: (B, T, H) if batch_first[1] else (T, B, H))


def rnn_layer(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", reverse=False,
              batch_sizes=None, batch_first=(False, False)):
    """One Elman RNN layer over an input (T, B, I) ((B, T, I) with ``batch_first[0]``; the
    output is (B, T, H) with ``batch_first[1]``); returns (output, h_n)."""
    T, B, y_shape = _layout(x, batch_first)
    H = w_hh.shape[0]
    flat = RNNLayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, relu=nonlinearity == "relu",
                          reverse=reverse, batch_sizes=batch_sizes,
                          record=_records(x, h0, w_ih, w_hh, b_ih, b_hh),
                          batch_first=batch_first)
    return _split(flat, [y_shape(H), (B, H)])


def lstm_layer(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, reverse=False,
               batch_sizes=None, batch_first=(False, False)):
    """One LSTM layer over an input (T, B, I) (layouts as ``rnn_layer``); returns
    (output, h_n, c_n)."""
    T, B, y_shape = _layout(x, batch_first)
    H, P = w_ih.shape[0] // 4, w_hh.shape[1]
    flat = LSTMLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse=reverse,
                           batch_sizes=batch_sizes,
                           record=_records(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr),
                           batch_first=batch_first)
    return _split(flat, [y_shape(P), (B, P), (B, H)])


def gru_layer(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False, batch_sizes=None,
              batch_first=(False, False)):
    """One GRU layer over an input (T, B, I) (layouts as ``rnn_layer``); returns
    (output, h_n)."""
    T, B, y_shape = _layout(x, batch_first)
    H = w_hh.shape[1]
    flat = GRULayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, reverse=reverse,
                          batch_sizes=batch_sizes,
                          record=_records(x, h0, w_ih, w_hh, b_ih, b_hh),
                          batch_first=batch_first)
    return _split(flat, [y_shape(H), (B, H)])


def recurrent_stack(mode, x, hx, weights, num_layers, bidirectional, dropout=0.0,
                    training=False, batch_sizes=None, nonlinearity="tanh", batch_first=False):
    """Stacked (and optionally bidirectional) RNN/LSTM/GRU over a time-major input (T, B, I),
    or a batch-first one (B, T, I) with ``batch_first`` (then the output is (B, T, H) too).

    ``weights[layer * dirs + d]`` is the tuple (w_ih, w_hh, b_ih, b_hh[, w_hr]) of one layer and
    direction; ``hx`` is h0 (layers·dirs, B, H) or, for LSTM, (h0, c0). Dropout with
    probability ``dropout`` is applied to the outputs of every layer but the last (training).
    Returns (output, h_n) or, for LSTM, (output, (h_n, c_n)).
    """
    from deepgrad.ops.dropout import dropout as _dropout
    from deepgrad.ops.shape import cat, stack

    dirs = 2 if bidirectional else 1
    h_all, c_all = (hx if mode == "LSTM" else (hx, None))
    h_out, c_out = [], []
    layer_input = x
    for layer in range(num_layers):
        outputs = []
        for d in range(dirs):
            idx = layer * dirs + d
            w = weights[idx]
            reverse = d == 1
            # the first layer reads a batch-first input, the last writes a batch-first output
            layout = (batch_first and layer == 0, batch_first and layer == num_layers - 1)
            opts = dict(reverse=reverse, batch_sizes=batch_sizes, batch_first=layout)
            if mode == "LSTM":
                w_hr = w[4] if len(w) > 4 else None
                y, h_n, c_n = lstm_layer(layer_input, h_all[idx], c_all[idx], w[0], w[1], w[2],
                                         w[3], w_hr, **opts)
                c_out.append(c_n)
            elif mode == "GRU":
                y, h_n = gru_layer(layer_input, h_all[idx], *w[:4], **opts)
            else:
                y, h_n = rnn_layer(layer_input, h_all[idx], *w[:4], nonlinearity=nonlinearity,
                                   **opts)
            outputs.append(y)
            h_out.append(h_n)
        layer_input = outputs[0] if dirs == 1 else cat(outputs, dim=2)
        if dropout > 0 and training and layer < num_layers - 1:
            layer_input = _dropout(layer_input, dropout, training=True)
    h_n = stack(h_out, 0)
    if mode == "LSTM":
        return layer_input, (h_n, stack(c_out, 0))
    return layer_input, h_n


def _packed_positions(batch_sizes):
    """Row of the flattened (T·B) padded layout for each row of packed data."""
    batch_sizes = np.asarray(batch_sizes, dtype=np.int64)
    B = int(batch_sizes[0])
    t_idx = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    starts = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
    b_idx = np.arange(int(batch_sizes.sum())) - np.repeat(starts, batch_sizes)
    return t_idx * B + b_idx, len(batch_sizes), B


class PackedToPadded(Function):
    """Packed data (Σ lengths, *) -> time-major padded (T, B, *), zeros past each length."""

    def forward(self, data, batch_sizes):
        pos, T, B = _packed_positions(batch_sizes)
        out = np.zeros((T * B,) + data.shape[1:], dtype=data.dtype)
        out[pos] = data
        self.pos = pos
        return out.reshape((T, B) + data.shape[1:])

    def backward(self, grad):
        return grad.reshape((-1,) + grad.shape[2:])[self.pos], None


class PaddedToPacked(Function):
    """Time-major padded (T', B', *) -> packed data (Σ lengths, *); T' ≥ T and B' ≥ B."""

    def forward(self, padded, batch_sizes):
        pos, T, B = _packed_positions(batch_sizes)
        if padded.shape[0] < T or padded.shape[1] < B:
            raise RuntimeError(f"pack: padded input of shape {tuple(padded.shape)} is smaller "
                               f"than the packed layout (T={T}, B={B})")
        self.pos, self.full_shape, self.T, self.B = pos, padded.shape, T, B
        padded = np.ascontiguousarray(padded[:T, :B])
        return padded.reshape((T * B,) + padded.shape[2:])[pos]

    def backward(self, grad):
        T, B, rest = self.T, self.B, self.full_shape[2:]
        flat = np.zeros((T * B,) + rest, dtype=grad.dtype)
        flat[self.pos] = grad
        if self.full_shape[:2] == (T, B):
            return flat.reshape(self.full_shape), None
        out = np.zeros(self.full_shape, dtype=grad.dtype)
        out[:T, :B] = flat.reshape((T, B) + rest)
        return out, None


def packed_to_padded(data, batch_sizes):
    return PackedToPadded.apply(data, batch_sizes)


def padded_to_packed(padded, batch_sizes):
    return PaddedToPacked.apply(padded, batch_sizes)
