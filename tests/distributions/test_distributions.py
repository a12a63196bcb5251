"""deepgrad.distributions against torch.distributions: log_prob, entropy, moments and KL in
float64 (values and gradients), samples statistically (the generators differ)."""

import numpy as np
import pytest
import torch
from dist_helpers import RNG, _check, _close, _pair

import deepgrad
from deepgrad import distributions as D


def test_normal():
    loc, scale = RNG.standard_normal((3, 2)), RNG.uniform(0.5, 2, (3, 2))
    _check(lambda lib, a, b: lib.Normal(a, b), [loc, scale], RNG.standard_normal((4, 3, 2)),
           methods=("log_prob", "entropy", "mean", "variance", "stddev"))


def test_normal_cdf_icdf():
    loc, scale = RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)
    d, t = D.Normal(deepgrad.tensor(loc), deepgrad.tensor(scale)), \
        torch.distributions.Normal(torch.tensor(loc), torch.tensor(scale))
    x = RNG.standard_normal(3)
    _close(d.cdf(deepgrad.tensor(x)), t.cdf(torch.tensor(x)))
    q = np.array([0.1, 0.5, 0.8])
    _close(d.icdf(deepgrad.tensor(q)), t.icdf(torch.tensor(q)), atol=1e-7)


@pytest.mark.parametrize("by", ["probs", "logits"])
def test_bernoulli(by):
    param = RNG.uniform(0.1, 0.9, 5) if by == "probs" else RNG.standard_normal(5)
    value = (RNG.random((2, 5)) < 0.5).astype(np.float64)
    _check(lambda lib, p: lib.Bernoulli(**{by: p}), [param], value)


@pytest.mark.parametrize("by", ["probs", "logits"])
def test_categorical(by):
    param = RNG.uniform(0.1, 1, (3, 4)) if by == "probs" else RNG.standard_normal((3, 4))
    value = RNG.integers(0, 4, (2, 3))
    _check(lambda lib, p: lib.Categorical(**{by: p}), [param], value,
           methods=("log_prob", "entropy"))
    d, t = D.Categorical(**{by: deepgrad.tensor(param)}), \
        torch.distributions.Categorical(**{by: torch.tensor(param)})
    _close(d.probs, t.probs)
    _close(d.logits, t.logits)
    _close(d.enumerate_support(), t.enumerate_support())
    assert d.enumerate_support(expand=False).shape == tuple(t.enumerate_support(False).shape)


def test_one_hot_categorical():
    logits = RNG.standard_normal((2, 3))
    value = np.eye(3)[RNG.integers(0, 3, (4, 2))]
    _check(lambda lib, p: lib.OneHotCategorical(logits=p), [logits], value,
           methods=("log_prob", "entropy", "mean", "variance"))


def test_uniform():
    low = RNG.uniform(-2, 0, 4)
    high = low + RNG.uniform(0.5, 2, 4)
    value = low + (high - low) * RNG.random((3, 4))
    _check(lambda lib, a, b: lib.Uniform(a, b), [low, high], value,
           methods=("log_prob", "entropy", "mean", "variance", "stddev"))


@pytest.mark.parametrize("by", ["covariance_matrix", "scale_tril", "precision_matrix"])
def test_multivariate_normal(by):
    A = RNG.standard_normal((2, 3, 3))
    cov = A @ np.swapaxes(A, -1, -2) + 3 * np.eye(3)
    matrix = {"covariance_matrix": cov, "scale_tril": np.linalg.cholesky(cov),
              "precision_matrix": np.linalg.inv(cov)}[by]
    loc = RNG.standard_normal(3)  # broadcast against the batch of matrices
    value = RNG.standard_normal((5, 2, 3))
    methods = ("log_prob", "entropy", "mean", "variance")
    _check(lambda lib, m, s: lib.MultivariateNormal(m, **{by: s}), [loc, matrix], value,
           methods=methods, atol=1e-8)
    d = D.MultivariateNormal(deepgrad.tensor(loc), **{by: deepgrad.tensor(matrix)})
    t = torch.distributions.MultivariateNormal(torch.tensor(loc), **{by: torch.tensor(matrix)})
    _close(d.covariance_matrix, t.covariance_matrix, atol=1e-8)
    _close(d.scale_tril, t.scale_tril, atol=1e-8)
    _close(d.precision_matrix, t.precision_matrix, atol=1e-8)
    assert d.batch_shape == (2,) and d.event_shape == (3,)


def test_gamma_beta_dirichlet_exponential():
    c, r = RNG.uniform(0.5, 3, 4), RNG.uniform(0.5, 2, 4)
    _check(lambda lib, a, b: lib.Gamma(a, b), [c, r], RNG.uniform(0.1, 3, (2, 4)))
    _check(lambda lib, a: lib.Exponential(a), [r], RNG.uniform(0.1, 3, (2, 4)))
    a, b = RNG.uniform(0.5, 3, 3), RNG.uniform(0.5, 3, 3)
    _check(lambda lib, x, y: lib.Beta(x, y), [a, b], RNG.uniform(0.05, 0.95, (2, 3)))
    conc = RNG.uniform(0.5, 3, (2, 3))
    value = RNG.dirichlet(np.ones(3), (4, 2))
    _check(lambda lib, x: lib.Dirichlet(x), [conc], value)


def test_independent():
    loc, scale = RNG.standard_normal((3, 2)), RNG.uniform(0.5, 2, (3, 2))
    _check(lambda lib, a, b: lib.Independent(lib.Normal(a, b), 1), [loc, scale],
           RNG.standard_normal((4, 3, 2)), methods=("log_prob", "entropy", "mean"))
    d = D.Independent(D.Normal(deepgrad.zeros(3, 2), deepgrad.ones(3, 2)), 1)
    assert d.batch_shape == (3,) and d.event_shape == (2,)




KL_CASES = {
    "normal": (lambda lib, a, b, c, d: (lib.Normal(a, b), lib.Normal(c, d)),
               lambda: [RNG.standard_normal(3), RNG.uniform(0.5, 2, 3),
                        RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)]),
    "bernoulli": (lambda lib, a, b: (lib.Bernoulli(probs=a), lib.Bernoulli(logits=b)),
                  lambda: [RNG.uniform(0.1, 0.9, 4), RNG.standard_normal(4)]),
    "categorical": (lambda lib, a, b: (lib.Categorical(logits=a), lib.Categorical(probs=b)),
                    lambda: [RNG.standard_normal((2, 4)), RNG.uniform(0.1, 1, (2, 4))]),
    "onehot": (lambda lib, a, b: (lib.OneHotCategorical(logits=a),
                                  lib.OneHotCategorical(logits=b)),
               lambda: [RNG.standard_normal((2, 4)), RNG.standard_normal((2, 4))]),
    "uniform": (lambda lib, a, b: (lib.Uniform(a, a + 1), lib.Uniform(b, b + 3)),
                lambda: [RNG.uniform(0, 1, 3), RNG.uniform(-1.5, -1, 3)]),
    "mvn": (lambda lib, a, b, c, d: (lib.MultivariateNormal(a, scale_tril=b),
                                     lib.MultivariateNormal(c, covariance_matrix=d)),
            lambda: [RNG.standard_normal(3), np.tril(RNG.uniform(0.2, 1, (3, 3))) + np.eye(3),
                     RNG.standard_normal((2, 3)),
                     (lambda A: A @ A.T + np.eye(3))(RNG.standard_normal((3, 3)))]),
    "gamma": (lambda lib, a, b, c, d: (lib.Gamma(a, b), lib.Gamma(c, d)),
              lambda: [RNG.uniform(0.5, 3, 3) for _ in range(4)]),
    "beta": (lambda lib, a, b, c, d: (lib.Beta(a, b), lib.Beta(c, d)),
             lambda: [RNG.uniform(0.5, 3, 3) for _ in range(4)]),
    "dirichlet": (lambda lib, a, b: (lib.Dirichlet(a), lib.Dirichlet(b)),
                  lambda: [RNG.uniform(0.5, 3, (2, 3)) for _ in range(2)]),
    "exponential": (lambda lib, a, b: (lib.Exponential(a), lib.Exponential(b)),
                    lambda: [RNG.uniform(0.5, 3, 3) for _ in range(2)]),
    "laplace": (lambda lib, a, b, c, d: (lib.Laplace(a, b), lib.Laplace(c, d)),
                lambda: [RNG.standard_normal(3), RNG.uniform(0.5, 2, 3),
                         RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)]),
    "normal_laplace": (lambda lib, a, b, c, d: (lib.Normal(a, b), lib.Laplace(c, d)),
                       lambda: [RNG.standard_normal(3), RNG.uniform(0.5, 2, 3),
                                RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)]),
    "halfnormal": (lambda lib, a, b: (lib.HalfNormal(a), lib.HalfNormal(b)),
                   lambda: [RNG.uniform(0.5, 2, 3), RNG.uniform(0.5, 2, 3)]),
    "lognormal": (lambda lib, a, b, c, d: (lib.LogNormal(a, b), lib.LogNormal(c, d)),
                  lambda: [RNG.standard_normal(3), RNG.uniform(0.5, 2, 3),
                           RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)]),
    "poisson": (lambda lib, a, b: (lib.Poisson(a), lib.Poisson(b)),
                lambda: [RNG.uniform(0.5, 3, 3), RNG.uniform(0.5, 3, 3)]),
    "geometric": (lambda lib, a, b: (lib.Geometric(probs=a), lib.Geometric(logits=b)),
                  lambda: [RNG.uniform(0.1, 0.9, 3), RNG.standard_normal(3)]),
    "binomial": (lambda lib, a, b: (lib.Binomial(4, probs=a), lib.Binomial(4, logits=b)),
                 lambda: [RNG.uniform(0.1, 0.9, 3), RNG.standard_normal(3)]),
    "independent": (lambda lib, a, b, c, d: (lib.Independent(lib.Normal(a, b), 1),
                                             lib.Independent(lib.Normal(c, d), 1)),
                    lambda: [RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2, (2, 3)),
                             RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2, (2, 3))]),
}


@pytest.mark.parametrize("case", sorted(KL_CASES))
def test_kl_divergence(case):
    make, params = KL_CASES[case]
    pairs = [_pair(p) for p in params()]
    p_dg, q_dg = make(D, *[p[0] for p in pairs])
    p_th, q_th = make(torch.distributions, *[p[1] for p in pairs])
    kl_dg = D.kl_divergence(p_dg, q_dg)
    kl_th = torch.distributions.kl_divergence(p_th, q_th)
    _close(kl_dg, kl_th, atol=1e-8)
    weights = RNG.standard_normal(tuple(kl_th.shape))
    (kl_dg * deepgrad.tensor(weights)).sum().backward()
    (kl_th * torch.tensor(weights)).sum().backward()
    for d, t in pairs:
        _close(d.grad, t.grad, atol=1e-8)


def test_kl_infinite_where_support_not_covered():
    p = D.Uniform(deepgrad.tensor([0.0, 0.0]), deepgrad.tensor([1.0, 1.0]))
    q = D.Uniform(deepgrad.tensor([0.5, -1.0]), deepgrad.tensor([2.0, 2.0]))
    kl = D.kl_divergence(p, q).numpy()
    assert np.isinf(kl[0]) and np.isclose(kl[1], np.log(3.0))
    b = D.kl_divergence(D.Bernoulli(probs=deepgrad.tensor([0.0, 0.5])),
                        D.Bernoulli(probs=deepgrad.tensor([0.3, 0.0]))).numpy()
    t = torch.distributions.kl_divergence(
        torch.distributions.Bernoulli(probs=torch.tensor([0.0, 0.5])),
        torch.distributions.Bernoulli(probs=torch.tensor([0.3, 0.0]))).numpy()
    np.testing.assert_allclose(b, t, rtol=1e-6)


def test_register_kl_and_missing_pair():
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p "
                                                  "type Normal and q type Bernoulli"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(probs=0.5))

    class MyNormal(D.Normal):
        pass

    assert float(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0))) == pytest.approx(0.5)

    @D.register_kl(MyNormal, D.Bernoulli)
    def _kl(p, q):
        return deepgrad.tensor(7.0)

    assert float(D.kl_divergence(MyNormal(0.0, 1.0), D.Bernoulli(probs=0.5))) == 7.0
    with pytest.raises(TypeError):
        D.register_kl(int, D.Normal)


# ----- sampling: shapes, reproducibility, statistics ------------------------------------------

SAMPLERS = {
    "normal": (lambda: D.Normal(deepgrad.tensor([1.0, -2.0]), deepgrad.tensor([0.5, 2.0]))),
    "bernoulli": (lambda: D.Bernoulli(probs=deepgrad.tensor([0.2, 0.7]))),
    "uniform": (lambda: D.Uniform(deepgrad.tensor([0.0, -1.0]), deepgrad.tensor([1.0, 3.0]))),
    "gamma": (lambda: D.Gamma(deepgrad.tensor([2.0, 0.5]), deepgrad.tensor([1.0, 3.0]))),
    "beta": (lambda: D.Beta(deepgrad.tensor([2.0, 0.5]), deepgrad.tensor([1.0, 3.0]))),
    "exponential": (lambda: D.Exponential(deepgrad.tensor([2.0, 0.5]))),
    "categorical": (lambda: D.Categorical(probs=deepgrad.tensor([[0.1, 0.6, 0.3],
                                                                 [0.5, 0.25, 0.25]]))),
    "onehot": (lambda: D.OneHotCategorical(probs=deepgrad.tensor([[0.1, 0.6, 0.3],
                                                                  [0.5, 0.25, 0.25]]))),
    "dirichlet": (lambda: D.Dirichlet(deepgrad.tensor([[1.0, 2.0, 3.0], [0.5, 0.5, 4.0]]))),
    "mvn": (lambda: D.MultivariateNormal(deepgrad.tensor([1.0, -1.0]),
                                         deepgrad.tensor([[2.0, 0.8], [0.8, 1.0]]))),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_sample_shape_reproducible_and_moments(name):
    dist = SAMPLERS[name]()
    deepgrad.manual_seed(3)
    a = dist.sample((20000,))
    deepgrad.manual_seed(3)
    b = dist.sample((20000,))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert tuple(a.shape) == (20000,) + tuple(dist.batch_shape) + tuple(dist.event_shape)
    assert not a.requires_grad
    if name == "categorical":
        freq = np.stack([(a.numpy() == k).mean(0) for k in range(3)], -1)
        np.testing.assert_allclose(freq, dist.probs.numpy(), atol=0.02)
        return
    sample = a.numpy().astype(np.float64)
    np.testing.assert_allclose(sample.mean(0), dist.mean.numpy(), atol=0.05, rtol=0.03)
    np.testing.assert_allclose(sample.var(0), dist.variance.numpy(), atol=0.05, rtol=0.05)
    if name == "mvn":
        np.testing.assert_allclose(np.cov(sample.T), dist.covariance_matrix.numpy(), atol=0.06)
    assert np.isfinite(dist.log_prob(a[:100]).numpy()).all()


def test_sample_default_shape_and_dtype():
    assert D.Normal(0.0, 1.0).sample().shape == ()
    assert D.Normal(0.0, 1.0).sample().dtype == np.float32
    assert D.Normal(deepgrad.zeros(3, dtype=deepgrad.float64), 1.0).sample((2,)).dtype == \
        np.float64
    assert D.Categorical(logits=deepgrad.zeros(4)).sample().dtype == np.int64
    assert D.Bernoulli(probs=0.5).sample((3, 2)).shape == (3, 2)


def test_rsample_gradient_is_reparameterized():
    loc = deepgrad.tensor([0.5, -1.0], dtype=deepgrad.float64, requires_grad=True)
    scale = deepgrad.tensor([1.5, 0.3], dtype=deepgrad.float64, requires_grad=True)
    deepgrad.manual_seed(1)
    x = D.Normal(loc, scale).rsample((1000,))
    assert x.requires_grad
    x.sum().backward()
    eps = (x.detach().numpy() - loc.detach().numpy()) / scale.detach().numpy()
    np.testing.assert_allclose(loc.grad.numpy(), [1000.0, 1000.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0), rtol=1e-10)
    m = D.MultivariateNormal(loc, scale_tril=deepgrad.diag(scale))
    m.rsample((5,)).sum().backward()
    assert loc.grad.numpy()[0] == pytest.approx(1005.0)
    low = deepgrad.tensor(0.0, requires_grad=True)
    D.Uniform(low, 2.0).rsample((10,)).sum().backward()
    assert low.grad is not None
    with pytest.raises(NotImplementedError, match="rsample"):
        D.Bernoulli(probs=0.5).rsample()


def test_expand():
    d = D.Normal(deepgrad.tensor([0.0, 1.0]), 1.0).expand((3, 2))
    assert d.batch_shape == (3, 2) and d.sample().shape == (3, 2)
    c = D.Categorical(logits=deepgrad.zeros(4)).expand((5,))
    assert c.batch_shape == (5,) and c.sample((2,)).shape == (2, 5)
    m = D.MultivariateNormal(deepgrad.zeros(2), deepgrad.eye(2)).expand((3,))
    assert m.batch_shape == (3,) and m.log_prob(deepgrad.zeros(3, 2)).shape == (3,)


# ----- validation: torch's errors -------------------------------------------------------------

INVALID = [
    (lambda lib: lib.Normal(0.0, -1.0), "Expected parameter scale (Tensor of shape ()) of "
     "distribution Normal(loc: 0.0, scale: -1.0) to satisfy the constraint "
     "GreaterThan(lower_bound=0.0), but found invalid values:"),
    (lambda lib: lib.Uniform(1.0, 0.0), "Expected parameter low (Tensor of shape ()) of "
     "distribution Uniform(low: 1.0, high: 0.0) to satisfy the constraint "
     "LessThan(upper_bound=0.0)"),
    (lambda lib: lib.Bernoulli(), "Either `probs` or `logits` must be specified, but not both."),
    (lambda lib: lib.Bernoulli(probs=1.5), "to satisfy the constraint "
     "Interval(lower_bound=0.0, upper_bound=1.0)"),
    (lambda lib: lib.Gamma(1.0, 0.0), "Expected parameter rate"),
]


@pytest.mark.parametrize("index", range(len(INVALID)))
def test_invalid_parameters_raise_like_torch(index):
    make, message = INVALID[index]
    with pytest.raises(ValueError) as th_error:
        make(torch.distributions)
    assert message in str(th_error.value)
    with pytest.raises(ValueError) as dg_error:
        make(D)
    assert message in str(dg_error.value)


def test_invalid_values_and_shapes():
    with pytest.raises(ValueError, match="within the support \\(Boolean\\(\\)\\)"):
        D.Bernoulli(probs=0.3).log_prob(deepgrad.tensor(0.5))
    with pytest.raises(ValueError, match="Value is not broadcastable with "
                                         "batch_shape\\+event_shape"):
        D.Normal(deepgrad.zeros(3), 1.0).log_prob(deepgrad.zeros(2))
    with pytest.raises(ValueError, match="must be a Tensor"):
        D.Normal(0.0, 1.0).log_prob(0.5)
    with pytest.raises(ValueError, match="Simplex"):
        D.Categorical(probs=deepgrad.tensor([-1.0, 2.0]))
    with pytest.raises(ValueError, match="at least one-dimensional"):
        D.Categorical(probs=deepgrad.tensor(1.0))
    with pytest.raises(ValueError, match="Exactly one of"):
        D.MultivariateNormal(deepgrad.zeros(2))
    with pytest.raises(ValueError, match="PositiveDefinite"):
        D.MultivariateNormal(deepgrad.zeros(2), deepgrad.tensor([[1.0, 2.0], [2.0, 1.0]]))
    # validate_args=False skips the checks, as torch
    assert D.Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0


def test_policy_gradient_loss_matches_torch():
    """REINFORCE: -(log_prob(action) * advantage).mean() through Categorical(logits)."""
    logits = RNG.standard_normal((6, 4))
    actions = RNG.integers(0, 4, 6)
    advantage = RNG.standard_normal(6)
    d_logits, t_logits = _pair(logits)
    d_loss = -(D.Categorical(logits=d_logits).log_prob(deepgrad.tensor(actions))
               * deepgrad.tensor(advantage)).mean() - 0.01 * D.Categorical(
                   logits=d_logits).entropy().mean()
    t_loss = -(torch.distributions.Categorical(logits=t_logits).log_prob(torch.tensor(actions))
               * torch.tensor(advantage)).mean() - 0.01 * torch.distributions.Categorical(
                   logits=t_logits).entropy().mean()
    _close(d_loss, t_loss)
    d_loss.backward()
    t_loss.backward()
    _close(d_logits.grad, t_logits.grad)


def test_top_level_access_and_repr():
    assert deepgrad.distributions.Normal is D.Normal
    assert repr(D.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert "Size([3])" in repr(D.Normal(deepgrad.zeros(3), 1.0))
    assert repr(D.constraints.positive) == "GreaterThan(lower_bound=0.0)"
    p = D.Normal(0.0, 2.0)
    assert float(p.perplexity()) == pytest.approx(float(np.exp(p.entropy().item())))


def test_gamma_rsample_implicit_gradient():
    """dz/dα of gamma samples: against a 40-digit reference (mpmath) and torch's (whose
    approximation is good to about 1e-4), and in expectation d E[x] / dα = 1 / rate."""
    from deepgrad.distributions.gamma import _standard_gamma_grad

    alpha = np.array([0.05, 0.3, 1.0, 2.5, 10.0, 100.0, 0.5, 3.0, 1500.0])
    z = np.array([0.001, 0.2, 1.0, 4.0, 8.0, 120.0, 3.0, 0.5, 1490.0])
    ours = _standard_gamma_grad(alpha, z)
    theirs = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(z)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=5e-4)
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    for a, x, g in zip(alpha[:8], z[:8], ours[:8]):
        dF = mp.diff(lambda s, x=x: mp.gammainc(s, 0, x, regularized=True), a)
        pdf = mp.power(x, a - 1) * mp.exp(-x) / mp.gamma(a)
        assert abs(g - float(-dF / pdf)) <= 1e-7 * abs(g)
    conc = deepgrad.tensor([0.7, 4.0], dtype=deepgrad.float64, requires_grad=True)
    rate = deepgrad.tensor([2.0, 0.5], dtype=deepgrad.float64, requires_grad=True)
    deepgrad.manual_seed(0)
    D.Gamma(conc, rate).rsample((20000,)).mean(0).sum().backward()
    np.testing.assert_allclose(conc.grad.numpy(), 1 / rate.detach().numpy(), rtol=0.03)
    np.testing.assert_allclose(rate.grad.numpy(), -(conc / rate ** 2).detach().numpy(),
                               rtol=0.03)


def test_beta_dirichlet_rsample_gradients_in_expectation():
    a = deepgrad.tensor(2.0, dtype=deepgrad.float64, requires_grad=True)
    b = deepgrad.tensor(3.0, dtype=deepgrad.float64, requires_grad=True)
    deepgrad.manual_seed(1)
    D.Beta(a, b).rsample((20000,)).mean().backward()
    # mean a / (a + b): d/da = b / (a + b)², d/db = -a / (a + b)²
    np.testing.assert_allclose([a.grad.item(), b.grad.item()], [3 / 25, -2 / 25], rtol=0.05)
    c = deepgrad.tensor([1.0, 2.0, 3.0], dtype=deepgrad.float64, requires_grad=True)
    x = D.Dirichlet(c).rsample((20000,))
    np.testing.assert_allclose(x.detach().numpy().sum(-1), 1.0)
    x[:, 0].mean().backward()
    np.testing.assert_allclose(c.grad.numpy(), [5 / 36, -1 / 36, -1 / 36], rtol=0.08,
                               atol=0.004)
