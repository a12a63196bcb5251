"""``deepgrad.metrics``: the classification metrics of :mod:`deepgrad.train.metrics`, and the
quality metrics of generated images (:mod:`deepgrad.metrics.generative`: Inception-style score,
confidence, class evenness, Fréchet distance) with the reference classifier that computes them
(:mod:`deepgrad.metrics.reference`)."""

from deepgrad.metrics.generative import *  # noqa: F401,F403
from deepgrad.metrics.generative import __all__ as _generative_all
from deepgrad.metrics.reference import *  # noqa: F401,F403
from deepgrad.metrics.reference import __all__ as _reference_all
from deepgrad.train.metrics import *  # noqa: F401,F403
from deepgrad.train.metrics import __all__ as _classification_all

__all__ = list(_classification_all) + list(_generative_all) + list(_reference_all)
