"""Transforms applied to one sample (``deepgrad.transforms``, torchvision's names)."""

import numpy as np

from deepgrad.tensor import Tensor

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda"]


class Compose:
    """Apply transforms in order."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for transform in self.transforms:
            x = transform(x)
        return x

    def __repr__(self):
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"Compose({inner}\n)"


class ToTensor:
    """HW or HWC uint8 image → C×H×W float32 tensor in [0, 1] (floats are kept as they are)."""

    def __call__(self, image):
        array = image._data if isinstance(image, Tensor) else np.asarray(image)
        if array.ndim == 2:
            array = array[None]
        elif array.ndim == 3:
            array = array.transpose(2, 0, 1)
        else:
            raise ValueError(f"ToTensor: expected an image of 2 or 3 dims, got shape {array.shape}")
        if array.dtype == np.uint8:
            return Tensor._from_op(array.astype(np.float32) / np.float32(255), None)
        return Tensor._from_op(np.ascontiguousarray(array, dtype=np.float32), None)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """(x − mean) / std per channel of a C×H×W tensor."""

    def __init__(self, mean, std):
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1, 1, 1)
        self.std = np.asarray(std, dtype=np.float32).reshape(-1, 1, 1)
        if (self.std == 0).any():
            raise ValueError(f"Normalize: std evaluated to zero ({std}), leading to division "
                             "by zero")

    def __call__(self, x):
        array = x._data if isinstance(x, Tensor) else np.asarray(x, np.float32)
        if array.ndim < 3 or array.shape[-3] not in (1, self.mean.shape[0]) and \
                self.mean.shape[0] != 1:
            raise ValueError(f"Normalize: {self.mean.shape[0]} channel means don't fit an image "
                             f"of shape {array.shape}")
        return Tensor._from_op(((array - self.mean) / self.std).astype(array.dtype), None)

    def __repr__(self):
        return f"Normalize(mean={self.mean.ravel().tolist()}, std={self.std.ravel().tolist()})"


class Lambda:
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)

    def __repr__(self):
        return "Lambda()"


from deepgrad.transforms.augment import *  # noqa: E402,F401,F403
from deepgrad.transforms.augment import __all__ as _augment_all  # noqa: E402

__all__ += _augment_all
