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


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check ``fn``'s gradients w.r.t. every input that requires grad; True if they match."""
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
