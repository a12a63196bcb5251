"""The grad-mode switch: whether ops record the graph (``no_grad``, ``enable_grad``)."""

import functools


class GradMode:
    enabled = True


def is_grad_enabled():
    return GradMode.enabled


class _GradModeContext:
    """Base of the grad-mode context managers; each also works as a decorator."""

    mode = True

    def __enter__(self):
        self._previous = GradMode.enabled
        GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        GradMode.enabled = self._previous
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Ops inside record no graph: for evaluation and for in-place parameter updates."""

    mode = False


class enable_grad(_GradModeContext):
    """Turn recording back on inside a ``no_grad`` region."""

    mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` switches recording off at once, or within a ``with``."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._previous = GradMode.enabled
        GradMode.enabled = self.mode

    def __enter__(self):
        return self

    def __call__(self, func):
        GradMode.enabled = self._previous
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


class inference_mode(no_grad):
    """Same as ``no_grad`` here (PyTorch's name, for code that carries over)."""

    def __init__(self, mode=True):
        self.mode = not mode
