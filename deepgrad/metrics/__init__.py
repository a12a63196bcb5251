"""``deepgrad.metrics``: the classification metrics of :mod:`deepgrad.train.metrics`."""

from deepgrad.train.metrics import *  # noqa: F401,F403
from deepgrad.train.metrics import __all__  # noqa: F401
