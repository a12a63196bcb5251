"""The normal (Gaussian) distribution."""

import math
import numbers

import deepgrad
from deepgrad.distributions import constraints
from deepgrad.distributions.distribution import Distribution
from deepgrad.distributions.utils import broadcast_all, draw

__all__ = ["Normal"]

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


class Normal(Distribution):
    r"""Normal distribution N(loc, scale²).

    .. math::
        \log p(x) = -\frac{(x - \mu)^2}{2\sigma^2} - \log\sigma - \log\sqrt{2\pi}, \qquad
        H = \tfrac12 + \tfrac12\log(2\pi) + \log\sigma

    ``rsample`` is x = μ + σ ε with ε ~ N(0, 1): the reparameterization trick of the VAE.

    Args:
        loc (float or Tensor): the mean μ.
        scale (float or Tensor): the standard deviation σ > 0.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        if isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number):
            batch_shape = ()
        else:
            batch_shape = self.loc.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Normal, ("loc", "scale"), batch_shape, _instance)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = deepgrad.from_numpy(draw(shape, self.loc.dtype, "normal"))
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - _LOG_SQRT_2PI

    def cdf(self, value):
        r""":math:`\Phi(x) = \tfrac12 (1 + \mathrm{erf}((x - \mu) / (\sigma\sqrt2)))`."""
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + deepgrad.erf((value - self.loc) * self.scale.reciprocal()
                                       / math.sqrt(2)))

    def icdf(self, value):
        r""":math:`\Phi^{-1}(q) = \mu + \sigma\sqrt2\,\mathrm{erfinv}(2q - 1)`."""
        return self.loc + self.scale * deepgrad.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + deepgrad.log(self.scale)
