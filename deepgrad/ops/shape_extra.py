"""More shape and indexing ops under PyTorch's names, and what a tensor says about itself.

Most are compositions of the ops in ``shape.py`` and ``index.py`` (``movedim`` is a permute,
``rot90`` a flip and a transpose, ``hstack`` a cat of ``atleast_1d`` views, ``index_fill`` a
``where``), so their gradients come from those ops. Four write into a copy of the input and
have their own backward here:

* ``index_add`` / ``index_copy``: out = x; out[..., index[k], ...] (+)= source[..., k, ...].
  d/dx is the gradient itself (for copy, zero where x was overwritten); d/dsource gathers the
  gradient back along ``dim`` (``index_select``). Repeated indices add up in ``index_add``.
* ``index_put`` (and ``masked_scatter``, ``select_scatter``, ``slice_scatter`` built on it):
  out = x; out[indices] (+)= values; d/dvalues = grad[indices], summed to values' shape.
* ``scatter_reduce`` (and ``index_reduce``): out[index[i]] = reduce(x[index[i]], src[i]...)
  for sum, prod, mean, amax, amin. Backward: sum passes the gradient, mean divides it by the
  count, prod multiplies it by the product of the other factors (zeros handled exactly),
  amax/amin split it evenly between the elements equal to the result.
* ``Tensor.unfold``: windows of ``size`` every ``step`` along a dim; backward adds each
  window's gradient back where it was read.
"""

import itertools

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import no_grad
from deepgrad.backend import dtypes
from deepgrad.ops import creation, elementwise, inplace, reduce, shape
from deepgrad.ops import index as indexing
from deepgrad.ops._util import broadcast_shape, sizes_arg, unbroadcast
from deepgrad.tensor import Tensor, _check_device, _wrap_dim, device

newaxis = None


from deepgrad.tensor import Size  # noqa: E402  (re-exported: deepgrad.Size)


def _constant(array):
    return Tensor._from_op(np.asarray(array), None)


# ----- moving and reversing dims -------------------------------------------------------------


def _dims_tuple(dims):
    return (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)


def movedim(input, source, destination):
    """Move dims ``source`` to positions ``destination``; the others keep their order."""
    src, dst = _dims_tuple(source), _dims_tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    ndim = input.ndim
    src = [_wrap_dim(d, ndim, "movedim") for d in src]
    dst = [_wrap_dim(d, ndim, "movedim") for d in dst]
    for name, dims in (("source", src), ("destination", dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(dims)})")
    if ndim == 0:
        return input
    order = [0] * ndim
    placed = [False] * ndim
    for s, d in zip(src, dst):
        order[d], placed[d] = s, True
    rest = iter(d for d in range(ndim) if d not in src)
    order = [order[i] if placed[i] else next(rest) for i in range(ndim)]
    return shape.permute(input, order)


moveaxis = movedim
swapdims = shape.transpose


def ravel(input):
    return shape.reshape(input, -1)


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times, from the first dim in ``dims`` towards the second."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {input.ndim} "
                           f"(shape {tuple(input.shape)})")
    d0, d1 = (_wrap_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = {d0} "
                           f"and dim1 = {d1}")
    k %= 4
    if k == 1:
        return shape.transpose(shape.flip(input, d1), d0, d1)
    if k == 2:
        return shape.flip(input, d0, d1)
    if k == 3:
        return shape.transpose(shape.flip(input, d0), d0, d1)
    return shape.clone(input)


def fliplr(input):
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d, got shape {tuple(input.shape)}")
    return shape.flip(input, 1)


def flipud(input):
    if input.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d, got a 0-d tensor")
    return shape.flip(input, 0)


# ----- at least n-d, and stacking -----------------------------------------------------------


def _atleast(one, name):
    def op(*tensors):
        if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
            return tuple(one(t) for t in tensors[0])
        if len(tensors) == 1:
            return one(tensors[0])
        return tuple(one(t) for t in tensors)

    op.__name__ = name
    op.__doc__ = f"``{name}(x)``: x viewed with at least {name[-2]} dims; several tensors or a " \
                 f"list give a tuple."
    return op


def _at_least_1d(t):
    return shape.reshape(t, 1) if t.ndim == 0 else t


def _at_least_2d(t):
    return shape.reshape(t, 1, -1) if t.ndim < 2 else t


def _at_least_3d(t):
    if t.ndim == 0:
        return shape.reshape(t, 1, 1, 1)
    if t.ndim == 1:
        return shape.reshape(t, 1, -1, 1)
    return shape.unsqueeze(t, -1) if t.ndim == 2 else t


atleast_1d = _atleast(_at_least_1d, "atleast_1d")
atleast_2d = _atleast(_at_least_2d, "atleast_2d")
atleast_3d = _atleast(_at_least_3d, "atleast_3d")


def _tensor_list(tensors, op):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return tensors


def hstack(tensors):
    """Concatenate column-wise: along dim 0 for 1-d tensors, dim 1 otherwise."""
    tensors = [_at_least_1d(t) for t in _tensor_list(tensors, "hstack")]
    return shape.cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Concatenate row-wise (dim 0) after making every tensor at least 2-d."""
    return shape.cat([_at_least_2d(t) for t in _tensor_list(tensors, "vstack")], 0)


row_stack = vstack


def dstack(tensors):
    """Concatenate depth-wise (dim 2) after making every tensor at least 3-d."""
    return shape.cat([_at_least_3d(t) for t in _tensor_list(tensors, "dstack")], 2)


def column_stack(tensors):
    """Columns side by side: 0-d and 1-d tensors become (n, 1) columns, then cat along dim 1."""
    tensors = _tensor_list(tensors, "column_stack")
    return shape.cat([shape.reshape(t, -1, 1) if t.ndim <= 1 else t for t in tensors], 1)


# ----- splitting ------------------------------------------------------------------------------


def tensor_split(input, indices_or_sections, dim=0):
    """``n`` nearly equal pieces (the first ``size % n`` one longer), or pieces cut before each
    listed index (Python slice rules: negative indices count from the end)."""
    axis = _wrap_dim(dim, input.ndim, "tensor_split")
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec.dtype.kind not in "iu":
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype "
                               f"of long, but got {spec.dtype}")
        if spec.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {spec.ndim} dims")
        spec = int(spec.item()) if spec.ndim == 0 else spec._data.tolist()
    length = input.shape[axis]
    if isinstance(spec, (int, np.integer)):
        sections = int(spec)
        if sections <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got "
                               f"{sections}")
        base, extra = divmod(length, sections)
        ends = np.cumsum([base + 1] * extra + [base] * (sections - extra)).tolist()
        bounds = list(zip([0] + ends[:-1], ends))
    else:
        cuts = [int(i) for i in spec]
        bounds = list(zip([0] + cuts, cuts + [None]))
    return shape._narrow_all(input, axis, bounds)


def _split_along(input, sections, axis, op):
    if isinstance(sections, (int, np.integer)) and input.shape[axis] % sections:
        raise RuntimeError(f"torch.{op} attempted to split along dimension {axis}, but the size "
                           f"of the dimension {input.shape[axis]} is not divisible by the "
                           f"split_size {sections}!")
    return tensor_split(input, sections, axis)


def _needs_dims(input, ndim, op):
    if input.ndim < ndim:
        raise RuntimeError(f"torch.{op} requires a tensor with at least {ndim} dimension"
                           f"{'s' if ndim > 1 else ''}, but got a tensor with {input.ndim} "
                           f"dimensions!")


def hsplit(input, indices_or_sections):
    _needs_dims(input, 1, "hsplit")
    return _split_along(input, indices_or_sections, 0 if input.ndim == 1 else 1, "hsplit")


def vsplit(input, indices_or_sections):
    _needs_dims(input, 2, "vsplit")
    return _split_along(input, indices_or_sections, 0, "vsplit")


def dsplit(input, indices_or_sections):
    _needs_dims(input, 3, "dsplit")
    return _split_along(input, indices_or_sections, 2, "dsplit")


def split_with_sizes(input, split_sizes, dim=0):
    return shape.split(input, list(split_sizes), dim)


unsafe_split = shape.split
unsafe_chunk = shape.chunk
unsafe_split_with_sizes = split_with_sizes


class Unfold(Function):
    """Windows of ``size`` every ``step`` along ``axis``, as a new last dim."""

    def forward(self, x, axis, size, step):
        self.shape, self.axis, self.size, self.step = x.shape, axis, size, step
        windows = np.lib.stride_tricks.sliding_window_view(x, size, axis=axis)
        key = [slice(None)] * x.ndim
        key[axis] = slice(None, None, step)
        return windows[tuple(key)]  # a read-only view, as torch's unfold is a view

    def backward(self, grad):
        out = np.zeros(self.shape, dtype=grad.dtype)
        axis, size, step = self.axis, self.size, self.step
        count = grad.shape[axis]
        if step >= size:  # windows don't overlap: write them all through one strided view
            strides = out.strides[:axis] + (out.strides[axis] * step,) + out.strides[axis + 1:]
            windows = np.lib.stride_tricks.as_strided(
                out, grad.shape, strides + (out.strides[axis],), writeable=True)
            windows[...] = grad
            return out
        by_element = np.ascontiguousarray(np.moveaxis(grad, -1, 0))
        key = [slice(None)] * len(self.shape)
        for i in range(size):  # window element i of every window, in one strided slice
            key[axis] = slice(i, i + step * (count - 1) + 1, step)
            out[tuple(key)] += by_element[i]
        return out


def unfold(input, dimension, size, step):
    """``Tensor.unfold``: every window of ``size`` elements, ``step`` apart, along
    ``dimension``; the dim becomes the window count, (L - size) // step + 1, and the window
    is a new last dim."""
    axis = _wrap_dim(dimension, input.ndim, "unfold")
    length = input.shape[axis] if input.ndim else 1
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    if size < 0 or size > length:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {axis} is {length} but "
                           f"size is {size} (shape {tuple(input.shape)})")
    if input.ndim == 0:  # a 0-d tensor is one window of one element (or none)
        return shape.reshape(input, 1)[:size]
    return Unfold.apply(input, axis, int(size), int(step))


# ----- reading by flat index ----------------------------------------------------------------


def _index_array(index, op):
    if not isinstance(index, Tensor):
        index = Tensor(index)
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {index.dtype}")
    return index._data


def _check_range(data, size, op, axis=None, allow_negative=True):
    low = -size if allow_negative else 0
    if data.size and (data.min() < low or data.max() >= size):
        bad = int(data.min()) if data.min() < low else int(data.max())
        where = f"for dimension {axis} with size {size}" if axis is not None else \
            f"for a tensor of {size} elements"
        raise IndexError(f"{op}(): index {bad} is out of bounds {where}")


def take(input, index):
    """Elements at flat (row-major) positions ``index``; the result has ``index``'s shape."""
    data = _index_array(index, "take")
    _check_range(data, input.numel(), "take")
    return _getitem(ravel(input), data)


def _getitem(input, key):
    return indexing.getitem(input, _constant(key))


# ----- writing along a dim: index_add, index_copy, index_fill, index_reduce ------------------


def _index_vector(index, input, axis, op):
    data = _index_array(index, op)
    if data.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, got shape {data.shape}")
    data = data.reshape(-1)
    size = input.shape[axis] if input.ndim else 1
    _check_range(data, size, op, axis, allow_negative=op == "index_fill")
    return data % max(size, 1) if data.size else data.astype(np.int64)


def _check_source(input, axis, count, source, op):
    in_shape, src_shape = tuple(input.shape), tuple(source.shape)
    if len(src_shape) != len(in_shape) and not (len(in_shape) <= 1 and len(src_shape) <= 1):
        raise RuntimeError(f"{op}(): source of shape {src_shape} must have as many dims as the "
                           f"input of shape {in_shape}")
    src_len = src_shape[axis] if src_shape else 1
    if src_len != count:
        raise RuntimeError(f"{op}(): Number of indices ({count}) should be equal to "
                           f"source.size(dim) ({src_len}), for dim={axis} (input {in_shape}, "
                           f"source {src_shape})")
    if any(a != b for d, (a, b) in enumerate(zip(in_shape, src_shape)) if d != axis):
        raise RuntimeError(f"{op}(): source tensor shape must match self tensor shape, "
                           f"excluding the specified dimension {axis}. Got self.shape = "
                           f"{list(in_shape)} source.shape = {list(src_shape)}")
    if source.dtype != input.dtype:
        raise RuntimeError(f"{op}(): self ({input.dtype}) and source ({source.dtype}) must "
                           f"have the same scalar type")


class IndexAdd(Function):
    """out = x; out[..., index[k], ...] += alpha * source[..., k, ...] (or = for copy)."""

    def forward(self, x, source, axis, index, alpha, copy):
        self.axis, self.index, self.alpha, self.copy = axis, index, alpha, copy
        out = x.copy()
        if copy:
            np.moveaxis(out, axis, 0)[index] = np.moveaxis(source, axis, 0)
            return out
        if alpha != 1:
            source = source * np.asarray(alpha, x.dtype)
        # out[i, ..., index[k], ...] for the dims up to axis; the dims after it are whole rows
        grids = list(np.indices(source.shape[:axis + 1], sparse=True))
        grids[axis] = index.reshape((1,) * axis + (index.size,))
        np.add.at(out.reshape(-1), _flat_positions(out.shape, grids), source.reshape(-1))
        return out

    def backward(self, grad):
        grad_x = grad
        if self.copy:
            grad_x = grad.copy()
            np.moveaxis(grad_x, self.axis, 0)[self.index] = 0
        grad_src = None
        if self.needs_input_grad[1]:
            grad_src = np.take(grad, self.index, axis=self.axis)
            if self.alpha != 1:
                grad_src = grad_src * np.asarray(self.alpha, grad.dtype)
        return grad_x, grad_src, None, None, None, None


def _index_write(input, dim, index, source, alpha, copy, op):
    axis = _wrap_dim(dim, input.ndim, op)
    indices = _index_vector(index, input, axis, op)
    _check_source(input, axis, indices.size, source, op)
    if input.ndim == 0:
        out = IndexAdd.apply(shape.reshape(input, 1), shape.reshape(source, 1), 0, indices,
                             alpha, copy)
        return shape.reshape(out, ())
    if source.ndim == 0:
        source = shape.reshape(source, 1)
    return IndexAdd.apply(input, source, axis, indices, alpha, copy)


def index_add(input, dim, index, source, alpha=1):
    """out = input, then out[index[k]] += alpha * source[k] along ``dim`` (repeats add up)."""
    return _index_write(input, dim, index, source, alpha, False, "index_add")


def index_copy(input, dim, index, source):
    """out = input, then out[index[k]] = source[k] along ``dim``."""
    return _index_write(input, dim, index, source, 1, True, "index_copy")


def _dim_mask(input, axis, indices):
    """A bool mask, True at ``indices`` along ``axis``, broadcastable to the input."""
    mask_shape = [1] * input.ndim
    size = input.shape[axis] if input.ndim else 1
    if input.ndim:
        mask_shape[axis] = size
    mask = np.zeros(size, dtype=bool)
    mask[indices] = True
    return _constant(mask.reshape(mask_shape))


def index_fill(input, dim, index, value):
    """``input`` with every slice at ``index`` along ``dim`` set to ``value`` (a number or a
    0-d tensor, which then gets the sum of those slices' gradient)."""
    axis = _wrap_dim(dim, input.ndim, "index_fill")
    mask = _dim_mask(input, axis, _index_vector(index, input, axis, "index_fill"))
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        if value.requires_grad:
            return elementwise.where(mask, shape.to_dtype(value, input.dtype), input)
        value = value.item()
    return indexing.masked_fill(input, mask, value)


# ----- scatter_reduce and index_reduce ------------------------------------------------------

_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


class ScatterReduce(Function):
    """out[index[i][j]][j] = reduce over x (if include_self) and every src[i][j] sent there
    (dim 0; other dims alike). Positions nothing is sent to keep x. Works on the flat
    (row-major) arrays: ``pos[k]`` is where src's k-th element goes."""

    def forward(self, x, src, axis, idx, reduce, include_self):
        self.shape, self.idx_shape, self.src_full_shape = x.shape, idx.shape, src.shape
        self.reduce, self.include_self = reduce, include_self
        pos = _flat_positions(x.shape, indexing._full_index(idx, axis))
        values = src[tuple(slice(0, s) for s in idx.shape)].reshape(-1)
        out = x.reshape(-1).copy()
        hit = np.zeros(out.size, dtype=bool)
        hit[pos] = True
        if reduce in ("sum", "mean"):
            if not include_self:
                out[hit] = 0
            np.add.at(out, pos, values)
            if reduce == "mean":
                count = np.bincount(pos, minlength=out.size)
                total = np.where(hit, count + include_self, 1)
                out = out // total if x.dtype.kind in "iu" else out / total.astype(x.dtype)
                self.total = total
        elif reduce == "prod":
            if not include_self:
                out[hit] = 1
            np.multiply.at(out, pos, values)
        else:
            ufunc = np.maximum if reduce == "amax" else np.minimum
            if not include_self:
                out[hit] = _lowest(x.dtype) if reduce == "amax" else _highest(x.dtype)
            ufunc.at(out, pos, values)
        self.pos, self.hit = pos, hit
        if reduce in ("prod", "amax", "amin"):
            self.x, self.values, self.out = x.reshape(-1), values, out
        return out.reshape(x.shape)

    def backward(self, grad):
        pos, hit, reduce = self.pos, self.hit, self.reduce
        keep_self = self.include_self
        grad = grad.reshape(-1)
        if reduce == "sum":
            grad_x = grad if keep_self else np.where(hit, 0, grad)
            grad_src = grad[pos]
        elif reduce == "mean":
            scaled = grad / self.total
            grad_x = np.where(hit, scaled if keep_self else 0, grad)
            grad_src = scaled[pos]
        elif reduce == "prod":
            grad_x, grad_src = self._prod_grads(grad)
        else:  # amax/amin: split evenly between the elements equal to the result
            x, values, out = self.x, self.values, self.out
            self_ties = hit & (x == out) if keep_self else np.zeros_like(hit)
            src_ties = values == out[pos]
            ties = self_ties + np.bincount(pos[src_ties], minlength=out.size)
            share = grad / np.maximum(ties, 1)
            grad_x = np.where(hit, np.where(self_ties, share, 0), grad)
            grad_src = np.where(src_ties, share[pos], 0)
        full_src = None
        if self.needs_input_grad[1]:
            full_src = np.zeros(self.src_full_shape, dtype=grad.dtype)
            full_src[tuple(slice(0, s) for s in self.idx_shape)] = grad_src.reshape(
                self.idx_shape)
        grad_x = grad_x.astype(grad.dtype, copy=False).reshape(self.shape)
        return grad_x, full_src, None, None, None, None

    def _prod_grads(self, grad):
        """d(prod)/d(factor) = product of the other factors: out / factor when the factor is
        nonzero, else the product of the nonzero others if it is the only zero, else 0."""
        x, values, out, pos, hit = self.x, self.values, self.out, self.pos, self.hit
        zeros = np.bincount(pos[values == 0], minlength=out.size)
        nonzero_prod = np.ones(out.size, dtype=x.dtype)
        np.multiply.at(nonzero_prod, pos, np.where(values == 0, 1, values))
        if self.include_self:
            zeros += (x == 0) & hit
            nonzero_prod *= np.where((x == 0) & hit, 1, x)

        def factor_grad(factor, g, total, zero_count, others):
            safe = np.where(factor == 0, 1, factor)
            alone = np.where(zero_count == 1, others, 0)
            return g * np.where(factor == 0, alone, total / safe)

        if self.include_self:
            grad_x = np.where(hit, factor_grad(x, grad, out, zeros, nonzero_prod), grad)
        else:
            grad_x = np.where(hit, 0, grad)
        grad_src = factor_grad(values, grad[pos], out[pos], zeros[pos], nonzero_prod[pos])
        return grad_x, grad_src


def _flat_positions(shape_, key):
    """Row-major positions of the elements that ``key`` (one integer array per leading dim,
    broadcast together; indices already checked to be in range, negative ones allowed)
    addresses, trailing dims included, as a 1-D array. ``ufunc.at`` with 1-D positions takes
    NumPy's fast path, about 10x faster than with a tuple of index arrays."""
    lead = len(key)
    inner = int(np.prod(shape_[lead:], dtype=np.int64))
    count = np.broadcast_shapes(*[np.shape(k) for k in key])
    if 0 in count or inner == 0:
        return np.zeros(0, dtype=np.intp)
    base = 0
    step = 1
    for k, n in zip(reversed(key), reversed(shape_[:lead])):  # sum of index * stride
        k = np.asarray(k, dtype=np.intp)
        if k.size and k.min() < 0:
            k = np.where(k < 0, k + n, k)
        base = base + k * step if step != 1 else base + k
        step *= n
    base = np.broadcast_to(base, count).reshape(-1)
    if inner == 1:
        return base
    return (base[:, None] * inner + np.arange(inner)).reshape(-1)


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    return np.inf if dtype.kind == "f" else np.iinfo(dtype).max


def _scatter_reduce(input, axis, idx, src, reduce, include_self, op):
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"{op}(): reduce argument must be one of {_REDUCTIONS}, got "
                           f"{reduce!r}")
    if src.dtype != input.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype (got "
                           f"{input.dtype} and {src.dtype})")
    if input.ndim == 0:
        out = _scatter_reduce(shape.reshape(input, 1), 0, idx.reshape(1), shape.reshape(src, 1),
                              reduce, include_self, op)
        return shape.reshape(out, ())
    return ScatterReduce.apply(input, src, axis, idx, reduce, bool(include_self))


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce ``src`` into ``input`` at ``index`` along ``dim`` (scatter_add generalised):
    ``reduce`` is "sum", "prod", "mean", "amax" or "amin"; with ``include_self=False`` the
    input's own values at the scattered positions are left out of the reduction."""
    axis = _wrap_dim(dim, input.ndim, "scatter_reduce")
    idx = _index_array(index, "scatter_reduce")
    if not (idx.ndim == input.ndim == src.ndim):
        raise RuntimeError(f"scatter_reduce(): Index tensor must have the same number of "
                           f"dimensions as self and src (index {idx.shape}, self "
                           f"{tuple(input.shape)}, src {tuple(src.shape)})")
    for d in range(idx.ndim):
        if idx.shape[d] > src.shape[d] or (d != axis and idx.shape[d] > input.shape[d]):
            raise RuntimeError(f"scatter_reduce(): Expected index {idx.shape} to be smaller than "
                               f"self {tuple(input.shape)} apart from dimension {axis} and to be "
                               f"smaller size than src {tuple(src.shape)}")
    if input.ndim:
        _check_range(idx, input.shape[axis], "scatter_reduce", axis, allow_negative=False)
    return _scatter_reduce(input, axis, idx, src, reduce, include_self, "scatter_reduce")


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """out[index[k]] = reduce(input[index[k]], source[k], ...) along ``dim`` for "prod",
    "mean", "amax", "amin" (scatter_reduce with the index spread over the other dims)."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): reduce argument must be either prod, mean, amax or "
                           f"amin, got {reduce!r}")
    axis = _wrap_dim(dim, input.ndim, "index_reduce")
    indices = _index_vector(index, input, axis, "index_reduce")
    _check_source(input, axis, indices.size, source, "index_reduce")
    if input.ndim == 0:
        return _scatter_reduce(input, 0, indices, source, reduce, include_self, "index_reduce")
    if source.ndim == 0:
        source = shape.reshape(source, 1)
    spread = [1] * input.ndim
    spread[axis] = indices.size
    idx = np.broadcast_to(indices.reshape(spread), source.shape)
    return _scatter_reduce(input, axis, idx, source, reduce, include_self, "index_reduce")


# ----- index_put and what builds on it ------------------------------------------------------


class IndexPut(Function):
    """out = x; out[key] = values (or += with accumulate: repeated positions add up)."""

    def forward(self, x, values, key, accumulate):
        self.key, self.accumulate, self.values_shape = key, accumulate, values.shape
        out = x.copy()
        try:
            if accumulate and _integer_key(key, x.ndim):
                _check_key_range(key, x.shape)
                lead_shape = np.broadcast_shapes(*[k.shape for k in key])
                spread = np.broadcast_to(values, lead_shape + x.shape[len(key):])
                np.add.at(out.reshape(-1), _flat_positions(x.shape, key), spread.reshape(-1))
            elif accumulate:
                np.add.at(out, key, values)
            else:
                out[key] = values
        except (IndexError, ValueError) as error:
            raise IndexError(f"index_put: {error} (a tensor of shape {x.shape}, values of shape "
                             f"{values.shape})") from None
        return out

    def backward(self, grad):
        grad_x = grad
        if not self.accumulate:
            grad_x = grad.copy()
            grad_x[self.key] = 0
        grad_values = None
        if self.needs_input_grad[1]:
            grad_values = unbroadcast(np.asarray(grad[self.key]), self.values_shape)
        return grad_x, grad_values, None, None


def _integer_key(key, ndim):
    return 0 < len(key) <= ndim and all(
        isinstance(k, np.ndarray) and k.dtype.kind in "iu" for k in key)


def _check_key_range(key, shape_):
    for d, k in enumerate(key):
        if k.size and (k.min() < -shape_[d] or k.max() >= shape_[d]):
            bad = int(k.max()) if k.max() >= shape_[d] else int(k.min())
            raise IndexError(f"index {bad} is out of bounds for dimension {d} with size "
                             f"{shape_[d]}")


def _values_tensor(values, like, op):
    if not isinstance(values, Tensor):
        return _constant(np.asarray(values, dtype=like.dtype))
    if values.dtype != like.dtype:
        raise RuntimeError(f"{op} requires the source and destination dtypes match, got "
                           f"{like.dtype} for the destination and {values.dtype} for the source.")
    return values


def index_put(input, indices, values, accumulate=False):
    """``input`` with ``input[indices] = values`` (``+=`` with ``accumulate=True``, where
    repeated indices add up); ``indices`` is a tuple of index tensors, one per leading dim."""
    if isinstance(indices, Tensor):
        indices = (indices,)
    key, _ = indexing._convert_key(tuple(indices))
    values = _values_tensor(values, input, "Index put")
    return IndexPut.apply(input, values, key, bool(accumulate))


def put(input, index, source, accumulate=False):
    """``input`` with the elements at flat positions ``index`` set to (or, with accumulate,
    increased by) ``source``'s elements."""
    idx = _index_array(index, "put").reshape(-1)
    if idx.size != source.numel():
        raise RuntimeError(f"put(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.numel()}, "
                           f"index.numel() = {idx.size}")
    _check_range(idx, input.numel(), "put")
    flat = index_put(ravel(input), (_constant(idx),), ravel(source), accumulate)
    return shape.reshape(flat, input.shape)


def masked_scatter(input, mask, source):
    """Copy ``source``'s first elements, in order, into the positions where ``mask`` is True
    (mask and input broadcast together)."""
    if mask.dtype != dtypes.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {mask.dtype}")
    out_shape = broadcast_shape("masked_scatter", input.shape, mask.shape)
    x = input if input.shape == out_shape else shape.expand(input, out_shape)
    where = np.broadcast_to(mask._data, out_shape)
    count = int(where.sum())
    if source.numel() < count:
        raise RuntimeError(f"masked_scatter: expected source to have at least {count} elements "
                           f"(the True count of the mask of shape {tuple(mask.shape)}), got "
                           f"source of shape {tuple(source.shape)}")
    values = _values_tensor(source, input, "masked_scatter")
    return IndexPut.apply(x, ravel(values)[:count], (where,), False)


def _scatter_into(input, src, key, op):
    target = np.empty(input.shape, dtype=bool)[key].shape
    if tuple(src.shape) != target:
        raise RuntimeError(f"{op}(): expected src to have a size equal to the slice of self. src "
                           f"size = {list(src.shape)}, slice size = {list(target)} (self "
                           f"{tuple(input.shape)})")
    return IndexPut.apply(input, _values_tensor(src, input, op), key, False)


def select_scatter(input, src, dim, index):
    """``input`` with ``input.select(dim, index)`` replaced by ``src``."""
    axis = _wrap_dim(dim, input.ndim, "select_scatter")
    size = input.shape[axis]
    if not -size <= index < size:
        raise IndexError(f"select_scatter(): index {index} out of range for tensor of size "
                         f"{tuple(input.shape)} at dimension {axis}")
    key = [slice(None)] * input.ndim
    key[axis] = int(index) % size
    return _scatter_into(input, src, tuple(key), "select_scatter")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """``input`` with the slice ``start:end:step`` along ``dim`` replaced by ``src``."""
    axis = _wrap_dim(dim, input.ndim, "slice_scatter")
    if step <= 0:
        raise RuntimeError(f"slice_scatter(): slice step must be positive, got {step}")
    key = [slice(None)] * input.ndim
    key[axis] = slice(start, end, step)
    return _scatter_into(input, src, tuple(key), "slice_scatter")


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """``input`` with its ``diagonal(offset, dim1, dim2)`` replaced by ``src`` (whose last
    dim runs along the diagonal, as ``diagonal`` returns it)."""
    d1 = _wrap_dim(dim1, input.ndim, "diagonal_scatter")
    d2 = _wrap_dim(dim2, input.ndim, "diagonal_scatter")
    if d1 == d2:
        raise RuntimeError(f"diagonal_scatter(): dim1 and dim2 cannot be the same dimension "
                           f"({d1})")
    moved = movedim(input, (d1, d2), (-2, -1))
    rows, cols = moved.shape[-2], moved.shape[-1]
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    start_row, start_col = max(-offset, 0), max(offset, 0)
    key = (Ellipsis, np.arange(start_row, start_row + length),
           np.arange(start_col, start_col + length))
    out = _scatter_into(moved, src, key, "diagonal_scatter")
    return movedim(out, (-2, -1), (d1, d2))


def _strided_positions(input, size, stride, storage_offset, op):
    """Flat positions an (size, stride, storage_offset) view reads from ``input``'s elements
    taken in row-major order (the storage of a contiguous tensor)."""
    size, stride = sizes_arg((size,)), sizes_arg((stride,))
    offset = 0 if storage_offset is None else int(storage_offset)
    if len(size) != len(stride):
        raise RuntimeError(f"{op}(): mismatch in length of strides and shape ({list(size)} vs "
                           f"{list(stride)})")
    if any(s < 0 for s in size) or any(s < 0 for s in stride) or offset < 0:
        raise RuntimeError(f"{op}(): sizes {list(size)}, strides {list(stride)} and storage "
                           f"offset {offset} must not be negative")
    needed = offset + 1 + sum((n - 1) * st for n, st in zip(size, stride)) if all(size) else 0
    if needed > input.numel():
        raise RuntimeError(f"{op}(): setStorage: sizes {list(size)}, strides {list(stride)}, "
                           f"storage offset {offset} requiring a storage size of {needed} "
                           f"elements are out of bounds for storage of size {input.numel()} "
                           f"(input shape {tuple(input.shape)})")
    positions = np.full(size, offset, dtype=np.int64)
    for d, (n, st) in enumerate(zip(size, stride)):
        view = [1] * len(size)
        view[d] = n
        positions = positions + (np.arange(n, dtype=np.int64) * st).reshape(view)
    return positions


def as_strided(input, size, stride, storage_offset=None):
    """The view with element strides ``stride`` over ``input``'s elements in row-major order
    (a strided window: element [i, j] is storage[offset + i*stride[0] + j*stride[1]]).
    Elements read more than once get their gradients summed."""
    positions = _strided_positions(input, size, stride, storage_offset, "as_strided")
    return _getitem(ravel(input), positions)


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """``input`` with the elements an ``as_strided(size, stride, storage_offset)`` view
    would read replaced by ``src``."""
    positions = _strided_positions(input, size, stride, storage_offset, "as_strided_scatter")
    flat = _scatter_into(ravel(input), src, (positions,), "as_strided_scatter")
    return shape.reshape(flat, input.shape)


def nonzero_static(input, *, size, fill_value=-1):
    """``nonzero`` cut or padded (with ``fill_value`` rows) to exactly ``size`` rows."""
    coords = np.argwhere(input._data).astype(np.int64)[:size]
    padding = np.full((size - coords.shape[0], input.ndim), fill_value, dtype=np.int64)
    return _constant(np.concatenate([coords, padding]))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an element of ``elements`` occurs in ``test_elements``."""
    values = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    tests = test_elements._data if isinstance(test_elements, Tensor) else \
        np.asarray(test_elements)
    return _constant(np.isin(values, tests, assume_unique=assume_unique, invert=invert))


# ----- broadcasting ---------------------------------------------------------------------------


def broadcast_shapes(*shapes):
    """The shape tensors of these shapes broadcast to (an int counts as a 1-d shape)."""
    shapes = [(s,) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes]
    return Size(broadcast_shape("broadcast_shapes", *shapes))


def broadcast_tensors(*tensors):
    """Each tensor expanded to the common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    target = broadcast_shape("broadcast_tensors", *[t.shape for t in tensors])
    return tuple(t if t.shape == target else shape.expand(t, target) for t in tensors)


def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (the reverse of expanding ``size`` to input's shape)."""
    size = sizes_arg(size)
    lead = input.ndim - len(size)
    if lead < 0 or any(s != 1 and s != input.shape[lead + i] for i, s in enumerate(size)):
        raise RuntimeError(f"sum_to_size: size {list(size)} is not expandable to size "
                           f"{list(input.shape)}.")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size)
                                      if s == 1 and input.shape[lead + i] != 1)
    out = reduce.sum(input, axes, keepdim=True) if axes else input
    return shape.reshape(out, size) if out.shape != size else out


# ----- other shape helpers --------------------------------------------------------------------


def argwhere(input):
    """The (n, ndim) int64 coordinates of the nonzero elements."""
    return _constant(np.argwhere(input._data).astype(np.int64))


def narrow_copy(input, dim, start, length):
    """A copy of ``length`` elements from ``start`` (negative counts from the end) along
    ``dim``."""
    axis = _wrap_dim(dim, input.ndim, "narrow_copy")
    size = input.shape[axis]
    start, length = int(start), int(length)
    if not -size <= start <= size:
        raise IndexError(f"narrow_copy(): start ({start}) out of range for dimension {axis} of "
                         f"size {size} (shape {tuple(input.shape)})")
    start = start + size if start < 0 else start
    if length < 0 or start + length > size:
        raise RuntimeError(f"narrow_copy(): start ({start}) + length ({length}) exceeds "
                           f"dimension size ({size}) (shape {tuple(input.shape)})")
    return shape.clone(shape.narrow(input, axis, start, length))


def unravel_index(indices, shape_):
    """Flat indices as a tuple of coordinate tensors for a tensor of shape ``shape_``."""
    data = _index_array(indices, "unravel_index")
    dims = sizes_arg((shape_,)) if not isinstance(shape_, (int, np.integer)) else (int(shape_),)
    total = int(np.prod(dims, dtype=np.int64))
    if data.size and (data.min() < -total or data.max() >= total):
        raise RuntimeError(f"unravel_index: index {int(data.max())} out of bounds for a tensor "
                           f"of shape {dims}")
    coords = np.unravel_index(data % max(total, 1), dims)
    return tuple(_constant(c.astype(np.int64)) for c in coords)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids: output i holds tensor i's values along dim i, expanded over the
    others ("xy" swaps the first two dims, as NumPy's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be one of 'xy' or 'ij', got {indexing!r}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: Expected 0D or 1D tensor in the tensor list but got "
                               f"shape {tuple(t.shape)}")
    tensors = [_at_least_1d(t) for t in tensors]
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        tensors[0], tensors[1] = tensors[1], tensors[0]
    sizes = tuple(t.shape[0] for t in tensors)
    grids = []
    for i, t in enumerate(tensors):
        view = [1] * len(sizes)
        view[i] = -1
        grids.append(shape.expand(shape.reshape(t, view), sizes))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-d tensor, as rows (itertools.product)."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return shape.stack([ravel(g) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of a 1-d tensor's elements, as rows."""
    if input.ndim != 1:
        raise RuntimeError(f"combinations: Expect a 1D vector, but got shape "
                           f"{tuple(input.shape)}")
    if r < 0:
        raise RuntimeError(f"combinations: Expect a non-negative number, but got {r}")
    if r == 0:
        return _constant(np.empty((0,), dtype=input.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = np.asarray(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return _getitem(input, rows)


def _copying(op, name):
    def copy(*args, **kwargs):
        result = op(*args, **kwargs)
        if isinstance(result, (tuple, list)):
            return tuple(shape.clone(t) for t in result)
        return shape.clone(result)

    copy.__name__ = name
    copy.__doc__ = f"``{name.removesuffix('_copy')}``, returning a copy instead of a view."
    return copy


view_copy = _copying(shape.view, "view_copy")
permute_copy = _copying(shape.permute, "permute_copy")
transpose_copy = _copying(shape.transpose, "transpose_copy")
t_copy = _copying(shape.t, "t_copy")
squeeze_copy = _copying(shape.squeeze, "squeeze_copy")
unsqueeze_copy = _copying(shape.unsqueeze, "unsqueeze_copy")
expand_copy = _copying(shape.expand, "expand_copy")
select_copy = _copying(shape.select, "select_copy")
unbind_copy = _copying(shape.unbind, "unbind_copy")
split_copy = _copying(shape.split, "split_copy")
split_with_sizes_copy = _copying(split_with_sizes, "split_with_sizes_copy")
unfold_copy = _copying(unfold, "unfold_copy")
as_strided_copy = _copying(as_strided, "as_strided_copy")
alias_copy = _copying(lambda input: input, "alias_copy")
detach_copy = _copying(lambda input: input.detach(), "detach_copy")


def detach(input):
    return input.detach()


# ----- what a tensor says about itself -------------------------------------------------------


def _contiguous_strides(shape_):
    strides, step = [], 1
    for size in reversed(shape_):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def _element_strides(array):
    """NumPy's byte strides in elements, as PyTorch reports them; a layout PyTorch can't
    have (negative strides of a flipped view: torch.flip copies) reads as contiguous."""
    size = array.itemsize
    if array.size == 0 and 0 in array.strides:  # NumPy's fresh empty arrays have 0 strides
        return _contiguous_strides(array.shape), False
    if all(s >= 0 and s % size == 0 for s in array.strides):
        return tuple(s // size for s in array.strides), True
    return _contiguous_strides(array.shape), False


def stride(self, dim=None):
    """Elements to step in storage for one step along each dim."""
    strides, _ = _element_strides(self._data)
    if dim is None:
        return strides
    return strides[_wrap_dim(dim, self.ndim, "stride")]


class memory_format:
    """A layout name: ``contiguous_format`` (row-major), ``channels_last`` (NHWC)..."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"deepgrad.{self.name}"


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")


def _is_dense(shape_, strides, order):
    """Whether strides lay the dims out densely in ``order`` (outermost first); size-1 dims
    may have any stride, as in PyTorch."""
    expected = 1
    for d in reversed(order):
        if shape_[d] != 1 and strides[d] != expected:
            return False
        expected *= shape_[d]
    return True


def is_contiguous(self, memory_format=None):
    """Whether the elements lie in row-major order (or NHWC for ``channels_last``)."""
    array = self._data
    if array.size == 0:
        return True
    strides, _ = _element_strides(array)
    ndim = array.ndim
    if memory_format is channels_last and ndim == 4:
        return _is_dense(array.shape, strides, (0, 2, 3, 1))
    if memory_format is channels_last_3d and ndim == 5:
        return _is_dense(array.shape, strides, (0, 2, 3, 4, 1))
    if memory_format in (channels_last, channels_last_3d):
        return False
    return _is_dense(array.shape, strides, tuple(range(ndim)))


def storage_offset(self):
    """Elements between the start of the underlying storage and this tensor's first."""
    array = self._data
    strides, real = _element_strides(array)
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    if not real or root is array or root.itemsize != array.itemsize:
        return 0
    offset = (array.__array_interface__["data"][0] - root.__array_interface__["data"][0])
    return max(offset // array.itemsize, 0)


def dim_order(self, *, ambiguity_check=False):
    """Dims from outermost to innermost in memory: by decreasing stride, with PyTorch's
    tie rules (stride-0 dims stay where they are; equal strides order by size).
    ``ambiguity_check=True`` refuses layouts with more than one valid order."""
    array = self._data
    ndim, sizes = array.ndim, array.shape
    strides, _ = _element_strides(array)
    if ambiguity_check and (1 in sizes or any(a == b for a, b in zip(strides, strides[1:]))):
        raise RuntimeError(f"dim_order: the tensor of shape {tuple(sizes)} and strides "
                           f"{strides} does not have unique dim order")
    if ndim <= 1:
        return tuple(range(ndim))
    contiguous = _is_dense(sizes, strides, tuple(range(ndim)))
    nhwc = ndim == 4 and _is_dense(sizes, strides, (0, 2, 3, 1))
    if contiguous != nhwc:
        return tuple(range(ndim)) if contiguous else (0, *range(2, ndim), 1)

    def at_least(a, b):
        return True if b == 0 else False if a == 0 else a >= b or a % b == 0

    def should_swap(a, b):
        sa, sb = strides[a], strides[b]
        if sa == 0 or sb == 0:
            return 0
        if sa == sb:
            return 0 if at_least(sizes[b], sizes[a]) else 1
        return -1 if at_least(sb, sa) else 1

    perm = list(reversed(range(ndim)))  # innermost first, insertion-sorted
    for i in range(1, ndim):
        right = i
        for left in reversed(range(i)):
            order = should_swap(perm[left], perm[right])
            if order > 0:
                perm[left], perm[right] = perm[right], perm[left]
                right = left
            elif order < 0:
                break
    return tuple(reversed(perm))


def is_floating_point(input):
    return input.dtype.kind == "f"


def is_complex(input):
    return False  # deepgrad has no complex dtypes


def is_signed(input):
    return input.dtype.kind in "fi"


def is_nonzero(input):
    size = input.numel()
    if size == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if size > 1:
        raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous "
                           f"(shape {tuple(input.shape)})")
    return bool(input.item())


def is_same_size(input, other):
    return tuple(input.shape) == tuple(other.shape)


def _matrix_conj_transpose(self):
    if self.ndim != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.ndim}-D tensor.")
    return shape.transpose(self, 0, 1)


def adjoint(input):
    """The conjugate transpose of the last two dims (the transpose: deepgrad is real)."""
    if input.ndim < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. "
                           f"Got {input.ndim}-D tensor.")
    return shape.transpose(input, -2, -1)


# ----- dtypes ---------------------------------------------------------------------------------

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def get_default_dtype():
    """The dtype floating tensors get when none is asked for (float32 unless changed)."""
    return dtypes.default_float


def set_default_dtype(d):
    d = dtypes.to_dtype(d)
    if d is None or d.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type, got {d}")
    dtypes.default_float = d


def promote_types(type1, type2):
    """The smallest dtype both convert to without losing their category (bool < int < float):
    ``promote_types(int64, float16)`` is float16, as in PyTorch."""
    a, b = dtypes.to_dtype(type1), dtypes.to_dtype(type2)
    return dtypes.result_dtype(np.empty(1, a), np.empty(1, b))


def result_type(tensor1, tensor2):
    """The dtype an arithmetic op on these operands (tensors or Python numbers) gives."""
    operands = [x._data if isinstance(x, Tensor) else x for x in (tensor1, tensor2)]
    if not any(isinstance(x, np.ndarray) for x in operands):  # two Python numbers
        if any(isinstance(x, float) for x in operands):
            return dtypes.default_float
        if all(isinstance(x, bool) for x in operands):
            return dtypes.bool_
        return dtypes.int64
    return dtypes.result_dtype(*operands)


def can_cast(from_, to):
    """Whether PyTorch's casting rule allows ``from_`` -> ``to``: never to a lower category
    (float -> int, int -> bool), any size within a category."""
    return _KIND_RANK[dtypes.to_dtype(from_).kind] <= _KIND_RANK[dtypes.to_dtype(to).kind]


class finfo:
    """Machine limits of a floating dtype (``finfo(float32).eps``), as Python floats."""

    def __init__(self, type=None):
        self.dtype = dtypes.to_dtype(type) or dtypes.default_float
        if self.dtype.kind != "f":
            raise TypeError(f"finfo: {self.dtype} is not a floating point dtype; use iinfo")
        info = np.finfo(self.dtype)
        self.bits = info.bits
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (``iinfo(int64).max``)."""

    def __init__(self, type):
        self.dtype = dtypes.to_dtype(type)
        if self.dtype.kind not in "iub":
            raise TypeError(f"iinfo: {self.dtype} is not an integer dtype; use finfo")
        info = np.iinfo(np.uint8 if self.dtype.kind == "b" else self.dtype)
        self.bits, self.max, self.min = info.bits, int(info.max), int(info.min)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


# ----- creation -------------------------------------------------------------------------------


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 generator=None):
    """Integers uniform in [low, high) of ``input``'s shape and dtype (``randint_like(x, 10)``
    starts at 0)."""
    if high is None:
        low, high = 0, low
    return creation.randint(low, high, tuple(input.shape), generator=generator,
                            dtype=dtypes.to_dtype(dtype) or input.dtype, device=device,
                            requires_grad=requires_grad)


def scalar_tensor(s, dtype=None, device=None, requires_grad=False):
    return creation.full((), s, dtype=dtypes.to_dtype(dtype) or dtypes.default_float,
                         device=device, requires_grad=requires_grad)


def asarray(obj, dtype=None, device=None, copy=None, requires_grad=False):
    """A tensor of ``obj``, sharing its memory where it can (always a copy with copy=True)."""
    _check_device(device)
    out = Tensor(obj, dtype=dtype) if copy else creation.as_tensor(obj, dtype=dtype)
    if copy and (out._data is obj or isinstance(obj, Tensor) and out._data is obj._data):
        out = Tensor(out._data.copy())
    if requires_grad:
        out = out.detach() if out is obj else out
        out.requires_grad_(True)
    return out


def range_(start=0, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Deprecated in PyTorch: values start, start+step, ... up to and including ``end``,
    floating by default."""
    if end is None:
        start, end = 0, start
    if step == 0 or (end - start) * step < 0:
        raise RuntimeError(f"range: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    count = int(np.floor((end - start) / step)) + 1
    values = start + step * np.arange(count, dtype=np.float64)
    return creation._make(values.astype(dtypes.to_dtype(dtype) or dtypes.default_float),
                          requires_grad, device)


pi, e, inf, nan = float(np.pi), float(np.e), float("inf"), float("nan")
dtype = np.dtype  # deepgrad's dtypes are NumPy's: isinstance(x.dtype, deepgrad.dtype)


class layout:
    """How a tensor's elements are stored: always ``strided`` (dense) in deepgrad."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"deepgrad.{self.name}"


strided = layout("strided")


def is_inference(input):
    return False


def fill_diagonal_(self, fill_value, wrap=False):
    """Set the main diagonal (all dims equal for more than 2 dims) to ``fill_value`` in
    place; with ``wrap`` a tall matrix's diagonal starts again after N + 1 rows."""
    if self.ndim < 2:
        raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1, got shape "
                           f"{tuple(self.shape)}")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length, "
                           f"got shape {tuple(self.shape)}")
    filled = self._data.copy()
    np.fill_diagonal(filled, fill_value, wrap=wrap)
    return inplace._write(self, filled, "fill_diagonal_")


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-d tensor over the bytes of ``buffer`` (shared, not copied)."""
    array = np.frombuffer(buffer, dtype=dtypes.to_dtype(dtype), count=count, offset=offset)
    return creation._make(array, requires_grad)


def _new(self, *args, dtype=None, device=None):
    """Legacy ``x.new(...)``: ``new(2, 3)`` or ``new(Size)`` an uninitialised tensor of x's
    dtype, ``new(data)`` a copy of data in x's dtype, ``new()`` an empty one."""
    dtype = dtypes.to_dtype(dtype) or self.dtype
    if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
        return Tensor(args[0], dtype=dtype)
    return creation.empty(*args, dtype=dtype, device=device) if args else \
        creation.empty(0, dtype=dtype, device=device)


def resize_(self, *sizes):
    """Give x the shape ``sizes`` in place, keeping its first elements in row-major order
    (new elements, when it grows, are zero)."""
    size = sizes_arg(sizes)
    total = int(np.prod(size, dtype=np.int64))
    flat = self._data.reshape(-1)
    if total != flat.size:
        grown = np.zeros(total, dtype=self.dtype)
        grown[:min(total, flat.size)] = flat[:total]
        flat = grown
    self._bump_version()
    self._data = flat.reshape(size)
    return self


def _apply(self, callable):
    """Replace every element by ``callable(element)`` in place (a Python loop: slow)."""
    values = [callable(v) for v in self._data.reshape(-1).tolist()]
    return inplace._write(self, np.asarray(values, self.dtype).reshape(self.shape), "apply_")


def _map(self, other, callable):
    """Replace every element a by ``callable(a, b)``, b from ``other`` broadcast, in place."""
    pairs = zip(self._data.reshape(-1).tolist(),
                np.broadcast_to(other._data, self.shape).reshape(-1).tolist())
    values = [callable(a, b) for a, b in pairs]
    return inplace._write(self, np.asarray(values, self.dtype).reshape(self.shape), "map_")


# ----- in-place forms -------------------------------------------------------------------------


def _in_place(op, name):
    """``x.op_(...)``: the out-of-place op's result written into x (outside the graph only)."""

    def method(self, *args, **kwargs):
        with no_grad():
            result = op(self.detach(), *args, **kwargs)
        return inplace._write(self, result._data, name)

    method.__name__ = name
    return method


def _reshape_in_place(op, name):
    """``x.unsqueeze_(0)`` and the like: x takes the new shape (outside the graph only)."""

    def method(self, *args, **kwargs):
        self._bump_version()
        self._data = op(self.detach(), *args, **kwargs)._data
        return self

    method.__name__ = name
    return method


def _scatter_reduce_method(self, dim, index, src, reduce, *, include_self=True):
    return scatter_reduce(self, dim, index, src, reduce, include_self=include_self)


def _index_reduce_method(self, dim, index, source, reduce, *, include_self=True):
    return index_reduce(self, dim, index, source, reduce, include_self=include_self)


def _unsupported_bfloat16(self, *args, **kwargs):
    raise TypeError(dtypes.bfloat16_unsupported)


def _cast(dtype):
    return lambda self: self.to(dtype)


# torch's legacy tensor-type names: ``x.type()`` returns them and ``x.type(name)`` casts
_TYPE_NAMES = {
    dtypes.float32: "torch.FloatTensor", dtypes.float64: "torch.DoubleTensor",
    dtypes.float16: "torch.HalfTensor", dtypes.int64: "torch.LongTensor",
    dtypes.int32: "torch.IntTensor", dtypes.int16: "torch.ShortTensor",
    dtypes.int8: "torch.CharTensor", dtypes.uint8: "torch.ByteTensor",
    dtypes.bool_: "torch.BoolTensor",
}
_TYPE_DTYPES = {name: dtype for dtype, name in _TYPE_NAMES.items()}


class _LegacyTensorType(type):
    """``torch.FloatTensor`` and friends: ``FloatTensor([1, 2])`` copies data,
    ``FloatTensor(2, 3)`` makes an uninitialised tensor of that size, and
    ``isinstance(x, FloatTensor)`` checks the dtype."""

    def __call__(cls, *args, device=None):
        _check_device(device)
        if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
            return Tensor(args[0], dtype=cls.dtype)
        return creation.empty(*args, dtype=cls.dtype) if args else creation.empty(
            0, dtype=cls.dtype)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls):
        return f"<class '{_TYPE_NAMES[cls.dtype]}'>"


LEGACY_TENSOR_TYPES = {name.removeprefix("torch."): _LegacyTensorType(
    name.removeprefix("torch."), (), {"dtype": dtype}) for dtype, name in _TYPE_NAMES.items()}


def _type(self, dtype=None, non_blocking=False, **kwargs):
    """``x.type()``: torch's type string ('torch.FloatTensor'...); ``x.type(dtype)`` or
    ``x.type('torch.DoubleTensor')``: a cast."""
    if dtype is None:
        return _TYPE_NAMES.get(self._data.dtype, f"torch.{self._data.dtype.name}")
    if isinstance(dtype, _LegacyTensorType):
        return shape.to_dtype(self, dtype.dtype)
    if isinstance(dtype, str):
        name = dtype.replace("deepgrad.", "torch.", 1)
        if name in _TYPE_DTYPES:
            return shape.to_dtype(self, _TYPE_DTYPES[name])
        if name.startswith("torch.cuda."):
            _check_device("cuda")
    return shape.to_dtype(self, dtypes.to_dtype(dtype))


def _is_device_like(arg):
    if isinstance(arg, (device, int)) and not isinstance(arg, bool):
        return True
    return isinstance(arg, str) and arg.partition(":")[0] in device._TYPES


def _to(self, *args, dtype=None, device=None, non_blocking=False, copy=False,
        memory_format=None):
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``: a cast (or
    ``self`` when nothing changes; ``copy=True`` always copies). Devices other than the CPU
    raise, since deepgrad computes there only."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif _is_device_like(arg):
            device = arg
        elif isinstance(arg, bool):
            non_blocking = arg
        elif arg is not None:
            dtype = arg
    _check_device(device)
    out = self if dtype is None else shape.to_dtype(self, dtypes.to_dtype(dtype))
    if copy and out is self:
        out = shape.clone(self)
    if memory_format is not None and memory_format is not preserve_format:
        out = shape.contiguous(out, memory_format)
    return out


def _cuda(self, device=None, non_blocking=False, memory_format=None):
    raise RuntimeError("deepgrad runs on the CPU only: Tensor.cuda() is not available (keep "
                       "the tensor on the CPU, e.g. `device = 'cuda' if "
                       "torch.cuda.is_available() else 'cpu'`)")


def _cpu(self, memory_format=None):
    return self if memory_format is None else shape.contiguous(self, memory_format)


TENSOR_METHODS = {
    "type": _type, "to": _to, "cuda": _cuda, "cpu": _cpu,
    "movedim": movedim, "moveaxis": movedim, "swapdims": shape.transpose, "ravel": ravel,
    "rot90": rot90, "fliplr": fliplr, "flipud": flipud, "tensor_split": tensor_split,
    "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit, "split_with_sizes": split_with_sizes,
    "unsafe_split": shape.split, "unsafe_chunk": shape.chunk,
    "unsafe_split_with_sizes": split_with_sizes, "unfold": unfold, "take": take,
    "index_add": index_add, "index_copy": index_copy, "index_fill": index_fill,
    "index_put": index_put, "index_reduce": _index_reduce_method, "put": put,
    "scatter_reduce": _scatter_reduce_method, "masked_scatter": masked_scatter,
    "select_scatter": select_scatter, "slice_scatter": slice_scatter,
    "broadcast_to": shape.broadcast_to, "sum_to_size": sum_to_size, "argwhere": argwhere,
    "narrow_copy": narrow_copy, "adjoint": adjoint,
    "where": lambda self, condition, y: elementwise.where(condition, self, y),
    "bernoulli": creation.bernoulli, "multinomial": creation.multinomial,
    # what a tensor says about itself
    "is_contiguous": is_contiguous, "stride": stride, "storage_offset": storage_offset,
    "dim_order": dim_order, "ndimension": lambda self: self._data.ndim,
    "is_complex": is_complex, "is_signed": is_signed, "is_nonzero": is_nonzero,
    "is_same_size": is_same_size, "get_device": lambda self: -1,
    "itemsize": property(lambda self: self._data.itemsize),
    "nbytes": property(lambda self: self._data.nbytes),
    "H": property(_matrix_conj_transpose), "mH": property(adjoint),
    "retains_grad": property(lambda self: self._retain),
    "is_cpu": property(lambda self: True), "is_cuda": property(lambda self: False),
    "is_sparse": property(lambda self: False), "is_quantized": property(lambda self: False),
    "is_meta": property(lambda self: False), "is_mps": property(lambda self: False),
    "is_nested": property(lambda self: False),
    "byte": _cast(dtypes.uint8), "char": _cast(dtypes.int8), "short": _cast(dtypes.int16),
    "bfloat16": _unsupported_bfloat16,
    "as_strided": as_strided, "as_strided_scatter": as_strided_scatter,
    "diagonal_scatter": diagonal_scatter, "nonzero_static": nonzero_static,
    "isin": isin, "fill_diagonal_": fill_diagonal_,
    "data_ptr": lambda self: self._data.__array_interface__["data"][0],
    "layout": property(lambda self: strided), "is_inference": is_inference,
    "pin_memory": lambda self, device=None: self, "is_pinned": lambda self, device=None: False,
    "share_memory_": lambda self: self, "is_shared": lambda self: False,
    "new": _new, "resize_": resize_, "resize_as_": lambda self, other: resize_(self, other.shape),
    "apply_": _apply, "map_": _map,
}

for _name, _op in (("index_add_", index_add), ("index_copy_", index_copy),
                   ("index_put_", index_put), ("put_", put),
                   ("index_reduce_", _index_reduce_method),
                   ("scatter_reduce_", _scatter_reduce_method),
                   ("masked_scatter_", masked_scatter), ("scatter_", indexing.scatter),
                   ("scatter_add_", indexing.scatter_add), ("tril_", indexing.tril),
                   ("triu_", indexing.triu)):
    TENSOR_METHODS[_name] = _in_place(_op, _name)

for _name, _op in (("unsqueeze_", shape.unsqueeze), ("squeeze_", shape.squeeze),
                   ("as_strided_", as_strided),
                   ("t_", shape.t), ("transpose_", shape.transpose),
                   ("swapdims_", shape.transpose), ("swapaxes_", shape.transpose)):
    TENSOR_METHODS[_name] = _reshape_in_place(_op, _name)

index_put_ = TENSOR_METHODS["index_put_"]

__all__ = [
    "Size", "newaxis", "movedim", "moveaxis", "swapdims", "ravel", "rot90", "fliplr", "flipud",
    "atleast_1d", "atleast_2d", "atleast_3d", "hstack", "vstack", "row_stack", "dstack",
    "column_stack", "tensor_split", "hsplit", "vsplit", "dsplit", "split_with_sizes",
    "unsafe_split", "unsafe_chunk", "unsafe_split_with_sizes", "take", "index_add",
    "index_copy", "index_fill", "index_reduce", "scatter_reduce", "index_put", "index_put_",
    "put", "masked_scatter", "select_scatter", "slice_scatter", "broadcast_shapes",
    "broadcast_tensors", "argwhere", "narrow_copy", "unravel_index", "meshgrid",
    "cartesian_prod", "combinations", "view_copy", "permute_copy", "transpose_copy", "t_copy",
    "squeeze_copy", "unsqueeze_copy", "expand_copy", "select_copy", "unbind_copy", "split_copy",
    "split_with_sizes_copy", "unfold_copy", "alias_copy", "detach_copy", "detach",
    "memory_format", "contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
    "is_floating_point", "is_complex", "is_signed", "is_nonzero", "is_same_size", "adjoint",
    "get_default_dtype", "set_default_dtype", "promote_types", "result_type", "can_cast",
    "finfo", "iinfo", "randint_like", "scalar_tensor", "asarray", "diagonal_scatter",
    "as_strided", "as_strided_copy", "as_strided_scatter", "nonzero_static", "isin",
    "pi", "e", "inf", "nan", "dtype", "layout", "strided", "is_inference", "frombuffer",
]
