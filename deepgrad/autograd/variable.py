"""``Variable``: PyTorch's pre-0.4 wrapper, kept for old code (``Variable(x, requires_grad=True)``).

Tensors and Variables merged in PyTorch 0.4; ``Variable(t)`` now just returns a tensor sharing
``t``'s data (a new leaf, requiring grad if asked), and ``isinstance(t, Variable)`` is true for
every tensor. deepgrad does the same.
"""

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, instance):
        from deepgrad.tensor import Tensor

        return isinstance(instance, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False)``: a new leaf tensor sharing ``data``'s values."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        from deepgrad.tensor import Tensor

        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = Tensor._from_op(data._data, None)
        if requires_grad:
            out.requires_grad_(True)
        return out
