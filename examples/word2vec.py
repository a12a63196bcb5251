"""Word embeddings: skip-gram with negative sampling on the Python documentation text.

Every word gets a vector v (as a centre word) and u (as a context word); for each word c, a word
o seen within a few positions of it and 5 noise words k drawn ∝ count^0.75, training lowers

    −log σ(u_o · v_c) − Σ_k log σ(−u_k · v_c)

so words used in the same contexts get similar v. The script prints the nearest neighbours of
a few words by cosine similarity (expect "true" next to "false", "string" next to "str",
"dictionary" next to "dict", "exception" next to "handler"/"traceback").

Text: CPython's reference-manual topics (``pydoc_data.topics``, in the standard library;
~64 K words, 1.3 K of them seen ≥ 5 times). About 10 s per epoch on one core.

Run:  python examples/word2vec.py [--epochs 5] [--dim 64] [--text python-docs|licenses|FILE]
"""

import argparse
import time

import deepgrad
from deepgrad.datasets.text import load_text, words
from deepgrad.models.word2vec import nearest_neighbors
from deepgrad.train.language import train_word2vec

QUERIES = ["true", "string", "dictionary", "exception", "integer", "class", "loop", "list"]


def main(text="python-docs", epochs=5, dim=64, window=5, queries=None, seed=0, subsample=1e-4,
         lr=1e-2, verbose=1):
    tokens = words(load_text(text))
    start = time.perf_counter()
    model, vocab, history = train_word2vec(tokens, embedding_dim=dim, window=window, epochs=epochs,
                                           subsample_t=subsample or None, lr=lr,
                                           generator=deepgrad.Generator(seed), verbose=verbose)
    print(f"{len(tokens):,} words, vocabulary {len(vocab):,} (min count 5), {epochs} epochs in "
          f"{time.perf_counter() - start:.1f} s; final loss {history[-1]:.4f}")
    embeddings = model.embeddings()
    neighbours = {}
    for word in queries or QUERIES:
        if word not in vocab.stoi:
            print(f"{word}: not in the vocabulary")
            continue
        neighbours[word] = nearest_neighbors(embeddings, vocab.words, word, k=6)
        shown = ", ".join(f"{w} {s:.2f}" for w, s in neighbours[word])
        print(f"{word:>12}: {shown}")
    return neighbours


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", default="python-docs")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--words", nargs="*", default=None, help="words to show neighbours of")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--subsample", type=float, default=1e-4,
                        help="frequent-word subsampling threshold t (0 = off; default 1e-4)")
    parser.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate")
    args = parser.parse_args()
    main(args.text, args.epochs, args.dim, args.window, args.words, args.seed, args.subsample,
         args.lr)
