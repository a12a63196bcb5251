"""A many-to-one recurrent classifier: token ids → one label per sequence (e.g. sentiment).

    e_t = E[x_t]                                  (Embedding, <pad> row fixed at 0)
    h_t = LSTM(e_t, h_{t−1})  (or GRU / RNN)      run only over each sequence's real tokens
    logits = W · dropout(h_{L_i}) + b             (the state after the last real token)

Sequences of different lengths share one batch by right-padding; the lengths (taken from the
padding when not given) go to ``pack_padded_sequence``, so the recurrence stops at each
sequence's own end and the padding never reaches the classifier. A bidirectional RNN
concatenates the forward state after the last token with the backward state after the first.
"""

import numpy as np

from deepgrad import nn
from deepgrad.nn.utils.rnn import pack_padded_sequence
from deepgrad.tensor import Tensor

__all__ = ["SentimentRNN", "sentiment_rnn"]

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class SentimentRNN(nn.Module):
    """Embedding → (packed) LSTM/GRU/RNN → Linear on the final hidden state.

    Args: vocab_size, embedding_dim=64, hidden_size=64, num_classes=2, cell ('lstm', 'gru' or
    'rnn'), num_layers=1, bidirectional=False, dropout=0.0 (on the embeddings, between layers
    and before the classifier), padding_idx=0.

    forward(ids (N, T) int64 right-padded with ``padding_idx``, lengths=None (N,)) → logits
    (N, num_classes). Without ``lengths`` they are counted as the non-padding ids per row (an
    all-padding row counts as length 1: its state is that of one padding token).
    """

    def __init__(self, vocab_size, embedding_dim=64, hidden_size=64, num_classes=2, cell="lstm",
                 num_layers=1, bidirectional=False, dropout=0.0, padding_idx=0):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"SentimentRNN: cell must be one of {sorted(_CELLS)}, got {cell!r}")
        self.vocab_size, self.padding_idx, self.cell = vocab_size, padding_idx, cell
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.rnn = _CELLS[cell](embedding_dim, hidden_size, num_layers=num_layers,
                                batch_first=True, bidirectional=bidirectional,
                                dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def lengths_of(self, ids):
        """Real tokens per row of a right-padded batch (at least 1)."""
        data = ids._data if isinstance(ids, Tensor) else np.asarray(ids)
        return np.maximum((data != self.padding_idx).sum(axis=1), 1).astype(np.int64)

    def forward(self, ids, lengths=None):
        if ids.ndim != 2 or ids.dtype.kind not in "iu":
            raise RuntimeError(f"{self._describe()}: expected token ids of shape (N, T) and an "
                               f"integer dtype, got {ids.dtype} {tuple(ids.shape)}")
        if lengths is None:
            lengths = self.lengths_of(ids)
        else:
            lengths = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths,
                                 dtype=np.int64).reshape(-1)
            if lengths.shape[0] != ids.shape[0]:
                raise RuntimeError(f"{self._describe()}: {lengths.shape[0]} lengths for a batch "
                                   f"of {ids.shape[0]} sequences (ids {tuple(ids.shape)})")
            lengths = np.maximum(lengths, 1)
        longest = int(lengths.max())
        if longest > ids.shape[1]:
            raise RuntimeError(f"{self._describe()}: a length {longest} exceeds the padded "
                               f"length of ids {tuple(ids.shape)}")
        if longest < ids.shape[1]:
            ids = ids[:, :longest]  # the batch's own padding only
        embedded = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        _, hidden = self.rnn(packed)
        h_n = hidden[0] if self.cell == "lstm" else hidden
        if self.rnn.bidirectional:
            from deepgrad.ops.shape import cat

            last = cat([h_n[-2], h_n[-1]], dim=1)
        else:
            last = h_n[-1]
        return self.fc(self.dropout(last))


def sentiment_rnn(vocab_size=20000, embedding_dim=64, hidden_size=64, num_classes=2, cell="lstm",
                  num_layers=1, bidirectional=False, dropout=0.0, padding_idx=0):
    """:class:`SentimentRNN` (Embedding → LSTM/GRU over packed sequences → Linear)."""
    return SentimentRNN(vocab_size, embedding_dim, hidden_size, num_classes, cell, num_layers,
                        bidirectional, dropout, padding_idx)


sentiment_rnn.task = "sentiment"  # `deepgrad train/sample` via deepgrad/cli/task_sentiment.py
