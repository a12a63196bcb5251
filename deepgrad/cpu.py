"""``deepgrad.cpu``: the device deepgrad always computes on (torch.cpu's functions)."""

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


class _CpuAmp:
    """``torch.cpu.amp``: autocast for the CPU (a no-op region, see ``deepgrad.amp``)."""

    @staticmethod
    def autocast(enabled=True, dtype=None, cache_enabled=True):
        from deepgrad.amp import autocast

        return autocast("cpu", dtype=dtype, enabled=enabled)

    @staticmethod
    def GradScaler(init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                   growth_interval=2000, enabled=True):
        from deepgrad.amp import GradScaler

        return GradScaler("cpu", init_scale, growth_factor, backoff_factor, growth_interval,
                          enabled)


amp = _CpuAmp()
