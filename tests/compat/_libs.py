"""Run one user-program text against torch and against deepgrad and compare what comes out."""

import numpy as np


def libs(name):
    """The (torch, nn, F, optim, data) tuple a user program imports, for `name` 'torch' or 'deepgrad'."""
    if name == "torch":
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        import torch.utils.data as data
    else:
        import deepgrad as torch
        import deepgrad.nn as nn
        import deepgrad.nn.functional as F
        import deepgrad.optim as optim
        import deepgrad.utils.data as data
    return torch, nn, F, optim, data


def to_np(x):
    """Plain NumPy/Python view of a program's result, recursing through containers."""
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        return np.asarray(x.detach().numpy())
    if isinstance(x, dict):
        return {k: to_np(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(to_np(v) for v in x)
    return x


def assert_same(a, b, rtol=1e-7, atol=1e-9, path="out"):
    """Results from torch (a) and deepgrad (b) agree: same structure, shapes, dtypes and values."""
    a, b = to_np(a), to_np(b)
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{path}: keys {list(a)} vs {b!r}"
        for k in a:
            assert_same(a[k], b[k], rtol, atol, f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{path}: {a!r} vs {b!r}"
        for i, (u, v) in enumerate(zip(a, b)):
            assert_same(u, v, rtol, atol, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), f"{path}: array vs {type(b)}"
        assert a.shape == b.shape, f"{path}: shape {a.shape} vs {b.shape}"
        assert a.dtype == b.dtype, f"{path}: dtype {a.dtype} vs {b.dtype}"
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, err_msg=path)
    elif isinstance(a, float):
        assert isinstance(b, float), f"{path}: float vs {type(b)}"
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, err_msg=path)
    else:
        assert type(a) is type(b) and a == b, f"{path}: {a!r} vs {b!r}"


def run_both(program, **kw):
    """Run `program(*libs)` under torch and deepgrad; returns (torch_result, deepgrad_result)."""
    return program(*libs("torch"), **kw), program(*libs("deepgrad"), **kw)
