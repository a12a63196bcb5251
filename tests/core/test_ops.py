"""Every core op, forward and gradient, against torch in float64 (one line per case).

Shapes cover broadcasting, size-1 dims, 0-d tensors and negative dims.
"""

import numpy as np
import pytest
from helpers import compare

F = "nn.functional"


def fn(lib):
    return lib.nn.functional


def pos(shape, seed=1):
    """Strictly positive inputs (log, sqrt, pow bases)."""
    return np.asarray(np.random.default_rng(seed).uniform(0.5, 2.0, size=shape))


def away_from_zero(shape, seed=2):
    """Inputs with |x| >= 0.2, away from kinks (abs, relu, sign...)."""
    x = np.random.default_rng(seed).uniform(0.2, 2.0, size=shape)
    return np.asarray(x * np.where(np.random.default_rng(seed + 1).random(shape) < 0.5, -1.0, 1.0))


def distinct(shape, seed=3):
    """A random permutation scaled: no ties, so max/min gradients are unambiguous."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n).reshape(shape) - n / 2) / 7.0


BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)),
                 ((5,), ()), ((1, 3), (4, 1)), ((), ())]

# ----- elementwise binary -------------------------------------------------------------------

BINARY = {
    "add": lambda lib, x, y: x + y,
    "sub": lambda lib, x, y: x - y,
    "mul": lambda lib, x, y: x * y,
    "add_alpha": lambda lib, x, y: lib.add(x, y, alpha=2.5),
    "sub_alpha": lambda lib, x, y: lib.sub(x, y, alpha=0.5),
    "maximum": lambda lib, x, y: lib.maximum(x, y),
    "minimum": lambda lib, x, y: lib.minimum(x, y),
    "where": lambda lib, x, y: lib.where(x > 0, x, y),
}


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
def test_binary(name, shapes):
    compare(BINARY[name], list(shapes))


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
def test_div(shapes):
    compare(lambda lib, x, y: x / y, [shapes[0], away_from_zero(shapes[1])])


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
def test_pow_tensor_tensor(shapes):
    compare(lambda lib, x, y: x ** y, [pos(shapes[0]), shapes[1]])


@pytest.mark.parametrize("case", [
    lambda lib, x: x + 2, lambda lib, x: 2 + x, lambda lib, x: x - 1.5, lambda lib, x: 1.5 - x,
    lambda lib, x: x * 3, lambda lib, x: 3 * x, lambda lib, x: x / 4, lambda lib, x: 4 / x,
    lambda lib, x: x ** 2, lambda lib, x: x ** 3, lambda lib, x: x ** 0.5, lambda lib, x: x ** -1.5,
    lambda lib, x: 2 ** x, lambda lib, x: 2.5 ** x, lambda lib, x: x ** 0, lambda lib, x: -x,
    lambda lib, x: +x, lambda lib, x: lib.pow(x, 2), lambda lib, x: lib.pow(2.0, x),
    lambda lib, x: lib.maximum(x, lib.tensor(1.0, dtype=lib.float64)),
    lambda lib, x: lib.where(x > 1, x, 0.0), lambda lib, x: lib.where(x > 1, 2.0, x),
], ids=lambda c: str(c.__code__.co_firstlineno))
@pytest.mark.parametrize("shape", [(3, 4), (), (1,)], ids=str)
def test_scalar_operands(case, shape):
    compare(case, [pos(shape)])


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((), (5,))], ids=str)
def test_floor_divide_and_remainder(shapes):
    compare(lambda lib, x, y: x // y, [shapes[0], away_from_zero(shapes[1])], grad=False)
    compare(lambda lib, x, y: x % y, [shapes[0], away_from_zero(shapes[1])], grad=False)
    compare(lambda lib, x, y: 3.0 // y, [shapes[0], away_from_zero(shapes[1])], grad=False)


# ----- unary math and activations -----------------------------------------------------------

UNARY = {
    "exp": (lambda lib, x: x.exp(), None),
    "log": (lambda lib, x: x.log(), pos),
    "log1p": (lambda lib, x: lib.log1p(x), pos),
    "sqrt": (lambda lib, x: x.sqrt(), pos),
    "rsqrt": (lambda lib, x: lib.rsqrt(x), pos),
    "sin": (lambda lib, x: x.sin(), None),
    "cos": (lambda lib, x: lib.cos(x), None),
    "tanh": (lambda lib, x: x.tanh(), None),
    "sigmoid": (lambda lib, x: lib.sigmoid(x), None),
    "relu": (lambda lib, x: x.relu(), away_from_zero),
    "abs": (lambda lib, x: abs(x), away_from_zero),
    "neg": (lambda lib, x: lib.neg(x), None),
    "sign": (lambda lib, x: lib.sign(x) * x, away_from_zero),
    "square": (lambda lib, x: lib.square(x), None),
    "leaky_relu": (lambda lib, x: fn(lib).leaky_relu(x), away_from_zero),
    "leaky_relu_0.2": (lambda lib, x: fn(lib).leaky_relu(x, 0.2), away_from_zero),
    "elu": (lambda lib, x: fn(lib).elu(x), away_from_zero),
    "elu_alpha": (lambda lib, x: fn(lib).elu(x, alpha=0.7), away_from_zero),
    "gelu": (lambda lib, x: fn(lib).gelu(x), None),
    "gelu_tanh": (lambda lib, x: fn(lib).gelu(x, approximate="tanh"), None),
    "softplus": (lambda lib, x: fn(lib).softplus(x), None),
    "softplus_beta": (lambda lib, x: fn(lib).softplus(x, beta=2.0, threshold=1.5), None),
    "clamp": (lambda lib, x: x.clamp(-0.5, 0.7), away_from_zero),
    "clamp_min": (lambda lib, x: lib.clamp(x, min=0.5), away_from_zero),
    "clamp_max": (lambda lib, x: x.clamp(max=-0.5), away_from_zero),
    "erf": (lambda lib, x: lib.erf(x), None),
}


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("shape", [(3, 5), (), (2, 1, 3)], ids=str)
def test_unary(name, shape):
    case, make = UNARY[name]
    compare(case, [make(shape) if make else shape], low=-3, high=3)


def test_clamp_tensor_bounds():
    compare(lambda lib, x, lo, hi: lib.clamp(x, lo, hi), [(3, 4), (4,), (3, 1)],
            low=-1, high=1)


def test_gelu_softplus_extremes():
    x = np.array([-40.0, -10.0, -1e-3, 0.0, 1e-3, 10.0, 40.0])
    compare(lambda lib, x: fn(lib).gelu(x), [x])
    compare(lambda lib, x: fn(lib).softplus(x), [x])
    compare(lambda lib, x: lib.sigmoid(x), [np.array([-800.0, -30.0, 0.0, 30.0, 800.0])])


# ----- comparisons and logic (no gradient) -------------------------------------------------

@pytest.mark.parametrize("case", [
    lambda lib, x, y: x == y, lambda lib, x, y: x != y, lambda lib, x, y: x < y,
    lambda lib, x, y: x <= y, lambda lib, x, y: x > y, lambda lib, x, y: x >= y,
    lambda lib, x, y: lib.logical_and(x > 0, y > 0), lambda lib, x, y: lib.logical_or(x > 0, y > 0),
    lambda lib, x, y: lib.logical_not(x > y), lambda lib, x, y: lib.logical_xor(x > 0, y > 0),
    lambda lib, x, y: x > 0.5, lambda lib, x, y: 0.5 < y, lambda lib, x, y: x == x,
], ids=lambda c: str(c.__code__.co_firstlineno))
def test_compare(case):
    x = np.round(np.random.default_rng(0).uniform(-2, 2, (3, 4)))
    compare(case, [x, np.round(np.random.default_rng(1).uniform(-2, 2, (4,)))], grad=False)


def test_isnan_isinf():
    x = np.array([1.0, np.nan, np.inf, -np.inf, 0.0])
    compare(lambda lib, x: (lib.isnan(x), lib.isinf(x), lib.isfinite(x)), [x], grad=False)


# ----- matmul --------------------------------------------------------------------------------

MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,)), ((5, 2, 3), (5, 3, 4)),
                 ((2, 1, 2, 3), (4, 3, 2)), ((1, 3), (3, 1)), ((4, 1, 2, 3), (1, 5, 3, 2))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    compare(lambda lib, x, y: x @ y, list(shapes))


def test_mm_bmm_dot_outer():
    compare(lambda lib, x, y: lib.mm(x, y), [(2, 3), (3, 4)])
    compare(lambda lib, x, y: lib.bmm(x, y), [(2, 2, 3), (2, 3, 4)])
    compare(lambda lib, x, y: lib.dot(x, y), [(3,), (3,)])
    compare(lambda lib, x, y: lib.outer(x, y), [(3,), (4,)])
    compare(lambda lib, x, y: fn(lib).linear(x, y), [(5, 3), (4, 3)])
    compare(lambda lib, x, y, b: fn(lib).linear(x, y, b), [(2, 5, 3), (4, 3), (4,)])
    compare(lambda lib, x, y: x.matmul(y.T), [(5, 3), (4, 3)])


# ----- reductions ----------------------------------------------------------------------------

REDUCE_DIMS = [None, 0, -1, (0, 2), (-1, 0), 1]


@pytest.mark.parametrize("dim", REDUCE_DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "var0", "std2", "amax", "amin",
                                  "logsumexp", "norm", "norm1", "norm3", "norminf"])
def test_reduce(name, dim, keepdim):
    if dim is None and keepdim:
        pytest.skip("keepdim without dim: covered by the dim cases")
    kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    if name in ("logsumexp",) and dim is None:
        kw["dim"] = (0, 1, 2)
    cases = {
        "sum": lambda lib, x: x.sum(**kw),
        "mean": lambda lib, x: x.mean(**kw),
        "var": lambda lib, x: x.var(**kw),
        "std": lambda lib, x: x.std(**kw),
        "var0": lambda lib, x: lib.var(x, **kw, correction=0),
        "std2": lambda lib, x: lib.std(x, **kw, correction=2),
        "amax": lambda lib, x: x.amax(**kw),
        "amin": lambda lib, x: lib.amin(x, **kw),
        "logsumexp": lambda lib, x: x.logsumexp(**kw),
        "norm": lambda lib, x: x.norm(**kw),
        "norm1": lambda lib, x: x.norm(p=1, **kw),
        "norm3": lambda lib, x: lib.norm(x, p=3, **kw),
        "norminf": lambda lib, x: lib.norm(x, p=float("inf"), **kw),
    }
    compare(cases[name], [distinct((3, 4, 5))])


@pytest.mark.parametrize("dim", [0, 1, -1, None], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_indexed(dim, keepdim):
    x = distinct((3, 4))
    if dim is None:
        compare(lambda lib, x: (x.max(), lib.min(x)), [x])
        compare(lambda lib, x: (x.argmax(), x.argmin()), [x], grad=False)
        return
    compare(lambda lib, x: x.max(dim, keepdim=keepdim)[0] * 2 + x.min(dim, keepdim)[0], [x])
    compare(lambda lib, x: (x.max(dim, keepdim)[1], lib.min(x, dim=dim, keepdim=keepdim).indices,
                            x.argmax(dim, keepdim), lib.argmin(x, dim, keepdim=keepdim)),
            [x], grad=False)


def test_max_ties_split_like_torch():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    compare(lambda lib, x: x.amax(dim=1), [x])
    compare(lambda lib, x: x.max(), [x])
    compare(lambda lib, x: lib.maximum(x, lib.full_like(x, 2.0)), [x])


@pytest.mark.parametrize("dim", [None, 0, -1, 1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_prod(dim, keepdim):
    kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    compare(lambda lib, x: x.prod(**kw), [pos((3, 4))])
    zeros = pos((3, 4))
    zeros[0, 1] = 0.0
    zeros[2, 1:3] = 0.0
    compare(lambda lib, x: x.prod(**kw), [zeros])


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "cumsum"])
def test_softmax_cumsum(name, dim):
    compare(lambda lib, x: getattr(x, name)(dim), [(3, 4, 2)])
    compare(lambda lib, x: getattr(lib, name)(x, dim=dim), [(2, 3, 4)], low=-50, high=50)


def test_reductions_0d_and_size1():
    compare(lambda lib, x: (x.sum(), x.mean(), x.amax(), x.logsumexp(0), x.softmax(0),
                            x.norm(), x.prod(), x.cumsum(0)), [()])
    compare(lambda lib, x: (x.sum(0), x.mean(-1), x.var(1), x.softmax(1)), [(1, 3)])
    compare(lambda lib, x: x.sum(dim=(0, 1)), [(1, 1)])


def test_sum_int_and_bool():
    x = np.arange(6).reshape(2, 3)
    compare(lambda lib, x: (x.sum(), x.sum(1), (x > 2).sum(), x.cumsum(1), x.prod()), [x],
            grad=False)


# ----- shape ops -----------------------------------------------------------------------------

SHAPE_CASES = [
    ("reshape", lambda lib, x: x.reshape(4, -1), (2, 3, 2)),
    ("reshape_tuple", lambda lib, x: x.reshape((6, 2)), (2, 3, 2)),
    ("reshape_0d", lambda lib, x: x.reshape(1, 1), ()),
    ("view", lambda lib, x: x.view(-1), (2, 3, 2)),
    ("flatten", lambda lib, x: x.flatten(), (2, 3, 2)),
    ("flatten_1", lambda lib, x: x.flatten(1), (2, 3, 2)),
    ("flatten_mid", lambda lib, x: lib.flatten(x, 0, -2), (2, 3, 2)),
    ("transpose", lambda lib, x: x.transpose(0, -1), (2, 3, 4)),
    ("permute", lambda lib, x: x.permute(2, 0, 1), (2, 3, 4)),
    ("permute_neg", lambda lib, x: x.permute(-1, -3, -2), (2, 3, 4)),
    ("t", lambda lib, x: x.t(), (2, 3)),
    ("T", lambda lib, x: x.T, (2, 3)),
    ("mT", lambda lib, x: x.mT, (4, 2, 3)),
    ("squeeze", lambda lib, x: x.squeeze(), (1, 3, 1, 2)),
    ("squeeze_dim", lambda lib, x: x.squeeze(-2), (1, 3, 1, 2)),
    ("squeeze_noop", lambda lib, x: x.squeeze(1), (1, 3, 1, 2)),
    ("unsqueeze", lambda lib, x: x.unsqueeze(-1), (2, 3)),
    ("unsqueeze0", lambda lib, x: lib.unsqueeze(x, 0), ()),
    ("expand", lambda lib, x: x.expand(2, 3, 4), (3, 1)),
    ("expand_neg", lambda lib, x: x.expand(4, -1, 2), (3, 1)),
    ("repeat", lambda lib, x: x.repeat(2, 3), (3, 2)),
    ("repeat_lead", lambda lib, x: x.repeat(2, 1, 3), (3, 2)),
    ("tile", lambda lib, x: lib.tile(x, (2,)), (3, 2)),
    ("flip", lambda lib, x: x.flip(0, -1), (3, 4)),
    ("flip_int", lambda lib, x: lib.flip(x, [1]), (3, 4)),
    ("roll", lambda lib, x: x.roll(2, 1), (3, 4)),
    ("roll_multi", lambda lib, x: lib.roll(x, (1, -1), (0, 1)), (3, 4)),
    ("roll_flat", lambda lib, x: lib.roll(x, 5), (3, 4)),
    ("contiguous", lambda lib, x: x.t().contiguous() * 2, (3, 4)),
    ("split", lambda lib, x: x.split(2, dim=1), (3, 5)),
    ("split_list", lambda lib, x: lib.split(x, [1, 4], -1), (3, 5)),
    ("chunk", lambda lib, x: x.chunk(3, 0), (5, 2)),
    ("chunk_uneven", lambda lib, x: x.chunk(4, 1), (2, 6)),
    ("unbind", lambda lib, x: x.unbind(1), (2, 3)),
    ("narrow", lambda lib, x: x.narrow(1, 1, 2), (2, 4)),
    ("repeat_interleave", lambda lib, x: x.repeat_interleave(2, dim=0), (2, 3)),
    ("clone", lambda lib, x: x.clone(), (2, 3)),
    ("tril", lambda lib, x: x.tril(), (3, 3)),
    ("triu", lambda lib, x: lib.triu(x, 1), (2, 3, 4)),
    ("swapaxes", lambda lib, x: lib.swapaxes(x, 0, 1), (2, 3)),
]


@pytest.mark.parametrize("case,shape", [c[1:] for c in SHAPE_CASES],
                         ids=[c[0] for c in SHAPE_CASES])
def test_shape_ops(case, shape):
    compare(case, [shape])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_stack(dim):
    compare(lambda lib, x, y, z: lib.cat([x, y, z], dim=dim),
            [(2, 3, 4), (2, 3, 4), (2, 3, 4)])
    compare(lambda lib, x, y: lib.stack((x, y), dim), [(2, 3), (2, 3)])
    compare(lambda lib, x, y: lib.stack([x, y], -1), [(2, 3), (2, 3)])
    compare(lambda lib, x, y: lib.cat([x, y], 1), [(2, 1), (2, 4)])


def test_stack_0d_and_hstack():
    compare(lambda lib, x, y: lib.stack([x, y]), [(), ()])
    compare(lambda lib, x, y: lib.hstack([x, y]), [(2, 3), (2, 1)])
    compare(lambda lib, x, y: lib.vstack([x, y]), [(3,), (3,)])


PAD_CASES = [((1, 2), "constant"), ((1, 2, 0, 1), "constant"), ((2, 1), "reflect"),
             ((1, 1, 2, 0), "reflect"), ((2, 3), "replicate"), ((1, 2, 1, 1), "circular"),
             ((-1, 2), "constant")]


@pytest.mark.parametrize("widths,mode", PAD_CASES, ids=str)
def test_pad(widths, mode):
    compare(lambda lib, x: fn(lib).pad(x, widths, mode=mode), [(2, 3, 4)])


def test_pad_value():
    compare(lambda lib, x: fn(lib).pad(x, (1, 1), value=2.5), [(2, 3)])


# ----- indexing ------------------------------------------------------------------------------

INDEX_CASES = [
    ("int", lambda lib, x: x[1], (4, 3)),
    ("neg_int", lambda lib, x: x[-1, -2], (4, 3)),
    ("slice", lambda lib, x: x[1:3], (4, 3)),
    ("step_slice", lambda lib, x: x[::2, 1:], (4, 3)),
    ("neg_slice", lambda lib, x: x[-3:-1, ::-1] if lib.__name__ == "numpy" else x[-3:-1, 1::2],
     (4, 3)),
    ("none", lambda lib, x: x[None, :, None], (4, 3)),
    ("ellipsis", lambda lib, x: x[..., 1], (2, 4, 3)),
    ("ellipsis_none", lambda lib, x: x[..., None, 0:2], (2, 4, 3)),
    ("int_list", lambda lib, x: x[[0, 2, 2, 0]], (4, 3)),
    ("int_tensor", lambda lib, x: x[lib.tensor([[0, 1], [1, 1]])], (4, 3)),
    ("two_arrays", lambda lib, x: x[lib.tensor([0, 1, 1]), lib.tensor([2, 2, 0])], (4, 3)),
    ("array_and_slice", lambda lib, x: x[1:, lib.tensor([0, 0, 2])], (4, 3)),
    ("split_arrays", lambda lib, x: x[lib.tensor([0, 1]), :, lib.tensor([1, 1])], (2, 4, 3)),
    ("bool_mask", lambda lib, x: x[x > 0], (4, 3)),
    ("bool_rows", lambda lib, x: x[lib.tensor([True, False, True, True])], (4, 3)),
    ("neg_index_tensor", lambda lib, x: x[lib.tensor([-1, 0, -1])], (4, 3)),
    ("scalar_0d", lambda lib, x: x[()], ()),
]


@pytest.mark.parametrize("case,shape", [c[1:] for c in INDEX_CASES],
                         ids=[c[0] for c in INDEX_CASES])
def test_getitem(case, shape):
    compare(case, [shape])


def test_gather_scatter_index_select_masked_fill():
    idx = np.array([[0, 2, 2], [1, 0, 1]])
    compare(lambda lib, x, i: x.gather(1, i), [(2, 4), idx])
    compare(lambda lib, x, i: lib.gather(x, 0, i), [(3, 3), idx])
    compare(lambda lib, x, i: x.gather(-1, i[:, :2]), [(2, 4), idx])
    compare(lambda lib, x, i, s: x.scatter_add(1, i, s), [(2, 4), idx, (2, 3)])
    compare(lambda lib, x, i, s: lib.scatter_add(x, 0, i, s), [(3, 3), idx, (2, 3)])
    compare(lambda lib, x, i: x.index_select(0, i), [(3, 2), np.array([2, 0, 2])])
    compare(lambda lib, x, i: lib.index_select(x, -1, i), [(3, 4), np.array([3, 3, 1])])
    compare(lambda lib, x: x.masked_fill(x > 0, -1.5), [(3, 4)])
    compare(lambda lib, x, y: x.masked_fill(y > 0, 0.0), [(3, 4), (4,)])
    compare(lambda lib, x: x.masked_fill(x > 0, lib.tensor(2.0)), [(3, 4)])


def test_setitem_no_grad_tensor():
    def case(lib, x):
        y = lib.zeros(4, 3, dtype=lib.float64)
        y[1] = 5.0
        y[2:, 1] = lib.tensor([7.0, 8.0], dtype=lib.float64)
        y[y > 6] = -1.0
        y[lib.tensor([0, 3]), 0] = 2.0
        return y + x

    compare(case, [(4, 3)])


# ----- float32 fast paths --------------------------------------------------------------------

FLOAT32_CASES = {
    "sigmoid": lambda lib, x, y: x.sigmoid() * y,
    "sigmoid_extremes": lambda lib, x, y: (x * 60).sigmoid() + (x * -60).sigmoid(),
    "relu": lambda lib, x, y: x.relu() + y,
    "softmax": lambda lib, x, y: x.softmax(-1) * y,
    "log_softmax": lambda lib, x, y: (x * 30).log_softmax(0) * y,
    "sum_mean": lambda lib, x, y: x.sum(0) * y.mean(),
    "binary": lambda lib, x, y: (x + y) * (x - y) / (y * y + 1) + x * 2.5 - 1,
    "matmul": lambda lib, x, y: x @ y.T,
    "linear": lambda lib, x, y: lib.nn.functional.linear(x, y, y[:, 0]),
    "reshape_t": lambda lib, x, y: x.reshape(-1).view(5, 4).T @ y.T,
}


@pytest.mark.parametrize("name", list(FLOAT32_CASES))
def test_float32_against_torch_float32(name):
    rng = np.random.default_rng(5)
    x, y = (rng.uniform(-2, 2, (4, 5)).astype(np.float32) for _ in range(2))
    outs = compare(FLOAT32_CASES[name], [x, y], atol=2e-5, rtol=2e-5)
    assert all(o.dtype == np.float32 for o in outs)
