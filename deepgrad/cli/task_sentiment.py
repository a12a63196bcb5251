"""``deepgrad train`` and ``deepgrad sample`` for sentence classifiers (builders with
``task = "sentiment"``: ``sentiment_rnn``)::

    deepgrad train sentiment_rnn --epochs 6 --arg cell=gru --arg dropout=0.5
    deepgrad sample runs/sentiment_rnn-rotten-tomatoes/model.safetensors \\
        --prompt "a gripping, beautifully acted film"

The data set is ``RottenTomatoes`` (``--dataset rotten-tomatoes``, the default for these
models; or a file in its split/label/text format): the vocabulary is built on its training
split, the validation split is scored every epoch and the test split once at the end. The run
folder gets ``model.safetensors`` (weights, plus metadata holding the model, its arguments and
the vocabulary), ``checkpoint.safetensors``, ``history.csv`` and ``curves.png``.
"""

import inspect
import os

from deepgrad.cli.data import UsageError

__all__ = ["train", "sample"]

TASK = "sentiment"
DATASET = "rotten-tomatoes"


def _dataset(args):
    from deepgrad.datasets import RottenTomatoes

    name = args.dataset if args.dataset not in (None, "digits") else DATASET
    path = None if name in (DATASET, "rotten_tomatoes") else name
    if path is not None and not os.path.isfile(path):
        raise UsageError(f"--dataset for {args.model}: {DATASET!r} or a split/label/text TSV "
                         f"file, got {name!r}")
    try:
        train_set = RottenTomatoes("train", path=path)
        sets = [train_set] + [RottenTomatoes(s, vocab=train_set.vocab, path=path)
                              for s in ("val", "test")]
    except RuntimeError as e:
        raise UsageError(str(e)) from None
    return ("rotten-tomatoes" if path is None else os.path.basename(path)), sets


def train(args):
    """``deepgrad train`` for a sentence classifier; returns the exit status."""
    import deepgrad
    from deepgrad import train as dgtrain
    from deepgrad.cli.commands import (
        _builder,
        _make_optimizer,
        _parse_kwargs,
        plot_curves,
        run_callbacks,
        save_model,
    )

    deepgrad.manual_seed(args.seed)
    label, (train_set, val_set, test_set) = _dataset(args)
    builder = _builder(args.model)
    params = inspect.signature(builder).parameters
    kwargs = {"vocab_size": len(train_set.vocab), "num_classes": len(train_set.classes)}
    kwargs.update(_parse_kwargs(args.arg))
    unknown = [k for k in kwargs if k not in params]
    if unknown:
        raise UsageError(f"model takes no argument(s) {unknown}; it takes {list(params)}")
    model = builder(**kwargs)
    run_dir = os.path.join(args.out, args.name or f"{args.model}-{label}")
    os.makedirs(run_dir, exist_ok=True)
    meta = {"task": TASK, "model": args.model, "model_kwargs": kwargs, "dataset": label,
            "vocab": train_set.vocab.itos, "class_names": list(train_set.classes)}
    callbacks, resume = run_callbacks(args, run_dir, monitor="val_accuracy")
    x, y = train_set.arrays()
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]
    n_params = sum(p.numel() for p in model.parameters())
    print(f"training {args.model} ({n_params:,} parameters) on {label}: {len(x):,} train / "
          f"{len(val_set):,} val / {len(test_set):,} test sentences, vocabulary "
          f"{len(train_set.vocab):,}, {args.epochs} epochs, batch {args.batch_size}")
    history = dgtrain.fit(model, (x, y), val_data=val_set.arrays(), loss="cross_entropy",
                          optimizer=_make_optimizer(args, model), epochs=args.epochs,
                          batch_size=args.batch_size, metrics=["accuracy"],
                          callbacks=callbacks, verbose=2 if args.quiet else 1,
                          steps_per_epoch=args.steps_per_epoch, resume_from=resume,
                          metadata=meta)
    if history.stop_reason:
        print(history.stop_reason)
    test = dgtrain.evaluate(model, test_set.arrays(), loss="cross_entropy")
    meta["test_accuracy"], meta["test_loss"] = test["accuracy"], test["loss"]
    print(f"test accuracy: {test['accuracy']:.4f} (loss {test['loss']:.4f}) on "
          f"{len(test_set):,} sentences")
    save_model(run_dir, model, meta)
    if not args.no_plot:
        plot_curves(history, run_dir, f"{args.model} on {label}")
    return 0


def sample(args):
    """``deepgrad sample`` for a sentence classifier: the class probabilities of
    ``--prompt`` (sentences separated by ``|`` are scored one by one)."""
    import deepgrad
    from deepgrad.autograd import no_grad
    from deepgrad.cli.commands import load_saved_model
    from deepgrad.datasets import Vocab, pad_ids, tokenize
    from deepgrad.ops.reduce import softmax

    model, meta = load_saved_model(args.checkpoint)
    sentences = [s.strip() for s in (args.prompt or "").split("|") if s.strip()]
    if not sentences:
        raise UsageError('give the sentence(s) to classify with --prompt "..." (several '
                         'separated by |)')
    vocab = Vocab(meta["vocab"])
    ids, lengths = pad_ids([vocab.encode(tokenize(s)) for s in sentences], vocab.pad_index)
    model.eval()
    with no_grad():
        probs = softmax(model(deepgrad.tensor(ids),
                              deepgrad.tensor(lengths)), dim=1).numpy()
    names = meta.get("class_names") or [str(i) for i in range(probs.shape[1])]
    for s, p in zip(sentences, probs):
        best = int(p.argmax())
        print(f"{names[best]} ({p[best]:.3f}): {s}   [" + ", ".join(
            f"{n} {q:.3f}" for n, q in zip(names, p)) + "]")
    return 0
