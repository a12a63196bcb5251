"""cuDNN flags (``torch.backends.cudnn``): settable, read back, no effect in deepgrad.

``benchmark`` (autotune convolution algorithms) and ``deterministic`` (only deterministic
algorithms) have nothing to act on: deepgrad's convolutions are NumPy GEMMs, always the same
algorithm and bit-for-bit reproducible.
"""

benchmark = False
deterministic = False
enabled = True
allow_tf32 = True
benchmark_limit = 10


def is_available():
    """False: there is no cuDNN in deepgrad."""
    return False


def version():
    """None, as torch reports when cuDNN is not available."""
    return None
