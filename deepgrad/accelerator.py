"""``deepgrad.accelerator``: torch.accelerator's device-agnostic queries. deepgrad has no
accelerator, so ``is_available()`` is False and ``current_accelerator()`` is None, and the
scripts that pick ``"cpu"`` in that case run unchanged."""

__all__ = ["is_available", "current_accelerator", "device_count", "synchronize",
           "empty_cache", "memory_allocated", "max_memory_allocated"]


def is_available(check_available=False):
    return False


def current_accelerator(check_available=False):
    """None: there is no accelerator."""
    return None


def device_count():
    return 0


def synchronize(device=None):
    """A no-op (nothing runs asynchronously)."""


def empty_cache():
    """A no-op (no device memory cache)."""


def memory_allocated(device_index=None):
    return 0


def max_memory_allocated(device_index=None):
    return 0
