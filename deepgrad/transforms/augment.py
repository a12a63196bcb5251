"""Data augmentation, seeded by deepgrad's generator, in pure NumPy (torchvision's names).

Every transform takes one image — C×H×W (or H×W) — or a batch N×C×H×W, as a Tensor or a
NumPy array, and returns a Tensor. A random transform draws anew on every call, so each epoch
sees a different variant of each training image (the course's cheap way to enlarge a data set
and regularise). On a batch each image gets its own draw, with no Python loop over the batch.

Coordinates follow torchvision: pixel centres at integer indices, rotations and scalings about
the image centre ((W − 1)/2, (H − 1)/2), rows pointing down. Integer (uint8) images come back
rounded to their dtype; float images keep theirs.
"""

import math
import numbers

import numpy as np

from deepgrad.backend.random import generator as _rng
from deepgrad.tensor import Tensor

__all__ = ["InterpolationMode", "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip",
           "CenterCrop", "Resize", "RandomAffine", "RandomRotation", "RandomErasing",
           "GaussianNoise", "ColorJitter"]


class InterpolationMode:
    """Interpolation names (torchvision's enum values are these strings)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


def _mode(interpolation, op):
    mode = getattr(interpolation, "value", interpolation)
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"{op}: interpolation must be 'nearest' or 'bilinear', got "
                         f"{interpolation!r}")
    return mode


# ----- helpers ---------------------------------------------------------------------------
def _batch(image, op):
    """(N×C×H×W array, function restoring the caller's layout)."""
    array = image._data if isinstance(image, Tensor) else np.asarray(image)
    if array.ndim == 4:
        return array, lambda out: out
    if array.ndim == 3:
        return array[None], lambda out: out[0]
    if array.ndim == 2:
        return array[None, None], lambda out: out[0, 0]
    raise ValueError(f"{op}: expected an image H×W or C×H×W, or a batch N×C×H×W, got shape "
                     f"{array.shape}")


def _out(array):
    return Tensor._from_op(np.ascontiguousarray(array), None)


def _work_dtype(dtype):
    return dtype if dtype.kind == "f" else np.dtype(np.float32)


def _cast_back(values, dtype):
    if dtype.kind == "f":
        return values.astype(dtype, copy=False)
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    if info is None:  # bool
        return values > 0.5
    return np.clip(np.rint(values), info.min, info.max).astype(dtype)


def _max_value(dtype):
    return 1.0 if dtype.kind == "f" else float(np.iinfo(dtype).max) if dtype.kind in "iu" else 1.0


def _pair(size, op):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    size = tuple(int(s) for s in size)
    if len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(f"{op}: size should be an int or a (height, width) pair, got {size}")
    return size


def _range(value, name, op, center=0.0, lower=None):
    """A number v → (center − v, center + v); a pair stays a pair."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative ({op})")
        low, high = center - value, center + value
        return (max(low, lower) if lower is not None else low), high
    value = tuple(float(v) for v in value)
    if len(value) != 2 or value[0] > value[1]:
        raise ValueError(f"{op}: {name} should be a number or a (min, max) pair, got {value}")
    return value


def _fill_array(fill, channels, dtype):
    fill = np.asarray(fill if fill is not None else 0.0, dtype=dtype).reshape(-1)
    if fill.size not in (1, channels):
        raise ValueError(f"fill should have 1 or {channels} values, got {fill.size}")
    return fill.reshape(1, -1, 1, 1)


class _Augment:
    """Augmentations take N×C×H×W batches as they are (one draw per image)."""

    def _batch_fn(self, nchw=False):
        # a data set's raw batch (N×H×W) would pass for one C×H×W image: per image only
        return self if nchw else None


# ----- crops and flips -------------------------------------------------------------------
class RandomCrop(_Augment):
    """Pad (optional), then cut a random ``size`` window: ``top ~ U{0..H − h}``,
    ``left ~ U{0..W − w}``.

    ``padding``: int (all sides), (left/right, top/bottom) or (left, top, right, bottom);
    ``padding_mode``: constant (``fill``), edge, reflect or symmetric; ``pad_if_needed`` pads
    an image smaller than ``size``.
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _pair(size, "RandomCrop")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"RandomCrop: padding_mode should be constant, edge, reflect or "
                             f"symmetric, got {padding_mode!r}")

    def _pad(self, x, left, top, right, bottom):
        if not (left or top or right or bottom):
            return x
        widths = ((0, 0), (0, 0), (top, bottom), (left, right))
        if self.padding_mode == "constant":
            return np.pad(x, widths, mode="constant", constant_values=self.fill)
        return np.pad(x, widths, mode=self.padding_mode)

    def __call__(self, image):
        x, restore = _batch(image, "RandomCrop")
        if self.padding is not None:
            p = (self.padding,) if isinstance(self.padding, numbers.Number) else self.padding
            p = tuple(int(v) for v in p)
            left, top, right, bottom = {1: p * 4, 2: p * 2, 4: p}.get(len(p), (None,) * 4)
            if left is None:
                raise ValueError(f"RandomCrop: padding must be an int or a 1, 2 or 4 element "
                                 f"tuple, got {self.padding}")
            x = self._pad(x, left, top, right, bottom)
        h, w = self.size
        if self.pad_if_needed:
            dh, dw = max(h - x.shape[2], 0), max(w - x.shape[3], 0)
            x = self._pad(x, dw, dh, dw, dh)
        n, _, height, width = x.shape
        if h > height or w > width:
            raise ValueError(f"RandomCrop: required crop size {(h, w)} is larger than the "
                             f"(padded) input image size {(height, width)}")
        rng = _rng()
        top = rng.integers(0, height - h + 1, size=n)
        left = rng.integers(0, width - w + 1, size=n)
        windows = np.lib.stride_tricks.sliding_window_view(x, (h, w), axis=(2, 3))
        return _out(restore(windows[np.arange(n), :, top, left]))

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class _RandomFlip(_Augment):
    axis = -1

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, image):
        x, restore = _batch(image, type(self).__name__)
        flip = _rng().random(x.shape[0]) < self.p
        if not flip.any():
            return _out(restore(x))
        out = x.copy()
        out[flip] = np.flip(x[flip], axis=self.axis)
        return _out(restore(out))

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left–right with probability ``p``."""

    axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Mirror top–bottom with probability ``p``."""

    axis = -2


class CenterCrop(_Augment):
    """Cut the central ``size`` window: ``top = round((H − h) / 2)``,
    ``left = round((W − w) / 2)``; an image smaller than ``size`` is padded with zeros first."""

    def __init__(self, size):
        self.size = _pair(size, "CenterCrop")

    def __call__(self, image):
        x, restore = _batch(image, "CenterCrop")
        h, w = self.size
        height, width = x.shape[2:]
        if h > height or w > width:
            pad_t, pad_l = (h - height) // 2 if h > height else 0, \
                (w - width) // 2 if w > width else 0
            pad_b = (h - height + 1) // 2 if h > height else 0
            pad_r = (w - width + 1) // 2 if w > width else 0
            x = np.pad(x, ((0, 0), (0, 0), (pad_t, pad_b), (pad_l, pad_r)))
            height, width = x.shape[2:]
        top = int(round((height - h) / 2.0))
        left = int(round((width - w) / 2.0))
        return _out(restore(x[:, :, top:top + h, left:left + w]))

    def __repr__(self):
        return f"CenterCrop(size={self.size})"


# ----- resampling ------------------------------------------------------------------------
def _resize_matrix(n_in, n_out, mode, dtype):
    """The (n_out, n_in) matrix M with out = M @ in along one axis.

    bilinear (half-pixel centres, PyTorch's align_corners=False): source position
    s = (i + 0.5)·n_in/n_out − 0.5, clamped at 0; out[i] = (1 − f)·in[⌊s⌋] + f·in[⌊s⌋ + 1].
    nearest: out[i] = in[min(⌊i·n_in/n_out⌋, n_in − 1)].
    """
    rows = np.arange(n_out)
    matrix = np.zeros((n_out, n_in), dtype=np.float64)
    scale = n_in / n_out
    if mode == "nearest":
        matrix[rows, np.minimum(np.floor(rows * scale).astype(np.int64), n_in - 1)] = 1.0
        return matrix.astype(dtype)
    src = np.maximum((rows + 0.5) * scale - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    np.add.at(matrix, (rows, lo), 1.0 - frac)
    np.add.at(matrix, (rows, hi), frac)
    return matrix.astype(dtype)


class Resize(_Augment):
    """Resize to ``size``: a (h, w) pair, or an int that the *shorter* edge is matched to
    (keeping the aspect ratio, torchvision's rule). Bilinear or nearest interpolation as in
    ``torch.nn.functional.interpolate(align_corners=False)``, done as two small matrix
    products (rows, then columns); no antialiasing when shrinking."""

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=None):
        if isinstance(size, numbers.Number):
            self.size = int(size)
        else:
            self.size = _pair(size, "Resize")
        self.interpolation = _mode(interpolation, "Resize")
        self.max_size, self.antialias = max_size, antialias

    def _target(self, height, width):
        if not isinstance(self.size, int):
            return self.size
        short, long = (height, width) if height <= width else (width, height)
        new_short, new_long = self.size, int(self.size * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_short, new_long) if height <= width else (new_long, new_short)

    def __call__(self, image):
        x, restore = _batch(image, "Resize")
        out_h, out_w = self._target(*x.shape[2:])
        dtype = _work_dtype(x.dtype)
        rows = _resize_matrix(x.shape[2], out_h, self.interpolation, dtype)
        cols = _resize_matrix(x.shape[3], out_w, self.interpolation, dtype)
        out = rows @ x.astype(dtype, copy=False) @ cols.T
        return _out(restore(_cast_back(out, x.dtype)))

    def __repr__(self):
        return f"Resize(size={self.size}, interpolation={self.interpolation})"


def _inverse_affine(angle, translate, scale, shear):
    """torchvision's inverse affine matrices (N×2×3), about the centre, for per-image arrays
    of angle (degrees; here as F.affine takes it), translate (N×2 pixels), scale, shear
    (N×2 degrees). Maps centred output coordinates (x right, y down) to input ones."""
    rot, sx, sy = np.radians(angle), np.radians(shear[:, 0]), np.radians(shear[:, 1])
    a = np.cos(rot - sy) / np.cos(sy)
    b = -np.cos(rot - sy) * np.tan(sx) / np.cos(sy) - np.sin(rot)
    c = np.sin(rot - sy) / np.cos(sy)
    d = -np.sin(rot - sy) * np.tan(sx) / np.cos(sy) + np.cos(rot)
    inv = np.stack([np.stack([d, -b], -1), np.stack([-c, a], -1)], 1) / scale[:, None, None]
    offset = -np.einsum("nij,nj->ni", inv, translate)
    return np.concatenate([inv, offset[:, :, None]], axis=2)


def _warp(x, inverse, mode, fill):
    """Sample each image n of x (N×C×H×W) at ``inverse[n] @ (x, y, 1)`` for every output
    pixel; points that fall outside the image take ``fill`` (bilinear: blended by how much of
    the 2×2 neighbourhood lies inside, as torchvision does)."""
    n, channels, height, width = x.shape
    dtype = _work_dtype(x.dtype)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    # coordinates in float64 for float64 images (exact tests), float32 otherwise (speed)
    coord = np.float64 if x.dtype == np.float64 else np.float32
    xs = (np.arange(width) - cx).astype(coord)[None, None, :]
    ys = (np.arange(height) - cy).astype(coord)[None, :, None]
    m = inverse.astype(coord)[:, :, :, None, None]
    src_x = m[:, 0, 0] * xs + m[:, 0, 1] * ys + (m[:, 0, 2] + coord(cx))  # N×H×W
    src_y = m[:, 1, 0] * xs + m[:, 1, 1] * ys + (m[:, 1, 2] + coord(cy))
    hwc = x.transpose(0, 2, 3, 1)  # gather whole pixels (all channels) at once
    batch = np.arange(n)[:, None, None]
    fill = _fill_array(fill, channels, dtype).reshape(1, 1, 1, -1)
    if mode == "nearest":
        col, row = np.rint(src_x).astype(np.intp), np.rint(src_y).astype(np.intp)
        inside = (col >= 0) & (col < width) & (row >= 0) & (row < height)
        np.clip(row, 0, height - 1, out=row)
        np.clip(col, 0, width - 1, out=col)
        flat = (batch * height + row) * width + col  # one gather on the N·H·W pixel table
        values = hwc.reshape(n * height * width, channels)[flat]
        if values.dtype != dtype:
            values = values.astype(dtype)
        out = np.where(inside[..., None], values, fill) if not inside.all() else values
    else:
        floor_x, floor_y = np.floor(src_x), np.floor(src_y)
        fx, fy = (src_x - floor_x).astype(dtype), (src_y - floor_y).astype(dtype)
        col0, row0 = floor_x.astype(np.intp), floor_y.astype(np.intp)
        table = hwc.reshape(n * height * width, channels)
        out = np.zeros((n, height, width, channels), dtype=dtype)
        coverage = np.zeros((n, height, width), dtype=dtype)
        for dr, wr in ((0, 1 - fy), (1, fy)):
            row = row0 + dr
            row_ok = (row >= 0) & (row < height)
            base = batch * height + np.clip(row, 0, height - 1)
            for dc, wc in ((0, 1 - fx), (1, fx)):
                col = col0 + dc
                weight = wr * wc
                weight *= row_ok & (col >= 0) & (col < width)
                out += table[base * width + np.clip(col, 0, width - 1)] * weight[..., None]
                coverage += weight
        out = out * coverage[..., None] + (1 - coverage[..., None]) * fill
    return _cast_back(out.transpose(0, 3, 1, 2), x.dtype)


class RandomAffine(_Augment):
    """Random rotation, translation, scale and shear about the image centre (torchvision's
    ``RandomAffine``): angle ~ U(degrees), shift ~ round(U(±translate·size)) pixels,
    scale ~ U(scale), shear ~ U(shear) degrees. The angle is applied as torchvision's
    ``F.affine`` does (positive = clockwise; ``RandomRotation`` turns counter-clockwise).

    Output pixel p takes the input at ``C + M⁻¹(p − C − t)``, M = rotate·scale·shear.
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation="nearest", fill=0, center=None):
        self.degrees = _range(degrees, "degrees", type(self).__name__)
        if translate is not None:
            translate = tuple(float(t) for t in translate)
            if len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError("translate should be a sequence of two values between 0 and 1")
        if scale is not None:
            scale = tuple(float(s) for s in scale)
            if len(scale) != 2 or any(s <= 0 for s in scale):
                raise ValueError("scale values should be positive")
        if shear is not None:
            shear = _range(shear, "shear", type(self).__name__) \
                if isinstance(shear, numbers.Number) or len(shear) == 2 else tuple(shear)
            if len(shear) not in (2, 4):
                raise ValueError("shear should be a number or a sequence of 2 or 4 values")
        if center is not None:
            raise NotImplementedError("RandomAffine: center other than the image centre is "
                                      "not supported")
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation = _mode(interpolation, type(self).__name__)
        self.fill = fill

    def _params(self, n, height, width, rng):
        angle = rng.uniform(*self.degrees, size=n)
        translate = np.zeros((n, 2))
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * width, self.translate[1] * height
            translate[:, 0] = np.round(rng.uniform(-max_dx, max_dx, size=n))
            translate[:, 1] = np.round(rng.uniform(-max_dy, max_dy, size=n))
        scale = rng.uniform(*self.scale, size=n) if self.scale is not None else np.ones(n)
        shear = np.zeros((n, 2))
        if self.shear is not None:
            shear[:, 0] = rng.uniform(self.shear[0], self.shear[1], size=n)
            if len(self.shear) == 4:
                shear[:, 1] = rng.uniform(self.shear[2], self.shear[3], size=n)
        return angle, translate, scale, shear

    def __call__(self, image):
        x, restore = _batch(image, type(self).__name__)
        angle, translate, scale, shear = self._params(x.shape[0], *x.shape[2:], _rng())
        inverse = _inverse_affine(angle, translate, scale, shear)
        return _out(restore(_warp(x, inverse, self.interpolation, self.fill)))

    def __repr__(self):
        return (f"{type(self).__name__}(degrees={self.degrees}, translate={self.translate}, "
                f"scale={self.scale}, shear={self.shear}, interpolation={self.interpolation})")


class RandomRotation(RandomAffine):
    """Rotate by an angle ~ U(degrees) about the centre; positive = counter-clockwise
    (torchvision's ``RandomRotation``). ``expand`` is not supported."""

    def __init__(self, degrees, interpolation="nearest", expand=False, center=None, fill=0):
        if expand:
            raise NotImplementedError("RandomRotation: expand=True is not supported")
        super().__init__(degrees, interpolation=interpolation, fill=fill, center=center)

    def _params(self, n, height, width, rng):
        angle = rng.uniform(*self.degrees, size=n)
        # torchvision's rotate passes -angle to the affine matrix: counter-clockwise
        return -angle, np.zeros((n, 2)), np.ones(n), np.zeros((n, 2))


# ----- erasing, noise, colour --------------------------------------------------------------
class RandomErasing(_Augment):
    """With probability ``p``, set a random rectangle to ``value`` (torchvision's rule): area
    fraction ~ U(scale), log aspect ratio ~ U(log ratio), ``h = round(√(area·r))``,
    ``w = round(√(area/r))``; up to 10 tries for a rectangle that fits, else no change.
    ``value``: a number, one per channel, or ``"random"`` (standard normal noise)."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        if not 0 <= p <= 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("Scale and ratio should be of kind (min, max)")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    def __call__(self, image):
        x, restore = _batch(image, "RandomErasing")
        n, channels, height, width = x.shape
        rng = _rng()
        tries = 10
        area = height * width * rng.uniform(self.scale[0], self.scale[1], size=(n, tries))
        log_ratio = rng.uniform(math.log(self.ratio[0]), math.log(self.ratio[1]),
                                size=(n, tries))
        aspect = np.exp(log_ratio)
        eh = np.rint(np.sqrt(area * aspect)).astype(np.int64)
        ew = np.rint(np.sqrt(area / aspect)).astype(np.int64)
        fits = (eh < height) & (ew < width)
        first = np.argmax(fits, axis=1)
        chosen = np.arange(n)
        eh, ew = eh[chosen, first], ew[chosen, first]
        apply = (rng.random(n) < self.p) & fits.any(axis=1)
        top = np.floor(rng.random(n) * (height - eh + 1)).astype(np.int64)
        left = np.floor(rng.random(n) * (width - ew + 1)).astype(np.int64)
        rows, cols = np.arange(height), np.arange(width)
        in_rows = (rows[None] >= top[:, None]) & (rows[None] < (top + eh)[:, None])
        in_cols = (cols[None] >= left[:, None]) & (cols[None] < (left + ew)[:, None])
        mask = (in_rows[:, :, None] & in_cols[:, None, :] & apply[:, None, None])[:, None]
        if isinstance(self.value, str):
            if self.value != "random":
                raise ValueError(f"RandomErasing: value should be a number, a sequence or "
                                 f"'random', got {self.value!r}")
            fill = rng.standard_normal(x.shape).astype(_work_dtype(x.dtype))
        else:
            fill = _fill_array(self.value, channels, x.dtype)
        out = np.where(mask, fill, x).astype(x.dtype, copy=False)
        if self.inplace and isinstance(image, Tensor):
            image._data[...] = restore(out)
            image._bump_version()
            return image
        return _out(restore(out))

    def __repr__(self):
        return f"RandomErasing(p={self.p}, scale={self.scale}, ratio={self.ratio})"


class GaussianNoise(_Augment):
    """``x + N(mean, sigma²)`` noise on a float image, clamped to [0, 1] when ``clip``
    (torchvision's ``v2.GaussianNoise``)."""

    def __init__(self, mean=0.0, sigma=0.1, clip=True):
        if sigma < 0:
            raise ValueError(f"GaussianNoise: sigma shouldn't be negative, got {sigma}")
        self.mean, self.sigma, self.clip = mean, sigma, clip

    def __call__(self, image):
        x, restore = _batch(image, "GaussianNoise")
        if x.dtype.kind != "f":
            raise ValueError(f"GaussianNoise: input should be a float tensor, got {x.dtype} "
                             f"(apply ToTensor first)")
        noise = _rng().standard_normal(x.shape, dtype=x.dtype)
        out = x + (noise * x.dtype.type(self.sigma) + x.dtype.type(self.mean))
        if self.clip:
            np.clip(out, 0, 1, out=out)
        return _out(restore(out))

    def __repr__(self):
        return f"GaussianNoise(mean={self.mean}, sigma={self.sigma}, clip={self.clip})"


def _grayscale(x):
    """ITU-R 601-2 luma for 3 channels (0.2989 R + 0.587 G + 0.114 B); 1 channel as is."""
    if x.shape[1] == 3:
        weights = np.asarray([0.2989, 0.587, 0.114], dtype=x.dtype).reshape(1, 3, 1, 1)
        return (x * weights).sum(axis=1, keepdims=True)
    return x


class ColorJitter(_Augment):
    """Random brightness, contrast and saturation (torchvision's ``ColorJitter`` without hue),
    applied in a random order, each with a factor f ~ U(max(0, 1 − v), 1 + v):

    brightness: ``f·x``; contrast: ``f·x + (1 − f)·mean(gray(x))``;
    saturation: ``f·x + (1 − f)·gray(x)``; results clamped to the image's value range.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = self._check(brightness, "brightness")
        self.contrast = self._check(contrast, "contrast")
        self.saturation = self._check(saturation, "saturation")
        if hue not in (0, None, (0, 0)):
            raise NotImplementedError("ColorJitter: hue jitter is not supported (use hue=0)")
        self.hue = None

    @staticmethod
    def _check(value, name):
        if value is None or (isinstance(value, numbers.Number) and value == 0):
            return None
        low, high = _range(value, name, "ColorJitter", center=1.0, lower=0.0)
        return None if low == high == 1 else (low, high)

    def __call__(self, image):
        x, restore = _batch(image, "ColorJitter")
        dtype = _work_dtype(x.dtype)
        bound = _max_value(x.dtype)
        out = x.astype(dtype, copy=True)
        rng = _rng()
        n = x.shape[0]
        for which in rng.permutation(3):
            ranges = (self.brightness, self.contrast, self.saturation)[which]
            if ranges is None:
                continue
            f = rng.uniform(ranges[0], ranges[1], size=n).astype(dtype).reshape(n, 1, 1, 1)
            if which == 0:
                blend = np.zeros((), dtype=dtype)
            elif which == 1:
                blend = _grayscale(out).mean(axis=(1, 2, 3), keepdims=True)
            else:
                if out.shape[1] != 3:
                    continue  # saturation needs colour
                blend = _grayscale(out)
            out = np.clip(f * out + (1 - f) * blend, 0, bound)
        return _out(restore(_cast_back(out, x.dtype)))

    def __repr__(self):
        return (f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation})")
