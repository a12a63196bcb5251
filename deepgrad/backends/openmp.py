"""``torch.backends.openmp``: deepgrad has no OpenMP parallel loops of its own."""


def is_available():
    return False
