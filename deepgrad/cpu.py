"""``deepgrad.cpu``: the device deepgrad always computes on (torch.cpu's functions)."""

import sys as _sys

from deepgrad.amp import DeviceAmp as _DeviceAmp

__all__ = ["is_available", "device_count", "current_device", "synchronize", "amp"]


def is_available():
    """True: the CPU is always there."""
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def synchronize(device=None):
    """A no-op: CPU ops finish when they return."""


amp = _DeviceAmp("cpu")
# ``from deepgrad.cpu.amp import autocast, GradScaler`` works, as torch.cpu.amp is a module
_sys.modules[__name__ + ".amp"] = amp
