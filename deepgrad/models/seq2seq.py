"""Sequence to sequence with attention: a GRU encoder and a GRU decoder that attends over it.

Encoder (source ids x_1..x_S, right-padded; run packed, so padding is skipped)::

    e_s = E_src[x_s];   k_s = GRU(e_s, k_{s−1})        k_1..k_S: the "keys" (annotations)
    h_0 = tanh(W_init k_{S_i} + b)                      the decoder's first state

One decoder step (Bahdanau et al. 2015: attend with the previous state, then update)::

    c_t, α_t = attention(h_{t−1}, k)                    additive: e_s = vᵀ tanh(W_q h + W_k k_s)
                                                        dot:      e_s = h·k_s / √H
                                                        α_t = softmax(e) (padding → 0)
                                                        c_t = Σ_s α_ts k_s
    h_t = GRUCell([E_tgt[y_{t−1}]; c_t], h_{t−1})
    logits_t = W_out [h_t; c_t] + b_out                 p(y_t | y_<t, x) = softmax(logits_t)

Training uses **teacher forcing**: the decoder is fed the true previous token y_{t−1}
(``<bos>`` first) and the loss is the cross-entropy of every y_t, ``<eos>`` included.
Decoding feeds back the model's own tokens: ``greedy_decode`` takes the arg-max at every step;
``beam_decode`` keeps the ``beam_width`` best prefixes by total log-probability
(``beam_search``, which works for any step function). Both stop a sequence at ``<eos>`` or
after ``max_len`` tokens and return the attention weights α (one row per output token) for a
heat map (``deepgrad.viz.plot_attention``).
"""

import math

import numpy as np

from deepgrad import nn
from deepgrad.autograd import no_grad
from deepgrad.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from deepgrad.tensor import Tensor

__all__ = ["Seq2Seq", "seq2seq", "DotProductAttention", "beam_search", "Hypothesis"]


class DotProductAttention(nn.Module):
    """Scaled dot-product attention for one query per sequence (no parameters)::

        e_s = q·k_s / √d,   α = softmax(e) (masked keys → 0),   c = Σ_s α_s v_s

    forward(query (N, d), keys (N, S, d), values=None (N, S, Dv), mask=None (N, S) bool, True
    = ignore) → (context (N, Dv), weights (N, S)) — the interface of ``nn.AdditiveAttention``.
    """

    def forward(self, query, keys, values=None, mask=None):
        from deepgrad.ops.index import masked_fill
        from deepgrad.ops.linalg import matmul
        from deepgrad.ops.reduce import softmax

        values = keys if values is None else values
        if query.ndim != 2 or keys.ndim != 3 or query.shape[-1] != keys.shape[-1] \
                or query.shape[0] != keys.shape[0]:
            raise RuntimeError(f"{self._describe()}: expected query (N, d) and keys (N, S, d), "
                               f"got {tuple(query.shape)} and {tuple(keys.shape)}")
        scores = matmul(keys, query.unsqueeze(-1)).squeeze(-1) * (1.0 / math.sqrt(
            query.shape[-1]))
        if mask is not None:
            if tuple(mask.shape) != tuple(scores.shape) or mask.dtype != np.bool_:
                raise RuntimeError(f"{self._describe()}: expected a bool mask of shape "
                                   f"{tuple(scores.shape)}, got {mask.dtype} {tuple(mask.shape)}")
            scores = masked_fill(scores, mask, float("-inf"))
        weights = softmax(scores, dim=-1)
        return matmul(weights.unsqueeze(1), values).squeeze(1), weights


class Seq2Seq(nn.Module):
    """GRU encoder–decoder with additive (Bahdanau) or dot-product attention (module docstring).

    Args: src_vocab_size, tgt_vocab_size, embedding_dim=32, hidden_size=64,
    attention='additive' | 'dot', pad_index=0, bos_index=1, eos_index=2 (target-side ids;
    the source uses ``pad_index`` too).

    ``forward(src (N, S), tgt_in (N, T))`` → logits (N, T, tgt_vocab) with teacher forcing:
    ``tgt_in`` is ``<bos> y_1 … y_{T−1}``, the targets are ``y_1 … y_T`` (``<eos>`` last);
    ``loss(src, tgt_in, tgt_out)`` is their cross-entropy, padding ignored.
    Parameters: ``src_embedding``, ``encoder`` (GRU), ``init_state`` (Linear H→H),
    ``tgt_embedding``, ``attention``, ``decoder`` (GRUCell(E + H, H)), ``out`` (Linear(2H, V)).
    """

    def __init__(self, src_vocab_size, tgt_vocab_size, embedding_dim=32, hidden_size=64,
                 attention="additive", pad_index=0, bos_index=1, eos_index=2):
        super().__init__()
        if attention not in ("additive", "dot"):
            raise ValueError(f"Seq2Seq: attention must be 'additive' or 'dot', got "
                             f"{attention!r}")
        self.pad_index, self.bos_index, self.eos_index = pad_index, bos_index, eos_index
        self.hidden_size, self.attention_kind = hidden_size, attention
        self.tgt_vocab_size = tgt_vocab_size
        self.src_embedding = nn.Embedding(src_vocab_size, embedding_dim, padding_idx=pad_index)
        self.encoder = nn.GRU(embedding_dim, hidden_size, batch_first=True)
        self.init_state = nn.Linear(hidden_size, hidden_size)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, embedding_dim, padding_idx=pad_index)
        self.attention = (nn.AdditiveAttention(hidden_size, hidden_size, hidden_size)
                          if attention == "additive" else DotProductAttention())
        self.decoder = nn.GRUCell(embedding_dim + hidden_size, hidden_size)
        self.out = nn.Linear(2 * hidden_size, tgt_vocab_size)

    # ----- the two halves -----------------------------------------------------------------
    def encode(self, src, lengths=None):
        """src (N, S) ids → (keys (N, S', H), mask (N, S') bool True = padding, h_0 (N, H));
        S' = the longest length in the batch."""
        if src.ndim != 2 or src.dtype.kind not in "iu":
            raise RuntimeError(f"{self._describe()}: expected source ids of shape (N, S) and an "
                               f"integer dtype, got {src.dtype} {tuple(src.shape)}")
        data = src._data if isinstance(src, Tensor) else np.asarray(src)
        if lengths is None:
            lengths = np.maximum((data != self.pad_index).sum(axis=1), 1)
        lengths = np.asarray(getattr(lengths, "_data", lengths), dtype=np.int64)
        longest = int(lengths.max())
        src = src[:, :longest] if longest < src.shape[1] else src
        packed = pack_padded_sequence(self.src_embedding(src), lengths, batch_first=True,
                                      enforce_sorted=False)
        outputs, h_n = self.encoder(packed)
        keys, _ = pad_packed_sequence(outputs, batch_first=True)
        mask = Tensor._from_op(np.arange(longest)[None, :] >= lengths[:, None], None)
        return keys, mask, self.init_state(h_n[-1]).tanh()

    def decode_step(self, prev, hidden, keys, mask):
        """One step: prev (N,) token ids, hidden (N, H) → (logits (N, V), new hidden (N, H),
        attention weights (N, S))."""
        from deepgrad.ops.shape import cat

        context, weights = self.attention(hidden, keys, mask=mask)
        hidden = self.decoder(cat([self.tgt_embedding(prev), context], dim=1), hidden)
        return self.out(cat([hidden, context], dim=1)), hidden, weights

    # ----- training ----------------------------------------------------------------------
    def forward(self, src, tgt_in):
        from deepgrad.ops.shape import stack

        if tgt_in.ndim != 2 or tgt_in.shape[0] != src.shape[0]:
            raise RuntimeError(f"{self._describe()}: expected tgt_in (N, T) for a source batch "
                               f"of {src.shape[0]}, got {tuple(tgt_in.shape)}")
        keys, mask, hidden = self.encode(src)
        steps = []
        for t in range(tgt_in.shape[1]):
            logits, hidden, _ = self.decode_step(tgt_in[:, t], hidden, keys, mask)
            steps.append(logits)
        return stack(steps, dim=1)

    def loss(self, src, tgt_in, tgt_out):
        """Mean cross-entropy of the teacher-forced predictions, padding ignored."""
        from deepgrad.ops.loss import cross_entropy

        logits = self(src, tgt_in)
        return cross_entropy(logits.reshape(-1, self.tgt_vocab_size), tgt_out.reshape(-1),
                             ignore_index=self.pad_index)

    # ----- decoding ----------------------------------------------------------------------
    def greedy_decode(self, src, max_len=20):
        """Arg-max decoding of a batch: a list of (token ids without ``<eos>``, attention
        weights (len + 1, S_i) — the last row is the step that emitted ``<eos>``, if any)."""
        with no_grad():
            keys, mask, hidden = self.encode(src)
            N = keys.shape[0]
            prev = Tensor._from_op(np.full(N, self.bos_index, dtype=np.int64), None)
            tokens = np.full((N, max_len), self.eos_index, dtype=np.int64)
            alphas = np.zeros((N, max_len, keys.shape[1]))
            done = np.zeros(N, dtype=bool)
            ends = np.full(N, max_len)
            for t in range(max_len):
                logits, hidden, weights = self.decode_step(prev, hidden, keys, mask)
                best = logits._data.argmax(axis=1)
                tokens[:, t], alphas[:, t] = best, weights._data
                newly = ~done & (best == self.eos_index)
                ends[newly] = t
                done |= newly
                if done.all():
                    break
                prev = Tensor._from_op(best.astype(np.int64), None)
        lengths = (~mask._data).sum(axis=1)
        return [(tokens[i, :ends[i]].tolist(), alphas[i, :min(ends[i] + 1, max_len),
                                                      :lengths[i]]) for i in range(N)]

    def beam_decode(self, src, beam_width=4, max_len=20, length_penalty=0.0):
        """Beam search for each source sequence: a list of (token ids without ``<eos>``,
        attention weights (len + 1, S_i), total log-probability)."""
        results = []
        with no_grad():
            for i in range(src.shape[0]):
                keys, mask, hidden = self.encode(src[i:i + 1])
                start = (hidden, np.zeros((1, 0, keys.shape[1])))
                best = beam_search(self._beam_step(keys, mask), start, self.bos_index,
                                   self.eos_index, beam_width, max_len, length_penalty)[0]
                results.append((best.tokens, best.state[1][0], best.log_prob))
        return results

    def _beam_step(self, keys, mask):
        """``beam_search``'s step for one encoded source; the state is (hidden, α rows)."""
        from deepgrad.ops.reduce import log_softmax

        def step(prev, state):
            hidden, alpha_rows = state
            n = hidden.shape[0]
            logits, hidden, weights = self.decode_step(
                Tensor._from_op(prev.astype(np.int64), None), hidden,
                keys.expand(n, -1, -1), mask.expand(n, -1))
            alpha_rows = np.concatenate([alpha_rows, weights._data[:, None]], axis=1)
            return log_softmax(logits, dim=1)._data, (hidden, alpha_rows)

        return step


class Hypothesis:
    """A finished beam: ``tokens`` (without ``<bos>``/``<eos>``), ``log_prob`` (sum of the
    step log-probabilities, ``<eos>`` included), ``score`` (log_prob / len^length_penalty),
    ``finished`` (ended with ``<eos>``, not cut at ``max_len``) and the decoder ``state``."""

    def __init__(self, tokens, log_prob, score, finished, state):
        self.tokens, self.log_prob, self.score = tokens, log_prob, score
        self.finished, self.state = finished, state

    def __repr__(self):
        return (f"Hypothesis(tokens={self.tokens}, log_prob={self.log_prob:.4f}, "
                f"finished={self.finished})")


def _select(state, index):
    """Rows ``index`` of every array/Tensor in a (nested tuple) decoder state."""
    if isinstance(state, tuple):
        return tuple(_select(s, index) for s in state)
    if isinstance(state, Tensor):
        return state.index_select(0, Tensor._from_op(np.asarray(index, dtype=np.int64), None))
    if isinstance(state, np.ndarray):
        return state[index]
    if isinstance(state, list):
        return [state[i] for i in index]
    raise TypeError(f"beam_search: cannot reorder a decoder state of type "
                    f"{type(state).__name__}; use Tensors, arrays, lists or tuples of them")


def _row(state, i):
    return _select(state, [i])


def beam_search(step, state, bos, eos, beam_width=4, max_len=20, length_penalty=0.0):
    """Keep the ``beam_width`` most probable prefixes, extending each by every token::

        score(y_1..y_t) = Σ_{τ≤t} log p(y_τ | y_<τ)          (beam: the top k of all
                                                                k·V one-token extensions)

    A prefix whose ``eos`` extension is among the top k is finished and leaves the beam (the
    other k best extensions stay live). The search stops as soon as no live prefix can still
    beat the best finished hypothesis (its log-probability can only fall, and it ends within
    ``max_len + 1`` tokens), at the latest after ``max_len`` tokens, when the live prefixes
    join the finished ones, unfinished.
    Hypotheses are ranked by ``log_prob / len ** length_penalty`` (len counting ``eos``;
    0 = raw sum, which favours short outputs; ~0.6–1 normalizes by length).

    ``step(prev_tokens (B,) int array, state) → (log_probs (B, V) array, new_state)`` scores
    the next token of B prefixes at once; ``state`` is a Tensor, array, list or (nested) tuple
    of them with the prefixes along the first dimension (it starts with one row). Returns
    the hypotheses, best first. With ``beam_width=1`` this is greedy decoding.
    """
    if beam_width < 1 or max_len < 1:
        raise ValueError(f"beam_search: beam_width and max_len must be >= 1, got {beam_width} "
                         f"and {max_len}")

    def rank(log_prob, length):
        return log_prob / (length ** length_penalty) if length_penalty else log_prob

    prefixes = [[]]
    log_probs = np.zeros(1)
    finished = []
    for t in range(max_len):
        prev = np.array([p[-1] if p else bos for p in prefixes], dtype=np.int64)
        step_lp, state = step(prev, state)
        step_lp = np.asarray(step_lp, dtype=np.float64)
        if step_lp.ndim != 2 or step_lp.shape[0] != len(prefixes):
            raise RuntimeError(f"beam_search: step returned log-probabilities of shape "
                               f"{step_lp.shape} for {len(prefixes)} prefixes; expected "
                               f"({len(prefixes)}, vocab)")
        V = step_lp.shape[1]
        total = (log_probs[:, None] + step_lp).reshape(-1)
        order = np.argsort(-total, kind="stable")[:2 * beam_width]  # enough to keep k live
        keep, new_prefixes, new_lp = [], [], []
        for rank_, flat in enumerate(order):
            beam, token = divmod(int(flat), V)
            if token == eos:
                if rank_ < beam_width:  # an <eos> outside the top k is not among the k best
                    finished.append(Hypothesis(prefixes[beam], float(total[flat]),
                                               rank(float(total[flat]), t + 1), True,
                                               _row(state, beam)))
            elif len(new_prefixes) < beam_width:
                keep.append(beam)
                new_prefixes.append(prefixes[beam] + [token])
                new_lp.append(float(total[flat]))
        if not new_prefixes:
            break
        prefixes, log_probs = new_prefixes, np.array(new_lp)
        state = _select(state, keep)
        # a live prefix only loses log-probability and ends within max_len + 1 tokens, so
        # log_prob / (max_len + 1)^penalty bounds every score it can still reach
        if finished and max(h.score for h in finished) >= rank(log_probs.max(), max_len + 1):
            break
    else:
        for i, p in enumerate(prefixes):
            finished.append(Hypothesis(p, float(log_probs[i]), rank(float(log_probs[i]),
                                                                    len(p)), False,
                                       _row(state, i)))
    finished.sort(key=lambda h: -h.score)
    return finished


def seq2seq(src_vocab_size=40, tgt_vocab_size=16, embedding_dim=32, hidden_size=64,
            attention="additive", pad_index=0, bos_index=1, eos_index=2):
    """:class:`Seq2Seq`: GRU encoder–decoder with additive or dot-product attention."""
    return Seq2Seq(src_vocab_size, tgt_vocab_size, embedding_dim, hidden_size, attention,
                   pad_index, bos_index, eos_index)


seq2seq.task = "seq2seq"  # `deepgrad train/sample` via deepgrad/cli/task_seq2seq.py
