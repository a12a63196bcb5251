"""Confusion-matrix heat map."""

import numpy as np

from deepgrad.viz._common import figure, finish, to_numpy

__all__ = ["plot_confusion_matrix"]


def plot_confusion_matrix(cm, class_names=None, normalize=False, path=None, title=None):
    """Heat map of ``cm`` (rows = true class, columns = predicted), counts written in the
    cells; ``normalize=True`` shows each row as fractions (per-class recall on the diagonal)."""
    cm = to_numpy(cm).astype(np.float64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"plot_confusion_matrix: expected a square matrix, got {cm.shape}")
    n = cm.shape[0]
    if normalize:
        rows = cm.sum(axis=1, keepdims=True)
        cm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    names = list(class_names) if class_names is not None else [str(i) for i in range(n)]
    size = max(4.0, 0.55 * n + 2)
    fig = figure((size + 1, size))
    ax = fig.subplots()
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax)
    ax.set_xticks(range(n), names, rotation=45, ha="right")
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = cm.max() / 2 if cm.size else 0
    if n <= 30:
        for i in range(n):
            for j in range(n):
                text = f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if cm[i, j] > threshold else "black")
    ax.set_title(title or ("confusion matrix (row-normalized)" if normalize
                           else "confusion matrix"))
    return finish(fig, path)
