"""The categorical distribution over {0, ..., K-1} and its one-hot form."""

import numpy as np

import deepgrad
from deepgrad.distributions import constraints
from deepgrad.distributions.distribution import Distribution
from deepgrad.distributions.utils import draw, lazy_property, logits_to_probs, probs_to_logits
from deepgrad.tensor import Tensor

__all__ = ["Categorical", "OneHotCategorical"]


def _check_param(name, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"Categorical: `{name}` must be a Tensor, got {type(value).__name__}")
    if value.ndim < 1:
        raise ValueError(f"`{name}` parameter must be at least one-dimensional.")


class Categorical(Distribution):
    r"""Categorical distribution over the K classes of the last dimension.

    Give exactly one of ``probs`` (non-negative, normalized along the last dim here) or
    ``logits`` (unnormalized log probabilities; log-softmax-normalized here).

    .. math::
        \log P(k) = \ell_k - \log\sum_j e^{\ell_j}, \qquad H = -\sum_k p_k \log p_k

    ``sample`` inverts the CDF: the class is the number of cumulative probabilities below a
    uniform draw, one draw per batch entry.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(
        constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            _check_param("probs", probs)
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            _check_param("logits", logits)
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = self._param.shape[:-1] if self._param.ndim > 1 else ()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_params(Categorical, ("probs", "logits"), batch_shape, _instance)
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        new._num_events = self._num_events
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return deepgrad.Size(self._param.shape)

    @property
    def mean(self):
        return deepgrad.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    @property
    def variance(self):
        return deepgrad.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape=()):
        from deepgrad.distributions.utils import sized

        sample_shape = sized(sample_shape)
        probs = self.probs._data.reshape(-1, self._num_events)
        cumulative = np.cumsum(probs, axis=-1)
        cumulative /= cumulative[:, -1:]  # exact 1 at the end, whatever the rounding
        count = int(np.prod(sample_shape, dtype=np.int64))
        u = draw((count, probs.shape[0], 1), np.float64, "uniform")
        classes = (cumulative[None] <= u).sum(-1)
        classes = np.minimum(classes, self._num_events - 1)  # u can't reach 1, but be safe
        shape = tuple(sample_shape) + tuple(self._batch_shape)
        return deepgrad.from_numpy(classes.reshape(shape).astype(np.int64))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = deepgrad.broadcast_tensors(value, self.logits)
        value = value[..., :1]
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self):
        min_real = float(np.finfo(self.logits.dtype).min)
        logits = self.logits.clamp(min=min_real)  # -inf logits (p = 0) add 0, not nan
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = deepgrad.arange(self._num_events, dtype=deepgrad.int64)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand(*((-1,) + tuple(self._batch_shape)))
        return values


class OneHotCategorical(Distribution):
    r"""A categorical distribution whose samples are one-hot vectors of length K.

    ``log_prob(x)`` is the categorical log probability of the class ``x.argmax(-1)``.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(
        constraints.real, 1)}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_inner(OneHotCategorical, batch_shape, _instance)

    @property
    def _param(self):
        return self._categorical._param

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def mean(self):
        return self._categorical.probs

    @property
    def mode(self):
        probs = self._categorical.probs
        import deepgrad.nn.functional as F

        return F.one_hot(probs.argmax(dim=-1), probs.shape[-1]).to(probs.dtype)

    @property
    def variance(self):
        return self._categorical.probs * (1 - self._categorical.probs)

    @property
    def param_shape(self):
        return self._categorical.param_shape

    def sample(self, sample_shape=()):
        import deepgrad.nn.functional as F

        indices = self._categorical.sample(sample_shape)
        return F.one_hot(indices, self._categorical._num_events).to(self.probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        indices = value.argmax(dim=-1)
        return self._categorical.log_prob(indices)

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        n = self.event_shape[0]
        values = deepgrad.eye(n, dtype=self._param.dtype)
        values = values.reshape((n,) + (1,) * len(self.batch_shape) + (n,))
        if expand:
            values = values.expand(*((n,) + tuple(self.batch_shape) + (n,)))
        return values
