"""The subcommands of ``deepgrad``: each ``cmd_<name>(args)`` returns an exit status."""

import ast
import inspect
import os

import numpy as np

from deepgrad.cli.data import UsageError, dataset_status, load_arrays
from deepgrad.tensor import Tensor
from deepgrad.utils.data import Dataset

__all__ = ["cmd_train", "cmd_eval", "cmd_predict", "cmd_summary", "cmd_datasets", "cmd_sample"]

# Models whose builder says ``task = "text"`` or ``task = "generative"`` are trained and sampled by
# ``deepgrad/cli/task_<task>.py`` (functions ``train(args)`` and ``sample(args)``); the rest are
# classifiers, trained here.
CLASSIFY = "classify"


def _task_module(task):
    import importlib

    try:
        return importlib.import_module(f"deepgrad.cli.task_{task}")
    except ModuleNotFoundError as e:
        if e.name != f"deepgrad.cli.task_{task}":
            raise
        raise UsageError(f"no command support for models of task {task!r}") from None


def _parse_kwargs(pairs):
    kwargs = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--arg expects KEY=VALUE, got {pair!r}")
        try:
            kwargs[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            kwargs[key] = value  # a bare word such as relu
    return kwargs


def _builder(name):
    from deepgrad.models import MODELS

    if name not in MODELS:
        raise UsageError(f"unknown model {name!r}; registered models: {', '.join(sorted(MODELS))}")
    return MODELS[name]


def _model_kwargs(name, info, user_kwargs):
    """Fill the builder's data-dependent arguments (input size, classes, channels)."""
    params = inspect.signature(_builder(name)).parameters
    shape = info["input_shape"]
    kwargs = {}
    if "in_features" in params:
        kwargs["in_features"] = int(np.prod(shape))
    if "num_classes" in params:
        kwargs["num_classes"] = len(info["class_names"])
    if "in_channels" in params:
        kwargs["in_channels"] = shape[0] if len(shape) == 3 else 1
    kwargs.update(user_kwargs)
    unknown = [k for k in kwargs if k not in params
               and not any(p.kind == p.VAR_KEYWORD for p in params.values())]
    if unknown:
        raise UsageError(f"model {name!r} takes no argument(s) {unknown}; it takes "
                         f"{list(params)}")
    return kwargs


def _sample_shape(name, kwargs, info):
    """The shape one sample must have for this model: (C, H, W) for models with channels."""
    shape = list(info["input_shape"])
    if "in_channels" in kwargs and len(shape) == 2:
        shape = [1] + shape
    return shape


def _split(x, y, fraction, seed):
    n_val = int(round(len(x) * fraction))
    if n_val == 0:
        return (x, y), None
    order = np.random.default_rng(seed).permutation(len(x))
    val, train = order[:n_val], order[n_val:]
    return (x[train], y[train]), (x[val], y[val])


def _standardize(x, meta):
    return ((x - np.float32(meta["mean"])) / np.float32(meta["std"])).astype(np.float32)


def _make_optimizer(args, model):
    from deepgrad import optim

    if args.optimizer == "sgd":
        return optim.SGD(model.parameters(), lr=args.lr or 0.05, momentum=args.momentum,
                         weight_decay=args.weight_decay)
    cls = getattr(optim, {"adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}[args.optimizer])
    return cls(model.parameters(), lr=args.lr or 1e-3, weight_decay=args.weight_decay)


def _make_scheduler(args, optimizer, steps_per_epoch):
    """``--scheduler``: None, or the LRSchedulerCallback that steps it."""
    from deepgrad import optim
    from deepgrad.train.callbacks.lr_scheduler import LRSchedulerCallback

    if args.scheduler == "cosine":
        return LRSchedulerCallback(optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs))
    if args.scheduler == "onecycle":
        max_lr = optimizer.param_groups[0]["lr"]
        scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr, epochs=args.epochs,
                                                  steps_per_epoch=steps_per_epoch)
        return LRSchedulerCallback(scheduler, step_per="batch")
    return None


class AugmentedArrays(Dataset):
    """Training arrays whose images pass through ``transform`` each time they are fetched (a
    new random draw every epoch); batches are transformed whole, without a per-image loop."""

    def __init__(self, x, y, transform):
        self.x, self.y, self.transform = x, y, transform

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        return self.transform(self.x[index]), Tensor._from_op(np.asarray(self.y[index]), None)

    def _batch_fetcher(self):
        return lambda indices: [self.transform(self.x[indices]),
                                Tensor._from_op(self.y[indices], None)]


def _augmented(train_xy, spec, meta):
    """``--augment``: ``train_xy`` as a Dataset that augments (or unchanged when no spec).
    Crops pad with the background -- pixel value 0 before standardization."""
    if not spec:
        return train_xy
    from deepgrad import transforms

    x, y = train_xy
    if x.ndim != 4:
        raise UsageError(f"--augment needs images (N×C×H×W); this model takes samples of shape "
                         f"{list(x.shape[1:])}")
    background = float(_standardize(np.zeros(1, np.float32), meta)[0])
    steps = []
    for item in (s.strip() for s in spec.split(",") if s.strip()):
        name, _, value = item.partition("=")
        if name == "flip" and not value:
            steps.append(transforms.RandomHorizontalFlip())
        elif name == "crop" and (not value or value.isdigit()):
            steps.append(transforms.RandomCrop(x.shape[2:], padding=int(value or 2),
                                               fill=background))
        else:
            raise UsageError(f"--augment: unknown augmentation {item!r}; known: flip, crop, "
                             f"crop=P (padding P pixels)")
    return AugmentedArrays(x, y, transforms.Compose(steps))


def prepare_run(args):
    """Seed the generator, make ``--out/NAME``, load the data set's train split (its first
    ``--limit`` samples) and test split: ``(run_dir, (x, y), (x_test, y_test), info)``."""
    import deepgrad

    deepgrad.manual_seed(args.seed)
    run_dir = os.path.join(args.out, args.name or f"{args.model}-{args.dataset}")
    os.makedirs(run_dir, exist_ok=True)
    x, y, info = load_arrays(args.dataset, args.root, "train")
    x_test, y_test, _ = load_arrays(args.dataset, args.root, "test")
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]
    return run_dir, (x, y), (x_test, y_test), info


def run_callbacks(args, run_dir, monitor="val_loss"):
    """The callbacks every ``deepgrad train`` run gets: ``history.csv``, a training checkpoint
    after each epoch, early stopping on ``monitor`` with ``--patience`` (``monitor=None``: none),
    TensorBoard event files with ``--tensorboard``. Returns ``(callbacks, resume_path)``, the
    path being the checkpoint to continue from when ``--resume`` finds one."""
    from deepgrad import train

    ckpt_path = os.path.join(run_dir, "checkpoint.safetensors")
    callbacks = [train.CSVLogger(os.path.join(run_dir, "history.csv"), append=args.resume),
                 train.ModelCheckpoint(ckpt_path, save_best_only=False)]
    if args.patience is not None and monitor is not None:
        callbacks.insert(0, train.EarlyStopping(monitor, patience=args.patience,
                                                restore_best_weights=True))
    if args.tensorboard:
        callbacks.append(train.TensorBoardLogger(os.path.join(run_dir, "tb")))
    resume = ckpt_path if args.resume and os.path.exists(ckpt_path) else None
    if resume:
        print(f"resuming from {resume}")
    return callbacks, resume


def cmd_train(args):
    from deepgrad import train
    from deepgrad.train import _state

    task = getattr(_builder(args.model), "task", CLASSIFY)
    if task != CLASSIFY:
        given = [flag for flag, on in (("--augment", getattr(args, "augment", None)),
                                       ("--scheduler", getattr(args, "scheduler", "none")
                                        != "none")) if on]
        if given:
            raise UsageError(f"{', '.join(given)}: only for classifiers, not for "
                             f"{args.model} (task {task!r})")
        return _task_module(task).train(args)
    run_dir, (x, y), (x_test, y_test), info = prepare_run(args)
    kwargs = _model_kwargs(args.model, info, _parse_kwargs(args.arg))
    shape = _sample_shape(args.model, kwargs, info)
    meta = {"model": args.model, "model_kwargs": kwargs, "dataset": args.dataset,
            "class_names": info["class_names"], "input_shape": shape, "scale": info["scale"],
            "mean": float(x.mean()), "std": float(x.std()) or 1.0}
    x = _standardize(x, meta).reshape([-1] + shape)
    x_test = _standardize(x_test, meta).reshape([-1] + shape)
    train_xy, val_xy = _split(x, y, args.val_split, args.seed)

    model = _builder(args.model)(**kwargs)
    optimizer = _make_optimizer(args, model)
    callbacks, resume = run_callbacks(args, run_dir,
                                      monitor="val_loss" if val_xy is not None else None)
    steps = -(-len(train_xy[0]) // args.batch_size)
    scheduler = _make_scheduler(args, optimizer, min(steps, args.steps_per_epoch or steps))
    callbacks = callbacks + [scheduler] if scheduler is not None else callbacks
    train_data = _augmented(train_xy, args.augment, meta)

    n_params = sum(p.numel() for p in model.parameters())
    print(f"training {args.model} ({n_params:,} parameters) on {args.dataset}: "
          f"{len(train_xy[0])} train / {len(val_xy[0]) if val_xy else 0} val / "
          f"{len(x_test)} test samples, {args.epochs} epochs, batch {args.batch_size}"
          + (f", {args.scheduler} lr" if scheduler is not None else "")
          + (f", augment {args.augment}" if args.augment else ""))
    history = train.fit(model, train_data, val_data=val_xy, loss="cross_entropy",
                        optimizer=optimizer, epochs=args.epochs, metrics=["accuracy"],
                        callbacks=callbacks, batch_size=args.batch_size,
                        verbose=2 if args.quiet else 1, resume_from=resume, metadata=meta,
                        steps_per_epoch=args.steps_per_epoch)
    if history.stop_reason:
        print(history.stop_reason)

    result = train.evaluate(model, (x_test, y_test), loss="cross_entropy",
                            metrics=["accuracy", "f1", "confusion_matrix"])
    meta["test_accuracy"] = result["accuracy"]
    model_path = os.path.join(run_dir, "model.safetensors")
    _state.save_weights(model_path, model, meta)
    print(f"test accuracy: {result['accuracy']:.4f} (loss {result['loss']:.4f}, macro F1 "
          f"{result['f1']:.4f}) on {len(x_test)} samples")
    print(f"saved {model_path}, {os.path.join(run_dir, 'history.csv')}")
    if not args.no_plot:
        try:
            from deepgrad import viz

            viz.plot_history(history, os.path.join(run_dir, "curves.png"),
                             title=f"{args.model} on {args.dataset}")
            viz.plot_confusion_matrix(result["confusion_matrix"], info["class_names"],
                                      path=os.path.join(run_dir, "confusion_matrix.png"))
            print(f"plots: {os.path.join(run_dir, 'curves.png')}, "
                  f"{os.path.join(run_dir, 'confusion_matrix.png')}")
            if args.plots:
                predicted = train.predict(model, x_test).numpy().argmax(axis=1)
                written = viz.plot_what_it_learned(model, x_test, y_test, predicted, args.plots,
                                                   class_names=info["class_names"],
                                                   image_shape=shape[-2:])
                print(f"what it learned: {', '.join(written)}")
        except ImportError:
            print("(matplotlib not installed: no plots; pip install 'deepgrad[plot]')")
    return 0


def _read_checkpoint(path):
    """``(state_dict, metadata)`` of a model file written by ``deepgrad train``."""
    from deepgrad.train import _state

    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path}")
    try:
        state, meta = _state.load_weights(path)
    except Exception as e:  # safetensors raises its own error types for a damaged file
        raise UsageError(f"{path} is not a readable deepgrad model file ({e}); retrain it with "
                         f"`deepgrad train`") from None
    if not meta or "model" not in meta:
        raise UsageError(f"{path} has no deepgrad model metadata (was it written by "
                         f"`deepgrad train`?)")
    return state, meta


def _classifier_only(meta, path, command):
    task = meta.get("task", CLASSIFY)
    if task != CLASSIFY:
        raise UsageError(f"{path} holds a {task} model ({meta['model']}); `deepgrad {command}` "
                         f"is for classifiers: use `deepgrad sample {path}`")


def load_saved_model(path, command=None):
    """``(model in eval mode, metadata)`` from a model file written by ``deepgrad train``;
    ``command`` (``'eval'``, ``'predict'``) accepts classifiers only."""
    state, meta = _read_checkpoint(path)
    if command is not None:
        _classifier_only(meta, path, command)
    model = _builder(meta["model"])(**meta["model_kwargs"])
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise UsageError(f"{path} does not fit {meta['model']}({meta['model_kwargs']}): "
                         f"{e}") from None
    model.eval()
    return model, meta


def save_model(run_dir, model, meta):
    """Write ``run_dir/model.safetensors`` (weights + the metadata that rebuilds the model)."""
    from deepgrad.train import _state

    path = os.path.join(run_dir, "model.safetensors")
    _state.save_weights(path, model, meta)
    print(f"saved {path}, {os.path.join(run_dir, 'history.csv')}")
    return path


def plot_curves(history, run_dir, title):
    """``run_dir/curves.png`` of the history's losses and metrics (None without matplotlib)."""
    try:
        from deepgrad import viz

        path = os.path.join(run_dir, "curves.png")
        viz.plot_history(history, path, title=title)
    except ImportError:
        print("(matplotlib not installed: no curves plot; pip install 'deepgrad[plot]')")
        return None
    print(f"plots: {path}")
    return path



def cmd_eval(args):
    from deepgrad import train

    model, meta = load_saved_model(args.checkpoint, "eval")
    dataset = args.dataset or meta["dataset"]
    x, y, info = load_arrays(dataset, args.root, "test")
    x = _standardize(x, meta).reshape([-1] + list(meta["input_shape"]))
    result = train.evaluate(model, (x, y), loss="cross_entropy",
                            metrics=["accuracy", "top3_accuracy", "f1", "confusion_matrix"],
                            batch_size=args.batch_size)
    print(f"{meta['model']} on {dataset} test split ({len(x)} samples): "
          f"accuracy {result['accuracy']:.4f}, top-3 {result['top3_accuracy']:.4f}, "
          f"macro F1 {result['f1']:.4f}, loss {result['loss']:.4f}")
    if args.confusion:
        cm = result["confusion_matrix"]
        names = meta.get("class_names") or [str(i) for i in range(len(cm))]
        width = max(5, max(len(n) for n in names))
        print("true \\ predicted")
        print(" " * width + " ".join(f"{i:>5}" for i in range(len(cm))))
        for name, row in zip(names, cm):
            print(f"{name:>{width}}" + " ".join(f"{v:>5}" for v in row))
    return 0


def cmd_predict(args):
    import deepgrad
    from deepgrad.cli.image_io import read_png, to_model_input

    model, meta = load_saved_model(args.checkpoint, "predict")
    names = meta.get("class_names")
    invert = {"auto": "auto", "yes": True, "no": False}[args.invert]
    for path in args.images:
        if not os.path.exists(path):
            raise FileNotFoundError(f"no such image: {path}")
        sample = to_model_input(read_png(path), meta["input_shape"], invert)
        x = _standardize(sample, meta)[None]
        with deepgrad.no_grad():
            probs = model(deepgrad.from_numpy(x)).softmax(1).numpy()[0]
        top = np.argsort(-probs)[:args.top]
        label = lambda i: names[i] if names else str(i)  # noqa: E731
        ranked = ", ".join(f"{label(i)} {probs[i]:.3f}" for i in top)
        print(f"{path}: {label(top[0])}  ({ranked})")
    return 0


def cmd_summary(args):
    import deepgrad
    from deepgrad.models import MODELS, model_input_dtype, model_input_size
    from deepgrad.train import summary

    if args.model is None:
        print("registered models: " + ", ".join(sorted(MODELS)))
        return 0
    kwargs = _parse_kwargs(args.arg)
    model = _builder(args.model)(**kwargs)
    if args.input_size:
        size = tuple(int(s) for s in args.input_size.split(","))
    else:
        size = model_input_size(args.model, **kwargs)
        if size is None:
            raise UsageError(f"model {args.model!r} does not declare its input size; pass "
                             f"--input-size, e.g. 3,224,224")
    dtype = model_input_dtype(args.model)
    summary(model, size, dtypes=[getattr(deepgrad, dtype)] if dtype else None)
    return 0


def cmd_sample(args):
    """Generate from a saved text or generative model (the task module does the work)."""
    _, meta = _read_checkpoint(args.checkpoint)
    task = meta.get("task", CLASSIFY)
    if task == CLASSIFY:
        raise UsageError(f"{args.checkpoint} holds a classifier ({meta['model']}), which does "
                         f"not generate; use `deepgrad predict` or `deepgrad eval`")
    return _task_module(task).sample(args)


def cmd_datasets(args):
    print(f"{'name':<15}{'here?':<7}details")
    for name, available, detail in dataset_status(args.root):
        print(f"{name:<15}{'yes' if available else 'no':<7}{detail}")
    print("\ntrain with: deepgrad train mlp --dataset NAME")
    return 0

