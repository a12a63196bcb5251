"""Neural network building blocks with PyTorch's names (``deepgrad.nn``)."""

from deepgrad.nn import functional, init, utils  # noqa: F401
from deepgrad.nn.module import Module
from deepgrad.nn.modules import *  # noqa: F401,F403
from deepgrad.nn.modules import __all__ as _modules_all
from deepgrad.nn.parameter import Buffer, Parameter

__all__ = ["Module", "Parameter", "Buffer", "functional", "init", "utils"] + list(_modules_all)
