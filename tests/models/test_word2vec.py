"""Skip-gram with negative sampling: loss and gradients vs torch and by hand, the data pieces
(vocab, subsampling, pairs, negative sampler), nearest neighbours, and a training run whose
neighbours are known."""

import math

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad.models.word2vec import (
    NegativeSampler,
    SkipGram,
    WordVocab,
    cosine_similarity,
    nearest_neighbors,
    negative_sampling_loss,
    skipgram_pairs,
    subsample,
)
from deepgrad.train.language import train_word2vec


def test_loss_and_gradients_match_torch():
    rng = np.random.default_rng(0)
    V, D, B, K = 13, 6, 9, 4
    model = SkipGram(V, D).double()
    w_in, w_out = rng.standard_normal((V, D)), rng.standard_normal((V, D))
    model.in_embed.weight._data[...] = w_in
    model.out_embed.weight._data[...] = w_out
    center, context = rng.integers(0, V, B), rng.integers(0, V, B)
    negatives = rng.integers(0, V, (B, K))
    loss = model(deepgrad.tensor(center), deepgrad.tensor(context), deepgrad.tensor(negatives))
    loss.backward()

    t_in = torch.tensor(w_in, requires_grad=True)
    t_out = torch.tensor(w_out, requires_grad=True)
    v_c, u_o, u_k = t_in[center], t_out[context], t_out[torch.tensor(negatives)]
    ref = -(torch.nn.functional.logsigmoid((u_o * v_c).sum(-1))
            + torch.nn.functional.logsigmoid(-(u_k @ v_c.unsqueeze(-1)).squeeze(-1)).sum(-1))
    ref = ref.mean()
    ref.backward()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(model.in_embed.weight.grad.numpy(), t_in.grad.numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(model.out_embed.weight.grad.numpy(), t_out.grad.numpy(),
                               atol=1e-12)

    # one pair by hand: -log σ(u_o·v_c) - Σ log σ(-u_k·v_c)
    sig = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    c, o, ks = center[0], context[0], negatives[0]
    by_hand = -math.log(sig(w_out[o] @ w_in[c])) - sum(math.log(sig(-w_out[k] @ w_in[c]))
                                                         for k in ks)
    one = negative_sampling_loss(deepgrad.tensor(w_in[[c]]), deepgrad.tensor(w_out[[o]]),
                                 deepgrad.tensor(w_out[ks][None]))
    assert one.item() == pytest.approx(by_hand, rel=1e-12)


def test_loss_is_stable_and_checks_shapes():
    big = deepgrad.tensor([[50.0, -50.0]])
    loss = negative_sampling_loss(big, -big, big.unsqueeze(1))   # u_o·v_c = -5000: σ ≈ 0
    assert math.isfinite(loss.item()) and loss.item() == pytest.approx(10000.0)
    with pytest.raises(ValueError, match=r"u_neg \(B, K, D\), got \(1, 2\), \(1, 2\), \(1, 2\)"):
        negative_sampling_loss(big, big, big)
    with pytest.raises(ValueError, match=r"negatives \(B, K\), got \(3,\) and \(2, 5\)"):
        SkipGram(10, 4)(deepgrad.tensor([1, 2, 3]), deepgrad.tensor([1, 2, 3]),
                        deepgrad.zeros(2, 5, dtype=deepgrad.int64))


def test_init_like_word2vec():
    model = SkipGram(50, 10)
    assert np.abs(model.in_embed.weight.detach().numpy()).max() <= 0.05
    assert not model.out_embed.weight.detach().numpy().any()
    assert model.embeddings().shape == (50, 10)


def test_vocab_subsample_pairs_and_sampler():
    tokens = "a b a c a b d".split()
    vocab = WordVocab(tokens, min_count=2)
    assert vocab.words == ["a", "b"] and vocab.counts.tolist() == [3, 2]
    assert vocab.encode(tokens).tolist() == [0, 1, 0, 0, 1]
    with pytest.raises(ValueError, match="min_count=9"):
        WordVocab(tokens, min_count=9)

    counts = np.array([1000, 10])
    ids = np.array([0] * 1000 + [1] * 10)
    kept = subsample(ids, counts, t=0.1, generator=deepgrad.Generator(0))
    assert (kept == 1).sum() == 10                     # rare words are always kept
    f = 1000 / 1010
    expected = math.sqrt(0.1 / f) + 0.1 / f    # ≈ 0.42
    assert (kept == 0).sum() == pytest.approx(1000 * expected, rel=0.15)
    assert subsample(ids, counts, None) is not None and len(subsample(ids, counts, None)) == 1010

    seq = np.arange(6)
    centers, contexts = skipgram_pairs(seq, window=2, generator=deepgrad.Generator(1))
    pairs = set(zip(centers.tolist(), contexts.tolist()))
    neighbours = {(i, i + 1) for i in range(5)} | {(i + 1, i) for i in range(5)}
    assert neighbours <= pairs                         # distance 1 is always inside the window
    assert all(abs(c - o) in (1, 2) for c, o in pairs)
    full_c, _ = skipgram_pairs(np.arange(100), window=1)
    assert len(full_c) == 2 * 99

    sampler = NegativeSampler([81, 1], power=0.75)     # weights 27 : 1
    draws = sampler.sample((20000,), generator=deepgrad.Generator(2))
    assert draws.max() == 1 and (draws == 1).mean() == pytest.approx(1 / 28, rel=0.15)


def test_cosine_and_nearest_neighbors():
    emb = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0], [0.0, 0.0]])
    words = ["cat", "kitten", "car", "dog", "nothing"]
    sims = cosine_similarity(emb, [1.0, 0.0])
    np.testing.assert_allclose(sims, [1.0, 0.9 / math.hypot(0.9, 0.1), 0.0, -1.0, 0.0])
    top = nearest_neighbors(emb, words, "cat", k=2)
    assert [w for w, _ in top] == ["kitten", "car"]
    assert top[0][1] == pytest.approx(0.9 / math.hypot(0.9, 0.1))
    assert nearest_neighbors(deepgrad.tensor(emb), words, np.array([0.0, 2.0]), k=1)[0][0] == "car"
    with pytest.raises(KeyError, match="'zebra' is not in the vocabulary"):
        nearest_neighbors(emb, words, "zebra")
    with pytest.raises(ValueError, match="4 words for 5 embeddings"):
        nearest_neighbors(emb, words[:4], "cat")


def test_training_groups_words_that_share_contexts():
    rng = np.random.default_rng(0)
    animals, vehicles = ["cat", "dog", "cow", "pig"], ["car", "bus", "van", "taxi"]
    tokens = []
    for _ in range(600):
        group = animals if rng.random() < 0.5 else vehicles
        tokens += list(rng.choice(group, 6))
    model, vocab, history = train_word2vec(tokens, embedding_dim=8, window=2, negatives=3,
                                           min_count=1, subsample_t=None, epochs=3,
                                           batch_size=256, lr=0.05, verbose=0,
                                           generator=deepgrad.Generator(0))
    assert history[-1] < history[0]
    emb = model.embeddings()
    for word in animals + vehicles:
        group = animals if word in animals else vehicles
        nearest = [w for w, _ in nearest_neighbors(emb, vocab.words, word, k=3)]
        assert set(nearest) == set(group) - {word}, (word, nearest)
