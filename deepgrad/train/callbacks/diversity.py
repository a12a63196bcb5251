"""``SampleDiversity``: watch a generator for mode collapse while it trains."""

import warnings

import numpy as np

from deepgrad.train.callbacks.base import Callback

__all__ = ["SampleDiversity"]


class SampleDiversity(Callback):
    """After every epoch, draw ``n`` images with ``model.sample`` and log ``diversity`` =
    :func:`deepgrad.metrics.sample_diversity` (their mean pairwise distance over that of ``n``
    real images): about 1 for a generator as varied as the data, near 0 for a collapsed one.

    Args:
        real: real images N×C×H×W in [0, 1] to compare with; None takes the first ``n`` images
            of the training set (in data-set order, so the run's shuffling is not disturbed).
        n: how many images to sample (and to take from the training set).
        threshold: a ratio below this is reported as mode collapse: a RuntimeWarning naming
            the epoch and, with ``stop=True``, the end of training with ``history.stop_reason``.
        seed: the samples are drawn from this seed every epoch (the same noise each time, so
            epochs compare), and the run's random generator is restored afterwards, so the
            check does not change the training itself.

    :func:`~deepgrad.train.fit_generative` adds one to GAN training (models with
    ``check_diversity = True``); pass ``diversity=None`` to leave it out. A freshly initialised
    DCGAN (weights ~ N(0, 0.02)) draws nearly one image for every z, so a very short run is
    reported too: there the warning is true, but it is no sign of a broken game.
    """

    adds_logs = True  # runs before History and the loggers, which then record "diversity"

    def __init__(self, real=None, n=64, threshold=0.2, stop=False, seed=0):
        if n < 2:
            raise ValueError(f"SampleDiversity: n must be at least 2, got {n}")
        self.real, self.n, self.threshold = real, int(n), float(threshold)
        self.stop, self.seed = stop, seed
        self._real = None

    def on_train_begin(self, logs=None):
        if self.real is not None:
            self._real = _numpy(self.real)[:self.n]
            return
        loader = getattr(self.trainer, "train_loader", None)
        dataset = getattr(loader, "dataset", None)
        if dataset is None:
            raise ValueError("SampleDiversity: pass real=images (the training data has no "
                             "dataset to take real images from)")
        first = [dataset[i] for i in range(min(self.n, len(dataset)))]
        self._real = np.stack([_numpy(item[0] if isinstance(item, (tuple, list)) else item)
                               for item in first])

    def _sample(self):
        import deepgrad

        model = self.trainer.model
        state = deepgrad.get_rng_state()
        deepgrad.manual_seed(self.seed)
        try:
            images = model.sample(self.n, **dict(getattr(model, "sample_defaults", {})))
        finally:
            deepgrad.set_rng_state(state)
        return _numpy(images)

    def on_epoch_end(self, epoch, logs=None):
        import math

        from deepgrad.metrics.generative import sample_diversity

        if self.trainer.stop_training:  # e.g. NaN weights, already reported
            return
        ratio = sample_diversity(self._sample(), self._real)
        if logs is not None:
            logs["diversity"] = ratio
        if ratio >= self.threshold or not math.isfinite(ratio):
            return
        message = (f"SampleDiversity: possible mode collapse at epoch {epoch + 1}: generated "
                   f"images are {ratio:.3f}x as far apart as real ones (threshold "
                   f"{self.threshold}); the generator gives (nearly) the same image for every z."
                   f" Try a lower learning rate, label_smoothing=0.1, or restart from an "
                   f"earlier checkpoint.")
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        if self.stop:
            self.trainer.history.stop_reason = message
            self.trainer.stop_training = True


def _numpy(x):
    if hasattr(x, "detach"):
        x = x.detach().numpy()
    return np.asarray(x)
