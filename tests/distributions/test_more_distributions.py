"""Laplace, Cauchy, HalfNormal, LogNormal, Poisson, Binomial, Geometric, Multinomial,
MixtureSameFamily and TransformedDistribution against torch (float64)."""

import numpy as np
import pytest
import torch
from dist_helpers import RNG, _check, _close

import deepgrad
from deepgrad import distributions as D


def test_laplace_cauchy_halfnormal():
    loc, scale = RNG.standard_normal(4), RNG.uniform(0.5, 2, 4)
    x = RNG.standard_normal((3, 4))
    _check(lambda lib, a, b: lib.Laplace(a, b), [loc, scale], x,
           methods=("log_prob", "entropy", "mean", "variance", "stddev"))
    _check(lambda lib, a, b: lib.Cauchy(a, b), [loc, scale], x, methods=("log_prob", "entropy"))
    _check(lambda lib, b: lib.HalfNormal(b), [scale], np.abs(x))
    for make in (lambda lib: lib.Laplace(torch_or_dg(lib, loc), torch_or_dg(lib, scale)),
                 lambda lib: lib.Cauchy(torch_or_dg(lib, loc), torch_or_dg(lib, scale)),
                 lambda lib: lib.HalfNormal(torch_or_dg(lib, scale))):
        d, t = make(D), make(torch.distributions)
        v = np.abs(x)
        _close(d.cdf(deepgrad.tensor(v)), t.cdf(torch.tensor(v)))
        q = RNG.uniform(0.1, 0.9, (3, 4))
        _close(d.icdf(deepgrad.tensor(q)), t.icdf(torch.tensor(q)), atol=1e-8)


def torch_or_dg(lib, array):
    """``array`` as a tensor of the framework whose distributions module ``lib`` is."""
    return (deepgrad if lib is D else torch).tensor(array)


def test_lognormal():
    loc, scale = RNG.standard_normal(3), RNG.uniform(0.3, 1, 3)
    _check(lambda lib, a, b: lib.LogNormal(a, b), [loc, scale], RNG.uniform(0.2, 3, (2, 3)),
           methods=("log_prob", "entropy", "mean", "variance"))


def test_discrete():
    rate = RNG.uniform(0.5, 4, 3)
    _check(lambda lib, r: lib.Poisson(r), [rate], RNG.integers(0, 6, (2, 3)).astype(float),
           methods=("log_prob", "mean", "variance"))
    probs = RNG.uniform(0.1, 0.9, 3)
    counts = np.array([3.0, 5.0, 5.0])
    value = np.array([[0.0, 2.0, 5.0], [3.0, 1.0, 4.0]])
    _check(lambda lib, p: lib.Binomial(torch_or_dg(lib, counts), probs=p), [probs], value,
           methods=("log_prob", "mean", "variance"))
    _check(lambda lib, p: lib.Binomial(5, logits=p), [RNG.standard_normal(3)], value,
           methods=("log_prob", "entropy", "mean", "variance"))
    _check(lambda lib, p: lib.Geometric(probs=p), [probs], RNG.integers(0, 5, (2, 3)) * 1.0)
    _check(lambda lib, p: lib.Geometric(logits=p), [RNG.standard_normal(3)],
           RNG.integers(0, 5, (2, 3)) * 1.0)
    _check(lambda lib, p: lib.Multinomial(6, logits=p), [RNG.standard_normal((2, 3))],
           np.array([[1.0, 2.0, 3.0], [6.0, 0.0, 0.0]]), methods=("log_prob", "mean",
                                                                  "variance"))


def test_mixture_same_family():
    logits, loc = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    scale = RNG.uniform(0.5, 1.5, (2, 3))
    _check(lambda lib, a, b, c: lib.MixtureSameFamily(lib.Categorical(logits=a),
                                                      lib.Normal(b, c)),
           [logits, loc, scale], RNG.standard_normal((4, 2)),
           methods=("log_prob", "mean", "variance"))
    # multivariate components: Independent Normals
    loc2, scale2 = RNG.standard_normal((3, 2)), RNG.uniform(0.5, 1.5, (3, 2))
    _check(lambda lib, a, b, c: lib.MixtureSameFamily(
        lib.Categorical(logits=a), lib.Independent(lib.Normal(b, c), 1)),
        [logits[0], loc2, scale2], RNG.standard_normal((4, 2)),
        methods=("log_prob", "mean", "variance"))


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "affine_exp", "power"])
def test_transformed_distribution(name):
    def make(lib, loc, scale):
        T = lib.transforms
        transforms = {"tanh": [T.TanhTransform()],
                      "sigmoid": [T.SigmoidTransform()],
                      "affine_exp": [T.AffineTransform(1.0, torch_or_dg(lib, np.float64(2.0))),
                                     T.ExpTransform()],
                      "power": [T.ExpTransform(), T.PowerTransform(2.0)]}[name]
        return lib.TransformedDistribution(lib.Normal(loc, scale), transforms)

    loc, scale = RNG.standard_normal(3) * 0.5, RNG.uniform(0.3, 1, 3)
    base = RNG.standard_normal((2, 3)) * 0.5 + loc
    value = {"tanh": np.tanh(base), "sigmoid": 1 / (1 + np.exp(-base)),
             "affine_exp": np.exp(1 + 2 * base), "power": np.exp(base) ** 2}[name]
    _check(make, [loc, scale], value, methods=("log_prob",), atol=1e-8)
    d = make(D, deepgrad.tensor(loc), deepgrad.tensor(scale))
    t = make(torch.distributions, torch.tensor(loc), torch.tensor(scale))
    if name in ("affine_exp", "sigmoid"):
        _close(d.cdf(deepgrad.tensor(value)), t.cdf(torch.tensor(value)), atol=1e-8)


def test_squashed_gaussian_rsample_log_prob_with_cache():
    """SAC's policy: a = tanh(u), u ~ N(mu, std); log_prob(a) must use the cached u."""
    mu = deepgrad.tensor([0.0, 3.0, -20.0], dtype=deepgrad.float64, requires_grad=True)
    std = deepgrad.tensor([1.0, 0.5, 0.1], dtype=deepgrad.float64, requires_grad=True)
    tanh = D.transforms.TanhTransform(cache_size=1)
    dist = D.TransformedDistribution(D.Normal(mu, std), [tanh])
    deepgrad.manual_seed(0)
    a = dist.rsample()
    logp = dist.log_prob(a)
    t_dist = torch.distributions.TransformedDistribution(
        torch.distributions.Normal(torch.tensor(mu.detach().numpy()),
                                   torch.tensor(std.detach().numpy())),
        [torch.distributions.transforms.TanhTransform(cache_size=1)])
    # torch: the same formula on the same pre-squash value
    u_t = torch.tensor(np.asarray(dist.transforms[0]._cached[0].detach().numpy()))
    expected = t_dist.base_dist.log_prob(u_t) - t_dist.transforms[0].log_abs_det_jacobian(
        u_t, torch.tanh(u_t))
    _close(logp, expected)
    assert a.detach().numpy()[2] == -1.0  # tanh saturates: without the cache atanh(a) would be -inf
    assert np.isfinite(logp.detach().numpy()).all()
    (logp.sum() + a.sum()).backward()
    assert np.isfinite(mu.grad.numpy()).all() and np.isfinite(std.grad.numpy()).all()


SAMPLERS = {
    "laplace": lambda: D.Laplace(deepgrad.tensor([0.0, 2.0]), deepgrad.tensor([1.0, 0.5])),
    "halfnormal": lambda: D.HalfNormal(deepgrad.tensor([1.0, 2.0])),
    "lognormal": lambda: D.LogNormal(deepgrad.tensor([0.0, 0.5]), deepgrad.tensor([0.3, 0.5])),
    "poisson": lambda: D.Poisson(deepgrad.tensor([1.5, 6.0])),
    "binomial": lambda: D.Binomial(deepgrad.tensor([4.0, 10.0]),
                                   probs=deepgrad.tensor([0.3, 0.8])),
    "geometric": lambda: D.Geometric(probs=deepgrad.tensor([0.3, 0.7])),
    "multinomial": lambda: D.Multinomial(5, probs=deepgrad.tensor([0.2, 0.3, 0.5])),
    "mixture": lambda: D.MixtureSameFamily(D.Categorical(probs=deepgrad.tensor([0.3, 0.7])),
                                           D.Normal(deepgrad.tensor([-2.0, 2.0]),
                                                    deepgrad.tensor([0.5, 1.0]))),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_sample_moments_and_reproducible(name):
    dist = SAMPLERS[name]()
    deepgrad.manual_seed(4)
    a = dist.sample((20000,))
    deepgrad.manual_seed(4)
    np.testing.assert_array_equal(dist.sample((20000,)).numpy(), a.numpy())
    assert tuple(a.shape) == (20000,) + tuple(dist.batch_shape) + tuple(dist.event_shape)
    sample = a.numpy().astype(np.float64)
    np.testing.assert_allclose(sample.mean(0), dist.mean.numpy(), atol=0.05, rtol=0.03)
    np.testing.assert_allclose(sample.var(0), dist.variance.numpy(), atol=0.05, rtol=0.06)
    assert np.isfinite(dist.log_prob(a[:50]).numpy()).all()


def test_cauchy_samples_median_and_quartiles():
    deepgrad.manual_seed(2)
    s = D.Cauchy(1.0, 2.0).sample((40000,)).numpy()
    np.testing.assert_allclose(np.percentile(s, [25, 50, 75]), [-1.0, 1.0, 3.0], atol=0.1)


def test_errors():
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Binomial(3)
    with pytest.raises(ValueError, match="Expected parameter rate"):
        D.Poisson(-1.0)
    with pytest.raises(ValueError, match="Categorical"):
        D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(deepgrad.zeros(2), 1.0))
    with pytest.raises(ValueError, match="does not equal"):
        D.MixtureSameFamily(D.Categorical(logits=deepgrad.zeros(3)),
                            D.Normal(deepgrad.zeros(2), 1.0))
    with pytest.raises(ValueError, match="transforms must be"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), "exp")
    with pytest.raises(NotImplementedError, match="Inhomogeneous"):
        D.Binomial(deepgrad.tensor([2.0, 3.0]), probs=deepgrad.tensor([0.5, 0.5])).entropy()


def _relaxed(lib):
    """Where each library keeps the base relaxed distributions (torch: not at top level)."""
    if lib is D:
        return D
    from torch.distributions import relaxed_bernoulli, relaxed_categorical

    class Both:
        ExpRelaxedCategorical = relaxed_categorical.ExpRelaxedCategorical
        LogitRelaxedBernoulli = relaxed_bernoulli.LogitRelaxedBernoulli

    return Both


def test_relaxed_distributions():
    temp = np.array(0.7)
    logits = RNG.standard_normal((2, 3))
    _check(lambda lib, t, p: lib.RelaxedOneHotCategorical(t, logits=p), [temp, logits],
           RNG.dirichlet(np.ones(3), (4, 2)), methods=("log_prob",), atol=1e-8)
    _check(lambda lib, t, p: _relaxed(lib).ExpRelaxedCategorical(t, logits=p), [temp, logits],
           np.log(RNG.dirichlet(np.ones(3), (4, 2))), methods=("log_prob",), atol=1e-8)
    probs = RNG.uniform(0.2, 0.8, 3)
    _check(lambda lib, t, p: lib.RelaxedBernoulli(t, probs=p), [temp, probs],
           RNG.uniform(0.05, 0.95, (2, 3)), methods=("log_prob",), atol=1e-8)
    _check(lambda lib, t, p: _relaxed(lib).LogitRelaxedBernoulli(t, logits=p), [temp, probs],
           RNG.standard_normal((2, 3)), methods=("log_prob",), atol=1e-8)


def test_relaxed_rsample_is_differentiable_and_on_the_simplex():
    logits = deepgrad.tensor(RNG.standard_normal((5, 4)), requires_grad=True)
    deepgrad.manual_seed(0)
    dist = D.RelaxedOneHotCategorical(deepgrad.tensor(0.5, dtype=deepgrad.float64),
                                      logits=logits)
    y = dist.rsample((3,))
    assert y.shape == (3, 5, 4)
    np.testing.assert_allclose(y.detach().numpy().sum(-1), 1.0)
    (y[..., 0]).sum().backward()
    assert np.abs(logits.grad.numpy()).sum() > 0
    b = D.RelaxedBernoulli(deepgrad.tensor(0.5), probs=deepgrad.tensor([0.3, 0.9])).sample((5,))
    assert ((b.numpy() > 0) & (b.numpy() < 1)).all()


def test_straight_through():
    logits = deepgrad.tensor(RNG.standard_normal(4), requires_grad=True)
    deepgrad.manual_seed(0)
    dist = D.OneHotCategoricalStraightThrough(logits=logits)
    y = dist.rsample()
    assert sorted(y.detach().numpy().tolist()) == [0.0, 0.0, 0.0, 1.0]
    weights = RNG.standard_normal(4)
    (y * deepgrad.tensor(weights)).sum().backward()
    t_logits = torch.tensor(logits.detach().numpy(), requires_grad=True)
    (torch.softmax(t_logits, -1) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(logits.grad.numpy(), t_logits.grad.numpy(), atol=1e-12)


def test_student_gumbel_weibull_pareto_chi2_negbinomial():
    df, loc, scale = RNG.uniform(2.5, 6, 3), RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)
    _check(lambda lib, a, b, c: lib.StudentT(a, b, c), [df, loc, scale],
           RNG.standard_normal((2, 3)), atol=1e-8)
    _check(lambda lib, a, b: lib.Gumbel(a, b), [loc, scale], RNG.standard_normal((2, 3)),
           methods=("log_prob", "entropy", "mean", "variance", "stddev"))
    k = RNG.uniform(0.8, 3, 3)
    _check(lambda lib, a, b: lib.Weibull(a, b), [scale, k], RNG.uniform(0.1, 3, (2, 3)),
           atol=1e-8)
    _check(lambda lib, a, b: lib.Pareto(a, b), [scale, df], scale + RNG.uniform(0, 3, (2, 3)),
           methods=("log_prob", "entropy", "mean", "variance"), atol=1e-8)
    _check(lambda lib, a: lib.Chi2(a), [df], RNG.uniform(0.1, 5, (2, 3)))
    _check(lambda lib, a, p: lib.NegativeBinomial(a, probs=p), [df, RNG.uniform(0.1, 0.8, 3)],
           RNG.integers(0, 6, (2, 3)) * 1.0, methods=("log_prob", "mean", "variance"))
    _check(lambda lib, a, p: lib.NegativeBinomial(a, logits=p), [df, RNG.standard_normal(3)],
           RNG.integers(0, 6, (2, 3)) * 1.0, methods=("log_prob", "mean", "variance"))


MORE_SAMPLERS = {
    "studentt": lambda: D.StudentT(deepgrad.tensor([5.0, 8.0]), deepgrad.tensor([0.0, 1.0]),
                                   deepgrad.tensor([1.0, 0.5])),
    "gumbel": lambda: D.Gumbel(deepgrad.tensor([0.0, 1.0]), deepgrad.tensor([1.0, 0.5])),
    "weibull": lambda: D.Weibull(deepgrad.tensor([1.0, 2.0]), deepgrad.tensor([1.5, 3.0])),
    "pareto": lambda: D.Pareto(deepgrad.tensor([1.0, 2.0]), deepgrad.tensor([5.0, 6.0])),
    "chi2": lambda: D.Chi2(deepgrad.tensor([3.0, 5.0])),
    "negbinomial": lambda: D.NegativeBinomial(deepgrad.tensor([3.0, 5.0]),
                                              probs=deepgrad.tensor([0.3, 0.6])),
}


@pytest.mark.parametrize("name", sorted(MORE_SAMPLERS))
def test_more_sample_moments(name):
    dist = MORE_SAMPLERS[name]()
    deepgrad.manual_seed(5)
    sample = dist.sample((40000,)).numpy().astype(np.float64)
    np.testing.assert_allclose(sample.mean(0), dist.mean.numpy(), atol=0.05, rtol=0.03)
    np.testing.assert_allclose(sample.var(0), dist.variance.numpy(), atol=0.05, rtol=0.1)


def test_student_t_rsample_gradients():
    df = deepgrad.tensor(6.0, dtype=deepgrad.float64, requires_grad=True)
    loc = deepgrad.tensor(0.5, dtype=deepgrad.float64, requires_grad=True)
    scale = deepgrad.tensor(2.0, dtype=deepgrad.float64, requires_grad=True)
    deepgrad.manual_seed(0)
    x = D.StudentT(df, loc, scale).rsample((20000,))
    (x ** 2).mean().backward()
    # E[x²] = loc² + scale² df/(df-2): d/dloc = 2 loc, d/dscale = 2 scale df/(df-2),
    # d/ddf = -2 scale² / (df-2)²
    np.testing.assert_allclose([loc.grad.item(), scale.grad.item(), df.grad.item()],
                               [1.0, 6.0, -0.5], rtol=0.1, atol=0.05)


CONSTRAINTS = {
    "real": lambda c: c.real,
    "positive": lambda c: c.positive,
    "greater_than": lambda c: c.greater_than(2.0),
    "less_than": lambda c: c.less_than(-1.0),
    "unit_interval": lambda c: c.unit_interval,
    "interval": lambda c: c.interval(-2.0, 5.0),
    "simplex": lambda c: c.simplex,
    "real_vector": lambda c: c.real_vector,
}


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_constraint_registry_matches_torch(registry, name):
    u = RNG.standard_normal((2, 3))
    d_t = getattr(D, registry)(CONSTRAINTS[name](D.constraints))
    t_t = getattr(torch.distributions, registry)(CONSTRAINTS[name](torch.distributions.constraints))
    d_u, t_u = deepgrad.tensor(u, requires_grad=True), torch.tensor(u, requires_grad=True)
    d_y, t_y = d_t(d_u), t_t(t_u)
    _close(d_y, t_y, atol=1e-12)
    assert bool(CONSTRAINTS[name](D.constraints).check(d_y.detach()).numpy().all())
    if name == "simplex" and registry == "transform_to":
        return  # softmax: not bijective, no Jacobian determinant
    d_ldj, t_ldj = d_t.log_abs_det_jacobian(d_u, d_y), t_t.log_abs_det_jacobian(t_u, t_y)
    _close(d_ldj, t_ldj, atol=1e-10)
    _close(d_t.inv(d_y), t_u, atol=1e-8)
    if t_ldj.requires_grad:  # the identity's log|det J| is a constant 0
        d_ldj.sum().backward()
        t_ldj.sum().backward()
        _close(d_u.grad, t_u.grad, atol=1e-10)


def test_constraint_registry_register_and_errors():
    with pytest.raises(NotImplementedError, match="Cannot transform _Boolean"):
        D.biject_to(D.constraints.boolean)

    class MyConstraint(D.constraints.Constraint):
        pass

    D.transform_to.register(MyConstraint, lambda c: D.transforms.ExpTransform())
    assert isinstance(D.transform_to(MyConstraint()), D.transforms.ExpTransform)


def test_top_level_poisson_and_binomial():
    rates = deepgrad.tensor([[0.5, 3.0], [10.0, 0.0]])
    deepgrad.manual_seed(0)
    a = deepgrad.poisson(rates.expand(20000, 2, 2))
    deepgrad.manual_seed(0)
    np.testing.assert_array_equal(deepgrad.poisson(rates.expand(20000, 2, 2)).numpy(),
                                  a.numpy())
    assert a.dtype == np.float32 and a.shape == (20000, 2, 2) and not a.requires_grad
    np.testing.assert_allclose(a.numpy().mean(0), rates.numpy(), atol=0.06)
    g = deepgrad.Generator(7)
    b = deepgrad.binomial(deepgrad.tensor([5.0, 20.0]).expand(20000, 2),
                          deepgrad.tensor([0.2, 0.9]), generator=g)
    np.testing.assert_allclose(b.numpy().mean(0), [1.0, 18.0], atol=0.05)
    with pytest.raises(RuntimeError, match="non-negative"):
        deepgrad.poisson(deepgrad.tensor([-1.0]))
    th = torch.poisson(torch.tensor([2.0]))
    assert th.dtype == torch.float32 and a.dtype == np.float32


def test_lowrank_multivariate_normal():
    loc = RNG.standard_normal((2, 4))
    W = RNG.standard_normal((4, 2))
    diag = RNG.uniform(0.5, 2, 4)
    _check(lambda lib, a, b, c: lib.LowRankMultivariateNormal(a, b, c), [loc, W, diag],
           RNG.standard_normal((3, 2, 4)), methods=("log_prob", "entropy", "mean", "variance"),
           atol=1e-8)
    d = D.LowRankMultivariateNormal(*(deepgrad.tensor(a) for a in (loc, W, diag)))
    t = torch.distributions.LowRankMultivariateNormal(*(torch.tensor(a) for a in (loc, W, diag)))
    _close(d.covariance_matrix, t.covariance_matrix)
    _close(d.precision_matrix, t.precision_matrix, atol=1e-8)
    deepgrad.manual_seed(0)
    s = d.sample((20000,)).numpy()
    np.testing.assert_allclose(np.cov(s[:, 0].T), t.covariance_matrix[0].numpy(), atol=0.15)
    with pytest.raises(ValueError, match="cov_factor"):
        D.LowRankMultivariateNormal(deepgrad.zeros(3), deepgrad.zeros(2, 1), deepgrad.ones(3))


def test_torch_module_paths_resolve():
    import importlib

    for path, name in [("beta", "Beta"), ("one_hot_categorical", "OneHotCategorical"),
                       ("transformed_distribution", "TransformedDistribution"),
                       ("relaxed_categorical", "RelaxedOneHotCategorical"),
                       ("studentT", "StudentT"), ("log_normal", "LogNormal"),
                       ("normal", "Normal"), ("kl", "kl_divergence")]:
        module = importlib.import_module(f"deepgrad.distributions.{path}")
        assert getattr(module, name) is getattr(D, name)
        assert getattr(importlib.import_module(f"torch.distributions.{path}"), name)
        assert getattr(D, path) is module
