"""Spatial transformers: ``affine_grid`` makes a sampling grid from affine matrices θ,
``grid_sample`` reads the input at those (fractional) positions (bilinear, nearest, bicubic).

Grid values are normalised: −1 is the left/top edge and +1 the right/bottom one. With
``align_corners=True`` they are the centres of the corner pixels, x_pix = (g + 1)/2 · (W − 1);
otherwise the corners' outer edges, x_pix = ((g + 1) W − 1)/2.

Bilinear sampling mixes the four neighbours (x0 = ⌊x⌋, x1 = x0 + 1, same for y):
    out = Σ v(yi, xi) · wy · wx,   wx1 = x − x0, wx0 = 1 − wx1
so ∂out/∂v(yi, xi) = wy · wx (a scatter-add back to the input), and
∂out/∂x = wy0 (v(y0, x1) − v(y0, x0)) + wy1 (v(y1, x1) − v(y1, x0)), times dx/dg.
Padding: 'zeros' reads 0 outside; 'border' clamps the position into the image; 'reflection'
mirrors it at the borders (then clamps), so dx/dg changes sign on mirrored stretches.
"""

import warnings

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.ops import linalg
from deepgrad.tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]


def _align_corners(align_corners):
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                      "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                      "old behavior is desired. See the documentation of grid_sample for "
                      "details.", UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


def _base_coordinates(steps, align_corners, dtype):
    if steps <= 1:
        return np.zeros(max(steps, 1), dtype=dtype)
    line = np.linspace(-1, 1, steps, dtype=dtype)
    return line if align_corners else line * (steps - 1) / steps


def affine_grid(theta, size, align_corners=None):
    """Sampling grid (N, H, W, 2) for 2-D affine matrices θ (N, 2, 3) and output ``size``
    (N, C, H, W): grid[n, h, w] = θ_n · (x_w, y_h, 1); 3-D: θ (N, 3, 4), size (N, C, D, H, W)
    → (N, D, H, W, 3)."""
    align_corners = _align_corners(align_corners)
    if theta.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{list(size)}. Got {tuple(theta.shape)}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{list(size)}. Got {tuple(theta.shape)}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {list(size)}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", UserWarning,
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {list(size)}")
    if theta.shape[0] != size[0]:
        raise ValueError(f"affine_grid: theta has {theta.shape[0]} matrices but size asks for a "
                         f"batch of {size[0]}")
    dtype = theta.dtype
    # coordinates in (x, y[, z], 1) order: x runs along the last spatial dim
    axes = [_base_coordinates(s, align_corners, dtype) for s in reversed(spatial)]
    mesh = np.meshgrid(*reversed(axes), indexing="ij")  # each of shape spatial
    base = np.stack([m for m in reversed(mesh)] + [np.ones(spatial, dtype)], axis=-1)
    points = Tensor._from_op(base.reshape(1, -1, len(spatial) + 1), None)
    grid = linalg.matmul(points, theta.transpose(1, 2))  # (N, ∏spatial, dims)
    return grid.reshape((size[0],) + spatial + (len(spatial),))


def _reflect(x, twice_low, twice_high):
    """Mirror positions into [low, high] (PyTorch's reflect_coordinates) and the slope
    (±1) of that map."""
    if twice_low == twice_high:
        return np.zeros_like(x), np.zeros_like(x)
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    shifted = x - low
    sign = np.where(shifted < 0, -1.0, 1.0)
    distance = np.abs(shifted)
    extra = np.fmod(distance, span)
    flips = np.floor(distance / span)
    even = flips % 2 == 0
    out = np.where(even, extra + low, span - extra + low)
    return out, np.where(even, sign, -sign)


def _source_positions(g, size, padding_mode, align_corners):
    """Pixel positions for normalised grid values g along one axis, and d(position)/dg."""
    if align_corners:
        x, slope = (g + 1) / 2 * (size - 1), np.full_like(g, (size - 1) / 2)
    else:
        x, slope = ((g + 1) * size - 1) / 2, np.full_like(g, size / 2)
    if padding_mode == "border":
        inside = (x > 0) & (x < size - 1)
        x, slope = np.clip(x, 0, size - 1), slope * inside
    elif padding_mode == "reflection":
        if align_corners:
            x, flip = _reflect(x, 0, 2 * (size - 1))
        else:
            x, flip = _reflect(x, -1, 2 * size - 1)
        inside = (x > 0) & (x < size - 1)
        x, slope = np.clip(x, 0, size - 1), slope * flip * inside
    return x, slope


class GridSample2d(Function):
    """Bilinear or nearest sampling of (N, C, H, W) at grid (N, Ho, Wo, 2) positions."""

    def forward(self, x, grid, mode, padding_mode, align_corners):
        n, c, height, width = x.shape
        ho, wo = grid.shape[1:3]
        points = ho * wo
        px, sx = _source_positions(grid[..., 0], width, padding_mode, align_corners)
        py, sy = _source_positions(grid[..., 1], height, padding_mode, align_corners)
        flat = x.reshape(n, c, height * width)
        if mode == "nearest":  # round half to even, as PyTorch's nearbyint
            taps = [(np.rint(py), np.rint(px), np.ones_like(px))]
        else:
            x0, y0 = np.floor(px), np.floor(py)
            wx1, wy1 = px - x0, py - y0
            wx0, wy0 = 1 - wx1, 1 - wy1
            taps = [(y0, x0, wy0 * wx0), (y0, x0 + 1, wy0 * wx1),
                    (y0 + 1, x0, wy1 * wx0), (y0 + 1, x0 + 1, wy1 * wx1)]
            self.weights = [w.reshape(n, 1, points) for w in (wx0, wx1, wy0, wy1)]
            self.slopes = (sx.reshape(n, points), sy.reshape(n, points))
        out = np.zeros((n, c, points), dtype=x.dtype)
        self.taps = []
        for ty, tx, weight in taps:
            valid = ((tx >= 0) & (tx <= width - 1) & (ty >= 0) & (ty <= height - 1))
            valid = valid.reshape(n, 1, points)
            index = np.where(valid, (ty * width + tx).reshape(n, 1, points), 0).astype(np.int64)
            weight = np.where(valid, weight.reshape(n, 1, points), 0).astype(x.dtype)
            # a tap outside the image reads 0 (zeros padding; border/reflection never leave)
            values = np.take_along_axis(flat, np.broadcast_to(index, (n, c, points)), axis=2)
            values = values * valid
            out += values * weight
            self.taps.append((index, weight, values))
        self.shape, self.grid_shape, self.mode = x.shape, grid.shape, mode
        return out.reshape(n, c, ho, wo)

    def backward(self, grad):
        n, c, height, width = self.shape
        g = grad.reshape(n, c, -1)
        grad_input = grad_grid = None
        if self.needs_input_grad[0]:
            total = np.zeros(n * c * height * width, dtype=grad.dtype)
            base = (np.arange(n * c) * (height * width)).reshape(n, c, 1)
            for index, weight, _ in self.taps:
                total += np.bincount((base + index).reshape(-1), (g * weight).reshape(-1),
                                     minlength=total.size)
            grad_input = total.reshape(self.shape)
        if self.needs_input_grad[1]:
            grad_grid = np.zeros((n, g.shape[2], 2), dtype=grad.dtype)
            if self.mode == "bilinear":  # nearest sampling is flat in the grid: zero gradient
                wx0, wx1, wy0, wy1 = self.weights
                v00, v01, v10, v11 = (values for _, _, values in self.taps)
                d_x = (g * (wy0 * (v01 - v00) + wy1 * (v11 - v10))).sum(axis=1)
                d_y = (g * (wx0 * (v10 - v00) + wx1 * (v11 - v01))).sum(axis=1)
                sx, sy = self.slopes
                grad_grid[..., 0] = d_x * sx
                grad_grid[..., 1] = d_y * sy
            grad_grid = grad_grid.reshape(self.grid_shape)
        return grad_input, grad_grid, None, None, None


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` (N, C, H, W) at ``grid`` (N, Ho, Wo, 2) normalised (x, y) positions
    → (N, C, Ho, Wo). mode 'bilinear' or 'nearest'; padding_mode 'zeros', 'border' or
    'reflection'."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    align_corners = _align_corners(align_corners)
    if input.ndim == 5:
        raise NotImplementedError("grid_sample: 5-D (volumetric) inputs are not supported yet")
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected 4D input (N, C, H, W) and a grid of shape "
                           f"(N, H_out, W_out, 2), but got input of shape {tuple(input.shape)} "
                           f"and grid of shape {tuple(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    if input.dtype.kind != "f" or grid.dtype != input.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same floating "
                           f"dtype, but input has {input.dtype} and grid has {grid.dtype}")
    if mode == "bicubic":
        return _grid_sample_bicubic(input, grid, padding_mode, align_corners)
    return GridSample2d.apply(input, grid, mode, padding_mode, align_corners)


def _cubic_weights(t, A=-0.75):
    """Keys' cubic convolution weights (A = −0.75, as PyTorch) of the 4 taps at offsets
    −1, 0, 1, 2 from ⌊x⌋, for the fraction t = x − ⌊x⌋ (differentiable in t)."""
    def near(x):  # |x| ≤ 1
        return ((x * (A + 2) - (A + 3)) * x) * x + 1

    def far(x):  # 1 < |x| < 2
        return ((x * A - 5 * A) * x + 8 * A) * x - 4 * A
    return far(t + 1), near(t), near(1 - t), far(2 - t)


def _tap_coordinates(x, size, padding_mode, align_corners):
    """Integer tap positions after padding (PyTorch's compute_coordinates on each tap)."""
    if padding_mode == "border":
        x = np.clip(x, 0, size - 1)
    elif padding_mode == "reflection":
        x = _reflect(x, 0, 2 * (size - 1))[0] if align_corners else _reflect(x, -1, 2 * size - 1)[0]
        x = np.clip(x, 0, size - 1)
    return x.astype(np.int64)


def _grid_sample_bicubic(input, grid, padding_mode, align_corners):
    """Bicubic sampling: Σ over a 4×4 neighbourhood of v · w_y · w_x with cubic-convolution
    weights; composed of differentiable ops, so gradients reach both input and grid. The grid
    is unnormalised without clamping and padding is applied per tap, as in PyTorch."""
    n, c, h, w = input.shape
    _, ho, wo, _ = grid.shape
    gx, gy = grid[..., 0], grid[..., 1]
    if align_corners:
        ix, iy = (gx + 1) * ((w - 1) / 2), (gy + 1) * ((h - 1) / 2)
    else:
        ix, iy = ((gx + 1) * w - 1) / 2, ((gy + 1) * h - 1) / 2
    x0, y0 = np.floor(ix._data), np.floor(iy._data)
    wx = _cubic_weights(ix - Tensor._from_op(x0, None))
    wy = _cubic_weights(iy - Tensor._from_op(y0, None))
    flat = input.reshape(n, c, h * w)
    out = None
    for j in range(4):
        ty = y0 + (j - 1)
        py = _tap_coordinates(ty, h, padding_mode, align_corners)
        for i in range(4):
            tx = x0 + (i - 1)
            px = _tap_coordinates(tx, w, padding_mode, align_corners)
            valid = (px >= 0) & (px < w) & (py >= 0) & (py < h)
            index = np.where(valid, py * w + px, 0).reshape(n, 1, ho * wo)
            index = Tensor._from_op(np.ascontiguousarray(np.broadcast_to(index, (n, c, ho * wo))),
                                    None)
            value = flat.gather(2, index).reshape(n, c, ho, wo)
            mask = Tensor._from_op(valid.astype(input._data.dtype)[:, None], None)
            term = value * mask * (wy[j] * wx[i]).unsqueeze(1)
            out = term if out is None else out + term
    return out
