"""``deepgrad.backends``: PyTorch's ``torch.backends`` flags.

deepgrad has one backend, NumPy on the CPU (``deepgrad.backend`` is its door). These
modules exist so that scripts written for torch (``torch.backends.cudnn.benchmark = True``,
``if torch.backends.mps.is_available(): ...``) run unchanged: the accelerators report that
they are unavailable, and the flags are plain attributes that can be set and read back but
change nothing (NumPy's kernels are deterministic and have no tuning to choose).
"""

from deepgrad.backends import cuda, cudnn, mkl, mps, openmp

__all__ = ["cuda", "cudnn", "mkl", "mps", "openmp"]
