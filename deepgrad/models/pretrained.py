"""Pretrained weights into zoo models, and a small transfer-learning experiment.

The zoo's models lay out their modules exactly as torchvision does, so a torchvision state_dict
loads key for key: ``conv1.weight, bn1.running_mean, layer2.0.downsample.0.weight, fc.bias``
(ResNet), ``features.N.*, classifier.N.*`` (VGG, AlexNet). ``load_pretrained`` accepts such a
state_dict as a file (safetensors, or ``.pth`` through torch) or as a dict whose values are
deepgrad tensors, NumPy arrays or torch tensors, checks every key and shape first and names
all the problems at once.

Fine-tuning recipe (the course's "transfer learning" slide)::

    model = resnet18()
    load_pretrained(model, "resnet18.safetensors")
    model.requires_grad_(False)             # freeze the body ...
    model.fc = nn.Linear(512, 5)            # ... and give it a new, trainable head
    optimizer = optim.SGD(model.fc.parameters(), lr=0.01, momentum=0.9)

or, to adapt the whole network gently, one parameter group per learning rate::

    optimizer = optim.SGD([{"params": body, "lr": 1e-3}, {"params": model.fc.parameters()}],
                          lr=1e-2, momentum=0.9)

``finetune_experiment`` runs that recipe end to end on Fashion-MNIST (pre-train on classes
0-4, adapt to classes 5-9 from a few labelled images each) and compares it with training from
scratch on the same few images.
"""

import os
import time
from collections import namedtuple

import numpy as np

from deepgrad import nn
from deepgrad.autograd.grad_mode import no_grad
from deepgrad.tensor import Tensor

__all__ = ["load_pretrained", "LoadResult", "finetune_experiment"]

LoadResult = namedtuple("LoadResult", ["missing_keys", "unexpected_keys", "skipped_keys"])


def _as_array(value, key):
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch tensor; torch not imported
        return value.detach().cpu().numpy()
    raise TypeError(f"load_pretrained: state_dict[{key!r}] is a {type(value).__name__}; expected "
                    f"a deepgrad Tensor, a NumPy array or a torch tensor")


def _read(source):
    if isinstance(source, (str, os.PathLike)):
        from deepgrad.io import load_torch_state_dict

        return load_torch_state_dict(source)
    if hasattr(source, "state_dict") and callable(source.state_dict):
        return source.state_dict()  # a torch or deepgrad module
    if hasattr(source, "items"):
        return source
    raise TypeError(f"load_pretrained: expected a file path, a state_dict or a module, got "
                    f"{type(source).__name__}")


def _startswith(key, prefixes):
    return any(key == p.rstrip(".") or key.startswith(p) for p in prefixes)


def load_pretrained(model, source, strict=True, exclude=()):
    """Copy the weights of a torch-layout ``source`` into ``model`` (in place) after checking them.

    ``source``: a path (``.safetensors``; ``.pth``/``.pt`` only through torch), a state_dict of
    deepgrad tensors / NumPy arrays / torch tensors, or a module. A ``module.`` prefix (left by
    ``DataParallel``) is stripped. Values are cast to the model's dtypes (float32 by default).

    ``exclude``: key prefixes left untouched on both sides, e.g. ``("fc.",)`` to keep a freshly
    built head whose number of classes differs from the checkpoint's.

    With ``strict=True`` (default) a missing key, an unexpected key or a shape mismatch raises a
    ``RuntimeError`` listing every one of them, and nothing is copied. With ``strict=False``
    the keys both sides share are copied (shape mismatches still raise) and the rest are
    reported. Returns ``LoadResult(missing_keys, unexpected_keys, skipped_keys)``.
    """
    state = _read(source)
    items = []
    for key, value in state.items():
        key = key[len("module."):] if key.startswith("module.") else key
        items.append((key, value))
    own = model.state_dict(keep_vars=True)
    skipped = [k for k, _ in items if _startswith(k, exclude)]
    incoming = {k: v for k, v in items if not _startswith(k, exclude)}
    missing = [k for k in own if k not in incoming and not _startswith(k, exclude)]
    unexpected = [k for k in incoming if k not in own]
    name = type(model).__name__
    problems = []
    arrays = {}
    for key, value in incoming.items():
        if key not in own:
            continue
        array = _as_array(value, key)
        target = own[key]
        if tuple(array.shape) != tuple(target.shape):
            problems.append(f"size mismatch for {key}: checkpoint has shape "
                            f"{tuple(array.shape)}, {name} has {tuple(target.shape)}")
        arrays[key] = array
    if strict and missing:
        problems.append(f"missing key(s) in the checkpoint ({len(missing)}): "
                        + ", ".join(missing[:20]) + (" ..." if len(missing) > 20 else ""))
    if strict and unexpected:
        problems.append(f"unexpected key(s) in the checkpoint ({len(unexpected)}): "
                        + ", ".join(unexpected[:20]) + (" ..." if len(unexpected) > 20 else ""))
    if problems:
        hint = ""
        if any(k.split(".")[0] in ("fc", "classifier") for k in missing + unexpected) or any(
                "size mismatch for fc." in p or "size mismatch for classifier." in p
                for p in problems):
            hint = ("\n\t(a different head? build the model with the checkpoint's num_classes, "
                    "or pass exclude=('fc.',) / exclude=('classifier.6.',) and train the new head)")
        raise RuntimeError(f"load_pretrained: cannot load into {name}:\n\t"
                           + "\n\t".join(problems) + hint)
    with no_grad():  # in place, like torch's copy_: optimizer references stay valid
        for key, array in arrays.items():
            target = own[key]
            np.copyto(target._data, array, casting="unsafe")
            target._bump_version()
    return LoadResult(missing, unexpected, skipped)


# ----- transfer-learning experiment ---------------------------------------------------------

def _fashion_mnist():
    from deepgrad.datasets import FashionMNIST

    train_set, test_set = FashionMNIST(train=True), FashionMNIST(train=False)
    x_train = np.asarray(train_set.data, dtype=np.float32)[:, None] / 255.0
    x_test = np.asarray(test_set.data, dtype=np.float32)[:, None] / 255.0
    mean, std = x_train.mean(), x_train.std()
    return ((x_train - mean) / std, np.asarray(train_set.targets, dtype=np.int64),
            (x_test - mean) / std, np.asarray(test_set.targets, dtype=np.int64))


def _train(model, optimizer, x, y, epochs, batch_size, rng):
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            index = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(Tensor._from_op(x[index], None)),
                           Tensor._from_op(y[index], None))
            loss.backward()
            optimizer.step()


def _accuracy(model, x, y, batch_size=1000):
    import deepgrad

    model.eval()
    correct = 0
    with deepgrad.no_grad():
        for start in range(0, len(x), batch_size):
            logits = model(Tensor._from_op(x[start:start + batch_size], None))._data
            correct += int((logits.argmax(1) == y[start:start + batch_size]).sum())
    return correct / len(x)


def _head(model):
    """(parent module, attribute name, in_features) of the model's last Linear layer."""
    last = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            last = name
    parent_name, _, attr = last.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    child = parent[int(attr)] if attr.isdigit() else getattr(parent, attr)
    return parent, attr, child.in_features


def _replace_head(model, num_classes):
    parent, attr, in_features = _head(model)
    head = nn.Linear(in_features, num_classes)
    if attr.isdigit():
        parent[int(attr)] = head
    else:
        setattr(parent, attr, head)
    return head


def finetune_experiment(model="lenet5", pretrain_classes=(0, 1, 2, 3, 4),
                        target_classes=(5, 6, 7, 8, 9), per_class=50, pretrain_epochs=3,
                        finetune_epochs=40, batch_size=25, lr=0.02, body_lr_scale=0.1,
                        seed=0, data=None, verbose=True):
    """Transfer learning on Fashion-MNIST: does pre-training on other classes help when only
    ``per_class`` labelled images per target class are available?

    1. Pre-train ``model`` (a zoo name, e.g. ``lenet5`` or ``resnet18`` with small input) on all
       training images of ``pretrain_classes`` (SGD, momentum 0.9, batch 128).
    2. Draw ``per_class`` training images of each of ``target_classes`` (labels renumbered
       0..k-1) and, from copies of the pre-trained network with a new k-way head:
       * ``linear_probe``: body frozen (``requires_grad_(False)``), only the head trains;
       * ``finetune``: everything trains, the body at ``lr * body_lr_scale`` (two parameter
         groups);
       * ``conv_transfer``: only the convolution (and batch-norm) weights are copied, every
         Linear layer starts fresh, and everything trains at ``lr`` -- early features are the
         most general, the fully connected layers the most specific to the old classes;
       and, for comparison, ``scratch``: the same architecture from random weights, all at ``lr``.
    Each of the three trains ``finetune_epochs`` epochs on the same few images; accuracy is
    measured on all test images of ``target_classes``.

    ``data``: ``(x_train, y_train, x_test, y_test)`` arrays (N×C×H×W float32, int64 labels) to
    use instead of Fashion-MNIST. Returns a dict of accuracies and seconds.
    """
    import deepgrad
    from deepgrad import models, optim

    if model != "lenet5" and not model.startswith(("resnet", "vgg")):
        raise ValueError(f"finetune_experiment: model must be 'lenet5' or a resnet/vgg name "
                         f"(built with small_input=True), got {model!r}")
    deepgrad.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_train, y_train, x_test, y_test = data if data is not None else _fashion_mnist()
    builder_kwargs = {"in_channels": x_train.shape[1]}
    if model != "lenet5":
        builder_kwargs["small_input"] = True

    def build(classes):
        return models.get_model(model, num_classes=len(classes), **builder_kwargs)

    def select(x, y, classes):
        mask = np.isin(y, classes)
        relabel = np.full(int(y.max()) + 1, -1, dtype=np.int64)
        relabel[list(classes)] = np.arange(len(classes))
        return np.ascontiguousarray(x[mask]), relabel[y[mask]]

    results = {"model": model, "per_class": per_class}
    start = time.perf_counter()
    x_pre, y_pre = select(x_train, y_train, pretrain_classes)
    pretrained = build(pretrain_classes)
    _train(pretrained, optim.SGD(pretrained.parameters(), lr=0.05, momentum=0.9), x_pre, y_pre,
           pretrain_epochs, 128, rng)
    x_pre_test, y_pre_test = select(x_test, y_test, pretrain_classes)
    results["pretrain_accuracy"] = _accuracy(pretrained, x_pre_test, y_pre_test)
    results["pretrain_seconds"] = time.perf_counter() - start
    state = {k: v.detach().numpy().copy() for k, v in pretrained.state_dict().items()}
    if verbose:
        print(f"pre-trained {model} on classes {list(pretrain_classes)}: test accuracy "
              f"{results['pretrain_accuracy']:.4f} ({results['pretrain_seconds']:.0f} s)")

    x_tgt, y_tgt = select(x_train, y_train, target_classes)
    few = np.concatenate([rng.permutation(np.flatnonzero(y_tgt == c))[:per_class]
                          for c in range(len(target_classes))])
    x_few, y_few = x_tgt[few], y_tgt[few]
    x_tgt_test, y_tgt_test = select(x_test, y_test, target_classes)

    linear_prefixes = tuple(f"{name}." for name, module in build(pretrain_classes).named_modules()
                            if isinstance(module, nn.Linear))
    for variant in ("scratch", "linear_probe", "finetune", "conv_transfer"):
        start = time.perf_counter()
        deepgrad.manual_seed(seed + 1)  # the same new head for every variant
        net = build(pretrain_classes)
        if variant == "conv_transfer":
            load_pretrained(net, state, exclude=linear_prefixes)
        elif variant != "scratch":
            load_pretrained(net, state)
        head = _replace_head(net, len(target_classes))
        if variant in ("scratch", "conv_transfer"):
            optimizer = optim.SGD(net.parameters(), lr=lr, momentum=0.9)
        elif variant == "linear_probe":
            net.requires_grad_(False)
            head.requires_grad_(True)
            optimizer = optim.SGD(head.parameters(), lr=lr, momentum=0.9)
        else:
            head_ids = {id(p) for p in head.parameters()}
            body = [p for p in net.parameters() if id(p) not in head_ids]
            optimizer = optim.SGD([{"params": body, "lr": lr * body_lr_scale},
                                   {"params": head.parameters()}], lr=lr, momentum=0.9)
        _train(net, optimizer, x_few, y_few, finetune_epochs, batch_size, rng)
        results[variant] = _accuracy(net, x_tgt_test, y_tgt_test)
        results[f"{variant}_seconds"] = time.perf_counter() - start
        if verbose:
            print(f"{variant:>12}: {len(few)} labelled images, test accuracy on classes "
                  f"{list(target_classes)} {results[variant]:.4f} "
                  f"({results[f'{variant}_seconds']:.1f} s)")
    return results
