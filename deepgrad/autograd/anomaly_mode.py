"""Anomaly detection (PyTorch's ``torch.autograd.detect_anomaly``).

With anomaly mode on, the backward pass checks every gradient a node's backward returns and
raises, naming the node, as soon as one holds a NaN, instead of letting the NaN spread
silently into every parameter. Off, it costs the engine one boolean read per backward pass.
"""

import functools
import warnings

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "set_anomaly_enabled"]


class AnomalyMode:
    enabled = False
    check_nan = True


def is_anomaly_enabled():
    """Whether anomaly detection is on."""
    return AnomalyMode.enabled


def is_anomaly_check_nan_enabled():
    """Whether anomaly detection checks the backward's gradients for NaN."""
    return AnomalyMode.check_nan


class _AnomalyContext:
    def __init__(self, mode, check_nan):
        self.mode = bool(mode)
        self.check = bool(check_nan)
        self._previous = (AnomalyMode.enabled, AnomalyMode.check_nan)

    def __enter__(self):
        self._previous = (AnomalyMode.enabled, AnomalyMode.check_nan)
        AnomalyMode.enabled, AnomalyMode.check_nan = self.mode, self.check
        return self

    def __exit__(self, *exc):
        AnomalyMode.enabled, AnomalyMode.check_nan = self._previous
        return False

    def __call__(self, func):
        mode, check = self.mode, self.check

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with _AnomalyContext(mode, check):
                return func(*args, **kwargs)

        return wrapper


class detect_anomaly(_AnomalyContext):
    """Context manager (or decorator) that turns anomaly detection on inside it::

        with deepgrad.autograd.detect_anomaly():
            loss.backward()   # RuntimeError: Function 'DivBackward' returned nan values ...
    """

    def __init__(self, check_nan=True):
        super().__init__(True, check_nan)
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)


class set_detect_anomaly(_AnomalyContext):
    """``set_detect_anomaly(True)`` turns anomaly detection on at once, or within a ``with``
    (restoring the previous setting on exit)."""

    def __init__(self, mode, check_nan=True):
        super().__init__(mode, check_nan)
        AnomalyMode.enabled, AnomalyMode.check_nan = self.mode, self.check

    def __enter__(self):
        return self

    def __call__(self, func):
        AnomalyMode.enabled, AnomalyMode.check_nan = self._previous  # as a decorator: not now
        return super().__call__(func)


def set_anomaly_enabled(enabled, check_nan=True):
    """Turn anomaly detection on or off (``torch.set_anomaly_enabled``)."""
    AnomalyMode.enabled, AnomalyMode.check_nan = bool(enabled), bool(check_nan)


def nan_error(node, index):
    """The error anomaly mode raises when ``node``'s backward returned NaN in output ``index``."""
    return RuntimeError(f"Function '{node.name()}' returned nan values in its {index}th output.")
