"""Concrete (Gumbel-softmax) relaxations of Bernoulli and categorical variables, and the
straight-through one-hot categorical: discrete choices with reparameterized gradients."""

import deepgrad
from deepgrad.distributions import constraints
from deepgrad.distributions.bernoulli import BinaryProbsLogits
from deepgrad.distributions.categorical import Categorical, OneHotCategorical
from deepgrad.distributions.distribution import Distribution
from deepgrad.distributions.transforms import (
    ExpTransform,
    SigmoidTransform,
    TransformedDistribution,
)
from deepgrad.distributions.utils import (
    broadcast_all,
    clamp_probs,
    draw,
)

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli", "ExpRelaxedCategorical",
           "RelaxedOneHotCategorical", "OneHotCategoricalStraightThrough"]


def _uniform(shape, dtype):
    return clamp_probs(deepgrad.from_numpy(draw(shape, dtype, "uniform")))


class _RelaxedParameters:
    """``temperature``, ``logits`` and ``probs`` of a relaxed distribution read from the
    distribution it transforms (its ``base_dist``)."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class LogitRelaxedBernoulli(BinaryProbsLogits):
    r"""The logit of a relaxed Bernoulli sample (Maddison et al., 2017):
    x = (log u - log(1 - u) + ℓ) / τ with u ~ U(0, 1), ℓ the logit, τ the temperature.

    .. math:: \log p(x) = \log\tau + (\ell - \tau x) - 2\log(1 + e^{\ell - \tau x})
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.temperature = temperature
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        given = probs if probs is not None else logits
        (param,) = broadcast_all(given)
        if probs is not None:
            self.probs = param
        else:
            self.logits = param
        self._param = param
        batch = () if not isinstance(given, deepgrad.Tensor) else param.shape
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_params(LogitRelaxedBernoulli, ("probs", "logits"), batch_shape,
                                  _instance)
        new.temperature = self.temperature
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        return new

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(*shape))
        u = _uniform(shape, probs.dtype)
        return (u.log() - (-u).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value * self.temperature
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(_RelaxedParameters, TransformedDistribution):
    """A relaxed Bernoulli on (0, 1): the sigmoid of a ``LogitRelaxedBernoulli`` sample;
    low ``temperature`` pushes samples toward 0 and 1."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(RelaxedBernoulli, _instance)
        return super().expand(batch_shape, _instance=new)


class ExpRelaxedCategorical(Distribution):
    r"""The log of a Gumbel-softmax sample: x = log softmax((ℓ + g) / τ), g ~ Gumbel(0, 1).

    .. math:: \log p(x) = \log\Gamma(K) + (K - 1)\log\tau
       + \sum_k (\ell_k - \tau x_k) - K\,\mathrm{logsumexp}_k(\ell_k - \tau x_k)
    """

    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_inner(ExpRelaxedCategorical, batch_shape, _instance,
                                  copied=("temperature",))

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        gumbels = -((-(_uniform(shape, self.logits.dtype).log())).log())
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value):
        K = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_scale = (deepgrad.full_like(self.temperature, float(K)).lgamma()
                     - self.temperature.log() * (-(K - 1)))
        score = logits - value * self.temperature
        score = (score - score.logsumexp(dim=-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(_RelaxedParameters, TransformedDistribution):
    """A relaxed one-hot vector on the simplex (Gumbel-softmax, Jang et al., 2017): exp of an
    ``ExpRelaxedCategorical`` sample."""

    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(RelaxedOneHotCategorical, _instance)
        return super().expand(batch_shape, _instance=new)


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """One-hot samples whose ``rsample`` passes gradients straight through to the
    probabilities: the value is the sample, the gradient that of ``probs`` (Bengio et al.,
    2013)."""

    has_rsample = True

    def rsample(self, sample_shape=()):
        samples = self.sample(sample_shape)
        probs = self._categorical.probs
        return samples + (probs - probs.detach())
