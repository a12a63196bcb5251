"""All parameters as one flat vector and back (for second-order methods, weight averaging)."""

from deepgrad.ops.shape import cat
from deepgrad.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """Concatenate the flattened ``parameters`` into one 1-D tensor (differentiable)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (replacing their data)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    parameters = list(parameters)
    total = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.numel() != total:
        raise RuntimeError(f"vector_to_parameters: vec of shape {tuple(vec.shape)} must be 1-D "
                           f"with {total} elements (the parameters' total)")
    for param in parameters:
        n = param.numel()
        param.data = vec._data[pointer:pointer + n].reshape(param.shape).astype(param.dtype)
        pointer += n
