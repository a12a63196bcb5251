"""Pooling: max, average and adaptive pooling (2-d, and 1-d as a height-1 image).

Output size as for a convolution: O = ⌊(W + 2P − D·(K − 1) − 1)/S⌋ + 1 (⌈…⌉ with
``ceil_mode``, as long as the last window starts inside the input or its left padding).

Max and average pooling loop over the KH·KW kernel offsets, never over pixels: each offset is
one strided view (N, C, O_h, O_w) of the padded input, so the maximum is KH·KW-1 elementwise
``maximum`` calls. The backward pass finds each window's winning offset (the first one on
ties, as PyTorch) by comparing the views with the output, and routes the gradient to it.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import GradMode
from deepgrad.ops._buffers import OUTPUTS as _OUT
from deepgrad.ops._buffers import POOL as _POOL
from deepgrad.ops.conv import _check_positive, _tuple

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "max_unpool2d",
           "max_unpool1d"]


def _pool_out(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window would start in the right padding only
    return out


def _padded(x, pads, fill, pooled=False):
    """x (N, C, H, W) padded by (top, bottom, left, right) with ``fill`` (in a work array from
    the pool when ``pooled``)."""
    top, bottom, left, right = pads
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    shape = (n, c, h + top + bottom, w + left + right)
    if pooled:
        xp = _POOL.take(shape, x.dtype)
        xp.fill(fill)
    else:
        xp = np.full(shape, fill, dtype=x.dtype)
    xp[:, :, top:top + h, left:left + w] = x
    return xp


def _offset(xp, i, j, stride, dilation, oh, ow):
    sh, sw = stride
    dh, dw = dilation
    return xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]


def _geometry(op, x, kernel, stride, padding, dilation, ceil_mode):
    kh, kw = kernel
    ph, pw = padding
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but "
                               f"got pad={p}, kernel_size={k} (input {tuple(x.shape)})")
    oh = _pool_out(x.shape[2], kh, stride[0], ph, dilation[0], ceil_mode)
    ow = _pool_out(x.shape[3], kw, stride[1], pw, dilation[1], ceil_mode)
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"{op}: given input size {tuple(x.shape[1:])}, kernel {kernel}, "
                           f"stride {stride}, padding {padding}, dilation {dilation}: calculated "
                           f"output size ({oh}x{ow}) is too small")
    # rows/cols beyond the input on the bottom/right reached by ceil_mode windows
    extra_h = max(0, (oh - 1) * stride[0] + dilation[0] * (kh - 1) + 1 - x.shape[2] - 2 * ph)
    extra_w = max(0, (ow - 1) * stride[1] + dilation[1] * (kw - 1) + 1 - x.shape[3] - 2 * pw)
    return oh, ow, (ph, ph + extra_h, pw, pw + extra_w)


class MaxPool2d(Function):
    """Max over each window: KH·KW−1 elementwise ``maximum`` calls over strided views.

    Forward keeps only references to the (padded) input and the output; which offset won each
    window is worked out in backward (and by ``indices()``), so inference pays for the maximum
    alone. PyTorch's tie rule: the first offset holding the maximum wins; a window containing
    NaN outputs NaN and its last NaN wins."""

    def forward(self, x, kernel, stride, padding, dilation, ceil_mode):
        kh, kw = kernel
        oh, ow, pads = _geometry("max_pool2d", x, kernel, stride, padding, dilation, ceil_mode)
        xp = _padded(x, pads, -np.inf, pooled=True)  # saved: back to the pool in ``release``
        sh, sw = stride
        self.tiled = (kh, kw) == (sh, sw) and dilation == (1, 1) and xp is x \
            and x.shape[2] == oh * kh and x.shape[3] == ow * kw
        self.xp, self.geom = xp, (x.shape, xp.shape, pads, kernel, stride, dilation, oh, ow)
        views = self._views()
        if len(views) == 1:
            out = views[0].copy()
        else:
            out = np.maximum(views[0], views[1], out=_OUT.empty_like(views[0]))
            for v in views[2:]:
                np.maximum(out, v, out=out)
        self.out = out
        if not GradMode.enabled:
            self._give()
        return out

    def _give(self):
        xp = self.__dict__.get("xp")
        if xp is not None and not self.__dict__.get("given") and not self.__dict__.get("keep") \
                and xp.shape != self.geom[0]:
            _POOL.give(xp)  # only a padded copy; never the input itself
            self.given = True

    def release(self):
        self._give()
        super().release()

    def _views(self):
        """The KH·KW strided views (N, C, O_h, O_w) of the padded input, offset by offset."""
        (n, c, _, _), _, _, (kh, kw), stride, dilation, oh, ow = self.geom
        xp = self.xp
        if self.tiled:
            # non-overlapping windows tiling the input: one reshape gives all offsets
            windows = xp.reshape(n, c, oh, kh, ow, kw)
            return [windows[:, :, :, i, :, j] for i in range(kh) for j in range(kw)]
        return [_offset(xp, i, j, stride, dilation, oh, ow) for i in range(kh) for j in range(kw)]

    def _winner(self, views):
        """Index of the winning offset per window (uint8, or int32 for ≥ 256 offsets)."""
        out = self.out
        winner = np.zeros(out.shape, dtype=np.uint8 if len(views) < 256 else np.int32)
        for k in range(len(views) - 1, -1, -1):
            np.copyto(winner, k, where=views[k] == out)
        if np.isnan(out).any():
            for k in range(len(views)):  # the last NaN wins
                np.copyto(winner, k, where=np.isnan(views[k]))
        return winner

    def _masks(self, views):
        """One boolean mask per offset: True where that offset wins its window."""
        out = self.out
        if np.isnan(out).any():
            winner = self._winner(views)
            return [winner == k for k in range(len(views))]
        masks = []
        taken = None
        for v in views:
            mask = v == out
            if taken is None:
                taken = mask
            else:
                np.greater(mask, taken, out=mask)  # equal here and no earlier offset won
                taken = taken | mask
            masks.append(mask)
        return masks

    def indices(self):
        """Flat indices into each input plane (H·W), as ``return_indices`` gives them."""
        (n, c, h, w), _, pads, (kh, kw), stride, dilation, oh, ow = self.geom
        ki, kj = np.divmod(self._winner(self._views()).astype(np.int64), kw)
        rows = np.arange(oh)[:, None] * stride[0] - pads[0] + ki * dilation[0]
        cols = np.arange(ow)[None, :] * stride[1] - pads[2] + kj * dilation[1]
        return rows * w + cols

    def backward(self, grad):
        (n, c, h, w), xp_shape, pads, (kh, kw), stride, dilation, oh, ow = self.geom
        masks = self._masks(self._views())
        if self.tiled:
            # every input element is in exactly one window: write each offset once, no zeroing;
            # dx takes the input's memory layout (channels-last stays channels-last)
            dx = _OUT.empty_like(self.xp, grad.dtype)
            s0, s1, s2, s3 = dx.strides
            windows = as_strided(dx, (n, c, oh, kh, ow, kw), (s0, s1, s2 * kh, s2, s3 * kw, s3))
            for k, mask in enumerate(masks):
                i, j = divmod(k, kw)
                np.multiply(grad, mask, out=windows[:, :, :, i, :, j])
            return dx
        dxp = _OUT.empty_like(self.xp, grad.dtype)
        dxp.fill(0)
        routed = _POOL.take(grad.shape, grad.dtype)
        for k, mask in enumerate(masks):
            i, j = divmod(k, kw)
            np.multiply(grad, mask, out=routed)
            _offset(dxp, i, j, stride, dilation, oh, ow)[...] += routed
        _POOL.give(routed)
        top, _, left, _ = pads
        return dxp[:, :, top:top + h, left:left + w]


class AvgPool2d(Function):
    def forward(self, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor):
        kh, kw = kernel
        oh, ow, pads = _geometry("avg_pool2d", x, kernel, stride, padding, (1, 1), ceil_mode)
        xp = _padded(x, pads, 0)
        out = _offset(xp, 0, 0, stride, (1, 1), oh, ow).copy()
        for k in range(1, kh * kw):
            out += _offset(xp, *divmod(k, kw), stride, (1, 1), oh, ow)
        if divisor is None:
            div = np.outer(*[_window_counts(x.shape[2 + a], kernel[a], stride[a], padding[a],
                                            (oh, ow)[a], count_include_pad) for a in (0, 1)])
            scale = (1 / div).astype(x.dtype)
        else:
            scale = np.asarray(1 / divisor, dtype=x.dtype)
        out *= scale
        self.scale = scale
        self.geom = (x.shape, xp.shape, pads, kernel, stride, oh, ow)
        return out

    def backward(self, grad):
        (n, c, h, w), xp_shape, pads, (kh, kw), stride, oh, ow = self.geom
        g = grad * self.scale
        dxp = np.zeros(xp_shape, dtype=grad.dtype)
        for k in range(kh * kw):
            _offset(dxp, *divmod(k, kw), stride, (1, 1), oh, ow)[...] += g
        top, _, left, _ = pads
        return dxp[:, :, top:top + h, left:left + w]


def _window_counts(size, k, s, p, out, count_include_pad):
    """Per output position along one axis: how many elements its window averages (PyTorch's
    rule: with count_include_pad the window is clipped to the padded input, else to the input)."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if count_include_pad:
        return (end - start).astype(np.float64)
    return (np.minimum(end, size) - np.maximum(start, 0)).astype(np.float64)


def _pool_args(op, input, kernel_size, stride, padding, dilation):
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected a 3-D (unbatched) or 4-D (batched) input, but got "
                           f"input of shape {tuple(input.shape)}")
    kernel = _tuple(kernel_size, 2, "kernel_size", op)
    stride = kernel if stride is None or stride == () or stride == [] else _tuple(
        stride, 2, "stride", op)
    padding = _tuple(padding, 2, "padding", op)
    dilation = _tuple(dilation, 2, "dilation", op)
    _check_positive(kernel, "kernel_size", op)
    _check_positive(stride, "stride", op)
    _check_positive(dilation, "dilation", op)
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{op}: pad must be non-negative, got padding={padding}")
    return kernel, stride, padding, dilation


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over each KH×KW window of (N, C, H, W) (padding counts as −∞)."""
    kernel, stride, padding, dilation = _pool_args("max_pool2d", input, kernel_size, stride,
                                                   padding, dilation)
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    out = MaxPool2d.apply(input, kernel=kernel, stride=stride, padding=padding,
                          dilation=dilation, ceil_mode=ceil_mode)
    if unbatched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    node = out.grad_fn if out.grad_fn is not None else None
    indices = _max_pool_indices(input, node, kernel, stride, padding, dilation, ceil_mode)
    return out, _index_tensor(indices.squeeze(0) if unbatched else indices)


def _max_pool_indices(input, node, kernel, stride, padding, dilation, ceil_mode):
    if node is None or not hasattr(node, "out"):
        node = MaxPool2d()
        node.keep = True  # indices() reads the padded input after forward
        node.forward(input._data, kernel=kernel, stride=stride, padding=padding,
                     dilation=dilation, ceil_mode=ceil_mode)
    return node.indices()


def _index_tensor(array):
    from deepgrad.tensor import Tensor

    return Tensor._from_op(np.ascontiguousarray(array, dtype=np.int64), None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over each KH×KW window of (N, C, H, W)."""
    kernel, stride, padding, _ = _pool_args("avg_pool2d", input, kernel_size, stride, padding, 1)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("avg_pool2d: divisor must be not zero")
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    out = AvgPool2d.apply(input, kernel=kernel, stride=stride, padding=padding,
                          ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                          divisor=divisor_override)
    return out.squeeze(0) if unbatched else out


def _as_2d(op, input, dims=2):
    if input.ndim not in (dims, dims + 1):
        raise RuntimeError(f"{op}: expected a {dims}-D (unbatched) or {dims + 1}-D (batched) "
                           f"input, but got input of shape {tuple(input.shape)}")
    return input.unsqueeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows of (N, C, L): max_pool2d on a height-1 image."""
    x = _as_2d("max_pool1d", input)
    (k,) = _tuple(kernel_size, 1, "kernel_size", "max_pool1d")
    s = k if stride is None or stride == () else _tuple(stride, 1, "stride", "max_pool1d")[0]
    (p,) = _tuple(padding, 1, "padding", "max_pool1d")
    (d,) = _tuple(dilation, 1, "dilation", "max_pool1d")
    result = max_pool2d(x, (1, k), (1, s), (0, p), (1, d), ceil_mode, return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over windows of (N, C, L): avg_pool2d on a height-1 image."""
    x = _as_2d("avg_pool1d", input)
    (k,) = _tuple(kernel_size, 1, "kernel_size", "avg_pool1d")
    s = k if stride is None or stride == () else _tuple(stride, 1, "stride", "avg_pool1d")[0]
    (p,) = _tuple(padding, 1, "padding", "avg_pool1d")
    return avg_pool2d(x, (1, k), (1, s), (0, p), ceil_mode, count_include_pad).squeeze(-2)


# ----- adaptive pooling -----------------------------------------------------------------------

def _bins(size, out):
    """PyTorch's adaptive bins: [⌊i·size/out⌋, ⌈(i+1)·size/out⌉)."""
    i = np.arange(out)
    return (i * size) // out, -(-((i + 1) * size) // out)


def _averaging_matrix(size, out, dtype):
    start, end = _bins(size, out)
    pos = np.arange(size)
    inside = (pos[None, :] >= start[:, None]) & (pos[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2d(Function):
    """Separable: out = A_h · x · A_wᵀ with per-axis averaging matrices; backward A_hᵀ·g·A_w."""

    def forward(self, x, output_size):
        n, c, h, w = x.shape
        oh, ow = output_size
        if h % oh == 0 and w % ow == 0:
            self.a_h = self.a_w = None
            self.shape = x.shape
            return x.reshape(n, c, oh, h // oh, ow, w // ow).mean(axis=(3, 5))
        self.a_h = _averaging_matrix(h, oh, x.dtype)
        self.a_w = _averaging_matrix(w, ow, x.dtype)
        return self.a_h @ x @ self.a_w.T

    def backward(self, grad):
        if self.a_h is None:
            n, c, h, w = self.shape
            oh, ow = grad.shape[2:]
            scale = 1 / ((h // oh) * (w // ow))
            g = (grad * scale)[:, :, :, None, :, None]
            return np.broadcast_to(g, (n, c, oh, h // oh, ow, w // ow)).reshape(self.shape)
        return self.a_h.T @ grad @ self.a_w


class AdaptiveMaxPool2d(Function):
    """One max per output bin (a loop over the O_h·O_w bins, each a vectorised reduction)."""

    def forward(self, x, output_size):
        n, c, h, w = x.shape
        oh, ow = output_size
        hs, he = _bins(h, oh)
        ws, we = _bins(w, ow)
        out = np.empty((n, c, oh, ow), dtype=x.dtype)
        index = np.empty((n, c, oh, ow), dtype=np.int64)
        for i in range(oh):
            for j in range(ow):
                region = x[:, :, hs[i]:he[i], ws[j]:we[j]]
                rw = we[j] - ws[j]
                flat = region.reshape(n, c, -1)
                k = flat.argmax(axis=-1)
                out[:, :, i, j] = np.take_along_axis(flat, k[..., None], -1)[..., 0]
                index[:, :, i, j] = (hs[i] + k // rw) * w + ws[j] + k % rw
        self.index, self.shape = index, x.shape
        return out

    def backward(self, grad):
        n, c, h, w = self.shape
        dx = np.zeros((n, c, h * w), dtype=grad.dtype)
        flat_index = self.index.reshape(n, c, -1)
        rows = np.arange(n)[:, None, None]
        chans = np.arange(c)[None, :, None]
        np.add.at(dx, (rows, chans, flat_index), grad.reshape(n, c, -1))
        return dx.reshape(self.shape)


def _adaptive_size(op, input, output_size, dims):
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}: expected a {dims + 1}-D or {dims + 2}-D input, but got input "
                           f"of shape {tuple(input.shape)}")
    if any(s == 0 for s in input.shape[-dims:]):
        raise RuntimeError(f"{op}: expected non-empty spatial dimensions, got input of shape "
                           f"{tuple(input.shape)}")
    if not isinstance(output_size, (tuple, list)):
        output_size = (output_size,) * dims
    if len(output_size) != dims:
        raise ValueError(f"{op}: output_size must have {dims} elements, got {output_size}")
    size = tuple(input.shape[-dims + i] if s is None else int(s)
                 for i, s in enumerate(output_size))
    if any(s <= 0 for s in size):
        raise RuntimeError(f"{op}: output_size must be positive, got {output_size}")
    return size


def adaptive_avg_pool2d(input, output_size):
    """Average pool to a fixed output size (bins [⌊i·H/O⌋, ⌈(i+1)·H/O⌉))."""
    size = _adaptive_size("adaptive_avg_pool2d", input, output_size, 2)
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    out = AdaptiveAvgPool2d.apply(x, output_size=size)
    return out.squeeze(0) if unbatched else out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pool to a fixed output size."""
    size = _adaptive_size("adaptive_max_pool2d", input, output_size, 2)
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    node = AdaptiveMaxPool2d()
    out = AdaptiveMaxPool2d.apply(x, output_size=size)
    if unbatched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    if out.grad_fn is not None and hasattr(out.grad_fn, "index"):
        index = out.grad_fn.index
    else:
        node.forward(x._data, output_size=size)
        index = node.index
    return out, _index_tensor(index[0] if unbatched else index)


def adaptive_avg_pool1d(input, output_size):
    (size,) = _tuple(output_size, 1, "output_size", "adaptive_avg_pool1d")
    x = _as_2d("adaptive_avg_pool1d", input)
    return adaptive_avg_pool2d(x, (1, size)).squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    (size,) = _tuple(output_size, 1, "output_size", "adaptive_max_pool1d")
    x = _as_2d("adaptive_max_pool1d", input)
    result = adaptive_max_pool2d(x, (1, size), return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


# ----- max unpooling ------------------------------------------------------------------------

class MaxUnpool(Function):
    """Place each value at its index in a zero plane; the gradient gathers it back."""

    def forward(self, x, indices, plane_shape):
        n, c = x.shape[:2]
        size = int(np.prod(plane_shape))
        flat_index = indices.reshape(n, c, -1)
        if flat_index.size and (flat_index.min() < 0 or flat_index.max() >= size):
            raise RuntimeError(f"max_unpool: found an invalid max index (outside an output "
                               f"plane of size {tuple(plane_shape)})")
        out = np.zeros((n, c, size), dtype=x.dtype)
        np.put_along_axis(out, flat_index, x.reshape(n, c, -1), axis=-1)
        self.flat_index, self.in_shape = flat_index, x.shape
        return out.reshape((n, c) + tuple(plane_shape))

    def backward(self, grad):
        n, c = grad.shape[:2]
        g = np.take_along_axis(grad.reshape(n, c, -1), self.flat_index, axis=-1)
        return g.reshape(self.in_shape), None


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool2d: zeros everywhere but at the max positions."""
    op = "max_unpool2d"
    kernel = _tuple(kernel_size, 2, "kernel_size", op)
    stride = kernel if stride is None else _tuple(stride, 2, "stride", op)
    padding = _tuple(padding, 2, "padding", op)
    if tuple(input.shape) != tuple(indices.shape):
        raise RuntimeError(f"{op}: expected indices of shape {tuple(input.shape)}, got "
                           f"{tuple(indices.shape)}")
    unbatched = input.ndim == 3
    if unbatched:
        input, indices = input.unsqueeze(0), indices.unsqueeze(0)
    default = tuple((input.shape[2 + a] - 1) * stride[a] - 2 * padding[a] + kernel[a]
                    for a in (0, 1))
    size = default if output_size is None else tuple(int(s) for s in tuple(output_size)[-2:])
    out = MaxUnpool.apply(input, indices, plane_shape=size)
    return out.squeeze(0) if unbatched else out


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    (k,) = _tuple(kernel_size, 1, "kernel_size", "max_unpool1d")
    s = k if stride is None else _tuple(stride, 1, "stride", "max_unpool1d")[0]
    (p,) = _tuple(padding, 1, "padding", "max_unpool1d")
    size = None if output_size is None else (1, int(tuple(output_size)[-1]))
    return max_unpool2d(input.unsqueeze(-2), indices.unsqueeze(-2), (1, k), (1, s), (0, p),
                        size).squeeze(-2)
