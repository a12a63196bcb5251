"""The continuous uniform distribution on [low, high)."""

import numbers

import deepgrad
from deepgrad.distributions import constraints
from deepgrad.distributions.distribution import Distribution
from deepgrad.distributions.utils import broadcast_all, draw

__all__ = ["Uniform"]


class Uniform(Distribution):
    r"""Uniform distribution on the half-open interval [low, high).

    .. math::
        \log p(x) = -\log(b - a) \text{ on } [a, b),\ -\infty \text{ outside}; \quad
        H = \log(b - a); \quad \mathbb E = \frac{a + b}2; \quad \mathrm{Var} = \frac{(b-a)^2}{12}

    ``rsample`` is a + (b - a) u with u ~ U(0, 1).
    """

    has_rsample = True

    @property
    def arg_constraints(self):
        return {"low": constraints.less_than(self.high),
                "high": constraints.greater_than(self.low)}

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        if isinstance(low, numbers.Number) and isinstance(high, numbers.Number):
            batch_shape = ()
        else:
            batch_shape = self.low.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Uniform, ("low", "high"), batch_shape, _instance)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.low, self.high)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return self.high * float("nan")

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        rand = deepgrad.from_numpy(draw(shape, self.low.dtype, "uniform"))
        return self.low + rand * (self.high - self.low)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        inside = self.low.le(value) & self.high.gt(value)
        outside = deepgrad.where(inside, 0.0, float("-inf")).type_as(self.low)  # log 1 / log 0
        return outside - deepgrad.log(self.high - self.low)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        result = (value - self.low) / (self.high - self.low)
        return result.clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return deepgrad.log(self.high - self.low)
