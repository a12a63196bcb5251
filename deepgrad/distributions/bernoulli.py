"""The Bernoulli distribution: one coin flip."""

import numbers

import deepgrad
import deepgrad.nn.functional as F
from deepgrad.distributions import constraints
from deepgrad.distributions.distribution import Distribution
from deepgrad.distributions.utils import (
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)

__all__ = ["Bernoulli"]


class BinaryProbsLogits(Distribution):
    """The ``probs``/``logits`` pair of the Bernoulli-trial families (Bernoulli, Binomial,
    Geometric, the relaxed Bernoulli): whichever was given, the other is derived on first use,
    logit = log(p / (1 − p)), p = σ(logit)."""

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return deepgrad.Size(self._param.shape)


class Bernoulli(BinaryProbsLogits):
    r"""Bernoulli distribution: 1 with probability p, 0 with probability 1 - p.

    Give exactly one of ``probs`` (p) or ``logits`` (log(p / (1 - p))).

    .. math::
        \log P(x) = x \log p + (1 - x)\log(1 - p) = -\mathrm{BCEWithLogits}(\ell, x), \qquad
        H = -p\log p - (1 - p)\log(1 - p)

    computed from the logits ℓ, so it stays finite where p is near 0 or 1.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_scalar = isinstance(probs, numbers.Number)
            (self.probs,) = broadcast_all(probs)
        else:
            is_scalar = isinstance(logits, numbers.Number)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        batch_shape = () if is_scalar else self._param.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_params(Bernoulli, ("probs", "logits"), batch_shape, _instance)
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        return new


    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return deepgrad.where(self.probs == 0.5, deepgrad.full_like(mode, float("nan")), mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with deepgrad.no_grad():
            return deepgrad.bernoulli(self.probs.expand(*shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        values = deepgrad.arange(2, dtype=self._param.dtype)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand(*((-1,) + tuple(self._batch_shape)))
        return values
