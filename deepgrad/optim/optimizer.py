"""``Optimizer``: the base every update rule builds on (param groups, state, checkpoints).

An optimizer holds *parameter groups*: dicts with a ``"params"`` list and the hyper-parameters
(``lr``, ``momentum``...) that apply to them; options a group leaves out come from the
optimizer's ``defaults``. Per-parameter buffers (momentum, running averages, step counts) live in
``optimizer.state[param]`` as deepgrad Tensors, so a checkpoint can save them.

Updates write into ``param._data`` with NumPy ``out=`` ufuncs: no graph is recorded, no
parameter-sized array is allocated per step (temporaries come from one reusable scratch buffer),
and each update bumps ``param._version`` like any in-place write.
"""

import copy
import functools
from collections import OrderedDict, defaultdict
from itertools import chain

import numpy as np

from deepgrad.autograd.grad_mode import GradMode
from deepgrad.tensor import Tensor

__all__ = ["Optimizer", "register_optimizer_step_post_hook",
           "register_optimizer_step_pre_hook", "required"]


class _RequiredParameter:
    """Singleton marking a hyper-parameter that has no default (``SGD(lr=required)``)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """``hook(optimizer, args, kwargs)`` runs before the ``step`` of every optimizer (before
    each optimizer's own pre-hooks); it may return new ``(args, kwargs)``. Returns a handle
    with ``remove()``."""
    handle = _RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """``hook(optimizer, args, kwargs)`` runs after the ``step`` of every optimizer (after
    each optimizer's own post-hooks)."""
    handle = _RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _step_wrapper(step):
    """Run ``step`` outside the graph, with the step hooks, and note that it ran (schedulers
    use the note to warn when ``scheduler.step()`` comes before ``optimizer.step()``)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self._step_pre_hooks or _global_optimizer_pre_hooks:
            for hook in [*_global_optimizer_pre_hooks.values(), *self._step_pre_hooks.values()]:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"{hook} must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {result}.")
                    args, kwargs = result
        previous = GradMode.enabled
        GradMode.enabled = False
        try:
            out = step(self, *args, **kwargs)
        finally:
            GradMode.enabled = previous
        self._opt_called = True
        if self._step_post_hooks or _global_optimizer_post_hooks:
            for hook in [*self._step_post_hooks.values(), *_global_optimizer_post_hooks.values()]:
                hook(self, args, kwargs)
        return out

    wrapper._wraps_optimizer_step = True
    return wrapper


class _RemovableHandle:
    _next_id = 0

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs (``named_parameters()``),
            or of dicts (parameter groups, each with a ``"params"`` entry and any options that
            override ``defaults``). Use ordered collections: the order of parameters is how
            ``state_dict()`` refers to them.
        defaults: the default value of each optimization option.

    Subclasses implement ``step(closure=None)``; it runs under ``no_grad`` (the closure, if
    given, is re-evaluated with grad enabled and its loss returned).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_wraps_optimizer_step", False):
            cls.step = _step_wrapper(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._step_pre_hooks = {}
        self._step_post_hooks = {}
        self._init_state_dict_hooks()
        self._opt_called = False
        self._scratch_buffers = {}
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        if isinstance(params, dict):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a dict; wrap a single parameter group "
                            "in a list: [{'params': ...}]")
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ----- groups --------------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a parameter group (a dict with ``"params"`` and optional options), e.g. to train
        layers unfrozen during fine-tuning. Options it leaves out take the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list "
                "instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not param.is_leaf and not param._retain:
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            import warnings

            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ----- gradients -----------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors.

        Args:
            set_to_none: drop the gradients (``p.grad = None``, the default) instead of filling
                them with zeros. A parameter whose ``grad`` is None is skipped by ``step``,
                while a zero gradient still moves it (weight decay, momentum).
        """
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if grad.grad_fn is not None:
                        grad.detach_()
                    else:
                        grad.requires_grad = False
                    grad._data.fill(0)
                    grad._version += 1

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the
        loss (needed by some algorithms, optional for the others)."""
        raise NotImplementedError

    # ----- hooks ---------------------------------------------------------------------------
    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs before each ``step``; it may return new
        ``(args, kwargs)``. Returns a handle with ``remove()``."""
        handle = _RemovableHandle(self._step_pre_hooks)
        self._step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs after each ``step``."""
        handle = _RemovableHandle(self._step_post_hooks)
        self._step_post_hooks[handle.id] = hook
        return handle

    def _init_state_dict_hooks(self):
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()

    @staticmethod
    def _register_hook(hooks, hook, prepend):
        handle = _RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer)`` runs before ``state_dict()`` builds the dict (``prepend``: before
        the hooks already registered). Returns a handle with ``remove()``."""
        return self._register_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` runs on the dict ``state_dict()`` returns; it may
        return a replacement."""
        return self._register_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` runs before ``load_state_dict`` reads the dict (a
        shallow copy of the one passed); it may return a replacement, e.g. to adapt an old
        checkpoint."""
        return self._register_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer)`` runs after ``load_state_dict`` has restored the state."""
        return self._register_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ----- checkpoints ---------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are referred to by their index in the order of ``param_groups``, so the
        dict holds no parameter; each group holds its options and ``"params"`` (indices).
        State tensors are returned by reference, as in PyTorch: copy the dict
        (``copy.deepcopy``) if the optimizer keeps stepping before you save it.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        mapping = {}
        start = 0
        param_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            param_groups.append(packed)
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        state_dict = {"state": state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """Restore a state written by ``state_dict()`` (of an optimizer built the same way).

        Floating state tensors are copied and cast to their parameter's dtype, except
        ``step`` which keeps its own. Group options (``lr``...) come from the loaded dict.
        """
        if isinstance(state_dict, dict):
            state_dict = state_dict.copy()  # shallow, so that pre-hooks may replace entries
            for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
                result = pre_hook(self, state_dict)
                if result is not None:
                    state_dict = result
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict \
                or "state" not in state_dict:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict)
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected a dict with keys "
                             f"'state' and 'param_groups', got {got}")
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            key = int(key) if isinstance(key, str) and key.isdigit() else key
            if key in id_map:
                param = id_map[key]
                state[param] = {name: _cast_state(param, v, name) for name, v in value.items()}
            else:
                state[key] = value
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            if "betas" in saved and isinstance(saved["betas"], list):
                saved["betas"] = tuple(saved["betas"])
        self.__setstate__({"state": state, "param_groups": saved_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name, value in (("_step_pre_hooks", {}), ("_step_post_hooks", {}),
                            ("_opt_called", False), ("_scratch_buffers", {})):
            if name not in self.__dict__:
                setattr(self, name, value)
        if "_optimizer_state_dict_pre_hooks" not in self.__dict__:
            self._init_state_dict_hooks()

    def __repr__(self):
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # ----- helpers for subclasses ----------------------------------------------------------
    def _scratch(self, like, slot=0):
        """A temporary array shaped like ``like`` (a view into a buffer reused by every
        parameter and every step), so updates allocate nothing."""
        shape = like.shape
        view = self._scratch_buffers.get((like.dtype, slot, shape))
        if view is not None:  # the hot path: one dict look-up per parameter and step
            return view
        key = (like.dtype, slot)
        flat = self._scratch_buffers.get(key)
        size = like.size
        if flat is None or flat.size < size:
            flat = np.empty(size, dtype=like.dtype)
            self._scratch_buffers[key] = flat
            # views into the smaller buffer stay valid (they keep it alive) but are dropped,
            # so the shapes come to share the one large buffer
            for old in [k for k in self._scratch_buffers if len(k) == 3 and k[:2] == key]:
                del self._scratch_buffers[old]
        view = self._scratch_buffers[(like.dtype, slot, shape)] = flat[:size].reshape(shape)
        return view

    def _stepped_params(self, group, moments, scalars=None):
        """Yield ``(p, param array, state, step)`` for each parameter of ``group`` that has a
        gradient, after advancing its ``step`` counter. New state starts with ``step`` = 0, the
        0-d ``scalars`` (name -> initial value) and zero arrays for ``moments`` (names), the
        layout of Adam-family optimizers (Adamax, NAdam, RAdam)."""
        for p in group["params"]:
            if p.grad is None:
                continue
            param = p._data
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _scalar_state(0.0)
                for name, value in (scalars or {}).items():
                    state[name] = _scalar_state(value)
                for name in moments:
                    state[name] = Tensor._from_op(np.zeros_like(param), None)
            state["step"]._data += 1
            yield p, param, state, float(state["step"]._data)

    def _closure_loss(self, closure):
        if closure is None:
            return None
        previous = GradMode.enabled
        GradMode.enabled = True
        try:
            return closure()
        finally:
            GradMode.enabled = previous


def _typename(obj):
    kind = type(obj)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def _cast_state(param, value, key):
    """A loaded state value: tensors copied (floating ones cast to the parameter's dtype, but
    ``step`` kept as saved), containers walked, everything else as is."""
    if isinstance(value, (Tensor, np.ndarray)):
        array = value._data if isinstance(value, Tensor) else value
        if key != "step" and array.dtype.kind == "f" and param.dtype.kind == "f":
            array = array.astype(param.dtype, copy=True)
        else:
            array = np.array(array, copy=True)
        return Tensor._from_op(array, None)
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v, None) for v in value)
    return value


def _check_implementation_flags(name, foreach=None, fused=None, differentiable=False):
    """deepgrad has one NumPy implementation of each rule; PyTorch's implementation switches
    are accepted (and kept in the groups, so state dicts have PyTorch's keys) where they don't
    change the result."""
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if fused and differentiable:
        raise RuntimeError("`fused` does not support `differentiable`")
    if differentiable:
        raise NotImplementedError(
            f"{name}: differentiable=True (backpropagating through the optimizer step) is not "
            f"supported by deepgrad")


def _regularized_grad(param, grad, out, weight_decay, maximize):
    """The gradient the rules start from: ``-grad`` if maximizing, plus ``weight_decay *
    param`` (an L2 penalty). Written into ``out`` when it differs from ``grad``."""
    if grad.shape != param.shape:
        raise RuntimeError(f"optimizer step: a parameter of shape {param.shape} has a gradient "
                           f"of shape {grad.shape}; p.grad must have the parameter's shape")
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=out)
        (np.subtract if maximize else np.add)(out, grad, out=out)
        return out
    if maximize:
        np.negative(grad, out=out)
        return out
    return grad


def _lerp_(start, end, weight, tmp):
    """``start.lerp_(end, weight)`` with PyTorch's formula (exact at both ends)."""
    np.subtract(end, start, out=tmp)
    if abs(weight) < 0.5:
        np.multiply(tmp, weight, out=tmp)
        np.add(start, tmp, out=start)
    else:
        np.multiply(tmp, 1 - weight, out=tmp)
        np.subtract(end, tmp, out=start)


def _scalar_state(value):
    """A 0-d float32 state tensor (``step``, ``mu_product``...), PyTorch's scalar dtype."""
    return Tensor._from_op(np.array(value, dtype=np.float32), None)


def _to_scalar(value):
    """A hyper-parameter as a Python float (a 1-element Tensor lr is allowed)."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError("Tensor hyper-parameters must be 1-element")
        return float(value.item())
    return value


def _check_adam_like(lr, betas, eps, weight_decay):
    """The argument checks Adam's relatives share, with PyTorch's messages."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _square_avg_(avg, grad, beta, tmp):
    """``avg ← β avg + (1 - β) g²`` in place (PyTorch's ``mul_(β).addcmul_(g, g, 1 - β)``)."""
    np.multiply(avg, beta, out=avg)
    np.multiply(grad, 1 - beta, out=tmp)
    np.multiply(tmp, grad, out=tmp)
    np.add(avg, tmp, out=avg)
