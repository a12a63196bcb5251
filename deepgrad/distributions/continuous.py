"""More continuous distributions: Laplace, Cauchy, HalfNormal, Gumbel, StudentT, Weibull and
Pareto."""

import math
import numbers

import numpy as np

import deepgrad
from deepgrad.distributions import constraints
from deepgrad.distributions.distribution import Distribution
from deepgrad.distributions.utils import broadcast_all, draw

__all__ = ["Laplace", "Cauchy", "HalfNormal", "Gumbel", "StudentT", "Weibull", "Pareto"]


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


_EULER = 0.57721566490153286061


class Gumbel(_LocScale):
    r"""Gumbel (type-I extreme value) distribution.

    .. math:: \log p(x) = -\log\beta + z - e^{z}, \quad z = (\mu - x)/\beta, \quad
       \mathbb E = \mu + \beta\gamma, \quad \mathrm{Var} = \pi^2\beta^2/6, \quad
       H = \log\beta + 1 + \gamma

    (γ Euler's constant); ``rsample`` is μ - β log(-log u).
    """

    @property
    def mean(self):
        return self.loc + self.scale * _EULER

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        finfo = np.finfo(self.loc.dtype)
        u = np.clip(draw(shape, np.float64, "uniform"), finfo.tiny, 1 - finfo.eps)
        g = deepgrad.from_numpy((-np.log(-np.log(u))).astype(self.loc.dtype))
        return self.loc + self.scale * g

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (self.loc - value) / self.scale
        return -self.scale.log() + z - z.exp()

    def cdf(self, value):
        return deepgrad.exp(-deepgrad.exp(-(value - self.loc) / self.scale))

    def entropy(self):
        return self.scale.log() + (1 + _EULER)


class StudentT(Distribution):
    r"""Student's t distribution with ``df`` ν degrees of freedom, ``loc`` and ``scale``.

    .. math:: \log p(x) = -\tfrac{\nu+1}2\log\big(1 + y^2/\nu\big) - \log\sigma
       - \tfrac12\log(\nu\pi) - \log\Gamma(\tfrac\nu2) + \log\Gamma(\tfrac{\nu+1}2), \quad
       y = (x - \mu)/\sigma

    ``rsample`` is μ + σ X / sqrt(Z/ν) with X ~ N(0, 1), Z ~ χ²(ν): differentiable in all
    three parameters (through the gamma sampler's implicit gradient).
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        shape = _batch_shape(df, loc, scale)
        super().__init__(self.df.shape if shape is None else shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(StudentT, ("df", "loc", "scale"), batch_shape, _instance)

    @property
    def mean(self):
        nan = deepgrad.full_like(self.loc, float("nan"))
        return deepgrad.where(self.df > 1, self.loc, nan)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        finite = self.scale.pow(2) * df / (df - 2)
        inf = deepgrad.full_like(finite, float("inf"))
        nan = deepgrad.full_like(finite, float("nan"))
        return deepgrad.where(df > 2, finite, deepgrad.where(df > 1, inf, nan))

    def rsample(self, sample_shape=()):
        from deepgrad.distributions.gamma import _standard_gamma

        shape = self._extended_shape(sample_shape)
        x = deepgrad.from_numpy(draw(shape, self.df.dtype, "normal"))
        chi2 = 2 * _standard_gamma(0.5 * self.df, shape)  # χ²(ν) = 2 Gamma(ν/2, 1)
        y = x * deepgrad.rsqrt(chi2 / self.df)
        return self.loc + self.scale * y

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        Z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + deepgrad.lgamma(0.5 * self.df) - deepgrad.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * deepgrad.log1p(y ** 2.0 / self.df) - Z

    def entropy(self):
        half = 0.5 * self.df
        lbeta = deepgrad.lgamma(half) + math.lgamma(0.5) - deepgrad.lgamma(half + 0.5)
        return (self.scale.log() + (half + 0.5) * (deepgrad.digamma(half + 0.5)
                                                   - deepgrad.digamma(half))
                + 0.5 * self.df.log() + lbeta)


class Weibull(Distribution):
    r"""Weibull distribution with ``scale`` λ and ``concentration`` k.

    .. math:: \log p(x) = \log\frac k\lambda + (k - 1)\log\frac x\lambda - (x/\lambda)^k,
       \quad \mathbb E = \lambda\Gamma(1 + 1/k), \quad H = \gamma(1 - 1/k) + \log(\lambda/k) + 1

    ``rsample`` is λ (-log(1 - u))^{1/k}.
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        shape = _batch_shape(scale, concentration)
        super().__init__(self.scale.shape if shape is None else shape,
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Weibull, ("scale", "concentration"), batch_shape, _instance)

    @property
    def mean(self):
        return self.scale * deepgrad.exp(deepgrad.lgamma(1 + self.concentration.reciprocal()))

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k) ** k.reciprocal()

    @property
    def variance(self):
        inv = self.concentration.reciprocal()
        return self.scale.pow(2) * (deepgrad.exp(deepgrad.lgamma(1 + 2 * inv))
                                    - deepgrad.exp(2 * deepgrad.lgamma(1 + inv)))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        e = deepgrad.from_numpy(draw(shape, self.scale.dtype, "exponential"))
        return self.scale * e.pow(self.concentration.reciprocal())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        k, lam = self.concentration, self.scale
        ratio = value / lam
        return (k / lam).log() + (k - 1) * ratio.log() - ratio.pow(k)

    def cdf(self, value):
        return 1 - deepgrad.exp(-(value / self.scale).pow(self.concentration))

    def entropy(self):
        inv = self.concentration.reciprocal()
        return _EULER * (1 - inv) + deepgrad.log(self.scale * inv) + 1


class Pareto(Distribution):
    r"""Pareto (type I) distribution with ``scale`` x_m and ``alpha`` α, on [x_m, ∞).

    .. math:: \log p(x) = \log\alpha + \alpha\log x_m - (\alpha + 1)\log x, \quad
       H = \log(x_m/\alpha) + 1/\alpha + 1

    ``rsample`` is x_m e^{E/α}, E ~ Exp(1).
    """

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}
    has_rsample = True

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        shape = _batch_shape(scale, alpha)
        super().__init__(self.scale.shape if shape is None else shape,
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Pareto, ("scale", "alpha"), batch_shape, _instance)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self):
        a = self.alpha.clamp(min=1)
        return deepgrad.where(self.alpha > 1, a * self.scale / (a - 1),
                              deepgrad.full_like(self.scale, float("inf")))

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        a = self.alpha.clamp(min=2)
        finite = self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))
        return deepgrad.where(self.alpha > 2, finite, deepgrad.full_like(finite, float("inf")))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        e = deepgrad.from_numpy(draw(shape, self.scale.dtype, "exponential"))
        return self.scale * deepgrad.exp(e / self.alpha)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.alpha.log() + self.alpha * self.scale.log() - (self.alpha + 1) * value.log()

    def cdf(self, value):
        return 1 - (self.scale / value).pow(self.alpha)

    def entropy(self):
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())
