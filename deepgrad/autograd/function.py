"""The graph node: an op's forward and backward side by side.

An op subclasses ``Function`` and writes two methods on NumPy arrays:

* ``forward(self, *inputs, **options)`` computes the result and stores on ``self`` exactly what
  backward will need (and nothing more);
* ``backward(self, grad)`` receives dL/d(output) and returns dL/d(input) for every positional
  input (a tuple, or a single array when there is one input; ``None`` where no gradient flows).
  ``self.needs_input_grad[i]`` tells whether input ``i`` wants a gradient at all, so work for
  inputs that don't can be skipped.

``Op.apply(*inputs, **options)`` runs forward on the inputs' arrays (non-Tensor inputs pass
through untouched) and, when grad mode is on and some input requires grad, returns a Tensor
whose ``grad_fn`` is this node. This is the chain rule of backpropagation, one op at a time.
"""

import numpy as np

from deepgrad.autograd.grad_mode import GradMode

_ndarray = np.ndarray
_asarray = np.asarray
_new = object.__new__  # skips Tensor.__init__ (its checks are for user data)
_Tensor = None  # deepgrad.tensor.Tensor, set there once it is defined (no per-call import)
_FIRST_ONLY = {1: (True,), 2: (True, False), 3: (True, False, False)}
_SECOND_ONLY = (False, True)


class Function:
    # The graph links are slots (set on every recorded node). A subclass may declare
    # ``__slots__`` for what its forward saves, which skips creating an instance dict per op;
    # subclasses without ``__slots__`` work the same, keeping their saved arrays in the dict.
    __slots__ = ("parents", "needs_input_grad", "versions", "__dict__")
    hooks = None

    @classmethod
    def apply(cls, *inputs, **options):
        # The hot path of every op (about 0.3 µs of Python here): the one- and two-input
        # cases are unrolled, there are no imports, comprehensions or generator expressions
        # (each costs a frame in Python 3.11), and empty keyword options are not forwarded.
        Tensor = _Tensor
        node = cls()
        count = len(inputs)
        first_only = False  # only inputs[0] can be a Tensor: needs_input_grad is known
        if count == 1:
            (a,) = inputs
            if isinstance(a, Tensor):
                requires = a.requires_grad
                a = a._data
            else:
                requires = False
            result = node.forward(a, **options) if options else node.forward(a)
            first_only = True
        elif count == 3 and not isinstance(inputs[1], Tensor) and not isinstance(inputs[2], Tensor):
            a, b, c = inputs  # a tensor and two options (dims, keepdim...): reductions, shapes
            if isinstance(a, Tensor):
                requires = a.requires_grad
                a = a._data
            else:
                requires = False
            result = node.forward(a, b, c, **options) if options else node.forward(a, b, c)
            first_only = True
        elif count == 2 or count == 3:  # binary ops; linear's input, weight and bias
            a, b = inputs[0], inputs[1]
            requires = False
            if isinstance(a, Tensor):
                requires = a.requires_grad
                a = a._data
            if isinstance(b, Tensor):
                requires = requires or b.requires_grad
                b = b._data
            if count == 2:
                result = node.forward(a, b, **options) if options else node.forward(a, b)
            else:
                c = inputs[2]
                if isinstance(c, Tensor):
                    requires = requires or c.requires_grad
                    c = c._data
                result = node.forward(a, b, c, **options) if options else node.forward(a, b, c)
        else:
            arrays = list(inputs)
            requires = False
            i = 0
            for x in inputs:
                if isinstance(x, Tensor):
                    arrays[i] = x._data
                    if x.requires_grad:
                        requires = True
                i += 1
            result = node.forward(*arrays, **options)
        if type(result) is not _ndarray:
            result = _asarray(result)
        out = _new(Tensor)
        out._data = result
        if requires and GradMode.enabled:
            if first_only:
                needs = _FIRST_ONLY[count]
                versions = (inputs[0]._version, 0, 0) if count == 3 else (inputs[0]._version,)
            elif count == 2:
                a, b = inputs
                if not isinstance(b, Tensor):
                    needs, versions = _FIRST_ONLY[2], (a._version, 0)
                elif not isinstance(a, Tensor):
                    needs, versions = _SECOND_ONLY, (0, b._version)
                else:
                    needs = (a.requires_grad, b.requires_grad)
                    versions = (a._version, b._version)
            elif count == 3 and isinstance(inputs[0], Tensor) and isinstance(inputs[1], Tensor) \
                    and isinstance(inputs[2], Tensor):
                a, b, c = inputs
                needs = (a.requires_grad, b.requires_grad, c.requires_grad)
                versions = (a._version, b._version, c._version)
            else:
                needs = []
                versions = []
                for x in inputs:
                    if isinstance(x, Tensor):
                        needs.append(x.requires_grad)
                        versions.append(x._version)
                    else:
                        needs.append(False)
                        versions.append(0)
            node.parents = inputs
            node.needs_input_grad = needs
            node.versions = versions
            out.grad_fn = node
            out.requires_grad = True
            return out
        out.grad_fn = None
        out.requires_grad = False
        return out

    def forward(self, *inputs, **options):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    def name(self):
        # torch numbers its backward nodes per overload (MulBackward0); deepgrad has one each
        return f"{type(self).__name__}Backward0"

    def __repr__(self):
        return f"<{self.name()}>"

    @property
    def released(self):
        """Whether ``release()`` has dropped what forward saved (backward can't run again)."""
        return getattr(self, "versions", ()) is None

    def release(self):
        """Drop what forward saved, once backward has run (keeps training memory flat)."""
        self.__dict__.clear()
        names = _SAVED_SLOTS.get(type(self))
        if names is None:
            names = _saved_slots(type(self))
        for name in names:
            try:
                delattr(self, name)
            except AttributeError:
                pass
        self.parents = ()
        self.versions = None  # the mark the engine checks (see ``released``)


# ----- fixed-arity appliers for the hottest ops -------------------------------------------
# ``Op.apply(*inputs)`` is a classmethod with packed arguments: the binding, the tuple and the
# arity branches cost about as much as a tiny op's NumPy call. The ops that run most often
# (arithmetic, activations, reductions, reshapes, indexing) call these plain functions instead;
# each does what ``apply`` does for one fixed signature, the node and result identical.

def apply_unary(cls, x):
    """``cls.apply(x)`` for one input."""
    if not isinstance(x, _Tensor):
        return cls.apply(x)
    node = cls()
    result = node.forward(x._data)
    if type(result) is not _ndarray:
        result = _asarray(result)
    out = _new(_Tensor)
    out._data = result
    if x.requires_grad and GradMode.enabled:
        node.parents = (x,)
        node.needs_input_grad = _TRUE_1
        node.versions = (x._version,)
        out.grad_fn = node
        out.requires_grad = True
        return out
    out.grad_fn = None
    out.requires_grad = False
    return out


def apply_option(cls, x, option):
    """``cls.apply(x, option)``: a tensor and one non-tensor option (a dim, a shape, a key)."""
    if not isinstance(x, _Tensor):
        return cls.apply(x, option)
    node = cls()
    result = node.forward(x._data, option)
    if type(result) is not _ndarray:
        result = _asarray(result)
    out = _new(_Tensor)
    out._data = result
    if x.requires_grad and GradMode.enabled:
        node.parents = (x, option)
        node.needs_input_grad = _FIRST_ONLY[2]
        node.versions = (x._version, 0)
        out.grad_fn = node
        out.requires_grad = True
        return out
    out.grad_fn = None
    out.requires_grad = False
    return out


def apply_options(cls, x, option, other_option):
    """``cls.apply(x, option, other_option)``: a tensor and two non-tensor options."""
    if not isinstance(x, _Tensor):
        return cls.apply(x, option, other_option)
    node = cls()
    result = node.forward(x._data, option, other_option)
    if type(result) is not _ndarray:
        result = _asarray(result)
    out = _new(_Tensor)
    out._data = result
    if x.requires_grad and GradMode.enabled:
        node.parents = (x, option, other_option)
        node.needs_input_grad = _FIRST_ONLY[3]
        node.versions = (x._version, 0, 0)
        out.grad_fn = node
        out.requires_grad = True
        return out
    out.grad_fn = None
    out.requires_grad = False
    return out


def apply_binary(cls, x, y):
    """``cls.apply(x, y)``: two inputs, either a tensor or not (a Python number)."""
    Tensor = _Tensor
    node = cls()
    if isinstance(x, Tensor):
        if isinstance(y, Tensor):
            result = node.forward(x._data, y._data)
            requires = x.requires_grad or y.requires_grad
        else:
            result = node.forward(x._data, y)
            requires = x.requires_grad
    elif isinstance(y, Tensor):
        result = node.forward(x, y._data)
        requires = y.requires_grad
    else:
        return cls.apply(x, y)
    if type(result) is not _ndarray:
        result = _asarray(result)
    out = _new(Tensor)
    out._data = result
    if requires and GradMode.enabled:
        if not isinstance(y, Tensor):
            node.needs_input_grad, node.versions = _FIRST_ONLY[2], (x._version, 0)
        elif not isinstance(x, Tensor):
            node.needs_input_grad, node.versions = _SECOND_ONLY, (0, y._version)
        else:
            node.needs_input_grad = (x.requires_grad, y.requires_grad)
            node.versions = (x._version, y._version)
        node.parents = (x, y)
        out.grad_fn = node
        out.requires_grad = True
        return out
    out.grad_fn = None
    out.requires_grad = False
    return out


_TRUE_1 = (True,)
_SAVED_SLOTS = {}


def _saved_slots(cls):
    """The ``__slots__`` names a Function subclass declared for its saved values (cached)."""
    names = []
    for klass in cls.__mro__:
        if klass is Function:
            break
        slots = klass.__dict__.get("__slots__", ())
        names.extend([slots] if isinstance(slots, str) else slots)
    names = _SAVED_SLOTS[cls] = tuple(names)
    return names


def __getattr__(name):
    """torch's ``torch.autograd.function`` module also hosts the user-facing helpers
    (``from torch.autograd.function import once_differentiable, FunctionCtx``); they live in
    custom_function, which imports this module, so they are looked up lazily."""
    if name in ("once_differentiable", "FunctionCtx"):
        from deepgrad.autograd import custom_function

        return getattr(custom_function, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
