import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # `from helpers import ...`

# One BLAS thread per pytest-xdist worker (`-n 2` on 2 cores): more threads than cores make
# OpenBLAS spin-wait, and small GEMMs then run up to 100x slower. Set before NumPy loads.
_THREADS = "1" if os.environ.get("PYTEST_XDIST_WORKER") else "2"
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, _THREADS)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

try:  # NumPy may have been loaded (and OpenBLAS started) before this file ran
    from threadpoolctl import threadpool_limits

    threadpool_limits(int(_THREADS))
except ImportError:  # threadpoolctl comes with scikit-learn, a test extra
    pass


@pytest.fixture(autouse=True, scope="session")
def _torch_threads():
    """The reference runs on one thread: the tests' tensors are tiny, and torch's thread pool
    only adds overhead there (up to 100x on a busy machine)."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed_everything():
    import deepgrad

    deepgrad.manual_seed(0)
    np.random.seed(0)
    yield
