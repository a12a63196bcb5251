"""``deepgrad.compiler``: ``torch.compiler``'s switches; deepgrad never compiles (see
``deepgrad.compile``), so ``disable`` returns the function and ``is_compiling`` is False."""

__all__ = ["disable", "is_compiling", "is_dynamo_compiling", "reset", "allow_in_graph",
           "assume_constant_result", "cudagraph_mark_step_begin"]


def disable(fn=None, recursive=True, *, reason=None):
    """``@compiler.disable`` (or ``disable(fn)``): ``fn`` unchanged."""
    if fn is None:
        return lambda f: f
    return fn


def is_compiling():
    return False


def is_dynamo_compiling():
    return False


def reset():
    """Nothing to reset: there are no compiled artifacts."""


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn


def cudagraph_mark_step_begin():
    """A no-op (no CUDA graphs)."""
