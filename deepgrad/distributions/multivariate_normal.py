"""The multivariate normal distribution N(loc, Σ)."""

import math

import deepgrad
from deepgrad.distributions import constraints
from deepgrad.distributions.distribution import Distribution
from deepgrad.distributions.utils import draw, lazy_property
from deepgrad.tensor import Tensor

__all__ = ["MultivariateNormal"]


def _batch_mv(matrix, vector):
    """``matrix @ vector`` over broadcast batch dimensions."""
    return deepgrad.matmul(matrix, vector.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(scale_tril, diff):
    r"""The squared Mahalanobis distance :math:`d^\top (L L^\top)^{-1} d = \|L^{-1} d\|^2`,
    by one triangular solve (``scale_tril`` broadcast to ``diff``'s batch dimensions)."""
    n = diff.shape[-1]
    batch = deepgrad.broadcast_shapes(tuple(scale_tril.shape[:-2]), tuple(diff.shape[:-1]))
    scale_tril = scale_tril.expand(*(tuple(batch) + (n, n)))
    diff = diff.expand(*(tuple(batch) + (n,)))
    solved = deepgrad.linalg.solve_triangular(scale_tril, diff.unsqueeze(-1), upper=False)
    return solved.squeeze(-1).pow(2).sum(-1)


def _precision_to_scale_tril(precision):
    """The lower Cholesky factor of P⁻¹ without inverting P: flip P, factor it, flip back and
    invert the (triangular) result."""
    flipped = deepgrad.flip(precision, (-2, -1))
    factor = deepgrad.linalg.cholesky(flipped)
    inverse_tril = deepgrad.flip(factor, (-2, -1)).transpose(-2, -1)
    eye = deepgrad.eye(precision.shape[-1], dtype=precision.dtype)
    return deepgrad.linalg.solve_triangular(inverse_tril, eye, upper=False)


def _matrix_arg(name, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"MultivariateNormal: {name} must be a Tensor, got {type(value).__name__}")
    if value.ndim < 2:
        raise ValueError(f"{name} matrix must be at least two-dimensional, with optional "
                         f"leading batch dimensions")
    return value


class MultivariateNormal(Distribution):
    r"""Multivariate normal distribution with mean ``loc`` and covariance Σ = L Lᵀ.

    Give exactly one of ``covariance_matrix`` (Σ), ``precision_matrix`` (Σ⁻¹) or
    ``scale_tril`` (L, lower triangular with a positive diagonal). With d = x - μ and k the
    event size:

    .. math::
        \log p(x) = -\tfrac12\big(k \log 2\pi + \|L^{-1} d\|^2\big) - \sum_i \log L_{ii},
        \qquad H = \tfrac k2 (1 + \log 2\pi) + \sum_i \log L_{ii}

    ``rsample`` is μ + L ε with ε ~ N(0, I).
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if not isinstance(loc, Tensor):
            raise TypeError(f"MultivariateNormal: loc must be a Tensor, got {type(loc).__name__}")
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m is not None for m in (covariance_matrix, scale_tril, precision_matrix)]
        if sum(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        name, matrix = next((n, m) for n, m in (("scale_tril", scale_tril),
                                                ("covariance_matrix", covariance_matrix),
                                                ("precision_matrix", precision_matrix))
                            if m is not None)
        _matrix_arg(name, matrix)
        n = loc.shape[-1]
        if matrix.shape[-1] != n or matrix.shape[-2] != n:
            raise ValueError(f"MultivariateNormal: {name} of shape {tuple(matrix.shape)} does "
                             f"not match loc of shape {tuple(loc.shape)} (expected (..., {n}, "
                             f"{n}))")
        batch_shape = tuple(deepgrad.broadcast_shapes(tuple(matrix.shape[:-2]),
                                                      tuple(loc.shape[:-1])))
        setattr(self, name, matrix.expand(*(batch_shape + (n, n))))
        self.loc = loc.expand(*(batch_shape + (n,)))
        super().__init__(batch_shape, (n,), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = deepgrad.linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        n = self._event_shape[0]
        new.loc = self.loc.expand(*(batch_shape + (n,)))
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(*(batch_shape + (n, n))))
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(*self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return deepgrad.matmul(L, L.mT).expand(*self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        return deepgrad.cholesky_inverse(self._unbroadcasted_scale_tril).expand(
            *self._matrix_shape())

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        shape = tuple(self._batch_shape) + tuple(self._event_shape)
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(*shape)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = deepgrad.from_numpy(draw(shape, self.loc.dtype, "normal"))
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        mahalanobis = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        k = self._event_shape[0]
        return -0.5 * (k * math.log(2 * math.pi) + mahalanobis) - self._half_log_det()

    def entropy(self):
        k = self._event_shape[0]
        H = 0.5 * k * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        if len(self._batch_shape) == 0:
            return H
        return H.expand(*self._batch_shape)
