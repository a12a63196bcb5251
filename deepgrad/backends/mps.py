"""Apple's Metal backend: never available in deepgrad (NumPy on the CPU)."""


def is_available():
    """False: deepgrad does not run on Metal."""
    return False


def is_built():
    """False: deepgrad is not built with Metal support."""
    return False
