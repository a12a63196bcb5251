"""``torch.backends.mkl``: deepgrad does not link MKL itself (NumPy picks its BLAS)."""


def is_available():
    return False
