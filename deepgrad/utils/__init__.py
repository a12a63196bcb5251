"""Utilities: ``deepgrad.utils.data`` (datasets, samplers, loaders), as ``torch.utils``."""


def __getattr__(name):
    # missing-api: `deepgrad.utils.data` / `deepgrad.utils.checkpoint` after a bare
    # `import deepgrad`, as `torch.utils.data` works after `import torch` (loaded on first use)
    if name in ("data", "checkpoint"):
        import importlib

        return importlib.import_module(f"deepgrad.utils.{name}")
    raise AttributeError(f"module 'deepgrad.utils' has no attribute {name!r}")
