"""More discrete distributions: Poisson, Binomial, Geometric and Multinomial."""

import numbers

import numpy as np

import deepgrad
import deepgrad.nn.functional as F
from deepgrad.distributions import constraints
from deepgrad.distributions.bernoulli import BinaryProbsLogits
from deepgrad.distributions.categorical import Categorical
from deepgrad.distributions.distribution import Distribution
from deepgrad.distributions.utils import (
    broadcast_all,
    draw,
)

__all__ = ["Poisson", "Binomial", "Geometric", "Multinomial", "NegativeBinomial"]


def _probs_or_logits(dist, probs, logits, *others):
    """Set ``dist.probs`` or ``dist.logits`` (exactly one given), broadcast with ``others``;
    returns the broadcast ``others``."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    given = probs if probs is not None else logits
    values = broadcast_all(given, *others)
    if probs is not None:
        dist.probs = values[0]
    else:
        dist.logits = values[0]
    dist._param = values[0]
    return values[1:]


def _clamp_by_zero(x):
    """max(x, 0) whose gradient at 0 is ½ (torch's choice for Binomial)."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Poisson(Distribution):
    r"""Poisson distribution with ``rate`` λ: :math:`\log P(k) = k\log\lambda - \lambda -
    \log k!`; mean = variance = λ."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        batch = () if isinstance(rate, numbers.Number) else self.rate.shape
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Poisson, ("rate",), batch_shape, _instance)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        lam = np.broadcast_to(self.rate._data, tuple(shape))
        return deepgrad.from_numpy(draw(shape, self.rate.dtype, "poisson", lam=lam))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return deepgrad.xlogy(value, rate) - rate - deepgrad.lgamma(value + 1)


class Binomial(BinaryProbsLogits):
    r"""Number of successes in ``total_count`` trials of probability p.

    .. math:: \log P(k) = \log\binom nk + k\ell - n\,\mathrm{softplus}(\ell), \quad
       \mathbb E = np, \quad \mathrm{Var} = np(1-p)

    with ℓ the logit, written stably as k ℓ - n max(ℓ, 0) - n log(1 + e^{-|ℓ|}).
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        (self.total_count,) = _probs_or_logits(self, probs, logits, total_count)
        self.total_count = self.total_count.type_as(self._param)
        super().__init__(self._param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_params(Binomial, ("total_count", "probs", "logits"), batch_shape,
                                  _instance)
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        from deepgrad.backend.random import generator

        shape = tuple(self._extended_shape(sample_shape))
        n = np.broadcast_to(self.total_count._data, shape).astype(np.int64)
        p = np.broadcast_to(self.probs._data, shape)
        return deepgrad.from_numpy(generator().binomial(n, p).astype(self._param.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n = self.total_count
        normalize = (n * _clamp_by_zero(self.logits)
                     + n * deepgrad.log1p(deepgrad.exp(-self.logits.abs()))
                     - deepgrad.lgamma(n + 1))
        return (value * self.logits - deepgrad.lgamma(value + 1)
                - deepgrad.lgamma(n - value + 1) - normalize)

    def _homogeneous_count(self, what):
        count = int(self.total_count._data.max())
        if not self.total_count._data.min() == count:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return count

    def entropy(self):
        count = self._homogeneous_count("entropy")
        del count
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(deepgrad.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        count = self._homogeneous_count("enumerate_support")
        values = deepgrad.arange(1 + count, dtype=self._param.dtype)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand(*((-1,) + tuple(self._batch_shape)))
        return values


class Geometric(BinaryProbsLogits):
    r"""Number of failures before the first success, each trial succeeding with p.

    .. math:: \log P(k) = k \log(1 - p) + \log p, \quad \mathbb E = 1/p - 1, \quad
       \mathrm{Var} = (1/p - 1)/p
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        _probs_or_logits(self, probs, logits)
        given = probs if probs is not None else logits
        batch = () if isinstance(given, numbers.Number) else self._param.shape
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_params(Geometric, ("probs", "logits"), batch_shape, _instance)
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        return new

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return deepgrad.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        tiny = float(np.finfo(self.probs.dtype).tiny)
        u = np.maximum(draw(shape, np.float64, "uniform"), tiny)
        values = np.floor(np.log(u) / np.log1p(-self.probs._data.astype(np.float64)))
        return deepgrad.from_numpy(values.astype(self.probs.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # P(0) = 1 when p = 1: 0 * log(0) must count as 0
        safe = deepgrad.where((probs == 1) & (value == 0), deepgrad.zeros_like(probs), probs)
        return value * (-safe).log1p() + self.probs.log()

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs,
                                                  reduction="none") / self.probs


class NegativeBinomial(BinaryProbsLogits):
    r"""Number of successes before ``total_count`` failures, each trial succeeding with p.

    .. math:: \log P(k) = \log\frac{\Gamma(r + k)}{k!\,\Gamma(r)} + r\log(1 - p) + k\log p,
       \quad \mathbb E = r\,p/(1 - p)

    Sampled as Poisson(λ) with λ ~ Gamma(r, (1 - p)/p).
    """

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        (self.total_count,) = _probs_or_logits(self, probs, logits, total_count)
        self.total_count = self.total_count.type_as(self._param)
        super().__init__(self._param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_params(NegativeBinomial, ("total_count", "probs", "logits"),
                                  batch_shape, _instance)
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        return new

    @property
    def mean(self):
        return self.total_count * deepgrad.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / deepgrad.sigmoid(-self.logits)

    def sample(self, sample_shape=()):
        from deepgrad.backend.random import generator

        shape = tuple(self._extended_shape(sample_shape))
        r = np.broadcast_to(self.total_count._data, shape).astype(np.float64)
        odds = np.broadcast_to(np.exp(self.logits._data.astype(np.float64)), shape)
        rng = generator()
        lam = rng.standard_gamma(r) * odds
        return deepgrad.from_numpy(rng.poisson(lam).astype(self._param.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        r = self.total_count
        unnormalized = r * F.logsigmoid(-self.logits) + value * F.logsigmoid(self.logits)
        normalization = (-deepgrad.lgamma(r + value) + deepgrad.lgamma(1.0 + value)
                         + deepgrad.lgamma(r))
        # r + k = 0 only for k = 0 with r = 0: P(0) = 1 there
        normalization = deepgrad.where(r + value == 0, deepgrad.zeros_like(normalization),
                                       normalization)
        return unnormalized - normalization


class Multinomial(Distribution):
    r"""Counts of each of K classes in ``total_count`` categorical draws.

    .. math:: \log P(x) = \log n! - \sum_k \log x_k! + \sum_k x_k \log p_k
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(
        constraints.real, 1)}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, numbers.Number):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = int(total_count)
        self._categorical = Categorical(probs=probs, logits=logits)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_inner(Multinomial, batch_shape, _instance, copied=("total_count",))

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return _MultinomialSupport(self.total_count)

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        from deepgrad.distributions.utils import sized

        sample_shape = sized(sample_shape)
        draws = self._categorical.sample((self.total_count,) + tuple(sample_shape))._data
        k = self._categorical._num_events
        counts = (draws[..., None] == np.arange(k)).sum(0)
        return deepgrad.from_numpy(counts.astype(self.probs.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        logits = deepgrad.where((value == 0) & deepgrad.isinf(logits),
                                deepgrad.zeros_like(logits), logits)
        log_factorial_n = deepgrad.lgamma(value.sum(-1) + 1)
        log_factorial_xs = deepgrad.lgamma(value + 1).sum(-1)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)


class _MultinomialSupport(constraints.Constraint):
    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def _check(self, array):
        return (array >= 0).all(-1) & (array.sum(-1) <= self.upper_bound)
