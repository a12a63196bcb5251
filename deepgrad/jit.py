"""``deepgrad.jit``: TorchScript's entry points as pass-throughs.

TorchScript compiles a module or function to a graph that runs without Python. deepgrad is
Python and NumPy all the way down, so ``script`` and ``trace`` return what they are given,
unchanged, and code that scripts its model to speed it up or to check it runs as before.
Saving a TorchScript program has no counterpart: use ``deepgrad.save`` (safetensors) instead.
"""

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "is_scripting",
           "is_tracing", "annotate", "interface", "save", "load", "freeze",
           "optimize_for_inference"]


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return ``obj`` (a module or function) unchanged: deepgrad runs it eagerly."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-5, strict=True, _force_outplace=False, _module_class=None,
          _compilation_unit=None, example_kwarg_inputs=None, _store_inputs=True):
    """Return ``func`` unchanged (torch records the ops it runs on ``example_inputs``)."""
    return func


def trace_module(mod, inputs, *args, **kwargs):
    return mod


def _decorator_or_flag(fn=None, **_):
    if callable(fn):
        return fn
    return lambda f: f


def ignore(drop=False, **kwargs):
    """``@jit.ignore`` / ``@jit.ignore(drop=True)``: the function stays Python (as all do)."""
    return _decorator_or_flag(drop)


def unused(fn):
    return fn


def export(fn):
    return fn


def interface(obj):
    return obj


def is_scripting():
    """False: deepgrad code never runs as TorchScript."""
    return False


def is_tracing():
    """False: deepgrad never traces."""
    return False


def annotate(the_type, the_value):
    """Return ``the_value`` (a TorchScript type hint)."""
    return the_value


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


def save(m, f, _extra_files=None):
    raise NotImplementedError("deepgrad.jit.save: deepgrad has no TorchScript format; save the "
                              "state_dict with deepgrad.save (safetensors) instead")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise NotImplementedError("deepgrad.jit.load: deepgrad cannot run TorchScript programs; load "
                              "a state_dict with deepgrad.load instead")
