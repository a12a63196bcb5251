"""Elementwise random draws with tensor parameters: ``deepgrad.poisson`` and
``deepgrad.binomial`` (torch's top-level functions), from deepgrad's generator."""

import numpy as np

__all__ = ["poisson", "binomial"]


def _rng(generator):
    from deepgrad.backend.random import generator as global_generator

    return global_generator(generator)


def poisson(input, generator=None):
    """A Poisson(λ) draw for every rate λ in ``input`` (same shape and dtype, no gradient)."""
    from deepgrad.tensor import Tensor

    if not isinstance(input, Tensor):
        raise TypeError(f"poisson(): argument 'input' must be Tensor, not {type(input).__name__}")
    if (input._data < 0).any():
        raise RuntimeError("poisson(): invalid Poisson rate, expected rate to be non-negative")
    draws = _rng(generator).poisson(input._data.astype(np.float64))
    return Tensor._from_op(draws.astype(input.dtype), None)


def binomial(count, prob, generator=None):
    """A Binomial(n, p) draw for every pair of ``count`` n and ``prob`` p (broadcast)."""
    from deepgrad.tensor import Tensor

    for name, t in (("count", count), ("prob", prob)):
        if not isinstance(t, Tensor):
            raise TypeError(f"binomial(): argument '{name}' must be Tensor, not "
                            f"{type(t).__name__}")
    p = prob._data.astype(np.float64)
    if ((p < 0) | (p > 1)).any():
        raise RuntimeError("binomial(): prob must be in [0, 1]")
    draws = _rng(generator).binomial(count._data.astype(np.int64), p)
    return Tensor._from_op(draws.astype(np.result_type(count.dtype, prob.dtype)), None)
