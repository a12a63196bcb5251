"""Spectral normalisation, the forward-pre-hook form (``nn.utils.spectral_norm``).

w = W / σ(W), σ the largest singular value of W reshaped to a matrix (rows along ``dim``),
estimated by power iteration on persistent vectors u, v (Miyato et al., 2018): each training
forward runs ``n_power_iterations`` steps v ← Wᵀu/‖Wᵀu‖, u ← Wv/‖Wv‖ outside autograd, then
σ = uᵀWv is differentiated through W only. State keys as PyTorch: ``weight_orig`` (parameter),
``weight_u``, ``weight_v`` (buffers).
"""

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.nn.parameter import Parameter
from deepgrad.nn.utils.weight_norm import remove_pre_hook_reparametrization

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


def _reshape_weight_to_matrix(weight, dim):
    """Move ``dim`` first and flatten the rest: the matrix whose σ is normalised away."""
    if dim != 0:
        weight = weight.permute(dim, *[d for d in range(weight.ndim) if d != dim])
    return weight.reshape(weight.shape[0], -1)


def _normalize_into(buffer, value, eps):
    # in place, as PyTorch's ``F.normalize(..., out=u)``: the buffer object is kept
    from deepgrad.nn.functional import normalize

    buffer._data[...] = normalize(value, dim=0, eps=eps)._data
    buffer._version += 1


def _random_unit(n, like, eps):
    import deepgrad
    from deepgrad.nn.functional import normalize

    return normalize(deepgrad.randn(n, dtype=like.dtype), dim=0, eps=eps)


def _dim_for(module):
    from deepgrad.nn.modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

    # a transposed conv's weight is (in, out, ...): its output dimension is 1
    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0


class SpectralNorm:
    """The forward pre-hook that sets ``module.<name>`` = ``<name>_orig`` / σ."""

    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.dim = name, dim
        self.n_power_iterations, self.eps = n_power_iterations, eps

    def reshape_weight_to_matrix(self, weight):
        return _reshape_weight_to_matrix(weight, self.dim)

    def compute_weight(self, module, do_power_iteration):
        from deepgrad.ops.linalg import dot
        from deepgrad.ops.matrix import mv

        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    _normalize_into(v, mv(weight_mat.t(), u), self.eps)
                    _normalize_into(u, mv(weight_mat, v), self.eps)
            # clones: later in-place updates of the buffers must not touch this graph
            u, v = u.clone(), v.clone()
        sigma = dot(u, mv(weight_mat, v))
        return weight / sigma

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name,
                self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same "
                                   f"parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters.get(name)
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if hasattr(weight, "materialize") and weight.numel() == 0:
            raise ValueError("The module passed to `SpectralNorm` can't have uninitialized "
                             "parameters. Make sure to run the dummy forward before applying "
                             "spectral normalization")
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u, v = _random_unit(h, weight, eps), _random_unit(w, weight, eps)
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its spectral norm before each forward (power iteration).

    ``dim`` is the output dimension (default 0, 1 for ConvTranspose). The random starting
    vectors ``<name>_u``, ``<name>_v`` are buffers, so a state dict carries them. Returns
    ``module``."""
    SpectralNorm.apply(module, name, n_power_iterations, _dim_for(module) if dim is None else dim,
                       eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Fold the normalisation into a plain ``<name>`` parameter and drop u, v."""
    return remove_pre_hook_reparametrization(module, name, SpectralNorm, "spectral_norm")
