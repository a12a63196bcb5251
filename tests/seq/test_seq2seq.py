"""Seq2Seq with attention: decoder step and teacher-forced model vs torch (float64, same
weights), greedy == beam 1, beam search on hand-made scorers, the date data and the heat map."""

import datetime
import itertools
import math

import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad.datasets import date_pairs, date_vocabs, encode_pairs
from deepgrad.models import MODELS, Seq2Seq, beam_search
from deepgrad.models.seq2seq import DotProductAttention

V_SRC, V_TGT, E, H = 12, 9, 5, 6


class TorchSeq2Seq(torch.nn.Module):
    """The same model written directly in torch (parameter names as deepgrad's)."""

    def __init__(self, attention):
        super().__init__()
        self.src_embedding = torch.nn.Embedding(V_SRC, E, padding_idx=0)
        self.encoder = torch.nn.GRU(E, H, batch_first=True)
        self.init_state = torch.nn.Linear(H, H)
        self.tgt_embedding = torch.nn.Embedding(V_TGT, E, padding_idx=0)
        self.kind = attention
        if attention == "additive":
            self.attention = torch.nn.Module()
            self.attention.query_proj = torch.nn.Linear(H, H, bias=False)
            self.attention.key_proj = torch.nn.Linear(H, H)
            self.attention.score = torch.nn.Linear(H, 1, bias=False)
        self.decoder = torch.nn.GRUCell(E + H, H)
        self.out = torch.nn.Linear(2 * H, V_TGT)

    def attend(self, h, keys, mask):
        if self.kind == "additive":
            a = self.attention
            e = a.score(torch.tanh(a.query_proj(h)[:, None] + a.key_proj(keys))).squeeze(-1)
        else:
            e = (keys @ h[:, :, None]).squeeze(-1) / math.sqrt(H)
        w = torch.softmax(e.masked_fill(mask, float("-inf")), dim=-1)
        return (w[:, None] @ keys).squeeze(1), w

    def step(self, prev, h, keys, mask):
        c, w = self.attend(h, keys, mask)
        h = self.decoder(torch.cat([self.tgt_embedding(prev), c], 1), h)
        return self.out(torch.cat([h, c], 1)), h, w

    def forward(self, src, lengths, tgt_in):
        packed = torch.nn.utils.rnn.pack_padded_sequence(self.src_embedding(src), lengths,
                                                         batch_first=True, enforce_sorted=False)
        out, h_n = self.encoder(packed)
        keys, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
        mask = torch.arange(keys.shape[1])[None] >= torch.as_tensor(lengths)[:, None]
        h = torch.tanh(self.init_state(h_n[-1]))
        logits = []
        for t in range(tgt_in.shape[1]):
            step_logits, h, _ = self.step(tgt_in[:, t], h, keys, mask)
            logits.append(step_logits)
        return torch.stack(logits, 1)


def twins(attention):
    torch.manual_seed(0)
    th = TorchSeq2Seq(attention).double()
    model = Seq2Seq(V_SRC, V_TGT, E, H, attention=attention).double()
    assert list(model.state_dict()) == list(th.state_dict())
    model.load_state_dict({k: dg.tensor(v.detach().numpy().copy())
                           for k, v in th.state_dict().items()})
    return model, th


def batch(rng, lengths, S):
    src = np.zeros((len(lengths), S), dtype=np.int64)
    for i, n in enumerate(lengths):
        src[i, :n] = rng.integers(3, V_SRC, size=n)
    return src


def assert_grads(model, th, atol=1e-10):
    th_params = dict(th.named_parameters())
    for name, p in model.named_parameters():
        t = th_params[name].grad
        assert p.grad is not None, name
        np.testing.assert_allclose(p.grad.numpy(), t.numpy(), atol=atol, err_msg=name)


@pytest.mark.parametrize("attention", ["additive", "dot"])
def test_decode_step_matches_torch(attention):
    model, th = twins(attention)
    rng = np.random.default_rng(1)
    N, S = 3, 5
    keys_np = rng.standard_normal((N, S, H))
    h_np = rng.standard_normal((N, H))
    mask_np = np.arange(S)[None] >= np.array([5, 2, 4])[:, None]
    prev = np.array([1, 4, 7])
    keys, keys_t = dg.tensor(keys_np, requires_grad=True), torch.tensor(keys_np,
                                                                        requires_grad=True)
    h, h_t = dg.tensor(h_np, requires_grad=True), torch.tensor(h_np, requires_grad=True)
    out = model.decode_step(dg.tensor(prev), h, keys, dg.tensor(mask_np))
    ref = th.step(torch.tensor(prev), h_t, keys_t, torch.tensor(mask_np))
    for d, t in zip(out, ref):
        np.testing.assert_allclose(d.detach().numpy(), t.detach().numpy(), atol=1e-12)
    w = out[2].detach().numpy()
    np.testing.assert_allclose(w.sum(1), 1.0)
    assert (w[mask_np] == 0).all()
    g = [rng.standard_normal(tuple(t.shape)) for t in ref]
    sum((d * dg.tensor(gi)).sum() for d, gi in zip(out, g)).backward()
    sum((t * torch.tensor(gi)).sum() for t, gi in zip(ref, g)).backward()
    np.testing.assert_allclose(keys.grad.numpy(), keys_t.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(h.grad.numpy(), h_t.grad.numpy(), atol=1e-10)
    for name, p in model.named_parameters():
        t = dict(th.named_parameters())[name].grad
        if name.startswith(("src_embedding", "encoder", "init_state")):
            continue  # not used by one decoder step
        np.testing.assert_allclose(p.grad.numpy(), t.numpy(), atol=1e-10, err_msg=name)


@pytest.mark.parametrize("attention", ["additive", "dot"])
def test_teacher_forced_loss_matches_torch(attention):
    model, th = twins(attention)
    rng = np.random.default_rng(2)
    lengths = np.array([4, 7, 2, 7])
    src = batch(rng, lengths, 8)  # one extra padding column
    tgt_out = rng.integers(3, V_TGT, size=(4, 5))
    tgt_out[:, -1] = 2
    tgt_out[2, 3:] = [2, 0]  # a shorter target: <eos>, then padding
    tgt_in = np.concatenate([np.ones((4, 1), dtype=np.int64), tgt_out[:, :-1]], 1)
    tgt_in[2, 4] = 0
    logits = model(dg.tensor(src), dg.tensor(tgt_in))
    ref = th(torch.tensor(src), torch.tensor(lengths), torch.tensor(tgt_in))
    np.testing.assert_allclose(logits.detach().numpy(), ref.detach().numpy(), atol=1e-12)
    loss = model.loss(dg.tensor(src), dg.tensor(tgt_in), dg.tensor(tgt_out))
    ref_loss = torch.nn.functional.cross_entropy(ref.reshape(-1, V_TGT),
                                                 torch.tensor(tgt_out).reshape(-1),
                                                 ignore_index=0)
    np.testing.assert_allclose(loss.item(), ref_loss.item(), rtol=1e-12)
    loss.backward()
    ref_loss.backward()
    assert_grads(model, th)


def test_greedy_equals_beam_width_one():
    dg.manual_seed(3)
    model = Seq2Seq(V_SRC, V_TGT, E, H).double()
    src = dg.tensor(batch(np.random.default_rng(4), [3, 6, 5, 1, 6], 6))
    greedy = model.greedy_decode(src, max_len=7)
    beams = model.beam_decode(src, beam_width=1, max_len=7)
    for (g_tokens, g_alpha), (b_tokens, b_alpha, _) in zip(greedy, beams):
        assert g_tokens == b_tokens
        np.testing.assert_allclose(g_alpha, b_alpha, atol=1e-12)
    tokens, alpha = greedy[3]
    assert alpha.shape[1] == 1 and alpha.shape[0] in (len(tokens), len(tokens) + 1)
    # beam search never scores below greedy under the model
    wide = model.beam_decode(src, beam_width=4, max_len=7)
    for (_, _, lp1), (_, _, lp4) in zip(beams, wide):
        assert lp4 >= lp1 - 1e-12


BOS = 99


def run(table, width, max_len, length_penalty=0.0, eos=0):
    """Beam search over ``table(prefix) -> next-token probabilities``; the decoder state is
    the list of prefixes (``beam_search`` reorders it), extended here by the fed-back token."""

    def step(prev, state):
        state = [p + (int(t),) if t != BOS else p for p, t in zip(state, prev)]
        return np.stack([np.log(np.asarray(table(p), dtype=np.float64)) for p in state]), state

    return beam_search(step, [()], BOS, eos, width, max_len, length_penalty)


def test_beam_search_beats_greedy_on_a_trap():
    # tokens: 0 = <eos>, 1 = a, 2 = b. "a" looks best first, but "b <eos>" is more probable.
    def table(prefix):
        if prefix == ():
            return [0.1, 0.5, 0.4]
        if prefix[0] == 1:
            return [0.3, 0.4, 0.3]
        return [0.9, 0.05, 0.05]

    greedy = run(table, 1, 2)[0]
    assert greedy.tokens == [1, 1] and not greedy.finished
    assert greedy.log_prob == pytest.approx(math.log(0.5 * 0.4))
    best = run(table, 2, 2)[0]
    assert best.tokens == [2] and best.finished
    assert best.log_prob == pytest.approx(math.log(0.4 * 0.9))


def test_beam_search_is_exhaustive_when_wide():
    V, max_len = 4, 4

    def table(prefix):
        seed = hash(prefix) % (2 ** 32)
        logits = np.random.default_rng(seed).standard_normal(V) * 1.5
        return np.exp(logits) / np.exp(logits).sum()

    def score(seq):
        return sum(math.log(table(tuple(seq[:i]))[seq[i]]) for i in range(len(seq)))

    candidates = []
    for n in range(max_len):
        for body in itertools.product(range(1, V), repeat=n):
            candidates.append((score(list(body) + [0]), list(body)))
    for body in itertools.product(range(1, V), repeat=max_len):
        candidates.append((score(list(body)), list(body)))
    best_lp, best_tokens = max(candidates)
    found = run(table, V ** max_len, max_len)[0]
    assert found.tokens == best_tokens
    assert found.log_prob == pytest.approx(best_lp)
    for width in (1, 2, 3):
        assert run(table, width, max_len)[0].log_prob <= best_lp + 1e-12


def test_length_penalty_prefers_longer_outputs():
    # "<eos>" at once: 0.5; "a a a <eos>": 0.5 · 0.9 · 0.9 · 0.99 ≈ 0.40 in all, but far more
    # probable per token: log(0.40) / 4 > log(0.5) / 1
    def table(prefix):
        if prefix == ():
            return [0.5, 0.5 - 1e-12, 1e-12]
        if len(prefix) < 3:
            return [0.1, 0.9 - 1e-12, 1e-12]
        return [0.99, 0.01 - 1e-12, 1e-12]

    raw = run(table, 3, 6)[0]
    long = run(table, 3, 6, length_penalty=1.0)[0]
    assert raw.tokens == [] and raw.finished
    assert long.tokens == [1, 1, 1] and long.finished
    assert long.score == pytest.approx(long.log_prob / 4)


def test_beam_search_errors():
    with pytest.raises(ValueError, match="beam_width"):
        beam_search(lambda p, s: (np.zeros((1, 3)), s), [()], 0, 1, beam_width=0)
    with pytest.raises(RuntimeError, match="log-probabilities of shape"):
        beam_search(lambda p, s: (np.zeros(3), s), [()], 0, 1)
    with pytest.raises(TypeError, match="cannot reorder"):
        beam_search(lambda p, s: (np.log(np.full((1, 3), 1 / 3)), s), {"h": 1}, 0, 1)


def test_seq2seq_errors_and_registry():
    model = MODELS["seq2seq"](src_vocab_size=10, tgt_vocab_size=8, embedding_dim=3,
                              hidden_size=4)
    assert isinstance(model, Seq2Seq)
    with pytest.raises(RuntimeError, match=r"source ids of shape \(N, S\)"):
        model(dg.zeros(2, 3), dg.tensor(np.ones((2, 2), dtype=np.int64)))
    with pytest.raises(RuntimeError, match=r"tgt_in \(N, T\) for a source batch of 2"):
        model(dg.tensor(np.ones((2, 3), dtype=np.int64)), dg.tensor(np.ones((3, 2),
                                                                            dtype=np.int64)))
    with pytest.raises(ValueError, match="attention must be"):
        Seq2Seq(5, 5, attention="multiplicative")
    with pytest.raises(RuntimeError, match="bool mask"):
        DotProductAttention()(dg.zeros(2, 4), dg.zeros(2, 3, 4), mask=dg.zeros(2, 3))


def test_date_pairs_are_correct():
    pairs = date_pairs(300, seed=5)
    assert pairs == date_pairs(300, seed=5) and pairs != date_pairs(300, seed=6)
    src_vocab, tgt_vocab = date_vocabs()
    months = [datetime.date(2000, m, 1).strftime("%B").lower() for m in range(1, 13)]
    for text, iso in pairs:
        date = datetime.date.fromisoformat(iso)
        low = text.lower()
        assert str(date.year) in low
        assert months[date.month - 1][:3] in low or f"{date.month:02d}" in low
        assert all(c in src_vocab for c in text), text
    src, tgt_in, tgt_out = encode_pairs(pairs[:4], src_vocab, tgt_vocab)
    assert tgt_in.shape == tgt_out.shape == (4, 11)
    assert (tgt_in[:, 0] == 1).all() and (tgt_out[:, -1] == 2).all()
    np.testing.assert_array_equal(tgt_in[:, 1:], tgt_out[:, :-1])
    assert "".join(tgt_vocab.decode(tgt_out[0, :-1])) == pairs[0][1]
    assert "".join(src_vocab.decode(src[0, :len(pairs[0][0])])) == pairs[0][0]


def test_attention_heat_map_written(tmp_path):
    from deepgrad.viz import plot_attention

    weights = np.random.default_rng(0).dirichlet(np.ones(6), size=4)
    path = tmp_path / "maps" / "attention.png"
    fig = plot_attention(weights, list("12 Mar"), list("2021"), path=path)
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "␣", "M", "a", "r"]
    with pytest.raises(ValueError, match="4 target and 5 source labels"):
        plot_attention(weights, list("12 Ma"), list("2021"))
    with pytest.raises(ValueError, match="matrix of weights"):
        plot_attention(np.zeros(3))


@pytest.mark.slow
def test_dates_example_learns(tmp_path):
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "seq2seq_dates.py")
    spec = importlib.util.spec_from_file_location("seq2seq_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    greedy, beam = example.main(epochs=6, out=str(tmp_path), verbose=0, n_beam_test=100)
    assert greedy > 0.9 and beam > 0.9
    assert (tmp_path / "attention_0.png").exists()
