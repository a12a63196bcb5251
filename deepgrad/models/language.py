"""Character-level language models: the course's many-to-many task.

A language model predicts the next symbol from the ones before it, p(x_t | x_<t); trained with
cross-entropy on every position of a sequence (input x_1..x_T, targets x_2..x_{T+1}), its
quality is the perplexity exp(mean CE): the number of equally likely choices it is as unsure
as (1 = certain; vocab size = knows nothing).

* :class:`CharLSTM`: Embedding -> LSTM -> Linear. Recurrent (``stateful = True``): forward takes
  and returns the hidden state (h, c), so training can carry it across consecutive chunks of a
  long text (truncated backpropagation through time, see ``deepgrad.train.language``).
* :class:`CharTransformer`: token embedding + positions (sinusoidal or learned) -> causal
  TransformerEncoder (position t attends to positions <= t only) -> LayerNorm -> Linear.
  Sees at most ``max_len`` symbols; no state is carried between chunks.

Both have ``generate(prompt_ids, length, temperature=1.0, top_k=None, generator=None,
use_cache=True)``: sample one symbol at a time from softmax(logits / temperature) (temperature
0: the most likely symbol), optionally only among the ``top_k`` most likely, feeding each one
back in. The LSTM carries its state (h, c) from token to token; the Transformer keeps each
layer's keys and values of the positions seen so far (a KV cache), so that each new token
costs one position's work instead of a pass over the whole prefix (``use_cache=False``: the
pass over the whole prefix every token; the same logits).
"""

import math

import numpy as np

from deepgrad import nn

__all__ = ["CharLSTM", "CharTransformer", "char_lstm", "char_transformer", "sample_logits"]


def sample_logits(logits, temperature=1.0, top_k=None, generator=None):
    """One token id drawn from a (vocab,) row of ``logits``: p = softmax(logits / T) restricted
    to the ``top_k`` largest logits; ``temperature == 0`` returns the argmax (greedy)."""
    import deepgrad

    if temperature < 0:
        raise ValueError(f"sample_logits: temperature must be >= 0, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"sample_logits: top_k must be >= 1, got {top_k}")
    row = logits.reshape(-1)
    if temperature == 0:
        return int(row.argmax().item())
    row = row / temperature
    if top_k is not None and top_k < row.shape[0]:
        values = row.detach().numpy()
        kth = np.partition(values, -top_k)[-top_k]
        row = row.masked_fill(deepgrad.from_numpy(values < kth), -math.inf)
    probs = row.softmax(-1)
    return int(deepgrad.multinomial(probs, 1, generator=generator).item())


def _prompt_list(prompt_ids, vocab_size, who):
    ids = np.asarray(getattr(prompt_ids, "_data", prompt_ids), dtype=np.int64).reshape(-1)
    if ids.size == 0:
        raise ValueError(f"{who}.generate: the prompt needs at least one token")
    if ids.min() < 0 or ids.max() >= vocab_size:
        raise IndexError(f"{who}.generate: prompt ids must be in [0, {vocab_size}), got "
                         f"min {ids.min()}, max {ids.max()}")
    return ids.tolist()


class _Generator:
    """``generate`` for a model whose ``_next_logits(context_ids, state)`` returns the logits
    of the next token and the state to pass to the next call."""

    def generate(self, prompt_ids, length, temperature=1.0, top_k=None, generator=None,
                 use_cache=True):
        """The prompt followed by ``length`` sampled token ids (a list of ints).

        ``use_cache``: reuse what earlier positions computed (the Transformer's keys and
        values); False recomputes the whole context every token (same results, slower).
        """
        import deepgrad

        ids = _prompt_list(prompt_ids, self.vocab_size, type(self).__name__)
        was_training = self.training
        self.eval()
        try:
            with deepgrad.no_grad():
                logits, state = self._next_logits(ids, None, len(ids), use_cache)
                for _ in range(int(length)):
                    ids.append(sample_logits(logits, temperature, top_k, generator))
                    logits, state = self._next_logits(ids, state, 1, use_cache)
        finally:
            self.train(was_training)
        return ids


class CharLSTM(_Generator, nn.Module):
    """Embedding(vocab, embedding_dim) -> LSTM(embedding_dim, hidden_size, num_layers) ->
    Linear(hidden_size, vocab): logits for the next character at every position.

    The LSTM (per layer, time step t)::

        i, f, g, o = σ(W_ii x + W_hi h + b_i), σ(...), tanh(...), σ(...)
        c_t = f ⊙ c_{t−1} + i ⊙ g          h_t = o ⊙ tanh(c_t)

    forward(input (N, L) ids, hx=None) -> (logits (N, L, vocab), (h, c)), batch first.
    """

    stateful = True

    def __init__(self, vocab_size, embedding_dim=64, hidden_size=256, num_layers=1, dropout=0.0):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden_size, vocab_size)

    def forward(self, input, hx=None):
        output, hidden = self.lstm(self.dropout(self.embedding(input)), hx)
        return self.decoder(self.dropout(output)), hidden

    def _next_logits(self, ids, state, new, use_cache=True):
        import deepgrad

        x = deepgrad.tensor([ids[-new:]], dtype=deepgrad.int64)
        logits, state = self(x, state)
        return logits[0, -1], state


class CharTransformer(_Generator, nn.Module):
    """Token embedding + positional encoding -> causal TransformerEncoder -> LayerNorm ->
    Linear(d_model, vocab).

    Each layer (pre-norm, ``norm_first=True``): x = x + MHA(LN(x)) with the causal mask
    (0 on and below the diagonal, −inf above), then x = x + FF(LN(x)).
    ``positions``: ``'sinusoidal'`` (PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(...))
    or ``'learned'``. forward(input (N, L) ids, L <= max_len) -> logits (N, L, vocab).
    """

    stateful = False

    def __init__(self, vocab_size, d_model=128, nhead=4, num_layers=2, dim_feedforward=512,
                 dropout=0.1, max_len=256, positions="sinusoidal"):
        super().__init__()
        self.vocab_size, self.d_model, self.max_len = vocab_size, d_model, max_len
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.positions = nn.PositionalEncoding(d_model, max_len=max_len, dropout=dropout,
                                               kind=positions, batch_first=True)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                           batch_first=True, norm_first=True)
        # pre-norm layers have no nested-tensor path (PyTorch would warn that it is off)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.decoder = nn.Linear(d_model, vocab_size)

    def forward(self, input):
        L = input.shape[-1]
        if L > self.max_len:
            raise ValueError(f"CharTransformer: sequence length {L} exceeds max_len "
                             f"{self.max_len}; use shorter chunks")
        x = self.positions(self.embedding(input))
        mask = nn.Transformer.generate_square_subsequent_mask(L, dtype=x.dtype)
        return self.decoder(self.norm(self.encoder(x, mask=mask, is_causal=True)))

    def _next_logits(self, ids, cache, new, use_cache=True):
        import deepgrad

        if not use_cache or len(ids) > self.max_len:
            # past max_len the window slides: every position (and so every key) changes
            x = deepgrad.tensor([ids[-self.max_len:]], dtype=deepgrad.int64)
            return self(x)[0, -1], None
        if cache is None:
            cache, new = _KVCache(len(self.encoder.layers)), len(ids)
        x = deepgrad.tensor([ids[-new:]], dtype=deepgrad.int64)
        return self._decode(x, cache)[0, -1], cache

    def _decode(self, input, cache):
        """Logits (1, n, vocab) of ``n`` new positions after the ``cache.length`` cached ones:
        the forward of :meth:`forward` for those positions alone, each layer attending over its
        cached keys and values plus the new ones (and appending the new ones to the cache)."""
        start, n = cache.length, input.shape[-1]
        table = self.positions.pe if self.positions.kind == "sinusoidal" else \
            self.positions.weight
        x = self.embedding(input) + table[start:start + n].unsqueeze(0)
        for i, layer in enumerate(self.encoder.layers):  # pre-norm layers, as in forward
            x = x + _cached_self_attention(layer.self_attn, layer.norm1(x), cache, i,
                                           self.max_len)
            x = x + layer._ff_block(layer.norm2(x), layer.dropout2)
        if self.encoder.norm is not None:
            x = self.encoder.norm(x)
        cache.length += n
        return self.decoder(self.norm(x))


class _KVCache:
    """Per layer, the keys and values of the positions seen: arrays (1, heads, max_len,
    head_dim) filled up to ``length`` (written in place, so a new token copies only itself)."""

    def __init__(self, num_layers):
        self.keys, self.values, self.length = [None] * num_layers, [None] * num_layers, 0


def _cached_self_attention(mha, x, cache, layer, max_len):
    """Causal multi-head self-attention of the new positions ``x`` (1, n, E) (batch first)
    over the cached positions and themselves; stores their keys and values in ``cache``.
    The same projections and softmax(q kᵀ/√d) v as ``multi_head_attention_forward``
    (inference only: called under ``no_grad``)."""
    import deepgrad
    import deepgrad.nn.functional as F

    N, n, E = x.shape
    heads = mha.num_heads
    head_dim = E // heads
    qkv = F.linear(x, mha.in_proj_weight, mha.in_proj_bias).numpy()
    q, k, v = (qkv[..., j * E:(j + 1) * E].reshape(N, n, heads, head_dim).transpose(0, 2, 1, 3)
               for j in range(3))
    if cache.keys[layer] is None:
        shape = (N, heads, max_len, head_dim)
        cache.keys[layer], cache.values[layer] = np.empty(shape, qkv.dtype), \
            np.empty(shape, qkv.dtype)
    start, S = cache.length, cache.length + n
    cache.keys[layer][:, :, start:S] = k
    cache.values[layer][:, :, start:S] = v
    keys, values = (deepgrad.from_numpy(c[:, :, :S]) for c in (cache.keys[layer],
                                                               cache.values[layer]))
    # new position j (absolute start + j) sees keys 0 .. start + j
    allowed = np.arange(S)[None, :] <= np.arange(start, S)[:, None]
    out = F.scaled_dot_product_attention(deepgrad.from_numpy(np.ascontiguousarray(q)), keys,
                                         values, attn_mask=deepgrad.from_numpy(allowed))
    out = out.transpose(1, 2).reshape(N, n, E)
    return F.linear(out, mha.out_proj.weight, mha.out_proj.bias)


def char_lstm(vocab_size=128, embedding_dim=64, hidden_size=256, num_layers=1, dropout=0.0):
    """Build a :class:`CharLSTM` (registry name ``'char_lstm'``, ``task = 'text'``)."""
    return CharLSTM(vocab_size, embedding_dim, hidden_size, num_layers, dropout)


def char_transformer(vocab_size=128, d_model=128, nhead=4, num_layers=2, dim_feedforward=512,
                     dropout=0.1, max_len=256, positions="sinusoidal"):
    """Build a :class:`CharTransformer` (registry name ``'char_transformer'``,
    ``task = 'text'``)."""
    return CharTransformer(vocab_size, d_model, nhead, num_layers, dim_feedforward, dropout,
                           max_len, positions)


for _builder in (char_lstm, char_transformer):
    _builder.task = "text"
    _builder.input_size = (64,)  # one sample: 64 token ids (for `deepgrad summary`)
    _builder.input_dtype = "int64"
