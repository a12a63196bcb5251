"""Weight normalisation, the forward-pre-hook form (``nn.utils.weight_norm``, deprecated in
PyTorch in favour of ``nn.utils.parametrizations.weight_norm`` but still widely used).

w = g · v / ‖v‖: the direction ``v`` and the length ``g`` are learned separately (Salimans &
Kingma, 2016). The norm is taken over every dimension except ``dim`` (``dim=None``: the whole
tensor). ``weight_norm(m)`` replaces ``m.weight`` by the parameters ``weight_g`` and
``weight_v`` and recomputes ``m.weight`` before each forward.
"""

import warnings

from deepgrad.nn.parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm", "norm_except_dim"]


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over all dimensions but ``dim``, kept broadcastable against
    ``v`` (shape 1 everywhere except ``dim``); ``dim=-1`` gives the norm of the whole tensor
    (PyTorch's ``torch.norm_except_dim``)."""
    if dim == -1:
        return v.norm(pow)
    dim = dim + v.ndim if dim < 0 else dim
    others = tuple(d for d in range(v.ndim) if d != dim)
    if not others:
        return v.abs() if pow != 0 else (v != 0).to(v.dtype)
    from deepgrad.linalg import vector_norm

    return vector_norm(v, pow, dim=others, keepdim=True)


def _weight_norm(v, g, dim=0):
    """g · v / ‖v‖ (norm over every dimension but ``dim``), differentiable in ``v`` and ``g``."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g``, ``<name>_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"),
                            self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if hasattr(weight, "materialize") and weight.numel() == 0:
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized "
                             "parameters. Make sure to run the dummy forward before applying "
                             "weight normalization")
        del module._parameters[name]
        module.register_parameter(name + "_g",
                                  Parameter(norm_except_dim(weight, 2, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Reparametrise ``module.<name>`` as g · v / ‖v‖ with learned ``<name>_g`` (the norms,
    shaped like ``norm_except_dim``) and ``<name>_v`` (the direction); ``dim=None`` normalises
    the whole tensor. Returns ``module``."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Fold ``<name>_g`` and ``<name>_v`` back into one ``<name>`` parameter."""
    return remove_pre_hook_reparametrization(module, name, WeightNorm, "weight_norm")


def remove_pre_hook_reparametrization(module, name, kind, label):
    """Undo a forward-pre-hook reparametrization (``kind``: WeightNorm, SpectralNorm) of
    ``module.<name>``: the hook folds its parts back into one parameter and goes away."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, kind) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"{label} of '{name}' not found in {module}")
