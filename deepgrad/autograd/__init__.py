"""Reverse-mode automatic differentiation: ``backward``, ``grad``, ``gradcheck``, grad modes."""

import numpy as np

from deepgrad.autograd.engine import run_backward
from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from deepgrad.autograd.gradcheck import gradcheck

__all__ = ["Function", "backward", "grad", "gradcheck", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "inference_mode"]


def _initial_grads(outputs, grad_outputs, what):
    from deepgrad.tensor import Tensor

    grads = []
    for i, out in enumerate(outputs):
        given = None if grad_outputs is None else grad_outputs[i]
        if not out.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn")
        if given is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs ({what} called on "
                    f"a tensor of shape {tuple(out.shape)}; pass gradient=)")
            grads.append(np.ones_like(out._data))
        else:
            array = given._data if isinstance(given, Tensor) else np.asarray(given, out.dtype)
            if array.shape != out.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(array.shape)} "
                    f"and output[{i}] has a shape of {tuple(out.shape)}.")
            grads.append(array.astype(out.dtype, copy=False))
    return grads


def _as_list(x):
    from deepgrad.tensor import Tensor

    return [x] if isinstance(x, Tensor) else list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad``."""
    if create_graph:
        raise NotImplementedError(
            "create_graph=True (higher-order gradients) is not supported: deepgrad's backward "
            "functions run on NumPy arrays outside the graph")
    tensors = _as_list(tensors)
    grads = _initial_grads(tensors, None if grad_tensors is None else _as_list(grad_tensors),
                           "backward")
    if inputs is not None:
        inputs = _as_list(inputs)
        captured = run_backward(tensors, grads, bool(retain_graph), capture=inputs)
        from deepgrad.tensor import Tensor

        for leaf, g in zip(inputs, captured):
            if g is None:
                continue
            if leaf.grad is None:
                leaf.grad = Tensor._from_op(np.array(g, dtype=leaf.dtype), None)
            else:
                leaf.grad._data = leaf.grad._data + g
        return
    run_backward(tensors, grads, bool(retain_graph))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """Return d(outputs)/d(inputs) as a tuple of tensors without touching any ``.grad``."""
    from deepgrad.tensor import Tensor

    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not supported")
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}) does not require grad")
    grads = _initial_grads(outputs, None if grad_outputs is None else _as_list(grad_outputs),
                           "grad")
    captured = run_backward(outputs, grads, bool(retain_graph), capture=inputs)
    result = []
    for i, (x, g) in enumerate(zip(inputs, captured)):
        if g is None:
            if materialize_grads:
                g = np.zeros_like(x._data)
            elif not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}) appears to not have been "
                    f"used in the graph. Set allow_unused=True if this is the desired behavior.")
            else:
                result.append(None)
                continue
        if g.shape != x.shape:
            g = np.broadcast_to(g, x.shape)
        result.append(Tensor._from_op(np.array(g, dtype=x.dtype), None))
    return tuple(result)


# missing-api: anomaly mode, gradgradcheck, autograd.functional (lazy: jacobian/hessian...)
from deepgrad.autograd import anomaly_mode  # noqa: E402
from deepgrad.autograd.anomaly_mode import (  # noqa: E402
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_anomaly_enabled,
    set_detect_anomaly,
)
from deepgrad.autograd.gradcheck import GradcheckError, gradgradcheck  # noqa: E402

__all__ += ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
            "is_anomaly_check_nan_enabled", "gradgradcheck", "functional"]


# torch-style custom functions (ctx, static forward/backward) on top of deepgrad's own style
from deepgrad.autograd.custom_function import (  # noqa: E402
    Function,  # noqa: F811  (replaces the ops' base class here; a subclass of it)
    FunctionCtx,
    once_differentiable,
)

__all__ += ["FunctionCtx", "once_differentiable"]


def __getattr__(name):
    if name in ("functional", "graph", "profiler"):  # profiler: torch.autograd.profiler
        import importlib

        return importlib.import_module("deepgrad.profiler" if name == "profiler"
                                       else f"deepgrad.autograd.{name}")
    raise AttributeError(f"module 'deepgrad.autograd' has no attribute {name!r}")


from deepgrad.autograd.variable import Variable  # noqa: E402  (legacy torch code)

__all__ += ["Variable"]
