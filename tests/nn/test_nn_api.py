"""The wider torch.nn / torch.nn.functional surface against torch (float64): activations,
padding layers, distances, RMSNorm/LRN, EmbeddingBag, margin and likelihood losses, lazy
layers. Forward values and gradients are compared; modules share weights and state_dict keys."""

import numpy as np
import pytest
import torch
from helpers import compare, compare_raises

import deepgrad
from deepgrad import nn

REDUCTIONS = ["none", "mean", "sum"]
rng = np.random.default_rng(0)


def F(lib):
    return deepgrad.nn.functional if lib is deepgrad else torch.nn.functional


def NN(lib):
    return deepgrad.nn if lib is deepgrad else torch.nn


def away_from(points, shape, seed=0, low=-5.0, high=5.0, gap=0.05):
    """Uniform values in [low, high] kept ``gap`` away from the kinks in ``points``."""
    x = np.random.default_rng(seed).uniform(low, high, shape)
    for p in points:
        close = np.abs(x - p) < gap
        x[close] = p + np.where(x[close] >= p, gap, -gap)
    return x


def check_module(dg_module, th_module, *inputs, atol=1e-10, extra_inputs=()):
    """Same weights (by state_dict key) in both; compare outputs and all gradients."""
    dg_module.double()
    th_module.double()
    th_keys = list(th_module.state_dict().keys())
    assert list(dg_module.state_dict().keys()) == th_keys
    th_module.load_state_dict({k: torch.tensor(v.numpy())
                               for k, v in dg_module.state_dict().items()})
    dx = [deepgrad.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    tx = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    dy = dg_module(*dx, *[deepgrad.tensor(e) for e in extra_inputs])
    ty = th_module(*tx, *[torch.tensor(e) for e in extra_inputs])
    np.testing.assert_allclose(dy.detach().numpy(), ty.detach().numpy(), atol=atol, rtol=1e-9)
    upstream = rng.standard_normal(tuple(ty.shape))
    (dy * deepgrad.tensor(upstream)).sum().backward()
    (ty * torch.tensor(upstream)).sum().backward()
    for d, t in zip(dx, tx):
        if t.grad is not None:
            np.testing.assert_allclose(d.grad.numpy(), t.grad.numpy(), atol=atol, rtol=1e-9)
    th_params = dict(th_module.named_parameters())
    for name, p in dg_module.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), th_params[name].grad.numpy(), atol=atol,
                                   rtol=1e-9, err_msg=name)
    assert repr(dg_module) == repr(th_module)
    return dy


# ----- pointwise activations -----------------------------------------------------------------
ACTIVATIONS = [
    # (functional name, kwargs, module name, module args, kinks)
    ("logsigmoid", {}, "LogSigmoid", (), []),
    ("hardsigmoid", {}, "Hardsigmoid", (), [-3, 3]),
    ("hardswish", {}, "Hardswish", (), [-3, 3]),
    ("hardtanh", {"min_val": -2.0, "max_val": 1.5}, "Hardtanh", (-2.0, 1.5), [-2, 1.5]),
    ("relu6", {}, "ReLU6", (), [0, 6]),
    ("selu", {}, "SELU", (), [0]),
    ("celu", {"alpha": 0.7}, "CELU", (0.7,), [0]),
    ("mish", {}, "Mish", (), []),
    ("softsign", {}, "Softsign", (), []),
    ("silu", {}, "SiLU", (), []),
    ("threshold", {"threshold": 0.3, "value": -2.0}, "Threshold", (0.3, -2.0), [0.3]),
    ("hardshrink", {"lambd": 0.7}, "Hardshrink", (0.7,), [-0.7, 0.7]),
    ("softshrink", {"lambd": 0.7}, "Softshrink", (0.7,), [-0.7, 0.7]),
    ("tanhshrink", {}, "Tanhshrink", (), []),
]


@pytest.mark.parametrize("name,kwargs,module,args,kinks", ACTIVATIONS,
                         ids=[a[0] for a in ACTIVATIONS])
def test_activation_matches_torch(name, kwargs, module, args, kinks):
    x = away_from(kinks, (4, 5, 3), low=-7, high=8)
    compare(lambda lib, x: getattr(F(lib), name)(x, **kwargs), [x], atol=1e-12, rtol=1e-10)
    compare(lambda lib, x: getattr(NN(lib), module)(*args)(x), [x], atol=1e-12, rtol=1e-10)
    assert repr(getattr(nn, module)(*args)) == repr(getattr(torch.nn, module)(*args))


def test_activations_are_stable_at_large_inputs():
    x = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
    for name in ("logsigmoid", "mish", "softsign", "selu", "hardswish"):
        compare(lambda lib, x, name=name: getattr(F(lib), name)(x), [x], atol=1e-12,
                rtol=1e-10)


def test_activation_reprs_match_torch():
    for make in (lambda m: m.SELU(inplace=True), lambda m: m.CELU(0.5, True),
                 lambda m: m.Hardswish(), lambda m: m.Hardsigmoid(), lambda m: m.Mish(),
                 lambda m: m.RReLU(), lambda m: m.RReLU(0.1, 0.3, True),
                 lambda m: m.Threshold(0.1, 20, True), lambda m: m.GLU(1), lambda m: m.Softmin(1),
                 lambda m: m.Softmax2d(), lambda m: m.LogSigmoid(), lambda m: m.PReLU(3, 0.1)):
        assert repr(make(nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_softmin(dim):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about the implicit dim
        compare(lambda lib, x: F(lib).softmin(x, dim), [(4, 6)])
        compare(lambda lib, x: NN(lib).Softmin(dim)(x), [(4, 6)])


def test_softmax2d():
    compare(lambda lib, x: NN(lib).Softmax2d()(x), [(2, 3, 4, 5)])
    compare(lambda lib, x: NN(lib).Softmax2d()(x), [(3, 4, 5)])
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D"):
        nn.Softmax2d()(deepgrad.randn(3, 4))


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_glu(dim):
    compare(lambda lib, x: F(lib).glu(x, dim), [(4, 6, 2)])
    compare(lambda lib, x: NN(lib).GLU(dim)(x), [(4, 6, 2)])


def test_glu_odd_dimension_raises():
    compare_raises(lambda lib, x: F(lib).glu(x, 1), [(4, 5)], RuntimeError,
                   "glu: Halving dimension must be even, but dimension 1 is size 5")


@pytest.mark.parametrize("shape,count", [((4, 3, 5), 3), ((4, 3, 2, 2), 1), ((6,), 1),
                                         ((4, 3), 3), ((), 1)])
def test_prelu(shape, count):
    weight = np.array([0.2, -0.4, 0.7])[:count]
    x = away_from([0], shape)
    compare(lambda lib, x, w: F(lib).prelu(x, w), [x, weight])
    layer = nn.PReLU(count, init=0.3)
    assert list(layer.state_dict()) == ["weight"]
    check_module(layer, torch.nn.PReLU(count, init=0.3), x)


def test_prelu_channel_mismatch_raises():
    compare_raises(lambda lib, x, w: F(lib).prelu(x, w), [(4, 3, 5), np.ones(4)], RuntimeError,
                   "Mismatch of parameter numbers and input channel size")
    model = nn.Sequential(nn.Linear(5, 5), nn.PReLU(4))
    with pytest.raises(RuntimeError, match=r"PReLU at '1'.*channel size = 3"):
        model(deepgrad.randn(2, 3, 5))


def test_rrelu_eval_is_leaky_relu_with_mean_slope():
    x = away_from([0], (5, 4))
    compare(lambda lib, x: F(lib).rrelu(x, 0.1, 0.3, training=False), [x])
    compare(lambda lib, x: NN(lib).RReLU(0.1, 0.3).eval()(x), [x])


def test_rrelu_train_draws_seeded_slopes_in_range():
    x = deepgrad.tensor(away_from([0], (200, 50)), requires_grad=True)
    deepgrad.manual_seed(3)
    y = nn.RReLU(0.1, 0.3)(x)
    deepgrad.manual_seed(3)
    y2 = nn.RReLU(0.1, 0.3)(x)
    np.testing.assert_array_equal(y.detach().numpy(), y2.detach().numpy())
    xs, ys = x.detach().numpy(), y.detach().numpy()
    slope = ys[xs < 0] / xs[xs < 0]
    assert slope.min() >= 0.1 and slope.max() <= 0.3 and slope.std() > 0.04
    np.testing.assert_array_equal(ys[xs > 0], xs[xs > 0])
    y.sum().backward()  # the gradient is the slope that was drawn
    g = x.grad.numpy()
    np.testing.assert_allclose(g[xs < 0], slope)
    np.testing.assert_array_equal(g[xs > 0], 1.0)


def test_celu_alpha_zero_raises():
    compare_raises(lambda lib, x: F(lib).celu(x, 0.0), [(3,)], RuntimeError, "alpha cannot be 0")


def test_softshrink_negative_lambda_raises():
    compare_raises(lambda lib, x: F(lib).softshrink(x, -1.0), [(3,)], RuntimeError,
                   "lambda must be greater or equal to 0")


# ----- padding layers ------------------------------------------------------------------------
PADS = [
    ("ZeroPad1d", (2,), (2, 3, 5)), ("ZeroPad1d", ((1, 3),), (3, 5)),
    ("ZeroPad2d", (1,), (2, 3, 4, 5)), ("ZeroPad2d", ((1, 0, 2, 3),), (3, 4, 5)),
    ("ConstantPad1d", (2, 1.5), (2, 3, 5)), ("ConstantPad2d", ((1, 2, 0, 1), -0.5), (2, 3, 4, 5)),
    ("ConstantPad3d", (1, 2.0), (1, 2, 3, 4, 5)),
    ("ReflectionPad1d", (2,), (2, 3, 5)), ("ReflectionPad1d", ((3, 1),), (3, 5)),
    ("ReflectionPad2d", (2,), (2, 3, 4, 5)), ("ReflectionPad2d", ((1, 2, 3, 0),), (3, 4, 5)),
    ("ReflectionPad3d", (1,), (1, 2, 3, 4, 5)),
    ("ReplicationPad1d", (3,), (2, 3, 5)), ("ReplicationPad2d", ((1, 2, 3, 4),), (2, 3, 4, 5)),
    ("ReplicationPad3d", (1,), (1, 2, 3, 4, 5)),
    ("CircularPad1d", (2,), (2, 3, 5)), ("CircularPad2d", ((1, 2, 2, 1),), (2, 3, 4, 5)),
    ("CircularPad3d", (1,), (1, 2, 3, 4, 5)),
    ("ZeroPad2d", ((-1, 2, 1, -1),), (2, 3, 4, 5)),
]


@pytest.mark.parametrize("name,args,shape", PADS)
def test_padding_module_matches_torch(name, args, shape):
    compare(lambda lib, x: getattr(NN(lib), name)(*args)(x), [shape])
    assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_functional_pad_modes(mode):
    compare(lambda lib, x: F(lib).pad(x, (1, 2, 2, 1), mode=mode), [(2, 3, 4, 5)])


def test_padding_errors_name_the_module_and_shape():
    with pytest.raises(RuntimeError, match=r"ReflectionPad2d: expected 3D \(unbatched\) or 4D "
                                           r"\(batched\) input, got input of shape \(4, 5\)"):
        nn.ReflectionPad2d(1)(deepgrad.randn(4, 5))
    with pytest.raises(RuntimeError, match="ReflectionPad1d.*smaller than the input dimension"):
        nn.ReflectionPad1d(5)(deepgrad.randn(2, 3, 5))
    with pytest.raises(ValueError, match="ZeroPad2d: padding must be an int or a tuple of 4"):
        nn.ZeroPad2d((1, 2))


# ----- distances and normalisation -------------------------------------------------------------
@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, -1), (3.0, 0)])
def test_normalize(p, dim):
    compare(lambda lib, x: F(lib).normalize(x, p=p, dim=dim), [(4, 5, 3)])


def test_normalize_zero_vector_is_zero():
    x = np.zeros((2, 3))
    x[1] = [1.0, 2.0, -2.0]
    compare(lambda lib, x: F(lib).normalize(x), [x])


@pytest.mark.parametrize("dim,shapes", [(1, [(4, 5), (4, 5)]), (-1, [(3, 4, 6), (1, 4, 6)]),
                                        (0, [(5,), (5,)])])
def test_cosine_similarity(dim, shapes):
    compare(lambda lib, a, b: F(lib).cosine_similarity(a, b, dim=dim), shapes)
    compare(lambda lib, a, b: NN(lib).CosineSimilarity(dim)(a, b), shapes)


def test_cosine_similarity_small_norm_clamped_like_torch():
    a = np.array([[1e-10, 0.0, 0.0], [1.0, 2.0, 3.0]])
    b = np.array([[1.0, 1.0, 0.0], [0.5, -1.0, 2.0]])
    compare(lambda lib, a, b: F(lib).cosine_similarity(a, b, eps=1e-8), [a, b], atol=1e-9)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance(p, keepdim):
    compare(lambda lib, a, b: F(lib).pairwise_distance(a, b, p=p, keepdim=keepdim),
            [(6, 4), (6, 4)])
    compare(lambda lib, a, b: NN(lib).PairwiseDistance(p, keepdim=keepdim)(a, b),
            [(6, 4), (1, 4)])
    compare(lambda lib, a, b: F(lib).pairwise_distance(a, b, p=p), [(4,), (4,)])


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
def test_pdist(p):
    compare(lambda lib, x: F(lib).pdist(x, p), [(6, 4)])
    compare(lambda lib, x: F(lib).pdist(x, p), [(1, 4)])


def test_pdist_needs_2d():
    compare_raises(lambda lib, x: F(lib).pdist(x), [(2, 3, 4)], RuntimeError,
                   "pdist only supports 2D tensors, got: 3D")


@pytest.mark.parametrize("shape,normalized", [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5))])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm(shape, normalized, eps):
    w = rng.standard_normal(normalized)
    compare(lambda lib, x, w: F(lib).rms_norm(x, normalized, w, eps), [shape, w])
    compare(lambda lib, x: F(lib).rms_norm(x, normalized, eps=eps), [shape])
    layer = nn.RMSNorm(normalized, eps=eps)
    layer.weight.data = deepgrad.tensor(w).float()
    check_module(layer, torch.nn.RMSNorm(normalized, eps=eps), rng.standard_normal(shape))
    check_module(nn.RMSNorm(normalized, eps, elementwise_affine=False),
                 torch.nn.RMSNorm(normalized, eps, elementwise_affine=False),
                 rng.standard_normal(shape))


def test_rms_norm_shape_error_names_module():
    model = nn.Sequential(nn.Linear(4, 5), nn.RMSNorm(4))
    with pytest.raises(RuntimeError, match=r"RMSNorm at '1'.*normalized_shape=\[4\].*\[2, 5\]"):
        model(deepgrad.randn(2, 4))


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(2, 6, 7), (2, 6, 3, 4), (1, 4, 2, 3, 2)])
def test_local_response_norm(size, shape):
    compare(lambda lib, x: F(lib).local_response_norm(x, size, alpha=0.3, beta=0.6, k=1.5),
            [shape])
    compare(lambda lib, x: NN(lib).LocalResponseNorm(size)(x), [shape])
    assert repr(nn.LocalResponseNorm(size)) == repr(torch.nn.LocalResponseNorm(size))


def test_local_response_norm_needs_3d():
    compare_raises(lambda lib, x: F(lib).local_response_norm(x, 2), [(4, 5)], ValueError,
                   "Expected 3D or higher dimensionality input")


# ----- one_hot, gumbel-softmax, dropout variants, channel shuffle, fold ------------------------
def test_one_hot_matches_torch():
    idx = np.array([[0, 3], [2, 1]])
    for classes in (-1, 5):
        ours = F(deepgrad).one_hot(deepgrad.tensor(idx), classes).numpy()
        theirs = torch.nn.functional.one_hot(torch.tensor(idx), classes).numpy()
        np.testing.assert_array_equal(ours, theirs)
        assert ours.dtype == theirs.dtype


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("dim", [-1, 0])
def test_gumbel_softmax_against_torch_with_the_same_noise(hard, dim):
    logits = rng.standard_normal((5, 4))
    deepgrad.manual_seed(7)
    x = deepgrad.tensor(logits, requires_grad=True)
    y = F(deepgrad).gumbel_softmax(x, tau=0.5, hard=hard, dim=dim)
    deepgrad.manual_seed(7)  # replay the generator: the same Exp(1) draws deepgrad used
    noise = -np.log(deepgrad.empty(5, 4, dtype=deepgrad.float64).exponential_().numpy())
    t = torch.tensor(logits, requires_grad=True)
    soft = ((t + torch.tensor(noise)) / 0.5).softmax(dim)
    if hard:
        index = soft.max(dim, keepdim=True)[1]
        expected = torch.zeros_like(t).scatter_(dim, index, 1.0) - soft.detach() + soft
    else:
        expected = soft
    np.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), atol=1e-12)
    if hard:
        assert set(np.unique(y.detach().numpy())) <= {0.0, 1.0}
        np.testing.assert_array_equal(y.detach().numpy().sum(dim), 1.0)
    up = rng.standard_normal((5, 4))
    (y * deepgrad.tensor(up)).sum().backward()
    (expected * torch.tensor(up)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-12)


def test_alpha_dropout_keeps_selu_statistics_and_eval_is_identity():
    deepgrad.manual_seed(0)
    x = deepgrad.randn(400, 500, dtype=deepgrad.float64)
    for fn in (lambda x: F(deepgrad).alpha_dropout(x, 0.3, training=True),
               lambda x: F(deepgrad).feature_alpha_dropout(x.reshape(400, 500, 1), 0.3,
                                                           training=True)):
        y = fn(x).numpy()
        assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert F(deepgrad).feature_alpha_dropout(x, 0.3, training=False) is x
    layer = nn.FeatureAlphaDropout(0.2)
    assert repr(layer) == repr(torch.nn.FeatureAlphaDropout(0.2))
    assert layer.eval()(x) is x


def test_feature_alpha_dropout_drops_whole_channels():
    deepgrad.manual_seed(1)
    x = deepgrad.tensor(rng.standard_normal((8, 6, 5, 4)), requires_grad=True)
    y = F(deepgrad).feature_alpha_dropout(x, 0.5, training=True)
    alpha, p = 1.7580993408473766, 0.5
    a = 1 / np.sqrt((alpha ** 2 * p + 1) * (1 - p))
    ys, xs = y.detach().numpy(), x.detach().numpy()
    kept = np.isclose(ys, a * xs + alpha * a * p).all(axis=(2, 3))
    dropped = np.isclose(ys, alpha * a * (p - 1)).all(axis=(2, 3))
    assert (kept ^ dropped).all() and kept.any() and dropped.any()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(),
                               np.broadcast_to(np.where(kept[:, :, None, None], a, 0.0), xs.shape))


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_channel_shuffle(groups):
    compare(lambda lib, x: F(lib).channel_shuffle(x, groups), [(2, 6, 3, 2)])
    compare(lambda lib, x: NN(lib).ChannelShuffle(groups)(x), [(2, 6, 4)])
    assert repr(nn.ChannelShuffle(groups)) == repr(torch.nn.ChannelShuffle(groups))


def test_channel_shuffle_indivisible_raises():
    with pytest.raises(RuntimeError, match="ChannelShuffle: .*6 channels and 4 groups"):
        nn.ChannelShuffle(4)(deepgrad.randn(2, 6, 3))


def test_fold_unfold_modules():
    kwargs = dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    compare(lambda lib, x: NN(lib).Unfold(**kwargs)(x), [(2, 3, 6, 7)])
    compare(lambda lib, x: NN(lib).Fold((6, 7), **kwargs)(x), [(2, 18, 20)])
    assert repr(nn.Unfold(**kwargs)) == repr(torch.nn.Unfold(**kwargs))
    assert repr(nn.Fold((6, 7), **kwargs)) == repr(torch.nn.Fold((6, 7), **kwargs))


# ----- EmbeddingBag ----------------------------------------------------------------------------
def _bag_case(lib, module, weight, ids, offsets, psw):
    bag = module
    kwargs = {}
    if offsets is not None:
        kwargs["offsets"] = lib.tensor(offsets)
    if psw is not None:
        kwargs["per_sample_weights"] = psw
    return bag(lib.tensor(ids), **kwargs)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("layout", ["2d", "offsets", "last_offset"])
def test_embedding_bag_matches_torch(mode, padding_idx, layout):
    ids = np.array([1, 2, 4, 5, 4, 3, 2, 9, 2, 2])
    include_last = layout == "last_offset"
    offsets = None
    if layout == "2d":
        ids = ids.reshape(2, 5)
    else:
        offsets = np.array([0, 2, 2, 5, 8] + ([10] if include_last else []))
    weight = rng.standard_normal((10, 3))
    outs, grads = [], []
    for lib in (deepgrad, torch):
        w = lib.tensor(weight, requires_grad=True)
        kwargs = {"mode": mode, "padding_idx": padding_idx,
                  "include_last_offset": include_last}
        if offsets is not None:
            kwargs["offsets"] = lib.tensor(offsets)
        out = F(lib).embedding_bag(lib.tensor(ids), w, **kwargs)
        up = np.random.default_rng(1).standard_normal(tuple(out.shape))
        (out * lib.tensor(up)).sum().backward()
        outs.append(out.detach().numpy())
        grads.append(w.grad.numpy())
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-12)
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-12)


@pytest.mark.parametrize("layout", ["2d", "offsets"])
def test_embedding_bag_per_sample_weights(layout):
    ids = np.array([1, 2, 4, 5, 4, 3, 2, 9])
    psw = rng.standard_normal(8)
    offsets = np.array([0, 3, 3, 6])
    if layout == "2d":
        ids, psw, offsets = ids.reshape(2, 4), psw.reshape(2, 4), None

    def f(lib, weight, psw):
        return F(lib).embedding_bag(lib.tensor(ids), weight,
                                    None if offsets is None else lib.tensor(offsets),
                                    mode="sum", per_sample_weights=psw, padding_idx=4)

    compare(f, [(10, 3), psw])


def test_embedding_bag_module():
    bag = nn.EmbeddingBag(10, 3, mode="max", padding_idx=0)
    assert bag.weight.detach().numpy()[0].tolist() == [0, 0, 0]
    th = torch.nn.EmbeddingBag(10, 3, mode="max", padding_idx=0)
    ids = np.array([[1, 0, 3], [4, 4, 9]])
    check_module(bag, th, ids)
    bag = nn.EmbeddingBag(10, 3, max_norm=1.0, norm_type=1.0, mode="sum")
    th = torch.nn.EmbeddingBag(10, 3, max_norm=1.0, norm_type=1.0, mode="sum")
    assert repr(bag) == repr(th)
    check_module(bag, th, np.array([1, 2, 3, 7]), extra_inputs=(np.array([0, 1]),))
    pretrained = nn.EmbeddingBag.from_pretrained(deepgrad.randn(4, 2))
    assert not pretrained.weight.requires_grad and repr(pretrained) == "EmbeddingBag(4, 2, " \
                                                                       "mode='mean')"


def test_embedding_bag_errors():
    weight = deepgrad.randn(10, 3)
    with pytest.raises(ValueError, match="offsets has to be None"):
        F(deepgrad).embedding_bag(deepgrad.tensor([[1, 2]]), weight, deepgrad.tensor([0]))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F(deepgrad).embedding_bag(deepgrad.tensor([1, 2]), weight)
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F(deepgrad).embedding_bag(deepgrad.tensor([[1, 2]]), weight,
                                  per_sample_weights=deepgrad.ones(1, 2))
    model = nn.Sequential(nn.EmbeddingBag(10, 3))
    with pytest.raises(IndexError, match=r"EmbeddingBag at '0'.*token id 12 is out of range"):
        model(deepgrad.tensor([[1, 12]]))


# ----- losses ----------------------------------------------------------------------------------
def signs(shape, seed=0):
    return np.random.default_rng(seed).choice([-1.0, 1.0], size=shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss(reduction, margin):
    compare(lambda lib, a, b, y: F(lib).margin_ranking_loss(a, b, y, margin, reduction=reduction),
            [(8,), (8,), signs(8)])
    compare(lambda lib, a, b, y: NN(lib).MarginRankingLoss(margin, reduction=reduction)(a, b, y),
            [(8,), (8,), signs(8)])


def test_margin_ranking_loss_dims_error():
    compare_raises(lambda lib, a, b, y: F(lib).margin_ranking_loss(a, b, y),
                   [(4,), (4, 1), signs(4)], RuntimeError,
                   "All input tensors should have same dimension")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_loss(reduction):
    x = away_from([1.5], (5, 4), low=0, high=3)
    compare(lambda lib, x, y: F(lib).hinge_embedding_loss(x, y, 1.5, reduction=reduction),
            [x, signs((5, 4))])
    compare(lambda lib, x, y: NN(lib).HingeEmbeddingLoss(reduction=reduction)(x, y),
            [away_from([1.0], (7,), low=0, high=3), signs(7)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss(reduction):
    y = signs((5, 4))  # torch refuses a target that requires grad: pass it as a constant
    compare(lambda lib, x: F(lib).soft_margin_loss(x, lib.tensor(y), reduction=reduction),
            [(5, 4)])
    y = np.array([1.0, -1.0, 1.0, -1.0])
    compare(lambda lib, x: NN(lib).SoftMarginLoss(reduction=reduction)(x, lib.tensor(y)),
            [np.array([-50.0, 0.0, 3.0, 300.0])])
    # torch's log1p(exp(·)) overflows to inf at −y·x = 800; deepgrad's stays exact
    big = F(deepgrad).soft_margin_loss(deepgrad.tensor([800.0]), deepgrad.tensor([-1.0]))
    assert big.item() == 800.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_loss(reduction, weighted):
    w = rng.uniform(0.5, 2, 4)
    target = (rng.uniform(size=(6, 4)) > 0.5).astype(np.float64)

    def f(lib, x, t):
        weight = lib.tensor(w) if weighted else None
        return F(lib).multilabel_soft_margin_loss(x, t, weight, reduction=reduction)

    compare(f, [(6, 4), target])
    compare(lambda lib, x, t: NN(lib).MultiLabelSoftMarginLoss(
        lib.tensor(w) if weighted else None, reduction=reduction)(x, t), [(6, 4), target])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin", [(1, 1.0), (2, 0.7)])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss(reduction, p, margin, weighted):
    w = rng.uniform(0.5, 2, 5)
    target = rng.integers(0, 5, 7)

    def f(lib, x, t):
        weight = lib.tensor(w) if weighted else None
        return F(lib).multi_margin_loss(x, t, p, margin, weight, reduction=reduction)

    compare(f, [(7, 5), target])
    compare(lambda lib, x, t: NN(lib).MultiMarginLoss(p, margin, reduction=reduction)(x, t),
            [(5,), np.array(3)])


def test_multi_margin_loss_errors():
    compare_raises(lambda lib, x, t: F(lib).multi_margin_loss(x, t, p=3), [(4, 3), np.zeros(4,
                   dtype=np.int64)], ValueError, "only p == 1 and p == 2 supported")
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(reduction):
    target = np.array([[3, 0, -1, 1, 2], [1, 2, 4, 0, 3], [-1, 1, 1, 1, 1], [4, 4, 2, -1, 0]])
    compare(lambda lib, x, t: F(lib).multilabel_margin_loss(x, t, reduction=reduction),
            [(4, 5), target])
    compare(lambda lib, x, t: NN(lib).MultiLabelMarginLoss(reduction=reduction)(x, t),
            [(5,), target[0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3])
def test_cosine_embedding_loss(reduction, margin):
    compare(lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y, margin,
                                                              reduction=reduction),
            [(6, 4), (6, 4), signs(6)])
    compare(lambda lib, a, b, y: NN(lib).CosineEmbeddingLoss(margin, reduction=reduction)(a, b,
                                                                                           y),
            [(4,), (4,), np.array(-1.0)])


def test_cosine_embedding_loss_shape_error():
    compare_raises(lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y),
                   [(6, 4), (6, 4), signs((6, 2))], RuntimeError, "0D or 1D target tensor")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,swap", [(2.0, False), (1.0, True), (3.0, False)])
def test_triplet_margin_loss(reduction, p, swap):
    compare(lambda lib, a, pos, neg: F(lib).triplet_margin_loss(a, pos, neg, margin=0.8, p=p,
                                                                swap=swap, reduction=reduction),
            [(6, 4), (6, 4), (6, 4)])
    compare(lambda lib, a, pos, neg: NN(lib).TripletMarginLoss(p=p, swap=swap,
                                                               reduction=reduction)(a, pos, neg),
            [(4,), (4,), (4,)])


def test_triplet_margin_loss_dims_error():
    compare_raises(lambda lib, a, p, n: F(lib).triplet_margin_loss(a, p, n),
                   [(6, 4), (4,), (6, 4)], RuntimeError, "anchor 2D, positive 1D")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss(reduction, swap):
    def cosine_distance(lib):
        return lambda a, b: 1.0 - F(lib).cosine_similarity(a, b)

    compare(lambda lib, a, p, n: F(lib).triplet_margin_with_distance_loss(
        a, p, n, distance_function=cosine_distance(lib), margin=0.5, swap=swap,
        reduction=reduction), [(6, 4), (6, 4), (6, 4)])
    compare(lambda lib, a, p, n: NN(lib).TripletMarginWithDistanceLoss(
        swap=swap, reduction=reduction)(a, p, n), [(6, 4), (6, 4), (6, 4)])
    assert repr(nn.TripletMarginWithDistanceLoss()) == \
        repr(torch.nn.TripletMarginWithDistanceLoss())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True),
                                            (False, True)])
def test_poisson_nll_loss(reduction, log_input, full):
    target = rng.poisson(2.0, (5, 4)).astype(np.float64)
    x = rng.uniform(0.1, 3, (5, 4)) if not log_input else rng.standard_normal((5, 4))
    compare(lambda lib, x, t: F(lib).poisson_nll_loss(x, t, log_input, full,
                                                      reduction=reduction), [x, target + 1])
    # torch's target gradient is NaN at t = 0 (0 · log 0): compare there with a constant target
    compare(lambda lib, x: NN(lib).PoissonNLLLoss(log_input, full, reduction=reduction)(
        x, lib.tensor(target)), [x])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", [(5, 4), (5,), (5, 1), (1, 4)])
def test_gaussian_nll_loss(reduction, full, var_shape):
    var = rng.uniform(0.1, 2, var_shape)
    var.reshape(-1)[0] = 1e-8  # below eps: clamped in value, gradient still flows
    compare(lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v, full, reduction=reduction),
            [(5, 4), (5, 4), var])
    compare(lambda lib, x, t, v: NN(lib).GaussianNLLLoss(full=full, reduction=reduction)(x, t, v),
            [(5, 4), (5, 4), var], rtol=1e-5)


def test_gaussian_nll_loss_float_var_and_errors():
    compare(lambda lib, x, t: F(lib).gaussian_nll_loss(x, t, 0.5), [(5, 4), (5, 4)])
    compare_raises(lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v.abs()),
                   [(5, 4), (5, 4), (3,)], ValueError, "var is of incorrect size")
    compare_raises(lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v),
                   [(5, 4), (5, 4), -np.ones((5, 4))], ValueError, "var has negative entry")


def test_loss_reprs_and_bad_reduction():
    for make in (lambda m: m.MarginRankingLoss(0.5), lambda m: m.TripletMarginLoss(),
                 lambda m: m.PoissonNLLLoss(), lambda m: m.GaussianNLLLoss(),
                 lambda m: m.MultiMarginLoss(), lambda m: m.SoftMarginLoss()):
        assert repr(make(nn)) == repr(make(torch.nn))
    with pytest.raises(ValueError, match="margin_ranking_loss: 'avg' is not a valid value"):
        F(deepgrad).margin_ranking_loss(deepgrad.randn(3), deepgrad.randn(3), deepgrad.ones(3),
                                        reduction="avg")


# ----- lazy layers -----------------------------------------------------------------------------
def test_lazy_linear_infers_in_features():
    layer = nn.LazyLinear(3)
    assert repr(layer) == repr(torch.nn.LazyLinear(3))
    assert isinstance(layer.weight, nn.UninitializedParameter)
    opt = deepgrad.optim.SGD(layer.parameters(), lr=0.1)
    weight = layer.weight
    y = layer(deepgrad.randn(4, 7))
    assert type(layer) is nn.Linear and layer.in_features == 7 and tuple(y.shape) == (4, 3)
    assert layer.weight is weight and type(weight) is deepgrad.nn.Parameter
    assert tuple(layer.weight.shape) == (3, 7) and tuple(layer.bias.shape) == (3,)
    assert np.abs(layer.weight.detach().numpy()).max() <= 1 / np.sqrt(7)
    before = layer.weight.detach().numpy().copy()
    y.sum().backward()
    opt.step()  # the optimizer built before the first call trains the materialised weight
    assert not np.array_equal(before, layer.weight.detach().numpy())
    assert repr(layer) == "Linear(in_features=7, out_features=3, bias=True)"


def test_lazy_linear_matches_torch_and_loads_state():
    lazy = nn.LazyLinear(3, bias=False).double()
    lazy(deepgrad.randn(2, 5, dtype=deepgrad.float64))
    assert lazy.weight.dtype == np.float64
    check_module(lazy, torch.nn.Linear(5, 3, bias=False), rng.standard_normal((4, 5)))
    fresh = nn.LazyLinear(3)
    fresh.load_state_dict(nn.Linear(6, 3).state_dict())
    assert tuple(fresh.weight.shape) == (3, 6)
    assert tuple(fresh(deepgrad.randn(2, 6)).shape) == (2, 3) and fresh.in_features == 6


@pytest.mark.parametrize("batched", [True, False])
def test_lazy_conv2d_infers_in_channels(batched):
    layer = nn.LazyConv2d(4, 3, stride=2, padding=1, groups=2)
    assert repr(layer) == repr(torch.nn.LazyConv2d(4, 3, stride=2, padding=1, groups=2))
    shape = (2, 6, 9, 8) if batched else (6, 9, 8)
    y = layer(deepgrad.randn(*shape))
    assert type(layer) is nn.Conv2d and layer.in_channels == 6
    assert tuple(layer.weight.shape) == (4, 3, 3, 3)
    th = torch.nn.Conv2d(6, 4, 3, stride=2, padding=1, groups=2)
    assert repr(layer) == repr(th) and tuple(y.shape) == tuple(th(torch.randn(*shape)).shape)
    check_module(layer, th, rng.standard_normal(shape))


def test_lazy_conv_bad_input_names_module():
    model = nn.Sequential(nn.LazyConv2d(4, 3))
    with pytest.raises(RuntimeError, match=r"LazyConv2d at '0': Expected 3D \(unbatched\) or 4D"):
        model(deepgrad.randn(2, 3))
    conv1 = nn.LazyConv1d(2, 3)
    assert tuple(conv1(deepgrad.randn(2, 5, 7)).shape) == (2, 2, 5)
    assert type(conv1) is nn.Conv1d and conv1.in_channels == 5


def test_new_names_are_torchs():
    for name in ("LogSigmoid", "Hardswish", "Hardsigmoid", "SELU", "CELU", "Mish", "Softsign",
                 "Softmin", "GLU", "PReLU", "RReLU", "Threshold", "Hardshrink", "Softshrink",
                 "Tanhshrink", "Softmax2d", "CosineSimilarity", "PairwiseDistance", "RMSNorm",
                 "LocalResponseNorm", "EmbeddingBag", "ChannelShuffle", "Fold", "Unfold",
                 "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d",
                 "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d",
                 "CircularPad2d", "LazyLinear", "LazyConv2d", "MarginRankingLoss",
                 "HingeEmbeddingLoss", "CosineEmbeddingLoss", "TripletMarginLoss",
                 "TripletMarginWithDistanceLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss",
                 "MultiLabelMarginLoss", "MultiMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss",
                 "FeatureAlphaDropout", "UninitializedParameter", "UninitializedBuffer",
                 "CTCLoss", "LPPool1d", "LPPool2d", "NLLLoss2d", "LazyConv1d",
                 "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyBatchNorm1d",
                 "LazyBatchNorm2d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "ZeroPad3d",
                 "ConstantPad3d", "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d"):
        assert hasattr(torch.nn, name) and name in nn.__all__ and hasattr(nn, name), name


# ----- spatial transformer: affine_grid, grid_sample --------------------------------------------
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 2, 3, 4, 2)])
def test_affine_grid(align_corners, size):
    theta = (2, 2, 3) if len(size) == 4 else (2, 3, 4)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unit-size grids with align_corners warn in both
        compare(lambda lib, t: F(lib).affine_grid(t, size, align_corners=align_corners), [theta])


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample(mode, padding_mode, align_corners):
    # grid values reach past ±1 so every padding rule is exercised; away from pixel edges/centres
    # (kinks of the interpolation) by construction
    grid = np.random.default_rng(2).uniform(-1.6, 1.6, (2, 5, 6, 2))
    compare(lambda lib, x, g: F(lib).grid_sample(x, g, mode, padding_mode, align_corners),
            [(2, 3, 4, 5), grid], atol=1e-9)


def test_grid_sample_through_affine_grid():
    def f(lib, x, theta):
        grid = F(lib).affine_grid(theta, (2, 3, 6, 5), align_corners=False)
        return F(lib).grid_sample(x, grid, align_corners=False, padding_mode="border")

    theta = np.array([[[0.9, 0.2, 0.1], [-0.3, 1.1, 0.05]], [[1.2, 0.0, -0.2], [0.1, 0.8, 0.3]]])
    compare(f, [(2, 3, 4, 5), theta], atol=1e-9)


def test_grid_sample_errors():
    x, g = deepgrad.randn(2, 3, 4, 5), deepgrad.randn(2, 4, 4, 2)
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or"):
        F(deepgrad).grid_sample(x, g, mode="linear", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode to be 'zeros'"):
        F(deepgrad).grid_sample(x, g, padding_mode="wrap", align_corners=False)
    with pytest.raises(RuntimeError, match="same batch size"):
        F(deepgrad).grid_sample(x, deepgrad.randn(3, 4, 4, 2), align_corners=False)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F(deepgrad).grid_sample(x, g)
    with pytest.raises(ValueError, match="Nx2x3"):
        F(deepgrad).affine_grid(deepgrad.randn(2, 3, 3), (2, 3, 4, 5), align_corners=False)


# ----- CTC -------------------------------------------------------------------------------------
def _ctc_case(seed=0):
    g = np.random.default_rng(seed)
    frames, batch, classes = 12, 4, 6
    logits = g.standard_normal((frames, batch, classes))
    target_lengths = np.array([3, 5, 1, 4])
    targets = g.integers(1, classes, (batch, 5))
    targets[1, 1] = targets[1, 2]  # a repeated label needs a blank between
    input_lengths = np.array([12, 10, 7, 12])
    return logits, targets, input_lengths, target_lengths


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_ctc_loss_matches_torch(reduction, layout):
    logits, targets, input_lengths, target_lengths = _ctc_case()
    if layout == "concatenated":
        targets = np.concatenate([t[:k] for t, k in zip(targets, target_lengths)])

    def f(lib, x):
        return F(lib).ctc_loss(F(lib).log_softmax(x, 2), lib.tensor(targets),
                               lib.tensor(input_lengths), lib.tensor(target_lengths),
                               reduction=reduction)

    compare(f, [logits], atol=1e-9)
    # torch's gradient for the log-probabilities themselves (p − γ) is reproduced too
    compare(lambda lib, lp: NN(lib).CTCLoss(reduction=reduction)(
        lp, lib.tensor(targets), lib.tensor(input_lengths), lib.tensor(target_lengths)),
        [np.log(np.random.default_rng(1).dirichlet(np.ones(6), size=(12, 4)))], atol=1e-9)


def test_ctc_loss_blank_unbatched_and_zero_infinity():
    logits, targets, input_lengths, target_lengths = _ctc_case(3)
    compare(lambda lib, x: F(lib).ctc_loss(F(lib).log_softmax(x, 2), lib.tensor(targets - 1),
                                           lib.tensor(input_lengths),
                                           lib.tensor(target_lengths), blank=5),
            [logits], atol=1e-9)
    compare(lambda lib, x: F(lib).ctc_loss(F(lib).log_softmax(x, 1), lib.tensor(targets[0, :3]),
                                           lib.tensor(12), lib.tensor(3), reduction="none"),
            [logits[:, 0]], atol=1e-9)
    impossible = input_lengths.copy()
    impossible[1] = 4  # 5 labels (one repeat) can't fit in 4 frames: loss inf
    for zero_infinity in (False, True):
        for lib in (deepgrad, torch):
            loss = F(lib).ctc_loss(F(lib).log_softmax(lib.tensor(logits), 2), lib.tensor(targets),
                                   lib.tensor(impossible), lib.tensor(target_lengths),
                                   reduction="none", zero_infinity=zero_infinity)
            values = loss.numpy()
            assert (values[1] == 0) if zero_infinity else np.isinf(values[1])
    compare(lambda lib, x: F(lib).ctc_loss(F(lib).log_softmax(x, 2), lib.tensor(targets),
                                           lib.tensor(impossible), lib.tensor(target_lengths),
                                           zero_infinity=True), [logits], atol=1e-9)
    assert repr(nn.CTCLoss()) == repr(torch.nn.CTCLoss())


# ----- more lazy layers, LP pooling, in-place spellings, aliases -------------------------------
@pytest.mark.parametrize("make,th_make,shape", [
    (lambda: nn.LazyConvTranspose2d(4, 3, stride=2, groups=2),
     lambda: torch.nn.ConvTranspose2d(6, 4, 3, stride=2, groups=2), (2, 6, 5, 4)),
    (lambda: nn.LazyConvTranspose1d(3, 2), lambda: torch.nn.ConvTranspose1d(5, 3, 2), (2, 5, 7)),
    (lambda: nn.LazyBatchNorm1d(), lambda: torch.nn.BatchNorm1d(5), (6, 5)),
    (lambda: nn.LazyBatchNorm2d(momentum=None), lambda: torch.nn.BatchNorm2d(3, momentum=None),
     (4, 3, 2, 5)),
    (lambda: nn.LazyInstanceNorm1d(), lambda: torch.nn.InstanceNorm1d(3, affine=True,
                                                                      track_running_stats=True),
     (2, 3, 6)),
    (lambda: nn.LazyInstanceNorm2d(), lambda: torch.nn.InstanceNorm2d(3, affine=True,
                                                                      track_running_stats=True),
     (3, 4, 5)),
])
def test_more_lazy_layers(make, th_make, shape):
    layer = make()
    layer(deepgrad.randn(*shape))
    th = th_make()
    assert type(layer).__name__ == type(th).__name__ and repr(layer) == repr(th)
    assert {k: tuple(v.shape) for k, v in layer.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in th.state_dict().items()}
    layer.eval()
    th.eval()
    # running statistics are still the initial ones in both; compare eval outputs and gradients
    layer.double()
    th.double()
    th.load_state_dict({k: torch.tensor(v.numpy()) for k, v in layer.state_dict().items()})
    x = rng.standard_normal(shape)
    compare(lambda lib, x: (layer if lib is deepgrad else th)(x), [x], atol=1e-9)


def test_lazy_norm_repr_before_first_call():
    for name in ("LazyBatchNorm1d", "LazyBatchNorm2d", "LazyInstanceNorm1d", "LazyInstanceNorm2d"):
        assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())
    assert repr(nn.LazyConvTranspose2d(4, 3)) == repr(torch.nn.LazyConvTranspose2d(4, 3))


def test_lazy_norm_loads_state_dict():
    source = nn.BatchNorm2d(3)
    source.running_mean.data = deepgrad.tensor([0.5, -1.0, 2.0])
    lazy = nn.LazyBatchNorm2d()
    lazy.load_state_dict(source.state_dict())
    assert lazy.running_mean.numpy().tolist() == [0.5, -1.0, 2.0]
    lazy.eval()
    y = lazy(deepgrad.ones(1, 3, 2, 2))
    assert type(lazy) is nn.BatchNorm2d and lazy.num_features == 3 and y.shape == (1, 3, 2, 2)


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("stride,ceil_mode", [(None, False), (1, False), (2, True)])
def test_lp_pool(norm_type, stride, ceil_mode):
    x = np.random.default_rng(0).uniform(0.1, 2.0, (2, 3, 7, 6))
    compare(lambda lib, x: F(lib).lp_pool2d(x, norm_type, (2, 3), stride, ceil_mode), [x])
    compare(lambda lib, x: NN(lib).LPPool2d(norm_type, 2, stride, ceil_mode)(x), [x])
    compare(lambda lib, x: F(lib).lp_pool1d(x, norm_type, 3, stride, ceil_mode), [x[:, :, 0]])
    compare(lambda lib, x: NN(lib).LPPool1d(norm_type, 2, stride, ceil_mode)(x), [x[:, :, 0]])
    assert repr(nn.LPPool2d(norm_type, 2, stride)) == repr(torch.nn.LPPool2d(norm_type, 2,
                                                                            stride))


def test_max_pool_with_indices_spellings():
    compare(lambda lib, x: F(lib).max_pool2d_with_indices(x, 2)[0], [(2, 3, 6, 4)])
    compare(lambda lib, x: F(lib).max_pool1d_with_indices(x, 3, 2)[0], [(2, 3, 7)])
    compare(lambda lib, x: F(lib).adaptive_max_pool2d_with_indices(x, (2, 3))[0], [(2, 3, 5, 7)])
    compare(lambda lib, x: F(lib).adaptive_max_pool1d_with_indices(x, 3)[0], [(2, 3, 7)])
    for lib in (deepgrad, torch):
        _, index = F(lib).max_pool2d_with_indices(lib.tensor(np.arange(24.0).reshape(1, 1, 4, 6)),
                                                  2)
        assert index.numpy().tolist() == [[[[7, 9, 11], [19, 21, 23]]]]


@pytest.mark.parametrize("name,args", [("relu_", ()), ("elu_", (0.5,)), ("leaky_relu_", (0.2,)),
                                       ("hardtanh_", (-0.5, 0.5)), ("celu_", (0.7,)),
                                       ("selu_", ()), ("threshold_", (0.1, -3.0)),
                                       ("rrelu_", (0.1, 0.3))])
def test_functional_in_place_variants(name, args):
    x = np.random.default_rng(0).standard_normal((4, 5))
    results = []
    for lib in (deepgrad, torch):
        t = lib.tensor(x.copy())
        out = getattr(F(lib), name)(t, *args)
        assert out is t
        results.append(t.numpy())
    np.testing.assert_allclose(results[0], results[1], atol=1e-12)
    leaf = deepgrad.tensor(x, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(F(deepgrad), name)(leaf, *args)


def test_nll_loss_2d_alias():
    target = np.random.default_rng(0).integers(0, 4, (2, 3, 5))
    with pytest.warns(FutureWarning, match="NLLLoss2d` has been deprecated"):
        compare(lambda lib, x: NN(lib).NLLLoss2d()(F(lib).log_softmax(x, 1),
                                                   lib.tensor(target)), [(2, 4, 3, 5)])


# ----- 3-d normalisation -----------------------------------------------------------------------
def test_batch_norm_3d_and_instance_norm_3d():
    x = rng.standard_normal((3, 4, 2, 3, 5))
    for training in (True, False):
        for make in (lambda m: m.BatchNorm3d(4), lambda m: m.InstanceNorm3d(4, affine=True),
                     lambda m: m.InstanceNorm3d(4, track_running_stats=True)):
            layer, th = make(nn), make(torch.nn)
            layer.train(training)
            th.train(training)
            check_module(layer, th, x)
            if layer.running_mean is not None:
                np.testing.assert_allclose(layer.running_mean.numpy(),
                                           th.running_mean.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match=r"BatchNorm3d at '0': expected 5D input"):
        nn.Sequential(nn.BatchNorm3d(4))(deepgrad.randn(2, 4, 3, 3))
    lazy = nn.LazyBatchNorm3d()
    lazy(deepgrad.randn(2, 4, 2, 2, 2))
    assert type(lazy) is nn.BatchNorm3d and lazy.num_features == 4


# ----- 3-d convolution -------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1), dict(dilation=(1, 2, 1),
                                    padding=(0, 2, 1), groups=2),
                                    dict(stride=(1, 2, 3), padding=(2, 0, 1))])
@pytest.mark.parametrize("bias", [True, False])
def test_conv3d(kwargs, bias):
    b = rng.standard_normal(4) if bias else None
    compare(lambda lib, x, w, *bb: F(lib).conv3d(x, w, *bb, **kwargs),
            [(2, 4, 5, 6, 7), (4, 4 // kwargs.get("groups", 1), 3, 2, 3)] + ([b] if bias else []),
            atol=1e-9)
    layer = nn.Conv3d(4, 4, (3, 2, 3), bias=bias, **kwargs)
    check_module(layer, torch.nn.Conv3d(4, 4, (3, 2, 3), bias=bias, **kwargs),
                 rng.standard_normal((2, 4, 5, 6, 7)), atol=1e-9)


def test_conv3d_same_padding_modes_and_unbatched():
    compare(lambda lib, x, w: F(lib).conv3d(x, w, padding="same", dilation=(1, 2, 1)),
            [(4, 5, 6, 7), (3, 4, 2, 3, 2)], atol=1e-9)
    for mode in ("reflect", "replicate", "circular"):
        layer = nn.Conv3d(2, 3, 3, padding=1, padding_mode=mode)
        check_module(layer, torch.nn.Conv3d(2, 3, 3, padding=1, padding_mode=mode),
                     rng.standard_normal((1, 2, 4, 5, 4)), atol=1e-9)
    with pytest.raises(RuntimeError, match=r"Conv3d at '0': expected input with 3 channels"):
        nn.Sequential(nn.Conv3d(3, 2, 2))(deepgrad.randn(1, 2, 4, 4, 4))


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1, output_padding=1),
                                    dict(stride=(1, 2, 2), dilation=(2, 1, 1), groups=2),
                                    dict(padding=(1, 0, 2), stride=(2, 3, 1))])
def test_conv_transpose3d(kwargs):
    groups = kwargs.get("groups", 1)
    compare(lambda lib, x, w, b: F(lib).conv_transpose3d(x, w, b, **kwargs),
            [(2, 4, 3, 4, 3), (4, 6 // groups, 3, 2, 3), (6,)], atol=1e-9)
    layer = nn.ConvTranspose3d(4, 6, (3, 2, 3), **kwargs)
    check_module(layer, torch.nn.ConvTranspose3d(4, 6, (3, 2, 3), **kwargs),
                 rng.standard_normal((2, 4, 3, 4, 3)), atol=1e-9)


def test_lazy_conv3d():
    for lazy, th in ((nn.LazyConv3d(3, 2), torch.nn.Conv3d(5, 3, 2)),
                     (nn.LazyConvTranspose3d(3, 2), torch.nn.ConvTranspose3d(5, 3, 2))):
        lazy(deepgrad.randn(1, 5, 3, 3, 3))
        assert repr(lazy) == repr(th)
        check_module(lazy, th, rng.standard_normal((2, 5, 3, 4, 3)), atol=1e-9)


# ----- 3-d pooling -----------------------------------------------------------------------------
POOL3D = [dict(kernel_size=2), dict(kernel_size=(2, 3, 2), stride=(1, 2, 1), padding=(1, 1, 0)),
          dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
          dict(kernel_size=(3, 2, 2), stride=2, ceil_mode=True)]


@pytest.mark.parametrize("kwargs", POOL3D + [dict(kernel_size=2, dilation=(2, 1, 2))])
def test_max_pool3d(kwargs):
    x = rng.permutation(2 * 3 * 5 * 6 * 7).reshape(2, 3, 5, 6, 7) / 10.0  # distinct: no ties
    compare(lambda lib, x: F(lib).max_pool3d(x, **kwargs), [x])
    compare(lambda lib, x: NN(lib).MaxPool3d(**kwargs)(x), [x[0]])
    ours = F(deepgrad).max_pool3d(deepgrad.tensor(x), return_indices=True, **kwargs)[1]
    theirs = torch.nn.functional.max_pool3d(torch.tensor(x), return_indices=True, **kwargs)[1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    pooled, index = F(deepgrad).max_pool3d(deepgrad.tensor(x), return_indices=True, **kwargs)
    if "dilation" not in kwargs and not kwargs.get("ceil_mode") and not kwargs.get("padding"):
        compare(lambda lib, p: F(lib).max_unpool3d(p, lib.tensor(index.numpy()),
                                                   kwargs["kernel_size"], kwargs.get("stride"),
                                                   output_size=x.shape[2:]),
                [pooled.numpy()])


@pytest.mark.parametrize("kwargs", POOL3D)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool3d(kwargs, count_include_pad):
    compare(lambda lib, x: F(lib).avg_pool3d(x, count_include_pad=count_include_pad, **kwargs),
            [(2, 3, 5, 6, 7)])
    compare(lambda lib, x: NN(lib).AvgPool3d(count_include_pad=count_include_pad,
                                             **kwargs)(x), [(3, 5, 6, 7)])
    compare(lambda lib, x: F(lib).avg_pool3d(x, divisor_override=5, **kwargs), [(1, 2, 5, 6, 7)])


@pytest.mark.parametrize("size", [1, 2, (3, 2, 4), (5, None, 3)])
def test_adaptive_pool3d(size):
    x = rng.permutation(2 * 3 * 5 * 6 * 7).reshape(2, 3, 5, 6, 7) / 10.0
    compare(lambda lib, x: F(lib).adaptive_avg_pool3d(x, size), [x])
    compare(lambda lib, x: NN(lib).AdaptiveAvgPool3d(size)(x), [x[0]])
    compare(lambda lib, x: F(lib).adaptive_max_pool3d(x, size), [x])
    compare(lambda lib, x: NN(lib).AdaptiveMaxPool3d(size)(x), [x[0]])
    ours = F(deepgrad).adaptive_max_pool3d(deepgrad.tensor(x), size, return_indices=True)[1]
    theirs = torch.nn.functional.adaptive_max_pool3d(torch.tensor(x), size, True)[1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_pool3d_errors_and_modules():
    compare_raises(lambda lib, x: F(lib).max_pool3d(x, 2, padding=2), [(1, 1, 4, 4, 4)],
                   RuntimeError, "pad should be at most half")
    compare_raises(lambda lib, x: F(lib).avg_pool3d(x, 2), [(4, 4, 4)], RuntimeError,
                   "Expected 4D or 5D")
    unpool = nn.MaxUnpool3d(2)
    assert repr(unpool) == repr(torch.nn.MaxUnpool3d(2))
    x = deepgrad.tensor(rng.permutation(64).reshape(1, 1, 4, 4, 4) / 1.0)
    pooled, index = nn.MaxPool3d(2, return_indices=True)(x)
    restored = unpool(pooled, index).numpy()
    assert restored.shape == (1, 1, 4, 4, 4) and restored.max() == 63 and (restored > 0).sum() == 8


# ----- LPPool3d, AdaptiveLogSoftmaxWithLoss, DataParallel, SyncBatchNorm -------------------------
def test_lp_pool3d():
    x = np.random.default_rng(0).uniform(0.1, 2.0, (2, 3, 5, 6, 4))
    compare(lambda lib, x: F(lib).lp_pool3d(x, 2.0, (2, 3, 2), stride=1), [x])
    compare(lambda lib, x: NN(lib).LPPool3d(3, 2, ceil_mode=True)(x), [x])
    assert repr(nn.LPPool3d(2, 3)) == repr(torch.nn.LPPool3d(2, 3))
    compare(lambda lib, x: F(lib).native_channel_shuffle(x, 3), [(2, 6, 2)], grad=False)


def _asm_pair(head_bias):
    ours = nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 9, 15], div_value=2.0, head_bias=head_bias)
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 9, 15], div_value=2.0,
                                                 head_bias=head_bias)
    ours.double()
    theirs.double()
    assert list(ours.state_dict()) == list(theirs.state_dict()) and repr(ours) == repr(theirs)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_log_softmax_with_loss(head_bias):
    ours, theirs = _asm_pair(head_bias)
    x = rng.standard_normal((12, 16))
    target = np.array([0, 3, 4, 8, 9, 14, 15, 19, 2, 12, 17, 5])
    dx, tx = deepgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    do, to = ours(dx, deepgrad.tensor(target)), theirs(tx, torch.tensor(target))
    np.testing.assert_allclose(do.output.detach().numpy(), to.output.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(do.loss.item(), to.loss.item(), atol=1e-12)
    do.loss.backward()
    to.loss.backward()
    np.testing.assert_allclose(dx.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    th_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        if p.numel():
            np.testing.assert_allclose(p.grad.numpy(), th_params[name].grad.numpy(), atol=1e-12,
                                       err_msg=name)
    np.testing.assert_allclose(ours.log_prob(deepgrad.tensor(x)).detach().numpy(),
                               theirs.log_prob(torch.tensor(x)).detach().numpy(), atol=1e-12)
    np.testing.assert_array_equal(ours.predict(deepgrad.tensor(x)).numpy(),
                                  theirs.predict(torch.tensor(x)).numpy())
    single = ours(deepgrad.tensor(x[0]), deepgrad.tensor(np.array(7)))
    assert single.output.shape == ()


def test_adaptive_log_softmax_errors():
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3])
    layer = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3])
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        layer(deepgrad.randn(2, 8), deepgrad.tensor([1, 12]))


def test_data_parallel_is_a_transparent_wrapper():
    inner = nn.Linear(4, 3)
    wrapped = nn.DataParallel(inner)
    assert repr(wrapped) == repr(torch.nn.DataParallel(torch.nn.Linear(4, 3)))
    assert list(wrapped.state_dict()) == ["module.weight", "module.bias"]
    x = deepgrad.randn(5, 4)
    np.testing.assert_array_equal(wrapped(x).detach().numpy(), inner(x).detach().numpy())
    assert wrapped.module is inner and wrapped.device_ids == []


def test_sync_batch_norm():
    x = rng.standard_normal((4, 3, 2, 5, 2))
    check_module(nn.SyncBatchNorm(3), torch.nn.SyncBatchNorm(3), x)
    model = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3))
    bn = model[1]
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert type(converted[1]) is nn.SyncBatchNorm and converted[1].weight is bn.weight
    assert converted[1].running_mean is bn.running_mean
    th = torch.nn.SyncBatchNorm.convert_sync_batchnorm(torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 1), torch.nn.BatchNorm2d(3)))
    assert repr(converted) == repr(th) and list(converted.state_dict()) == list(th.state_dict())
