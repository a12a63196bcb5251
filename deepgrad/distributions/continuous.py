"""More continuous distributions: Laplace, Cauchy and HalfNormal."""

import math
import numbers

import numpy as np

import deepgrad
from deepgrad.distributions import constraints
from deepgrad.distributions.distribution import Distribution
from deepgrad.distributions.utils import broadcast_all, draw

__all__ = ["Laplace", "Cauchy", "HalfNormal"]


def _batch_shape(*params):
    return () if all(isinstance(p, numbers.Number) for p in params) else None


class _LocScale(Distribution):
    """A location-scale family: parameters ``loc`` and ``scale`` > 0."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        shape = _batch_shape(loc, scale)
        super().__init__(self.loc.shape if shape is None else shape,
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(type(self), ("loc", "scale"), batch_shape, _instance)

    @property
    def mode(self):
        return self.loc


class Laplace(_LocScale):
    r"""Laplace (double exponential) distribution.

    .. math:: \log p(x) = -\log(2b) - |x - \mu| / b, \quad H = 1 + \log(2b), \quad
       \mathrm{Var} = 2b^2

    ``rsample`` inverts the CDF: x = μ - b sign(u) log(1 - |u|), u ~ U(-1, 1).
    """

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2 ** 0.5) * self.scale

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = float(np.finfo(self.loc.dtype).eps)
        u = draw(shape, self.loc.dtype, "uniform") * (2 - eps) + (eps - 1)  # in [eps-1, 1)
        u = deepgrad.from_numpy(u.astype(self.loc.dtype))
        return self.loc - self.scale * u.sign() * deepgrad.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -deepgrad.log(2 * self.scale) - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * deepgrad.expm1(
            -(value - self.loc).abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * deepgrad.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + deepgrad.log(2 * self.scale)


class Cauchy(_LocScale):
    r"""Cauchy distribution (no mean, infinite variance).

    .. math:: \log p(x) = -\log\pi - \log\gamma - \log(1 + ((x - x_0)/\gamma)^2), \quad
       H = \log(4\pi\gamma)

    ``rsample`` is x₀ + γ tan(π (u - ½)), u ~ U(0, 1).
    """

    @property
    def mean(self):
        return deepgrad.full(self._extended_shape(), float("nan"), dtype=self.loc.dtype)

    @property
    def variance(self):
        return deepgrad.full(self._extended_shape(), float("inf"), dtype=self.loc.dtype)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        u = deepgrad.from_numpy(np.tan(np.pi * (draw(shape, np.float64, "uniform") - 0.5))
                                .astype(self.loc.dtype))
        return self.loc + u * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (-math.log(math.pi) - self.scale.log()
                - (((value - self.loc) / self.scale) ** 2).log1p())

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return deepgrad.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return deepgrad.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()


class HalfNormal(Distribution):
    r"""|X| for X ~ N(0, scale²).

    .. math:: \log p(x) = \log 2 + \log\mathcal N(x; 0, \sigma) \ (x \ge 0), \quad
       \mathbb E = \sigma\sqrt{2/\pi}, \quad \mathrm{Var} = \sigma^2 (1 - 2/\pi)
    """

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        (self.scale,) = broadcast_all(scale)
        shape = _batch_shape(scale)
        super().__init__(self.scale.shape if shape is None else shape,
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(HalfNormal, ("scale",), batch_shape, _instance)

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self):
        return deepgrad.zeros_like(self.scale)

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = deepgrad.from_numpy(draw(shape, self.scale.dtype, "normal"))
        return (eps * self.scale).abs()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        normal = (-(value ** 2) / (2 * self.scale ** 2) - self.scale.log()
                  - math.log(math.sqrt(2 * math.pi)))
        log_prob = normal + math.log(2)
        return deepgrad.where(value >= 0, log_prob, deepgrad.full_like(log_prob, -math.inf))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return deepgrad.erf(value / (self.scale * math.sqrt(2)))

    def icdf(self, prob):
        return deepgrad.erfinv(prob) * self.scale * math.sqrt(2)

    def entropy(self):
        return 0.5 * math.log(math.pi / 2) + self.scale.log() + 0.5
