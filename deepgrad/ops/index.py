"""Indexing: ``x[...]`` (slices, integer arrays, bool masks, None, Ellipsis), gather,
scatter_add, index_select, masked_fill and ``__setitem__``.

Backward of a read puts the gradient back where the elements came from; when one element was
read several times (repeated indices), its gradients add up.
"""

import numpy as np

from deepgrad.autograd.function import Function, apply_options
from deepgrad.backend import dtypes
from deepgrad.tensor import Tensor, _wrap_dim


def _convert_key(key):
    """Turn Tensors inside an index into arrays; report whether advanced indexing is used."""
    if not isinstance(key, tuple):
        key = (key,)
    converted = []
    advanced = False
    for k in key:
        if isinstance(k, Tensor):
            k = k._data
        elif isinstance(k, list):
            k = np.asarray([x._data if isinstance(x, Tensor) else x for x in k])
        if isinstance(k, np.ndarray):
            if k.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            advanced = True
        elif isinstance(k, (bool, np.bool_)):
            advanced = True
        converted.append(k)
    return tuple(converted), advanced


def _check_bounds(array, key):
    try:
        return array[key]
    except IndexError as error:
        raise IndexError(f"index: {error} (indexing a tensor of shape {tuple(array.shape)})") \
            from None


class GetItem(Function):
    __slots__ = ()  # backward reads the input's shape, the key and its kind from ``parents``

    def forward(self, x, key, advanced):
        try:
            out = x[key]
            if type(out) is not np.ndarray and not advanced:
                # x[i, j] gives a NumPy scalar (a copy); a trailing ... keeps a 0-d view, so
                # x[0, 1].fill_(5) writes into x as in torch
                out = x[(key if type(key) is tuple else (key,)) + (Ellipsis,)]
            return out
        except IndexError as error:
            raise IndexError(f"index: {error} (indexing a tensor of shape {tuple(x.shape)})") \
                from None

    def backward(self, grad):
        x, key, advanced = self.parents
        out = np.zeros(x._data.shape, dtype=grad.dtype)
        if advanced:
            np.add.at(out, key, grad)
        else:
            out[key] = grad
        return out


_BASIC_KEYS = (int, slice)


def getitem(input, key):
    if type(key) in _BASIC_KEYS:  # x[i], x[a:b]: nothing to convert
        return apply_options(GetItem, input, key, False)
    key, advanced = _convert_key(key)
    return apply_options(GetItem, input, key, advanced)


class SetItem(Function):
    """``x[key] = value`` recorded for autograd: the written array is already in place;
    backward sends grad[key] to ``value`` and the rest to what ``x`` held before."""

    def forward(self, previous, value, key=None, written=None):
        self.key, self.value_shape = key, np.shape(value)
        return written

    def backward(self, grad):
        from deepgrad.ops._util import unbroadcast

        grad_previous = grad_value = None
        if self.needs_input_grad[0]:
            grad_previous = grad.copy()
            grad_previous[self.key] = 0
        if self.needs_input_grad[1]:
            grad_value = unbroadcast(np.asarray(grad[self.key]), self.value_shape)
        return grad_previous, grad_value


def setitem(input, key, value):
    """``x[key] = value``, as in torch also on tensors of the autograd graph.

    Writing into a plain tensor happens in place; if ``value`` requires grad, ``x`` joins the
    graph (``encoder_outputs[i] = h`` then ``loss.backward()`` reaches ``h``). Writing into a
    tensor that is already part of the graph (``y = x * 3; y[y < 0] = 0``) records a node like
    torch's CopySlices: backward sends grad[key] to ``value`` and the rest of the gradient to
    what ``x`` held before. It works copy-on-write: ``x`` gets a new array holding the write
    and the new node; the old array, which earlier nodes may have saved, stays intact, and
    ``x._rebased`` tells the engine which node produced each earlier version of ``x``, for
    the nodes that read it then. A leaf that requires grad is refused, as in torch.
    """
    from deepgrad.autograd.grad_mode import GradMode

    key, _ = _convert_key(key)
    in_graph = GradMode.enabled and input.grad_fn is not None
    tracked = in_graph or (GradMode.enabled and isinstance(value, Tensor)
                           and value.requires_grad)
    if tracked and input.grad_fn is None and input.requires_grad:
        input._bump_version()  # raises: a leaf that requires grad can't be written in place
    if not tracked:
        input._bump_version()  # raises for a leaf that requires grad, before any write
    data = value._data if isinstance(value, Tensor) else value
    target = input._data.copy() if in_graph else input._data
    try:
        target[key] = data
    except ValueError as error:
        raise RuntimeError(f"setitem: cannot assign a value of shape {np.shape(data)} to "
                           f"x[{key}] of a tensor of shape {tuple(input.shape)}: {error}") from None
    if not tracked:
        return
    previous = Tensor._from_op(input._data, input.grad_fn)
    if in_graph:
        input.__dict__.setdefault("_rebased", {})[input._version] = input.grad_fn
    input._version += 1
    if not isinstance(value, Tensor):
        value = Tensor._from_op(np.asarray(data, dtype=input.dtype), None)
    out = SetItem.apply(previous, value, key=key, written=target)
    input._data, input.grad_fn, input.requires_grad = target, out.grad_fn, True


def _check_index_tensor(index, op):
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {index.dtype}")


class Gather(Function):
    """out[i][j] = x[i][index[i][j]] (dim=1): backward scatters the gradient back, adding."""

    def forward(self, x, axis, index):
        self.shape, self.axis, self.index = x.shape, axis, index
        return np.take_along_axis(x, index, axis=axis)

    def backward(self, grad):
        out = np.zeros(self.shape, dtype=grad.dtype)
        _scatter_add_array(out, self.axis, self.index, grad)
        return out


def _full_index(index, axis):
    """Index tuple addressing out[..., index[...], ...] elementwise along ``axis``."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[axis] = index
    return tuple(grids)


def _scatter_add_array(out, axis, index, src):
    """out[..., index, ...] += src along ``axis`` (repeated indices accumulate)."""
    src = src[tuple(slice(0, s) for s in index.shape)]
    if out.dtype.kind != "f" or not out.flags.c_contiguous:
        np.add.at(out, _full_index(index, axis), src)
        return
    _bincount_add(out, _full_index(index, axis), src)


def _bincount_add(out, key, values):
    """``np.add.at(out, key, values)`` for a float C-contiguous ``out``, through ``bincount``
    on flat positions (several times faster; float64 sums come out the same)."""
    key = tuple(np.asarray(k) % n if np.ndim(k) else k for k, n in zip(key, out.shape))
    flat = np.ravel_multi_index(np.broadcast_arrays(*key), out.shape).reshape(-1)
    weights = np.broadcast_to(values, np.broadcast_shapes(*(np.shape(k) for k in key))).reshape(-1)
    summed = np.bincount(flat, weights=weights, minlength=out.size)
    out.reshape(-1)[...] += summed.astype(out.dtype, copy=False)


def gather(input, dim, index, *, sparse_grad=False):
    """Values of ``input`` at ``index`` along ``dim`` (``sparse_grad`` is accepted; the
    gradient is dense)."""
    axis = _wrap_dim(dim, input.ndim, "gather")
    _check_index_tensor(index, "gather")
    if index.ndim != input.ndim:
        raise RuntimeError(f"gather(): Index tensor must have the same number of dimensions as "
                           f"input tensor (index {tuple(index.shape)}, input {tuple(input.shape)})")
    limit = input.shape[axis]
    data = index._data
    if data.size and (data.min() < -limit or data.max() >= limit):
        raise RuntimeError(f"gather(): index {int(data.max())} is out of bounds for dimension "
                           f"{axis} with size {limit}")
    for d in range(input.ndim):
        if d != axis and index.shape[d] > input.shape[d]:
            raise RuntimeError(f"gather(): Size does not match at dimension {d}: index "
                               f"{tuple(index.shape)} vs input {tuple(input.shape)}")
    if index.shape != input.shape:
        key = tuple(slice(0, s) if d != axis else slice(None) for d, s in enumerate(index.shape))
        input = input[key]
    return Gather.apply(input, axis, data)


def take_along_dim(input, indices, dim=None):
    """Pick values of ``input`` at ``indices`` along ``dim``; without ``dim`` both are
    flattened first. Sizes other than ``dim`` broadcast between input and indices."""
    _check_index_tensor(indices, "take_along_dim")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if input.ndim != indices.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.ndim} dimensions for input, "
                           f"and {indices.ndim} dimensions for indices")
    axis = _wrap_dim(dim, input.ndim, "take_along_dim")
    try:
        outer = list(np.broadcast_shapes(
            input.shape[:axis] + (1,) + input.shape[axis + 1:],
            indices.shape[:axis] + (1,) + indices.shape[axis + 1:]))
    except ValueError:
        raise RuntimeError(f"take_along_dim(): input {tuple(input.shape)} and indices "
                           f"{tuple(indices.shape)} don't broadcast apart from dim "
                           f"{axis}") from None
    want_in = tuple(outer[:axis] + [input.shape[axis]] + outer[axis + 1:])
    want_idx = tuple(outer[:axis] + [indices.shape[axis]] + outer[axis + 1:])
    if input.shape != want_in:
        input = input.expand(*want_in)
    if indices.shape != want_idx:
        indices = Tensor._from_op(np.broadcast_to(indices._data, want_idx), None)
    return gather(input, axis, indices)


class ScatterAdd(Function):
    def forward(self, x, axis, index, src):
        self.axis, self.index = axis, index
        out = x.copy()
        _scatter_add_array(out, axis, index, src.astype(x.dtype, copy=False))
        self.src_shape = src.shape
        return out

    def backward(self, grad):
        grad_src = None
        if self.needs_input_grad[3]:
            grad_src = np.zeros(self.src_shape, dtype=grad.dtype)
            region = tuple(slice(0, s) for s in self.index.shape)
            grad_src[region] = np.take_along_axis(grad, self.index, axis=self.axis)
        return grad, None, None, grad_src


def scatter_add(input, dim, index, src):
    axis = _wrap_dim(dim, input.ndim, "scatter_add")
    _check_index_tensor(index, "scatter_add")
    return ScatterAdd.apply(input, axis, index._data, src)


class Scatter(Function):
    def forward(self, x, axis, index, src):
        self.axis, self.index = axis, index
        out = x.copy()
        values = src if np.ndim(src) == 0 else src[tuple(slice(0, s) for s in index.shape)]
        np.put_along_axis(out, index, values, axis=axis)
        self.src_shape = np.shape(src)
        return out

    def backward(self, grad):
        grad_x = grad.copy()
        np.put_along_axis(grad_x, self.index, 0, axis=self.axis)
        grad_src = None
        if len(self.needs_input_grad) > 3 and self.needs_input_grad[3]:
            grad_src = np.zeros(self.src_shape, dtype=grad.dtype)
            region = tuple(slice(0, s) for s in self.index.shape)
            grad_src[region] = np.take_along_axis(grad, self.index, axis=self.axis)
        return grad_x, None, None, grad_src


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """Write ``src`` (a tensor or a scalar ``value``) into a copy of ``input`` at ``index``
    along ``dim``; ``reduce="add"`` / ``"multiply"`` accumulates instead of overwriting."""
    axis = _wrap_dim(dim, input.ndim, "scatter")
    _check_index_tensor(index, "scatter")
    source = src if src is not None else value
    if reduce is not None:
        modes = {"add": "sum", "multiply": "prod"}
        if reduce not in modes:
            raise RuntimeError(f"scatter(): reduce argument must be either add or multiply, "
                               f"got {reduce!r}")
        from deepgrad.ops.shape_extra import scatter_reduce

        if not isinstance(source, Tensor):
            source = Tensor._from_op(np.full(index.shape, source, dtype=input.dtype), None)
        return scatter_reduce(input, dim, index, source, modes[reduce])
    return Scatter.apply(input, axis, index._data, source)


class IndexSelect(Function):
    def forward(self, x, axis, index):
        self.shape, self.axis, self.index = x.shape, axis, index
        return np.take(x, index, axis=axis)

    def backward(self, grad):
        out = np.zeros(self.shape, dtype=grad.dtype)
        moved = np.moveaxis(out, self.axis, 0)
        rows = np.moveaxis(grad, self.axis, 0)
        if grad.dtype.kind == "f" and self.axis == 0:
            # one bincount over (row, column) pairs instead of np.add.at's slow loop
            width = int(np.prod(rows.shape[1:], dtype=np.int64))
            flat = ((self.index % self.shape[0])[:, None] * width + np.arange(width)).reshape(-1)
            summed = np.bincount(flat, weights=rows.reshape(-1), minlength=out.size)
            return summed.astype(grad.dtype, copy=False).reshape(self.shape)
        np.add.at(moved, self.index, rows)
        return out


def index_select(input, dim, index):
    axis = _wrap_dim(dim, input.ndim, "index_select")
    _check_index_tensor(index, "index_select")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    data = index._data.reshape(-1)
    size = input.shape[axis]
    if data.size and (data.min() < -size or data.max() >= size):
        raise IndexError(f"index_select(): index out of range in self: index {int(data.max())} "
                         f"for dimension {axis} of size {size}")
    return IndexSelect.apply(input, axis, data)


class MaskedFill(Function):
    def forward(self, x, mask, value):
        self.mask, self.x_shape = mask, x.shape
        out = np.where(mask, np.asarray(value, dtype=x.dtype), x)
        return out

    def backward(self, grad):
        from deepgrad.ops._util import unbroadcast

        grad_x = unbroadcast(np.where(self.mask, 0, grad).astype(grad.dtype, copy=False),
                             self.x_shape)
        return grad_x, None, None


def masked_fill(input, mask, value):
    """Elements where ``mask`` is True become ``value``; their gradient is 0."""
    if mask.dtype != dtypes.bool_:
        raise RuntimeError(f"masked_fill: expected a bool mask, got {mask.dtype}")
    try:
        np.broadcast_shapes(mask.shape, input.shape)
    except ValueError:
        raise RuntimeError(f"masked_fill: mask of shape {tuple(mask.shape)} doesn't broadcast to "
                           f"the input's shape {tuple(input.shape)}") from None
    if isinstance(value, Tensor):
        value = value.item()
    return MaskedFill.apply(input, mask._data, value)


def masked_select(input, mask):
    return input[mask.expand(*np.broadcast_shapes(mask.shape, input.shape))] \
        if mask.shape != input.shape else input[mask]


def tril(input, diagonal=0):
    mask = np.tril(np.ones(input.shape[-2:], dtype=bool), diagonal)
    return masked_fill(input, Tensor._from_op(~mask, None), 0)


def triu(input, diagonal=0):
    mask = np.triu(np.ones(input.shape[-2:], dtype=bool), diagonal)
    return masked_fill(input, Tensor._from_op(~mask, None), 0)
