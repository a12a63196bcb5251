"""``Parameter``: a tensor a Module learns (registered automatically when assigned)."""

import numpy as np

from deepgrad.backend import dtypes
from deepgrad.tensor import Tensor


def factory_dtype(dtype=None):
    """The dtype a module creates its parameters and buffers in: ``dtype`` when given, else
    deepgrad's default float read now (so ``set_default_dtype(float64)`` before building a model
    makes it float64, as in PyTorch)."""
    return dtypes.to_dtype(dtype) if dtype is not None else dtypes.default_float


class Parameter(Tensor):
    """A leaf tensor that requires grad and is registered by ``Module.__setattr__``."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty((0,), dtype=dtypes.default_float)
        array = data._data if isinstance(data, Tensor) else np.asarray(data)
        if array.dtype.kind != "f" and not (isinstance(data, Tensor) and not requires_grad):
            array = array.astype(dtypes.default_float) if requires_grad else array
        self._data = array
        self.grad = None
        self.grad_fn = None
        self._hooks = None
        self._version = 0
        self._retain = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module (PyTorch 2.5+)."""

    __slots__ = ("persistent",)

    def __init__(self, data, persistent=True):
        super().__init__(data)
        self.persistent = persistent
