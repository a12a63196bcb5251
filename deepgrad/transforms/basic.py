"""The basic transforms: ``Compose``, ``ToTensor``, ``Normalize``, ``Lambda`` (torchvision's)."""

import numpy as np

from deepgrad.tensor import Tensor

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda"]


class Compose:
    """Apply transforms in order: ``Compose([ToTensor(), Normalize(m, s)])(image)``."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for transform in self.transforms:
            x = transform(x)
        return x

    def _batch_fn(self, nchw=False):
        """The same pipeline on a whole batch of raw samples, or None if a step only works
        per image. ``nchw``: whether the batch already is N×C×H×W (true after ``ToTensor``;
        a data set's raw N×H×W(×C) pixels are not, and per-image augmentations need it)."""
        steps = []
        for t in self.transforms:
            step = t._batch_fn(nchw) if hasattr(t, "_batch_fn") else None
            if step is None:
                return None
            steps.append(step)
            nchw = nchw or isinstance(t, ToTensor)

        def run(batch):
            for step in steps:
                batch = step(batch)
            return batch

        return run

    def __repr__(self):
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({inner}\n)"


class ToTensor:
    """An image as a NumPy array (H×W or H×W×C) → a C×H×W tensor.

    uint8 images are scaled to float32 in [0, 1] (x / 255); other dtypes keep their values and
    dtype (torchvision's rule), only the axes move. A 2-D image becomes 1×H×W.
    """

    def __call__(self, pic):
        array = pic._data if isinstance(pic, Tensor) else np.asarray(pic)
        if array.ndim == 2:
            array = array[:, :, None]
        if array.ndim != 3:
            raise ValueError(f"ToTensor: pic should be 2 or 3 dimensional (H×W or H×W×C), got "
                             f"shape {array.shape}")
        chw = array.transpose(2, 0, 1)
        if array.dtype == np.uint8:
            out = chw.astype(np.float32)
            out *= np.float32(1 / 255)
            return Tensor._from_op(out, None)
        return Tensor._from_op(np.ascontiguousarray(chw), None)

    def _batch_fn(self, nchw=False):
        return None if nchw else self._batch

    @staticmethod
    def _batch(images):
        """N×H×W or N×H×W×C images → N×C×H×W, as ``__call__`` does to each."""
        array = images._data if isinstance(images, Tensor) else np.asarray(images)
        if array.ndim == 3:
            array = array[:, None]
        elif array.ndim == 4:
            array = array.transpose(0, 3, 1, 2)
        else:
            raise ValueError(f"ToTensor: a batch should be N×H×W or N×H×W×C, got shape "
                             f"{array.shape}")
        if array.dtype == np.uint8:
            out = array.astype(np.float32)
            out *= np.float32(1 / 255)
            return Tensor._from_op(out, None)
        return Tensor._from_op(np.ascontiguousarray(array), None)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """Per channel: ``out[c] = (x[c] − mean[c]) / std[c]`` on a (..., C, H, W) float tensor
    (one image or a batch). The dtype of the input is kept."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace
        self._mean = np.asarray(mean, dtype=np.float64).reshape(-1, 1, 1)
        self._std = np.asarray(std, dtype=np.float64).reshape(-1, 1, 1)
        if (self._std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to float, leading to "
                             f"division by zero (Normalize(std={std}))")

    def __call__(self, tensor):
        array = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
        if array.dtype.kind != "f":
            raise TypeError(f"Normalize: input tensor should be a float tensor, got "
                            f"{array.dtype} (apply ToTensor first)")
        if array.ndim < 3:
            raise ValueError(f"Normalize: expected a tensor image of shape (..., C, H, W), got "
                             f"shape {array.shape}")
        channels = array.shape[-3]
        if self._mean.shape[0] not in (1, channels) or self._std.shape[0] not in (1, channels):
            raise ValueError(f"Normalize: {self._mean.shape[0]} means / {self._std.shape[0]} "
                             f"stds don't fit an image with {channels} channels (shape "
                             f"{array.shape})")
        mean, std = self._mean.astype(array.dtype), self._std.astype(array.dtype)
        if self.inplace and isinstance(tensor, Tensor):
            array -= mean
            array /= std
            tensor._bump_version()
            return tensor
        return Tensor._from_op((array - mean) / std, None)

    def _batch_fn(self, nchw=False):
        return self if nchw else None  # works on (..., C, H, W)

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


class Lambda:
    """Wrap a function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, x):
        return self.lambd(x)

    def __repr__(self):
        return "Lambda()"
