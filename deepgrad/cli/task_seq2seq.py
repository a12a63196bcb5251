"""``deepgrad train`` and ``deepgrad sample`` for sequence-to-sequence models (builders with
``task = "seq2seq"``: ``seq2seq``), on the date-format transduction::

    deepgrad train seq2seq --epochs 6 --arg attention=dot
    deepgrad sample runs/seq2seq-dates/model.safetensors --prompt "12 March 2021" \\
        --top-k 3 --out attention.png

Training: ``--limit`` generated (human date, ISO date) pairs (10,000 by default,
``deepgrad.datasets.date_pairs``) with teacher forcing; the score is exact match on 1,000
other dates (fewer with a small ``--limit``), greedy and with beam search (width 3, on the
first 200). ``sample`` decodes ``--prompt`` (dates
separated by ``|``) greedily and, with ``--top-k K``, with a beam of width K; ``--out x.png``
saves the attention heat map of the first one. The run folder gets ``model.safetensors``
(weights and both character vocabularies in its metadata), ``checkpoint.safetensors``,
``history.csv`` and ``attention.png``.
"""

import inspect
import os

from deepgrad.cli.data import UsageError

__all__ = ["train", "sample"]

TASK = "seq2seq"


def _exact(model, src, targets, tgt_vocab, beam_width=None):
    import deepgrad

    if beam_width:
        out = [b[0] for b in model.beam_decode(deepgrad.tensor(src), beam_width, max_len=12)]
    else:
        out = [g[0] for g in model.greedy_decode(deepgrad.tensor(src), max_len=12)]
    return sum("".join(tgt_vocab.decode(o)) == t for o, t in zip(out, targets)) / len(targets)


def train(args):
    """``deepgrad train`` for a seq2seq model on dates; returns the exit status."""
    import deepgrad
    from deepgrad import train as dgtrain
    from deepgrad.cli.commands import (
        _builder,
        _make_optimizer,
        _parse_kwargs,
        run_callbacks,
        save_model,
    )
    from deepgrad.datasets import date_pairs, date_vocabs, encode_pairs
    from deepgrad.nn import functional as F
    from deepgrad.utils.data import DataLoader, TensorDataset

    if args.dataset not in (None, "digits", "dates"):
        raise UsageError(f"{args.model} learns the 'dates' transduction, not {args.dataset!r}")
    deepgrad.manual_seed(args.seed)
    src_vocab, tgt_vocab = date_vocabs()
    builder = _builder(args.model)
    params = inspect.signature(builder).parameters
    kwargs = {"src_vocab_size": len(src_vocab), "tgt_vocab_size": len(tgt_vocab)}
    kwargs.update(_parse_kwargs(args.arg))
    unknown = [k for k in kwargs if k not in params]
    if unknown:
        raise UsageError(f"model takes no argument(s) {unknown}; it takes {list(params)}")
    model = builder(**kwargs)
    pairs = date_pairs(args.limit or 10000, seed=args.seed)
    seen = {s for s, _ in pairs}
    n_test = 1000 if not args.limit else min(1000, max(20, args.limit // 5))
    test_pairs = [p for p in date_pairs(n_test + 200, seed=args.seed + 1)
                  if p[0] not in seen][:n_test]
    n_beam = min(200, n_test)
    src, tgt_in, tgt_out = encode_pairs(pairs, src_vocab, tgt_vocab)
    run_dir = os.path.join(args.out, args.name or f"{args.model}-dates")
    os.makedirs(run_dir, exist_ok=True)
    meta = {"task": TASK, "model": args.model, "model_kwargs": kwargs, "dataset": "dates",
            "src_vocab": src_vocab.itos, "tgt_vocab": tgt_vocab.itos}
    V, pad = len(tgt_vocab), tgt_vocab.pad_index

    def loss(logits, target):
        return F.cross_entropy(logits.reshape(-1, V), target.reshape(-1), ignore_index=pad)

    callbacks, resume = run_callbacks(args, run_dir, monitor=None)
    loader = DataLoader(TensorDataset(deepgrad.tensor(src), deepgrad.tensor(tgt_in),
                                      deepgrad.tensor(tgt_out)),
                        batch_size=args.batch_size, shuffle=True)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"training {args.model} ({n_params:,} parameters) on {len(pairs):,} date pairs, "
          f"{args.epochs} epochs, batch {args.batch_size} (teacher forcing)")
    history = dgtrain.fit(model, loader, loss=loss, optimizer=_make_optimizer(args, model),
                          epochs=args.epochs, callbacks=callbacks,
                          verbose=2 if args.quiet else 1, steps_per_epoch=args.steps_per_epoch,
                          resume_from=resume, metadata=meta)
    if history.stop_reason:
        print(history.stop_reason)
    model.eval()
    test_src, _, _ = encode_pairs(test_pairs, src_vocab, tgt_vocab)
    targets = [t for _, t in test_pairs]
    meta["test_exact_match_greedy"] = _exact(model, test_src, targets, tgt_vocab)
    meta["test_exact_match_beam3"] = _exact(model, test_src[:n_beam], targets[:n_beam],
                                            tgt_vocab, 3)
    print(f"exact match on {len(targets)} unseen dates: greedy "
          f"{meta['test_exact_match_greedy']:.4f}; beam 3 (first {n_beam}) "
          f"{meta['test_exact_match_beam3']:.4f}")
    save_model(run_dir, model, meta)
    if not args.no_plot:
        try:
            _heat_map(model, test_pairs[0][0], src_vocab, tgt_vocab,
                      os.path.join(run_dir, "attention.png"))
        except ImportError:
            print("(matplotlib not installed: no heat map; pip install 'deepgrad[plot]')")
    return 0


def _heat_map(model, text, src_vocab, tgt_vocab, path):
    import deepgrad
    from deepgrad.datasets import pad_ids
    from deepgrad.viz import plot_attention

    ids, _ = pad_ids([src_vocab.encode(list(text))], src_vocab.pad_index)
    tokens, weights = model.greedy_decode(deepgrad.tensor(ids), max_len=12)[0]
    labels = tgt_vocab.decode(tokens) + (["<eos>"] if weights.shape[0] > len(tokens) else [])
    plot_attention(weights, list(text), labels, path=path,
                   title=f"{text} → {''.join(tgt_vocab.decode(tokens))}")
    print(f"attention heat map: {path}")


def sample(args):
    """``deepgrad sample`` for a seq2seq model: decode each ``--prompt`` date."""
    import deepgrad
    from deepgrad.cli.commands import load_saved_model
    from deepgrad.datasets import Vocab, pad_ids

    model, meta = load_saved_model(args.checkpoint)
    texts = [s.strip() for s in (args.prompt or "").split("|") if s.strip()]
    if not texts:
        raise UsageError('give the date(s) to translate with --prompt "12 March 2021" (several '
                         'separated by |)')
    if args.top_k is not None and args.top_k < 1:
        raise UsageError(f"--top-k (the beam width) must be at least 1, got {args.top_k}")
    src_vocab, tgt_vocab = Vocab(meta["src_vocab"]), Vocab(meta["tgt_vocab"])
    unknown = sorted({c for t in texts for c in t if c not in src_vocab})
    if unknown:
        print(f"(characters not in the model's vocabulary, read as '<unk>': {unknown})")
    ids, _ = pad_ids([src_vocab.encode(list(t)) for t in texts], src_vocab.pad_index)
    model.eval()
    greedy = model.greedy_decode(deepgrad.tensor(ids), max_len=12)
    beams = model.beam_decode(deepgrad.tensor(ids), args.top_k, max_len=12) if args.top_k \
        else None
    for i, text in enumerate(texts):
        line = f"{text!r} → greedy {''.join(tgt_vocab.decode(greedy[i][0]))!r}"
        if beams:
            tokens, _, log_prob = beams[i]
            line += (f", beam {args.top_k} {''.join(tgt_vocab.decode(tokens))!r} "
                     f"(log p = {log_prob:.3f})")
        print(line)
    out = getattr(args, "out", None)
    if out and out.lower().endswith(".png") and out != "samples.png":
        _heat_map(model, texts[0], src_vocab, tgt_vocab, out)
    return 0
