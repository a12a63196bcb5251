"""``deepgrad train`` and ``deepgrad sample`` for generative models (autoencoders, VAEs, GANs,
CycleGAN, diffusion): every model whose builder says ``task = "generative"``.

Such a model follows the protocol of :mod:`deepgrad.train.generative` (``configure_optimizers``,
``train_step``, optional ``evaluate_step``, ``sample``), so one recipe trains them all:

    deepgrad train vae --dataset fashion-mnist --epochs 10      runs/vae-fashion-mnist/
    deepgrad sample runs/vae-fashion-mnist/model.safetensors --n 64 --out grid.png
    deepgrad sample runs/cgan-fashion-mnist/model.safetensors --label 7 --out boots.png

The run folder gets ``model.safetensors`` (weights + the metadata that rebuilds the model),
``history.csv``, ``checkpoint.safetensors`` (the training state after the last epoch, which
``--resume`` continues from: the resumed run ends with an uninterrupted run's weights),
``samples.png`` and, with matplotlib, ``curves.png`` (both players' losses for a GAN).
``--patience N`` stops when the model's ``monitor`` loss (``val_loss`` with a validation split,
``loss`` without; CycleGAN's ``cycle``) has not improved for N epochs and restores the best
weights; GANs declare none (their losses measure the game, not the samples).
"""

import inspect
import os

import numpy as np

from deepgrad.cli.data import UsageError

__all__ = ["train", "sample"]

TASK = "generative"


def _images(x, shape):
    """N×C×H×W from load_arrays' natural shape ((H, W) samples get one channel)."""
    return x.reshape((len(x),) + tuple(shape))


def _image_shape(info):
    shape = list(info["input_shape"])
    return [1] + shape if len(shape) == 2 else shape


def _model_kwargs(builder, shape, n_classes, user_kwargs):
    params = inspect.signature(builder).parameters
    kwargs = {}
    if "in_channels" in params:
        kwargs["in_channels"] = shape[0]
    if "image_size" in params:
        if shape[1] != shape[2]:
            raise UsageError(f"generative models take square images, this data set has "
                             f"{shape[1]}x{shape[2]}")
        kwargs["image_size"] = shape[1]
    # a class count is filled in for models that always condition on the label (an int
    # default); where conditioning is optional (default None) it stays the user's choice
    if "num_classes" in params and params["num_classes"].default is not None:
        kwargs["num_classes"] = n_classes
    kwargs.update(user_kwargs)
    takes_any = any(p.kind == p.VAR_KEYWORD for p in params.values())
    unknown = [k for k in kwargs if k not in params and not takes_any]
    if unknown:
        raise UsageError(f"model takes no argument(s) {unknown}; it takes {list(params)}")
    return kwargs


def _mean_evaluation(model, x, y, batch_size):
    """The batch-size-weighted mean of ``model.evaluate_step`` over ``(x, y)``."""
    import deepgrad

    totals, count = {}, 0
    for start in range(0, len(x), batch_size):
        xb = deepgrad.from_numpy(x[start:start + batch_size])
        yb = deepgrad.from_numpy(y[start:start + batch_size])
        numbers = model.evaluate_step(xb, yb)
        for key, value in numbers.items():
            totals[key] = totals.get(key, 0.0) + float(value) * len(xb)
        count += len(xb)
    return {key: value / count for key, value in totals.items()}


def _labels_for(n, labels, n_classes):
    """``n`` labels cycling through the requested ones (or through every class)."""
    if labels:
        bad = [k for k in labels if not 0 <= k < n_classes]
        if bad:
            raise UsageError(f"--label {bad} out of range: this model has {n_classes} classes "
                             f"(0..{n_classes - 1})")
        pool = list(labels)
    else:
        pool = list(range(n_classes))
    return [pool[i % len(pool)] for i in range(n)]


def _generate(model, n, labels, args):
    """``model.sample`` with what the command line asked for; a NumPy N×C×H×W array."""
    params = inspect.signature(model.sample).parameters
    kwargs = dict(getattr(model, "sample_defaults", {}))  # e.g. DDPM: DDIM in 50 steps
    if labels is not None:
        kwargs["labels"] = labels
    for name in ("sampler", "steps"):
        value = getattr(args, name, None)
        if value is not None:
            if name not in params:
                raise UsageError(f"--{name} does not apply to {type(model).__name__}")
            kwargs[name] = value
    if getattr(args, "sampler", None) is not None and getattr(args, "steps", None) is None:
        kwargs.pop("steps", None)  # another sampler: its own default number of steps
    out = model.sample(n, **kwargs)
    return np.asarray(out.numpy() if hasattr(out, "numpy") else out, dtype=np.float32)


def _write_grid(images, path):
    from deepgrad.cli.image_io import write_png
    from deepgrad.viz import make_grid

    nrow = int(np.ceil(np.sqrt(len(images))))
    return write_png(path, make_grid(np.clip(images, 0.0, 1.0), nrow=nrow))


def _is_conditional(model, meta):
    return "labels" in inspect.signature(model.sample).parameters and bool(
        meta.get("model_kwargs", {}).get("num_classes"))


def _monitor(model, validating, patience):
    """The logged value early stopping watches, or None (no ``--patience``)."""
    if patience is None:
        return None
    name = getattr(model, "monitor", "loss")
    if name is None:
        raise UsageError(f"--patience does not apply to {type(model).__name__}: its losses "
                         f"measure the game between the players, not sample quality, so there "
                         f"is no loss to stop on; train a fixed number of --epochs")
    return f"val_{name}" if validating else name


def train(args):
    """``deepgrad train`` for a generative model; returns the exit status."""
    import deepgrad
    from deepgrad import train as dgtrain
    from deepgrad.cli.commands import (
        _builder,
        _parse_kwargs,
        _split,
        plot_curves,
        prepare_run,
        run_callbacks,
        save_model,
    )

    if args.plots:
        raise UsageError(f"--plots is for classifiers (filters, feature maps, confusion); "
                         f"{args.model} writes samples.png and curves.png")
    run_dir, (x, y), (x_test, y_test), info = prepare_run(args)
    shape = _image_shape(info)
    x, x_test = _images(x, shape), _images(x_test, shape)
    builder = _builder(args.model)
    kwargs = _model_kwargs(builder, shape, len(info["class_names"]), _parse_kwargs(args.arg))
    model = builder(**kwargs)
    meta = {"task": TASK, "model": args.model, "model_kwargs": kwargs, "dataset": args.dataset,
            "class_names": info["class_names"], "input_shape": shape}
    train_xy, val_xy = _split(x, y, args.val_split, args.seed)
    can_evaluate = hasattr(model, "evaluate_step")

    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)  # not an EMA copy
    print(f"training {args.model} ({n_params:,} parameters) on {args.dataset}: "
          f"{len(train_xy[0])} train / {len(val_xy[0]) if val_xy else 0} val images of "
          f"{'x'.join(map(str, shape))}, {args.epochs} epochs, batch {args.batch_size}")
    validating = can_evaluate and val_xy is not None
    callbacks, resume = run_callbacks(args, run_dir,
                                      monitor=_monitor(model, validating, args.patience))
    history = dgtrain.fit_generative(
        model, train_xy, val_data=val_xy if validating else None, epochs=args.epochs,
        batch_size=args.batch_size, lr=args.lr, callbacks=callbacks,
        verbose=2 if args.quiet else 1, steps_per_epoch=args.steps_per_epoch, metadata=meta,
        resume_from=resume)
    if history.stop_reason:
        print(history.stop_reason)

    if can_evaluate:
        result = _mean_evaluation(model, x_test, y_test, 256)
        meta["test"] = result
        print("test: " + ", ".join(f"{k} {v:.4f}" for k, v in result.items())
              + f" on {len(x_test)} images")
    save_model(run_dir, model, meta)

    deepgrad.manual_seed(args.seed)
    n_classes = len(info["class_names"])
    labels = _labels_for(64, None, n_classes) if _is_conditional(model, meta) else None
    grid = _write_grid(_generate(model, 64, labels, args), os.path.join(run_dir, "samples.png"))
    print(f"samples: {grid}")
    if not args.no_plot:
        plot_curves(history, run_dir, f"{args.model} on {args.dataset}")
    return 0


def sample(args):
    """``deepgrad sample`` for a generative model: a grid of ``--n`` images in ``--out``."""
    import deepgrad
    from deepgrad.cli.commands import load_saved_model

    model, meta = load_saved_model(args.checkpoint)
    if args.n < 1:
        raise UsageError(f"--n must be at least 1, got {args.n}")
    n_classes = len(meta.get("class_names") or [])
    conditional = _is_conditional(model, meta)
    if args.label and not conditional:
        raise UsageError(f"{meta['model']} is not class-conditional: --label does not apply")
    labels = _labels_for(args.n, args.label, n_classes) if conditional else None
    deepgrad.manual_seed(args.seed)
    path = _write_grid(_generate(model, args.n, labels, args), args.out)
    what = f" of classes {sorted(set(labels))}" if labels is not None else ""
    print(f"wrote {args.n} samples{what} from {meta['model']} to {path}")
    return 0
