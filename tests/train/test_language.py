"""deepgrad.train.language: BPTT chunks, state carried and detached, clipping, perplexity."""

import math

import numpy as np
import pytest

import deepgrad
from deepgrad import nn, optim
from deepgrad.models.language import CharLSTM, CharTransformer
from deepgrad.train.language import (
    BPTTLoader,
    LanguageModelTrainer,
    detach_state,
    evaluate_language_model,
    train_language_model,
)


def test_bptt_loader_layout_and_continuity():
    ids = np.arange(27)
    loader = BPTTLoader(ids, batch_size=2, seq_len=4)
    assert loader.data.tolist() == [list(range(13)), list(range(13, 26))]  # 26 kept, 1 dropped
    chunks = [(x.numpy(), y.numpy()) for x, y in loader]
    assert len(chunks) == len(loader) == 3          # 12 predictions per stream: 4 + 4 + 4
    assert chunks[0][0].tolist() == [[0, 1, 2, 3], [13, 14, 15, 16]]
    assert chunks[0][1].tolist() == [[1, 2, 3, 4], [14, 15, 16, 17]]
    assert chunks[1][0][:, 0].tolist() == [4, 17]   # chunk k+1 continues chunk k row by row
    x_last, y_last = chunks[-1]
    assert x_last.tolist() == [[8, 9, 10, 11], [21, 22, 23, 24]]
    assert y_last[:, -1].tolist() == [12, 25]
    assert x_last.dtype == np.int64
    short = [x.shape[1] for x, _ in BPTTLoader(np.arange(20), 2, 4)]  # 9 targets per stream
    assert short == [4, 4, 1]
    with pytest.raises(ValueError, match="1-D integer array"):
        BPTTLoader(np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="too few"):
        BPTTLoader(np.arange(5), batch_size=4)


def test_detach_state_cuts_the_graph():
    h = deepgrad.randn(2, 3, requires_grad=True) * 2
    c = deepgrad.randn(2, 3, requires_grad=True) * 2
    dh, dc = detach_state((h, c))
    assert not dh.requires_grad and not dc.requires_grad
    np.testing.assert_array_equal(dh.numpy(), h.detach().numpy())
    assert detach_state(None) is None


class _Recorder(CharLSTM):
    """CharLSTM that records the initial state of every training call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []

    def forward(self, input, hx=None):
        self.seen.append(hx)
        return super().forward(input, hx)


def test_state_is_carried_detached_and_reset_each_epoch():
    ids = np.random.default_rng(0).integers(0, 7, 200)
    model = _Recorder(7, 4, 5)
    train_language_model(model, ids, epochs=2, batch_size=4, seq_len=10, verbose=0,
                         optimizer=optim.SGD(model.parameters(), lr=0.1))
    per_epoch = len(BPTTLoader(ids, 4, 10))
    assert len(model.seen) == 2 * per_epoch
    assert model.seen[0] is None and model.seen[per_epoch] is None      # fresh each epoch
    for hx in model.seen[1:per_epoch]:
        assert isinstance(hx, tuple) and not hx[0].requires_grad and not hx[1].requires_grad
        assert tuple(hx[0].shape) == (1, 4, 5)


def test_carried_state_equals_one_long_forward():
    """Evaluating chunk by chunk with the state carried gives the loss of the whole sequence
    in one call: the stream is one long sequence."""
    ids = np.random.default_rng(1).integers(0, 9, 90)
    model = CharLSTM(9, 6, 8).double()
    result = evaluate_language_model(model, ids, batch_size=3, seq_len=7)
    data = BPTTLoader(ids, 3, 7).data
    with deepgrad.no_grad():
        logits, _ = model(deepgrad.tensor(data[:, :-1]))
    loss = nn.functional.cross_entropy(logits.reshape(-1, 9),
                                       deepgrad.tensor(data[:, 1:].reshape(-1))).item()
    assert result["loss"] == pytest.approx(loss, rel=1e-12)
    assert result["perplexity"] == pytest.approx(math.exp(loss), rel=1e-12)


def test_gradients_are_clipped_before_the_step():
    ids = np.random.default_rng(2).integers(0, 7, 100)
    model = CharLSTM(7, 4, 5).double()
    before = [p.detach().numpy().copy() for p in model.parameters()]
    train_language_model(model, ids, epochs=1, batch_size=2, seq_len=8, clip=1e-3,
                         optimizer=optim.SGD(model.parameters(), lr=1.0), steps_per_epoch=1,
                         verbose=0)
    change = math.sqrt(sum(((p.detach().numpy() - b) ** 2).sum()
                           for p, b in zip(model.parameters(), before)))
    assert change == pytest.approx(1e-3, rel=1e-3)   # lr · clip: the norm was clipped to 1e-3


@pytest.mark.parametrize("cls", [CharLSTM, CharTransformer])
def test_training_lowers_perplexity_and_logs_it(cls, tmp_path):
    text = ("the cat sat on the mat. " * 40).encode()
    ids = np.frombuffer(text, dtype=np.uint8).astype(np.int64) - 32
    model = cls(91, 16, 32) if cls is CharLSTM else cls(91, d_model=16, nhead=2, num_layers=1,
                                                        dim_feedforward=32, max_len=16)
    from deepgrad.train import CSVLogger

    history = train_language_model(
        model, ids[:800], ids[800:], epochs=3, batch_size=8, seq_len=16, verbose=0,
        optimizer=optim.Adam(model.parameters(), lr=1e-2),
        callbacks=[CSVLogger(tmp_path / "h.csv")])
    ppl = history["val_perplexity"]
    assert ppl[-1] < ppl[0] and ppl[-1] < 6
    for loss, p in zip(history["val_loss"], ppl):
        assert p == pytest.approx(math.exp(loss))
    assert history["perplexity"][0] == pytest.approx(math.exp(history["loss"][0]))
    header = (tmp_path / "h.csv").read_text().splitlines()[0]
    assert "val_perplexity" in header and "perplexity" in header


def test_trainer_is_a_trainer_with_checkpoints(tmp_path):
    from deepgrad.train import ModelCheckpoint, Trainer

    ids = np.random.default_rng(3).integers(0, 5, 120)
    model = CharLSTM(5, 4, 4)
    trainer = LanguageModelTrainer(model, optimizer=optim.Adam(model.parameters()), verbose=0,
                                   callbacks=[ModelCheckpoint(tmp_path / "ck.safetensors",
                                                              save_best_only=False)])
    assert isinstance(trainer, Trainer)
    trainer.fit(BPTTLoader(ids, 2, 8), BPTTLoader(ids, 2, 8), epochs=1)
    again = LanguageModelTrainer(CharLSTM(5, 4, 4), verbose=0).resume(tmp_path / "ck.safetensors")
    assert again.epoch == 1 and again.global_step == trainer.global_step
