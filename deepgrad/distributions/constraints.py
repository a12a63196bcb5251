"""Constraints: which values a distribution's parameters and samples may take.

Each constraint's ``check(value)`` returns a boolean tensor (one entry per event) saying where
``value`` satisfies it; ``Distribution`` uses them to validate parameters (``arg_constraints``)
and the values given to ``log_prob`` (``support``). Names and reprs follow
``torch.distributions.constraints``.
"""

import numpy as np

from deepgrad.tensor import Tensor

__all__ = [
    "Constraint", "boolean", "dependent", "dependent_property", "greater_than",
    "greater_than_eq", "half_open_interval", "independent", "integer_interval", "interval",
    "is_dependent", "less_than", "lower_cholesky", "lower_triangular", "nonnegative",
    "nonnegative_integer", "one_hot", "positive", "positive_definite", "positive_integer",
    "positive_semidefinite", "real", "real_vector", "simplex", "square", "symmetric",
    "unit_interval",
]


def _array(value):
    return value._data if isinstance(value, Tensor) else np.asarray(value)


def _bool_tensor(array):
    return Tensor._from_op(np.asarray(array, dtype=bool), None)


class Constraint:
    """A region of values; ``check(value)`` says, event by event, whether ``value`` is in it.

    ``event_dim`` is how many rightmost dimensions make one event (1 for a simplex), and
    ``is_discrete`` whether the region holds only integers.
    """

    is_discrete = False
    event_dim = 0

    def check(self, value):
        return _bool_tensor(self._check(_array(value)))

    def _check(self, array):
        raise NotImplementedError

    def __repr__(self):
        return type(self).__name__[1:] + "()"


def _fmt(bound):
    if isinstance(bound, Tensor):
        return str(bound.item()) if bound.ndim == 0 else str(bound)
    return repr(bound)


class _Dependent(Constraint):
    """A constraint that depends on other parameters (can't be checked by itself)."""

    def __init__(self, *, is_discrete=False, event_dim=0):
        self.is_discrete = is_discrete
        self.event_dim = event_dim

    def __call__(self, *, is_discrete=False, event_dim=0):
        return _Dependent(is_discrete=is_discrete, event_dim=event_dim)

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint):
    """Whether ``constraint`` depends on other parameters (and is skipped by validation)."""
    return isinstance(constraint, _Dependent)


class _DependentProperty(property, _Dependent):
    """A property on a distribution class that is a dependent constraint on the class and the
    real constraint on an instance (``Uniform.support`` is ``interval(low, high)``)."""

    def __init__(self, fn=None, *, is_discrete=False, event_dim=0):
        property.__init__(self, fn)
        _Dependent.__init__(self, is_discrete=is_discrete, event_dim=event_dim)

    def __call__(self, fn):
        return _DependentProperty(fn, is_discrete=self.is_discrete, event_dim=self.event_dim)


class _IndependentConstraint(Constraint):
    """``base_constraint`` over events of ``reinterpreted_batch_ndims`` more dimensions."""

    def __init__(self, base_constraint, reinterpreted_batch_ndims):
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = int(reinterpreted_batch_ndims)

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def _check(self, array):
        result = np.asarray(self.base_constraint._check(array))
        n = self.reinterpreted_batch_ndims
        if result.ndim < n:
            raise ValueError(f"Expected value.dim() >= {n + self.base_constraint.event_dim} "
                             f"but got {array.ndim}")
        return result.reshape(result.shape[:result.ndim - n] + (-1,)).all(-1) if n else result

    def __repr__(self):
        return (f"{type(self).__name__[1:]}({self.base_constraint!r}, "
                f"{self.reinterpreted_batch_ndims})")


class _Boolean(Constraint):
    is_discrete = True

    def _check(self, array):
        return (array == 0) | (array == 1)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def _check(self, array):
        return ((array == 0) | (array == 1)).all(-1) & (array.sum(-1) == 1)


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def _check(self, array):
        return ((array % 1 == 0) & (_array(self.lower_bound) <= array)
                & (array <= _array(self.upper_bound)))

    def __repr__(self):
        return (f"IntegerInterval(lower_bound={_fmt(self.lower_bound)}, "
                f"upper_bound={_fmt(self.upper_bound)})")


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def _check(self, array):
        return (array % 1 == 0) & (array >= self.lower_bound)

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={_fmt(self.lower_bound)})"


class _Real(Constraint):
    def _check(self, array):
        return array == array  # False for NaNs


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def _check(self, array):
        return _array(self.lower_bound) < array

    def __repr__(self):
        return f"GreaterThan(lower_bound={_fmt(self.lower_bound)})"


class _GreaterThanEq(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def _check(self, array):
        return _array(self.lower_bound) <= array

    def __repr__(self):
        return f"GreaterThanEq(lower_bound={_fmt(self.lower_bound)})"


class _LessThan(Constraint):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def _check(self, array):
        return array < _array(self.upper_bound)

    def __repr__(self):
        return f"LessThan(upper_bound={_fmt(self.upper_bound)})"


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def _check(self, array):
        return (_array(self.lower_bound) <= array) & (array <= _array(self.upper_bound))

    def __repr__(self):
        return (f"Interval(lower_bound={_fmt(self.lower_bound)}, "
                f"upper_bound={_fmt(self.upper_bound)})")


class _HalfOpenInterval(_Interval):
    def _check(self, array):
        return (_array(self.lower_bound) <= array) & (array < _array(self.upper_bound))

    def __repr__(self):
        return "HalfOpen" + super().__repr__()


class _Simplex(Constraint):
    event_dim = 1

    def _check(self, array):
        return (array >= 0).all(-1) & (np.abs(array.sum(-1) - 1) < 1e-6)


class _LowerTriangular(Constraint):
    event_dim = 2

    def _check(self, array):
        return (np.tril(array) == array).reshape(array.shape[:-2] + (-1,)).all(-1)


class _LowerCholesky(Constraint):
    event_dim = 2

    def _check(self, array):
        lower = (np.tril(array) == array).reshape(array.shape[:-2] + (-1,)).all(-1)
        return lower & (np.diagonal(array, axis1=-2, axis2=-1) > 0).all(-1)


class _Square(Constraint):
    event_dim = 2

    def _check(self, array):
        return np.full(array.shape[:-2], array.shape[-1] == array.shape[-2], dtype=bool)


class _Symmetric(_Square):
    def _check(self, array):
        square = super()._check(array)
        if not square.all():
            return square
        return np.isclose(array, np.swapaxes(array, -1, -2), atol=1e-6).all(-1).all(-1)


class _PositiveSemidefinite(_Symmetric):
    def _check(self, array):
        symmetric = super()._check(array)
        if not symmetric.all():
            return symmetric
        return (np.linalg.eigvalsh(array) >= 0).all(-1)


class _PositiveDefinite(_Symmetric):
    def _check(self, array):
        symmetric = super()._check(array)
        if not symmetric.all():
            return symmetric
        return (np.linalg.eigvalsh(array) > 0).all(-1)


dependent = _Dependent()
dependent_property = _DependentProperty
independent = _IndependentConstraint
boolean = _Boolean()
one_hot = _OneHot()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_interval = _IntegerInterval
real = _Real()
real_vector = independent(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
unit_interval = _Interval(0.0, 1.0)
interval = _Interval
half_open_interval = _HalfOpenInterval
simplex = _Simplex()
lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()
positive_definite = _PositiveDefinite()
