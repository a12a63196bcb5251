"""Activation checkpointing (PyTorch's ``torch.utils.checkpoint``): trade compute for memory.

``checkpoint(function, *args)`` runs ``function`` without recording its graph, so none of its
intermediate activations are kept; the result is one graph node that saves only the inputs.
When the backward pass reaches that node, it runs ``function`` again with the graph on
(restoring the random generator first, so dropout draws the same mask), back-propagates the
incoming gradient through that fresh graph, and hands the gradients of the inputs on. The
gradients are those of the plain call; the forward runs twice.

``use_reentrant=True`` (torch's default when the argument is omitted, with its warning)
behaves as torch's reentrant variant: the inner backward accumulates the gradients of the
parameters ``function`` uses straight into their ``.grad``, and if no *argument* requires
grad the output does not either. ``use_reentrant=False`` makes the parameters inputs of the
node too (found from a module's ``parameters()``, or else from one recorded run whose graph
is then dropped), so ``autograd.grad`` with respect to them works and an input that needs no
gradient is fine.
"""

import contextlib
import warnings

import numpy as np

from deepgrad.autograd import engine
from deepgrad.autograd.custom_function import _split, join_outputs, link
from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import GradMode, enable_grad, no_grad

__all__ = ["checkpoint", "checkpoint_sequential"]


def _Tensor():
    from deepgrad.tensor import Tensor

    return Tensor


def _as_outputs(result):
    """(list of output tensors, rebuild(list) -> the result's structure)."""
    Tensor = _Tensor()
    if isinstance(result, Tensor):
        return [result], lambda outs: outs[0]
    if isinstance(result, (tuple, list)):
        positions = [i for i, r in enumerate(result) if isinstance(r, Tensor)]

        def rebuild(outs):
            items = list(result)
            for p, o in zip(positions, outs):
                items[p] = o
            return type(result)(items) if isinstance(result, tuple) else items

        return [result[i] for i in positions], rebuild
    raise TypeError(f"checkpoint: function must return a Tensor or a tuple of Tensors, got "
                    f"{type(result).__name__}")


def _module_parameters(function):
    """The parameters of ``function`` if it is a Module or a Module's bound method, else None."""
    from deepgrad.nn.module import Module

    owner = function if isinstance(function, Module) else getattr(function, "__self__", None)
    if isinstance(owner, Module):
        return [p for p in owner.parameters() if p.requires_grad]
    return None


def _graph_leaves(outputs, inputs):
    """The tensors requiring grad that ``outputs`` depend on, stopping at ``inputs``: the leaves
    (parameters) a function used besides its arguments."""
    stop = {id(t) for t in inputs}
    found, seen_nodes, seen_leaves = [], set(), set()
    stack = [o.grad_fn for o in outputs if o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node in seen_nodes:
            continue
        seen_nodes.add(node)
        for parent in node.parents:
            if not isinstance(parent, _Tensor()) or id(parent) in stop:
                continue
            if parent.grad_fn is None:
                if parent.requires_grad and id(parent) not in seen_leaves:
                    seen_leaves.add(id(parent))
                    found.append(parent)
            else:
                stack.append(parent.grad_fn)
    return found


class CheckpointBackward(Function):
    """The node standing for a whole checkpointed call; its backward recomputes the call."""

    def backward(self, grad):
        Tensor = _Tensor()
        args = list(self.args)
        copies = []
        for i in self.tensor_positions:
            copy = Tensor._from_op(args[i]._data, None)
            copy.requires_grad = args[i].requires_grad
            args[i] = copy
            copies.append(copy)
        from deepgrad.backend import random as _random

        current = _random.get_rng_state() if self.rng_state is not None else None
        try:
            if self.rng_state is not None:
                _random.set_rng_state(self.rng_state)
            with enable_grad(), self.recompute_context:
                outputs, _ = _as_outputs(self.function(*args, **self.kwargs))
        finally:
            if current is not None:
                _random.set_rng_state(current)
        grads = _split(grad, self.layout)
        pairs = [(o, g) for o, g in zip(outputs, grads) if o.requires_grad and g is not None]
        wanted = copies + list(self.extra)
        if not pairs:
            return (None,) * len(self.parents)
        outs, seeds = [o for o, _ in pairs], [np.asarray(g, dtype=o.dtype) for o, g in pairs]
        if self.reentrant:
            # torch's reentrant variant: parameters receive their gradient here, directly
            for c in copies:
                c.grad = None
            engine.run_backward(outs, seeds, False)
            captured = [None if c.grad is None else c.grad._data for c in copies]
        else:
            captured = engine.run_backward(outs, seeds, False, capture=wanted)
        return tuple(captured)


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, preserve_rng_state=True, **kwargs):
    """Run ``function(*args, **kwargs)`` keeping no activations; recompute them in backward.

    Args:
        function: what to run (a module, or any function of tensors).
        *args: its positional arguments.
        use_reentrant: see the module docstring; omitted means True, with torch's warning.
        context_fn: (non-reentrant) returns two context managers, entered around the forward
            run and around the recomputation.
        preserve_rng_state: restore the random generator before the recomputation (default
            True), so random ops (dropout) see the same draws both times.

    Returns:
        What ``function`` returns, with one graph node standing for the whole call.
    """
    Tensor = _Tensor()
    if use_reentrant is None:
        warnings.warn("deepgrad.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly. use_reentrant=False is recommended, but if you need to "
                      "preserve the current default behavior, you can pass use_reentrant=True.",
                      stacklevel=2)
        use_reentrant = True
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if context_fn is not None or debug:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    if not GradMode.enabled:
        return function(*args, **kwargs)
    from deepgrad.backend import random as _random

    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    tensors = [args[i] for i in positions]
    rng_state = _random.get_rng_state() if preserve_rng_state else None
    extra = []
    recorded = False
    forward_context, recompute_context = (contextlib.nullcontext(), contextlib.nullcontext()) \
        if context_fn is None else context_fn()
    if use_reentrant:
        if not any(t.requires_grad for t in tensors):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                          stacklevel=2)
    else:
        extra = _module_parameters(function)
        if extra is None:
            # a plain function: record this one run to find the leaves it uses (parameters
            # it closes over); the graph is dropped with the outputs below
            with forward_context:
                result = function(*args, **kwargs)
            extra = _graph_leaves(_as_outputs(result)[0], tensors)
            recorded = True
        seen = {id(t) for t in tensors}
        extra = [p for p in extra if id(p) not in seen]
    if not recorded:
        with no_grad(), forward_context:
            result = function(*args, **kwargs)
    outputs, rebuild = _as_outputs(result)
    parents = tensors + extra
    if not any(p.requires_grad for p in parents):
        return result
    node = CheckpointBackward()
    node.function, node.args, node.kwargs = function, args, kwargs
    node.tensor_positions, node.extra = positions, extra
    node.rng_state, node.reentrant = rng_state, bool(use_reentrant)
    node.recompute_context = recompute_context
    # the outputs' values (outside the graph of a recorded run, which is then freed), all
    # sharing the one node
    pieces, node.layout = join_outputs(outputs, node, {id(o) for o in outputs})
    if not any(p.requires_grad for p in pieces):
        return result
    link(node, parents)
    return rebuild(pieces)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (a list, or an ``nn.Sequential``) one after another on ``input``,
    checkpointing ``segments - 1`` equal segments and running the last one normally."""
    if use_reentrant is None:
        warnings.warn("deepgrad.utils.checkpoint.checkpoint_sequential: the use_reentrant "
                      "parameter should be passed explicitly. use_reentrant=False is "
                      "recommended.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    from deepgrad.nn.modules.container import Sequential

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    functions = list(functions)

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
