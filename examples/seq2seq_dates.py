"""Sequence to sequence with attention: translate human-written dates to ISO 8601.

    "tuesday, 17 january 2045" → "2045-01-17",   "12/11/2044" → "2044-11-12"

Twelve written formats (``deepgrad.datasets.date_pairs``), characters in and out. A GRU
encoder reads the source; a GRU decoder with additive (Bahdanau) attention — or dot-product
attention with ``--attention dot`` — writes the date one character at a time
(``deepgrad.models.Seq2Seq``). Training uses teacher forcing (the true previous character is
fed in, cross-entropy on every output character and ``<eos>``); at test time the decoder feeds
back its own outputs, greedily (arg-max) or with beam search (``--beam``, the k most probable
prefixes). The score is exact match of the whole 10-character date on dates the model has
not seen. An attention heat map of a few test dates is written to ``--out``: the decoder
looks at the year while writing the year, at the month name while writing the month, and so
on.

Measured (2 shared CPU cores, 10,000 training pairs, batch 64, Adam 3e-3 with a cosine
schedule): additive attention, 6 epochs (364 s): exact match 1.000 greedy on 1,000 unseen dates,
1.000 with beam 3 (first 300); dot-product attention, 3 epochs (195 s): 0.984 greedy, and on
the first 300 dates 0.980 greedy vs 0.983 with beam 3.

Run:  python examples/seq2seq_dates.py [--epochs 6] [--attention additive|dot] [--beam 3]
"""

import argparse
import os
import time

import numpy as np

import deepgrad as dg
from deepgrad import optim
from deepgrad.datasets import date_pairs, date_vocabs, encode_pairs
from deepgrad.models import seq2seq
from deepgrad.nn import functional as F
from deepgrad.utils.data import DataLoader, TensorDataset


def exact_match(predictions, targets, tgt_vocab):
    texts = ["".join(tgt_vocab.decode(p)) for p in predictions]
    return float(np.mean([p == t for p, t in zip(texts, targets)])), texts


def main(epochs=6, n_train=10000, n_test=1000, attention="additive", beam=3, hidden_size=64,
         batch_size=64, lr=3e-3, out="runs/seq2seq_dates", verbose=1, n_beam_test=300):
    dg.manual_seed(0)
    src_vocab, tgt_vocab = date_vocabs()
    train_pairs = date_pairs(n_train, seed=0)
    seen = {s for s, _ in train_pairs}
    test_pairs = [p for p in date_pairs(n_test + 200, seed=1) if p[0] not in seen][:n_test]
    src, tgt_in, tgt_out = encode_pairs(train_pairs, src_vocab, tgt_vocab)
    model = seq2seq(len(src_vocab), len(tgt_vocab), embedding_dim=32, hidden_size=hidden_size,
                    attention=attention)
    V = len(tgt_vocab)

    def loss_fn(logits, target):
        return F.cross_entropy(logits.reshape(-1, V), target.reshape(-1),
                               ignore_index=tgt_vocab.pad_index)

    loader = DataLoader(TensorDataset(dg.tensor(src), dg.tensor(tgt_in), dg.tensor(tgt_out)),
                        batch_size=batch_size, shuffle=True)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    start = time.perf_counter()
    dg.train.fit(model, loader, loss=loss_fn, optimizer=optimizer, scheduler=scheduler,
                 epochs=epochs, verbose=verbose)
    seconds = time.perf_counter() - start

    test_src, _, _ = encode_pairs(test_pairs, src_vocab, tgt_vocab)
    targets = [t for _, t in test_pairs]
    model.eval()
    greedy = model.greedy_decode(dg.tensor(test_src), max_len=12)
    greedy_acc, greedy_texts = exact_match([g[0] for g in greedy], targets, tgt_vocab)
    k = n_beam_test
    beams = model.beam_decode(dg.tensor(test_src[:k]), beam_width=beam, max_len=12)
    beam_acc, _ = exact_match([b[0] for b in beams], targets[:k], tgt_vocab)
    greedy_k, _ = exact_match([g[0] for g in greedy[:k]], targets[:k], tgt_vocab)
    print(f"{attention} attention, {epochs} epochs of {len(train_pairs)} pairs in {seconds:.0f} s")
    print(f"exact match, greedy: {greedy_acc:.4f} on {len(targets)} unseen dates "
          f"({greedy_k:.4f} on the first {k})")
    print(f"exact match, beam {beam}: {beam_acc:.4f} on the first {k}")
    for (s, t), text in list(zip(test_pairs, greedy_texts))[:5]:
        print(f"  {s!r:32} → {text!r}  (target {t!r})")

    from deepgrad.viz import plot_attention

    os.makedirs(out, exist_ok=True)
    for i in range(3):
        tokens, weights = greedy[i]
        s = test_pairs[i][0]
        labels = tgt_vocab.decode(tokens) + (["<eos>"] if weights.shape[0] > len(tokens) else [])
        path = os.path.join(out, f"attention_{i}.png")
        plot_attention(weights, list(s), labels, path=path, title=f"{s} → {''.join(labels[:10])}")
        print(f"attention heat map: {path}")
    return greedy_acc, beam_acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--train", type=int, default=10000, help="training pairs")
    parser.add_argument("--attention", default="additive", choices=["additive", "dot"])
    parser.add_argument("--beam", type=int, default=3)
    parser.add_argument("--out", default="runs/seq2seq_dates")
    args = parser.parse_args()
    main(args.epochs, args.train, attention=args.attention, beam=args.beam, out=args.out)
