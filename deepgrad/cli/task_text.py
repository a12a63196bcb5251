"""``deepgrad train`` and ``deepgrad sample`` for language models (builders with
``task = "text"``: ``char_lstm``, ``char_transformer``)::

    deepgrad train char_lstm --text python-docs --epochs 5 --seq-len 64 --clip 1.0
    deepgrad sample runs/char_lstm-python-docs/model.safetensors --prompt "The " \\
        --temperature 0.8 --length 300

``--text`` names a corpus of :mod:`deepgrad.datasets.text` (``python-docs``, ``licenses``) or a
UTF-8 file. Training uses truncated BPTT over ``--seq-len`` chunks with gradient clipping at
``--clip`` and prints the perplexity per epoch and on the test part at the end. The run folder
gets ``model.safetensors`` (weights, plus metadata holding the model, its arguments and the
character vocabulary), ``checkpoint.safetensors`` (for ``--resume``), ``history.csv`` and,
with matplotlib, ``curves.png``.
"""

import inspect
import os

from deepgrad.cli.data import UsageError

__all__ = ["train", "sample"]

TASK = "text"


def _corpus_name(args):
    from deepgrad.datasets.text import CORPORA

    if getattr(args, "text", None):
        return args.text
    if args.dataset in CORPORA:
        return args.dataset
    return "python-docs"


def _label(source):
    from deepgrad.datasets.text import CORPORA

    return source if source in CORPORA else os.path.splitext(os.path.basename(source))[0]


def _model_kwargs(builder, vocab_size, seq_len, user_kwargs):
    params = inspect.signature(builder).parameters
    kwargs = {"vocab_size": vocab_size}
    if "max_len" in params:
        kwargs["max_len"] = max(seq_len, params["max_len"].default)
    kwargs.update(user_kwargs)
    unknown = [k for k in kwargs if k not in params]
    if unknown:
        raise UsageError(f"model takes no argument(s) {unknown}; it takes {list(params)}")
    if kwargs["vocab_size"] != vocab_size:
        raise UsageError(f"vocab_size is set by the text ({vocab_size} characters), not "
                         f"{kwargs['vocab_size']}")
    return kwargs


def train(args):
    """``deepgrad train`` for a language model; returns the exit status."""
    import deepgrad
    from deepgrad.cli.commands import (
        _builder,
        _make_optimizer,
        _parse_kwargs,
        plot_curves,
        run_callbacks,
        save_model,
    )
    from deepgrad.datasets.text import CharCorpus
    from deepgrad.train.language import evaluate_language_model, train_language_model

    deepgrad.manual_seed(args.seed)
    source = _corpus_name(args)
    seq_len, clip = getattr(args, "seq_len", 64), getattr(args, "clip", 1.0)
    if seq_len < 1:
        raise UsageError(f"--seq-len must be at least 1, got {seq_len}")
    clip = None if clip is not None and clip <= 0 else clip
    try:
        corpus = CharCorpus(source, max_chars=args.limit)
    except (FileNotFoundError, ValueError) as e:
        raise UsageError(str(e)) from None
    name = args.name or f"{args.model}-{_label(source)}"
    run_dir = os.path.join(args.out, name)
    os.makedirs(run_dir, exist_ok=True)

    builder = _builder(args.model)
    kwargs = _model_kwargs(builder, corpus.vocab_size, seq_len, _parse_kwargs(args.arg))
    model = builder(**kwargs)
    optimizer = _make_optimizer(args, model)
    meta = {"task": TASK, "model": args.model, "model_kwargs": kwargs,
            "dataset": _label(source), "text_source": source, "vocab": corpus.chars,
            "seq_len": seq_len}
    callbacks, resume = run_callbacks(args, run_dir)

    n_params = sum(p.numel() for p in model.parameters())
    print(f"training {args.model} ({n_params:,} parameters) on {source}: "
          f"{len(corpus.train):,} train / {len(corpus.val):,} val / {len(corpus.test):,} test "
          f"characters, vocab {corpus.vocab_size}, {args.epochs} epochs, batch "
          f"{args.batch_size} x {seq_len} steps (truncated BPTT), clip {clip}")
    val_ids = corpus.val if len(corpus.val) >= 2 * args.batch_size else None
    history = train_language_model(
        model, corpus.train, val_ids, epochs=args.epochs, batch_size=args.batch_size,
        seq_len=seq_len, optimizer=optimizer, clip=clip, callbacks=callbacks,
        verbose=2 if args.quiet else 1, steps_per_epoch=args.steps_per_epoch,
        resume_from=resume, metadata=meta)
    if history.stop_reason:
        print(history.stop_reason)
    for epoch, train_ppl, val_ppl in zip(history.epoch, history.history.get("perplexity", []),
                                         history.history.get("val_perplexity", [])):
        print(f"epoch {epoch + 1}: train perplexity {train_ppl:.3f}, val perplexity "
              f"{val_ppl:.3f}")

    if len(corpus.test) >= 2 * args.batch_size:
        result = evaluate_language_model(model, corpus.test, args.batch_size, seq_len)
        meta["test_loss"], meta["test_perplexity"] = result["loss"], result["perplexity"]
        print(f"test perplexity: {result['perplexity']:.3f} (loss {result['loss']:.4f}) on "
              f"{len(corpus.test):,} characters")
    save_model(run_dir, model, meta)
    generator = deepgrad.Generator(args.seed)
    text = corpus.decode(model.generate(corpus.encode("The "), 200, temperature=0.8,
                                        generator=generator))
    print(f"sample (temperature 0.8):\n{text}")
    if not args.no_plot:
        plot_curves(history, run_dir, f"{args.model} on {_label(source)}")
    return 0


def sample(args):
    """``deepgrad sample`` for a language model: continue ``--prompt`` by ``--length``
    characters at ``--temperature`` (and ``--top-k``); printed, and written to ``--out`` when
    that names a file other than a PNG."""
    import deepgrad
    from deepgrad.cli.commands import load_saved_model
    from deepgrad.datasets.text import UNK, CharCorpus

    model, meta = load_saved_model(args.checkpoint)
    if args.temperature < 0:
        raise UsageError(f"--temperature must be >= 0, got {args.temperature}")
    if args.top_k is not None and args.top_k < 1:
        raise UsageError(f"--top-k must be at least 1, got {args.top_k}")
    if args.length < 0:
        raise UsageError(f"--length must be >= 0, got {args.length}")
    corpus = CharCorpus.from_vocab(meta["vocab"])
    prompt = args.prompt or "\n"
    unknown = sorted({c for c in prompt if c not in corpus.stoi})
    if unknown:
        print(f"(characters not in the model's vocabulary, read as {UNK!r}: {unknown})")
    ids = model.generate(corpus.encode(prompt), args.length, temperature=args.temperature,
                         top_k=args.top_k, generator=deepgrad.Generator(args.seed))
    text = corpus.decode(ids)
    text = text[1:] if not args.prompt else text
    print(text)
    out = getattr(args, "out", None)
    if out and not out.lower().endswith(".png"):
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"(written to {out})")
    return 0
