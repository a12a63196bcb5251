"""Word embeddings: skip-gram with negative sampling (Mikolov et al., 2013), the course's
word2vec.

Each word w has two vectors: v_w (as a centre word, the embedding kept afterwards) and u_w (as a
context word). For a centre word c, a word o seen within ``window`` positions of it, and K
"negative" words k drawn from the unigram distribution raised to 3/4, the loss is::

    L = −log σ(u_o · v_c) − Σ_k log σ(−u_k · v_c)

-- a logistic regression telling the real context word from noise, which pulls v_c towards
the u of words it occurs with; words used in the same contexts end up with similar v. The
nearest neighbours of a word by cosine similarity, cos(a, b) = a·b / (‖a‖ ‖b‖), show what the
embedding learned.

Data pieces (NumPy, seeded): :class:`WordVocab` (words by frequency, ``min_count``),
:func:`subsample` (frequent words dropped with probability 1 − √(t/f) − t/f, as word2vec's C
code), :func:`skipgram_pairs` (a random window 1..``window`` per position, as word2vec),
:class:`NegativeSampler`. ``deepgrad.train.language.train_word2vec`` puts them together.
"""

from collections import Counter

import numpy as np

from deepgrad import nn
from deepgrad.nn import functional as F

__all__ = ["WordVocab", "subsample", "skipgram_pairs", "NegativeSampler", "SkipGram",
           "negative_sampling_loss", "cosine_similarity", "nearest_neighbors"]


def _rng(generator):
    from deepgrad.backend.random import generator as numpy_generator

    return numpy_generator(generator)


class WordVocab:
    """The words of ``tokens`` seen at least ``min_count`` times, most frequent first (ties in
    first-seen order); ``counts`` their frequencies, ``stoi`` word -> id."""

    def __init__(self, tokens, min_count=5, max_size=None):
        counts = Counter(tokens)
        kept = [(w, n) for w, n in counts.most_common() if n >= min_count]
        if max_size is not None:
            kept = kept[:max_size]
        if not kept:
            raise ValueError(f"WordVocab: no word occurs min_count={min_count} times")
        self.words = [w for w, _ in kept]
        self.counts = np.array([n for _, n in kept], dtype=np.int64)
        self.stoi = {w: i for i, w in enumerate(self.words)}

    def __len__(self):
        return len(self.words)

    def encode(self, tokens):
        """Ids of the tokens in the vocabulary (the others are skipped, as word2vec does)."""
        return np.array([self.stoi[t] for t in tokens if t in self.stoi], dtype=np.int64)


def subsample(ids, counts, t=1e-4, generator=None):
    """Drop frequent words: id i is kept with probability min(1, √(t/f_i) + t/f_i), f_i its
    share of all tokens (word2vec's formula); ``t=None`` keeps everything."""
    ids = np.asarray(ids)
    if t is None:
        return ids
    freq = counts / counts.sum()
    keep = np.minimum(1.0, np.sqrt(t / freq) + t / freq)
    return ids[_rng(generator).random(len(ids)) < keep[ids]]


def skipgram_pairs(ids, window=5, generator=None):
    """``(centers, contexts)``: every (c, o) with o within b positions of c, where b is drawn
    uniformly from 1..``window`` for each centre position (nearer words count more)."""
    ids = np.asarray(ids)
    n = len(ids)
    reach = _rng(generator).integers(1, window + 1, size=n)
    centers, contexts = [], []
    for d in range(1, min(window, n - 1) + 1):
        left = np.nonzero(reach[d:] >= d)[0] + d        # centre p, context p - d
        right = np.nonzero(reach[:n - d] >= d)[0]       # centre p, context p + d
        centers += [ids[left], ids[right]]
        contexts += [ids[left - d], ids[right + d]]
    if not centers:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(centers).astype(np.int64), np.concatenate(contexts).astype(np.int64)


class NegativeSampler:
    """Draws word ids with P(w) ∝ count(w)^power (3/4 in word2vec: rare words more often than
    their frequency, frequent ones less)."""

    def __init__(self, counts, power=0.75):
        weights = np.asarray(counts, dtype=np.float64) ** power
        self.probs = weights / weights.sum()
        self._cumulative = np.cumsum(self.probs)
        self._cumulative[-1] = 1.0

    def sample(self, shape, generator=None):
        u = _rng(generator).random(shape)
        return np.searchsorted(self._cumulative, u, side="right").astype(np.int64)


def negative_sampling_loss(v_c, u_o, u_neg):
    """Mean over the batch of −log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c), from the centre vectors
    ``v_c`` (B, D), true-context vectors ``u_o`` (B, D) and negatives ``u_neg`` (B, K, D).

    Uses log σ(x) = −softplus(−x), which stays finite for large |x|.
    """
    if v_c.ndim != 2 or u_o.shape != v_c.shape or u_neg.ndim != 3 or (
            u_neg.shape[0], u_neg.shape[2]) != tuple(v_c.shape):
        raise ValueError(f"negative_sampling_loss: expected v_c (B, D), u_o (B, D), u_neg "
                         f"(B, K, D), got {tuple(v_c.shape)}, {tuple(u_o.shape)}, "
                         f"{tuple(u_neg.shape)}")
    positive = (u_o * v_c).sum(-1)                              # u_o · v_c        (B,)
    negative = u_neg.bmm(v_c.unsqueeze(-1)).squeeze(-1)         # u_k · v_c        (B, K)
    return (F.softplus(-positive) + F.softplus(negative).sum(-1)).mean()


class SkipGram(nn.Module):
    """Skip-gram with negative sampling: ``in_embed`` holds v (centre words, the embedding
    used afterwards), ``out_embed`` holds u (context words).

    Initialised as word2vec: v ~ U(−0.5/D, 0.5/D), u = 0.
    forward(center (B,), context (B,), negatives (B, K)) -> the mean loss (see
    :func:`negative_sampling_loss`).
    """

    def __init__(self, vocab_size, embedding_dim=100):
        super().__init__()
        self.vocab_size, self.embedding_dim = vocab_size, embedding_dim
        self.in_embed = nn.Embedding(vocab_size, embedding_dim)
        self.out_embed = nn.Embedding(vocab_size, embedding_dim)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 0.5 / self.embedding_dim
        nn.init.uniform_(self.in_embed.weight, -bound, bound)
        nn.init.zeros_(self.out_embed.weight)

    def forward(self, center, context, negatives):
        import deepgrad

        if context.ndim != 1 or negatives.ndim != 2 or negatives.shape[0] != context.shape[0]:
            raise ValueError(f"SkipGram: expected context (B,) and negatives (B, K), got "
                             f"{tuple(context.shape)} and {tuple(negatives.shape)}")
        # one lookup of u for the true context and the negatives: (B, 1 + K, D)
        u = self.out_embed(deepgrad.cat([context.unsqueeze(1), negatives], dim=1))
        return negative_sampling_loss(self.in_embed(center), u[:, 0], u[:, 1:])

    def embeddings(self):
        """The (vocab, D) array of centre vectors v."""
        return self.in_embed.weight.detach().numpy()


def cosine_similarity(embeddings, vector):
    """cos(e_i, vector) for every row e_i of ``embeddings`` (a zero row gives 0)."""
    embeddings = np.asarray(getattr(embeddings, "_data", embeddings), dtype=np.float64)
    vector = np.asarray(vector, dtype=np.float64)
    norms = np.linalg.norm(embeddings, axis=1) * np.linalg.norm(vector)
    dots = embeddings @ vector
    return np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)


def nearest_neighbors(embeddings, words, query, k=5):
    """The ``k`` words whose embeddings have the largest cosine similarity with ``query``'s
    (a word of ``words``, or a vector), excluding the query word: ``[(word, cos), ...]``."""
    embeddings = np.asarray(getattr(embeddings, "_data", embeddings))
    if len(words) != len(embeddings):
        raise ValueError(f"nearest_neighbors: {len(words)} words for {len(embeddings)} "
                         f"embeddings")
    exclude = None
    if isinstance(query, str):
        index = {w: i for i, w in enumerate(words)}
        if query not in index:
            raise KeyError(f"nearest_neighbors: {query!r} is not in the vocabulary")
        exclude = index[query]
        query = embeddings[exclude]
    sims = cosine_similarity(embeddings, query)
    if exclude is not None:
        sims[exclude] = -np.inf
    order = np.argsort(-sims, kind="stable")[:k]
    return [(words[i], float(sims[i])) for i in order]
