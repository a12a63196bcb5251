"""Sentiment (many-to-one): the shipped Rotten Tomatoes data, tokenizer/vocabulary, and
SentimentRNN against the same model in torch (packed sequences, float64)."""

import gzip
import hashlib

import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad.datasets import RottenTomatoes, Vocab, pad_ids, tokenize
from deepgrad.datasets.sentiment import ROTTEN_TOMATOES_FILE, read_sentiment_tsv
from deepgrad.models import MODELS, SentimentRNN, get_model


@pytest.fixture(scope="module")
def train_set():
    return RottenTomatoes("train")


def test_tokenize():
    assert tokenize("It’s not BAD, it's   “great”!") == ["it's", "not", "bad", ",", "it's", '"',
                                                        "great", '"', "!"]
    assert tokenize("Amélie (2001) -- a must-see.") == ["amélie", "(", "2001", ")", "-", "-",
                                                        "a", "must", "-", "see", "."]
    assert tokenize("") == []
    with pytest.raises(TypeError, match="tokenize"):
        tokenize(3)


def test_vocab_build_encode_decode():
    vocab = Vocab.build([["b", "a", "b"], ["c", "b", "a"], ["d"]], min_freq=2)
    assert vocab.itos == ["<pad>", "<unk>", "b", "a"]
    assert (vocab.pad_index, vocab.unk_index) == (0, 1)
    assert vocab.encode(["a", "b", "zzz", "c"]) == [3, 2, 1, 1]
    assert vocab.decode([2, 3, 0]) == ["b", "a", "<pad>"]
    assert vocab["b"] == 2 and vocab["nope"] == 1 and "a" in vocab and len(vocab) == 4
    assert len(Vocab.build([["x", "y", "z"]], max_size=3)) == 3
    with pytest.raises(IndexError, match="out of range"):
        vocab.decode([4])
    strict = Vocab(["a", "b"], unk_token=None, pad_token=None)
    with pytest.raises(KeyError, match="not in the vocabulary"):
        strict.encode(["c"])
    with pytest.raises(ValueError, match="twice"):
        Vocab(["a", "a"])


def test_pad_ids():
    ids, lengths = pad_ids([[5, 6, 7], [8], []], pad_index=0)
    np.testing.assert_array_equal(ids, [[5, 6, 7], [8, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(lengths, [3, 1, 0])
    assert ids.dtype == np.int64
    ids, lengths = pad_ids([[5, 6, 7], [8]], max_len=2)
    np.testing.assert_array_equal(ids, [[5, 6], [8, 0]])
    np.testing.assert_array_equal(lengths, [2, 1])


def test_shipped_file_is_the_documented_one():
    with open(ROTTEN_TOMATOES_FILE, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert digest == "7858ee3d72052371732a691a96d881596fac4521c29ed7c4e6ef5ba3ff2e72a4"


def test_rotten_tomatoes_splits(train_set):
    table = read_sentiment_tsv()
    sizes = {s: len(table[s][0]) for s in table}
    assert sizes == {"train": 10201, "val": 1275, "test": 1275}
    texts = [set(t.lower() for t in table[s][0]) for s in ("train", "val", "test")]
    assert not (texts[0] & texts[1]) and not (texts[0] & texts[2]) and not (texts[1] & texts[2])
    labels = np.concatenate([table[s][1] for s in table])
    assert labels.sum() == 7368 and len(labels) == 12751
    assert len(train_set) == 10201
    ids, y = train_set.arrays()
    assert ids.dtype == np.int64 and y.dtype == np.int64 and ids.shape[0] == 10201
    # the vocabulary comes from the training split; words seen once are <unk>
    assert train_set.vocab.itos[:2] == ["<pad>", "<unk>"]
    assert 5000 < len(train_set.vocab) < 15000
    row = train_set.tokens[0]
    n = int(train_set.lengths.numpy()[0])
    assert n == len(row) and (ids[0, n:] == 0).all()
    assert train_set.vocab.decode(ids[0, :n]) == [t if t in train_set.vocab else "<unk>"
                                                  for t in row]
    x, label = train_set[3]
    assert tuple(x.shape) == (ids.shape[1],) and label == int(y[3])
    test_set = RottenTomatoes("test", vocab=train_set.vocab)
    assert test_set.vocab is train_set.vocab and len(test_set) == 1275
    assert RottenTomatoes("val").vocab.itos == train_set.vocab.itos  # built on train, always
    with pytest.raises(ValueError, match="split must be"):
        RottenTomatoes("dev")


def test_loader_batches(train_set):
    loader = dg.utils.data.DataLoader(train_set, batch_size=16, shuffle=False)
    x, y = next(iter(loader))
    assert tuple(x.shape) == (16, train_set.data.shape[1]) and tuple(y.shape) == (16,)


def test_bad_file(tmp_path):
    path = tmp_path / "bad.tsv.gz"
    with gzip.open(path, "wt") as f:
        f.write("split\tlabel\ttext\ntrain\t2\toops\n")
    with pytest.raises(RuntimeError, match="line 2"):
        RottenTomatoes("train", path=path)


class TorchSentiment(torch.nn.Module):
    def __init__(self, vocab, emb, hidden, cell, layers, bidirectional):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, emb, padding_idx=0)
        rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        self.rnn = rnn(emb, hidden, num_layers=layers, batch_first=True,
                       bidirectional=bidirectional)
        self.fc = torch.nn.Linear(hidden * (2 if bidirectional else 1), 2)
        self.cell = cell

    def forward(self, ids, lengths):
        packed = torch.nn.utils.rnn.pack_padded_sequence(self.embedding(ids), lengths,
                                                         batch_first=True,
                                                         enforce_sorted=False)
        _, h = self.rnn(packed)
        h = h[0] if self.cell == "lstm" else h
        last = torch.cat([h[-2], h[-1]], 1) if self.rnn.bidirectional else h[-1]
        return self.fc(last)


@pytest.mark.parametrize("cell,layers,bidirectional", [("lstm", 1, False), ("gru", 2, False),
                                                       ("lstm", 1, True), ("rnn", 1, False)])
def test_sentiment_rnn_matches_torch(cell, layers, bidirectional):
    vocab, emb, hidden = 30, 5, 4
    torch.manual_seed(0)
    th = TorchSentiment(vocab, emb, hidden, cell, layers, bidirectional).double()
    dg_model = SentimentRNN(vocab, emb, hidden, cell=cell, num_layers=layers,
                            bidirectional=bidirectional).double()
    assert list(dg_model.state_dict()) == list(th.state_dict())
    dg_model.load_state_dict({k: dg.tensor(v.detach().numpy().copy())
                              for k, v in th.state_dict().items()})
    rng = np.random.default_rng(0)
    lengths = np.array([3, 7, 1, 5, 7])
    ids = np.zeros((5, 9), dtype=np.int64)  # two extra padding columns
    for row, n in enumerate(lengths):
        ids[row, :n] = rng.integers(1, vocab, size=n)
    out_dg = dg_model(dg.tensor(ids))
    out_th = th(torch.tensor(ids), torch.tensor(lengths))
    np.testing.assert_allclose(out_dg.detach().numpy(), out_th.detach().numpy(), atol=1e-10)
    target = np.array([0, 1, 1, 0, 1])
    dg.nn.functional.cross_entropy(out_dg, dg.tensor(target)).backward()
    torch.nn.functional.cross_entropy(out_th, torch.tensor(target)).backward()
    th_params = dict(th.named_parameters())
    for name, p in dg_model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), th_params[name].grad.numpy(), atol=1e-10,
                                   err_msg=name)
    # explicit lengths give the same logits; extra padding changes nothing
    again = dg_model(dg.tensor(np.pad(ids, ((0, 0), (0, 4)))), dg.tensor(lengths))
    np.testing.assert_allclose(again.detach().numpy(), out_th.detach().numpy(), atol=1e-10)


def test_sentiment_rnn_errors_and_registry():
    model = get_model("sentiment_rnn", vocab_size=10, embedding_dim=3, hidden_size=2)
    assert MODELS["sentiment_rnn"] and isinstance(model, SentimentRNN)
    with pytest.raises(RuntimeError, match=r"expected token ids of shape \(N, T\)"):
        model(dg.zeros(2, 3, 4))
    with pytest.raises(RuntimeError, match="3 lengths for a batch of 2"):
        model(dg.tensor(np.ones((2, 4), dtype=np.int64)), [1, 2, 3])
    with pytest.raises(RuntimeError, match="exceeds the padded length"):
        model(dg.tensor(np.ones((2, 4), dtype=np.int64)), [5, 2])
    with pytest.raises(ValueError, match="cell must be one of"):
        SentimentRNN(10, cell="transformer")
    # an all-padding row is one padding token, not an error
    out = model(dg.tensor(np.array([[0, 0], [3, 0]])))
    assert tuple(out.shape) == (2, 2) and np.isfinite(out.detach().numpy()).all()


def test_sentiment_rnn_fits_real_sentences(train_set):
    """60 Adam steps on 32 real sentences: the LSTM memorizes them (loss → ~0)."""
    dg.manual_seed(0)
    ids, y = train_set.arrays()
    x, t = dg.tensor(ids[:32]), dg.tensor(y[:32])
    model = SentimentRNN(len(train_set.vocab), 16, 16)
    opt = dg.optim.Adam(model.parameters(), lr=0.02)
    first = None
    for _ in range(60):
        opt.zero_grad()
        loss = dg.nn.functional.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert first > 0.6 and loss.item() < 0.05
    assert (model(x).argmax(1).numpy() == y[:32]).all()


@pytest.mark.slow
def test_sentiment_example_beats_majority():
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "sentiment.py")
    spec = importlib.util.spec_from_file_location("sentiment_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    assert example.main(epochs=4, verbose=0) > 0.70
