"""The backward pass: one iterative walk of the graph in reverse topological order.

Iterative, not recursive, so a chain of tens of thousands of ops (a long RNN unroll) never
hits Python's recursion limit. Each node's gradient is the sum of what its consumers send it;
a node runs once all of them have, then releases what its forward saved.
"""

import numpy as np

from deepgrad.autograd.grad_mode import no_grad

FREED_GRAPH = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time."
)


def _count_consumers(roots):
    """Map each node reachable from ``roots`` to the number of graph edges that reach it."""
    consumers = {}
    stack = list(roots)
    seen = set(roots)
    while stack:
        node = stack.pop()
        for parent in node.parents:
            child = getattr(parent, "grad_fn", None)
            if child is None:
                continue
            consumers[child] = consumers.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return consumers


def _run_hooks(hooks, grad):
    from deepgrad.tensor import Tensor

    for hook in hooks:
        result = hook(Tensor._from_op(grad, None))
        if result is not None:
            grad = result._data if isinstance(result, Tensor) else np.asarray(result)
    return grad


def run_backward(outputs, grads, retain_graph=False, capture=None):
    """Propagate ``grads`` (arrays) from ``outputs`` (Tensors) to the leaves.

    Without ``capture`` the leaves' ``.grad`` accumulate, as ``Tensor.backward`` does. With
    ``capture`` (a list of Tensors), the gradients reaching those tensors are returned instead
    and no ``.grad`` is touched, as ``autograd.grad`` does.
    """
    from deepgrad.tensor import Tensor

    captured = None
    capture_leaf = capture_node = {}
    if capture is not None:
        captured = [None] * len(capture)
        capture_leaf = {id(t): i for i, t in enumerate(capture) if t.grad_fn is None}
        capture_node = {t.grad_fn: i for i, t in enumerate(capture) if t.grad_fn is not None}

    pending = {}
    ready = []
    leaf_roots = []
    for out, grad in zip(outputs, grads):
        if out.grad_fn is None:
            leaf_roots.append((out, grad))
        elif out.grad_fn in pending:
            pending[out.grad_fn] = pending[out.grad_fn] + grad
        else:
            pending[out.grad_fn] = grad
    roots = list(pending)
    consumers = _count_consumers(roots)
    ready = [node for node in roots if consumers.get(node, 0) == 0]
    owned = set()  # arrays already handed to a leaf's .grad in this pass: never alias two

    def deliver_to_leaf(leaf, grad):
        if leaf._hooks:
            grad = _run_hooks(leaf._hooks, grad)
        if capture is not None:
            index = capture_leaf.get(id(leaf))
            if index is not None:
                captured[index] = grad if captured[index] is None else captured[index] + grad
            return
        if grad.dtype != leaf._data.dtype:
            grad = grad.astype(leaf._data.dtype)
        if grad.shape != leaf._data.shape:
            grad = np.broadcast_to(grad, leaf._data.shape)
        if leaf.grad is None:
            base = grad if grad.base is None else grad.base
            if grad.base is not None or id(base) in owned or not grad.flags.writeable:
                grad = grad.copy()
            owned.add(id(grad))
            leaf.grad = Tensor._from_op(grad, None)
        else:
            total = leaf.grad._data + grad
            leaf.grad._data = total if type(total) is np.ndarray else np.asarray(total)

    for leaf, grad in leaf_roots:
        if leaf.requires_grad:
            deliver_to_leaf(leaf, grad)

    with no_grad():
        while ready:
            node = ready.pop()
            grad = pending.pop(node)
            if getattr(node, "released", False):
                raise RuntimeError(FREED_GRAPH)
            for parent, version in zip(node.parents, node.versions):
                if isinstance(parent, Tensor) and parent._version != version:
                    raise RuntimeError(
                        f"one of the variables needed for gradient computation has been "
                        f"modified by an inplace operation: a tensor of shape "
                        f"{tuple(parent.shape)} used by {node.name()} is at version "
                        f"{parent._version}; expected version {version}. Avoid the in-place "
                        f"operation or clone() the tensor first.")
            if node.hooks:
                grad = _run_hooks(node.hooks, grad)
            if capture is not None and node in capture_node:
                index = capture_node[node]
                captured[index] = grad if captured[index] is None else captured[index] + grad
            input_grads = node.backward(grad)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            parents, needs = node.parents, node.needs_input_grad
            if not retain_graph:
                node.release()
            for parent, wants, input_grad in zip(parents, needs, input_grads):
                if not wants or input_grad is None:
                    continue
                child = parent.grad_fn
                if child is None:
                    deliver_to_leaf(parent, input_grad)
                    continue
                if child in pending:
                    pending[child] = pending[child] + input_grad
                else:
                    pending[child] = input_grad
                consumers[child] -= 1
                if consumers[child] == 0:
                    ready.append(child)
    return captured
