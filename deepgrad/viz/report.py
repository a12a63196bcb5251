"""What a trained classifier learned, as a folder of PNGs: the plots the course shows after
training a CNN (first-layer filters, one input's feature maps through each conv layer, the
confusion matrix, misclassified test images)."""

import os

import numpy as np

from deepgrad.viz._common import to_numpy
from deepgrad.viz.confusion import plot_confusion_matrix
from deepgrad.viz.images import plot_feature_maps, plot_filters, plot_misclassified

__all__ = ["plot_what_it_learned"]


def _weight_layers(model):
    """``(path, module)`` of every Conv2d/Conv1d and Linear of ``model``, in forward order of
    registration (the order ``named_modules`` gives)."""
    from deepgrad import nn

    convs, linears = [], []
    for path, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Conv1d)):
            convs.append((path, module))
        elif isinstance(module, nn.Linear):
            linears.append((path, module))
    return convs, linears


def plot_what_it_learned(model, x, y_true, y_pred, out_dir, class_names=None, image_shape=None,
                         max_feature_layers=8):
    """Write the plots of a trained classifier to ``out_dir``; returns the paths written.

    * ``filters.png``: the first layer's filters (its first Conv2d, else its first Linear with
      the rows reshaped to ``image_shape``);
    * ``feature_maps_<layer>.png``: the activations of ``x[0]`` after each convolution (up to
      ``max_feature_layers`` of them);
    * ``confusion_matrix.png`` and ``misclassified.png`` from ``y_true`` / ``y_pred``.

    ``x``: the (preprocessed) inputs the predictions were made on, N×C×H×W or N×features.
    """
    x = to_numpy(x)
    y_true, y_pred = np.asarray(to_numpy(y_true)).ravel(), np.asarray(to_numpy(y_pred)).ravel()
    if not len(x) == len(y_true) == len(y_pred):
        raise ValueError(f"plot_what_it_learned: x, y_true and y_pred must have one entry per "
                         f"sample, got {len(x)}, {len(y_true)} and {len(y_pred)}")
    os.makedirs(out_dir, exist_ok=True)
    written = []
    convs, linears = _weight_layers(model)
    first = convs[0][1] if convs else (linears[0][1] if linears else None)
    if first is not None:
        shape = image_shape or (x.shape[2:] if x.ndim == 4 else None)
        path = os.path.join(out_dir, "filters.png")
        plot_filters(first, path, image_shape=None if convs else shape,
                     title=f"first-layer filters ({convs[0][0] if convs else linears[0][0]})")
        written.append(path)
    for name, _ in convs[:max_feature_layers]:
        path = os.path.join(out_dir, f"feature_maps_{name.replace('.', '_')}.png")
        plot_feature_maps(model, x[:1], name, path)
        written.append(path)
    n_classes = int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    if class_names is not None:
        n_classes = max(n_classes, len(class_names))
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (y_true.astype(np.int64), y_pred.astype(np.int64)), 1)
    path = os.path.join(out_dir, "confusion_matrix.png")
    plot_confusion_matrix(cm, class_names, path=path)
    written.append(path)
    if np.any(y_true != y_pred):
        path = os.path.join(out_dir, "misclassified.png")
        plot_misclassified(x, y_true, y_pred, class_names, path=path,
                           image_shape=None if x.ndim == 4 else image_shape)
        written.append(path)
    return written
