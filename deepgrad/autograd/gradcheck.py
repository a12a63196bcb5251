"""Finite-difference gradient checking (PyTorch's ``torch.autograd.gradcheck``).

The analytic Jacobian (one backward pass per output element) is compared with the numerical
one from central differences, (f(x + eps) - f(x - eps)) / 2 eps, in float64.
"""

import numpy as np


def _outputs_of(fn, inputs):
    from deepgrad.tensor import Tensor

    out = fn(*inputs)
    return [out] if isinstance(out, Tensor) else [o for o in out if isinstance(o, Tensor)]


class GradcheckError(RuntimeError):
    pass


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, *,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False, check_forward_ad=False,
              check_backward_ad=True, fast_mode=False, masked=None):
    """Check ``fn``'s gradients w.r.t. every input that requires grad; True if they match.

    torch's further switches are accepted so calls carry over; deepgrad always runs the full
    (slow-mode) reverse-mode comparison they would otherwise select or skip.
    """
    from deepgrad.autograd import grad as autograd_grad
    from deepgrad.autograd.grad_mode import no_grad
    from deepgrad.tensor import Tensor

    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    differentiable = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    for x in differentiable:
        if x.dtype != np.float64:
            raise GradcheckError(
                f"gradcheck needs float64 inputs for precision; got {x.dtype} (use .double())")
    outputs = _outputs_of(fn, inputs)
    for k, out in enumerate(outputs):
        flat_size = out.numel()
        for j, x in enumerate(differentiable):
            analytic = np.zeros((x.numel(), flat_size))
            numeric = np.zeros((x.numel(), flat_size))
            for o in range(flat_size):
                onehot = np.zeros(out.shape, dtype=out.dtype)
                onehot.reshape(-1)[o] = 1.0
                (g,) = autograd_grad(_outputs_of(fn, inputs)[k], [x], grad_outputs=[onehot],
                                     allow_unused=True, materialize_grads=True)
                analytic[:, o] = g._data.reshape(-1)
            flat = x._data.reshape(-1)
            with no_grad():
                for i in range(flat.size):
                    original = flat[i]
                    flat[i] = original + eps
                    plus = _outputs_of(fn, inputs)[k]._data.reshape(-1).copy()
                    flat[i] = original - eps
                    minus = _outputs_of(fn, inputs)[k]._data.reshape(-1).copy()
                    flat[i] = original
                    numeric[i] = (plus - minus) / (2 * eps)
            if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
                worst = np.abs(analytic - numeric).max()
                message = (f"Jacobian mismatch for output {k} with respect to input {j}: "
                           f"max abs difference {worst:.3g}\nnumerical:\n{numeric}\n"
                           f"analytical:\n{analytic}")
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, **unused_flags):
    r"""Check second derivatives: the Jacobian of the vector-Jacobian product
    :math:`(x, v) \mapsto v^\top J(x)` against finite differences (torch's
    ``gradgradcheck``).

    deepgrad's backward functions run on NumPy arrays, so there is no double backward to
    check; what this checks is that the backward is the derivative of the function *around*
    ``inputs``, to second order:

    * with respect to ``v`` the product's Jacobian is Jᵀ, checked by ``gradcheck``;
    * with respect to ``x`` it is the Hessian of s(x) = Σ_k v_k · out_k(x), obtained by
      differentiating the exact backward numerically (``autograd.functional.hessian``) and
      compared with second differences of ``func``'s values,
      (s(x + h eₐ + h e_b) − s(x + h eₐ − h e_b) − s(x − h eₐ + h e_b) + s(x − h eₐ − h e_b))
      / 4h², with h = eps^(2/3).

    ``grad_outputs`` defaults to random normal vectors (from deepgrad's generator). Torch's
    other flags (``check_batched_grad``, ``fast_mode``...) are accepted and ignored.
    """
    from deepgrad.autograd.functional import hessian
    from deepgrad.autograd.grad_mode import no_grad
    from deepgrad.backend.random import generator
    from deepgrad.tensor import Tensor

    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if not gradcheck(func, inputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception):
        return False
    positions = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outputs = _outputs_of(func, inputs)
    if grad_outputs is None:
        grad_outputs = [generator().standard_normal(o.shape).astype(o.dtype) for o in outputs]
    else:
        grad_outputs = [g._data if isinstance(g, Tensor) else np.asarray(g)
                        for g in ((grad_outputs,) if isinstance(grad_outputs, Tensor)
                                  else grad_outputs)]

    def weighted(*xs):
        full = list(inputs)
        for p, x in zip(positions, xs):
            full[p] = x
        total = 0
        for out, v in zip(_outputs_of(func, full), grad_outputs):
            total = total + (out * Tensor._from_op(v, None)).sum()
        return total

    differentiable = [inputs[p] for p in positions]
    analytic = hessian(weighted, tuple(differentiable))
    h = eps ** (2 / 3)
    flats = [x._data.reshape(-1) for x in differentiable]

    def value():
        with no_grad():
            return float(weighted(*differentiable)._data)

    def shifted(i, a, da, j, b, db):
        flats[i][a] += da
        flats[j][b] += db
        result = value()
        flats[i][a] -= da
        flats[j][b] -= db
        return result

    for i, fi in enumerate(flats):
        for j, fj in enumerate(flats):
            numeric = np.zeros((fi.size, fj.size))
            for a in range(fi.size):
                for b in range(fj.size):
                    numeric[a, b] = (shifted(i, a, h, j, b, h) - shifted(i, a, h, j, b, -h)
                                     - shifted(i, a, -h, j, b, h)
                                     + shifted(i, a, -h, j, b, -h)) / (4 * h * h)
            block = analytic[i][j]._data.reshape(fi.size, fj.size)
            if not np.allclose(block, numeric, atol=atol, rtol=rtol):
                worst = np.abs(block - numeric).max()
                message = (f"Gradgradcheck: second-derivative mismatch with respect to inputs "
                           f"{positions[i]} and {positions[j]}: max abs difference {worst:.3g}"
                           f"\nnumerical:\n{numeric}\nfrom the backward:\n{block}")
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True
