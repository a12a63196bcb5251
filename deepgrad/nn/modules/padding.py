"""Padding layers: thin modules around ``F.pad``.

``padding`` is one int (the same on every side) or 2·n ints (left, right[, top, bottom[, front,
back]]), the last dimension first, as ``F.pad``. Modes:
    constant / zero: fill with a value          reflection: mirror without the edge (dcb|abcd|cba)
    replication: repeat the edge (aaa|abcd|ddd)  circular: wrap around (bcd|abcd|abc)
"""

from deepgrad.nn.module import Module
from deepgrad.ops.shape import pad

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


def _padding_tuple(padding, dims, name):
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2 * dims:
            raise ValueError(f"{name}: padding must be an int or a tuple of {2 * dims} ints, got "
                             f"{tuple(padding)}")
        return tuple(int(p) for p in padding)
    return (int(padding),) * (2 * dims)


class _PadNd(Module):
    _dims = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _padding_tuple(padding, self._dims, type(self).__name__)

    def _check_input(self, input):
        n = self._dims
        if self._mode == "constant":
            if input.ndim < n:
                raise RuntimeError(f"{self._describe()}: expected an input of at least {n} "
                                   f"dimensions for padding {self.padding}, got shape "
                                   f"{tuple(input.shape)}")
        elif input.ndim not in (n + 1, n + 2):
            raise RuntimeError(f"{self._describe()}: expected {n + 1}D (unbatched) or {n + 2}D "
                               f"(batched) input, got input of shape {tuple(input.shape)}")

    def forward(self, input):
        self._check_input(input)
        try:
            return pad(input, self.padding, self._mode, getattr(self, "value", None))
        except RuntimeError as error:
            raise RuntimeError(f"{self._describe()}: {error}") from None

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with ``value``."""

    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with ``value``."""

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with ``value``."""

    _dims = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dimension with zeros."""

    _dims = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dimensions with zeros."""

    _dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three dimensions with zeros."""

    _dims = 3


class ReflectionPad1d(_PadNd):
    """Mirror (N, C, W) / (C, W) at its ends, not repeating the edge; padding < W."""

    _dims, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Mirror (N, C, H, W) / (C, H, W) at its borders."""

    _dims, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Mirror (N, C, D, H, W) / (C, D, H, W) at its borders."""

    _dims, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of (N, C, W) / (C, W)."""

    _dims, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of (N, C, H, W) / (C, H, W)."""

    _dims, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Repeat the edge values of (N, C, D, H, W) / (C, D, H, W)."""

    _dims, _mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """Wrap (N, C, W) / (C, W) around: the left pad copies the right end and vice versa."""

    _dims, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Wrap (N, C, H, W) / (C, H, W) around in both spatial dimensions."""

    _dims, _mode = 2, "circular"


class CircularPad3d(_PadNd):
    """Wrap (N, C, D, H, W) / (C, D, H, W) around in all three spatial dimensions."""

    _dims, _mode = 3, "circular"
