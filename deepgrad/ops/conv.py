"""Convolutions: ``conv1d``, ``conv2d``, ``conv_transpose2d``, ``unfold``/``fold``.

A 2-d convolution of an input (N, C, H, W) with weights (O, C/groups, KH, KW) has output size

    O_h = ⌊(H + P_top + P_bottom − D·(KH − 1) − 1) / S⌋ + 1      (the course's (W − K + 2P)/S + 1)

and is computed as one matrix product (im2col): every receptive field becomes a row of
``cols`` (N·O_h·O_w, KH·KW·C), and ``out = cols @ W₂ᵀ`` with W₂ the weights as (O, KH·KW·C).

Layout: the rows of ``cols`` are pixels with the batch folded in, so the product comes out as
(N, O_h, O_w, O) — channels-last memory. It is handed on as an (N, O, O_h, O_w) *view* of that
memory, so no transpose copy is made; NumPy's elementwise ops keep that layout, and the next
convolution reads its input channels-last without copying. The backward pass is two more
GEMMs: dW₂ = dYᵀ @ cols and dcols = dY @ W₂, then col2im scatters dcols back onto the input
with one strided add per kernel offset (a loop over KH·KW offsets, never over pixels).

Few input channels (LeNet's 1 and 6): C-wide rows make narrow, slow GEMMs, so the layout is
turned around — cols (C·KH·KW, N·O_h·O_w), out = W₂ @ cols as (O, N, O_h, O_w) memory, one
wide GEMM for the whole batch in each direction.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import GradMode
from deepgrad.ops._buffers import OUTPUTS as _OUT
from deepgrad.ops._buffers import POOL as _POOL

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


# ----- argument helpers ---------------------------------------------------------------------

def _tuple(value, n, name, op):
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _check_positive(values, name, op):
    if any(v <= 0 for v in values):
        raise RuntimeError(f"{op}: {name} should be greater than zero, but got {name}={values}")


def _out_size(size, k, s, d, lo, hi):
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


# ----- im2col / col2im on channels-last arrays ----------------------------------------------

def _pad_nhwc(x, pads, pooled=None):
    """x (N, C, H, W) → zero-padded contiguous channels-last array (N, Hp, Wp, C).

    If x already lies channels-last in memory and needs no padding this is a free view. With a
    ``pooled`` list, a new array comes from the work-array pool and is appended to it."""
    n, c, h, w = x.shape
    top, bottom, left, right = pads
    xt = x.transpose(0, 2, 3, 1)
    if not (top or bottom or left or right):
        if xt.flags.c_contiguous:
            return xt
        # a window copy gathering C values a plane apart is slow: transpose once first
        if pooled is None:
            return np.ascontiguousarray(xt)
        xp = _POOL.take(xt.shape, x.dtype)
        pooled.append(xp)
        np.copyto(xp, xt)
        return xp
    shape = (n, h + top + bottom, w + left + right, c)
    if pooled is None:
        xp = _OUT.zeros(shape, x.dtype)
    else:
        xp = _POOL.take(shape, x.dtype, zero=True)
        pooled.append(xp)
    xp[:, top:top + h, left:left + w, :] = xt
    return xp


def _window_view(xp, kh, kw, sh, sw, dh, dw, oh, ow):
    """Read-only view (N, O_h, O_w, KH, KW, C) of the receptive fields of xp (N, Hp, Wp, C)."""
    s0, s1, s2, s3 = xp.strides
    return as_strided(xp, (xp.shape[0], oh, ow, kh, kw, xp.shape[3]),
                      (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3), writeable=False)


def _im2col(xp, kh, kw, sh, sw, dh, dw, oh, ow, pooled=None):
    """The receptive fields of xp as a contiguous (N, O_h, O_w, KH, KW, C) array.

    One copy from a strided window view: NumPy merges the (KW, C) axes of an undilated
    window into one contiguous run of KW·C values, where a copy per kernel offset would move
    runs of only C (slow for the few channels of early layers)."""
    n, _, _, c = xp.shape
    if kh == 1 and kw == 1:
        view = xp[:, :sh * (oh - 1) + 1:sh, :sw * (ow - 1) + 1:sw, :]
        if pooled is None or view.flags.c_contiguous:
            return np.ascontiguousarray(view).reshape(n, oh, ow, 1, 1, c)
    shape = (n, oh, ow, kh, kw, c)
    if pooled is None:
        cols = np.empty(shape, dtype=xp.dtype)
    else:
        cols = _POOL.take(shape, xp.dtype)
        pooled.append(cols)
    np.copyto(cols, _window_view(xp, kh, kw, sh, sw, dh, dw, oh, ow))
    return cols


def _col2im(dcols, padded_hw, sh, sw, dh, dw):
    """Adjoint of ``_im2col``: sum dcols (N, O_h, O_w, KH, KW, C) into (N, Hp, Wp, C)."""
    n, oh, ow, kh, kw, c = dcols.shape
    hp, wp = padded_hw
    if sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1 and dh == 1 and dw == 1:
        # windows don't overlap (e.g. stride == kernel): one strided assignment does it
        dxp = _OUT.zeros((n, hp, wp, c), dcols.dtype)
        s0, s1, s2, s3 = dxp.strides
        view = as_strided(dxp, (n, oh, ow, kh, kw, c), (s0, s1 * sh, s2 * sw, s1, s2, s3))
        view[...] = dcols
        return dxp
    dxp = _OUT.zeros((n, hp, wp, c), dcols.dtype)
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            dxp[:, rows, j * dw:j * dw + sw * (ow - 1) + 1:sw, :] += dcols[:, :, :, i, j, :]
    return dxp


# Below this many input channels (and with enough output pixels) conv2d lays channels out
# outermost, (C, N, H, W), and puts the batch's pixels on the inner axis of one wide GEMM,
# instead of channels-last with C-wide rows (LeNet's 1- and 6-channel layers); tests
# lower/raise it to exercise both paths.
SPATIAL_INNER_MAX_CHANNELS = 16


def _use_spatial_inner(c, pixels):
    return c < SPATIAL_INNER_MAX_CHANNELS and pixels >= 64


def _pad_cnhw(x, pads):
    """x (N, C, H, W) zero-padded, as an (N, C, Hp, Wp) view of channels-outer (C, N, Hp, Wp)
    memory; x itself (whatever its layout) when there is no padding."""
    top, bottom, left, right = pads
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    xp = _OUT.zeros((c, n, h + top + bottom, w + left + right), x.dtype)
    xp[:, :, top:top + h, left:left + w] = x.transpose(1, 0, 2, 3)
    return xp.transpose(1, 0, 2, 3)


def _col2im_per_offset(g2, w2, shape, padded_hw, stride, dilation):
    """col2im of dcols = g2 @ w2ᵀ without forming dcols: for each kernel offset one GEMM
    (M, O) @ (O, C) and one add of the (N, O_h, O_w, C) slab."""
    n, oh, ow, kh, kw, c = shape
    (sh, sw), (dh, dw) = stride, dilation
    dxp = _OUT.zeros((n, padded_hw[0], padded_hw[1], c), g2.dtype)
    w4 = w2.reshape(-1, kh, kw, c)
    tmp = _POOL.take((g2.shape[0], c), g2.dtype)
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            np.matmul(g2, w4[:, i, j], out=tmp)
            dxp[:, rows, j * dw:j * dw + sw * (ow - 1) + 1:sw, :] += tmp.reshape(n, oh, ow, c)
    _POOL.give(tmp)
    return dxp


def _col2im_cnhw(g2, w2, shape, padded_hw, stride, dilation):
    """dL/d(padded input) as (C, N, Hp, Wp) from g2 = dY (O, N·O_h·O_w) and W₂ (O, C·KH·KW):
    dcolsᵀ = W₂ᵀ g2 as one GEMM, then one add per kernel offset of its (C, N, O_h, O_w) slab.

    Stride 1 with finite weights: g2 is first zero-padded to the padded width Wp, so that
    offset (i, j) of a whole image plane is one contiguous run shifted by i·D·Wp + j·D, and
    each add moves runs of O_h·Wp values instead of O_w. The padding columns produce exact
    zeros (0·w with w finite), which is all that lands where a run wraps into the next row."""
    c, kh, kw, n, oh, ow = shape
    hp, wp = padded_hw
    (sh, sw), (dh, dw) = stride, dilation
    o = g2.shape[0]
    flat = sh == 1 and sw == 1 and np.isfinite(w2.sum())
    if flat:
        # one slack row per plane takes the last runs' overhang (zeros)
        gp = _POOL.take((o, n, oh, wp), g2.dtype, zero=True)
        gp[:, :, :, :ow] = g2.reshape(o, n, oh, ow)
        g2 = gp.reshape(o, -1)
    dcols = np.matmul(w2.T, g2, out=_POOL.take((c * kh * kw, g2.shape[1]), g2.dtype))
    if flat:
        _POOL.give(gp)
        dxp = _OUT.zeros((c, n, (hp + 1) * wp), g2.dtype)
        run = oh * wp
        slabs = dcols.reshape(c, kh, kw, n, run)
        for i in range(kh):
            for j in range(kw):
                start = i * dh * wp + j * dw
                dxp[:, :, start:start + run] += slabs[:, i, j]
        dxp = dxp.reshape(c, n, hp + 1, wp)[:, :, :hp]
    else:
        dxp = _OUT.zeros((c, n, hp, wp), g2.dtype)
        slabs = dcols.reshape(c, kh, kw, n, oh, ow)
        for i in range(kh):
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            for j in range(kw):
                dxp[:, :, rows, j * dw:j * dw + sw * (ow - 1) + 1:sw] += slabs[:, i, j]
    _POOL.give(dcols)
    return dxp


def _to_nchw(y_nhwc):
    return y_nhwc.transpose(0, 3, 1, 2)


def _check_dtypes(op, x, w, b):
    if x.dtype != w.dtype or (b is not None and b.dtype != x.dtype):
        got = f"input {x.dtype}, weight {w.dtype}" + (f", bias {b.dtype}" if b is not None else "")
        raise RuntimeError(f"{op}: expected input, weight and bias to have the same dtype ({got})")
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")


# ----- conv2d -----------------------------------------------------------------------------------

def _live_taps(size, k, s, d, lo, out):
    """First and last kernel tap (along one axis) that reads a real input element for some
    output position; the taps outside that range only ever multiply zero padding."""
    live = []
    for i in range(k):
        first = lo - i * d  # output position o reads input o·s − lo + i·d
        o0 = max(0, -(-first // s))
        if o0 < out and o0 * s <= size - 1 + lo - i * d:
            live.append(i)
    return live[0], live[-1]


def _dead_tap_crop(x_shape, w_shape, stride, pads, dilation):
    """(row slice, col slice, new pads) that drop kernel taps which only see padding — e.g.
    all but the centre of a 3×3 kernel, padding 1, on the 1×1 maps of ResNet-18's last stage
    on 32×32 inputs — or None when every tap reads the input somewhere."""
    top, bottom, left, right = pads
    if not (top or bottom or left or right):
        return None
    new_pads, slices = [], []
    for axis, (lo, hi) in enumerate(((top, bottom), (left, right))):
        size, k = x_shape[2 + axis], w_shape[2 + axis]
        s, d = stride[axis], dilation[axis]
        out = _out_size(size, k, s, d, lo, hi)
        first, last = _live_taps(size, k, s, d, lo, out)
        new_lo = lo - first * d
        new_hi = (out - 1) * s + (last - first) * d + 1 - size - new_lo
        if new_lo < 0 or new_hi < 0:
            return None
        new_pads += [new_lo, new_hi]
        slices.append(slice(first, last + 1))
    if slices[0] == slice(0, w_shape[2]) and slices[1] == slice(0, w_shape[3]):
        return None
    return slices[0], slices[1], tuple(new_pads)


def _zero_times(values, axes):
    """What the skipped products 0·v add per output channel: NaN where some v is ±inf/NaN
    (as the full computation would give), else 0."""
    bad = ~np.isfinite(values).all(axis=axes)
    return np.where(bad, np.nan, 0).astype(values.dtype)


class Conv2d(Function):
    """y = x ⊛ W + b as im2col + one GEMM (per group), backward as two GEMMs + col2im.

    Kernel taps that only ever read zero padding are dropped first (exactly: they add 0·w),
    so a 3×3 convolution of a 1×1 map costs one tap, not nine."""

    def forward(self, x, w, b, stride, pads, dilation, groups):
        self.pooled = []
        self.crop = crop = _dead_tap_crop(x.shape, w.shape, stride, pads, dilation)
        if crop is None:
            return self._forward(x, w, b, stride, pads, dilation, groups)
        rows, cols, pads = crop
        self.w_shape = w.shape
        out = self._forward(x, w[:, :, rows, cols], b, stride, pads, dilation, groups)
        if not np.isfinite(w.sum()):  # one fast pass decides the common, finite case
            live = np.zeros(w.shape[2:], dtype=bool)
            live[rows, cols] = True
            out += _zero_times(w[:, :, ~live], (1, 2)).reshape(1, -1, 1, 1)
        return out

    def backward(self, grad):
        if self.crop is None:
            return self._backward(grad)
        dx, dw_live, db = self._backward(grad)
        if dw_live is not None:
            rows, cols, _ = self.crop
            # the dropped taps' gradient: Σ dy·0 (NaN for channels whose dy is not finite)
            if np.isfinite(grad.sum()):
                dw = np.zeros(self.w_shape, dtype=dw_live.dtype)
            else:
                dead = _zero_times(grad, (0, 2, 3)).reshape(-1, 1, 1, 1)
                dw = np.broadcast_to(dead, self.w_shape).copy()
            dw[:, :, rows, cols] = dw_live
            dw_live = dw
        return dx, dw_live, db

    def _forward(self, x, w, b, stride, pads, dilation, groups):
        n, c, h, wd = x.shape
        o, cg, kh, kw = w.shape
        sh, sw = stride
        dh, dw = dilation
        top, bottom, left, right = pads
        oh = _out_size(h, kh, sh, dh, top, bottom)
        ow = _out_size(wd, kw, sw, dw, left, right)
        self.spatial_inner = groups == 1 and _use_spatial_inner(c, oh * ow)
        if self.spatial_inner:
            return self._forward_spatial_inner(x, w, b, stride, pads, dilation, oh, ow)
        # the padded input and cols are work arrays from the pool (no fresh pages each step):
        # the padded input goes back at once, cols once backward has run (``release``)
        scratch = []
        xp = _pad_nhwc(x, pads, scratch)
        cols = _im2col(xp, kh, kw, sh, sw, dh, dw, oh, ow, self.pooled)
        if scratch and not np.may_share_memory(cols, xp):  # a 1×1 kernel may keep a view
            _POOL.give(*scratch)
        m = n * oh * ow
        g = groups
        if g == 1:
            cols = cols.reshape(m, kh * kw * c)
            # W₂ as (O, KH·KW·C): the weight copy keeps whole rows of O (transposing O to the
            # inner axis costs more than the GEMM itself for 512 channels); BLAS reads W₂ᵀ
            w2 = w.transpose(0, 2, 3, 1).reshape(o, kh * kw * c)
            out = np.matmul(cols, w2.T, out=_OUT.empty((m, o), cols.dtype))
        else:
            og = o // g
            cols = cols.reshape(m, kh * kw, g, cg).transpose(2, 0, 1, 3).reshape(g, m, -1)
            w2 = w.reshape(g, og, cg, kh, kw).transpose(0, 3, 4, 2, 1).reshape(g, -1, og)
            out = np.matmul(cols, w2).transpose(1, 0, 2).reshape(m, o)
        if b is not None:
            out += b
        self.cols = cols
        self.w2 = w2
        self.geom = (n, c, h, wd, o, cg, kh, kw, oh, ow, stride, dilation, pads, g, xp.shape)
        self._keep_or_give()
        return _to_nchw(out.reshape(n, oh, ow, o))

    def _keep_or_give(self):
        """Without grad mode nothing records this node: its work arrays go back now."""
        if not GradMode.enabled:
            _POOL.give(*self.pooled)
            self.pooled = []

    def release(self):
        _POOL.give(*self.__dict__.get("pooled", ()))
        super().release()

    def _forward_spatial_inner(self, x, w, b, stride, pads, dilation, oh, ow):
        """Few input channels, many pixels: channels outermost. cols is (C·KH·KW, N·O_h·O_w)
        (``unfold``'s rows with the batch folded into the pixels), so the whole batch is one
        wide GEMM out = W (O, C·KH·KW) @ cols, coming out (O, N, O_h, O_w) in memory; the
        output is an (N, O, O_h, O_w) view of it, which the next such layer reads in place."""
        n, c, h, wd = x.shape
        o, _, kh, kw = w.shape
        xp = _pad_cnhw(x, pads)
        cols = _POOL.take((c, kh, kw, n, oh, ow), x.dtype)
        self.pooled.append(cols)
        s0, s1, s2, s3 = xp.strides
        (sh, sw), (dh, dw) = stride, dilation
        windows = as_strided(xp, cols.shape, (s1, s2 * dh, s3 * dw, s0, s2 * sh, s3 * sw),
                             writeable=False)
        np.copyto(cols, windows)  # one copy, not one per kernel offset
        del xp, windows  # a padded copy goes back to the output pool
        cols = cols.reshape(c * kh * kw, n * oh * ow)
        w2 = w.reshape(o, c * kh * kw)
        out = np.matmul(w2, cols, out=_OUT.empty((o, n * oh * ow), cols.dtype))
        if b is not None:
            out += b[:, None]
        self.cols, self.w2 = cols, w2
        self.geom = (x.shape, w.shape, stride, dilation, pads, oh, ow)
        self._keep_or_give()
        return out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)

    def _backward_spatial_inner(self, grad):
        (n, c, h, wd), (o, _, kh, kw), stride, dilation, pads, oh, ow = self.geom
        g2 = np.ascontiguousarray(grad.transpose(1, 0, 2, 3)).reshape(o, n * oh * ow)
        dx = dw = db = None
        if self.needs_input_grad[1]:
            dw = (g2 @ self.cols.T).reshape(o, c, kh, kw)
        if self.needs_input_grad[2]:
            db = g2.sum(axis=1)
        if self.needs_input_grad[0]:
            top, bottom, left, right = pads
            hp, wp = h + top + bottom, wd + left + right
            dxp = _col2im_cnhw(g2, self.w2, (c, kh, kw, n, oh, ow), (hp, wp), stride, dilation)
            dx = dxp[:, :, top:top + h, left:left + wd].transpose(1, 0, 2, 3)
        return dx, dw, db

    def _backward(self, grad):
        if self.spatial_inner:
            return self._backward_spatial_inner(grad)
        n, c, h, wd, o, cg, kh, kw, oh, ow, stride, dilation, pads, g, xp_shape = self.geom
        m = n * oh * ow
        g2 = grad.transpose(0, 2, 3, 1).reshape(m, o)
        dx = dw = db = None
        if g == 1:
            if self.needs_input_grad[1]:
                dw = (g2.T @ self.cols).reshape(o, kh, kw, c).transpose(0, 3, 1, 2)
                dw = np.ascontiguousarray(dw)
            if self.needs_input_grad[0]:
                # few channels: gathering dcols' C-wide strips is slow, so one small GEMM
                # per kernel offset writes each slab contiguously instead
                dcols = None
                if c >= 32 or kh * kw == 1:
                    dcols = np.matmul(g2, self.w2, out=_POOL.take((m, kh * kw * c), g2.dtype))
                    scratch = dcols
                    dcols = dcols.reshape(n, oh, ow, kh, kw, c)
        else:
            og = o // g
            gg = g2.reshape(m, g, og).transpose(1, 0, 2)
            if self.needs_input_grad[1]:
                dw2 = np.matmul(self.cols.transpose(0, 2, 1), gg)  # (G, KH·KW·Cg, Og)
                dw = dw2.reshape(g, kh, kw, cg, og).transpose(0, 4, 3, 1, 2).reshape(o, cg, kh, kw)
            if self.needs_input_grad[0]:
                dcols = np.matmul(gg, self.w2.transpose(0, 2, 1))  # (G, M, KH·KW·Cg)
                dcols = dcols.reshape(g, m, kh * kw, cg).transpose(1, 2, 0, 3)
                dcols = dcols.reshape(n, oh, ow, kh, kw, c)
        if self.needs_input_grad[0]:
            if dcols is None:
                dxp = _col2im_per_offset(g2, self.w2, (n, oh, ow, kh, kw, c), xp_shape[1:3],
                                         stride, dilation)
            else:
                dxp = _col2im(dcols, xp_shape[1:3], *stride, *dilation)
                if g == 1:
                    _POOL.give(scratch)
            top, _, left, _ = pads
            dx = _to_nchw(dxp[:, top:top + h, left:left + wd, :])
        if self.needs_input_grad[2]:
            db = g2.sum(axis=0)
        return dx, dw, db


def _conv_padding(padding, k, dilation, stride, op):
    """Explicit (top, bottom, left, right) padding from an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
            pads = []
            for kk, d in zip(k, dilation):
                total = d * (kk - 1)
                pads += [total // 2, total - total // 2]
            return tuple(pads)
        raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of "
                         f"{{'valid', 'same'}}")
    ph, pw = _tuple(padding, 2, "padding", op)
    if ph < 0 or pw < 0:
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={padding}")
    return (ph, ph, pw, pw)


def _check_conv_input(op, x, w, b, groups, pads, stride, dilation, spatial_dims):
    want = spatial_dims + 2
    if x.ndim not in (want - 1, want):
        raise RuntimeError(f"{op}: expected a {want - 1}-D (unbatched) or {want}-D (batched) "
                           f"input, but got input of shape {tuple(x.shape)}")
    if w.ndim != want:
        raise RuntimeError(f"{op}: expected a {want}-D weight, got weight of shape "
                           f"{tuple(w.shape)}")
    if groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported (groups={groups})")
    _check_positive(stride, "stride", op)
    _check_positive(dilation, "dilation", op)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation, as in every framework) of (N, C, H, W) with
    weight (O, C/groups, KH, KW); output (N, O, O_h, O_w) with
    O_h = ⌊(H + 2P − D·(K − 1) − 1)/S⌋ + 1. ``padding`` may be an int, a pair, 'valid' or 'same'.

    Example (the course's): a 5×5 binary image ⊛ the 3×3 "X" kernel [[1,0,1],[0,1,0],[1,0,1]]
    gives [[4,3,4],[2,4,3],[2,3,4]].
    """
    op = "conv2d"
    stride = _tuple(stride, 2, "stride", op)
    dilation = _tuple(dilation, 2, "dilation", op)
    _check_conv_input(op, input, weight, bias, groups, None, stride, dilation, 2)
    pads = _conv_padding(padding, weight.shape[2:], dilation, stride, op)
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    _check_conv_shapes(op, input.shape, weight.shape, bias, groups, pads, dilation)
    _check_dtypes(op, input._data, weight._data, None if bias is None else bias._data)
    out = Conv2d.apply(input, weight, bias, stride=stride, pads=pads, dilation=dilation,
                       groups=groups)
    return out.squeeze(0) if unbatched else out


def _check_conv_shapes(op, x_shape, w_shape, bias, groups, pads, dilation):
    c = x_shape[1]
    o, cg = w_shape[0], w_shape[1]
    if cg * groups != c:
        raise RuntimeError(
            f"{op}: given groups={groups}, weight of size {tuple(w_shape)}, expected input"
            f"{tuple(x_shape)} to have {cg * groups} channels, but got {c} channels instead")
    if o % groups:
        raise RuntimeError(f"{op}: out_channels {o} (weight {tuple(w_shape)}) must be divisible "
                           f"by groups={groups}")
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"{op}: bias of shape {tuple(bias.shape)} doesn't match "
                           f"{o} output channels (weight {tuple(w_shape)})")
    padded = (x_shape[2] + pads[0] + pads[1], x_shape[3] + pads[2] + pads[3])
    eff = tuple(d * (k - 1) + 1 for k, d in zip(w_shape[2:], dilation))
    if padded[0] < eff[0] or padded[1] < eff[1]:
        raise RuntimeError(
            f"{op}: calculated padded input size per channel: ({padded[0]} x {padded[1]}). "
            f"Kernel size: ({eff[0]} x {eff[1]}). Kernel size can't be greater than actual "
            f"input size (input {tuple(x_shape)}, weight {tuple(w_shape)})")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution of (N, C, L) with weight (O, C/groups, K): conv2d on a height-1 image."""
    op = "conv1d"
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected a 2-D (unbatched) or 3-D (batched) input, but got "
                           f"input of shape {tuple(input.shape)}")
    if weight.ndim != 3:
        raise RuntimeError(f"{op}: expected a 3-D weight, got weight of shape "
                           f"{tuple(weight.shape)}")
    (s,) = _tuple(stride, 1, "stride", op)
    (d,) = _tuple(dilation, 1, "dilation", op)
    _check_positive((s,), "stride", op)
    _check_positive((d,), "dilation", op)
    if isinstance(padding, str):
        if padding == "same" and s != 1:
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        pads = _conv_padding(padding, (1,) + tuple(weight.shape[2:]), (1, d), (1, 1), op)
    else:
        (p,) = _tuple(padding, 1, "padding", op)
        if p < 0:
            raise RuntimeError(f"{op}: negative padding is not supported, got padding={padding}")
        pads = (0, 0, p, p)
    unbatched = input.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    x4 = input.unsqueeze(2)
    w4 = weight.unsqueeze(2)
    if groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported (groups={groups})")
    _check_conv_shapes(op, x4.shape, w4.shape, bias, groups, pads, (1, d))
    _check_dtypes(op, input._data, weight._data, None if bias is None else bias._data)
    out = Conv2d.apply(x4, w4, bias, stride=(1, s), pads=pads, dilation=(1, d),
                       groups=groups).squeeze(2)
    return out.squeeze(0) if unbatched else out


# ----- transposed convolution ---------------------------------------------------------------

class ConvTranspose2d(Function):
    """The adjoint of conv2d: y = col2im(x @ W₂). Its backward is a convolution of dY."""

    def forward(self, x, w, b, stride, padding, output_padding, dilation, groups):
        n, cin, h, wd = x.shape
        _, og, kh, kw = w.shape
        g = groups
        cg = cin // g
        o = og * g
        sh, sw = stride
        dh, dw = dilation
        ph, pw = padding
        full_h = (h - 1) * sh + dh * (kh - 1) + 1 + output_padding[0]
        full_w = (wd - 1) * sw + dw * (kw - 1) + 1 + output_padding[1]
        oh, ow = full_h - 2 * ph, full_w - 2 * pw
        m = n * h * wd
        xr = x.transpose(0, 2, 3, 1).reshape(m, cin)
        if g == 1:
            w2 = w.transpose(0, 2, 3, 1).reshape(cin, kh * kw * o)
            dcols = (xr @ w2).reshape(n, h, wd, kh, kw, o)
        else:
            xr = xr.reshape(m, g, cg).transpose(1, 0, 2)
            w2 = w.reshape(g, cg, og, kh, kw).transpose(0, 1, 3, 4, 2).reshape(g, cg, -1)
            dcols = np.matmul(xr, w2).reshape(g, m, kh * kw, og).transpose(1, 2, 0, 3)
            dcols = dcols.reshape(n, h, wd, kh, kw, o)
        full = _col2im(dcols, (full_h, full_w), sh, sw, dh, dw)
        out = full[:, ph:ph + oh, pw:pw + ow, :]
        if b is not None:
            out = out + b
        self.xr, self.w2 = xr, w2
        self.geom = (n, cin, h, wd, o, og, cg, kh, kw, oh, ow, stride, dilation, padding,
                     (full_h, full_w), g)
        return _to_nchw(out)

    def backward(self, grad):
        (n, cin, h, wd, o, og, cg, kh, kw, oh, ow, stride, dilation, padding, full_hw,
         g) = self.geom
        ph, pw = padding
        gp = np.zeros((n, full_hw[0], full_hw[1], o), dtype=grad.dtype)
        gp[:, ph:ph + oh, pw:pw + ow, :] = grad.transpose(0, 2, 3, 1)
        cols = _im2col(gp, kh, kw, *stride, *dilation, h, wd)  # (N, H, W, KH, KW, O)
        m = n * h * wd
        dx = dw = db = None
        if g == 1:
            cols = cols.reshape(m, kh * kw * o)
            if self.needs_input_grad[0]:
                dx = _to_nchw((cols @ self.w2.T).reshape(n, h, wd, cin))
            if self.needs_input_grad[1]:
                dw = (self.xr.T @ cols).reshape(cin, kh, kw, o).transpose(0, 3, 1, 2)
                dw = np.ascontiguousarray(dw)
        else:
            cols = cols.reshape(m, kh * kw, g, og).transpose(2, 0, 1, 3).reshape(g, m, -1)
            if self.needs_input_grad[0]:
                dxg = np.matmul(cols, self.w2.transpose(0, 2, 1))  # (G, M, Cg)
                dx = _to_nchw(dxg.transpose(1, 0, 2).reshape(n, h, wd, cin))
            if self.needs_input_grad[1]:
                dw2 = np.matmul(self.xr.transpose(0, 2, 1), cols)  # (G, Cg, KH·KW·Og)
                dw = dw2.reshape(g, cg, kh, kw, og).transpose(0, 1, 4, 2, 3).reshape(
                    cin, og, kh, kw)
        if self.needs_input_grad[2]:
            db = grad.sum(axis=(0, 2, 3))
        return dx, dw, db


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed ("fractionally strided") 2-d convolution, weight (C_in, O/groups, KH, KW);
    O_h = (H − 1)·S − 2P + D·(KH − 1) + output_padding + 1."""
    op = "conv_transpose2d"
    stride = _tuple(stride, 2, "stride", op)
    dilation = _tuple(dilation, 2, "dilation", op)
    padding = _tuple(padding, 2, "padding", op)
    output_padding = _tuple(output_padding, 2, "output_padding", op)
    _check_conv_input(op, input, weight, bias, groups, None, stride, dilation, 2)
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    out = _conv_transpose(op, input, weight, bias, stride, padding, output_padding, groups,
                          dilation)
    return out.squeeze(0) if unbatched else out


def _conv_transpose(op, input, weight, bias, stride, padding, output_padding, groups, dilation):
    c = input.shape[1]
    if c != weight.shape[0] or c % groups:
        raise RuntimeError(
            f"{op}: given groups={groups}, weight of size {tuple(weight.shape)}, expected input"
            f"{tuple(input.shape)} to have {weight.shape[0]} channels, but got {c} channels "
            f"instead")
    o = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"{op}: bias of shape {tuple(bias.shape)} doesn't match {o} output "
                           f"channels (weight {tuple(weight.shape)})")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={padding}")
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= s and op_ >= d:
            raise RuntimeError(f"{op}: output padding must be smaller than either stride or "
                               f"dilation, but got output_padding={output_padding}, "
                               f"stride={stride}, dilation={dilation}")
    for size, k, s, d, p, op_ in zip(input.shape[2:], weight.shape[2:], stride, dilation,
                                     padding, output_padding):
        if (size - 1) * s + d * (k - 1) + 1 + op_ - 2 * p <= 0:
            raise RuntimeError(f"{op}: input {tuple(input.shape)} with weight "
                               f"{tuple(weight.shape)}, stride {stride}, padding {padding} "
                               f"gives an empty output")
    _check_dtypes(op, input._data, weight._data, None if bias is None else bias._data)
    return ConvTranspose2d.apply(input, weight, bias, stride=stride, padding=padding,
                                 output_padding=output_padding, dilation=dilation, groups=groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 1-d convolution: conv_transpose2d on a height-1 image."""
    op = "conv_transpose1d"
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise RuntimeError(f"{op}: expected a 2-D or 3-D input and a 3-D weight, got input "
                           f"{tuple(input.shape)} and weight {tuple(weight.shape)}")
    (s,) = _tuple(stride, 1, "stride", op)
    (d,) = _tuple(dilation, 1, "dilation", op)
    (p,) = _tuple(padding, 1, "padding", op)
    (opad,) = _tuple(output_padding, 1, "output_padding", op)
    _check_positive((s,), "stride", op)
    _check_positive((d,), "dilation", op)
    unbatched = input.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    out = _conv_transpose(op, input.unsqueeze(2), weight.unsqueeze(2), bias, (1, s), (0, p),
                          (0, opad), groups, (1, d)).squeeze(2)
    return out.squeeze(0) if unbatched else out


# ----- unfold / fold ------------------------------------------------------------------------

class Unfold(Function):
    """(N, C, H, W) → (N, C·KH·KW, L): every receptive field as a column (C-major order)."""

    def forward(self, x, kernel, dilation, padding, stride):
        n, c, h, w = x.shape
        kh, kw = kernel
        ph, pw = padding
        oh = _out_size(h, kh, stride[0], dilation[0], ph, ph)
        ow = _out_size(w, kw, stride[1], dilation[1], pw, pw)
        xp = _pad_nhwc(x, (ph, ph, pw, pw))
        cols = _im2col(xp, kh, kw, *stride, *dilation, oh, ow)
        self.geom = (x.shape, xp.shape[1:3], kernel, dilation, padding, stride, oh, ow)
        return cols.transpose(0, 5, 3, 4, 1, 2).reshape(n, c * kh * kw, oh * ow)

    def backward(self, grad):
        (n, c, h, w), padded_hw, (kh, kw), dilation, (ph, pw), stride, oh, ow = self.geom
        dcols = grad.reshape(n, c, kh, kw, oh, ow).transpose(0, 4, 5, 2, 3, 1)
        dxp = _col2im(dcols, padded_hw, *stride, *dilation)
        return _to_nchw(dxp[:, ph:ph + h, pw:pw + w, :])


class Fold(Function):
    """(N, C·KH·KW, L) → (N, C, H, W): sums overlapping values (the adjoint of unfold)."""

    def forward(self, x, output_size, kernel, dilation, padding, stride, blocks):
        n = x.shape[0]
        kh, kw = kernel
        c = x.shape[1] // (kh * kw)
        oh, ow = blocks
        h, w = output_size
        ph, pw = padding
        dcols = x.reshape(n, c, kh, kw, oh, ow).transpose(0, 4, 5, 2, 3, 1)
        dxp = _col2im(dcols, (h + 2 * ph, w + 2 * pw), *stride, *dilation)
        self.geom = (x.shape, kernel, dilation, padding, stride, oh, ow, c)
        return _to_nchw(dxp[:, ph:ph + h, pw:pw + w, :])

    def backward(self, grad):
        shape, (kh, kw), dilation, (ph, pw), stride, oh, ow, c = self.geom
        xp = _pad_nhwc(grad, (ph, ph, pw, pw))
        cols = _im2col(xp, kh, kw, *stride, *dilation, oh, ow)
        return cols.transpose(0, 5, 3, 4, 1, 2).reshape(shape)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks: (N, C, H, W) → (N, C·∏kernel, L), as ``F.unfold``."""
    op = "unfold"
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected a 3-D or 4-D input, got input of shape "
                           f"{tuple(input.shape)}")
    kernel = _tuple(kernel_size, 2, "kernel_size", op)
    dilation = _tuple(dilation, 2, "dilation", op)
    padding = _tuple(padding, 2, "padding", op)
    stride = _tuple(stride, 2, "stride", op)
    _check_positive(kernel, "kernel_size", op)
    _check_positive(stride, "stride", op)
    _check_positive(dilation, "dilation", op)
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    for size, k, d, p in zip(input.shape[2:], kernel, dilation, padding):
        if size + 2 * p < d * (k - 1) + 1:
            raise RuntimeError(f"{op}: input {tuple(input.shape)} with padding {padding} is "
                               f"smaller than the kernel {kernel} (dilation {dilation})")
    out = Unfold.apply(input, kernel=kernel, dilation=dilation, padding=padding, stride=stride)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks into an image, summing overlaps, as ``F.fold``."""
    op = "fold"
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected a 2-D or 3-D input, got input of shape "
                           f"{tuple(input.shape)}")
    output_size = _tuple(output_size, 2, "output_size", op)
    kernel = _tuple(kernel_size, 2, "kernel_size", op)
    dilation = _tuple(dilation, 2, "dilation", op)
    padding = _tuple(padding, 2, "padding", op)
    stride = _tuple(stride, 2, "stride", op)
    _check_positive(kernel, "kernel_size", op)
    _check_positive(stride, "stride", op)
    _check_positive(dilation, "dilation", op)
    unbatched = input.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    kk = kernel[0] * kernel[1]
    if input.shape[1] % kk:
        raise RuntimeError(f"{op}: expected size of input's dimension 1 ({input.shape[1]}) to be "
                           f"divisible by the product of kernel_size {kernel}")
    blocks = tuple(_out_size(s, k, st, d, p, p)
                   for s, k, st, d, p in zip(output_size, kernel, stride, dilation, padding))
    if blocks[0] <= 0 or blocks[1] <= 0 or blocks[0] * blocks[1] != input.shape[2]:
        raise RuntimeError(f"{op}: expected input's dimension 2 ({input.shape[2]}) to match the "
                           f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
                           f"{blocks[0] * blocks[1]} (output_size {output_size}, kernel "
                           f"{kernel}, padding {padding}, stride {stride}, dilation {dilation})")
    out = Fold.apply(input, output_size=output_size, kernel=kernel, dilation=dilation,
                     padding=padding, stride=stride, blocks=blocks)
    return out.squeeze(0) if unbatched else out
