"""3-d convolution and transposed convolution (video, volumes), written for any number of
spatial dimensions as a sum over kernel offsets.

For each kernel offset κ the input slice that offset sees, x_κ (every S-th position from κ·D),
meets that offset's weights W[:, :, κ] in one matrix product over the channels:
    y = Σ_κ W[:, :, κ] · x_κ + b,   O = ⌊(L + 2P − D (K − 1) − 1)/S⌋ + 1 per spatial dim
Backward runs the same loop: dW[:, :, κ] = Σ dy · x_κ, and dx_κ += W[:, :, κ]ᵀ · dy (a scatter of
the slices back). The transposed convolution is exactly that input-gradient map.
"""

import itertools

import numpy as np

from deepgrad.autograd.function import Function

__all__ = ["conv3d", "conv_transpose3d"]


def _tuple(value, n, name, op):
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise RuntimeError(f"{op}: expected {name} to be a single int or a tuple of {n} "
                               f"ints, got {tuple(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _slices(offset, dilation, stride, count):
    """The positions kernel offset κ reads for ``count`` outputs along each dim."""
    return tuple(slice(k * d, k * d + s * (c - 1) + 1, s)
                 for k, d, s, c in zip(offset, dilation, stride, count))


class ConvNd(Function):
    """Grouped N-d convolution of padded input (N, C, *L) with weight (O, C/g, *K)."""

    def forward(self, x, w, b, stride, padding, dilation, groups):
        n, channels = x.shape[:2]
        spatial = len(padding)
        padded = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
        out_channels, group_in = w.shape[:2]
        kernel = w.shape[2:]
        sizes = tuple((padded.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
                      for i in range(spatial))
        group_out = out_channels // groups
        wg = w.reshape((groups, group_out, group_in) + kernel)
        out = np.zeros((n, groups, group_out, int(np.prod(sizes))), dtype=np.result_type(x, w))
        for offset in itertools.product(*(range(k) for k in kernel)):
            view = padded[(slice(None), slice(None)) + _slices(offset, dilation, stride, sizes)]
            # (G, O/g, C/g) @ (N, G, C/g, positions): one batched BLAS product per offset
            out += wg[(Ellipsis,) + offset] @ view.reshape(n, groups, group_in, -1)
        out = out.reshape((n, out_channels) + sizes)
        if b is not None:
            out += b.reshape((1, -1) + (1,) * spatial)
        self.padded, self.wg, self.args = padded, wg, (stride, padding, dilation, groups)
        self.shapes = (x.shape, w.shape, sizes)
        return out

    def backward(self, grad):
        stride, padding, dilation, groups = self.args
        x_shape, w_shape, sizes = self.shapes
        n = x_shape[0]
        group_out, group_in = self.wg.shape[1:3]
        g = grad.reshape(n, groups, group_out, -1)
        kernel = w_shape[2:]
        need_x, need_w = self.needs_input_grad[0], self.needs_input_grad[1]
        dpadded = np.zeros(self.padded.shape, dtype=grad.dtype) if need_x else None
        dw = np.zeros(self.wg.shape, dtype=grad.dtype) if need_w else None
        for offset in itertools.product(*(range(k) for k in kernel)):
            key = (slice(None), slice(None)) + _slices(offset, dilation, stride, sizes)
            if need_w:
                view = self.padded[key].reshape(n, groups, group_in, -1)
                dw[(Ellipsis,) + offset] = (g @ view.transpose(0, 1, 3, 2)).sum(axis=0)
            if need_x:
                piece = self.wg[(Ellipsis,) + offset].transpose(0, 2, 1) @ g
                dpadded[key] += piece.reshape((n, groups * group_in) + sizes)
        dx = None
        if need_x:
            crop = tuple(slice(p, p + s) for p, s in zip(padding, x_shape[2:]))
            dx = dpadded[(slice(None), slice(None)) + crop]
        db = None
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            db = grad.sum(axis=(0,) + tuple(range(2, grad.ndim)))
        return dx, None if dw is None else dw.reshape(w_shape), db


class ConvTransposeNd(Function):
    """Grouped N-d transposed convolution of (N, C_in, *L) with weight (C_in, C_out/g, *K):
    the adjoint of ``ConvNd`` (each input position stamps the kernel onto the output)."""

    def forward(self, x, w, b, stride, padding, output_padding, dilation, groups):
        n, in_channels = x.shape[:2]
        sizes = x.shape[2:]
        kernel = w.shape[2:]
        group_in, group_out = in_channels // groups, w.shape[1]
        full = tuple((s - 1) * st + d * (k - 1) + 1 + op
                     for s, st, d, k, op in zip(sizes, stride, dilation, kernel, output_padding))
        wg = w.reshape((groups, group_in, group_out) + kernel)
        xg = x.reshape(n, groups, group_in, -1)
        canvas = np.zeros((n, groups, group_out) + full, dtype=np.result_type(x, w))
        for offset in itertools.product(*(range(k) for k in kernel)):
            key = (slice(None),) * 3 + _slices(offset, dilation, stride, sizes)
            stamp = wg[(Ellipsis,) + offset].transpose(0, 2, 1) @ xg  # (N, G, O/g, positions)
            canvas[key] += stamp.reshape((n, groups, group_out) + sizes)
        crop = tuple(slice(p, f - p) for p, f in zip(padding, full))
        out = canvas.reshape((n, groups * group_out) + full)[(slice(None),) * 2 + crop]
        if b is not None:
            out = out + b.reshape((1, -1) + (1,) * len(sizes))
        self.xg, self.wg = xg, wg
        self.args = (stride, padding, dilation, groups, full)
        self.shapes = (x.shape, w.shape)
        return np.ascontiguousarray(out)

    def backward(self, grad):
        stride, padding, dilation, groups, full = self.args
        x_shape, w_shape = self.shapes
        n, sizes, kernel = x_shape[0], x_shape[2:], w_shape[2:]
        group_in, group_out = self.wg.shape[1:3]
        canvas = np.zeros((n, groups * group_out) + full, dtype=grad.dtype)
        crop = tuple(slice(p, f - p) for p, f in zip(padding, full))
        canvas[(slice(None),) * 2 + crop] = grad
        canvas = canvas.reshape((n, groups, group_out) + full)
        need_x, need_w = self.needs_input_grad[0], self.needs_input_grad[1]
        dx = np.zeros(self.xg.shape, dtype=grad.dtype) if need_x else None
        dw = np.zeros(self.wg.shape, dtype=grad.dtype) if need_w else None
        for offset in itertools.product(*(range(k) for k in kernel)):
            view = canvas[(slice(None),) * 3 + _slices(offset, dilation, stride, sizes)]
            view = view.reshape(n, groups, group_out, -1)
            if need_x:
                dx += self.wg[(Ellipsis,) + offset] @ view
            if need_w:
                dw[(Ellipsis,) + offset] = (self.xg @ view.transpose(0, 1, 3, 2)).sum(axis=0)
        db = None
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            db = grad.sum(axis=(0,) + tuple(range(2, grad.ndim)))
        return (None if dx is None else dx.reshape(x_shape),
                None if dw is None else dw.reshape(w_shape), db)


def _check(op, input, weight, bias, groups, transposed):
    if input.ndim not in (4, 5):
        raise RuntimeError(f"{op}: expected a 4-D (unbatched) or 5-D (batched) input, but got "
                           f"input of shape {tuple(input.shape)}")
    if weight.ndim != 5:
        raise RuntimeError(f"{op}: expected a 5-D weight, got weight of shape "
                           f"{tuple(weight.shape)}")
    if groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported (groups={groups})")
    channels = input.shape[-4]
    if transposed:
        if weight.shape[0] != channels or channels % groups:
            raise RuntimeError(f"{op}: given transposed=1, weight of size "
                               f"{list(weight.shape)}, expected input{list(input.shape)} to have "
                               f"{weight.shape[0]} channels, but got {channels} channels instead")
        out_channels = weight.shape[1] * groups
    else:
        if weight.shape[1] * groups != channels:
            raise RuntimeError(f"{op}: given groups={groups}, weight of size "
                               f"{list(weight.shape)}, expected input{list(input.shape)} to have "
                               f"{weight.shape[1] * groups} channels, but got {channels} "
                               f"channels instead")
        out_channels = weight.shape[0]
        if out_channels % groups:
            raise RuntimeError(f"{op}: out_channels {out_channels} must be divisible by "
                               f"groups={groups}")
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"{op}: bias of shape {tuple(bias.shape)} doesn't match "
                           f"{out_channels} output channels (weight {tuple(weight.shape)})")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution of (N, C, D, H, W) with weight (O, C/groups, KD, KH, KW);
    O_d = ⌊(D + 2P − Dil·(K − 1) − 1)/S⌋ + 1 per spatial dim. ``padding`` may be an int, a
    triple, 'valid' or 'same'."""
    op = "conv3d"
    _check(op, input, weight, bias, groups, transposed=False)
    stride = _tuple(stride, 3, "stride", op)
    dilation = _tuple(dilation, 3, "dilation", op)
    if min(stride) <= 0 or min(dilation) <= 0:
        raise RuntimeError(f"{op}: stride and dilation must be positive, got stride={stride}, "
                           f"dilation={dilation}")
    kernel = weight.shape[2:]
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of "
                             f"{{'valid', 'same'}}")
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)] if padding == "same" \
            else [0, 0, 0]
        if any(t % 2 for t in totals):  # uneven 'same' padding: pad the extra at the end
            from deepgrad.ops.shape import pad as pad_op

            widths = []
            for t in reversed(totals):
                widths += [t // 2, t - t // 2]
            input = pad_op(input, widths)
            padding = (0, 0, 0)
        else:
            padding = tuple(t // 2 for t in totals)
    padding = _tuple(padding, 3, "padding", op)
    unbatched = input.ndim == 4
    if unbatched:
        input = input.unsqueeze(0)
    for size, p, d, k in zip(input.shape[2:], padding, dilation, kernel):
        if size + 2 * p < d * (k - 1) + 1:
            raise RuntimeError(f"{op}: Kernel size can't be greater than actual input size "
                               f"(input {tuple(input.shape)}, padding {padding}, weight "
                               f"{tuple(weight.shape)})")
    out = ConvNd.apply(input, weight, bias, stride=stride, padding=padding, dilation=dilation,
                       groups=groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 3-d convolution of (N, C_in, D, H, W) with weight (C_in, C_out/groups, K...);
    D_out = (D − 1)·S − 2P + Dil·(K − 1) + output_padding + 1."""
    op = "conv_transpose3d"
    _check(op, input, weight, bias, groups, transposed=True)
    stride = _tuple(stride, 3, "stride", op)
    padding = _tuple(padding, 3, "padding", op)
    output_padding = _tuple(output_padding, 3, "output_padding", op)
    dilation = _tuple(dilation, 3, "dilation", op)
    if any(o >= max(s, d) for o, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(f"{op}: output padding must be smaller than either stride or "
                           f"dilation, but got output_padding={output_padding}, "
                           f"stride={stride}, dilation={dilation}")
    unbatched = input.ndim == 4
    if unbatched:
        input = input.unsqueeze(0)
    out = ConvTransposeNd.apply(input, weight, bias, stride=stride, padding=padding,
                                output_padding=output_padding, dilation=dilation, groups=groups)
    return out.squeeze(0) if unbatched else out
