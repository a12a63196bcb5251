import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # `from helpers import ...`

os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seed_everything():
    import deepgrad

    deepgrad.manual_seed(0)
    np.random.seed(0)
    yield
