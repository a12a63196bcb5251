"""The char-LM quality bar: deepgrad's CharLSTM trained by ``train_language_model`` (truncated
BPTT, clipping, Adam) reaches the validation perplexity of the same torch model trained with
the same initial weights, batches and budget.

Fast: float64, a small budget, per-step losses equal to 1e-8. Slow (``-m slow``): float32 on
the whole python-docs corpus, validation perplexity within 2%.
"""

import math
import time

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import optim
from deepgrad.datasets.text import CharCorpus
from deepgrad.models.language import CharLSTM
from deepgrad.train import Callback
from deepgrad.train.language import BPTTLoader, evaluate_language_model, train_language_model


class TorchCharLSTM(torch.nn.Module):
    def __init__(self, vocab, emb, hidden, layers):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, emb)
        self.lstm = torch.nn.LSTM(emb, hidden, num_layers=layers, batch_first=True)
        self.decoder = torch.nn.Linear(hidden, vocab)

    def forward(self, x, hx=None):
        out, hidden = self.lstm(self.embedding(x), hx)
        return self.decoder(out), hidden


def _torch_chunks(ids, batch_size, seq_len):
    for x, y in BPTTLoader(ids, batch_size, seq_len):
        yield torch.from_numpy(x.numpy().copy()), torch.from_numpy(y.numpy().copy())


def _torch_perplexity(model, ids, batch_size, seq_len):
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for x, y in _torch_chunks(ids, batch_size, seq_len):
            logits, state = model(x, state)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                     y.reshape(-1))
            total += loss.item() * y.numel()
            count += y.numel()
    model.train()
    return math.exp(total / count)


def _torch_train(model, ids, epochs, batch_size, seq_len, lr, clip):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        state = None
        for x, y in _torch_chunks(ids, batch_size, seq_len):
            if state is not None:
                state = tuple(s.detach() for s in state)
            opt.zero_grad()
            logits, state = model(x, state)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                     y.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            losses.append(loss.item())
    return losses


class _StepLosses(Callback):
    def __init__(self):
        self.losses = []

    def on_batch_end(self, batch, logs=None):
        self.losses.append(logs["loss"])


def _twins(vocab, emb, hidden, layers, dtype):
    deepgrad.manual_seed(0)
    dg = CharLSTM(vocab, emb, hidden, layers).to(dtype)
    th = TorchCharLSTM(vocab, emb, hidden, layers).to(getattr(torch, dtype))
    th.load_state_dict({k: torch.tensor(v.numpy().copy()) for k, v in dg.state_dict().items()})
    return dg, th


def _run_both(corpus, emb, hidden, layers, dtype, epochs, batch_size, seq_len, lr, clip):
    dg, th = _twins(corpus.vocab_size, emb, hidden, layers, dtype)
    record = _StepLosses()
    start = time.perf_counter()
    history = train_language_model(dg, corpus.train, corpus.val, epochs=epochs,
                                   batch_size=batch_size, seq_len=seq_len, clip=clip,
                                   optimizer=optim.Adam(dg.parameters(), lr=lr),
                                   callbacks=[record], verbose=0)
    dg_time = time.perf_counter() - start
    start = time.perf_counter()
    th_losses = _torch_train(th, corpus.train, epochs, batch_size, seq_len, lr, clip)
    th_ppl = _torch_perplexity(th, corpus.val, batch_size, seq_len)
    th_time = time.perf_counter() - start
    dg_ppl = history["val_perplexity"][-1]
    assert dg_ppl == pytest.approx(evaluate_language_model(dg, corpus.val, batch_size,
                                                           seq_len)["perplexity"])
    return record.losses, th_losses, dg_ppl, th_ppl, dg_time, th_time


def test_char_lstm_float64_tracks_torch_step_by_step():
    corpus = CharCorpus("python-docs", max_chars=6_000)
    dg_losses, th_losses, dg_ppl, th_ppl, _, _ = _run_both(
        corpus, emb=8, hidden=16, layers=2, dtype="float64", epochs=2, batch_size=8,
        seq_len=32, lr=1e-2, clip=0.5)
    assert len(dg_losses) == len(th_losses) == 2 * len(BPTTLoader(corpus.train, 8, 32))
    np.testing.assert_allclose(dg_losses, th_losses, rtol=1e-8)
    assert dg_ppl == pytest.approx(th_ppl, rel=1e-8)
    assert dg_ppl < math.exp(th_losses[0]) / 2          # it learned something


@pytest.mark.slow
def test_char_lstm_float32_same_validation_perplexity_as_torch():
    corpus = CharCorpus("python-docs")
    dg_losses, th_losses, dg_ppl, th_ppl, dg_time, th_time = _run_both(
        corpus, emb=32, hidden=128, layers=1, dtype="float32", epochs=1, batch_size=32,
        seq_len=64, lr=3e-3, clip=1.0)
    print(f"\nval perplexity after 1 epoch ({len(dg_losses)} steps): deepgrad {dg_ppl:.4f} "
          f"({dg_time:.0f} s), torch {th_ppl:.4f} ({th_time:.0f} s), ratio "
          f"{dg_ppl / th_ppl:.4f}")
    assert dg_ppl == pytest.approx(th_ppl, rel=0.02)
    assert dg_ppl < 8
