"""Classification metrics, as plain functions and as accumulating objects for ``fit``.

Functions take ``(y_true, y_pred)`` in scikit-learn's order. ``y_pred`` may be labels of shape
``(N,)`` or scores of shape ``(N, C)`` (logits or probabilities: the predicted class is the
argmax along dimension 1); ``y_true`` holds integer class labels. Tensors, NumPy arrays and lists
are all accepted. For binary outputs of shape ``(N,)``/``(N, 1)`` given as floats, pass
``threshold`` (0.5 for probabilities, 0 for logits) to :func:`accuracy`.

The course's definitions, with TP/FP/FN counted per class c from the confusion matrix C
(rows = true class, columns = predicted class)::

    accuracy  = sum_c C[c, c] / N
    precision = TP / (TP + FP)       recall = TP / (TP + FN)
    F1        = 2 * precision * recall / (precision + recall)

``average='macro'`` is the unweighted mean over the classes that occur (in ``y_true`` or
``y_pred``), ``'micro'`` pools the counts of all classes first (for single-label multiclass data
micro precision = micro recall = micro F1 = accuracy), ``'weighted'`` weights classes by their
support, ``None`` returns the per-class array. Note: scikit-learn's default is ``'binary'``;
deepgrad's is ``'macro'``, the useful one for multiclass data. A 0/0 ratio gives
``zero_division`` (0.0 by default, as scikit-learn does after its warning).

The classes (``Accuracy``, ``TopKAccuracy``, ``Precision``, ``Recall``, ``F1Score``,
``ConfusionMatrix``) keep running counts: ``update(y_true, y_pred)`` per batch, ``compute()`` at
the end, ``reset()`` between epochs. ``fit(..., metrics=["accuracy"])`` builds them by name.
"""

import numpy as np

__all__ = [
    "accuracy", "top_k_accuracy", "confusion_matrix", "precision", "recall", "f1_score",
    "precision_recall_fscore_support", "roc_auc_score", "Metric", "Accuracy", "TopKAccuracy",
    "Precision", "Recall", "F1Score", "ConfusionMatrix", "get_metric",
]

_AVERAGES = ("macro", "micro", "weighted", "binary", None)


def _to_numpy(x):
    if hasattr(x, "_data") and hasattr(x, "detach"):  # a deepgrad Tensor
        return x._data
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # anything Tensor-like (torch too)
        return x.detach().numpy()
    return np.asarray(x)


def _labels(y_true, name):
    y = _to_numpy(y_true)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{name}: y_true must hold class labels of shape (N,), got shape "
                         f"{tuple(y.shape)}")
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            raise ValueError(f"{name}: y_true must hold integer class labels, got non-integer "
                             f"floats")
        y = y.astype(np.int64)
    return y


def _predicted_labels(y_pred, n, name, threshold=None):
    p = _to_numpy(y_pred)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if p.ndim == 2:
        p = p.argmax(axis=1)
    elif p.ndim == 1 and p.dtype.kind == "f":
        if threshold is not None:
            p = (p > threshold).astype(np.int64)
        elif np.all(p == np.round(p)):
            p = p.astype(np.int64)
        else:
            raise ValueError(f"{name}: y_pred of shape {tuple(p.shape)} holds non-integer "
                             f"scores; pass threshold= (0.5 for probabilities, 0 for logits) or "
                             f"scores of shape (N, C)")
    elif p.ndim != 1:
        raise ValueError(f"{name}: y_pred must be labels (N,) or scores (N, C), got shape "
                         f"{tuple(p.shape)}")
    if p.shape[0] != n:
        raise ValueError(f"{name}: y_true has {n} samples but y_pred has {p.shape[0]}")
    return p


def accuracy(y_true, y_pred, threshold=None):
    """Fraction of samples whose predicted class equals the true class."""
    t = _labels(y_true, "accuracy")
    p = _predicted_labels(y_pred, t.shape[0], "accuracy", threshold)
    if t.shape[0] == 0:
        raise ValueError("accuracy: no samples")
    return float(np.count_nonzero(p == t)) / t.shape[0]


def _top_k_correct(y_true, y_score, k, name):
    t = _labels(y_true, name)
    s = _to_numpy(y_score)
    if s.ndim != 2 or s.shape[0] != t.shape[0]:
        raise ValueError(f"{name}: y_score must have shape (N, C) with N = {t.shape[0]}, got "
                         f"{tuple(s.shape)}")
    if not 1 <= k:
        raise ValueError(f"{name}: k must be >= 1, got {k}")
    if k >= s.shape[1]:
        return t.shape[0]
    # the true class is in the top k iff fewer than k classes score strictly higher (ties count
    # in the sample's favour, as in scikit-learn)
    true_score = np.take_along_axis(s, t[:, None], axis=1)
    higher = np.count_nonzero(s > true_score, axis=1)
    return int(np.count_nonzero(higher < k))


def top_k_accuracy(y_true, y_score, k=5):
    """Fraction of samples whose true class is among the k highest scores of ``y_score``."""
    t = _labels(y_true, "top_k_accuracy")
    return _top_k_correct(t, y_score, k, "top_k_accuracy") / t.shape[0]


def confusion_matrix(y_true, y_pred, num_classes=None):
    """``C[i, j]`` = number of samples of true class i predicted as class j (int64).

    Classes are 0..num_classes-1 (default: 1 + the largest label seen); this equals
    ``sklearn.metrics.confusion_matrix(y_true, y_pred, labels=range(num_classes))``.
    """
    t = _labels(y_true, "confusion_matrix")
    p = _predicted_labels(y_pred, t.shape[0], "confusion_matrix")
    if t.size and (t.min() < 0 or p.min() < 0):
        raise ValueError("confusion_matrix: class labels must be non-negative integers")
    seen = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    if num_classes is None:
        num_classes = seen
    elif seen > num_classes:
        raise ValueError(f"confusion_matrix: label {seen - 1} out of range for num_classes="
                         f"{num_classes}")
    flat = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(np.int64)


def _safe_div(num, den, zero_division):
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, float(zero_division))
    np.divide(num, den, out=out, where=den != 0)
    return out


def _scores_from_matrix(cm, average, zero_division=0.0, pos_label=1):
    """Precision, recall, F1 and support from a confusion matrix."""
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}")
    cm = np.asarray(cm, dtype=np.int64)
    tp = np.diag(cm)
    predicted = cm.sum(axis=0)
    support = cm.sum(axis=1)
    if average == "micro":
        tp, predicted, support_ = tp.sum(), predicted.sum(), support.sum()
        p = _safe_div(tp, predicted, zero_division)
        r = _safe_div(tp, support_, zero_division)
        f = _safe_div(2 * p * r, p + r, zero_division)
        return float(p), float(r), float(f), None
    p = _safe_div(tp, predicted, zero_division)
    r = _safe_div(tp, support, zero_division)
    f = _safe_div(2 * tp, predicted + support, zero_division)  # = 2PR/(P+R) without 0/0
    if average is None:
        return p, r, f, support
    if average == "binary":
        if cm.shape[0] > 2:
            raise ValueError(f"average='binary' needs two classes, got {cm.shape[0]}; use "
                             f"'macro', 'micro', 'weighted' or None")
        return float(p[pos_label]), float(r[pos_label]), float(f[pos_label]), None
    present = (predicted + support) > 0  # scikit-learn averages over the labels that occur
    if average == "macro":
        return (float(p[present].mean()), float(r[present].mean()), float(f[present].mean()),
                None)
    weights = support / max(support.sum(), 1)
    return (float((p * weights).sum()), float((r * weights).sum()), float((f * weights).sum()),
            None)


def precision_recall_fscore_support(y_true, y_pred, average="macro", num_classes=None,
                                    zero_division=0.0, pos_label=1):
    """Precision, recall, F1 and (for ``average=None``) per-class support."""
    cm = confusion_matrix(y_true, y_pred, num_classes)
    if average == "binary" and cm.shape[0] < 2:
        cm = np.pad(cm, ((0, 2 - cm.shape[0]), (0, 2 - cm.shape[0])))
    return _scores_from_matrix(cm, average, zero_division, pos_label)


def precision(y_true, y_pred, average="macro", num_classes=None, zero_division=0.0):
    """TP / (TP + FP): of the samples predicted as a class, the fraction that belong to it."""
    return precision_recall_fscore_support(y_true, y_pred, average, num_classes,
                                           zero_division)[0]


def recall(y_true, y_pred, average="macro", num_classes=None, zero_division=0.0):
    """TP / (TP + FN): of the samples of a class, the fraction predicted as it."""
    return precision_recall_fscore_support(y_true, y_pred, average, num_classes,
                                           zero_division)[1]


def f1_score(y_true, y_pred, average="macro", num_classes=None, zero_division=0.0):
    """Harmonic mean of precision and recall, 2PR / (P + R)."""
    return precision_recall_fscore_support(y_true, y_pred, average, num_classes,
                                           zero_division)[2]



def roc_auc_score(y_true, y_score):
    """Area under the ROC curve for binary labels ``y_true`` (1 = positive) and scores
    ``y_score`` (higher = more positive), as scikit-learn's ``roc_auc_score``.

    It equals the probability that a random positive scores higher than a random negative,
    ties counting one half (the Mann-Whitney U statistic)::

        AUC = (Σ_{i positive} rank(s_i) − n₊(n₊ + 1)/2) / (n₊ · n₋)

    with ranks 1..N of the scores in ascending order, tied scores sharing their mean rank.
    """
    t = _labels(y_true, "roc_auc_score")
    s = _to_numpy(y_score).astype(np.float64).reshape(-1)
    if s.shape[0] != t.shape[0]:
        raise ValueError(f"roc_auc_score: y_true has {t.shape[0]} samples but y_score has "
                         f"{s.shape[0]}")
    if np.any((t != 0) & (t != 1)):
        raise ValueError("roc_auc_score: y_true must hold binary labels 0/1 (or booleans)")
    n_pos = int(np.count_nonzero(t))
    n_neg = t.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc_score: only one class present in y_true; the ROC AUC needs "
                         "both positives and negatives")
    if np.isnan(s).any():
        raise ValueError("roc_auc_score: y_score contains NaN")
    values, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    mean_rank = np.cumsum(counts) - (counts - 1) / 2.0  # tied scores share their mean rank
    rank_sum = mean_rank[inverse.reshape(-1)][t == 1].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))

# ----- accumulating metric objects ---------------------------------------------------------
class Metric:
    """A metric accumulated over batches: ``update(y_true, y_pred)``, ``compute()``, ``reset()``.

    ``name`` is the key under which ``fit`` logs it (``val_`` is prefixed for validation).
    """

    name = "metric"

    def __init__(self):
        self.reset()

    def reset(self):
        raise NotImplementedError

    def update(self, y_true, y_pred):
        raise NotImplementedError

    def compute(self):
        raise NotImplementedError

    def __call__(self, y_true, y_pred):
        """Value on one batch alone (does not touch the running state)."""
        fresh = type(self).__new__(type(self))
        fresh.__dict__.update(self.__dict__)
        fresh.reset()
        fresh.update(y_true, y_pred)
        return fresh.compute()

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


class Accuracy(Metric):
    """Running accuracy (``threshold`` for binary float outputs, as in :func:`accuracy`)."""

    def __init__(self, threshold=None, name="accuracy"):
        self.threshold, self.name = threshold, name
        super().__init__()

    def reset(self):
        self.correct, self.total = 0, 0

    def update(self, y_true, y_pred):
        t = _labels(y_true, self.name)
        p = _predicted_labels(y_pred, t.shape[0], self.name, self.threshold)
        self.correct += int(np.count_nonzero(p == t))
        self.total += t.shape[0]

    def compute(self):
        return self.correct / self.total if self.total else float("nan")


class TopKAccuracy(Metric):
    """Running top-k accuracy; logged as ``top{k}_accuracy``."""

    def __init__(self, k=5, name=None):
        self.k, self.name = k, name or f"top{k}_accuracy"
        super().__init__()

    def reset(self):
        self.correct, self.total = 0, 0

    def update(self, y_true, y_score):
        t = _labels(y_true, self.name)
        self.correct += _top_k_correct(t, y_score, self.k, self.name)
        self.total += t.shape[0]

    def compute(self):
        return self.correct / self.total if self.total else float("nan")


class ConfusionMatrix(Metric):
    """Running confusion matrix; grows when a larger label appears unless num_classes is set."""

    name = "confusion_matrix"

    def __init__(self, num_classes=None, name="confusion_matrix"):
        self.num_classes, self.name = num_classes, name
        super().__init__()

    def reset(self):
        n = self.num_classes or 0
        self.matrix = np.zeros((n, n), dtype=np.int64)

    def update(self, y_true, y_pred):
        t = _labels(y_true, self.name)
        p = _predicted_labels(y_pred, t.shape[0], self.name)
        scores = _to_numpy(y_pred)
        width = scores.shape[1] if scores.ndim == 2 and scores.shape[1] > 1 else 0
        n = max(self.matrix.shape[0], width, int(max(t.max(initial=-1), p.max(initial=-1))) + 1)
        if self.num_classes is not None and n > self.num_classes:
            raise ValueError(f"{self.name}: label {n - 1} out of range for num_classes="
                             f"{self.num_classes}")
        if n > self.matrix.shape[0]:
            grown = np.zeros((n, n), dtype=np.int64)
            k = self.matrix.shape[0]
            grown[:k, :k] = self.matrix
            self.matrix = grown
        self.matrix += confusion_matrix(t, p, n)

    def compute(self):
        return self.matrix.copy()


class _PRF(ConfusionMatrix):
    _index = 0

    def __init__(self, average="macro", num_classes=None, zero_division=0.0, name=None):
        if average not in _AVERAGES:
            raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}")
        self.average, self.zero_division = average, zero_division
        super().__init__(num_classes, name or self.name)

    def compute(self):
        return _scores_from_matrix(self.matrix, self.average, self.zero_division)[self._index]


class Precision(_PRF):
    """Running precision (``average`` as in :func:`precision`)."""

    name, _index = "precision", 0


class Recall(_PRF):
    """Running recall (``average`` as in :func:`recall`)."""

    name, _index = "recall", 1


class F1Score(_PRF):
    """Running F1 score (``average`` as in :func:`f1_score`)."""

    name, _index = "f1", 2


_BY_NAME = {
    "accuracy": Accuracy, "acc": Accuracy, "top5_accuracy": lambda: TopKAccuracy(5),
    "top_k_accuracy": TopKAccuracy, "precision": Precision, "recall": Recall, "f1": F1Score,
    "f1_score": F1Score, "confusion_matrix": ConfusionMatrix,
}


def get_metric(metric):
    """A fresh Metric object for a name (``'accuracy'``, ``'top5_accuracy'``, ``'f1'``, ...),
    or the object itself."""
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, str):
        key = metric.lower()
        if key in _BY_NAME:
            return _BY_NAME[key]()
        if key.startswith("top") and key.endswith("_accuracy") and key[3:-9].isdigit():
            return TopKAccuracy(int(key[3:-9]))
        raise ValueError(f"unknown metric {metric!r}; known names: {sorted(_BY_NAME)} or "
                         f"'top<k>_accuracy'")
    if isinstance(metric, type) and issubclass(metric, Metric):
        return metric()
    if callable(metric):
        return _FunctionMetric(metric)
    raise TypeError(f"metrics must be names, Metric objects or functions, got {metric!r}")


class _FunctionMetric(Metric):
    """A plain function ``f(y_true, y_pred) -> float``, averaged over batches by sample count."""

    def __init__(self, fn):
        self.fn, self.name = fn, getattr(fn, "__name__", "metric")
        super().__init__()

    def reset(self):
        self.weighted_sum, self.total = 0.0, 0

    def update(self, y_true, y_pred):
        n = len(_to_numpy(y_true))
        self.weighted_sum += float(self.fn(y_true, y_pred)) * n
        self.total += n

    def compute(self):
        return self.weighted_sum / self.total if self.total else float("nan")
