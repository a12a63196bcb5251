"""Shape ops: reshape, transpose, squeeze, expand, cat, stack, split, flip, roll, pad...

They move or copy elements without arithmetic, so each backward is the inverse movement
(reshape back, transpose back, slice the padded border off, sum the expanded copies).
"""

import numpy as np

from deepgrad.autograd.function import Function, apply_option
from deepgrad.backend import dtypes
from deepgrad.ops._util import sizes_arg, unbroadcast
from deepgrad.tensor import Tensor, _wrap_dim

_SWAP_2D = (1, 0)


class Reshape(Function):
    __slots__ = ()  # backward reads the input's shape from ``parents``

    def forward(self, x, shape):
        return x.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.parents[0]._data.shape)


def _infer_shape(shape, size, op):
    shape = list(shape)
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred, got shape {tuple(shape)}")
    known = int(np.prod([s for s in shape if s != -1]))
    if any(s < -1 for s in shape):
        raise RuntimeError(f"{op}: invalid shape dimension in {tuple(shape)}")
    if unknown:
        if known == 0 or size % known:
            raise RuntimeError(f"{op}: shape {tuple(shape)} is invalid for input of size {size}")
        shape[unknown[0]] = size // known
    elif known != size:
        raise RuntimeError(f"{op}: shape {tuple(shape)} is invalid for input of size {size}")
    return tuple(shape)


def _reshape(input, shape, op):
    if len(shape) == 1 and type(shape[0]) is not int:
        shape = shape[0]
    if shape == input._data.shape:
        return input
    try:
        # NumPy infers -1 and checks the size itself: the fast path; on failure
        # _infer_shape says what is wrong in PyTorch's words
        return apply_option(Reshape, input, shape)
    except (ValueError, TypeError):
        _infer_shape(sizes_arg((shape,)), input._data.size, op)
        raise


def _keyword_sizes(positional, keyword, op, name):
    """``f(2, 3)``, ``f((2, 3))`` or torch's keyword spelling ``f(name=(2, 3))``."""
    if keyword is None:
        return positional
    if positional:
        raise TypeError(f"{op}() got multiple values for argument '{name}'")
    return (keyword,)


def reshape(input, *shape, **kwargs):
    """The same elements in a new shape (one size may be -1, inferred)."""
    shape = _keyword_sizes(shape, _only_kw(kwargs, "shape", "reshape"), "reshape", "shape")
    return _reshape(input, shape, "reshape")


def _only_kw(kwargs, name, op):
    if kwargs.keys() - {name}:
        raise TypeError(f"{op}() got an unexpected keyword argument "
                        f"'{next(iter(kwargs.keys() - {name}))}'")
    return kwargs.get(name)


def view(input, *shape, **kwargs):
    """The same elements in a new shape (``view(2, 3)``, ``view((2, 3))``, ``view(size=...)``),
    or reinterpreted as another dtype of the same size (``view(dtype)``)."""
    if "dtype" in kwargs:
        return input.to(kwargs.pop("dtype"))
    shape = _keyword_sizes(shape, _only_kw(kwargs, "size", "view"), "view", "size")
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        return input.to(shape[0])  # view(dtype)
    return _reshape(input, shape, "view")


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one (a Flatten before a fully connected head)."""
    if input.ndim == 0:
        return reshape(input, 1)
    start = _wrap_dim(start_dim, input.ndim, "flatten")
    end = _wrap_dim(end_dim, input.ndim, "flatten")
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape[:start] + (-1,) + input.shape[end + 1:]
    if int(np.prod(input.shape[start:end + 1])) == 0:
        shape = input.shape[:start] + (0,) + input.shape[end + 1:]
    return reshape(input, shape)


def unflatten(input, dim, sizes):
    dim = _wrap_dim(dim, input.ndim, "unflatten")
    inner = _infer_shape(tuple(sizes), input.shape[dim], "unflatten")
    return reshape(input, input.shape[:dim] + inner + input.shape[dim + 1:])


class Permute(Function):
    __slots__ = ("axes",)

    def forward(self, x, axes):
        self.axes = axes
        return x.transpose(axes)

    def backward(self, grad):
        return grad.transpose(np.argsort(self.axes))


def permute(input, *dims, **kwargs):
    """Reorder the dims (``permute(1, 0)``, ``permute((1, 0))`` or ``permute(dims=(1, 0))``)."""
    dims = sizes_arg(_keyword_sizes(dims, _only_kw(kwargs, "dims", "permute"), "permute", "dims"))
    if len(dims) != input.ndim:
        raise RuntimeError(f"permute: number of dims {len(dims)} doesn't match the input's "
                           f"{input.ndim} dimensions (shape {tuple(input.shape)})")
    axes = tuple(_wrap_dim(d, input.ndim, "permute") for d in dims)
    if sorted(axes) != list(range(input.ndim)):
        raise RuntimeError(f"permute: repeated dim in {dims}")
    return Permute.apply(input, axes)


def transpose(input, dim0, dim1):
    ndim = input._data.ndim
    if ndim == 2 and (dim0 == 0 and dim1 in (1, -1) or dim1 == 0 and dim0 in (1, -1)):
        return apply_option(Permute, input, _SWAP_2D)
    if ndim == 0:
        return input
    axes = list(range(input.ndim))
    a, b = _wrap_dim(dim0, input.ndim, "transpose"), _wrap_dim(dim1, input.ndim, "transpose")
    axes[a], axes[b] = axes[b], axes[a]
    return Permute.apply(input, tuple(axes))


swapaxes = transpose


def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else input


def squeeze(input, dim=None):
    """Remove size-1 dims (all of them, or those in ``dim`` that have size 1)."""
    if dim is None:
        dims = [i for i, s in enumerate(input.shape) if s == 1]
    else:
        dims = [_wrap_dim(d, input.ndim, "squeeze")
                for d in (dim if isinstance(dim, (tuple, list)) else (dim,))]
        dims = [d for d in dims if input.ndim and input.shape[d] == 1]
    shape = tuple(s for i, s in enumerate(input.shape) if i not in dims)
    return reshape(input, shape) if shape != input.shape else input


def unsqueeze(input, dim):
    dim = _wrap_dim(dim, input.ndim + 1, "unsqueeze")
    return Reshape.apply(input, input.shape[:dim] + (1,) + input.shape[dim:])


class Expand(Function):
    __slots__ = ("in_shape",)

    def forward(self, x, shape):
        self.in_shape = x.shape
        return np.broadcast_to(x, shape)

    def backward(self, grad):
        return unbroadcast(grad, self.in_shape)


def expand(input, *sizes):
    """A broadcast view to ``sizes`` (-1 keeps a dim); size-1 dims are repeated."""
    sizes = sizes_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({input.ndim})")
    lead = len(sizes) - input.ndim
    shape = tuple(input.shape[i - lead] if s == -1 and i >= lead else s
                  for i, s in enumerate(sizes))
    for i, s in enumerate(input.shape):
        if s != 1 and s != shape[lead + i]:
            raise RuntimeError(
                f"expand: the expanded size of the tensor ({shape[lead + i]}) must match the "
                f"existing size ({s}) at non-singleton dimension {lead + i}. Target sizes: "
                f"{list(sizes)}. Tensor sizes: {list(input.shape)}")
    return Expand.apply(input, shape)


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, shape):
    return expand(input, shape)


class Tile(Function):
    def forward(self, x, reps):
        self.in_shape, self.reps = x.shape, reps
        return np.tile(x, reps)

    def backward(self, grad):
        lead = len(self.reps) - len(self.in_shape)
        shape = (1,) * lead + self.in_shape
        split = []
        for r, s in zip(self.reps, shape):
            split += [r, s]
        return grad.reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(self.in_shape)


def repeat(input, *sizes):
    """Tile the tensor ``sizes`` times along each dim (PyTorch's ``Tensor.repeat``)."""
    sizes = sizes_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError("repeat: number of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    return Tile.apply(input, sizes)


def tile(input, dims):
    dims = tuple(dims)
    if len(dims) < input.ndim:
        dims = (1,) * (input.ndim - len(dims)) + dims
    return Tile.apply(input, dims)


class RepeatInterleave(Function):
    def forward(self, x, repeats, axis):
        self.repeats, self.axis, self.in_shape = repeats, axis, x.shape
        return np.repeat(x, repeats, axis=axis)

    def backward(self, grad):
        axis = self.axis
        if axis is None:
            return grad.reshape(-1, self.repeats).sum(axis=1).reshape(self.in_shape)
        before, after = self.in_shape[:axis], self.in_shape[axis + 1:]
        shape = before + (self.in_shape[axis], self.repeats) + after
        return grad.reshape(shape).sum(axis=axis + 1)


def repeat_interleave(input, repeats, dim=None):
    axis = None if dim is None else _wrap_dim(dim, input.ndim, "repeat_interleave")
    return RepeatInterleave.apply(input, int(repeats), axis)


class Concatenate(Function):
    def forward(self, *arrays, axis):
        self.axis = axis
        self.sizes = [a.shape[axis] for a in arrays]
        return np.concatenate(arrays, axis=axis)

    def backward(self, grad):
        bounds = np.cumsum(self.sizes)[:-1]
        return tuple(np.split(grad, bounds, axis=self.axis))


def cat(tensors, dim=0):
    """Join tensors along an existing dim; all other sizes must match."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat: expected a non-empty list of Tensors")
    # torch's promotion over every input, legacy empty 1-d ones included (int64 with float32
    # gives float32, not NumPy's float64)
    dtype = dtypes._promote([t._data.dtype for t in tensors])
    tensors = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    ref = tensors[0]
    axis = _wrap_dim(dim, ref.ndim, "cat")
    for i, t in enumerate(tensors):
        if t.ndim != ref.ndim or any(a != b for d, (a, b) in enumerate(zip(t.shape, ref.shape))
                                     if d != axis):
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {axis}: tensor 0 has "
                f"shape {tuple(ref.shape)} but tensor {i} has shape {tuple(t.shape)}")
    if len(tensors) == 1:
        # a new tensor, as torch: writing to it leaves the input alone
        return clone(tensors[0]) if tensors[0].dtype == dtype else tensors[0].to(dtype)
    tensors = [t if t.dtype == dtype else t.to(dtype) for t in tensors]
    return Concatenate.apply(*tensors, axis=axis)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{tuple(tensors[0].shape)} at entry 0 and {tuple(t.shape)} at "
                               f"entry {i}")
    axis = _wrap_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([unsqueeze(t, axis) for t in tensors], axis)


def _narrow_all(input, axis, bounds):
    index = [slice(None)] * input.ndim
    pieces = []
    for start, stop in bounds:
        index[axis] = slice(start, stop)
        pieces.append(input[tuple(index)])
    return tuple(pieces)


def split(input, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of listed sizes."""
    axis = _wrap_dim(dim, input.ndim, "split")
    length = input.shape[axis]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise RuntimeError(f"split: split_size must be positive, got {size}")
        starts = list(range(0, length, size)) or [0]
        bounds = [(s, min(s + size, length)) for s in starts]
    else:
        sections = list(split_size_or_sections)
        if sum(sections) != length:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {length} "
                               f"(input tensor's size at dimension {axis}), but got "
                               f"split_sizes={sections}")
        ends = np.cumsum(sections)
        bounds = [(int(e - s), int(e)) for s, e in zip(sections, ends)]
    return _narrow_all(input, axis, bounds)


def chunk(input, chunks, dim=0):
    axis = _wrap_dim(dim, input.ndim, "chunk")
    size = -(-input.shape[axis] // chunks)
    return split(input, max(size, 1), axis)


def unbind(input, dim=0):
    axis = _wrap_dim(dim, input.ndim, "unbind")
    return tuple(select(input, axis, i) for i in range(input.shape[axis]))


def select(input, dim, index):
    axis = _wrap_dim(dim, input.ndim, "select")
    key = [slice(None)] * input.ndim
    key[axis] = index
    return input[tuple(key)]


def narrow(input, dim, start, length):
    """``length`` elements of ``dim`` from ``start`` (a negative start counts from the end)."""
    axis = _wrap_dim(dim, input.ndim, "narrow")
    size = input.shape[axis]
    start, length = int(start), int(length)
    if not -size <= start <= size:
        raise IndexError(f"narrow(): start ({start}) is out of bounds for dimension {axis} of "
                         f"size {size} (shape {tuple(input.shape)})")
    start %= max(size, 1) if start < 0 else size + 1
    if length < 0 or start + length > size:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension "
                           f"size ({size}) (shape {tuple(input.shape)})")
    key = [slice(None)] * input.ndim
    key[axis] = slice(start, start + length)
    return input[tuple(key)]


class Flip(Function):
    def forward(self, x, axes):
        self.axes = axes
        return np.flip(x, axes)

    def backward(self, grad):
        return np.flip(grad, self.axes)


def flip(input, *dims, **kwargs):
    """Reverse the order of elements along ``dims`` (``flip(0)``, ``flip((0, 1))``,
    ``flip(dims=...)``)."""
    dims = _keyword_sizes(dims, _only_kw(kwargs, "dims", "flip"), "flip", "dims")
    if len(dims) == 1 and isinstance(dims[0], (int, np.integer)):
        dims = (int(dims[0]),)
    dims = sizes_arg(dims)
    return Flip.apply(input, tuple(_wrap_dim(d, input.ndim, "flip") for d in dims))


class Roll(Function):
    def forward(self, x, shifts, axes):
        self.shifts, self.axes = shifts, axes
        return np.roll(x, shifts, axes)

    def backward(self, grad):
        shifts = self.shifts
        negative = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
        return np.roll(grad, negative, self.axes)


def roll(input, shifts, dims=None):
    if dims is None:
        return Roll.apply(input.reshape(-1), shifts, None).reshape(input.shape)
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    return Roll.apply(input, shifts, tuple(_wrap_dim(d, input.ndim, "roll") for d in dims))


class Pad(Function):
    """Constant padding's backward slices the border off; reflect/replicate/circular
    padding copies input elements, so backward sums the copies back (a scatter-add)."""

    _NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}

    def forward(self, x, widths, mode, value):
        self.in_shape, self.widths, self.mode = x.shape, widths, mode
        if mode == "constant":
            return np.pad(x, widths, mode="constant", constant_values=value)
        self.source = np.pad(np.arange(x.size).reshape(x.shape), widths,
                             mode=self._NUMPY_MODE[mode])
        return x.reshape(-1)[self.source]

    def backward(self, grad):
        if self.mode == "constant":
            key = tuple(slice(lo, grad.shape[i] - hi) for i, (lo, hi) in enumerate(self.widths))
            return grad[key]
        total = int(np.prod(self.in_shape))
        summed = np.bincount(self.source.reshape(-1), weights=grad.reshape(-1), minlength=total)
        return summed.astype(grad.dtype, copy=False).reshape(self.in_shape)


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad)/2 dims; ``pad`` lists (left, right) pairs from the last dim back,
    as ``torch.nn.functional.pad``. Modes: constant, reflect, replicate, circular."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise RuntimeError(f"pad: padding length {len(pad)} must be even and at most twice the "
                           f"input's {input.ndim} dimensions")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: unsupported mode {mode!r}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        key = tuple(slice(max(-lo, 0), s - max(-hi, 0)) for (lo, hi), s in zip(widths, input.shape))
        input = input[key]
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    if mode == "reflect":
        for (lo, hi), size in zip(widths, input.shape):
            if lo >= size or hi >= size:
                raise RuntimeError(f"pad: padding ({lo}, {hi}) should be smaller than the input "
                                   f"dimension {size} for reflect mode (shape "
                                   f"{tuple(input.shape)})")
    return Pad.apply(input, tuple(widths), mode, 0 if value is None else value)


def contiguous(input, memory_format=None):
    """``input`` itself when its elements are already laid out in ``memory_format`` (row-major
    by default), else a differentiable copy that is."""
    from deepgrad.ops import shape_extra

    fmt = None if memory_format is shape_extra.contiguous_format else memory_format
    if shape_extra.is_contiguous(input, fmt):
        return input
    return Clone.apply(input, _layout_order(memory_format or shape_extra.contiguous_format,
                                            input.ndim))


def _layout_order(memory_format, ndim):
    """The dim order (outermost first) a memory format lays elements out in; None keeps the
    input's own layout (``preserve_format``)."""
    from deepgrad.ops import shape_extra

    if memory_format is shape_extra.preserve_format:
        return None
    if memory_format is shape_extra.channels_last and ndim == 4:
        return (0, 2, 3, 1)
    if memory_format is shape_extra.channels_last_3d and ndim == 5:
        return (0, 2, 3, 4, 1)
    if memory_format in (shape_extra.channels_last, shape_extra.channels_last_3d):
        raise RuntimeError(f"required rank {4 if memory_format is shape_extra.channels_last else 5}"
                           f" tensor to use {memory_format}, got a {ndim}-d tensor")
    return tuple(range(ndim))


class Clone(Function):
    def forward(self, x, order=None):
        if order is None:
            return x.copy()  # order="K": the copy keeps x's layout
        inverse = tuple(np.argsort(order))
        return np.ascontiguousarray(x.transpose(order)).transpose(inverse)

    def backward(self, grad):
        return grad


def clone(input, memory_format=None):
    """A differentiable copy; ``memory_format`` picks its layout (default: the input's)."""
    if memory_format is None:
        return Clone.apply(input)
    return Clone.apply(input, _layout_order(memory_format, input.ndim))


class Cast(Function):
    def forward(self, x, dtype):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.in_dtype) if self.in_dtype.kind == "f" else None


def to_dtype(input, dtype):
    if input.dtype == dtype:
        return input
    if dtype.kind != "f" and input.requires_grad:
        return Tensor._from_op(input._data.astype(dtype), None)
    return Cast.apply(input, dtype)
