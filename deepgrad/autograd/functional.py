r"""Higher-level differentiation: Jacobians, Hessians and their products with vectors
(PyTorch's ``torch.autograd.functional``).

``func`` takes the tensors of ``inputs`` as positional arguments and returns a tensor or a
tuple of tensors. Results follow torch's structure: a tensor where ``inputs`` (or the output)
is a single tensor, a tuple where it is a tuple, a tuple of tuples for tuple outputs and
tuple inputs (``jacobian(f, (x, y))[i][j]`` is d out_i / d in_j, of shape
``out_i.shape + in_j.shape``).

First-order results (``jacobian``, ``vjp``, ``jvp``) are exact: one reverse pass per output
element (``jvp`` contracts the Jacobian with ``v``). deepgrad's backward functions run on
NumPy arrays outside the graph, so there are no exact second derivatives; ``hessian``,
``hvp`` and ``vhp`` differentiate the exact gradient numerically instead, with a Richardson-
extrapolated central difference

.. math::
    D(h) = \frac{\nabla f(x + h v) - \nabla f(x - h v)}{2h}, \qquad
    H v \approx \frac{4 D(h/2) - D(h)}{3} \quad (\text{error } O(h^4)),

with h = 2 eps^{1/5} max(1, |x|): about 1e-11 relative error in float64, about 1e-5 in
float32. For the same reason ``create_graph=True`` gives the values with a warning, outside
the graph (not differentiable).
"""

import warnings

import numpy as np

from deepgrad.autograd.grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _tensor_cls():
    from deepgrad.tensor import Tensor

    return Tensor


def _as_tuple(value, arg_name, fn_name):
    """``(tuple_of_tensors, was_tuple)``; TypeError (torch's message) for anything else."""
    Tensor = _tensor_cls()
    was_tuple = isinstance(value, (tuple, list))
    values = tuple(value) if was_tuple else (value,)
    for i, v in enumerate(values):
        if not isinstance(v, Tensor):
            if was_tuple:
                raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                                f"tuple of Tensors but the value at index {i} has type "
                                f"{type(v)}.")
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but the given {arg_name} has type {type(v)}.")
    return values, was_tuple


def _warn_create_graph(create_graph, fn_name):
    """``create_graph=True`` asks for a result that is itself differentiable. deepgrad can't
    give one; the values are the same, so they are returned outside the graph (a backward
    through them then fails loudly instead of giving wrong gradients), with a warning."""
    if create_graph:
        warnings.warn(
            f"{fn_name}(create_graph=True): deepgrad has no higher-order gradients (its "
            f"backward functions run on NumPy arrays outside the graph), so the result is "
            f"computed but is not differentiable (it does not require grad)", stacklevel=3)


def _fresh_leaves(arrays):
    """New leaf tensors (requiring grad) holding ``arrays``: the points ``func`` runs at."""
    Tensor = _tensor_cls()
    return tuple(Tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays)


def _wrap(array, dtype=None):
    """A new tensor outside the graph holding a copy of ``array``."""
    return _tensor_cls()._from_op(np.array(array, dtype=dtype), None)


def _run(func, leaves, fn_name):
    with enable_grad():
        out = func(*leaves)
    outputs, was_tuple = _as_tuple(out, "outputs of the user-provided function", fn_name)
    return outputs, was_tuple


def _pullback(outputs, leaves, cotangents, strict, independent_message):
    """Σ_k cotangent_k · d outputs_k / d leaves, as arrays: zeros where an input is
    independent of the outputs, or, with ``strict``, a RuntimeError built by
    ``independent_message(i)``."""
    from deepgrad.autograd import engine

    used = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    if not used:
        grads = [None] * len(leaves)
    else:
        grads = engine.run_backward([o for o, _ in used],
                                    [np.asarray(c, dtype=o.dtype) for o, c in used],
                                    retain_graph=True, capture=list(leaves))
    result = []
    for i, (leaf, g) in enumerate(zip(leaves, grads)):
        if g is None:
            if strict:
                raise RuntimeError(f"{independent_message(i)} This is not allowed in strict "
                                   f"mode.")
            g = np.zeros(leaf.shape, dtype=leaf.dtype)
        elif g.shape != leaf.shape:
            g = np.broadcast_to(g, leaf.shape)
        result.append(np.array(g, dtype=leaf.dtype))
    return result


def _independent(i):
    return f"The output of the user-provided function is independent of input {i}."


def _jacobian_arrays(func, inputs, strict, fn_name):
    """(outputs, was_tuple, J) with J[o][i] the array d outputs[o] / d inputs[i], one reverse
    pass per output element."""
    leaves = _fresh_leaves([x._data for x in inputs])
    outputs, was_tuple = _run(func, leaves, fn_name)
    J = []
    for k, out in enumerate(outputs):
        rows = [np.zeros((out.numel(),) + tuple(x.shape), dtype=x.dtype) for x in leaves]

        def independent(i, k=k):
            return f"Output {k} of the user-provided function is independent of input {i}."

        for e in range(out.numel()):
            cotangents = [np.zeros(o.shape, dtype=o.dtype) for o in outputs]
            cotangents[k].reshape(-1)[e] = 1.0
            grads = _pullback(outputs, leaves, cotangents, strict, independent)
            for i, g in enumerate(grads):
                rows[i][e] = g
        J.append([r.reshape(tuple(out.shape) + tuple(x.shape)) for r, x in zip(rows, leaves)])
    return outputs, was_tuple, J


def _check_v(v, reference, name, fn_name):
    """``v`` as a tuple of arrays with ``reference``'s shapes (a tensor per reference entry)."""
    v, _ = _as_tuple(v, "v", fn_name)
    if len(v) != len(reference):
        raise RuntimeError(f"{fn_name}: v has {len(v)} entries but the {name} has "
                           f"{len(reference)}")
    arrays = []
    for i, (a, r) in enumerate(zip(v, reference)):
        if tuple(a.shape) != tuple(r.shape):
            raise RuntimeError(f"{fn_name}: entry {i} in v has invalid size: should be "
                               f"{tuple(r.shape)} but got {tuple(a.shape)}")
        arrays.append(a._data)
    return arrays


def _default_v(reference, name, fn_name):
    if len(reference) != 1 or reference[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if the {name} to the user-provided "
                           f"function is a single Tensor with a single element.")
    return [np.ones(reference[0].shape, dtype=reference[0].dtype)]


def _pack(values, was_tuple):
    return tuple(values) if was_tuple else values[0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), vᵀ J)``: the vector-Jacobian product, one reverse pass.

    ``v`` has the outputs' structure and shapes (it may be omitted for a single-element
    output); the product has the inputs' structure.
    """
    _warn_create_graph(create_graph, "vjp")
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", "vjp")
    leaves = _fresh_leaves([x._data for x in inputs])
    outputs, outputs_tuple = _run(func, leaves, "vjp")
    v = _default_v(outputs, "outputs", "vjp") if v is None else \
        _check_v(v, outputs, "outputs", "vjp")
    grads = _pullback(outputs, leaves, v, strict, _independent)
    return (_pack([_wrap(o._data) for o in outputs], outputs_tuple),
            _pack([_wrap(g) for g in grads], inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), J v)``: the Jacobian-vector product (exact, from the Jacobian).

    ``v`` has the inputs' structure; the product has the outputs' structure.
    """
    _warn_create_graph(create_graph, "jvp")
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", "jvp")
    v = _default_v(inputs, "inputs", "jvp") if v is None else \
        _check_v(v, inputs, "inputs", "jvp")
    outputs, outputs_tuple, J = _jacobian_arrays(func, inputs, strict, "jvp")
    products = []
    for out, row in zip(outputs, J):
        total = np.zeros(out.shape, dtype=out.dtype)
        for Jij, vj in zip(row, v):
            axes = vj.ndim
            total = total + np.tensordot(Jij, vj, axes=axes) if axes else total + Jij * vj
        products.append(_wrap(total, out.dtype))
    return (_pack([_wrap(o._data) for o in outputs], outputs_tuple),
            _pack(products, outputs_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: d output / d input of shape
    ``output.shape + input.shape`` (tuples of them for tuple outputs or inputs).

    ``vectorize`` and ``strategy="forward-mode"`` are accepted; the result is the same exact
    reverse-mode Jacobian.
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".')
    _warn_create_graph(create_graph, "jacobian")
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", "jacobian")
    outputs, outputs_tuple, J = _jacobian_arrays(func, inputs, strict, "jacobian")
    blocks = [_pack([_wrap(Jij) for Jij in row], inputs_tuple) for row in J]
    return _pack(blocks, outputs_tuple)


# ----- second order: numerical derivative of the exact gradient ------------------------------

def _scalar_gradient(func, arrays, strict, fn_name):
    """(f, ∇f) at ``arrays`` for a ``func`` returning a single-element tensor."""
    leaves = _fresh_leaves(arrays)
    outputs, _ = _run(func, leaves, fn_name)
    if len(outputs) != 1:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    out = outputs[0]
    if out.numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           f"contain a single element")
    grads = _pullback([out], leaves, [np.ones(out.shape, dtype=out.dtype)], strict,
                      _independent)
    return out, grads


def _directional_hessian(func, arrays, direction, strict, fn_name):
    """H · direction (a tuple of arrays, one per input) by Richardson-extrapolated central
    differences of the exact gradient; returns one array per input."""
    dtype = np.result_type(*[a.dtype for a in arrays])
    scale = max([1.0] + [float(np.abs(a).max()) for a in arrays if a.size])
    norm = max([float(np.abs(d).max()) for d in direction if d.size] + [0.0])
    if norm == 0.0:
        return [np.zeros(a.shape, dtype=a.dtype) for a in arrays]
    h = 2 * float(np.finfo(dtype).eps) ** 0.2 * scale / norm

    def central(step):
        plus = [a + step * d for a, d in zip(arrays, direction)]
        minus = [a - step * d for a, d in zip(arrays, direction)]
        _, g_plus = _scalar_gradient(func, [p.astype(a.dtype) for p, a in zip(plus, arrays)],
                                     strict, fn_name)
        _, g_minus = _scalar_gradient(func, [m.astype(a.dtype) for m, a in zip(minus, arrays)],
                                      strict, fn_name)
        # the step actually taken, after rounding x ± h d to the dtype
        return [(gp.astype(np.float64) - gm.astype(np.float64)) / (2 * step)
                for gp, gm in zip(g_plus, g_minus)]

    coarse, fine = central(h), central(h / 2)
    return [((4 * f - c) / 3).astype(a.dtype) for f, c, a in zip(fine, coarse, arrays)]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func`` at ``inputs``: shape ``input.shape + input.shape``, or
    a tuple of tuples ``H[i][j]`` of shape ``inputs[i].shape + inputs[j].shape``.

    Computed column by column as the numerical derivative of the exact gradient (see the
    module docstring), then symmetrized, as an exact Hessian of a twice-differentiable
    function is.
    """
    _warn_create_graph(create_graph, "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", "hessian")
    arrays = [x._data for x in inputs]
    _scalar_gradient(func, arrays, strict, "hessian")  # validates the output
    sizes = [a.size for a in arrays]
    total = sum(sizes)
    full = np.zeros((total, total), dtype=np.float64)
    offsets = np.cumsum([0] + sizes)
    for j, a in enumerate(arrays):
        for e in range(a.size):
            direction = [np.zeros(b.shape, dtype=b.dtype) for b in arrays]
            direction[j].reshape(-1)[e] = 1.0
            column = _directional_hessian(func, arrays, direction, strict, "hessian")
            full[:, offsets[j] + e] = np.concatenate([c.reshape(-1) for c in column])
    full = (full + full.T) / 2
    blocks = []
    for i, ai in enumerate(arrays):
        row = []
        for j, aj in enumerate(arrays):
            block = full[offsets[i]:offsets[i + 1], offsets[j]:offsets[j + 1]]
            row.append(_wrap(block.reshape(ai.shape + aj.shape), np.result_type(ai, aj)))
        blocks.append(_pack(row, inputs_tuple))
    return _pack(blocks, inputs_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), H v)`` for a scalar ``func``: the Hessian-vector product, from two
    pairs of gradient evaluations (no Hessian is formed). ``v`` has the inputs' structure."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), vᵀ H)``: equal to ``hvp`` since the Hessian is symmetric."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def _hessian_product(func, inputs, v, create_graph, strict, fn_name):
    _warn_create_graph(create_graph, fn_name)
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", fn_name)
    arrays = [x._data for x in inputs]
    out, _ = _scalar_gradient(func, arrays, strict, fn_name)
    v = _default_v(inputs, "inputs", fn_name) if v is None else \
        _check_v(v, inputs, "inputs", fn_name)
    product = _directional_hessian(func, arrays, v, strict, fn_name)
    return _wrap(out._data), _pack([_wrap(p) for p in product], inputs_tuple)
