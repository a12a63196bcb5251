"""CharLSTM / CharTransformer: outputs and gradients equal torch's for the same weights (float64),
causality, generate() (seeded, greedy, top-k, temperature) and the registry entries."""

import math

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad.models import MODELS, get_model
from deepgrad.models.language import CharLSTM, CharTransformer, sample_logits

V = 11


class TorchCharLSTM(torch.nn.Module):
    def __init__(self, vocab, emb, hidden, layers):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, emb)
        self.lstm = torch.nn.LSTM(emb, hidden, num_layers=layers, batch_first=True)
        self.decoder = torch.nn.Linear(hidden, vocab)

    def forward(self, x, hx=None):
        out, hidden = self.lstm(self.embedding(x), hx)
        return self.decoder(out), hidden


class TorchCharTransformer(torch.nn.Module):
    def __init__(self, vocab, d, nhead, layers, ff, max_len, pe):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, d)
        self.register_buffer("pe", torch.tensor(pe))
        layer = torch.nn.TransformerEncoderLayer(d, nhead, ff, 0.0, batch_first=True,
                                                 norm_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = torch.nn.LayerNorm(d)
        self.decoder = torch.nn.Linear(d, vocab)

    def forward(self, x):
        L = x.shape[1]
        h = self.embedding(x) + self.pe[:L]
        mask = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=h.dtype)
        return self.decoder(self.norm(self.encoder(h, mask=mask, is_causal=True)))


def _copy_into_torch(dg, th, rename=None):
    state = {}
    for key, value in dg.state_dict().items():
        key = (rename or {}).get(key, key)
        state[key] = torch.tensor(value.numpy().copy())
    th.load_state_dict(state)


def _grads_match(dg, th, rename=None, atol=1e-9):
    th_params = dict(th.named_parameters())
    for name, p in dg.named_parameters():
        ref = th_params[(rename or {}).get(name, name)].grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), ref, atol=atol, rtol=1e-7, err_msg=name)


def test_char_lstm_matches_torch_with_carried_state():
    dg = CharLSTM(V, embedding_dim=5, hidden_size=7, num_layers=2).double()
    th = TorchCharLSTM(V, 5, 7, 2).double()
    _copy_into_torch(dg, th)
    rng = np.random.default_rng(0)
    x1, x2 = rng.integers(0, V, (3, 6)), rng.integers(0, V, (3, 4))
    y_dg, h_dg = dg(deepgrad.tensor(x1))
    y_th, h_th = th(torch.tensor(x1))
    assert tuple(y_dg.shape) == (3, 6, V) and tuple(h_dg[0].shape) == (2, 3, 7)
    y2_dg, _ = dg(deepgrad.tensor(x2), h_dg)
    y2_th, _ = th(torch.tensor(x2), h_th)
    np.testing.assert_allclose(y2_dg.detach().numpy(), y2_th.detach().numpy(), atol=1e-12)
    weights = rng.standard_normal((3, 4, V))
    (y2_dg * deepgrad.tensor(weights)).sum().backward()
    (y2_th * torch.tensor(weights)).sum().backward()
    _grads_match(dg, th)


def _transformer_pair(positions="sinusoidal"):
    dg = CharTransformer(V, d_model=8, nhead=2, num_layers=2, dim_feedforward=16, dropout=0.0,
                         max_len=12, positions=positions).double()
    table = (dg.positions.pe if positions == "sinusoidal" else dg.positions.weight).numpy()
    th = TorchCharTransformer(V, 8, 2, 2, 16, 12, table).double()
    rename = {"positions.pe": "pe"}
    state = {rename.get(k, k): torch.tensor(v.numpy().copy())
             for k, v in dg.state_dict().items() if k != "positions.weight"}
    state.setdefault("pe", torch.tensor(table))
    th.load_state_dict(state)
    return dg, th


def test_char_transformer_matches_torch():
    dg, th = _transformer_pair()
    x = np.random.default_rng(1).integers(0, V, (2, 9))
    y_dg, y_th = dg(deepgrad.tensor(x)), th(torch.tensor(x))
    np.testing.assert_allclose(y_dg.detach().numpy(), y_th.detach().numpy(), atol=1e-10)
    weights = np.random.default_rng(2).standard_normal((2, 9, V))
    (y_dg * deepgrad.tensor(weights)).sum().backward()
    (y_th * torch.tensor(weights)).sum().backward()
    _grads_match(dg, th, {"positions.pe": "pe"})


def test_char_transformer_is_causal_and_checks_length():
    dg = CharTransformer(V, d_model=8, nhead=2, num_layers=1, dim_feedforward=16, dropout=0.0,
                         max_len=12, positions="learned").double()
    x = np.random.default_rng(3).integers(0, V, (1, 8))
    changed = x.copy()
    changed[0, 5:] = (changed[0, 5:] + 1) % V          # change only the future of position 4
    a, b = (dg(deepgrad.tensor(v)).detach().numpy() for v in (x, changed))
    np.testing.assert_allclose(a[0, :5], b[0, :5], atol=1e-12)
    assert not np.allclose(a[0, 5:], b[0, 5:])
    with pytest.raises(ValueError, match="exceeds max_len 12"):
        dg(deepgrad.tensor(np.zeros((1, 13), dtype=np.int64)))


@pytest.mark.parametrize("cls", [CharLSTM, CharTransformer])
def test_generate_seeded_greedy_and_topk(cls):
    model = cls(V)
    a = model.generate([1, 2, 3], 15, generator=deepgrad.Generator(5))
    b = model.generate(np.array([1, 2, 3]), 15, generator=deepgrad.Generator(5))
    assert a == b and len(a) == 18 and a[:3] == [1, 2, 3]
    assert all(0 <= i < V for i in a)
    greedy = model.generate([4], 6, temperature=0)
    assert model.generate([4], 6, top_k=1, generator=deepgrad.Generator(9)) == greedy
    # greedy by hand: the argmax of the model's own next-token logits, fed back in
    assert model.training  # generate() restores the mode
    ids = [4]
    model.eval()
    with deepgrad.no_grad():
        for _ in range(6):
            out = model(deepgrad.tensor([ids]))
            logits = out[0] if isinstance(out, tuple) else out
            ids.append(int(logits.numpy()[0, -1].argmax()))
    assert ids == greedy
    with pytest.raises(IndexError, match=r"prompt ids must be in \[0, 11\)"):
        model.generate([V], 3)
    with pytest.raises(ValueError, match="at least one token"):
        model.generate([], 3)


def test_sample_logits_distribution_temperature_and_top_k():
    logits = deepgrad.tensor([2.0, 1.0, 0.0, -1.0])
    gen = deepgrad.Generator(0)
    draws = np.array([sample_logits(logits, 0.5, generator=gen) for _ in range(2000)])
    expected = np.exp(np.array([2.0, 1.0, 0.0, -1.0]) / 0.5)
    expected /= expected.sum()
    freq = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(freq, expected, atol=0.04)
    top2 = {sample_logits(logits, 5.0, top_k=2, generator=gen) for _ in range(300)}
    assert top2 == {0, 1}
    assert sample_logits(logits, 0) == 0
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        sample_logits(logits, -1)
    with pytest.raises(ValueError, match="top_k must be >= 1"):
        sample_logits(logits, 1.0, top_k=0)


def test_registry():
    for name in ("char_lstm", "char_transformer"):
        assert MODELS[name].task == "text"
        model = get_model(name, vocab_size=V)
        assert model.decoder.out_features == V
    lstm = get_model("char_lstm", vocab_size=V, hidden_size=16, num_layers=2)
    n = sum(p.numel() for p in lstm.parameters())
    emb, h = 64, 16
    expected = V * emb + 4 * h * (emb + h + 2) + 4 * h * (h + h + 2) + h * V + V
    assert n == expected
    assert math.isfinite(float(lstm(deepgrad.tensor([[1, 2]]))[0].sum().item()))


@pytest.mark.parametrize("positions", ["sinusoidal", "learned"])
def test_generate_kv_cache_matches_the_uncached_pass(positions):
    deepgrad.manual_seed(0)
    model = CharTransformer(V, d_model=16, nhead=2, num_layers=2, dim_feedforward=32,
                            dropout=0.1, max_len=12, positions=positions).double()
    model.eval()
    ids = [1, 2, 3]
    with deepgrad.no_grad():
        logits, cache = model._next_logits(ids, None, len(ids))
        for _ in range(14):  # runs past max_len (12), where the window starts to slide
            full, _ = model._next_logits(ids, None, 1, use_cache=False)
            np.testing.assert_allclose(logits.numpy(), full.numpy(), rtol=1e-10, atol=1e-12)
            if len(ids) <= model.max_len:
                assert cache.length == len(ids)
                assert tuple(cache.keys[1].shape) == (1, 2, model.max_len, 8)
            ids.append(int(logits.numpy().argmax()))
            logits, cache = model._next_logits(ids, cache, 1)
    # float32, sampled: the same tokens for the same seed, before and after max_len
    model = CharTransformer(V, d_model=16, nhead=2, num_layers=2, dim_feedforward=32,
                            max_len=12, positions=positions)
    for prompt in ([4, 5], list(range(1, 11)) * 2):
        cached = model.generate(prompt, 16, top_k=5, generator=deepgrad.Generator(7))
        uncached = model.generate(prompt, 16, top_k=5, generator=deepgrad.Generator(7),
                                  use_cache=False)
        assert cached == uncached
