"""Function transforms (PyTorch's ``torch.func``): ``grad``, ``vjp``, ``jacrev``/``jacfwd``,
``hessian``, ``vmap`` and ``functional_call``, built on deepgrad's autograd.

They compose the way torch's do for one level: ``grad(f)(x)`` is ∇f at x, ``vmap(f)(xs)``
maps f over the leading dimension. What deepgrad cannot do is differentiate a derivative
(its backward functions run outside the graph): ``grad(grad(f))`` raises, and ``hessian`` is
the numerical derivative of the exact gradient (``autograd.functional.hessian``). ``vmap``
runs ``func`` once per batch entry and stacks the results: the values (and gradients through
them) of a vectorized map, without its speed.
"""

import numbers

import numpy as np

from deepgrad.autograd import functional as _functional

__all__ = ["grad", "grad_and_value", "vjp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call"]


def _Tensor():
    from deepgrad.tensor import Tensor

    return Tensor


def _argnums_tuple(argnums, count, fn_name):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for n in nums:
        if not isinstance(n, int):
            raise RuntimeError(f"{fn_name}: argnums must be int or Tuple[int, ...], got "
                               f"{type(n).__name__}")
        if not -count <= n < count:
            raise RuntimeError(f"{fn_name}: Got argnums={n}, but only {count} positional "
                               f"inputs")
    return tuple(n % count for n in nums), single


def _with_leaves(args, nums):
    """``args`` with fresh leaves (requiring grad) at positions ``nums``."""
    Tensor = _Tensor()
    args = list(args)
    leaves = []
    for n in nums:
        x = args[n]
        if not isinstance(x, Tensor):
            raise RuntimeError(f"grad: the input at argnums={n} must be a Tensor, got "
                               f"{type(x).__name__}")
        if getattr(x, "_func_leaf", False) or (x.requires_grad and x.grad_fn is not None):
            raise NotImplementedError(
                "deepgrad.func: differentiating through an input that is itself part of a "
                "graph (e.g. grad of grad) needs higher-order gradients, which deepgrad "
                "does not have")
        leaf = Tensor._from_op(x._data, None)
        leaf.requires_grad = x.dtype.kind == "f"
        leaf._func_leaf = True  # a transform's input: a nested transform must refuse it
        args[n] = leaf
        leaves.append(leaf)
    return args, leaves


def grad_and_value(func, argnums=0, has_aux=False):
    """``f -> (∇f, f)``: the gradient of a scalar ``func`` with respect to the arguments at
    ``argnums``, and its value (with ``has_aux``, ``func`` returns ``(value, aux)`` and the
    result is ``(∇f, (value, aux))``)."""
    from deepgrad.autograd import grad as autograd_grad
    from deepgrad.autograd.grad_mode import enable_grad

    def wrapper(*args, **kwargs):
        nums, single = _argnums_tuple(argnums, len(args), "grad_and_value")
        new_args, leaves = _with_leaves(args, nums)
        with enable_grad():
            result = func(*new_args, **kwargs)
        if has_aux:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise RuntimeError("grad_and_value(f)(*args): output of function f should be "
                                   "a tuple: (output, aux) if has_aux is True")
            value, aux = result
        else:
            value, aux = result, None
        if not isinstance(value, _Tensor()) or value.numel() != 1:
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                               "scalar Tensor, got tensor with "
                               f"{getattr(value, 'ndim', '?')} dims. Maybe you wanted to use "
                               "the vjp or jacrev APIs instead?")
        grads = autograd_grad(value, leaves, allow_unused=True, materialize_grads=True)
        grads = grads[0] if single else tuple(grads)
        value = value.detach()
        return (grads, (value, aux)) if has_aux else (grads, value)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """``f -> ∇f`` for a scalar ``func`` (see ``grad_and_value``); with ``has_aux`` the
    result is ``(∇f, aux)``."""
    inner = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        grads, value = inner(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` returns the tuple of
    vector-Jacobian products, one per primal."""
    from deepgrad.autograd import engine
    from deepgrad.autograd.grad_mode import enable_grad

    new_args, leaves = _with_leaves(primals, range(len(primals)))
    with enable_grad():
        result = func(*new_args)
    output, aux = result if has_aux else (result, None)
    Tensor = _Tensor()
    outputs = [output] if isinstance(output, Tensor) else list(output)

    def vjp_fn(cotangents):
        cots = [cotangents] if isinstance(cotangents, Tensor) else list(cotangents)
        if len(cots) != len(outputs):
            raise RuntimeError(f"Expected {len(outputs)} cotangents, got {len(cots)}")
        for o, c in zip(outputs, cots):
            if tuple(o.shape) != tuple(c.shape):
                raise RuntimeError(f"Mismatch in shape: cotangent has shape {tuple(c.shape)} "
                                   f"and output has shape {tuple(o.shape)}")
        used = [(o, c._data) for o, c in zip(outputs, cots) if o.requires_grad]
        grads = engine.run_backward([o for o, _ in used], [c for _, c in used],
                                    retain_graph=True, capture=leaves) if used else \
            [None] * len(leaves)
        return tuple(Tensor._from_op(np.zeros(x.shape, x.dtype) if g is None
                                     else np.array(np.broadcast_to(g, x.shape), dtype=x.dtype),
                                     None) for x, g in zip(leaves, grads))

    detached = output.detach() if isinstance(output, Tensor) else \
        type(output)(o.detach() for o in output)
    return (detached, vjp_fn, aux) if has_aux else (detached, vjp_fn)


def _jac(fn_name, compute):
    def transform(func, argnums=0, has_aux=False, **options):
        def wrapper(*args):
            nums, single = _argnums_tuple(argnums, len(args), fn_name)
            aux_box = []

            def partial(*xs):
                full = list(args)
                for n, x in zip(nums, xs):
                    full[n] = x
                result = func(*full)
                if has_aux:
                    result, aux = result
                    aux_box.append(aux)
                return result

            inputs = args[nums[0]] if single else tuple(args[n] for n in nums)
            result = compute(partial, inputs)
            return (result, aux_box[0]) if has_aux else result

        return wrapper

    return transform


jacrev = _jac("jacrev", lambda f, x: _functional.jacobian(f, x))
jacrev.__doc__ = """``f -> J_f``: the Jacobian of ``func`` with respect to the arguments at
``argnums`` (exact, reverse mode), shape ``output.shape + input.shape``."""
jacfwd = _jac("jacfwd", lambda f, x: _functional.jacobian(f, x, strategy="forward-mode",
                                                          vectorize=True))
jacfwd.__doc__ = """``f -> J_f``, as ``jacrev`` (deepgrad has no forward mode; same values)."""
hessian = _jac("hessian", lambda f, x: _functional.hessian(f, x))
hessian.__doc__ = """``f -> H_f`` for a scalar ``func``: the numerical derivative of its exact
gradient (see ``autograd.functional.hessian``)."""


def _batch_size(args, dims):
    Tensor = _Tensor()
    sizes = []
    for a, d in zip(args, dims):
        if d is None:
            continue
        if not isinstance(a, Tensor):
            raise ValueError(f"vmap: Got in_dim={d} for an input but the input is of type "
                             f"{type(a)}. We cannot vmap over non-Tensor arguments, please "
                             f"use None as the respective in_dim")
        if not -a.ndim <= d < a.ndim:
            raise ValueError(f"vmap: Got in_dim={d} for some input, but that input is a "
                             f"Tensor of dimensionality {a.ndim} so expected in_dim to "
                             f"satisfy -{a.ndim} <= in_dim < {a.ndim}.")
        sizes.append(a.shape[d])
    if not sizes:
        raise ValueError("vmap: at least one input must be mapped over (got in_dims=None for "
                         "all inputs)")
    if len(set(sizes)) != 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0]


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``f -> f mapped over a batch dimension``: input ``i`` is sliced along
    ``in_dims[i]`` (None: passed whole), ``func`` runs once per slice, and the results are
    stacked along ``out_dims``. ``randomness`` and ``chunk_size`` are accepted (each call
    draws its own random numbers, as torch's "different")."""
    import deepgrad

    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")

    def wrapper(*args, **kwargs):
        dims = (in_dims,) * len(args) if isinstance(in_dims, int) or in_dims is None \
            else tuple(in_dims)
        if len(dims) != len(args):
            raise ValueError(f"vmap: in_dims is not compatible with the structure of "
                             f"`inputs`. in_dims has structure of length {len(dims)} but "
                             f"inputs has {len(args)} arguments")
        size = _batch_size(args, dims)
        results = []
        for i in range(size):
            sliced = [a if d is None else a.select(d, i) for a, d in zip(args, dims)]
            results.append(func(*sliced, **kwargs))
        Tensor = _Tensor()
        first = results[0]

        def stack(items, dim):
            items = [t if isinstance(t, Tensor) else deepgrad.tensor(t) for t in items]
            if dim is None:
                return items[0]
            return deepgrad.stack(items, dim)

        if isinstance(first, (tuple, list)):
            odims = (out_dims,) * len(first) if isinstance(out_dims, int) or out_dims is None \
                else tuple(out_dims)
            return type(first)(stack([r[k] for r in results], odims[k])
                               for k in range(len(first)))
        if not isinstance(first, (Tensor, numbers.Number)):
            raise ValueError(f"vmap: `{getattr(func, '__name__', func)}` must only return "
                             f"Tensors, got type {type(first)}")
        return stack(results, out_dims)

    return wrapper


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Call ``module`` with some of its parameters and buffers replaced by the tensors in
    ``parameter_and_buffer_dicts`` (a dict, or a tuple of dicts, from dotted names such as
    ``"0.weight"``), restoring the originals afterwards. Gradients flow to the given
    tensors: the core of meta-learning and per-sample-gradient code."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        merged = dict(dicts)
    else:
        merged = {}
        for d in dicts:
            for key in d:
                if key in merged:
                    raise ValueError(f"{key} appeared in multiple dictionaries; behavior of "
                                     f"functional call is ambiguous")
            merged.update(d)
    if strict:
        names = {n for n, _ in module.named_parameters()} | {n for n, _ in
                                                             module.named_buffers()}
        missing = sorted(names - set(merged))
        unexpected = sorted(set(merged) - names)
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n"
                               f"\tUnexpected key(s): {unexpected}.\n"
                               f"\tMissing key(s): {missing}.")
    saved = []
    try:
        for name, value in merged.items():
            owner, _, leaf = name.rpartition(".")
            target = module.get_submodule(owner) if owner else module
            store = target._parameters if leaf in target._parameters else \
                target._buffers if leaf in target._buffers else None
            if store is None:
                raise AttributeError(f"functional_call: {type(module).__name__} has no "
                                     f"parameter or buffer named {name!r}")
            saved.append((store, leaf, store[leaf]))
            store[leaf] = value
        args = () if args is None else args if isinstance(args, tuple) else (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for store, leaf, original in reversed(saved):
            store[leaf] = original
