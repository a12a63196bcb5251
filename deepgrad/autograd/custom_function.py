"""PyTorch-style custom autograd functions: ``forward(ctx, ...)`` / ``backward(ctx, ...)``
static methods on tensors, with ``ctx.save_for_backward``.

deepgrad's own ops subclass ``deepgrad.autograd.function.Function`` and write ``forward`` and
``backward`` as methods on NumPy arrays. User code written for torch instead writes::

    class Exp(deepgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            (y,) = ctx.saved_tensors
            return grad_output * y

``deepgrad.autograd.Function`` accepts both: a subclass whose ``forward`` is a static method
gets torch's ``apply`` (forward runs without recording, on tensors; the result's ``grad_fn``
is a node named ``ExpBackward`` whose backward calls the user's, on tensors). Several outputs
share one node through a flat buffer of their values, so each output's gradient reaches the
same backward call.
"""

import numpy as np

from deepgrad.autograd import function as _function
from deepgrad.autograd.grad_mode import GradMode, no_grad

__all__ = ["Function", "FunctionCtx", "once_differentiable"]

_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Specify retain_graph=True if you need "
          "to backward through the graph a second time or if you need to access saved tensors "
          "after calling backward.")


def _Tensor():
    return _function._Tensor


class FunctionCtx:
    """What ``forward`` can leave for ``backward`` (torch's ``ctx``)."""

    def save_for_backward(self, *tensors):
        """Keep ``tensors`` for backward (read back as ``ctx.saved_tensors``)."""
        Tensor = _Tensor()
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self._saved = tuple(tensors)

    @property
    def saved_tensors(self):
        try:
            return self._saved
        except AttributeError:
            if getattr(self, "versions", ()) is None:
                raise RuntimeError(_FREED) from None
            return ()

    def mark_non_differentiable(self, *tensors):
        """Outputs that get no gradient (indices, masks): they won't require grad."""
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        """Accepted for compatibility: deepgrad tracks in-place changes by version counters."""

    def set_materialize_grads(self, value):
        """Whether backward sees zeros (True, the default) or None for unused outputs."""
        self._materialize = bool(value)


def once_differentiable(fn):
    """Mark a backward as not differentiable twice (deepgrad never differentiates a backward,
    so this returns ``fn`` unchanged)."""
    return fn


def _sum_to(grad, shape, name, index):
    """``grad`` summed down to ``shape`` (torch accepts a gradient ``shape`` expands to)."""
    if grad.shape == tuple(shape):
        return grad
    try:
        expanded = np.broadcast_shapes(tuple(shape), grad.shape)
    except ValueError:
        expanded = None
    if expanded != grad.shape:
        raise RuntimeError(f"Function {name} returned an invalid gradient at index {index} - got "
                           f"{list(grad.shape)} but expected shape compatible with "
                           f"{list(shape)}")
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and grad.shape[lead + i] != 1)
    return grad.sum(axis=axes).reshape(shape) if axes else grad


class _CtxNode(_function.Function, FunctionCtx):
    """The graph node of one ``apply`` of a torch-style Function (also its ``ctx``)."""

    def name(self):
        return type(self).__name__

    def backward(self, grad):
        Tensor = _Tensor()
        name = self.name()
        materialize = getattr(self, "_materialize", True)
        parts = iter(_split(grad, self._layout))
        grads = []
        for shape, dtype, differentiable in self._out_meta:
            part = next(parts) if differentiable else None  # no gradient flows to the others
            if part is None and materialize:
                part = np.zeros(shape, dtype=dtype)
            grads.append(None if part is None else Tensor._from_op(np.asarray(part), None))
        with no_grad():
            results = self._user.backward(self, *grads)
        if not isinstance(results, tuple):
            results = (results,)
        count = len(self.parents)
        if len(results) > count and all(r is None for r in results[count:]):
            results = results[:count]
        if len(results) != count:
            raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                               f"(expected {count}, got {len(results)})")
        arrays = []
        for i, (parent, wants, r) in enumerate(zip(self.parents, self.needs_input_grad,
                                                   results)):
            if r is None or not wants:
                arrays.append(None)  # also the gradient "returned" for a non-tensor argument
                continue
            if not isinstance(r, Tensor):
                raise TypeError(f"function {name} returned a gradient of type "
                                f"{type(r).__name__} at index {i}; expected a Tensor or None")
            arrays.append(_sum_to(r._data, parent.shape, name, i).astype(parent.dtype,
                                                                          copy=False))
        return tuple(arrays)


def _split(grad, layout):
    """The node's flat gradient cut back into one array per output (``layout`` None: the
    node has a single output and ``grad`` is its gradient)."""
    if layout is None:
        return [grad]
    parts, start = [], 0
    for shape, size in layout:
        parts.append(grad[start:start + size].reshape(shape))
        start += size
    return parts


def join_outputs(outputs, node, differentiable):
    """Make ``node`` the ``grad_fn`` of ``outputs`` (Tensors): a single float output gets it
    directly; several share one flat buffer whose slices they are. Outputs not in
    ``differentiable`` (ids; or not floating point) are returned without a gradient.

    Returns (the new outputs, the layout ``_split`` cuts the node's gradient with).
    """
    Tensor = _Tensor()
    floats = [o for o in outputs if o.dtype.kind == "f" and id(o) in differentiable]
    if not floats:
        return [Tensor._from_op(o._data, None) for o in outputs], None
    if len(outputs) == 1:
        return [Tensor._from_op(outputs[0]._data, node)], None
    dtype = np.result_type(*[o.dtype for o in floats])
    flat = np.concatenate([o._data.reshape(-1).astype(dtype, copy=False) for o in floats])
    layout = [(o.shape, o._data.size) for o in floats]
    joined = Tensor._from_op(flat, node)
    pieces, start = [], 0
    for o in outputs:
        if o.dtype.kind == "f" and id(o) in differentiable:
            piece = joined[start:start + o._data.size].reshape(o.shape)
            pieces.append(piece if piece.dtype == o.dtype else piece.to(o.dtype))
            start += o._data.size
        else:
            pieces.append(Tensor._from_op(o._data, None))
    return pieces, layout


def link(node, parents):
    """Record ``parents`` as ``node``'s inputs, as ``Function.apply`` does: non-tensors among
    them take no gradient."""
    Tensor = _Tensor()
    node.parents = tuple(parents)
    node.needs_input_grad = tuple(isinstance(p, Tensor) and p.requires_grad for p in parents)
    node.versions = tuple(p._version if isinstance(p, Tensor) else 0 for p in parents)


_NODE_CLASSES = {}


def _node_class(cls):
    """The node class for user Function ``cls``: named after it, so its ``grad_fn`` reads
    ``<ClsBackward>`` as in torch."""
    node_cls = _NODE_CLASSES.get(cls)
    if node_cls is None:
        node_cls = _NODE_CLASSES[cls] = type(f"{cls.__name__}Backward", (_CtxNode,),
                                             {"_user": cls})
    return node_cls


def _ctx_apply(cls, *args, **kwargs):
    """torch's ``Function.apply``: forward on tensors without recording, one node for the
    outputs, backward on tensors."""
    Tensor = _Tensor()
    node = _node_class(cls)()
    tensors = [a for a in args if isinstance(a, Tensor)]
    node.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    uses_setup = cls.setup_context is not Function.setup_context
    with no_grad():
        result = cls.forward(*args, **kwargs) if uses_setup else \
            cls.forward(node, *args, **kwargs)
    if uses_setup:
        cls.setup_context(node, args, result)
    single = isinstance(result, Tensor)
    outputs = [result] if single else list(result) if isinstance(result, (tuple, list)) else None
    if outputs is None:
        raise TypeError(f"{cls.__name__}.forward must return a Tensor or a tuple of Tensors, "
                        f"got {type(result).__name__}")
    tensor_outputs = [o for o in outputs if isinstance(o, Tensor)]
    requires = GradMode.enabled and any(t.requires_grad for t in tensors)
    if not requires or not tensor_outputs:
        return result
    skipped = getattr(node, "_non_differentiable", set())
    differentiable = {id(o) for o in tensor_outputs if id(o) not in skipped
                      and o.dtype.kind == "f"}
    node._out_meta = [(o.shape, o.dtype, id(o) in differentiable) for o in tensor_outputs]
    new, node._layout = join_outputs(tensor_outputs, node, differentiable)
    link(node, args)  # one parent per forward argument: backward returns a gradient for each
    if single:
        return new[0]
    replaced = iter(new)
    out = [next(replaced) if isinstance(o, Tensor) else o for o in outputs]
    return tuple(out) if isinstance(result, tuple) else out


class Function(_function.Function):
    """Base class of custom autograd functions, in either style:

    * deepgrad's own (the ops'): ``forward(self, *arrays)`` and ``backward(self, grad)``
      methods on NumPy arrays;
    * torch's: ``@staticmethod forward(ctx, *args)`` and ``@staticmethod backward(ctx,
      *grads)`` on tensors (or ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``),
      called through ``MyFunction.apply(...)``.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("forward"), staticmethod):
            cls.apply = classmethod(_ctx_apply)

    @staticmethod
    def setup_context(ctx, inputs, output):
        """torch 2's split style: fill ``ctx`` from the inputs and output of ``forward``."""
        raise NotImplementedError
