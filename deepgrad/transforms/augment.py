"""Data augmentation on one C×H×W image (Tensor or array), seeded by deepgrad's generator.

Each transform makes a new random choice per call, so every epoch sees a different variant of
each training image — the course's cheap way to enlarge a data set and regularise.
"""

import math

import numpy as np

from deepgrad.backend.random import generator as _rng
from deepgrad.tensor import Tensor

__all__ = ["RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "CenterCrop", "Resize",
           "GaussianNoise", "RandomErasing", "ColorJitter", "RandomRotation", "RandomAffine"]


def _array(image, op):
    array = image._data if isinstance(image, Tensor) else np.asarray(image)
    if array.ndim != 3:
        raise ValueError(f"{op}: expected a C×H×W image, got shape {array.shape}")
    return array


def _out(array):
    return Tensor._from_op(np.ascontiguousarray(array), None)


def _pair(size):
    return (size, size) if isinstance(size, int) else tuple(size)


class RandomCrop:
    """Pad by ``padding`` (zeros), then cut a random ``size`` window."""

    def __init__(self, size, padding=0, fill=0):
        self.size, self.padding, self.fill = _pair(size), padding, fill

    def __call__(self, image):
        array = _array(image, "RandomCrop")
        p = self.padding
        if p:
            array = np.pad(array, ((0, 0), (p, p), (p, p)), constant_values=self.fill)
        h, w = self.size
        if h > array.shape[1] or w > array.shape[2]:
            raise ValueError(f"RandomCrop: crop size {self.size} is larger than the padded image "
                             f"{array.shape[1:]}")
        rng = _rng()
        top = int(rng.integers(0, array.shape[1] - h + 1))
        left = int(rng.integers(0, array.shape[2] - w + 1))
        return _out(array[:, top:top + h, left:left + w])


class RandomHorizontalFlip:
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, image):
        array = _array(image, "RandomHorizontalFlip")
        return _out(array[:, :, ::-1] if _rng().random() < self.p else array)


class RandomVerticalFlip:
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, image):
        array = _array(image, "RandomVerticalFlip")
        return _out(array[:, ::-1, :] if _rng().random() < self.p else array)


class CenterCrop:
    def __init__(self, size):
        self.size = _pair(size)

    def __call__(self, image):
        array = _array(image, "CenterCrop")
        h, w = self.size
        top = int(round((array.shape[1] - h) / 2.0))
        left = int(round((array.shape[2] - w) / 2.0))
        if top < 0 or left < 0:
            raise ValueError(f"CenterCrop: size {self.size} larger than image {array.shape[1:]}")
        return _out(array[:, top:top + h, left:left + w])


def _sample(array, rows, cols, fill=0.0):
    """Bilinear sampling of every channel at float coordinates (rows, cols); outside → fill."""
    c, h, w = array.shape
    r0, c0 = np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)
    fr, fc = (rows - r0).astype(np.float32), (cols - c0).astype(np.float32)
    out = np.zeros((c,) + rows.shape, dtype=np.float32)
    weight_sum = np.zeros(rows.shape, dtype=np.float32)
    for dr, wr in ((0, 1 - fr), (1, fr)):
        for dc, wc in ((0, 1 - fc), (1, fc)):
            rr, cc = r0 + dr, c0 + dc
            inside = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
            weight = wr * wc * inside
            out += array[:, np.clip(rr, 0, h - 1), np.clip(cc, 0, w - 1)] * weight
            weight_sum += weight
    out += fill * (1 - weight_sum)
    return out.astype(array.dtype if array.dtype.kind == "f" else np.float32)


class Resize:
    """Resize to ``size`` (h, w) with bilinear (half-pixel centres) or nearest sampling."""

    def __init__(self, size, interpolation="bilinear"):
        self.size, self.interpolation = _pair(size), interpolation

    def __call__(self, image):
        array = _array(image, "Resize").astype(np.float32, copy=False)
        h, w = array.shape[1:]
        out_h, out_w = self.size
        rows = (np.arange(out_h) + 0.5) * h / out_h - 0.5
        cols = (np.arange(out_w) + 0.5) * w / out_w - 0.5
        if self.interpolation == "nearest":
            r = np.minimum(np.floor(np.arange(out_h) * h / out_h).astype(int), h - 1)
            c = np.minimum(np.floor(np.arange(out_w) * w / out_w).astype(int), w - 1)
            return _out(array[:, r][:, :, c])
        rows = np.clip(rows, 0, h - 1)
        cols = np.clip(cols, 0, w - 1)
        grid_r, grid_c = np.meshgrid(rows, cols, indexing="ij")
        return _out(_sample(array, grid_r, grid_c))


class RandomAffine:
    """Random rotation (degrees, counter-clockwise), translation (fractions of size) and
    scale; bilinear sampling, fill 0 outside."""

    def __init__(self, degrees=0, translate=None, scale=None, fill=0.0):
        self.degrees = (-degrees, degrees) if isinstance(degrees, (int, float)) else degrees
        self.translate, self.scale, self.fill = translate, scale, fill

    def __call__(self, image):
        array = _array(image, type(self).__name__).astype(np.float32, copy=False)
        rng = _rng()
        _, h, w = array.shape
        # positive degrees turn the image counter-clockwise (torchvision's convention)
        angle = -math.radians(rng.uniform(*self.degrees))
        scale = rng.uniform(*self.scale) if self.scale else 1.0
        tx = rng.uniform(-self.translate[0], self.translate[0]) * w if self.translate else 0.0
        ty = rng.uniform(-self.translate[1], self.translate[1]) * h if self.translate else 0.0
        cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
        grid_r, grid_c = np.meshgrid(np.arange(h, dtype=np.float64),
                                     np.arange(w, dtype=np.float64), indexing="ij")
        # inverse map: output pixel -> input coordinate
        y, x = grid_r - cy - ty, grid_c - cx - tx
        cos, sin = math.cos(angle) / scale, math.sin(angle) / scale
        src_c = cos * x + sin * y + cx
        src_r = -sin * x + cos * y + cy
        return _out(_sample(array, src_r, src_c, self.fill))


class RandomRotation(RandomAffine):
    def __init__(self, degrees, fill=0.0):
        super().__init__(degrees=degrees, fill=fill)


class GaussianNoise:
    """x + N(mean, sigma²) noise."""

    def __init__(self, mean=0.0, sigma=0.1):
        self.mean, self.sigma = mean, sigma

    def __call__(self, image):
        array = _array(image, "GaussianNoise")
        noise = _rng().normal(self.mean, self.sigma, array.shape)
        return _out((array + noise).astype(array.dtype if array.dtype.kind == "f" else np.float32))


class RandomErasing:
    """With probability p, set a random rectangle (area fraction ``scale``, aspect ``ratio``)
    to ``value``."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0):
        self.p, self.scale, self.ratio, self.value = p, scale, ratio, value

    def __call__(self, image):
        array = _array(image, "RandomErasing")
        rng = _rng()
        if rng.random() >= self.p:
            return _out(array)
        _, h, w = array.shape
        for _ in range(10):
            area = h * w * rng.uniform(*self.scale)
            aspect = math.exp(rng.uniform(math.log(self.ratio[0]), math.log(self.ratio[1])))
            eh, ew = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
            if 0 < eh < h and 0 < ew < w:
                top, left = int(rng.integers(0, h - eh + 1)), int(rng.integers(0, w - ew + 1))
                array = array.copy()
                array[:, top:top + eh, left:left + ew] = self.value
                break
        return _out(array)


class ColorJitter:
    """Random brightness (x·b) and contrast ((x − mean)·c + mean) factors in [1 − v, 1 + v]."""

    def __init__(self, brightness=0.0, contrast=0.0):
        self.brightness, self.contrast = brightness, contrast

    def __call__(self, image):
        array = _array(image, "ColorJitter").astype(np.float32, copy=False)
        rng = _rng()
        if self.brightness:
            array = array * rng.uniform(1 - self.brightness, 1 + self.brightness)
        if self.contrast:
            mean = array.mean()
            array = (array - mean) * rng.uniform(1 - self.contrast, 1 + self.contrast) + mean
        return _out(np.clip(array, 0, 1).astype(np.float32))
