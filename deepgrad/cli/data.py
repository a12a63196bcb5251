"""Data sets as the command uses them: arrays scaled to [0, 1] and standardized, plus the
facts a saved model needs to preprocess new inputs the same way."""

import numpy as np

__all__ = ["DATASETS", "load_arrays", "dataset_status"]

# name -> (deepgrad.datasets class name, raw maximum pixel value, how to get it)
DATASETS = {
    "digits": ("Digits", 16.0, "built in: scikit-learn's 8x8 handwritten digits "
                               "(pip install scikit-learn)"),
    "fashion-mnist": ("FashionMNIST", 255.0,
                      "IDX files in /usr/share/datasets/fashion-mnist (apt-get install "
                      "dataset-fashion-mnist) or --root DIR holding "
                      "{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz"),
    "mnist": ("MNIST", 255.0, "IDX files under --root DIR (train/t10k images and labels)"),
    "cifar10": ("CIFAR10", 255.0, "the CIFAR-10 binary version under --root DIR"),
}


class UsageError(Exception):
    """A problem with the command line or the files it names (printed without traceback)."""


def _dataset_class(name):
    if name not in DATASETS:
        raise UsageError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
    import deepgrad.datasets as datasets

    cls_name = DATASETS[name][0]
    if not hasattr(datasets, cls_name):
        raise UsageError(f"data set {name!r} needs deepgrad.datasets.{cls_name}, which this "
                         f"version of deepgrad lacks")
    return getattr(datasets, cls_name)


def _to_numpy(x):
    if hasattr(x, "_data"):
        return np.asarray(x._data)
    return np.asarray(x)


def _open(name, train, root):
    cls = _dataset_class(name)
    try:
        return cls(root=root, train=train) if root else cls(train=train)
    except (FileNotFoundError, OSError) as e:
        raise UsageError(f"data set {name!r} is not available here ({e}). To get it: "
                         f"{DATASETS[name][2]}") from None


def _raw_arrays(dataset):
    data = getattr(dataset, "data", None)
    targets = getattr(dataset, "targets", None)
    if data is None or targets is None:
        pairs = [dataset[i] for i in range(len(dataset))]
        data = np.stack([_to_numpy(x) for x, _ in pairs])
        targets = np.array([int(_to_numpy(y)) for _, y in pairs])
    return _to_numpy(data), _to_numpy(targets).astype(np.int64)


def load_arrays(name, root=None, split="train"):
    """``(X, y, info)`` with X float32 in [0, 1] (not yet standardized), one sample per row in
    its natural shape ((8, 8), (28, 28) or (3, 32, 32)); ``info`` has ``class_names``, ``scale``
    and ``input_shape``."""
    dataset = _open(name, split == "train", root)
    x, y = _raw_arrays(dataset)
    scale = DATASETS[name][1]
    x = x.astype(np.float32) / np.float32(scale)
    if x.ndim == 4 and x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))  # NHWC -> NCHW
    classes = getattr(dataset, "classes", None)
    class_names = [str(c) for c in classes] if classes is not None else [
        str(i) for i in range(int(y.max()) + 1)]
    return x, y, {"class_names": class_names, "scale": scale, "input_shape": list(x.shape[1:])}


def dataset_status(root=None):
    """(name, available?, detail) for each known data set."""
    rows = []
    for name, (_, _, how) in DATASETS.items():
        try:
            x, _, _ = load_arrays(name, root, "test")
            rows.append((name, True, f"{len(x)} test samples of shape {tuple(x.shape[1:])}"))
        except UsageError as e:
            rows.append((name, False, str(e).split(" To get it: ")[-1]))
        except ImportError as e:
            rows.append((name, False, f"{e}; {how}"))
    return rows

