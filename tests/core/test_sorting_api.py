"""Sorting, selection and order statistics against torch (float64): values, int64 indices,
dtypes and gradients; integer inputs; Tensor methods; 0-d inputs; errors.

Indices are compared where torch defines them: inputs without ties, or ``stable=True``.
"""

import numpy as np
import pytest
import torch
from helpers import compare as _compare
from helpers import compare_raises, to_numpy

import deepgrad

NAN = float("nan")


def _flat(out):
    if isinstance(out, (tuple, list)):
        return tuple(leaf for item in out for leaf in _flat(item))
    return (out,)


def compare(fn, specs, **kw):
    """helpers.compare on every tensor of a (nested) result: named tuples, tuples of them."""
    return _compare(lambda lib, *xs: _flat(fn(lib, *xs)), specs, **kw)


def distinct(shape, seed=3):
    """A scaled random permutation: no ties, so every index is unambiguous."""
    n = int(np.prod(shape))
    return np.asarray((np.random.default_rng(seed).permutation(n).reshape(shape) - n / 2) / 7.0)


def ints(shape, high=4, seed=5, dtype=np.int64):
    return np.random.default_rng(seed).integers(0, high, size=shape).astype(dtype)


def with_nans(shape, seed=7, fraction=0.3):
    x = distinct(shape, seed)
    x[np.random.default_rng(seed + 1).random(shape) < fraction] = np.nan
    return x


def same(dg_value, th_value):
    """Exact agreement of shapes, dtypes and values (NaN equal NaN)."""
    d, t = to_numpy(dg_value), to_numpy(th_value)
    assert d.shape == t.shape, f"shape {d.shape} != torch {t.shape}"
    assert str(d.dtype) == str(t.dtype), f"dtype {d.dtype} != torch {t.dtype}"
    np.testing.assert_array_equal(d, t)


SHAPES_DIMS = [((6,), 0), ((3, 5), -1), ((3, 5), 0), ((2, 3, 4), 1), ((2, 3, 4), -3), ((), 0),
               ((), -1), ((1, 4), 1)]


# ----- sort, argsort, msort -------------------------------------------------------------------


@pytest.mark.parametrize("shape,dim", SHAPES_DIMS, ids=str)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_values_indices_grad(shape, dim, descending):
    compare(lambda lib, x: lib.sort(x, dim, descending), [distinct(shape)])
    compare(lambda lib, x: x.sort(dim=dim, descending=descending).values * 2, [distinct(shape)])
    compare(lambda lib, x: (lib.argsort(x, dim, descending), x.argsort(dim=dim,
                                                                       descending=descending)),
            [distinct(shape)], grad=False)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.float64, np.bool_])
def test_sort_stable_ties(descending, dtype):
    x = ints((3, 40), high=3).astype(dtype)
    compare(lambda lib, x: lib.sort(x, dim=1, descending=descending, stable=True), [x],
            grad=False)
    compare(lambda lib, x: lib.sort(x, dim=0, descending=descending, stable=True), [x], grad=False)
    compare(lambda lib, x: lib.argsort(x, dim=-1, descending=descending, stable=True), [x],
            grad=False)


@pytest.mark.parametrize("descending", [False, True])
def test_sort_nan_order(descending):
    x = np.array([[3.0, NAN, 1.0, NAN, 2.0, 1.0], [NAN, 0.5, 0.5, -1.0, NAN, 4.0]])
    compare(lambda lib, x: lib.sort(x, dim=1, descending=descending, stable=True), [x])


def test_sort_ties_gradient_and_msort():
    x = ints((4, 6), high=3).astype(np.float64)
    compare(lambda lib, x: lib.sort(x, dim=1, stable=True).values ** 2, [x])
    compare(lambda lib, x: (lib.msort(x), x.msort()), [distinct((4, 3))])
    compare(lambda lib, x: lib.msort(x), [ints((5, 2))], grad=False)


def test_sort_errors():
    compare_raises(lambda lib, x: lib.sort(x, 2), [(2, 3)], IndexError, "sort")
    compare_raises(lambda lib, x: lib.argsort(x, -3), [(2, 3)], IndexError, "argsort")
    compare_raises(lambda lib, x: lib.sort(x, 1), [()], IndexError, "sort")


# ----- topk, kthvalue -------------------------------------------------------------------------


@pytest.mark.parametrize("shape,dim", SHAPES_DIMS, ids=str)
@pytest.mark.parametrize("largest", [True, False])
def test_topk(shape, dim, largest):
    size = shape[dim] if shape else 1
    for k in sorted({0, 1, size // 2, size}):
        compare(lambda lib, x, k=k: lib.topk(x, k, dim, largest), [distinct(shape)])
        compare(lambda lib, x, k=k: x.topk(k, dim=dim, largest=largest, sorted=True),
                [distinct(shape)])


def test_topk_int_and_nan():
    compare(lambda lib, x: lib.topk(x, 3), [ints((3, 7), high=100, dtype=np.int32)], grad=False)
    x = np.array([3.0, NAN, 1.0, 5.0, -2.0])
    compare(lambda lib, x: (lib.topk(x, 2), lib.topk(x, 2, largest=False)), [x])


def test_topk_errors():
    compare_raises(lambda lib, x: lib.topk(x, 4), [(3,)], RuntimeError, "topk.*k out of range")
    compare_raises(lambda lib, x: lib.topk(x, -1), [(3,)], RuntimeError, "topk.*out of range")
    compare_raises(lambda lib, x: lib.topk(x, 2, dim=1), [(3,)], IndexError, "topk")
    compare_raises(lambda lib, x: lib.topk(x, 2), [()], RuntimeError, "topk")


@pytest.mark.parametrize("shape,dim", SHAPES_DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue(shape, dim, keepdim):
    size = shape[dim] if shape else 1
    for k in sorted({1, (size + 1) // 2, size}):
        compare(lambda lib, x, k=k: lib.kthvalue(x, k, dim, keepdim), [distinct(shape)])
        compare(lambda lib, x, k=k: x.kthvalue(k, dim=dim, keepdim=keepdim).values * 3,
                [distinct(shape)])


def test_kthvalue_int_nan_errors():
    compare(lambda lib, x: lib.kthvalue(x, 2, 0), [np.array([5, 1, 9, 3], dtype=np.int32)],
            grad=False)
    x = np.array([3.0, NAN, 1.0, 5.0])
    for k in (1, 3, 4):
        compare(lambda lib, x, k=k: lib.kthvalue(x, k), [x])
    compare_raises(lambda lib, x: lib.kthvalue(x, 3), [(2,)], RuntimeError, "kthvalue.*k out")
    compare_raises(lambda lib, x: lib.kthvalue(x, 0), [(2,)], RuntimeError, "kthvalue")
    compare_raises(lambda lib, x: lib.kthvalue(x, 1, 1), [(2,)], IndexError, "kthvalue")


# ----- median, nanmedian, mode ----------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5,), (6,), (3, 4), (2, 3, 5), (), (1,)], ids=str)
def test_median_global(shape):
    compare(lambda lib, x: (lib.median(x), x.median(), lib.nanmedian(x), x.nanmedian()),
            [distinct(shape)])


def test_median_global_ties_share_gradient():
    x = np.array([[1.0, 2.0, 2.0], [3.0, 2.0, 0.0]])
    compare(lambda lib, x: lib.median(x) * 3, [x])
    x = np.array([1.0, NAN, 2.0, NAN])
    compare(lambda lib, x: (lib.median(x), lib.nanmedian(x)), [x])
    compare(lambda lib, x: lib.nanmedian(x), [np.array([NAN, NAN])])
    compare(lambda lib, x: lib.median(x), [np.zeros(0)], grad=False)
    compare(lambda lib, x: (lib.median(x), lib.nanmedian(x)), [ints((4, 3), high=100)],
            grad=False)


@pytest.mark.parametrize("shape,dim", SHAPES_DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_median_dim(shape, dim, keepdim):
    compare(lambda lib, x: (lib.median(x, dim, keepdim), x.nanmedian(dim, keepdim=keepdim)),
            [distinct(shape)])


def test_median_dim_nan_and_int():
    x = np.array([[1.0, NAN, 3.0, NAN, 0.0], [4.0, 2.0, 5.0, 1.0, 9.0], [NAN, NAN, NAN, 1.0, 2.0],
                  [NAN, NAN, NAN, NAN, NAN]])
    compare(lambda lib, x: (lib.median(x, 1), lib.nanmedian(x[:3], 1), lib.median(x, 0, True)),
            [x])
    compare(lambda lib, x: lib.nanmedian(x, 1).values, [x], grad=False)  # all NaN: any index
    compare(lambda lib, x: (lib.median(x, 0), x.median(1)), [ints((4, 5), high=1000)], grad=False)
    compare_raises(lambda lib, x: lib.median(x, 0), [(0, 3)], IndexError, "median.*non-zero")
    compare_raises(lambda lib, x: lib.median(x, 2), [(3, 3)], IndexError, "median")


def test_mode():
    x = np.array([[2, 1, 2, 1, 3], [5, 5, 0, 0, 0], [1, 2, 3, 4, 5]])
    for dim in (1, -1):
        compare(lambda lib, x, d=dim: (lib.mode(x, d), x.mode(d, keepdim=True)), [x], grad=False)
    compare(lambda lib, x: lib.mode(x, 0), [x.T.copy()], grad=False)
    xf = np.array([[1.0, 3.0, 3.0, 2.0, 3.0, 1.0], [0.5, 0.5, -1.0, 2.0, 2.0, 2.0]])
    compare(lambda lib, x: lib.mode(x), [xf])
    compare(lambda lib, x: lib.mode(x, 1).values * 2, [xf])
    compare(lambda lib, x: lib.mode(x), [np.array([[1.0, NAN, NAN], [NAN, NAN, NAN]])])
    compare(lambda lib, x: (lib.mode(x), lib.mode(x, 0, True)), [np.array(3.0)])
    compare(lambda lib, x: lib.mode(x), [np.array([True, False, True])], grad=False)
    compare_raises(lambda lib, x: lib.mode(x), [(0,)], IndexError, "mode")


# ----- quantile, nanquantile ------------------------------------------------------------------


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (0, False), (1, True),
                                         (-1, False), (-3, True)], ids=str)
def test_quantile(interpolation, dim, keepdim):
    x = distinct((2, 5, 4))
    q_vector = np.array([0.0, 0.1, 0.25, 0.5, 0.7, 1.0])
    for q in (0.3, 0.5, 1.0, np.array(0.8), q_vector):
        def fn(lib, x, q=q):
            q_arg = lib.tensor(q, dtype=lib.float64) if isinstance(q, np.ndarray) else q
            return (lib.quantile(x, q_arg, dim, keepdim, interpolation=interpolation),
                    x.nanquantile(q_arg, dim=dim, keepdim=keepdim, interpolation=interpolation))
        compare(fn, [x])


def test_quantile_nan_float32_and_small_inputs():
    x = np.array([[1.0, NAN, 3.0, 2.0], [4.0, 2.0, 5.0, 1.0], [NAN, NAN, NAN, NAN]])
    for q in (0.0, 0.4, 0.5, 1.0):
        compare(lambda lib, x, q=q: (lib.quantile(x, q, 1), lib.nanquantile(x, q, 1),
                                lib.nanquantile(x, q, 0, True), lib.quantile(x, q)), [x])
    x32 = distinct((3, 11)).astype(np.float32)
    q32 = np.array([0.1, 0.35, 0.7, 0.95], dtype=np.float32)
    for interpolation in ("linear", "nearest", "lower"):
        compare(lambda lib, x, i=interpolation: lib.quantile(x, lib.tensor(q32), 1,
                                                             interpolation=i),
                [x32], atol=1e-5, rtol=1e-5)
        compare(lambda lib, x, i=interpolation: lib.quantile(x, 0.7, interpolation=i), [x32],
                atol=1e-5, rtol=1e-5)
    compare(lambda lib, x: (lib.quantile(x, 0.5), lib.quantile(x, 0.5, 0, True)),
            [np.array(2.0)])
    compare(lambda lib, x: lib.quantile(x, 0.5, 0), [np.array([[1.0, 2.0, 2.0, 2.0]])])


def test_quantile_errors():
    q2 = np.full((2, 2), 0.5)
    compare_raises(lambda lib, x: lib.quantile(x, 1.5), [(3,)], RuntimeError, "quantile.*range")
    compare_raises(lambda lib, x: lib.quantile(x, lib.tensor([0.5, 2.0], dtype=lib.float64)),
                   [(3,)], RuntimeError, "quantile.*range")
    compare_raises(lambda lib, x: lib.quantile(x, lib.tensor(q2)), [(3,)], RuntimeError,
                   "1D tensor")
    compare_raises(lambda lib, x: lib.quantile(x, lib.tensor([0.5])), [(3,)], RuntimeError,
                   "same dtype")
    compare_raises(lambda lib, x: lib.quantile(x.long(), 0.5), [(3,)], RuntimeError,
                   "float or double")
    compare_raises(lambda lib, x: lib.quantile(x, 0.5), [(0,)], RuntimeError, "non-empty")
    compare_raises(lambda lib, x: lib.quantile(x, 0.5, interpolation="cubic"), [(3,)],
                   RuntimeError, "interpolation")
    compare_raises(lambda lib, x: lib.nanquantile(x, 0.5, dim=1), [(3,)], IndexError,
                   "nanquantile")


# ----- unique, unique_consecutive -------------------------------------------------------------


@pytest.mark.parametrize("return_inverse", [False, True])
@pytest.mark.parametrize("return_counts", [False, True])
def test_unique(return_inverse, return_counts):
    kw = dict(return_inverse=return_inverse, return_counts=return_counts)
    x = ints((3, 7), high=5)
    compare(lambda lib, x: lib.unique(x, **kw), [x], grad=False)
    compare(lambda lib, x: x.unique(sorted=True, **kw), [x.astype(np.float64)], grad=False)
    compare(lambda lib, x: lib.unique(x, sorted=False, **kw), [x.astype(np.int32)], grad=False)
    compare(lambda lib, x: lib.unique(x, **kw), [np.array(3.0)], grad=False)
    compare(lambda lib, x: lib.unique(x, **kw), [np.array([1.0, NAN, 0.5, NAN, 1.0])], grad=False)
    compare(lambda lib, x: lib.unique(x, **kw), [np.array([True, False, True])], grad=False)
    rows = np.array([[1, 2, 0], [1, 2, 0], [0, 5, 1], [-3, 5, 1], [0, 5, 1]])
    for dim in (0, 1, -1):
        compare(lambda lib, x, d=dim: lib.unique(x, dim=d, **kw), [rows], grad=False)
        compare(lambda lib, x, d=dim: lib.unique(x, dim=d, **kw), [ints((4, 3, 2), high=2)],
                grad=False)
        compare(lambda lib, x, d=dim: lib.unique_consecutive(x, dim=d, **kw), [rows],
                grad=False)
    seq = np.array([1, 1, 2, 2, 3, 1, 1, 2, 2, 2])
    compare(lambda lib, x: (lib.unique_consecutive(x, **kw), x.unique_consecutive(**kw)), [seq],
            grad=False)
    compare(lambda lib, x: lib.unique_consecutive(x, **kw), [ints((3, 8), high=2)], grad=False)
    compare(lambda lib, x: lib.unique_consecutive(x, **kw), [np.array(3)], grad=False)
    compare(lambda lib, x: lib.unique_consecutive(x, **kw), [np.zeros(0)], grad=False)
    compare(lambda lib, x: lib.unique(x, **kw), [np.zeros(0)], grad=False)


def test_unique_errors():
    compare_raises(lambda lib, x: lib.unique(x, dim=2), [(2, 3)], IndexError, "unique")
    compare_raises(lambda lib, x: lib.unique_consecutive(x, dim=-3), [(2, 3)], IndexError,
                   "unique_consecutive")


# ----- searchsorted, bucketize, bincount, histc -----------------------------------------------


@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("out_int32", [False, True])
def test_searchsorted_bucketize(right, out_int32):
    kw = dict(right=right, out_int32=out_int32)
    boundaries = np.array([1.0, 3.0, 3.0, 5.0, 7.0])
    values = np.array([[0.0, 1.0, 3.0], [4.0, 7.0, 9.0]])
    compare(lambda lib, b, v: lib.searchsorted(b, v, **kw), [boundaries, values], grad=False)
    compare(lambda lib, b, v: lib.bucketize(v, b, **kw), [boundaries, values], grad=False)
    compare(lambda lib, b: (lib.searchsorted(b, 3, **kw), lib.bucketize(3.5, b, **kw)),
            [boundaries], grad=False)
    rows = np.array([[1, 3, 5, 7], [2, 4, 4, 8]])
    compare(lambda lib, b, v: lib.searchsorted(b, v, **kw),
            [rows, np.array([[0, 3, 5, 9, 7], [4, 2, 8, 1, 3]])], grad=False)
    compare(lambda lib, b, v: lib.searchsorted(b, v, side="right" if right else "left",
                                               out_int32=out_int32),
            [ints((2, 3, 6), high=9).cumsum(-1), ints((2, 3, 4), high=30)], grad=False)
    unsorted = np.array([5.0, 1.0, 7.0, 3.0])
    compare(lambda lib, b, v, s: lib.searchsorted(b, v, sorter=s, **kw),
            [unsorted, values, np.argsort(unsorted)], grad=False)
    compare(lambda lib, b, v: lib.searchsorted(b, v, **kw),
            [np.array([1, 3, 5]), np.array([1.0, 2.5, 5.0])], grad=False)


def test_searchsorted_errors():
    compare_raises(lambda lib, b, v: lib.searchsorted(b, v),
                   [(1, 3), (2, 1)], RuntimeError, "searchsorted.*boundaries")
    compare_raises(lambda lib, b, v: lib.searchsorted(b, v, right=True, side="left"),
                   [(3,), (2,)], RuntimeError, "opposites")
    compare_raises(lambda lib, b, v: lib.bucketize(v, b), [(2, 3), (2,)], RuntimeError,
                   "bucketize.*1 dimension")


def test_bincount():
    x = np.array([0, 1, 1, 3, 5, 1])
    compare(lambda lib, x: (lib.bincount(x), x.bincount(minlength=9), lib.bincount(x, None, 2)),
            [x], grad=False)
    for w in (np.linspace(0.5, 3, 6), np.linspace(0.5, 3, 6).astype(np.float32),
              np.arange(6), np.linspace(0.5, 3, 6).astype(np.float16)):
        compare(lambda lib, x, w: lib.bincount(x, w), [x, w], grad=False)
    compare(lambda lib, x: (lib.bincount(x), lib.bincount(x, minlength=3)),
            [np.zeros(0, dtype=np.int64)], grad=False)
    compare(lambda lib, x: lib.bincount(x), [np.array([2, 0, 2], dtype=np.uint8)], grad=False)
    compare_raises(lambda lib, x: lib.bincount(x), [np.array([1, -1])], RuntimeError, "bincount")
    compare_raises(lambda lib, x: lib.bincount(x), [np.array([[1]])], RuntimeError, "bincount")
    compare_raises(lambda lib, x: lib.bincount(x), [np.array([1.0])], RuntimeError, "bincount")
    compare_raises(lambda lib, x: lib.bincount(x), [np.array([True])], RuntimeError, "bincount")
    compare_raises(lambda lib, x, w: lib.bincount(x, w), [np.array([1, 2]), np.ones(3)],
                   RuntimeError, "bincount.*weights")


def test_histc():
    x = np.array([0.0, 1.0, 5.0, 10.0, 11.0, -1.0, 4.999, 2.0, 8.0])
    compare(lambda lib, x: (lib.histc(x, 5, 0, 10), x.histc(bins=4), lib.histc(x, 3, min=1,
                                                                               max=4)),
            [x], grad=False)
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        data = rng.standard_normal((40, 25)).astype(dtype)
        compare(lambda lib, x: (lib.histc(x), lib.histc(x, bins=7, min=-1, max=1.5)), [data],
                grad=False)
    compare(lambda lib, x: (lib.histc(x, bins=4), lib.histc(x, 3, 2, 2)),
            [np.array([2.0, 2.0])], grad=False)
    compare(lambda lib, x: lib.histc(x, bins=3), [np.zeros(0)], grad=False)
    compare(lambda lib, x: lib.histc(x, bins=3), [np.array(1.5)], grad=False)
    compare_raises(lambda lib, x: lib.histc(x, bins=0), [(3,)], RuntimeError, "histc.*bins")
    compare_raises(lambda lib, x: lib.histc(x, min=2, max=1), [(3,)], RuntimeError, "histc")
    compare_raises(lambda lib, x: lib.histc(x.long()), [(3,)], RuntimeError, "histc")


# ----- cummax, cummin, cumprod, logcumsumexp --------------------------------------------------


@pytest.mark.parametrize("shape,dim", SHAPES_DIMS, ids=str)
def test_cummax_cummin_distinct(shape, dim):
    compare(lambda lib, x: (lib.cummax(x, dim), x.cummin(dim=dim)), [distinct(shape)])


def test_cummax_cummin_ties_nan_int():
    x = ints((3, 9), high=3).astype(np.float64)  # ties: indices repeat, gradients add up
    compare(lambda lib, x: (lib.cummax(x, 1), lib.cummin(x, 1), lib.cummax(x, 0)), [x])
    y = np.array([[3.0, 1.0, NAN, 0.0, NAN, 5.0], [1.0, 2.0, 2.0, 0.0, 2.0, NAN]])
    compare(lambda lib, x: (lib.cummax(x, 1), lib.cummin(x, -1)), [y])
    compare(lambda lib, x: (lib.cummax(x, 0), lib.cummin(x, 1)), [ints((4, 5), high=4)],
            grad=False)
    compare(lambda lib, x: lib.cummax(x, 0), [np.array([True, False, True])], grad=False)
    compare(lambda lib, x: lib.cummin(x, 1), [np.zeros((2, 0))], grad=False)
    compare_raises(lambda lib, x: lib.cummax(x, 2), [(2, 3)], IndexError, "cummax")


@pytest.mark.parametrize("shape,dim", SHAPES_DIMS, ids=str)
def test_cumprod_logcumsumexp(shape, dim):
    x = np.random.default_rng(1).uniform(0.5, 1.5, size=shape)
    compare(lambda lib, x: (lib.cumprod(x, dim), x.cumprod(dim=dim)), [x])
    compare(lambda lib, x: (lib.logcumsumexp(x, dim), x.logcumsumexp(dim)), [distinct(shape)])


def test_cumprod_zeros_gradient():
    x = np.array([[2.0, 0.0, 3.0, 0.5, 4.0],    # one zero
                  [0.0, 1.5, 2.0, 0.0, 3.0],    # zeros at the start and later
                  [1.5, 2.0, -1.0, 3.0, 0.0],   # zero at the end
                  [0.0, 0.0, 0.0, 2.0, 1.0],    # several zeros in a row
                  [1.5, -2.0, 0.5, 3.0, 1.1]])  # no zero in this row
    compare(lambda lib, x: lib.cumprod(x, 1), [x])
    compare(lambda lib, x: lib.cumprod(x, 0), [x])
    compare(lambda lib, x: lib.cumprod(x, -1) * 2, [x[4:]])
    compare(lambda lib, x: (lib.cumprod(x, 0), lib.cumprod(x, 0, dtype=lib.float32)),
            [np.array([1, 2, 3, -2], dtype=np.int32)], grad=False)
    compare(lambda lib, x: lib.cumprod(x, 0), [np.array([True, True, False])], grad=False)
    compare_raises(lambda lib, x: lib.cumprod(x, 1), [(3,)], IndexError, "cumprod")


def test_logcumsumexp_large_and_infinite():
    x = np.array([[1000.0, 1001.0, -1000.0, 999.0], [-5.0, 20.0, 1.0, 0.0]])
    compare(lambda lib, x: lib.logcumsumexp(x, 1), [x])
    compare(lambda lib, x: lib.logcumsumexp(x, 0), [x])
    compare(lambda lib, x: lib.logcumsumexp(x, 0), [np.array([-np.inf, -np.inf, 1.0])])
    compare(lambda lib, x: lib.logcumsumexp(x, 0), [np.array([-np.inf, 0.5, 1.0])])
    compare_raises(lambda lib, x: lib.logcumsumexp(x.long(), 0), [(3,)], RuntimeError,
                   "logcumsumexp")


# ----- diff -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7])
@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_diff(n, dim):
    compare(lambda lib, x: (lib.diff(x, n, dim), x.diff(n=n, dim=dim)), [(3, 5)])
    compare(lambda lib, x, p, a: lib.diff(x, n, dim, prepend=p, append=a),
            [(3, 5), (3, 2) if dim in (-1, 1) else (2, 5), (3, 1) if dim in (-1, 1) else (1, 5)])
    compare(lambda lib, x: lib.diff(x, n, dim), [ints((4, 6), high=20)], grad=False)
    compare(lambda lib, x: lib.diff(x, n, dim), [ints((3, 4), high=2).astype(bool)], grad=False)


def test_diff_mixed_dtypes_and_errors():
    compare(lambda lib, x, a: lib.diff(x, append=a), [np.array([1, 2]), np.array([2.5])])
    compare_raises(lambda lib, x: lib.diff(x), [()], RuntimeError, "diff")
    compare_raises(lambda lib, x: lib.diff(x, -1), [(3,)], RuntimeError, "diff")
    compare_raises(lambda lib, x, p: lib.diff(x, prepend=p), [(3,), ()], RuntimeError,
                   "diff.*same dimension")
    compare_raises(lambda lib, x: lib.diff(x, dim=1), [(3,)], IndexError, "diff")


# ----- nanmean, nansum, aminmax, std_mean, var_mean -------------------------------------------


@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (0, False), (1, True),
                                         ((0, 2), False), (-1, True)], ids=str)
def test_nanmean_nansum(dim, keepdim):
    x = with_nans((3, 4, 5))
    x[0, :, 0] = np.nan  # a slice that is all NaN: nanmean is NaN there, nansum 0
    compare(lambda lib, x: (lib.nanmean(x, dim, keepdim), x.nansum(dim, keepdim=keepdim),
                            x.nanmean(dim=dim, keepdim=keepdim), lib.nansum(x, dim, keepdim)),
            [x])


def test_nanmean_nansum_dtypes():
    compare(lambda lib, x: (lib.nansum(x), lib.nansum(x, 0), x.nansum(dtype=lib.float64)),
            [ints((3, 4), dtype=np.int32)], grad=False)
    compare(lambda lib, x: lib.nansum(x), [np.array([True, True, False])], grad=False)
    compare(lambda lib, x: (lib.nanmean(x), lib.nansum(x), lib.nanmean(x, dtype=lib.float64)),
            [with_nans((4, 3)).astype(np.float32)], atol=1e-5, rtol=1e-5)
    compare(lambda lib, x: (lib.nanmean(x), lib.nansum(x)), [np.array(NAN)])
    compare_raises(lambda lib, x: lib.nanmean(x.long()), [(3,)], RuntimeError, "nanmean")


@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (0, False), (1, True),
                                         (-1, False)], ids=str)
def test_aminmax(dim, keepdim):
    compare(lambda lib, x: lib.aminmax(x, dim=dim, keepdim=keepdim), [distinct((3, 4))])
    compare(lambda lib, x: x.aminmax(dim=dim, keepdim=keepdim), [ints((3, 4))], grad=False)
    ties = np.array([[3.0, 1.0, 1.0, 3.0], [2.0, 2.0, 2.0, 0.0]])  # ties share the gradient
    compare(lambda lib, x: lib.aminmax(x, dim=dim, keepdim=keepdim), [ties])
    out = deepgrad.aminmax(deepgrad.tensor(ties), dim=dim)
    assert out.min is out[0] and out.max is out[1]


def test_aminmax_0d_and_errors():
    compare(lambda lib, x: (lib.aminmax(x), lib.aminmax(x, dim=0, keepdim=True)), [np.array(2.0)])
    compare_raises(lambda lib, x: lib.aminmax(x), [(0,)], RuntimeError, "aminmax.*empty")
    compare_raises(lambda lib, x: lib.aminmax(x, dim=1), [(3, 0)], RuntimeError, "aminmax")
    compare_raises(lambda lib, x: lib.aminmax(x, dim=2), [(3, 1)], IndexError, "aminmax")


@pytest.mark.parametrize("name", ["std_mean", "var_mean"])
def test_std_var_mean(name):
    def fn(lib, x):
        f = getattr(lib, name)
        return (f(x) + f(x, 1) + f(x, dim=(0, 2), correction=0) + f(x, -1, keepdim=True)
                + f(x, dim=1, correction=2, keepdim=True) + f(x, 1, False) + f(x, unbiased=False))
    compare(fn, [(3, 4, 5)])


# ----- named results, methods, gradients that reach only the selected elements ----------------


def test_named_fields():
    x = deepgrad.tensor(distinct((3, 4)))
    for result in (deepgrad.sort(x), deepgrad.topk(x, 2), deepgrad.kthvalue(x, 2),
                   deepgrad.median(x, 1), deepgrad.nanmedian(x, 0), deepgrad.mode(x),
                   deepgrad.cummax(x, 1), deepgrad.cummin(x, 0)):
        values, indices = result
        assert result.values is values and result.indices is indices
        assert indices.dtype == deepgrad.int64 and not indices.requires_grad


METHODS = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode",
           "quantile", "nanquantile", "unique", "unique_consecutive", "bincount", "histc",
           "cummax", "cummin", "cumprod", "logcumsumexp", "diff", "nanmean", "nansum", "aminmax"]


@pytest.mark.parametrize("name", METHODS + ["searchsorted", "bucketize"])
def test_public_names_match_torch(name):
    assert callable(getattr(deepgrad, name))
    assert hasattr(torch.Tensor, name) == hasattr(deepgrad.Tensor, name)


def test_gradients_reach_only_selected_elements():
    x = deepgrad.tensor(distinct((4, 6)), requires_grad=True)
    deepgrad.topk(x, 2, dim=1).values.sum().backward()
    expected = np.zeros((4, 6))
    np.put_along_axis(expected, np.argsort(-x.detach().numpy(), 1)[:, :2], 1.0, 1)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@pytest.mark.parametrize("largest", [True, False])
def test_topk_large_rows_partition_path(largest):
    """Rows long enough for topk's partition path: with ties the result must equal the first
    k of torch's stable sort; without ties, torch's topk itself."""
    ties = ints((3, 2000), high=50).astype(np.float64)
    for k in (1, 7, 40):
        compare(lambda lib, x, k=k: lib.sort(x, dim=1, descending=largest, stable=True)
                .values[:, :k] if lib is torch else lib.topk(x, k, 1, largest).values, [ties])
        got = deepgrad.topk(deepgrad.tensor(ties), k, 1, largest).indices.numpy()
        want = torch.sort(torch.tensor(ties), dim=1, descending=largest,
                          stable=True).indices[:, :k].numpy()
        np.testing.assert_array_equal(got, want)
        compare(lambda lib, x, k=k: lib.topk(x, k, 0, largest), [distinct((1500, 2))])
        compare(lambda lib, x, k=k: lib.topk(x, k, -1, largest),
                [ints((2, 3000), high=10 ** 6, dtype=np.int32)], grad=False)


def test_kthvalue_median_large_rows():
    x = distinct((4, 1001))
    compare(lambda lib, x: (lib.kthvalue(x, 1, 1), lib.kthvalue(x, 500, 1), lib.median(x, 1),
                            lib.median(x, 0), lib.nanmedian(x, -1, True)), [x])
    x[1, ::3] = np.nan
    compare(lambda lib, x: (lib.kthvalue(x, 300, 1), lib.median(x, 1), lib.nanmedian(x, 1)), [x])
    compare(lambda lib, x: lib.kthvalue(x, 800, 1).values, [x], grad=False)  # which NaN: any


def test_cummax_large_gradient_adds_up():
    x = ints((3, 500, 4), high=20).astype(np.float64)
    compare(lambda lib, x: (lib.cummax(x, 1), lib.cummin(x, 0), lib.cummax(x, -1)), [x])


def test_quantile_gradient_in_q():
    """torch's quantile is differentiable in q (linear interpolation): dq = step · (n − 1)."""
    x = np.array([[1.0, 4.0, 2.0, 8.0, 3.0], [NAN, 1.0, 0.5, 2.0, NAN], [NAN] * 5])
    q = np.array([0.3, 0.6, 0.0, 1.0])
    compare(lambda lib, x, q: (lib.quantile(x, q, 1), lib.nanquantile(x, q, 1, True),
                               lib.quantile(x[:1], q)), [x, q])
    compare(lambda lib, x, q: lib.quantile(x, q, dim=0, interpolation="nearest"), [x[:2], q])
    compare(lambda lib, x, q: lib.nanquantile(x, q), [x, np.array(0.45)])
