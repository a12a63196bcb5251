"""``deepgrad.mps``: torch.mps on a framework without Metal. ``device_count()`` is 0; the
calls that need a device raise RuntimeError as torch's do without an MPS backend; seeding
and ``empty_cache`` are no-ops."""

__all__ = ["device_count", "synchronize", "manual_seed", "seed", "empty_cache"]


def device_count():
    return 0


def synchronize():
    raise RuntimeError("Cannot execute deviceSynchronize() without MPS backend.")


def manual_seed(seed):
    """A no-op (no Metal generator); ``deepgrad.manual_seed`` seeds deepgrad's draws."""


def seed():
    """A no-op (no Metal generator)."""


def empty_cache():
    """A no-op (no Metal memory cache)."""
