"""The reference classifier that scores generated images: LeNet-5 trained on Fashion-MNIST once,
cached as a safetensors file, wrapped with its input normalisation and a penultimate-feature
extractor (the 84 units before the last Linear)."""

import os
import time

import numpy as np

import deepgrad
from deepgrad.autograd import no_grad
from deepgrad.metrics.generative import (
    class_evenness,
    class_histogram,
    classifier_confidence,
    feature_statistics,
    frechet_distance,
    inception_score,
)

__all__ = ["ReferenceClassifier", "reference_classifier", "DEFAULT_REFERENCE_PATH"]

DEFAULT_REFERENCE_PATH = os.path.join("~", ".cache", "deepgrad",
                                      "reference_lenet5_fashion_mnist.safetensors")


def _images(x, name):
    a = x.numpy() if isinstance(x, deepgrad.Tensor) else np.asarray(x)
    if a.ndim == 3:
        a = a[:, None]
    if a.ndim != 4:
        raise ValueError(f"ReferenceClassifier.{name}: expected images N×C×H×W (or N×H×W) with "
                         f"pixels in [0, 1], got shape {a.shape}")
    return a.astype(np.float32, copy=False)


class ReferenceClassifier:
    """A trained classifier with the methods that score images (pixels in [0, 1]).

    ``model`` is a classifier with ``features`` and ``classifier`` Sequentials (LeNet-5, VGG,
    AlexNet) or any module with ``feature_fn`` given (image batch → penultimate features);
    inputs are standardised with ``mean`` and ``std`` before it sees them.
    """

    def __init__(self, model, mean=0.0, std=1.0, feature_fn=None, info=None):
        self.model, self.mean, self.std = model, float(mean), float(std)
        self.info = dict(info or {})
        if feature_fn is None:
            if not (hasattr(model, "features") and hasattr(model, "classifier")):
                raise ValueError("ReferenceClassifier: pass feature_fn for a model without "
                                 "'features' and 'classifier' parts")
            head = model.classifier[:-1]
            feature_fn = lambda x: head(model.features(x))  # noqa: E731
        self.feature_fn = feature_fn

    def _batches(self, x, fn, name, batch_size):
        a = _images(x, name)
        self.model.eval()
        dtype = next(self.model.parameters()).dtype
        out = []
        with no_grad():
            for i in range(0, len(a), batch_size):
                batch = (a[i:i + batch_size] - self.mean) / self.std
                out.append(fn(deepgrad.tensor(batch).to(dtype)).numpy().astype(np.float64))
        return np.concatenate(out) if out else np.zeros((0, 0))

    def logits(self, x, batch_size=500):
        """Class logits (N, C)."""
        return self._batches(x, self.model, "logits", batch_size)

    def probabilities(self, x, batch_size=500):
        """Class probabilities p(y|x) (N, C) = softmax of the logits."""
        z = self.logits(x, batch_size)
        z = np.exp(z - z.max(1, keepdims=True))
        return z / z.sum(1, keepdims=True)

    def predict(self, x, batch_size=500):
        """Predicted classes (N,)."""
        return self.logits(x, batch_size).argmax(1)

    def features(self, x, batch_size=500):
        """Penultimate features (N, D) for the Fréchet distance."""
        return self._batches(x, self.feature_fn, "features", batch_size)

    def accuracy(self, x, labels, batch_size=500):
        """The fraction of ``x`` classified as ``labels`` (for class-conditional generators: how
        often the requested class is produced)."""
        labels = labels.numpy() if isinstance(labels, deepgrad.Tensor) else np.asarray(labels)
        return float(np.mean(self.predict(x, batch_size) == labels.reshape(-1)))

    def score(self, x, batch_size=500):
        """``{"inception_score", "confidence", "evenness", "histogram"}`` of images ``x``."""
        p = self.probabilities(x, batch_size)
        return {"inception_score": inception_score(p), "confidence": classifier_confidence(p),
                "evenness": class_evenness(p), "histogram": class_histogram(p).tolist()}

    def frechet_distance(self, x, reference, batch_size=500):
        """Fréchet distance between the features of images ``x`` and of ``reference`` images
        (or precomputed ``(mu, sigma)`` statistics of the reference)."""
        stats_x = feature_statistics(self.features(x, batch_size))
        if isinstance(reference, tuple) and len(reference) == 2:
            stats_ref = reference
        else:
            stats_ref = feature_statistics(self.features(reference, batch_size))
        return frechet_distance(*stats_x, *stats_ref)

    def evaluate(self, generated, real, batch_size=500):
        """All metrics of ``generated`` images, with the Fréchet distance to ``real`` ones."""
        result = self.score(generated, batch_size)
        result["frechet_distance"] = self.frechet_distance(generated, real, batch_size)
        return result


def _fashion_mnist(root, train):
    from deepgrad.datasets import FashionMNIST

    ds = FashionMNIST(root=root, train=train)
    x = np.asarray(ds.data.numpy(), dtype=np.float32)[:, None] / 255.0
    return x, np.asarray(ds.targets.numpy(), dtype=np.int64)


def reference_classifier(path=DEFAULT_REFERENCE_PATH, epochs=5, batch_size=128, lr=0.05,
                         seed=0, root="data", retrain=False, verbose=0):
    """LeNet-5 trained on Fashion-MNIST, loaded from ``path`` when it exists (else trained —
    about a minute per epoch on a shared CPU — and saved there). Returns a
    :class:`ReferenceClassifier`; ``.info`` holds its test accuracy.

    Recipe: pixels in [0, 1] standardised with the training set's mean and std, SGD with
    momentum 0.9, lr ``lr`` with cosine annealing, weight decay 5e-4, batch 128, seed ``seed``.
    ``path=None`` trains without caching.
    """
    from deepgrad import nn, optim
    from deepgrad.models import lenet5

    model = lenet5(num_classes=10)
    if path is not None:
        path = os.path.expanduser(os.fspath(path))
    if path is not None and os.path.exists(path) and not retrain:
        saved = deepgrad.load(path)
        model.load_state_dict(saved["state_dict"])
        return ReferenceClassifier(model, saved["mean"], saved["std"], info=saved["info"])

    from deepgrad.train import fit

    deepgrad.manual_seed(seed)
    model = lenet5(num_classes=10)
    x_train, y_train = _fashion_mnist(root, train=True)
    x_test, y_test = _fashion_mnist(root, train=False)
    mean, std = float(x_train.mean()), float(x_train.std())
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    start = time.perf_counter()
    fit(model, ((x_train - mean) / std, y_train), loss=nn.CrossEntropyLoss(),
        optimizer=optimizer, scheduler=scheduler, epochs=epochs, batch_size=batch_size,
        verbose=verbose)
    reference = ReferenceClassifier(model, mean, std)
    reference.info = {"model": "lenet5", "dataset": "fashion-mnist", "epochs": epochs,
                      "seed": seed, "test_accuracy": reference.accuracy(x_test, y_test),
                      "train_seconds": round(time.perf_counter() - start, 1)}
    if path is not None:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        deepgrad.save({"state_dict": model.state_dict(), "mean": mean, "std": std,
                       "info": reference.info}, path)
    return reference
