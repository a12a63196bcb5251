r"""Kullback-Leibler divergence :math:`KL(p \| q) = \int p(x) \log \frac{p(x)}{q(x)} dx`.

``kl_divergence(p, q)`` looks up a closed form registered for the pair of distribution types
(``register_kl``); the most specific registered pair of base classes wins, as in torch.
"""

import math
import warnings
from functools import total_ordering

import deepgrad
import deepgrad.nn.functional as F
from deepgrad.distributions.bernoulli import Bernoulli
from deepgrad.distributions.categorical import Categorical, OneHotCategorical
from deepgrad.distributions.continuous import HalfNormal, Laplace
from deepgrad.distributions.discrete import Binomial, Geometric, Poisson
from deepgrad.distributions.distribution import Distribution
from deepgrad.distributions.gamma import Beta, Dirichlet, Exponential, Gamma
from deepgrad.distributions.independent import Independent, _sum_rightmost
from deepgrad.distributions.multivariate_normal import MultivariateNormal, _batch_mahalanobis
from deepgrad.distributions.normal import Normal
from deepgrad.distributions.transforms import LogNormal
from deepgrad.distributions.uniform import Uniform

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY = {}  # (type_p, type_q) -> fn(p, q)
_KL_MEMOIZE = {}  # (type(p), type(q)) -> the function the lookup chose


def register_kl(type_p, type_q):
    """Decorator registering ``fn(p, q)`` as the KL divergence of a pair of types::

        @register_kl(Normal, Normal)
        def kl_normal_normal(p, q):
            ...
    """
    for name, kind in (("type_p", type_p), ("type_q", type_q)):
        if not (isinstance(kind, type) and issubclass(kind, Distribution)):
            raise TypeError(f"Expected {name} to be a Distribution subclass but got {kind}")

    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        _KL_MEMOIZE.clear()  # a new entry can change which match is most specific
        return fn

    return decorator


@total_ordering
class _Match:
    """A registered pair, ordered lexicographically by subclassing (most specific first)."""

    __slots__ = ("types",)

    def __init__(self, *types):
        self.types = types

    def __eq__(self, other):
        return self.types == other.types

    def __le__(self, other):
        for x, y in zip(self.types, other.types):
            if not issubclass(x, y):
                return False
            if x is not y:
                break
        return True


def _dispatch_kl(type_p, type_q):
    matches = [(p, q) for p, q in _KL_REGISTRY if issubclass(type_p, p) and issubclass(type_q, q)]
    if not matches:
        return NotImplemented
    left_p, left_q = min(_Match(*m) for m in matches).types
    right_q, right_p = min(_Match(*reversed(m)) for m in matches).types
    left_fn, right_fn = _KL_REGISTRY[left_p, left_q], _KL_REGISTRY[right_p, right_q]
    if left_fn is not right_fn:
        warnings.warn(f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). "
                      f"Please register_kl({left_p.__name__}, {right_q.__name__})",
                      RuntimeWarning, stacklevel=3)
    return left_fn


def kl_divergence(p, q):
    r"""KL(p ‖ q), batched over the distributions' batch shape.

    Raises NotImplementedError when no closed form is registered for the pair of types.
    """
    key = (type(p), type(q))
    if key not in _KL_MEMOIZE:
        _KL_MEMOIZE[key] = _dispatch_kl(*key)
    fn = _KL_MEMOIZE[key]
    if fn is NotImplemented:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type "
                                  f"{type(p).__name__} and q type {type(q).__name__}")
    return fn(p, q)


def _set_where(mask, value, tensor):
    """``tensor`` with ``value`` where ``mask`` (torch's ``t[mask] = value``, no gradient
    flowing through the replaced entries)."""
    return deepgrad.where(mask, deepgrad.full_like(tensor, value), tensor)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    r""":math:`\tfrac12\big(\sigma_p^2/\sigma_q^2 + (\mu_p - \mu_q)^2/\sigma_q^2 - 1 -
    \log(\sigma_p^2/\sigma_q^2)\big)`."""
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    r""":math:`p\log\frac{p}{q} + (1-p)\log\frac{1-p}{1-q}`, from the logits (stable)."""
    t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    t1 = _set_where(p.probs == 0, 0.0, _set_where(q.probs == 0, math.inf, t1))
    t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    t2 = _set_where(p.probs == 1, 0.0, _set_where(q.probs == 1, math.inf, t2))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    r""":math:`\sum_k p_k (\log p_k - \log q_k)`; infinite where q_k = 0 < p_k."""
    t = p.probs * (p.logits - q.logits)
    shape = tuple(t.shape)
    t = _set_where((q.probs == 0).expand(*shape), math.inf, t)
    t = _set_where((p.probs == 0).expand(*shape), 0.0, t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    r""":math:`\log\frac{b_q - a_q}{b_p - a_p}` when [a_p, b_p] ⊆ [a_q, b_q], else ∞."""
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return _set_where((q.low > p.low) | (q.high < p.high), math.inf, result)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    r""":math:`\tfrac12\big(\mathrm{tr}(\Sigma_q^{-1}\Sigma_p) + (\mu_q - \mu_p)^\top
    \Sigma_q^{-1}(\mu_q - \mu_p) - k\big) + \sum\log L_{q,ii} - \sum\log L_{p,ii}`."""
    if tuple(p.event_shape) != tuple(q.event_shape):
        raise ValueError("KL-divergence between two Multivariate Normals with different event "
                         f"shapes cannot be computed: {tuple(p.event_shape)} vs "
                         f"{tuple(q.event_shape)}")
    Lp, Lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = (Lq.diagonal(dim1=-2, dim2=-1).log().sum(-1)
                  - Lp.diagonal(dim1=-2, dim2=-1).log().sum(-1))
    n = p.event_shape[0]
    batch = tuple(deepgrad.broadcast_shapes(tuple(Lq.shape[:-2]), tuple(Lp.shape[:-2])))
    solved = deepgrad.linalg.solve_triangular(Lq.expand(*(batch + (n, n))),
                                              Lp.expand(*(batch + (n, n))), upper=False)
    term2 = solved.pow(2).sum((-2, -1))  # tr(X Xᵀ) with X = Lq⁻¹ Lp
    term3 = _batch_mahalanobis(Lq, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError(
            "KL between Independent distributions with different reinterpreted_batch_ndims "
            f"({p.reinterpreted_batch_ndims} vs {q.reinterpreted_batch_ndims})")
    return _sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    rate_ratio = q.rate / p.rate
    return -rate_ratio.log() + rate_ratio - 1


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = deepgrad.lgamma(q.concentration) - deepgrad.lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * deepgrad.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    sum_p = p.concentration.sum(-1)
    sum_q = q.concentration.sum(-1)
    t1 = sum_p.lgamma() - sum_q.lgamma()
    t2 = (p.concentration.lgamma() - q.concentration.lgamma()).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = p.concentration.digamma() - sum_p.digamma().unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    return _kl_dirichlet_dirichlet(p._dirichlet, q._dirichlet)


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    return (-scale_ratio.log() + loc_abs_diff / q.scale
            + scale_ratio * deepgrad.exp(-loc_abs_diff / p.scale) - 1)


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    loc_diff = p.loc - q.loc
    ratio = loc_diff / p.scale
    t2 = math.sqrt(2 / math.pi) * p.scale * deepgrad.exp(-0.5 * ratio.pow(2))
    t3 = loc_diff * deepgrad.erf(math.sqrt(0.5) * ratio)
    return (-(p.scale / q.scale).log() + (t2 + t3) / q.scale
            - 0.5 * (1 + math.log(0.5 * math.pi)))


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    return 0.5 * (var_ratio - 1 - var_ratio.log())


@register_kl(LogNormal, LogNormal)
def _kl_lognormal_lognormal(p, q):
    return _kl_normal_normal(p.base_dist, q.base_dist)  # KL is invariant under exp


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    return -p.entropy() - deepgrad.log1p(-q.probs) / p.probs - q.logits


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    if bool((p.total_count < q.total_count)._data.any()):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count "
                                  "is not implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p()
                          - (-q.probs).log1p())
    return _set_where(p.total_count > q.total_count, math.inf, kl)
