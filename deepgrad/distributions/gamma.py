r"""Distributions built on the gamma function: Gamma, Exponential, Dirichlet and Beta.

Samples come from NumPy's gamma sampler fed by deepgrad's global generator. ``rsample`` is
differentiable in the shape parameter too, by implicit reparameterization (Figurnov et al.,
2018): a standard gamma sample z = F⁻¹(u; α) moves with α as

.. math:: \frac{dz}{d\alpha} = -\frac{\partial F(z; \alpha) / \partial\alpha}{p(z; \alpha)},

with F the regularized lower incomplete gamma function P(α, z) (series below α + 1, Lentz's
continued fraction above), differentiated in α by a central difference.
"""

import numbers

import numpy as np

import deepgrad
from deepgrad.autograd.function import Function
from deepgrad.distributions import constraints
from deepgrad.distributions.distribution import Distribution
from deepgrad.distributions.utils import broadcast_all, draw

__all__ = ["Gamma", "Chi2", "Exponential", "Dirichlet", "Beta"]


def _regularized_gamma_p(a, x):
    """P(a, x) = γ(a, x) / Γ(a) elementwise, in float64 (a > 0, x >= 0)."""
    from deepgrad.ops.pointwise import lgamma_array

    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    # both expansions need about sqrt(a) terms where x is near a
    terms = int(min(100 + 20 * np.sqrt(a.max(initial=1.0)), 20000))
    safe_x = np.maximum(x, np.finfo(np.float64).tiny)
    log_prefix = a * np.log(safe_x) - safe_x - lgamma_array(a)
    use_series = x < a + 1
    # series: P = e^(a log x - x) / Γ(a) · Σ_n x^n / (a (a+1) ... (a+n))
    term = 1.0 / a
    total = term.copy()
    for n in range(1, terms):
        term = term * x / (a + n)
        total = total + term
    series = np.exp(log_prefix) * total
    # continued fraction for Q = 1 - P (modified Lentz)
    tiny = 1e-300
    b = x + 1.0 - a
    c = np.full_like(x, 1.0 / tiny)
    d = 1.0 / np.where(np.abs(b) < tiny, tiny, b)
    h = d.copy()
    for i in range(1, terms):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = 1.0 / np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / np.where(np.abs(c) < tiny, tiny, c)
        h = h * d * c
    fraction = 1.0 - np.exp(log_prefix) * h
    return np.where(x <= 0, 0.0, np.where(use_series, series, fraction))


def _standard_gamma_grad(alpha, z):
    """dz/dα of standard gamma samples ``z`` (implicit reparameterization)."""
    from deepgrad.ops.pointwise import lgamma_array

    alpha = np.asarray(alpha, np.float64)
    z = np.maximum(np.asarray(z, np.float64), np.finfo(np.float64).tiny)
    h = 1e-5 * np.maximum(alpha, 1.0)
    h = np.minimum(h, alpha / 2)  # stay at a positive shape
    dF = (_regularized_gamma_p(alpha + h, z) - _regularized_gamma_p(alpha - h, z)) / (2 * h)
    log_pdf = (alpha - 1) * np.log(z) - z - lgamma_array(alpha)
    return -dF / np.exp(log_pdf)


class _StandardGamma(Function):
    """Standard gamma samples drawn in forward; backward is the implicit gradient."""

    def forward(self, alpha, z):
        self.alpha, self.z = alpha, z
        return z

    def backward(self, grad):
        return (grad * _standard_gamma_grad(self.alpha, self.z)).astype(grad.dtype), None


def _standard_gamma(concentration, shape):
    """Gamma(concentration, 1) draws of ``shape``, differentiable in ``concentration``."""
    alpha = concentration.expand(*tuple(shape))
    z = draw(shape, concentration.dtype, "gamma", shape_param=alpha._data)
    z = np.maximum(z, np.finfo(z.dtype).tiny)
    return _StandardGamma.apply(alpha, z)


class Gamma(Distribution):
    r"""Gamma distribution with shape α (``concentration``) and ``rate`` β.

    .. math::
        \log p(x) = \alpha\log\beta + (\alpha - 1)\log x - \beta x - \log\Gamma(\alpha), \quad
        H = \alpha - \log\beta + \log\Gamma(\alpha) + (1 - \alpha)\psi(\alpha)

    with ψ the digamma function; mean α/β, variance α/β².
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        scalar = isinstance(concentration, numbers.Number) and isinstance(rate, numbers.Number)
        super().__init__(() if scalar else self.concentration.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Gamma, ("concentration", "rate"), batch_shape, _instance)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return _standard_gamma(self.concentration, shape) / self.rate.expand(*shape)

    def log_prob(self, value):
        value = deepgrad.as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        return (deepgrad.xlogy(self.concentration, self.rate)
                + deepgrad.xlogy(self.concentration - 1, value)
                - self.rate * value - deepgrad.lgamma(self.concentration))

    def entropy(self):
        c = self.concentration
        return c - deepgrad.log(self.rate) + deepgrad.lgamma(c) + (1.0 - c) * deepgrad.digamma(c)


class Chi2(Gamma):
    r"""Chi-squared distribution with ``df`` degrees of freedom: Gamma(df/2, rate 1/2)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df_t,) = broadcast_all(df)
        super().__init__(0.5 * df_t if not isinstance(df, numbers.Number) else 0.5 * df, 0.5,
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self):
        return self.concentration * 2


class Exponential(Distribution):
    r"""Exponential distribution with ``rate`` λ: :math:`\log p(x) = \log\lambda - \lambda x`,
    :math:`H = 1 - \log\lambda`. ``rsample`` is E / λ with E ~ Exp(1)."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        batch_shape = () if isinstance(rate, numbers.Number) else self.rate.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Exponential, ("rate",), batch_shape, _instance)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return deepgrad.zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return deepgrad.from_numpy(draw(shape, self.rate.dtype, "exponential")) / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - deepgrad.exp(-self.rate * value)

    def icdf(self, value):
        return -deepgrad.log1p(-value) / self.rate

    def entropy(self):
        return 1.0 - deepgrad.log(self.rate)


class Dirichlet(Distribution):
    r"""Dirichlet distribution over the simplex with ``concentration`` α (last dim = K).

    .. math::
        \log p(x) = \sum_k (\alpha_k - 1)\log x_k + \log\Gamma(\alpha_0) - \sum_k
        \log\Gamma(\alpha_k), \quad \alpha_0 = \textstyle\sum_k \alpha_k

    Samples are independent Gamma(α_k, 1) draws normalized to sum to 1.
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if not isinstance(concentration, deepgrad.Tensor) or concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Dirichlet, ("concentration",), batch_shape, _instance)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        gammas = _standard_gamma(self.concentration, shape)
        return gammas / gammas.sum(-1, keepdim=True)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return (deepgrad.xlogy(c - 1.0, value).sum(-1) + deepgrad.lgamma(c.sum(-1))
                - deepgrad.lgamma(c).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        shifted = (self.concentration - 1).clamp(min=0.0)
        return shifted / shifted.sum(-1, keepdim=True)

    @property
    def variance(self):
        c = self.concentration
        total = c.sum(-1, keepdim=True)
        return c * (total - c) / (total.pow(2) * (total + 1))

    def entropy(self):
        c = self.concentration
        k = c.shape[-1]
        a0 = c.sum(-1)
        return (deepgrad.lgamma(c).sum(-1) - deepgrad.lgamma(a0)
                - (k - a0) * deepgrad.digamma(a0)
                - ((c - 1.0) * deepgrad.digamma(c)).sum(-1))


class Beta(Distribution):
    r"""Beta distribution on (0, 1) with ``concentration1`` a and ``concentration0`` b:
    a two-class Dirichlet over (x, 1 - x).

    .. math:: \log p(x) = (a-1)\log x + (b-1)\log(1-x) - \log B(a, b)
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        if isinstance(concentration1, numbers.Number) and isinstance(concentration0,
                                                                     numbers.Number):
            both = deepgrad.tensor([float(concentration1), float(concentration0)])
        else:
            concentration1, concentration0 = broadcast_all(concentration1, concentration0)
            both = deepgrad.stack([concentration1, concentration0], -1)
        self._dirichlet = Dirichlet(both, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Beta, _instance)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        heads_tails = deepgrad.stack([value, 1.0 - value], -1)
        return self._dirichlet.log_prob(heads_tails)

    def entropy(self):
        return self._dirichlet.entropy()
