"""Probability distributions (PyTorch's ``torch.distributions``).

Each distribution has ``sample``/``rsample`` (draws from deepgrad's global generator, so
``deepgrad.manual_seed`` makes them reproducible), ``log_prob``, ``entropy``, ``mean``,
``variance``; ``kl_divergence`` gives closed-form KL divergences. ``log_prob``, ``entropy``,
``kl_divergence`` and ``rsample`` are built from differentiable ops, so gradients reach the
parameters (the VAE's reparameterization trick, policy gradients).
"""

from deepgrad.distributions import constraints, transforms
from deepgrad.distributions.bernoulli import Bernoulli
from deepgrad.distributions.categorical import Categorical, OneHotCategorical
from deepgrad.distributions.constraint_registry import biject_to, transform_to
from deepgrad.distributions.continuous import (
    Cauchy,
    Gumbel,
    HalfNormal,
    Laplace,
    Pareto,
    StudentT,
    Weibull,
)
from deepgrad.distributions.discrete import (
    Binomial,
    Geometric,
    Multinomial,
    NegativeBinomial,
    Poisson,
)
from deepgrad.distributions.distribution import Distribution
from deepgrad.distributions.gamma import Beta, Chi2, Dirichlet, Exponential, Gamma
from deepgrad.distributions.independent import Independent
from deepgrad.distributions.kl import kl_divergence, register_kl
from deepgrad.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
from deepgrad.distributions.mixture import MixtureSameFamily
from deepgrad.distributions.multivariate_normal import MultivariateNormal
from deepgrad.distributions.normal import Normal
from deepgrad.distributions.relaxed import (
    ExpRelaxedCategorical,
    LogitRelaxedBernoulli,
    OneHotCategoricalStraightThrough,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
)
from deepgrad.distributions.transforms import LogNormal, TransformedDistribution
from deepgrad.distributions.uniform import Uniform

__all__ = [
    "Bernoulli", "Beta", "Categorical", "Dirichlet", "Distribution", "Exponential", "Gamma",
    "Independent", "MultivariateNormal", "Normal", "OneHotCategorical", "Uniform",
    "constraints", "kl_divergence", "register_kl", "Binomial", "Cauchy", "Geometric",
    "HalfNormal", "Laplace", "LogNormal", "MixtureSameFamily", "Multinomial", "Poisson",
    "TransformedDistribution", "transforms", "ExpRelaxedCategorical", "LogitRelaxedBernoulli",
    "OneHotCategoricalStraightThrough", "RelaxedBernoulli", "RelaxedOneHotCategorical",
    "Chi2", "Gumbel", "NegativeBinomial", "Pareto", "StudentT", "Weibull", "biject_to",
    "transform_to", "LowRankMultivariateNormal",
]


def _alias_torch_module_paths():
    """torch keeps one distribution per module (``torch.distributions.beta.Beta``); deepgrad
    groups related ones in a file. Register torch's module paths as aliases of deepgrad's
    files, so ``from deepgrad.distributions.beta import Beta`` works as it does in torch."""
    import sys

    from deepgrad.distributions import (
        categorical,
        continuous,
        discrete,
        gamma,
        mixture,
        relaxed,
        transforms,
    )

    paths = {
        "one_hot_categorical": categorical, "beta": gamma, "dirichlet": gamma,
        "exponential": gamma, "chi2": gamma, "laplace": continuous, "cauchy": continuous,
        "half_normal": continuous, "gumbel": continuous, "studentT": continuous,
        "weibull": continuous, "pareto": continuous, "poisson": discrete,
        "binomial": discrete, "geometric": discrete, "multinomial": discrete,
        "negative_binomial": discrete, "log_normal": transforms,
        "transformed_distribution": transforms, "mixture_same_family": mixture,
        "relaxed_bernoulli": relaxed, "relaxed_categorical": relaxed,
    }
    for name, module in paths.items():
        sys.modules.setdefault(f"{__name__}.{name}", module)
        globals().setdefault(name, module)  # torch.distributions.beta is an attribute too


_alias_torch_module_paths()

