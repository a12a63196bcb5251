"""``Module``: the base of every layer and network (PyTorch's ``nn.Module``).

A module owns parameters (learned), buffers (state such as BatchNorm's running mean) and child
modules, all registered when assigned as attributes, so ``state_dict()`` keys are stable dotted
paths like ``features.0.weight``. Subclasses implement ``forward``; calling the module runs
forward hooks around it. A module keeps its own dotted path so that errors can name it.
"""

from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import is_grad_enabled
from deepgrad.nn.parameter import Buffer, Parameter
from deepgrad.tensor import Tensor


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find and those it did not use."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by every ``register_*_hook``: ``remove()`` unregisters the hook (also on
    leaving a ``with`` block)."""

    _next_id = 0

    def __init__(self, store, extra_stores=()):
        self.store = store
        self.extra_stores = tuple(extra_stores)
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self.store.pop(self.id, None)
        for extra in self.extra_stores:
            extra.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_Handle = RemovableHandle


def _typename(obj):
    """How PyTorch's errors name a value's type (``torch.typename``)."""
    if isinstance(obj, Tensor):
        return f"{type(obj).__module__}.{type(obj).__name__}"
    module = getattr(obj, "__module__", "") or ""
    name = type(obj).__name__
    return f"{module}.{name}" if module and module != "builtins" else name


def _check_member_name(kind, name):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
    if "." in name:
        raise KeyError(f"{kind} name can't contain \".\", got: {name}")
    if name == "":
        raise KeyError(f"{kind} name can't be empty string \"\"")


_HOOK_STORES = ("_forward_hooks", "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_backward_hooks",
                "_backward_pre_hooks", "_state_dict_hooks", "_state_dict_pre_hooks",
                "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks")


class _HookIdentity(Function):
    """Identity on a packed vector whose backward hands the whole gradient to ``owner``."""

    def forward(self, a, owner=None, side=None):
        self.owner, self.side = owner, side
        return a.view()

    def backward(self, grad):
        return self.owner.on_grad(self.side, grad)


class _BackwardHooks:
    """Full backward (pre-)hooks of one call: the tensor inputs and outputs are each routed
    through one identity node on their concatenation, so the node's backward sees every
    gradient at once (``grad_input`` / ``grad_output`` as tuples) and can replace them."""

    def __init__(self, module):
        self.module = module
        self.grad_output = None
        self.n_inputs = 0
        self.input_wants = ()

    @staticmethod
    def _pack(tensors, owner, side):
        import deepgrad

        flat = deepgrad.cat([t.reshape(-1) for t in tensors]) if len(tensors) > 1 \
            else tensors[0].reshape(-1)
        packed = _HookIdentity.apply(flat, owner=owner, side=side)
        out, start = [], 0
        for t in tensors:
            piece = packed[start:start + t.numel()].reshape(t.shape)
            out.append(piece if piece.dtype == t.dtype else piece.to(t.dtype))
            start += t.numel()
        return out

    def _split(self, grad, tensors_meta):
        pieces, start = [], 0
        for shape, size in tensors_meta:
            pieces.append(Tensor._from_op(grad[start:start + size].reshape(shape), None))
            start += size
        return pieces

    @staticmethod
    def _join(grads, template, meta):
        parts = [np.zeros(size, dtype=template.dtype) if g is None
                 else np.asarray(g._data if isinstance(g, Tensor) else g).reshape(-1)
                 for g, (_, size) in zip(grads, meta)]
        return np.concatenate(parts).astype(template.dtype, copy=False)

    def setup_inputs(self, args):
        tensors = [a for a in args if isinstance(a, Tensor)]
        self.n_inputs = len(tensors)
        self.input_wants = tuple(t.requires_grad for t in tensors)
        wanted = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        if not wanted or not self.module._backward_hooks:
            return args
        self.in_meta = [(t.shape, t.numel()) for t in wanted]
        new = iter(self._pack(wanted, self, "in"))
        return tuple(next(new) if isinstance(a, Tensor) and a.requires_grad else a
                     for a in args)

    def setup_outputs(self, output):
        single = isinstance(output, Tensor)
        outputs = (output,) if single else output
        if not isinstance(outputs, (tuple, list)):
            return output
        wanted = [o for o in outputs if isinstance(o, Tensor) and o.requires_grad]
        if not wanted:
            return output
        self.out_meta = [(t.shape, t.numel()) for t in wanted]
        new = iter(self._pack(wanted, self, "out"))
        replaced = [next(new) if isinstance(o, Tensor) and o.requires_grad else o
                    for o in outputs]
        return replaced[0] if single else type(outputs)(replaced)

    def on_grad(self, side, grad):
        module = self.module
        if side == "out":
            grads = tuple(self._split(grad, self.out_meta))
            for hook in list(module._backward_pre_hooks.values()):
                result = hook(module, grads)
                if result is not None:
                    grads = tuple(result) if isinstance(result, (tuple, list)) else (result,)
            self.grad_output = grads
            if not any(self.input_wants) and module._backward_hooks:
                grad_input = (None,) * max(self.n_inputs, 1)
                for hook in list(module._backward_hooks.values()):
                    hook(module, grad_input, grads)
            return self._join(grads, grad, self.out_meta)
        split = iter(self._split(grad, self.in_meta))
        grad_input = tuple(next(split) if wants else None for wants in self.input_wants)
        for hook in list(module._backward_hooks.values()):
            result = hook(module, grad_input, self.grad_output)
            if result is not None:
                got = len(result) if isinstance(result, (tuple, list)) else 1
                if got != len(grad_input):
                    raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                       f"got {got}, but expected {len(grad_input)}")
                grad_input = tuple(result)
        wanted = [g for g, wants in zip(grad_input, self.input_wants) if wants]
        return self._join(wanted, grad, self.in_meta)


class Module:
    """Base class for all neural network modules."""

    _version = 1
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if not self.call_super_init and kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument '{next(iter(kwargs))}'")
        if not self.call_super_init and args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but "
                            f"{len(args) + 1} were given")
        set_ = object.__setattr__
        set_(self, "training", True)
        set_(self, "_parameters", OrderedDict())
        set_(self, "_buffers", OrderedDict())
        set_(self, "_non_persistent_buffers", set())
        set_(self, "_modules", OrderedDict())
        for store in _HOOK_STORES:
            set_(self, store, OrderedDict())
        set_(self, "_path", "")

    # ----- registration ---------------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() call (call super().__init__() "
                f"first in {type(self).__name__}.__init__)")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._discard(name)
            self.register_parameter(name, value)
        elif isinstance(value, Buffer):
            self._discard(name)
            self.register_buffer(name, value, persistent=value.persistent)
        elif isinstance(value, Module):
            self._discard(name)
            modules[name] = value
            value._set_path(f"{self._path}.{name}" if self._path else name)
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                f"(torch.nn.Parameter or None expected)")
            params[name] = value
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                f"(torch.nn.Buffer, torch.Tensor or None expected)")
            buffers[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module "
                                f"'{name}' (torch.nn.Module or None expected)")
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _discard(self, name):
        for store in (self.__dict__, self._parameters, self._buffers, self._modules):
            store.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def _taken(self, name, store):
        # PyTorch's ``hasattr(self, name) and name not in store``, without evaluating
        # properties (a parametrized tensor's property would run its parametrization)
        if name in store:
            return False
        return (name in self.__dict__ or hasattr(type(self), name) or name in self._parameters
                or name in self._buffers or name in self._modules)

    def register_parameter(self, name, param):
        """Add a parameter (or ``None``, a declared but absent one) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_member_name("parameter", name)
        if self._taken(name, self._parameters):
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            f"(torch.nn.Parameter or None required)")
        if param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                f"created explicitly. To express '{name}' as a function of another Tensor, "
                f"compute the value in the forward() method.")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """State that is saved in ``state_dict`` (if persistent) but not learned."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_member_name("buffer", name)
        if self._taken(name, self._buffers):
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            f"(torch Tensor or None required)")
        if isinstance(tensor, Buffer):
            tensor = Tensor._from_op(tensor._data, None)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        """Add a child module under ``name`` (``None`` declares an absent one)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _check_member_name("module", name)
        if self._taken(name, self._modules):
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module
        if module is not None:
            module._set_path(f"{self._path}.{name}" if self._path else name)

    def register_module(self, name, module):
        """Alias of ``add_module``."""
        self.add_module(name, module)

    def get_submodule(self, target):
        """The submodule at dotted path ``target`` ('' is ``self``)."""
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def set_submodule(self, target, module, strict=False):
        """Replace (or with ``strict=False`` add) the submodule at dotted path ``target``."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        path, _, name = target.rpartition(".")
        parent = self.get_submodule(path)
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def get_parameter(self, target):
        """The parameter at dotted path ``target`` (e.g. ``'0.weight'``)."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        param = getattr(module, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        """The buffer at dotted path ``target`` (e.g. ``'1.running_mean'``)."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return getattr(module, name)

    def get_extra_state(self):
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never "
                           "be called.")

    def set_extra_state(self, state):
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never "
                           "be called.")

    def _set_path(self, path):
        object.__setattr__(self, "_path", path)
        for name, child in self._modules.items():
            if child is not None:
                child._set_path(f"{path}.{name}")

    @property
    def path(self):
        """Dotted path of this module inside the model it was last attached to ('' at top)."""
        return self._path

    def _describe(self):
        """How errors name this module: its class and path, e.g. ``Linear at 'classifier.2'``."""
        return f"{type(self).__name__} at '{self._path}'" if self._path else type(self).__name__

    def _get_name(self):
        return type(self).__name__

    # ----- traversal -------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for this module and every descendant, depth first; a module
        reachable twice is listed once unless ``remove_duplicate=False``."""
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                           remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, child in self._modules.items():
            if child is not None and child not in seen:
                seen.add(child)
                yield name, child

    def children(self):
        for _, child in self.named_children():
            yield child

    def _named_members(self, store, prefix, recurse, remove_duplicate=True):
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ----- modes and utilities -------------------------------------------------------------
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        object.__setattr__(self, "training", mode)
        for child in self.children():
            child.train(mode)  # through the method, so subclasses that override train() see it
        return self

    def eval(self):
        """Evaluation mode: dropout off, batch norm uses its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad = param.grad.detach()
                param.grad._data = np.zeros_like(param.grad._data)

    def share_memory(self):
        return self

    def apply(self, fn):
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def _apply_to_tensors(self, convert):
        for module in self.modules():
            for param in module._parameters.values():
                if param is not None:
                    new = convert(param._data)
                    if new is not param._data:
                        param._data = new
                        param._version += 1
                        if param.grad is not None:
                            param.grad._data = convert(param.grad._data)
            for buffer in module._buffers.values():
                if buffer is not None:
                    buffer._data = convert(buffer._data)
        return self

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)``: cast floating
        parameters and buffers (integer ones keep their dtype); devices other than the CPU
        raise, as deepgrad runs on NumPy."""
        from deepgrad.backend.dtypes import to_dtype
        from deepgrad.tensor import _check_device

        dtype = kwargs.get("dtype")
        _check_device(kwargs.get("device"))
        for arg in args:
            if isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps", "meta"):
                _check_device(arg)
            elif isinstance(arg, Tensor):
                dtype = arg.dtype
            elif arg is not None and type(arg).__name__ != "device":
                dtype = arg
        if dtype is None:
            return self
        dtype = to_dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype}")
        return self._apply_to_tensors(
            lambda a: a.astype(dtype) if a.dtype.kind in "fc" and a.dtype != dtype else a)

    def _cast_floating(self, dtype):
        return self._apply_to_tensors(
            lambda a: a.astype(dtype) if a.dtype.kind == "f" and a.dtype != dtype else a)

    def float(self):
        """Cast floating parameters and buffers to float32."""
        return self._cast_floating(np.dtype(np.float32))

    def double(self):
        """Cast floating parameters and buffers to float64."""
        return self._cast_floating(np.dtype(np.float64))

    def half(self):
        """Cast floating parameters and buffers to float16."""
        return self._cast_floating(np.dtype(np.float16))

    def cpu(self):
        return self

    def cuda(self, device=None):
        from deepgrad.tensor import _check_device

        _check_device("cuda")

    def type(self, dst_type):
        """Cast every parameter and buffer (integer ones too) to ``dst_type``."""
        from deepgrad.backend.dtypes import to_dtype

        dtype = to_dtype(dst_type)
        return self._apply_to_tensors(lambda a: a.astype(dtype) if a.dtype != dtype else a)

    def to_empty(self, *, device=None, recurse=True):
        """Give every parameter and buffer fresh uninitialised storage of the same shape."""
        from deepgrad.tensor import _check_device

        _check_device(device)
        return self._apply_to_tensors(lambda a: np.empty_like(a))

    # ----- state -------------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + "_extra_state"] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by dotted name (PyTorch's keys)."""
        if args:  # the deprecated positional form state_dict(destination, prefix, keep_vars)
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination=destination, prefix=prefix + name + ".",
                                 keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if result is not None:
                destination = result
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        """Copy this module's own entries of ``state_dict`` (keys ``prefix + name``) into its
        parameters and persistent buffers; record missing, unexpected and mismatched keys."""
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                 error_msgs)
        local = {k: v for k, v in self._parameters.items() if v is not None}
        local.update((k, v) for k, v in self._buffers.items()
                     if v is not None and k not in self._non_persistent_buffers)
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, target in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            array = value._data if isinstance(value, Tensor) else np.asarray(value)
            if array.shape != target.shape and hasattr(target, "materialize"):
                target.materialize(array.shape)  # a lazy module's UninitializedParameter
            if array.shape != target.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                                  f"{tuple(array.shape)} from checkpoint, the shape in current "
                                  f"model is {tuple(target.shape)}.")
                continue
            if assign:
                target._data = np.array(array, dtype=target.dtype)
            else:
                # in place, as PyTorch's copy_: views and optimizer references stay valid
                np.copyto(target._data, array, casting="unsafe")
            target._version += 1
        extra_key = prefix + "_extra_state"
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    first = key[len(prefix):].split(".", 1)[0]
                    if first not in self._modules and first not in local:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy tensors into parameters and buffers; with ``strict``, keys must match exactly.
        Returns ``(missing_keys, unexpected_keys)`` as a named tuple."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)

        def load(module, local_state, prefix=""):
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local_state, prefix, local_metadata, True, missing,
                                         unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_state = {k: v for k, v in local_state.items()
                                   if k.startswith(child_prefix)}
                    load(child, child_state, child_prefix)
            result = _IncompatibleKeys(missing, unexpected)
            for hook in module._load_state_dict_post_hooks.values():
                hook(module, result)

        load(self, state_dict)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t"
                               + "\n\t".join(errors))
        return _IncompatibleKeys(missing, unexpected)

    def _register_state_dict_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)`` after this module's entries are
        saved; a returned dict replaces the state dict."""
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    register_state_dict_post_hook = _register_state_dict_hook

    def register_state_dict_pre_hook(self, hook):
        """``hook(module, prefix, keep_vars)`` before this module's entries are saved."""
        handle = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        """``hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)`` (``module`` first when ``with_module``) before this module loads: it may
        rename or convert entries of ``state_dict`` in place."""
        if with_module:
            module, inner = self, hook

            def hook(*args):
                return inner(module, *args)
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = hook
        return handle

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before this module loads its entries."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook):
        """``hook(module, incompatible_keys)`` after ``load_state_dict``; it may edit the
        missing/unexpected lists in place."""
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle

    # ----- hooks and calling -------------------------------------------------------------
    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with
        ``with_kwargs``) runs after forward; a returned value replaces the output. With
        ``always_call`` it also runs when forward raises."""
        handle = RemovableHandle(self._forward_hooks, (self._forward_hooks_with_kwargs,
                                                       self._forward_hooks_always_called))
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args)`` runs before forward; a returned value (a tuple, or one value
        wrapped into one) replaces the positional arguments. With ``with_kwargs`` it is
        ``hook(module, args, kwargs)`` and may return ``(args, kwargs)``."""
        handle = RemovableHandle(self._forward_pre_hooks, (self._forward_pre_hooks_with_kwargs,))
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` runs once the gradients with respect to
        the module's tensor inputs are computed; a returned tuple replaces ``grad_input``."""
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    register_backward_hook = register_full_backward_hook

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` runs when the gradients with respect to the module's
        outputs are computed; a returned tuple replaces ``grad_output``."""
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  f'"forward" function')

    def __call__(self, *args, **kwargs):
        if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks
                or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    _call_impl = __call__

    def _call_with_hooks(self, args, kwargs):
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {result}.")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        backward_hooks = None
        if (self._backward_hooks or self._backward_pre_hooks) and is_grad_enabled():
            backward_hooks = _BackwardHooks(self)
            args = backward_hooks.setup_inputs(args)
        try:
            output = self.forward(*args, **kwargs)
        except Exception:
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called:
                    try:
                        self._run_forward_hook(hook_id, hook, args, kwargs, None)
                    except Exception:
                        pass
            raise
        for hook_id, hook in list(self._forward_hooks.items()):
            result = self._run_forward_hook(hook_id, hook, args, kwargs, output)
            if result is not None:
                output = result
        if backward_hooks is not None:
            output = backward_hooks.setup_outputs(output)
        return output

    def _run_forward_hook(self, hook_id, hook, args, kwargs, output):
        if hook_id in self._forward_hooks_with_kwargs:
            return hook(self, args, kwargs, output)
        return hook(self, args, output)

    # ----- printing ------------------------------------------------------------------------
    def extra_repr(self):
        """The layer's own settings, printed inside its parentheses (override in layers)."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + repr(child).replace("\n", "\n  ")
                       for name, child in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __setstate__(self, state):
        self.__dict__.update(state)
        # modules pickled before a hook store existed still load
        for store in _HOOK_STORES:
            self.__dict__.setdefault(store, OrderedDict())
        self.__dict__.setdefault("_non_persistent_buffers", set())
