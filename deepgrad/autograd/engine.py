"""The backward pass: one iterative walk of the graph in reverse topological order.

Iterative, not recursive, so a chain of tens of thousands of ops (a long RNN unroll) never
hits Python's recursion limit. Each node's gradient is the sum of what its consumers send it;
a node runs once all of them have, then releases what its forward saved.
"""

import numpy as np

from deepgrad.autograd import function as _function
from deepgrad.autograd.anomaly_mode import AnomalyMode
from deepgrad.autograd.grad_mode import GradMode

FREED_GRAPH = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time."
)


_MISSING = object()


def _rebased_child(parent, version):
    """The node that produced ``parent`` at ``version``, for a tensor that ``x[key] = v`` has
    rewritten since (copy-on-write keeps that version's array intact: see ``ops.index.setitem``),
    or ``_MISSING`` when the tensor was changed in place some other way."""
    history = getattr(parent, "_rebased", None)
    return _MISSING if history is None else history.get(version, _MISSING)


def _count_consumers(roots):
    """Map each node reachable from ``roots`` to the number of graph edges that reach it."""
    consumers = {}
    stack = list(roots)
    seen = set(stack)
    while stack:
        node = stack.pop()
        versions = node.versions
        for index, (parent, wants) in enumerate(zip(node.parents, node.needs_input_grad)):
            if not wants:
                continue
            child = parent.grad_fn
            if versions is not None and parent._version != versions[index]:
                old = _rebased_child(parent, versions[index])
                if old is not _MISSING:
                    child = old
            if child is None:
                continue
            if child in consumers:
                consumers[child] += 1
            else:
                consumers[child] = 1
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
    return consumers


def _run_hooks(hooks, grad):
    Tensor = _function._Tensor
    for hook in hooks:
        result = hook(Tensor._from_op(grad, None))
        if result is not None:
            grad = result._data if isinstance(result, Tensor) else np.asarray(result)
    return grad


def _version_error(node, parent, version):
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: a tensor of shape {tuple(parent.shape)} used by {node.name()} is "
        f"at version {parent._version}; expected version {version}. Avoid the in-place "
        f"operation or clone() the tensor first.")


class _Capture:
    """What ``autograd.grad`` asked for: the gradients reaching some tensors, kept aside."""

    def __init__(self, tensors):
        self.grads = [None] * len(tensors)
        self.leaf_index = {id(t): i for i, t in enumerate(tensors) if t.grad_fn is None}
        self.node_index = {t.grad_fn: i for i, t in enumerate(tensors) if t.grad_fn is not None}

    def add(self, index, grad):
        if index is not None:
            self.grads[index] = grad if self.grads[index] is None else self.grads[index] + grad


def _deliver_to_leaf(leaf, grad, owned, capture):
    """Accumulate ``grad`` into ``leaf.grad`` (or into ``capture``). ``owned`` holds the ids of
    arrays a leaf's ``.grad`` must not share: those already handed to a leaf in this pass, and
    the caller's own gradient arrays (``backward(gradient=g)`` must not alias ``g``)."""
    if leaf._hooks:
        grad = _run_hooks(leaf._hooks, grad)
    if capture is not None:
        capture.add(capture.leaf_index.get(id(leaf)), grad)
        return
    data = leaf._data
    if grad.dtype != data.dtype:
        grad = grad.astype(data.dtype)
    if grad.shape != data.shape:
        grad = np.broadcast_to(grad, data.shape)
    if leaf.grad is None:
        if type(grad) is not np.ndarray or grad.base is not None or id(grad) in owned \
                or not grad.flags.writeable:
            grad = np.array(grad)
        owned.add(id(grad))
        leaf.grad = _function._Tensor._from_op(grad, None)
    else:
        total = leaf.grad._data + grad
        leaf.grad._data = total if type(total) is np.ndarray else np.asarray(total)


def _check_nan(node, input_grads):
    """Anomaly mode: raise naming ``node`` if its backward returned a NaN gradient."""
    from deepgrad.autograd.anomaly_mode import nan_error

    for index, input_grad in enumerate(input_grads):
        if input_grad is not None and np.isnan(input_grad).any():
            raise nan_error(node, index)


def run_backward(outputs, grads, retain_graph=False, capture=None):
    """Propagate ``grads`` (arrays) from ``outputs`` (Tensors) to the leaves.

    Without ``capture`` the leaves' ``.grad`` accumulate, as ``Tensor.backward`` does. With
    ``capture`` (a list of Tensors), the gradients reaching those tensors are returned instead
    and no ``.grad`` is touched, as ``autograd.grad`` does.
    """
    Tensor = _function._Tensor
    if capture is not None:
        capture = _Capture(capture)
    pending = {}
    leaf_roots = []
    owned = set()
    for out, grad in zip(outputs, grads):
        owned.add(id(grad))
        node = out.grad_fn
        if node is None:
            leaf_roots.append((out, grad))
        elif node in pending:
            pending[node] = pending[node] + grad
        else:
            pending[node] = grad
    consumers = _count_consumers(pending)
    ready = []
    for node in pending:
        if node not in consumers:
            ready.append(node)

    for leaf, grad in leaf_roots:
        if leaf.requires_grad:
            _deliver_to_leaf(leaf, grad, owned, capture)

    check_nan = AnomalyMode.enabled and AnomalyMode.check_nan  # read once: free when off
    previous_mode = GradMode.enabled
    GradMode.enabled = False  # backward functions work on arrays; nothing here is recorded
    try:
        while ready:
            node = ready.pop()
            grad = pending.pop(node)
            parents, versions = node.parents, node.versions
            if versions is None:
                raise RuntimeError(FREED_GRAPH)
            i = 0
            rebased = None  # parents rewritten by setitem since: {index: their node then}
            for parent in parents:
                if isinstance(parent, Tensor) and parent._version != versions[i]:
                    old = _rebased_child(parent, versions[i])
                    if old is _MISSING:
                        raise _version_error(node, parent, versions[i])
                    rebased = rebased or {}
                    rebased[i] = old
                i += 1
            if node.hooks:
                grad = _run_hooks(node.hooks, grad)
            if capture is not None and node in capture.node_index:
                capture.add(capture.node_index[node], grad)
            needs = node.needs_input_grad
            input_grads = node.backward(grad)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if check_nan:
                _check_nan(node, input_grads)
            if not retain_graph:
                node.release()
            for index, (parent, wants, input_grad) in enumerate(zip(parents, needs,
                                                                     input_grads)):
                if not wants or input_grad is None:
                    continue
                child = parent.grad_fn if rebased is None else rebased.get(index,
                                                                          parent.grad_fn)
                if child is None:
                    _deliver_to_leaf(parent, input_grad, owned, capture)
                    continue
                if child in pending:
                    pending[child] = pending[child] + input_grad
                else:
                    pending[child] = input_grad
                remaining = consumers[child] - 1
                consumers[child] = remaining
                if remaining == 0:
                    ready.append(child)
    finally:
        GradMode.enabled = previous_mode
    return None if capture is None else capture.grads
