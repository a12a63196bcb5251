"""Top-level runtime switches of PyTorch that have no work to do in deepgrad:
``compile``, deterministic algorithms and float32 matmul precision."""

__all__ = ["compile", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision",
           "get_float32_matmul_precision"]

_state = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False, **kwargs):  # noqa: A001  (torch's name)
    """Return ``model`` (a module or a function) unchanged: deepgrad runs eagerly.

    torch.compile traces the Python code into a graph and generates fused kernels. deepgrad
    has no code generator (a compiled accelerator must earn its place, see DESIGN.md), so the
    "compiled" model is the model itself, with the same results. Called without ``model`` it
    returns a decorator, as torch's does (``@deepgrad.compile(mode="max-autotune")``).
    """
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if model is None:
        def decorator(fn):
            return fn

        return decorator
    if not callable(model):
        raise RuntimeError(f"compile: model must be callable, got {type(model).__name__}")
    return model


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Record the request for deterministic algorithms. deepgrad's ops already are: the same
    inputs give bit-for-bit the same results (NumPy kernels, a seeded generator)."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' must be bool, not "
                        f"{type(mode).__name__}")
    _state["deterministic"] = mode
    _state["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _state["warn_only"]


def set_float32_matmul_precision(precision):
    """Record "highest", "high" or "medium"; deepgrad's float32 matmuls are always full
    float32 (NumPy has no TF32 or bfloat16 passes)."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision!r}: expected one of 'highest', "
                           f"'high', 'medium'")
    _state["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _state["matmul_precision"]
