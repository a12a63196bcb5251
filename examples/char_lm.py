"""Character-level language models (the course's many-to-many task): an LSTM and a small
Transformer learn to predict the next character of the Python documentation.

* Text: CPython's reference-manual topics (``pydoc_data.topics``, shipped in the standard
  library, PSF licence), ~465 K characters; the first 90% trains, the next 5% validates, the
  last 5% tests. The vocabulary (~100 characters) comes from the training part.
* Truncated BPTT: the text is laid out as ``--batch-size`` parallel streams and cut into chunks
  of ``--seq-len`` characters; the LSTM's hidden state flows from one chunk to the next but is
  detached, so gradients go back at most ``--seq-len`` steps. Gradients are clipped to norm 1.
* Perplexity = exp(mean cross-entropy per character), printed per epoch on validation data.
* Samples: the prompt "The " continued at temperature 0.8, one character at a time.

Run:  python examples/char_lm.py [--model lstm|transformer|both] [--epochs 2] [--limit N]
(The same as:  deepgrad train char_lstm --text python-docs --epochs 2, then
               deepgrad sample runs/char_lstm-python-docs/model.safetensors --prompt "The ")
"""

import argparse
import time

import deepgrad
from deepgrad import optim
from deepgrad.datasets.text import CharCorpus
from deepgrad.models.language import CharLSTM, CharTransformer
from deepgrad.train.language import evaluate_language_model, train_language_model


def build(kind, vocab_size, seq_len):
    if kind == "lstm":
        return CharLSTM(vocab_size, embedding_dim=32, hidden_size=256), 3e-3
    return CharTransformer(vocab_size, d_model=128, nhead=4, num_layers=2, dim_feedforward=256,
                           dropout=0.0, max_len=seq_len), 3e-3


def main(models=("lstm", "transformer"), epochs=2, batch_size=32, seq_len=64, limit=None,
         text="python-docs", steps_per_epoch=None, sample_length=300, verbose=2):
    corpus = CharCorpus(text, max_chars=limit)
    print(corpus)
    results = {}
    for kind in models:
        deepgrad.manual_seed(0)
        model, lr = build(kind, corpus.vocab_size, seq_len)
        n_params = sum(p.numel() for p in model.parameters())
        print(f"\n{type(model).__name__}: {n_params:,} parameters, Adam lr {lr}, batch "
              f"{batch_size} x {seq_len} characters, clip 1.0")
        start = time.perf_counter()
        history = train_language_model(model, corpus.train, corpus.val, epochs=epochs,
                                       batch_size=batch_size, seq_len=seq_len, clip=1.0,
                                       optimizer=optim.Adam(model.parameters(), lr=lr),
                                       verbose=verbose, steps_per_epoch=steps_per_epoch)
        seconds = time.perf_counter() - start
        for epoch, ppl in enumerate(history["val_perplexity"]):
            print(f"epoch {epoch + 1}: val perplexity {ppl:.3f}")
        test = evaluate_language_model(model, corpus.test, batch_size, seq_len)
        print(f"test perplexity {test['perplexity']:.3f} ({seconds:.0f} s of training)")
        for temperature in (0.5, 0.8):
            ids = model.generate(corpus.encode("The "), sample_length, temperature=temperature,
                                 generator=deepgrad.Generator(1))
            print(f"--- sample, temperature {temperature} ---\n{corpus.decode(ids)}\n---")
        results[kind] = {"val_perplexity": history["val_perplexity"],
                         "test_perplexity": test["perplexity"], "seconds": seconds}
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["lstm", "transformer", "both"], default="both")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--limit", type=int, default=None, help="use the first N characters")
    parser.add_argument("--text", default="python-docs", help="python-docs, licenses or a file")
    parser.add_argument("--steps-per-epoch", type=int, default=None)
    parser.add_argument("--sample-length", type=int, default=300)
    args = parser.parse_args()
    chosen = ("lstm", "transformer") if args.model == "both" else (args.model,)
    main(chosen, args.epochs, args.batch_size, args.seq_len, args.limit, args.text,
         args.steps_per_epoch, args.sample_length)
