"""Image grids: samples, misclassified examples, first-layer filters, feature maps."""

import numpy as np

from deepgrad.viz._common import as_images, figure, finish, grid_shape, normalize01, to_numpy

__all__ = ["make_grid", "plot_samples", "plot_misclassified", "plot_filters",
           "plot_feature_maps"]


def make_grid(images, nrow=8, padding=2, normalize=False, pad_value=0.0, image_shape=None):
    """Tile a batch of images into one array (no matplotlib needed), like torchvision's
    ``make_grid`` but returning (H, W) for grayscale or (H, W, 3) for RGB; ``nrow`` images a
    row."""
    a = as_images(images, image_shape)
    if normalize:
        a = normalize01(a)
    n, h, w = a.shape[:3]
    rows, cols = int(np.ceil(n / nrow)), min(nrow, n)
    shape = (rows * (h + padding) + padding, cols * (w + padding) + padding) + a.shape[3:]
    grid = np.full(shape, pad_value, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, nrow)
        y, x = padding + r * (h + padding), padding + c * (w + padding)
        grid[y:y + h, x:x + w] = a[i]
    return grid


def _show_grid(images, titles, path, ncols=None, title=None, cmap="gray", per_image_norm=False,
               title_colors=None):
    n = len(images)
    rows, cols = grid_shape(n, ncols)
    fig = figure((1.4 * cols + 0.4, 1.5 * rows + (0.4 if title else 0.1)))
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i >= n:
            continue
        image = normalize01(images[i]) if per_image_norm else images[i]
        ax.imshow(image, cmap=None if image.ndim == 3 else cmap, interpolation="nearest")
        if titles is not None:
            color = title_colors[i] if title_colors is not None else "black"
            ax.set_title(titles[i], fontsize=8, color=color)
    if title:
        fig.suptitle(title)
    return fig


def _name(label, class_names):
    label = int(label)
    return str(class_names[label]) if class_names is not None else str(label)


def plot_samples(images, labels=None, class_names=None, path=None, ncols=8, predictions=None,
                 max_images=64, image_shape=None, title=None):
    """A grid of images titled with their labels (and predictions, when given: red if wrong)."""
    a = as_images(images, image_shape)[:max_images]
    titles, colors = None, None
    if labels is not None:
        labels = to_numpy(labels)[:len(a)]
        titles = [_name(label, class_names) for label in labels]
        if predictions is not None:
            predicted = _labels_from(predictions)[:len(a)]
            titles = [f"{t}\npred {_name(p, class_names)}" for t, p in zip(titles, predicted)]
            colors = ["black" if p == t else "red" for p, t in zip(predicted, labels)]
    fig = _show_grid(a, titles, path, ncols, title, title_colors=colors)
    return finish(fig, path)


def _labels_from(predictions):
    p = to_numpy(predictions)
    return p.argmax(axis=1) if p.ndim == 2 else p


def plot_misclassified(images, y_true, y_pred, class_names=None, path=None, max_images=25,
                       image_shape=None, ncols=None):
    """The first ``max_images`` samples whose prediction (labels, or scores (N, C)) is wrong,
    titled "true -> predicted"."""
    true = to_numpy(y_true).reshape(-1)
    predicted = _labels_from(y_pred).reshape(-1)
    wrong = np.flatnonzero(true != predicted)[:max_images]
    if wrong.size == 0:
        raise ValueError("plot_misclassified: every sample is classified correctly")
    a = as_images(images, image_shape)[wrong]
    titles = [f"{_name(true[i], class_names)} -> {_name(predicted[i], class_names)}"
              for i in wrong]
    fig = _show_grid(a, titles, path, ncols, f"misclassified ({len(wrong)} shown)")
    return finish(fig, path)


def plot_filters(weight, path=None, image_shape=None, max_filters=64, ncols=None, title=None):
    """First-layer filters as images, each normalized to its own range.

    ``weight``: a Conv2d (or its weight, shape (out, in, kH, kW): 3 input channels are shown in
    color, otherwise the first) or a Linear (or its weight (out, features), reshaped to
    ``image_shape``, default square): what each unit of the first layer responds to.
    """
    w = getattr(weight, "weight", weight)
    w = to_numpy(w).astype(np.float32)
    if w.ndim == 4:
        w = w[:, :3].transpose(0, 2, 3, 1) if w.shape[1] == 3 else w[:, 0]
    elif w.ndim == 2:
        w = as_images(w, image_shape)
    else:
        raise ValueError(f"plot_filters: expected a conv weight (out, in, kH, kW) or a linear "
                         f"weight (out, features), got shape {w.shape}")
    w = w[:max_filters]
    images = [normalize01(f) for f in w]
    fig = _show_grid(images, None, path, ncols, title or f"{len(images)} filters",
                     cmap="viridis" if w.ndim == 3 else "gray")
    return finish(fig, path)


def plot_feature_maps(model, x, layer, path=None, max_maps=32, ncols=None):
    """The activations of ``layer`` (a module or its dotted path in ``model``) for one input
    ``x`` (one sample, with or without its batch dimension), one channel per panel."""
    import deepgrad
    from deepgrad.autograd import no_grad

    module = model.get_submodule(layer) if isinstance(layer, str) else layer
    captured = []
    handle = module.register_forward_hook(lambda m, args, out: captured.append(to_numpy(out)))
    x = x if isinstance(x, deepgrad.Tensor) else deepgrad.tensor(np.asarray(x, np.float32))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(x)
    finally:
        handle.remove()
        model.train(was_training)
    if not captured:
        raise ValueError(f"plot_feature_maps: layer {layer!r} was not called in forward")
    maps = captured[0][0]  # first sample
    if maps.ndim == 1:
        maps = maps[None, None, :]
    elif maps.ndim == 2:
        maps = maps[None]
    maps = maps[:max_maps]
    name = layer if isinstance(layer, str) else type(layer).__name__
    fig = _show_grid(list(maps), [str(i) for i in range(len(maps))], path, ncols,
                     f"feature maps of {name} {tuple(captured[0].shape[1:])}",
                     cmap="viridis", per_image_norm=True)
    return finish(fig, path)
