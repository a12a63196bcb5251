"""``nn.utils.prune``: zero out weights through a mask (PyTorch's API and state keys).

Pruning ``module.weight`` moves the parameter to ``weight_orig``, adds a buffer ``weight_mask``
(1 keeps an entry, 0 prunes it) and makes ``module.weight = weight_orig * weight_mask``,
recomputed by a forward pre-hook, so pruned entries get zero gradient. Pruning the same tensor
again prunes among the entries still alive (masks combine); ``remove`` makes it permanent.
"""

import numpy as np

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.tensor import Tensor

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


def _compute_nparams_toprune(amount, tensor_size):
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if isinstance(amount, int):
        if amount < 0:
            raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or "
                             "a non-negative integer")
        if amount > tensor_size:
            raise ValueError(f"amount={amount} should be smaller than the number of parameters "
                             f"to prune={tensor_size}")
        return amount
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         "non-negative integer")
    return round(amount * tensor_size)


class BasePruningMethod:
    """A way of choosing which entries to prune: subclasses implement ``compute_mask``."""

    PRUNING_TYPE = "unstructured"
    _tensor_name = None

    def compute_mask(self, t, default_mask):
        """A NumPy 0/1 mask for the NumPy array ``t``, starting from ``default_mask``."""
        raise NotImplementedError

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    def apply_mask(self, module):
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return orig * mask.to(orig.dtype)

    def prune(self, t, default_mask=None, importance_scores=None):
        """The pruned copy ``t * mask`` (no module involved)."""
        scores = t if importance_scores is None else importance_scores
        default = np.ones(t.shape) if default_mask is None else _array(default_mask)
        return t * Tensor._from_op(self.compute_mask(_array(scores), default).astype(
            t._data.dtype), None)

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with a new ``cls(*args, **kwargs)``; returns the method."""
        old = None
        for key, hook in list(module._forward_pre_hooks.items()):
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                old = hook
                del module._forward_pre_hooks[key]
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if old is not None:
            container = old if isinstance(old, PruningContainer) else PruningContainer(old)
            container.add_pruning_method(method)
            method = container
        orig = getattr(module, name) if old is None else getattr(module, name + "_orig")
        scores = orig if importance_scores is None else importance_scores
        if tuple(scores.shape) != tuple(orig.shape):
            raise AssertionError("importance_scores should have the same shape as parameter "
                                 f"{name} of {module}")
        if old is None:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = np.ones(orig.shape, dtype=orig._data.dtype)
        else:
            default_mask = getattr(module, name + "_mask")._data.copy()
        with no_grad():
            mask = method.compute_mask(_array(scores), default_mask)
        mask_tensor = Tensor._from_op(mask.astype(orig._data.dtype), None)
        if old is None:
            module.register_buffer(name + "_mask", mask_tensor)
        else:
            module._buffers[name + "_mask"] = mask_tensor
        setattr(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method

    def remove(self, module):
        """Make the pruning permanent: ``<name>`` becomes a Parameter holding orig · mask."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be "
                                 "removed")
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig._data = weight._data
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


def _array(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


class PruningContainer(BasePruningMethod):
    """Successive pruning methods on one tensor: each new one prunes among the survivors."""

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1 and not isinstance(args[0], tuple):
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in (args[0] if len(args) == 1 else args):
                self.add_pruning_method(method)

    def add_pruning_method(self, method):
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError("Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found "
                             f"'{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        method = self._pruning_methods[-1]
        if method.PRUNING_TYPE != "unstructured":
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        alive = default_mask == 1
        new = default_mask.copy()
        partial = method.compute_mask(t[alive], np.ones(int(alive.sum()), dtype=t.dtype))
        new[alive] = partial.astype(new.dtype)
        return new


class Identity(BasePruningMethod):
    """Prunes nothing (a mask of ones)."""

    def compute_mask(self, t, default_mask):
        return default_mask.copy()

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class _UnstructuredAmount(BasePruningMethod):
    """Prunes ``amount`` entries (a count, or a fraction of the tensor): those that come first
    in ``_order(t)``, a permutation of the flat positions."""

    def __init__(self, amount):
        if isinstance(amount, float):
            _compute_nparams_toprune(amount, 0)  # validates the range early, as torch
        self.amount = amount

    def compute_mask(self, t, default_mask):
        k = _compute_nparams_toprune(self.amount, t.size)
        mask = default_mask.copy()
        if k:
            mask.reshape(-1)[self._order(t)[:k]] = 0
        return mask


class RandomUnstructured(_UnstructuredAmount):
    """Prunes ``amount`` entries chosen uniformly at random."""

    def _order(self, t):
        from deepgrad.backend.random import generator

        return np.argsort(-generator().random(t.size), kind="stable")

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(_UnstructuredAmount):
    """Prunes the ``amount`` entries of smallest absolute value (of ``importance_scores``)."""

    def _order(self, t):
        return np.argsort(np.abs(t).reshape(-1), kind="stable")

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where a given mask is 0."""

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        return default_mask * _array(self.mask).astype(default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    """Attach the pruning machinery to ``module.<name>`` with a mask of ones."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` (a count, or a fraction in [0, 1]) random entries of ``<name>``."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the ``amount`` (count or fraction) entries of ``<name>`` of smallest magnitude."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    """Prune ``<name>`` where ``mask`` is 0."""
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune across several tensors at once, ranking all their entries together.

    ``parameters`` is an iterable of ``(module, name)``; ``pruning_method`` an unstructured
    method class such as ``L1Unstructured``; ``kwargs`` its arguments (``amount=``)."""
    parameters = list(parameters)
    importance_scores = importance_scores or {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    scores = np.concatenate([_array(importance_scores.get((m, n), getattr(m, n))).reshape(-1)
                             for m, n in parameters])
    default = np.concatenate([
        _array(getattr(m, n + "_mask")).reshape(-1) if hasattr(m, n + "_mask")
        else np.ones(getattr(m, n).numel(), dtype=scores.dtype) for m, n in parameters])
    method = pruning_method(**kwargs)
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    method._tensor_name = "temp"
    container = PruningContainer(method)
    final = container.compute_mask(scores, default)
    start = 0
    for module, name in parameters:
        param = getattr(module, name)
        n = param.numel()
        custom_from_mask(module, name, final[start:start + n].reshape(param.shape))
        start += n


def remove(module, name):
    """Make the pruning of ``<name>`` permanent and drop ``<name>_orig`` / ``<name>_mask``."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning "
                     "can be removed")


def is_pruned(module):
    """Whether ``module`` or any submodule has a pruning hook."""
    return any(isinstance(hook, BasePruningMethod)
               for m in module.modules() for hook in m._forward_pre_hooks.values())
