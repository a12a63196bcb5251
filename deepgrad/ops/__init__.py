"""Every differentiable operation, grouped by kind, and their binding to ``Tensor``.

Importing this package attaches operators (``+``, ``@``, ``[]``...) and methods (``sum``,
``reshape``...) to ``Tensor``; each delegates to the one function that defines the op.
"""

from deepgrad.backend import dtypes
from deepgrad.ops import activation, creation, elementwise, index, inplace, linalg, reduce, shape
from deepgrad.tensor import Tensor


def _reflected(fn):
    def method(self, other):
        from deepgrad.ops._util import as_tensor_arg

        return fn(as_tensor_arg(other), self)

    return method


def _to(self, *args, **kwargs):
    """``to(dtype)``, ``to(device)``, ``to(other_tensor)``: a cast (devices other than cpu
    raise)."""
    from deepgrad.tensor import _check_device

    dtype = kwargs.get("dtype")
    _check_device(kwargs.get("device"))
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps"):
            _check_device(arg)
        elif arg is not None:
            dtype = arg
    if dtype is None:
        return self
    return shape.to_dtype(self, dtypes.to_dtype(dtype))


def _size_or_dims(fn):
    def method(self, *dims):
        return fn(self, *dims)

    return method


_METHODS = {
    # arithmetic
    "__add__": elementwise.add, "__radd__": _reflected(elementwise.add),
    "__sub__": elementwise.sub, "__rsub__": _reflected(elementwise.sub),
    "__mul__": elementwise.mul, "__rmul__": _reflected(elementwise.mul),
    "__truediv__": elementwise.div, "__rtruediv__": _reflected(elementwise.div),
    "__floordiv__": elementwise.floor_divide, "__rfloordiv__": _reflected(elementwise.floor_divide),
    "__mod__": elementwise.remainder, "__rmod__": _reflected(elementwise.remainder),
    "__pow__": elementwise.pow, "__rpow__": _reflected(elementwise.pow),
    "__matmul__": linalg.matmul, "__rmatmul__": _reflected(linalg.matmul),
    "__neg__": elementwise.neg, "__pos__": lambda self: self, "__abs__": elementwise.abs,
    "__eq__": elementwise.eq, "__ne__": elementwise.ne, "__lt__": elementwise.lt,
    "__le__": elementwise.le, "__gt__": elementwise.gt, "__ge__": elementwise.ge,
    "__and__": elementwise.logical_and, "__or__": elementwise.logical_or,
    "__xor__": elementwise.logical_xor, "__invert__": elementwise.logical_not,
    "__getitem__": index.getitem, "__setitem__": index.setitem,
    "add": elementwise.add, "sub": elementwise.sub, "subtract": elementwise.sub,
    "mul": elementwise.mul, "multiply": elementwise.mul, "div": elementwise.div,
    "divide": elementwise.div, "true_divide": elementwise.div, "pow": elementwise.pow,
    "floor_divide": elementwise.floor_divide, "remainder": elementwise.remainder,
    "neg": elementwise.neg, "negative": elementwise.neg, "abs": elementwise.abs,
    "exp": elementwise.exp, "log": elementwise.log, "log1p": elementwise.log1p,
    "sqrt": elementwise.sqrt, "rsqrt": elementwise.rsqrt, "sin": elementwise.sin,
    "cos": elementwise.cos, "square": elementwise.square, "sign": elementwise.sign,
    "erf": elementwise.erf, "clamp": elementwise.clamp, "clip": elementwise.clamp,
    "maximum": elementwise.maximum, "minimum": elementwise.minimum,
    "floor": elementwise.floor, "ceil": elementwise.ceil, "round": elementwise.round,
    "trunc": elementwise.trunc, "nonzero": elementwise.nonzero,
    "eq": elementwise.eq, "ne": elementwise.ne, "lt": elementwise.lt, "le": elementwise.le,
    "gt": elementwise.gt, "ge": elementwise.ge, "logical_and": elementwise.logical_and,
    "logical_or": elementwise.logical_or, "logical_not": elementwise.logical_not,
    "logical_xor": elementwise.logical_xor, "isnan": elementwise.isnan,
    "isinf": elementwise.isinf, "isfinite": elementwise.isfinite, "equal": elementwise.equal,
    "allclose": elementwise.allclose, "isclose": elementwise.isclose,
    # activations
    "sigmoid": activation.sigmoid, "tanh": activation.tanh, "relu": activation.relu,
    # reductions
    "sum": reduce.sum, "mean": reduce.mean, "var": reduce.var, "std": reduce.std,
    "max": reduce.max, "min": reduce.min, "amax": reduce.amax, "amin": reduce.amin,
    "argmax": reduce.argmax, "argmin": reduce.argmin, "prod": reduce.prod,
    "logsumexp": reduce.logsumexp, "norm": reduce.norm, "softmax": reduce.softmax,
    "log_softmax": reduce.log_softmax, "cumsum": reduce.cumsum, "all": reduce.all,
    "any": reduce.any, "count_nonzero": reduce.count_nonzero,
    # linear algebra
    "matmul": linalg.matmul, "mm": linalg.mm, "bmm": linalg.bmm, "dot": linalg.dot,
    "outer": linalg.outer,
    # shape
    "reshape": shape.reshape, "view": shape.view, "flatten": shape.flatten,
    "unflatten": shape.unflatten, "transpose": shape.transpose, "swapaxes": shape.transpose,
    "permute": shape.permute, "t": shape.t, "squeeze": shape.squeeze,
    "unsqueeze": shape.unsqueeze, "expand": shape.expand, "expand_as": shape.expand_as,
    "repeat": shape.repeat, "tile": shape.tile, "repeat_interleave": shape.repeat_interleave,
    "split": shape.split, "chunk": shape.chunk, "unbind": shape.unbind, "select": shape.select,
    "narrow": shape.narrow, "flip": shape.flip, "roll": shape.roll,
    "contiguous": shape.contiguous, "clone": shape.clone,
    "view_as": lambda self, other: shape.view(self, other.shape),
    "reshape_as": lambda self, other: shape.reshape(self, other.shape),
    # indexing
    "gather": index.gather, "scatter_add": index.scatter_add, "scatter": index.scatter,
    "index_select": index.index_select, "masked_fill": index.masked_fill,
    "masked_select": index.masked_select, "take_along_dim": index.take_along_dim,
    "tril": index.tril, "triu": index.triu,
    # dtype
    "to": _to, "type": lambda self, dtype=None: self.dtype.name if dtype is None else _to(
        self, dtype),
    "float": lambda self: _to(self, dtypes.float32),
    "double": lambda self: _to(self, dtypes.float64),
    "half": lambda self: _to(self, dtypes.float16), "long": lambda self: _to(self, dtypes.int64),
    "int": lambda self: _to(self, dtypes.int32), "bool": lambda self: _to(self, dtypes.bool_),
    "type_as": lambda self, other: _to(self, other.dtype),
    "cpu": lambda self: self, "cuda": lambda self, *a, **k: _to(self, "cuda"),
    "new_zeros": lambda self, *size, dtype=None, **kw: creation.zeros(
        *size, dtype=dtype or self.dtype, **kw),
    "new_ones": lambda self, *size, dtype=None, **kw: creation.ones(
        *size, dtype=dtype or self.dtype, **kw),
    "new_full": lambda self, size, fill_value, dtype=None, **kw: creation.full(
        size, fill_value, dtype=dtype or self.dtype, **kw),
    "new_tensor": lambda self, data, dtype=None, **kw: Tensor(data, dtype=dtype or self.dtype),
    "new_empty": lambda self, *size, dtype=None, **kw: creation.empty(
        *size, dtype=dtype or self.dtype, **kw),
}

for _name in ("add_", "sub_", "mul_", "div_", "pow_", "addcmul_", "addcdiv_", "lerp_", "clamp_",
              "zero_", "fill_", "copy_", "neg_", "sqrt_", "exp_", "abs_", "relu_", "uniform_",
              "normal_", "bernoulli_", "exponential_", "random_", "masked_fill_", "index_fill_"):
    _METHODS[_name] = getattr(inplace, _name)
_METHODS["clip_"] = inplace.clamp_


def _augmented(inplace_op, op):
    """``x += y``: in place where autograd allows it, else the out-of-place op (Python rebinds
    the name), so ``total += loss`` works on graph tensors as in PyTorch."""

    def method(self, other):
        from deepgrad.autograd.grad_mode import GradMode

        if self.requires_grad and GradMode.enabled:
            return op(self, other)
        return inplace_op(self, other)

    return method


_METHODS["__iadd__"] = _augmented(inplace.add_, elementwise.add)
_METHODS["__isub__"] = _augmented(inplace.sub_, elementwise.sub)
_METHODS["__imul__"] = _augmented(inplace.mul_, elementwise.mul)
_METHODS["__itruediv__"] = _augmented(inplace.div_, elementwise.div)

# pointwise-api: deepgrad/ops/pointwise.py (tan, atan2, lerp, lgamma... and their in-place forms)
from deepgrad.ops import pointwise as _pointwise  # noqa: E402

_METHODS.update({_name: getattr(_pointwise, _name) for _name in _pointwise.__all__
                 if _name != "rsub"})  # a function only in torch
_METHODS.update(_pointwise.INPLACE)
_METHODS.update(_pointwise.OPERATORS)  # & | ^ ~ << >> bitwise on integers, as in torch

# sorting-api: deepgrad/ops/sorting.py (sort, topk, median, quantile, unique, cummax...)
from deepgrad.ops import sorting as _sorting  # noqa: E402

_METHODS.update({_name: getattr(_sorting, _name) for _name in _sorting.__all__
                 if _name not in ("searchsorted", "bucketize")})  # functions only in torch

# shape-api: deepgrad/ops/shape_extra.py (movedim, unfold, index_add, scatter_reduce, stride...)
from deepgrad.ops import shape_extra as _shape_extra  # noqa: E402

_METHODS.update(_shape_extra.TENSOR_METHODS)

# linalg-api: deepgrad/ops/matrix.py (addmm, diagonal, trace, cross, kron...) and the torch
# aliases of deepgrad.linalg (inverse, det, cholesky...; that package loads on first use)
from deepgrad.ops import matrix as _matrix  # noqa: E402

_METHODS.update({_name: getattr(_matrix, _name) for _name in _matrix.TENSOR_METHODS})

for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)

__all__ = ["activation", "creation", "elementwise", "index", "inplace", "linalg", "reduce",
           "shape"]
