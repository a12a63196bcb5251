"""``Distribution``: the base class every probability distribution builds on.

A distribution holds parameters batched over ``batch_shape``; one draw of it (an event) has
``event_shape``. ``sample(sample_shape)`` returns ``sample_shape + batch_shape + event_shape``;
``log_prob(value)`` returns the log density (or mass) over ``batch_shape`` broadcast with the
value's leading dimensions. ``rsample`` draws through the reparameterization trick
(x = g(params, noise) with parameter-free noise), so gradients reach the parameters.
"""

import warnings

import deepgrad
from deepgrad.distributions import constraints
from deepgrad.distributions.utils import lazy_property, sized
from deepgrad.tensor import Tensor

__all__ = ["Distribution"]


def _format_value(value):
    """A parameter as torch prints it in messages: a 0-d tensor as its number."""
    if isinstance(value, Tensor) and value.ndim == 0:
        return str(value.item())
    return str(value)


class Distribution:
    """Abstract base class for probability distributions (``torch.distributions.Distribution``).

    Args:
        batch_shape: the shape over which parameters are batched.
        event_shape: the shape of a single sample (without batching).
        validate_args: whether to check the parameters (and ``log_prob``'s values) against
            ``arg_constraints`` (and ``support``). Default: on, as torch (off under ``python -O``).
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value):
        """Turn argument validation on or off for every distribution made afterwards."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args expects a bool, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = sized(batch_shape)
        self._event_shape = sized(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            try:
                arg_constraints = self.arg_constraints
            except NotImplementedError:
                arg_constraints = {}
                warnings.warn(
                    f"{self.__class__} does not define `arg_constraints`. Please set "
                    f"`arg_constraints = {{}}` or initialize the distribution with "
                    f"`validate_args=False` to turn off validation.", stacklevel=2)
            for param, constraint in arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue
                if param not in self.__dict__ and isinstance(getattr(type(self), param, None),
                                                             lazy_property):
                    continue  # a lazily derived parameter (logits from probs) is valid
                value = getattr(self, param)
                if not bool(constraint.check(value)._data.all()):
                    raise ValueError(
                        f"Expected parameter {param} ({type(value).__name__} of shape "
                        f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                        f"constraint {constraint!r}, but found invalid values:\n"
                        f"{_format_value(value)}")

    # ----- shapes -----------------------------------------------------------------------
    @property
    def batch_shape(self):
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self):
        """The shape of a single sample (without batching)."""
        return self._event_shape

    def _extended_shape(self, sample_shape=()):
        """``sample_shape + batch_shape + event_shape``: the shape ``sample`` returns."""
        return sized(tuple(sized(sample_shape)) + tuple(self._batch_shape)
                     + tuple(self._event_shape))

    def expand(self, batch_shape, _instance=None):
        """A new distribution with the parameters expanded (broadcast) to ``batch_shape``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement expand")

    def _expand_params(self, cls, names, batch_shape, _instance=None, event_shape=None):
        """``expand`` for a distribution whose parameters are the tensors ``names``: each is
        expanded to ``batch_shape`` plus its own trailing event dimensions (no copy)."""
        new = self._get_checked_instance(cls, _instance)
        batch_shape = sized(batch_shape)
        event_shape = self._event_shape if event_shape is None else event_shape
        for name in names:
            if name in self.__dict__:
                value = self.__dict__[name]
                trailing = tuple(value.shape[len(self._batch_shape):])
                setattr(new, name, value.expand(*(tuple(batch_shape) + trailing)))
        Distribution.__init__(new, batch_shape, event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _expand_inner(self, cls, batch_shape, _instance=None, copied=()):
        """``expand`` for a distribution built around a Categorical ``_categorical`` (one-hot,
        multinomial, relaxed categorical): that one is expanded, ``copied`` attributes (the
        temperature, the total count) carry over as they are."""
        new = self._get_checked_instance(cls, _instance)
        for name in copied:
            setattr(new, name, getattr(self, name))
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom "
                f"__init__ method must also define a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    # ----- what subclasses define -------------------------------------------------------
    @property
    def arg_constraints(self):
        """A dict from parameter names to the ``Constraint`` each must satisfy."""
        raise NotImplementedError

    @property
    def support(self):
        """The ``Constraint`` the distribution's values lie in."""
        raise NotImplementedError

    @property
    def mean(self):
        raise NotImplementedError(f"{self.__class__} does not implement mean")

    @property
    def mode(self):
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError(f"{self.__class__} does not implement variance")

    @property
    def stddev(self):
        """sqrt(variance)."""
        return self.variance.sqrt()

    def sample(self, sample_shape=()):
        """A sample of shape ``sample_shape + batch_shape + event_shape``, outside the graph."""
        with deepgrad.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        """A reparameterized sample: differentiable with respect to the parameters."""
        raise NotImplementedError(
            f"{type(self).__name__} has no reparameterized sampler (rsample); use sample()")

    def sample_n(self, n):
        return self.sample((n,))

    def log_prob(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def cdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    def enumerate_support(self, expand=True):
        raise NotImplementedError(f"{type(self).__name__} does not implement enumerate_support")

    def entropy(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def perplexity(self):
        """exp(entropy)."""
        return deepgrad.exp(self.entropy())

    # ----- validation -------------------------------------------------------------------
    def _validate_sample(self, value):
        """Check that ``value``'s rightmost dims are the event shape, that it broadcasts with
        ``batch_shape + event_shape``, and that it lies in the support (ValueError if not)."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_start = value.ndim - len(self._event_shape)
        if tuple(value.shape[event_start:]) != tuple(self._event_shape):
            raise ValueError(
                f"The right-most size of value must match event_shape: "
                f"{sized(value.shape)} vs {self._event_shape}.")
        actual = tuple(value.shape)
        expected = tuple(self._batch_shape) + tuple(self._event_shape)
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(
                    f"Value is not broadcastable with batch_shape+event_shape: "
                    f"{sized(actual)} vs {sized(expected)}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(
                f"{self.__class__} does not define `support` to enable sample validation. "
                f"Please initialize the distribution with `validate_args=False` to turn off "
                f"validation.", stacklevel=2)
            return
        if not bool(support.check(value)._data.all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) to be within the support ({support!r}) of the "
                f"distribution {self!r}, but found invalid values:\n{_format_value(value)}")

    def __repr__(self):
        try:
            names = [k for k in self.arg_constraints if k in self.__dict__]
        except NotImplementedError:
            names = []
        parts = []
        for name in names:
            value = self.__dict__[name]
            shown = _format_value(value) if value.numel() == 1 else sized(value.shape)
            parts.append(f"{name}: {shown}")
        return f"{type(self).__name__}({', '.join(parts)})"
