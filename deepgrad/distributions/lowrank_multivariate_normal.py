"""The multivariate normal with a low-rank-plus-diagonal covariance Σ = W Wᵀ + D."""

import math

import deepgrad
from deepgrad.distributions import constraints
from deepgrad.distributions.distribution import Distribution
from deepgrad.distributions.multivariate_normal import _batch_mv
from deepgrad.distributions.utils import draw, lazy_property
from deepgrad.tensor import Tensor

__all__ = ["LowRankMultivariateNormal"]


class LowRankMultivariateNormal(Distribution):
    r"""N(loc, W Wᵀ + diag(D)) with ``cov_factor`` W (n × r) and ``cov_diag`` D, in
    O(n r²) through the capacitance matrix C = I + Wᵀ D⁻¹ W (Woodbury and the matrix
    determinant lemma):

    .. math::
        \log|\Sigma| = \log|C| + \sum_i \log D_i, \qquad
        d^\top\Sigma^{-1}d = d^\top D^{-1} d - \|L_C^{-1} W^\top D^{-1} d\|^2

    ``rsample`` is loc + W ε₁ + √D ε₂ with ε₁ ~ N(0, I_r), ε₂ ~ N(0, I_n).
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        for name, value, ndim in (("loc", loc, 1), ("cov_factor", cov_factor, 2),
                                  ("cov_diag", cov_diag, 1)):
            if not isinstance(value, Tensor) or value.ndim < ndim:
                raise ValueError(f"{name} must be at least {ndim}-dimensional, with optional "
                                 f"leading batch dimensions")
        n = loc.shape[-1]
        if cov_factor.shape[-2] != n:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {n} x m, got "
                             f"{tuple(cov_factor.shape)}")
        if cov_diag.shape[-1] != n:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {(n,)}, got "
                             f"{tuple(cov_diag.shape)}")
        r = cov_factor.shape[-1]
        batch = tuple(deepgrad.broadcast_shapes(tuple(loc.shape[:-1]),
                                                tuple(cov_factor.shape[:-2]),
                                                tuple(cov_diag.shape[:-1])))
        self.loc = loc.expand(*(batch + (n,)))
        self.cov_factor = cov_factor.expand(*(batch + (n, r)))
        self.cov_diag = cov_diag.expand(*(batch + (n,)))
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        W, D = cov_factor, cov_diag
        capacitance = (W.mT / D.unsqueeze(-2)) @ W + deepgrad.eye(r, dtype=W.dtype)
        self._capacitance_tril = deepgrad.linalg.cholesky(capacitance)
        super().__init__(batch, (n,), validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (W.pow(2).sum(-1) + D).expand(*(tuple(self._batch_shape)
                                               + tuple(self._event_shape)))

    @lazy_property
    def covariance_matrix(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        cov = W @ W.mT + deepgrad.diag_embed(D)
        return cov.expand(*(tuple(self._batch_shape) + tuple(self._event_shape) * 2))

    @lazy_property
    def scale_tril(self):
        return deepgrad.linalg.cholesky(self.covariance_matrix)

    @lazy_property
    def precision_matrix(self):
        return deepgrad.linalg.inv(self.covariance_matrix)

    def _log_det(self):
        L = self._capacitance_tril
        return (2 * L.diagonal(dim1=-2, dim2=-1).log().sum(-1)
                + self._unbroadcasted_cov_diag.log().sum(-1))

    def _mahalanobis(self, diff):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        term1 = (diff.pow(2) / D).sum(-1)
        projected = _batch_mv(W.mT / D.unsqueeze(-2), diff)  # Wᵀ D⁻¹ d, shape (..., r)
        L = self._capacitance_tril
        batch = deepgrad.broadcast_shapes(tuple(L.shape[:-2]), tuple(projected.shape[:-1]))
        r = L.shape[-1]
        solved = deepgrad.linalg.solve_triangular(
            L.expand(*(tuple(batch) + (r, r))),
            projected.expand(*(tuple(batch) + (r,))).unsqueeze(-1), upper=False)
        return term1 - solved.squeeze(-1).pow(2).sum(-1)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        r = self.cov_factor.shape[-1]
        eps_w = deepgrad.from_numpy(draw(tuple(shape[:-1]) + (r,), self.loc.dtype, "normal"))
        eps_d = deepgrad.from_numpy(draw(shape, self.loc.dtype, "normal"))
        return (self.loc + _batch_mv(self._unbroadcasted_cov_factor, eps_w)
                + self._unbroadcasted_cov_diag.sqrt() * eps_d)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n = self._event_shape[0]
        M = self._mahalanobis(value - self.loc)
        return -0.5 * (n * math.log(2 * math.pi) + self._log_det() + M)

    def entropy(self):
        n = self._event_shape[0]
        H = 0.5 * (n * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return H if len(self._batch_shape) == 0 else H.expand(*self._batch_shape)
