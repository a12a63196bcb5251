"""``deepgrad.cuda``: PyTorch's ``torch.cuda`` surface on a framework without a GPU.

deepgrad computes with NumPy on the CPU, so no CUDA device ever exists: ``is_available()`` is
False and ``device_count()`` is 0. The calls device-agnostic scripts make unconditionally
(seeding, ``synchronize``, ``empty_cache``, memory counters) exist and do nothing, so such a
script runs unchanged; calls that need a device (``current_device``, ``get_device_name``...)
raise the AssertionError torch raises on a CPU-only build.
"""

import sys as _sys

from deepgrad.amp import DeviceAmp as _DeviceAmp

__all__ = [
    "is_available", "device_count", "is_initialized", "init", "synchronize", "current_device",
    "set_device", "get_device_name", "get_device_properties", "get_device_capability",
    "manual_seed", "manual_seed_all", "seed", "seed_all", "empty_cache", "memory_allocated",
    "max_memory_allocated", "memory_reserved", "max_memory_reserved", "reset_peak_memory_stats",
    "is_bf16_supported",
]

amp = _DeviceAmp("cuda")
# ``from deepgrad.cuda.amp import autocast, GradScaler`` works, as torch.cuda.amp is a module
_sys.modules[__name__ + ".amp"] = amp

_NO_CUDA = "deepgrad was not compiled with CUDA enabled (it computes with NumPy on the CPU)"


def _no_device(*_args, **_kwargs):
    raise AssertionError(_NO_CUDA)


def is_available():
    """False: deepgrad has no CUDA backend."""
    return False


def device_count():
    """0: no CUDA device is visible to deepgrad."""
    return 0


def is_initialized():
    return False


def is_bf16_supported(including_emulation=True):
    return False


def init():
    _no_device()


def current_device():
    _no_device()


def set_device(device):
    _no_device()


def get_device_name(device=None):
    _no_device()


def get_device_properties(device=None):
    _no_device()


def get_device_capability(device=None):
    _no_device()


def synchronize(device=None):
    """A no-op: there are no CUDA streams to wait for (deepgrad's ops finish when they return).
    torch raises on a CPU-only build; deepgrad lets timing code that calls it run."""


def manual_seed(seed):
    """A no-op (no CUDA generators); ``deepgrad.manual_seed`` seeds everything deepgrad draws."""


def manual_seed_all(seed):
    """A no-op, as ``manual_seed``."""


def seed():
    """A no-op (no CUDA generators)."""


def seed_all():
    """A no-op (no CUDA generators)."""


def empty_cache():
    """A no-op: there is no CUDA caching allocator."""


def memory_allocated(device=None):
    """0 bytes: nothing lives on a CUDA device."""
    return 0


def max_memory_allocated(device=None):
    return 0


def memory_reserved(device=None):
    return 0


def max_memory_reserved(device=None):
    return 0


def reset_peak_memory_stats(device=None):
    """A no-op (there are no CUDA memory statistics)."""
