"""The shape, indexing and tensor-information API of ``deepgrad/ops/shape_extra.py`` against
torch in float64: values, dtypes and gradients, with negative dims and edge cases (0-d,
empty, repeated indices, zeros in products, ties in max/min)."""

import numpy as np
import pytest
import torch
from helpers import compare

import deepgrad


def ints(*values):
    return np.asarray(values, dtype=np.int64)


def distinct(shape, seed=3):
    """No ties (so amax/amin gradients are unambiguous)."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n).reshape(shape) - n / 2) / 7.0


def with_ties(shape, seed=4):
    """Small integers as floats: many ties, and zeros (prod, amax/amin tie-splitting)."""
    return np.random.default_rng(seed).integers(-2, 3, size=shape).astype(np.float64)


def _lib_raises(fn, exception, match=None):
    with pytest.raises(exception, match=match):
        fn(deepgrad)
    with pytest.raises((RuntimeError, ValueError, IndexError, TypeError)):
        fn(torch)


# ----- moving and reversing dims -------------------------------------------------------------

MOVES = [
    lambda lib, x: lib.movedim(x, 0, -1),
    lambda lib, x: lib.movedim(x, -1, 0),
    lambda lib, x: lib.movedim(x, (0, 1), (2, 0)),
    lambda lib, x: lib.moveaxis(x, [-1, 0], [0, -1]),
    lambda lib, x: x.movedim(1, 1),
    lambda lib, x: x.moveaxis(2, 0),
    lambda lib, x: lib.swapdims(x, 0, -1),
    lambda lib, x: x.swapdims(-2, -1),
    lambda lib, x: lib.ravel(x),
    lambda lib, x: x.ravel(),
    lambda lib, x: lib.rot90(x),
    lambda lib, x: lib.rot90(x, 2),
    lambda lib, x: lib.rot90(x, 3, [1, 2]),
    lambda lib, x: lib.rot90(x, -1, (-1, 0)),
    lambda lib, x: x.rot90(5, (2, 1)),
    lambda lib, x: lib.rot90(x, 0),
    lambda lib, x: lib.fliplr(x),
    lambda lib, x: lib.flipud(x),
    lambda lib, x: x.fliplr(),
    lambda lib, x: x.flipud(),
]


@pytest.mark.parametrize("case", MOVES, ids=lambda c: str(c.__code__.co_firstlineno))
def test_moves(case):
    compare(case, [(2, 3, 4)])


def test_moves_edge_cases():
    compare(lambda lib, x: lib.movedim(x, 0, 0), [()])
    compare(lambda lib, x: lib.ravel(x), [()])
    compare(lambda lib, x: lib.flipud(x), [(3,)])
    compare(lambda lib, x: lib.rot90(x, 1), [(2, 0)])


def test_moves_errors():
    x = deepgrad.zeros(2, 3)
    with pytest.raises(RuntimeError, match="movedim.*same number"):
        deepgrad.movedim(x, (0, 1), 0)
    with pytest.raises(RuntimeError, match="repeated dim"):
        deepgrad.movedim(x, (0, 0), (0, 1))
    with pytest.raises(IndexError, match="movedim.*out of range"):
        deepgrad.movedim(x, 2, 0)
    with pytest.raises(RuntimeError, match="rot90.*dims = 3"):
        deepgrad.rot90(x, 1, (0, 1, 1))
    with pytest.raises(RuntimeError, match="rot90.*different"):
        deepgrad.rot90(x, 1, (1, -1))
    with pytest.raises(RuntimeError, match="rot90.*>= 2"):
        deepgrad.rot90(deepgrad.zeros(3))
    with pytest.raises(RuntimeError, match="fliplr.*>= 2-d"):
        deepgrad.fliplr(deepgrad.zeros(3))
    with pytest.raises(RuntimeError, match="flipud"):
        deepgrad.flipud(deepgrad.tensor(1.0))


# ----- at least n-d and stacking ------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4), (1, 2, 3, 1)], ids=str)
@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
def test_atleast(name, shape):
    compare(lambda lib, x: getattr(lib, name)(x), [shape])


def test_atleast_several():
    compare(lambda lib, x, y: lib.atleast_2d(x, y), [(), (3,)])
    compare(lambda lib, x, y: lib.atleast_3d([x, y]), [(2,), (2, 3)])
    compare(lambda lib, x: lib.atleast_1d((x,)), [()])
    assert isinstance(deepgrad.atleast_1d([deepgrad.tensor(1.0)]), tuple)


STACKS = {
    "hstack": [[(3,), (2,)], [(2, 3), (2, 1)], [(), ()], [(2, 1, 3), (2, 2, 3)]],
    "vstack": [[(3,), (3,)], [(2, 3), (3,)], [(), ()], [(1, 2, 3), (2, 2, 3)]],
    "row_stack": [[(3,), (1, 3)]],
    "dstack": [[(3,), (3,)], [(2, 3), (2, 3)], [(), ()], [(2, 3, 1), (2, 3)]],
    "column_stack": [[(3,), (3,)], [(3,), (3, 2)], [(), (1,)], [(2, 2, 1), (2, 1, 1)]],
}


@pytest.mark.parametrize("name,shapes", [(n, s) for n, cases in STACKS.items() for s in cases],
                         ids=str)
def test_stacks(name, shapes):
    compare(lambda lib, *xs: getattr(lib, name)(xs), shapes)
    compare(lambda lib, *xs: getattr(lib, name)(list(xs)), shapes)


def test_stacks_errors():
    with pytest.raises(RuntimeError, match="hstack expects a non-empty"):
        deepgrad.hstack([])
    _lib_raises(lambda lib: lib.vstack([lib.zeros(2), lib.zeros(3)]), RuntimeError, "cat")


# ----- splitting ------------------------------------------------------------------------------

SPLITS = [
    lambda lib, x: lib.tensor_split(x, 3),
    lambda lib, x: lib.tensor_split(x, 4, dim=-1),
    lambda lib, x: lib.tensor_split(x, 7, 1),
    lambda lib, x: lib.tensor_split(x, [1, 4], dim=1),
    lambda lib, x: lib.tensor_split(x, (-2, 1, 3, 9), dim=-1),
    lambda lib, x: lib.tensor_split(x, [], dim=1),
    lambda lib, x: x.tensor_split(lib.tensor(2), 1),
    lambda lib, x: x.tensor_split(lib.tensor([0, 2, 2]), 1),
    lambda lib, x: lib.hsplit(x, 5),
    lambda lib, x: x.hsplit([2, 3]),
    lambda lib, x: lib.vsplit(x, 2),
    lambda lib, x: x.vsplit([1]),
    lambda lib, x: lib.dsplit(x, [1, 2]),
    lambda lib, x: lib.dsplit(x, 1),
    lambda lib, x: lib.split_with_sizes(x, [2, 3], dim=1),
    lambda lib, x: x.split_with_sizes((1, 0, 4), -2),
    lambda lib, x: x.unsafe_split(2, 1),
    lambda lib, x: x.unsafe_chunk(3, 1),
    lambda lib, x: lib.unsafe_split_with_sizes(x, [1, 1], 0),
]


@pytest.mark.parametrize("case", SPLITS, ids=lambda c: str(c.__code__.co_firstlineno))
def test_splits(case):
    compare(case, [(2, 5, 2)])


def test_splits_1d_and_errors():
    compare(lambda lib, x: lib.hsplit(x, 3), [(6,)])
    compare(lambda lib, x: lib.tensor_split(x, 3), [(0,)])
    with pytest.raises(RuntimeError, match="hsplit.*not divisible by the split_size 3"):
        deepgrad.hsplit(deepgrad.zeros(3, 4), 3)
    with pytest.raises(RuntimeError, match="vsplit requires a tensor with at least 2"):
        deepgrad.vsplit(deepgrad.zeros(4), 2)
    with pytest.raises(RuntimeError, match="dsplit requires a tensor with at least 3"):
        deepgrad.dsplit(deepgrad.zeros(4, 2), 2)
    with pytest.raises(RuntimeError, match="larger than 0"):
        deepgrad.tensor_split(deepgrad.zeros(4), 0)
    with pytest.raises(RuntimeError, match="dtype of long"):
        deepgrad.tensor_split(deepgrad.zeros(4), deepgrad.tensor(2.0))
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum"):
        deepgrad.split_with_sizes(deepgrad.zeros(4), [1, 2])


UNFOLDS = [
    lambda lib, x: x.unfold(0, 2, 1),
    lambda lib, x: x.unfold(1, 3, 2),
    lambda lib, x: x.unfold(-1, 2, 2),
    lambda lib, x: x.unfold(-1, 1, 3),
    lambda lib, x: x.unfold(1, 5, 1),
    lambda lib, x: x.unfold(2, 2, 1).unfold(1, 2, 2),
    lambda lib, x: x.unfold(1, 0, 1),
]


@pytest.mark.parametrize("case", UNFOLDS, ids=lambda c: str(c.__code__.co_firstlineno))
def test_unfold(case):
    compare(case, [(3, 5, 4)])


def test_unfold_edge_cases():
    compare(lambda lib, x: x.unfold(0, 1, 1), [()])
    compare(lambda lib, x: x.unfold(0, 0, 2), [()])
    compare(lambda lib, x: lib.unfold_copy(x, 0, 2, 3), [(7,)])
    with pytest.raises(RuntimeError, match="unfold: maximum size for tensor at dimension 1 is 5"):
        deepgrad.zeros(3, 5).unfold(1, 6, 1)
    with pytest.raises(RuntimeError, match="step is 0"):
        deepgrad.zeros(3, 5).unfold(1, 2, 0)


# ----- take, put, index_add/copy/fill/reduce -------------------------------------------------


def test_take():
    compare(lambda lib, x, i: lib.take(x, i), [(3, 4), ints(0, 11, -1, 5, 5)])
    compare(lambda lib, x, i: x.take(i), [(3, 4), ints(0, 3, 3, 1).reshape(2, 2)])
    compare(lambda lib, x, i: lib.take(x, i), [(), ints(0, 0, -1)])
    compare(lambda lib, x, i: lib.take(x, i), [(3,), np.zeros(0, np.int64)])
    with pytest.raises(IndexError, match="take.*12"):
        deepgrad.take(deepgrad.zeros(3, 4), deepgrad.tensor([12]))
    with pytest.raises(RuntimeError, match="take.*int64"):
        deepgrad.take(deepgrad.zeros(3, 4), deepgrad.tensor([1.0]))


@pytest.mark.parametrize("accumulate", [False, True])
def test_put(accumulate):
    idx = ints(0, 5, -1, 2) if not accumulate else ints(0, 5, 5, -1, 0)
    compare(lambda lib, x, i, s: x.put(i, s, accumulate=accumulate), [(2, 3), idx, (idx.size,)])
    compare(lambda lib, x, i, s: lib.put(x, i, s, accumulate), [(2, 3), idx.reshape(-1, 1)[:4],
                                                               (2, 2)])


INDEX_ADD = [
    (lambda lib, x, i, s: lib.index_add(x, 0, i, s), [(4, 3), ints(0, 2, 0), (3, 3)]),
    (lambda lib, x, i, s: lib.index_add(x, 1, i, s, alpha=-2.5), [(4, 3), ints(2, 2), (4, 2)]),
    (lambda lib, x, i, s: x.index_add(-1, i, s, alpha=2), [(2, 2, 3), ints(1, 0, 1, 1),
                                                           (2, 2, 4)]),
    (lambda lib, x, i, s: lib.index_add(x, 0, i, s), [(5,), ints(4, 4, 4), (3,)]),
    (lambda lib, x, i, s: lib.index_add(x, 0, i, s), [(), ints(0), ()]),
    (lambda lib, x, i, s: lib.index_add(x, 1, i, s), [(3, 2), np.zeros(0, np.int64), (3, 0)]),
    (lambda lib, x, i, s: lib.index_copy(x, 0, i, s), [(4, 3), ints(3, 0), (2, 3)]),
    (lambda lib, x, i, s: x.index_copy(-1, i, s), [(2, 4), ints(1, 3, 0), (2, 3)]),
    (lambda lib, x, i, s: lib.index_copy(x, 0, i, s), [(), ints(0), ()]),
]


@pytest.mark.parametrize("case,specs", INDEX_ADD, ids=lambda c: str(getattr(
    c, "__code__", None) and c.__code__.co_firstlineno))
def test_index_add_copy(case, specs):
    compare(case, specs)


def test_index_add_errors():
    x = deepgrad.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"index_add\(\): Number of indices \(2\) should be "):
        deepgrad.index_add(x, 0, deepgrad.tensor([0, 1]), deepgrad.zeros(3, 4))
    with pytest.raises(RuntimeError, match="index_add.*excluding the specified dimension"):
        deepgrad.index_add(x, 0, deepgrad.tensor([0]), deepgrad.zeros(1, 3))
    with pytest.raises(IndexError, match="index_add.*index 3 is out of bounds"):
        deepgrad.index_add(x, 0, deepgrad.tensor([3]), deepgrad.zeros(1, 4))
    with pytest.raises(IndexError, match="index_copy.*index -1"):
        deepgrad.index_copy(x, 0, deepgrad.tensor([-1]), deepgrad.zeros(1, 4))
    with pytest.raises(RuntimeError, match="same scalar type"):
        deepgrad.index_add(x, 0, deepgrad.tensor([0]), deepgrad.zeros(1, 4, dtype=deepgrad.float64))
    with pytest.raises(IndexError, match="vector"):
        deepgrad.index_add(x, 0, deepgrad.tensor([[0]]), deepgrad.zeros(1, 4))


def test_index_fill():
    compare(lambda lib, x, i: lib.index_fill(x, 1, i, -1.5), [(3, 4), ints(0, 2, 2)])
    compare(lambda lib, x, i: x.index_fill(-2, i, 7), [(3, 4), ints(-1)])
    compare(lambda lib, x, i, v: lib.index_fill(x, 0, i, v), [(3, 4), ints(0, 2), ()])
    compare(lambda lib, x, i: lib.index_fill(x, 0, i, 2.0), [(), ints(0)])
    compare(lambda lib, x, i: lib.index_fill(x, 0, i, 1), [(3,), ints(1)], grad=False)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        deepgrad.index_fill(deepgrad.zeros(3), 0, deepgrad.tensor([0]), deepgrad.zeros(1))


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce, include_self):
    shift = 0.0 if include_self else 0.25  # no self/src ties (see test_amax_ignored_self_tie)
    x = distinct((4, 3)) + shift if reduce in ("amax", "amin") else None
    compare(lambda lib, x, i, s: x.index_reduce(0, i, s, reduce, include_self=include_self),
            [x if x is not None else (4, 3), ints(0, 2, 0), distinct((3, 3), 5)])
    compare(lambda lib, x, i, s: lib.index_reduce(x, -1, i, s, reduce, include_self=include_self),
            [with_ties((2, 3)) + shift, ints(1, 1, 2, 1), with_ties((2, 4), 6)])


# ----- scatter_reduce -------------------------------------------------------------------------


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    shift = 0.0 if include_self else 0.01  # no self/src ties (see test_amax_ignored_self_tie)
    idx = ints(0, 1, 0, 3, 0, 1).reshape(3, 2)
    compare(lambda lib, x, i, s: lib.scatter_reduce(x, 0, i, s, reduce,
                                                    include_self=include_self),
            [distinct((4, 2)) + shift, idx, distinct((3, 2), 7)])
    compare(lambda lib, x, i, s: x.scatter_reduce(-1, i, s, reduce, include_self=include_self),
            [distinct((2, 5)) + shift, ints(4, 4, 0, 1, 1, 1).reshape(2, 3),
             distinct((2, 3), 8)])
    # ties and zeros: tie-splitting of amax/amin, zero factors of prod
    compare(lambda lib, x, i, s: lib.scatter_reduce(x, 1, i, s, reduce,
                                                    include_self=include_self),
            [with_ties((3, 3)) + shift, np.random.default_rng(1).integers(0, 3, (3, 6)),
             with_ties((3, 6), 9)])


@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_amax_ignored_self_tie(reduce):
    """With include_self=False the input's value takes no part in the reduction, so the one
    src element that attains it gets the whole gradient (torch 2.x still counts the ignored
    self value as a tie and gives it half; deepgrad follows the derivative here)."""
    src = deepgrad.tensor([[2.0, 1.0]] if reduce == "amax" else [[1.0, 2.0]],
                          dtype=deepgrad.float64, requires_grad=True)
    x = deepgrad.tensor([[2.0]] if reduce == "amax" else [[1.0]], dtype=deepgrad.float64,
                        requires_grad=True)
    out = deepgrad.scatter_reduce(x, 1, deepgrad.tensor([[0, 0]]), src, reduce,
                                  include_self=False)
    out.sum().backward()
    np.testing.assert_array_equal(src.grad.numpy(), [[1.0, 0.0]])
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0]])


def test_scatter_reduce_zeros_in_prod():
    x = np.asarray([[0.0, 2.0, 3.0, 0.0]])
    idx = ints(0, 0, 1, 3, 3, 3).reshape(1, 6)
    src = np.asarray([[4.0, 0.0, 0.0, 5.0, 0.0, 0.0]])
    for keep in (True, False):
        compare(lambda lib, x, i, s, keep=keep: lib.scatter_reduce(x, 1, i, s, "prod",
                                                                   include_self=keep),
                [x, idx, src])


def test_scatter_reduce_integer_mean_and_errors():
    compare(lambda lib, x, i, s: lib.scatter_reduce(x, 0, i, s, "mean"),
            [ints(0, 1, 2, 3), ints(0, 0, 1), ints(3, 4, 5)])
    compare(lambda lib, x, i, s: lib.scatter_reduce(x, 0, i, s, "amax", include_self=False),
            [ints(0, 1, 2, 3), ints(0, 0, 1), ints(-3, -4, 5)])
    x = deepgrad.zeros(3)
    with pytest.raises(RuntimeError, match="reduce argument must be one of"):
        deepgrad.scatter_reduce(x, 0, deepgrad.tensor([0]), deepgrad.zeros(1), "max")
    with pytest.raises(RuntimeError, match="scatter_reduce.*same number of dimensions"):
        deepgrad.scatter_reduce(x, 0, deepgrad.tensor([[0]]), deepgrad.zeros(1), "sum")
    with pytest.raises(IndexError, match="scatter_reduce.*index 3"):
        deepgrad.scatter_reduce(x, 0, deepgrad.tensor([3]), deepgrad.zeros(1), "sum")
    with pytest.raises(RuntimeError, match="self.dtype to be equal to src.dtype"):
        deepgrad.scatter_reduce(x, 0, deepgrad.tensor([0]), deepgrad.zeros(1).double(), "sum")


# ----- index_put, masked_scatter, select/slice_scatter --------------------------------------

INDEX_PUTS = [
    (lambda lib, x, i, v: lib.index_put(x, (i,), v), [(4, 3), ints(0, 2), (2, 3)]),
    (lambda lib, x, i, v: x.index_put((i,), v, accumulate=True), [(4, 3), ints(0, 2, 0, 0),
                                                                  (4, 3)]),
    (lambda lib, x, i, j, v: x.index_put((i, j), v, True), [(4, 3), ints(0, 0, 3), ints(1, 1, -1),
                                                            ()]),
    (lambda lib, x, i, j, v: x.index_put((i, j), v), [(4, 3), ints(0, 1, 3), ints(1, 1, -1),
                                                      (3,)]),
    (lambda lib, x, i, v: lib.index_put(x, (i,), v, accumulate=True), [(4, 3), ints(1, 1), (3,)]),
    (lambda lib, x, i, v: x.index_put((i,), v), [(2, 3), np.asarray([[True, False, True],
                                                                     [False, False, True]]),
                                                 (3,)]),
    (lambda lib, x, i, v: x.index_put([i], v, accumulate=True),
     [(2, 3, 2), np.asarray([True, False]), (3, 2)]),
]


@pytest.mark.parametrize("case,specs", INDEX_PUTS,
                         ids=lambda c: str(getattr(c, "__code__", None) and
                                           c.__code__.co_firstlineno))
def test_index_put(case, specs):
    compare(case, specs)


def test_index_put_errors():
    x = deepgrad.zeros(2, 3)
    with pytest.raises(RuntimeError, match="dtypes match"):
        x.index_put((deepgrad.tensor([0]),), deepgrad.zeros(3, dtype=deepgrad.float64))
    with pytest.raises(IndexError, match=r"index_put.*\(2, 3\)"):
        x.index_put((deepgrad.tensor([5]),), deepgrad.zeros(3))


def test_in_place_forms():
    for lib in (deepgrad, torch):
        x = lib.zeros(3, 2, dtype=lib.float64)
        x.index_put_((lib.tensor([0, 0]),), lib.ones(2, dtype=lib.float64), accumulate=True)
        x.index_add_(0, lib.tensor([2]), lib.full((1, 2), 3.0, dtype=lib.float64), alpha=2)
        x.index_copy_(1, lib.tensor([1]), lib.full((3, 1), -1.0, dtype=lib.float64))
        x.scatter_reduce_(0, lib.tensor([[1, 1]]), lib.tensor([[4.0, 5.0]], dtype=lib.float64),
                          "amax")
        x.masked_scatter_(x > 4, lib.tensor([9.0, 8.0], dtype=lib.float64))
        x.put_(lib.tensor([5]), lib.tensor([7.0], dtype=lib.float64))
        x.scatter_add_(0, lib.tensor([[0, 0]]), lib.ones(1, 2, dtype=lib.float64))
        y = lib.arange(6.0).reshape(2, 3)
        y.unsqueeze_(0).transpose_(0, 2).squeeze_(-1)
        y.t_()
        if lib is deepgrad:
            ours, our_y = x.numpy().copy(), y.numpy().copy()
    np.testing.assert_allclose(ours, x.numpy())
    np.testing.assert_allclose(our_y, y.numpy())
    leaf = deepgrad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.unsqueeze_(0)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.index_add_(0, deepgrad.tensor([0]), deepgrad.zeros(1))


def test_masked_scatter():
    mask = np.asarray([[True, False, True], [False, False, True]])
    compare(lambda lib, x, m, s: lib.masked_scatter(x, m, s), [(2, 3), mask, (5,)])
    compare(lambda lib, x, m, s: x.masked_scatter(m, s), [(2, 3), mask, (2, 2)])
    compare(lambda lib, x, m, s: x.masked_scatter(m, s), [(2, 1), mask, (4,)])
    compare(lambda lib, x, m, s: x.masked_scatter(m, s), [(2, 3), mask[0], (7,)])
    with pytest.raises(RuntimeError, match="at least 3 elements"):
        deepgrad.zeros(2, 3).masked_scatter(deepgrad.tensor(mask), deepgrad.zeros(2))
    with pytest.raises(RuntimeError, match="boolean masks"):
        deepgrad.zeros(2, 3).masked_scatter(deepgrad.zeros(2, 3), deepgrad.zeros(6))


def test_select_slice_scatter():
    compare(lambda lib, x, s: lib.select_scatter(x, s, 0, -1), [(2, 3), (3,)])
    compare(lambda lib, x, s: x.select_scatter(s, -1, 1), [(2, 3, 4), (2, 3)])
    compare(lambda lib, x, s: lib.slice_scatter(x, s, 0, 1, None, 2), [(4, 3), (2, 3)])
    compare(lambda lib, x, s: x.slice_scatter(s, dim=-1, start=-2), [(4, 3), (4, 2)])
    compare(lambda lib, x, s: lib.slice_scatter(x, s), [(4, 3), (4, 3)])
    with pytest.raises(RuntimeError, match="slice_scatter.*src size = \\[3\\]"):
        deepgrad.slice_scatter(deepgrad.zeros(4, 3), deepgrad.zeros(3), 0, 0, 2)
    with pytest.raises(IndexError, match="select_scatter.*index 2"):
        deepgrad.select_scatter(deepgrad.zeros(2, 3), deepgrad.zeros(3), 0, 2)


# ----- broadcasting, sum_to_size, argwhere, narrow_copy, misc -------------------------------


def test_broadcasting():
    compare(lambda lib, x, y, z: lib.broadcast_tensors(x, y, z), [(3, 1), (4,), ()])
    compare(lambda lib, x: x.broadcast_to((2, 3, 4)), [(3, 1)])
    compare(lambda lib, x: x.broadcast_to((2, -1)), [(3,)])
    assert deepgrad.broadcast_shapes((2, 1), (3,), 1) == torch.broadcast_shapes((2, 1), (3,), 1)
    assert deepgrad.broadcast_shapes() == torch.broadcast_shapes() == ()
    assert deepgrad.broadcast_shapes((0, 1), (4,)).numel() == 0
    with pytest.raises(RuntimeError, match=r"broadcast_shapes: shapes \(2,\) and \(3,\)"):
        deepgrad.broadcast_shapes((2,), (3,))
    with pytest.raises(RuntimeError, match="broadcast_tensors"):
        deepgrad.broadcast_tensors(deepgrad.zeros(2), deepgrad.zeros(3))


@pytest.mark.parametrize("size", [(3, 1), (1, 4), (2, 3, 4), (1,), (), (4,), (1, 1, 1)], ids=str)
def test_sum_to_size(size):
    compare(lambda lib, x: x.sum_to_size(size), [(2, 3, 4)])
    if size:
        compare(lambda lib, x: x.sum_to_size(*size), [(2, 3, 4)])


def test_sum_to_size_error():
    with pytest.raises(RuntimeError, match=r"size \[2\] is not expandable to size \[2, 3\]"):
        deepgrad.zeros(2, 3).sum_to_size(2)


def test_argwhere_and_narrow_copy():
    data = np.asarray([[0.0, 1.0, 0.0], [2.0, 0.0, 3.0]])
    compare(lambda lib, x: lib.argwhere(x), [data], grad=False)
    compare(lambda lib, x: x.argwhere(), [np.asarray(0.5)], grad=False)
    compare(lambda lib, x: x.argwhere(), [np.zeros((2, 0))], grad=False)
    compare(lambda lib, x: lib.narrow_copy(x, 1, 1, 2), [(3, 4)])
    compare(lambda lib, x: x.narrow_copy(-1, -3, 2), [(3, 4)])
    compare(lambda lib, x: x.narrow_copy(0, 3, 0), [(3, 4)])
    with pytest.raises(RuntimeError, match="narrow_copy.*exceeds dimension size"):
        deepgrad.zeros(3, 4).narrow_copy(1, 3, 2)


def test_unravel_meshgrid_combinations():
    for d, t in zip(deepgrad.unravel_index(deepgrad.tensor([5, 7, -1]), (2, 4)),
                    torch.unravel_index(torch.tensor([5, 7, -1]), (2, 4))):
        np.testing.assert_array_equal(d.numpy(), t.numpy())
    compare(lambda lib, x, y: lib.meshgrid(x, y, indexing="ij"), [(3,), (2,)])
    compare(lambda lib, x, y, z: lib.meshgrid([x, y, z], indexing="xy"), [(3,), (2,), (4,)])
    compare(lambda lib, x, y: lib.meshgrid(x, y, indexing="xy"), [(), (2,)])
    compare(lambda lib, x, y: lib.cartesian_prod(x, y), [(3,), (2,)])
    compare(lambda lib, x: lib.cartesian_prod(x), [(3,)])
    compare(lambda lib, x: lib.combinations(x), [(4,)])
    compare(lambda lib, x: lib.combinations(x, 3, with_replacement=True), [(3,)])
    compare(lambda lib, x: lib.combinations(x, r=3), [(2,)])


COPIES = [
    lambda lib, x: lib.view_copy(x, (4, 3)),
    lambda lib, x: lib.permute_copy(x, (1, 0)),
    lambda lib, x: lib.transpose_copy(x, 0, 1),
    lambda lib, x: lib.t_copy(x),
    lambda lib, x: lib.squeeze_copy(x.unsqueeze(0)),
    lambda lib, x: lib.unsqueeze_copy(x, -1),
    lambda lib, x: lib.expand_copy(x, (2, 3, 4)),
    lambda lib, x: lib.select_copy(x, 1, -1),
    lambda lib, x: lib.unbind_copy(x, 1),
    lambda lib, x: lib.split_copy(x, 2, 0),
    lambda lib, x: lib.split_with_sizes_copy(x, [1, 3], 1),
    lambda lib, x: lib.alias_copy(x),
    lambda lib, x: lib.detach_copy(x.detach()) * x,
    lambda lib, x: lib.detach(x) * x,
]


@pytest.mark.parametrize("case", COPIES, ids=lambda c: str(c.__code__.co_firstlineno))
def test_copy_variants(case):
    compare(case, [(3, 4)])


# ----- what a tensor says about itself -------------------------------------------------------

LAYOUTS = [
    lambda lib: lib.arange(12.0).reshape(3, 4),
    lambda lib: lib.arange(12.0).reshape(3, 4).t(),
    lambda lib: lib.arange(12.0).reshape(3, 4)[1:],
    lambda lib: lib.arange(12.0).reshape(3, 4)[:, ::2],
    lambda lib: lib.arange(12.0).reshape(3, 4)[1:, 1:3],
    lambda lib: lib.arange(12.0).reshape(3, 1, 4).transpose(0, 1),
    lambda lib: lib.arange(12.0).reshape(3, 4).expand(2, 3, 4),
    lambda lib: lib.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1),
    lambda lib: lib.zeros(0, 3),
    lambda lib: lib.tensor(3.0),
    lambda lib: lib.arange(12.0).reshape(3, 4).contiguous(),
]


@pytest.mark.parametrize("make", LAYOUTS, ids=lambda c: str(c.__code__.co_firstlineno))
def test_layout_info(make):
    d, t = make(deepgrad), make(torch)
    assert d.stride() == t.stride()
    assert d.is_contiguous() == t.is_contiguous()
    assert d.storage_offset() == t.storage_offset()
    assert d.dim_order() == t.dim_order()
    for dim in range(-d.ndim, d.ndim):
        assert d.stride(dim) == t.stride(dim)
    assert d.ndimension() == t.ndimension()
    assert d.nbytes == t.nbytes and d.itemsize == t.itemsize
    assert d.element_size() == t.element_size()


def test_channels_last_flag():
    x = np.zeros((2, 3, 4, 5))
    nhwc = deepgrad.from_numpy(np.ascontiguousarray(x.transpose(0, 2, 3, 1))).permute(0, 3, 1, 2)
    assert nhwc.is_contiguous(memory_format=deepgrad.channels_last)
    assert not nhwc.is_contiguous()
    assert nhwc.stride() == torch.zeros(2, 3, 4, 5).contiguous(
        memory_format=torch.channels_last).stride()
    assert not deepgrad.zeros(2, 3, 4, 5).is_contiguous(memory_format=deepgrad.channels_last)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool"])
def test_dtype_predicates(dtype):
    d = deepgrad.zeros(2, dtype=getattr(deepgrad, dtype if dtype != "bool" else "bool"))
    t = torch.zeros(2, dtype=getattr(torch, dtype))
    assert d.is_signed() == t.is_signed()
    assert d.is_floating_point() == t.is_floating_point() == deepgrad.is_floating_point(d)
    assert d.is_complex() == t.is_complex() == deepgrad.is_complex(d) is False
    assert deepgrad.is_signed(d) == torch.is_signed(t)


def test_tensor_predicates():
    a, b = deepgrad.zeros(2, 3), deepgrad.zeros(3, 2)
    assert a.is_same_size(deepgrad.ones(2, 3)) and not deepgrad.is_same_size(a, b)
    assert deepgrad.is_nonzero(deepgrad.tensor([1.5])) and not deepgrad.tensor(0).is_nonzero()
    with pytest.raises(RuntimeError, match="more than one value"):
        a.is_nonzero()
    with pytest.raises(RuntimeError, match="no values"):
        deepgrad.zeros(0).is_nonzero()
    assert a.is_cpu and not a.is_cuda and not a.is_sparse and not a.is_quantized
    assert a.get_device() == torch.zeros(1).get_device() == -1
    x = deepgrad.zeros(2, requires_grad=True) * 2
    assert not x.retains_grad
    x.retain_grad()
    assert x.retains_grad
    assert deepgrad.tensor(3.0).tolist() == torch.tensor(3.0).tolist() == 3.0
    assert isinstance(deepgrad.tensor(3).tolist(), int)
    assert a.byte().dtype == deepgrad.uint8 and a.char().dtype == deepgrad.int8
    assert a.short().dtype == deepgrad.int16
    with pytest.raises(TypeError, match="bfloat16"):
        a.bfloat16()


def test_transposes():
    compare(lambda lib, x: x.H, [(3, 4)])
    compare(lambda lib, x: x.mH, [(2, 3, 4)])
    compare(lambda lib, x: lib.adjoint(x), [(2, 3, 4)])
    compare(lambda lib, x: x.adjoint(), [(3, 4)])
    compare(lambda lib, x: x.mT, [(2, 3, 4)])
    compare(lambda lib, x: x.T, [(3, 4)])
    with pytest.raises(RuntimeError, match="tensor.H is only supported on matrices"):
        _ = deepgrad.zeros(3).H
    with pytest.raises(RuntimeError, match="tensor.mH is only supported on matrices"):
        _ = deepgrad.zeros(3).mH


def test_tensor_where():
    compare(lambda lib, x, y: x.where(x > 0, y), [(3, 4), (4,)])
    compare(lambda lib, x: x.where(x > 0, 0.5), [(3, 4)])


# ----- dtypes -------------------------------------------------------------------------------

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_promote_and_can_cast(a, b):
    ours = deepgrad.promote_types(getattr(deepgrad, a), getattr(deepgrad, b))
    theirs = torch.promote_types(getattr(torch, a), getattr(torch, b))
    assert str(ours) == str(theirs).removeprefix("torch.")
    assert deepgrad.can_cast(getattr(deepgrad, a), getattr(deepgrad, b)) == torch.can_cast(
        getattr(torch, a), getattr(torch, b))


@pytest.mark.parametrize("pair", [
    lambda lib: (lib.tensor([1, 2]), 1.0), lambda lib: (lib.tensor([1, 2]), 1),
    lambda lib: (lib.tensor([1.0]), lib.tensor(2, dtype=lib.int64)),
    lambda lib: (lib.tensor([1], dtype=lib.int8), lib.tensor(200)),
    lambda lib: (lib.tensor([True]), 2), lambda lib: (2, 3.0), lambda lib: (2, True),
    lambda lib: (True, False), lambda lib: (1, 2),
    lambda lib: (lib.tensor(1.0, dtype=lib.float64), lib.tensor([1.0])),
    lambda lib: (lib.tensor([1], dtype=lib.uint8), lib.tensor([1], dtype=lib.int8)),
], ids=lambda c: str(c.__code__.co_firstlineno))
def test_result_type(pair):
    ours = deepgrad.result_type(*pair(deepgrad))
    assert str(ours) == str(torch.result_type(*pair(torch))).removeprefix("torch.")


def test_default_dtype():
    assert deepgrad.get_default_dtype() == deepgrad.float32
    try:
        deepgrad.set_default_dtype(deepgrad.float64)
        assert deepgrad.get_default_dtype() == deepgrad.float64
        assert deepgrad.tensor([1.5]).dtype == deepgrad.float64
        assert deepgrad.zeros(2).dtype == deepgrad.float64
        assert deepgrad.result_type(1, 2.0) == deepgrad.float64
    finally:
        deepgrad.set_default_dtype(deepgrad.float32)
    assert deepgrad.zeros(2).dtype == deepgrad.float32
    with pytest.raises(TypeError, match="floating-point"):
        deepgrad.set_default_dtype(deepgrad.int64)


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo(name):
    ours, theirs = deepgrad.finfo(getattr(deepgrad, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert isinstance(ours.eps, float)
    assert deepgrad.finfo().eps == torch.finfo().eps


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo(name):
    ours, theirs = deepgrad.iinfo(getattr(deepgrad, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.max, ours.min) == (theirs.bits, theirs.max, theirs.min)


# ----- creation ------------------------------------------------------------------------------


def test_creation_helpers():
    x = deepgrad.zeros(3, 4, dtype=deepgrad.float64)
    r = deepgrad.randint_like(x, 5)
    assert r.shape == (3, 4) and r.dtype == deepgrad.float64
    assert str(torch.randint_like(torch.zeros(3, 4, dtype=torch.float64), 5).dtype) == \
        "torch.float64"
    assert set(np.unique(r.numpy())) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    r = deepgrad.randint_like(deepgrad.zeros(200, dtype=deepgrad.int64), 3, 6)
    assert r.numpy().min() >= 3 and r.numpy().max() <= 5 and r.dtype == deepgrad.int64
    assert deepgrad.randint_like(x, 2, dtype=deepgrad.int32).dtype == deepgrad.int32
    s = deepgrad.scalar_tensor(3)
    assert s.shape == () and s.dtype == deepgrad.float32
    assert str(torch.scalar_tensor(3).dtype) == "torch.float32"
    a = np.arange(3.0)
    assert deepgrad.asarray(a).numpy() is a or np.shares_memory(deepgrad.asarray(a).numpy(), a)
    assert not np.shares_memory(deepgrad.asarray(a, copy=True).numpy(), a)
    assert deepgrad.asarray([1, 2]).dtype == deepgrad.int64
    assert deepgrad.asarray(a, requires_grad=True).requires_grad


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_size_keyword(name):
    for size in ((2, 3), [4], ()):
        assert getattr(deepgrad, name)(size=size).shape == tuple(
            getattr(torch, name)(size=size).shape)
    assert getattr(deepgrad, name)(size=(2,), dtype=deepgrad.float64).dtype == deepgrad.float64
    with pytest.raises(TypeError, match=name):
        getattr(deepgrad, name)(2, size=(2,))


def test_size_class_and_top_level_names():
    size = deepgrad.Size([2, 3])
    assert size == (2, 3) == torch.Size([2, 3]) and size.numel() == 6
    assert deepgrad.zeros(2, 3).shape == size
    assert deepgrad.newaxis is None
    for name in ("movedim", "moveaxis", "swapdims", "ravel", "rot90", "fliplr", "flipud",
                 "column_stack", "hstack", "vstack", "dstack", "row_stack", "atleast_1d",
                 "atleast_2d", "atleast_3d", "tensor_split", "hsplit", "vsplit", "dsplit",
                 "split_with_sizes", "take", "index_add", "index_copy", "index_fill",
                 "index_put", "index_put_", "index_reduce", "scatter_reduce", "masked_scatter",
                 "broadcast_to", "broadcast_tensors", "broadcast_shapes", "argwhere",
                 "narrow_copy", "select_scatter", "slice_scatter", "is_floating_point",
                 "is_complex", "is_signed", "is_nonzero", "is_same_size", "result_type",
                 "promote_types", "can_cast", "get_default_dtype", "set_default_dtype",
                 "randint_like", "scalar_tensor", "asarray", "numel", "is_tensor", "finfo",
                 "iinfo", "meshgrid", "cartesian_prod", "combinations", "unravel_index", "put",
                 "adjoint", "detach"):
        assert hasattr(torch, name), name
        assert hasattr(deepgrad, name), name
    for name in ("movedim", "moveaxis", "swapdims", "ravel", "rot90", "fliplr", "flipud",
                 "tensor_split", "hsplit", "vsplit", "dsplit", "split_with_sizes", "unfold",
                 "take", "index_add", "index_add_", "index_copy", "index_copy_", "index_fill",
                 "index_put", "index_put_", "scatter_reduce", "scatter_reduce_", "masked_scatter",
                 "masked_scatter_", "broadcast_to", "argwhere", "narrow_copy", "sum_to_size",
                 "is_contiguous", "stride", "storage_offset", "element_size", "itemsize",
                 "nbytes", "ndimension", "is_floating_point", "is_complex", "is_signed",
                 "is_same_size", "dim_order", "T", "mT", "H", "mH", "put", "put_",
                 "unsqueeze_", "squeeze_", "t_", "transpose_", "swapdims_", "where"):
        assert hasattr(torch.Tensor, name), name
        assert hasattr(deepgrad.Tensor, name), name


# ----- strided views, diagonal_scatter, fill_diagonal_, nonzero_static, isin ----------------

STRIDED = [
    (lambda lib, x: x.as_strided((2, 2), (1, 2), 1), (2, 3)),
    (lambda lib, x: lib.as_strided(x, (3, 3), (1, 1)), (6,)),  # overlapping windows
    (lambda lib, x: x.as_strided((2, 3), (3, 1)), (2, 3)),
    (lambda lib, x: x.as_strided((4,), (0,), 2), (5,)),
    (lambda lib, x: lib.as_strided_copy(x, (2,), (2,)), (2, 2)),
    (lambda lib, x: x.as_strided((0, 3), (1, 1)), (2,)),
]


@pytest.mark.parametrize("case,shape", STRIDED, ids=lambda c: str(getattr(
    c, "__code__", None) and c.__code__.co_firstlineno))
def test_as_strided(case, shape):
    compare(case, [shape])


def test_as_strided_scatter_and_errors():
    # values and src's gradient against torch; torch 2.x gives the input's gradient on the
    # complement of the right positions (the overwritten ones), so it is checked directly
    compare(lambda lib, x, s: lib.as_strided_scatter(x.detach(), s, (2, 2), (1, 2), 1),
            [(2, 3), (2, 2)])
    compare(lambda lib, x, s: x.detach().as_strided_scatter(s, (3,), (2,)), [(6,), (3,)])
    x = deepgrad.zeros(2, 3, dtype=deepgrad.float64, requires_grad=True)
    out = deepgrad.as_strided_scatter(x, deepgrad.zeros(2, 2, dtype=deepgrad.float64),
                                      (2, 2), (1, 2), 1)
    out.backward(deepgrad.arange(1.0, 7.0, dtype=deepgrad.float64).reshape(2, 3))
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 0.0, 0.0], [0.0, 0.0, 6.0]])
    with pytest.raises(RuntimeError, match="as_strided.*out of bounds for storage of size 6"):
        deepgrad.zeros(2, 3).as_strided((3, 3), (3, 1))
    with pytest.raises(RuntimeError, match="mismatch in length"):
        deepgrad.zeros(2, 3).as_strided((3, 3), (3,))
    for lib in (deepgrad, torch):
        x = lib.arange(6.0)
        x.as_strided_((2, 2), (1, 2), 1)
        if lib is deepgrad:
            ours = x.numpy().copy()
    np.testing.assert_array_equal(ours, x.numpy())


def test_diagonal_scatter():
    compare(lambda lib, x, s: lib.diagonal_scatter(x, s), [(3, 3), (3,)])
    compare(lambda lib, x, s: lib.diagonal_scatter(x, s, 1), [(3, 4), (3,)])
    compare(lambda lib, x, s: x.diagonal_scatter(s, -2), [(4, 3), (2,)])
    compare(lambda lib, x, s: lib.diagonal_scatter(x, s, 1, 0, 1), [(3, 3, 2), (2, 2)])
    compare(lambda lib, x, s: lib.diagonal_scatter(x, s, 0, -1, 0), [(2, 4, 3), (4, 2)])
    compare(lambda lib, x, s: lib.diagonal_scatter(x, s, 5), [(3, 3), (0,)])
    with pytest.raises(RuntimeError, match="diagonal_scatter.*src size = \\[2\\]"):
        deepgrad.diagonal_scatter(deepgrad.zeros(3, 3), deepgrad.zeros(2))


@pytest.mark.parametrize("shape,wrap", [((3, 3), False), ((7, 3), True), ((7, 3), False),
                                        ((3, 5), True), ((2, 2, 2), False)], ids=str)
def test_fill_diagonal(shape, wrap):
    ours = deepgrad.ones(*shape).fill_diagonal_(-2.5, wrap=wrap)
    theirs = torch.ones(*shape).fill_diagonal_(-2.5, wrap=wrap)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(RuntimeError, match="equal length"):
        deepgrad.zeros(2, 3, 2).fill_diagonal_(1)


def test_nonzero_static_and_isin():
    for data, size in (([0, 1, 2, 0, 3], 2), ([[0, 1], [1, 0]], 4), ([0, 0], 1)):
        np.testing.assert_array_equal(
            deepgrad.nonzero_static(deepgrad.tensor(data), size=size).numpy(),
            torch.nonzero_static(torch.tensor(data), size=size).numpy())
    assert deepgrad.tensor([0, 3]).nonzero_static(size=3, fill_value=9).tolist() == \
        torch.tensor([0, 3]).nonzero_static(size=3, fill_value=9).tolist()
    for lib_args in (lambda lib: (lib.tensor([1, 2, 3]), lib.tensor([2, 5])),
                     lambda lib: (lib.tensor([1, 2]), 2), lambda lib: (2, lib.tensor([2]))):
        np.testing.assert_array_equal(deepgrad.isin(*lib_args(deepgrad)).numpy(),
                                      torch.isin(*lib_args(torch)).numpy())
    assert deepgrad.tensor([1, 2]).isin(deepgrad.tensor([2]), invert=True).tolist() == [True,
                                                                                       False]


def test_constants_and_misc_info():
    assert (deepgrad.pi, deepgrad.e, deepgrad.inf) == (torch.pi, torch.e, torch.inf)
    assert np.isnan(deepgrad.nan)
    assert isinstance(deepgrad.zeros(1).dtype, deepgrad.dtype)
    assert isinstance(deepgrad.float64, deepgrad.dtype)
    assert deepgrad.zeros(1).layout is deepgrad.strided
    x = deepgrad.arange(6.0)
    assert x.data_ptr() == x.reshape(2, 3).data_ptr() and x[1:].data_ptr() == x.data_ptr() + 4
    assert x.pin_memory() is x and not x.is_pinned() and x.share_memory_() is x
    assert not deepgrad.is_inference(x) and not x.is_inference()
    for args in ((0, 1, 0.25), (2, -1, -0.5), (1, 4, 2), (0, 1, 0.3)):
        np.testing.assert_allclose(deepgrad.range(*args).numpy(),
                                   torch.range(*args).numpy(), rtol=1e-6)
        assert str(deepgrad.range(*args).dtype) == "float32"


# ----- squeeze, unsqueeze, flatten, unflatten edge cases (shape.py, as PyTorch programs use
# them) -------------------------------------------------------------------------------------

EDGES = [
    (lambda lib, x: lib.flatten(x), ()),
    (lambda lib, x: x.flatten(0, -1), ()),
    (lambda lib, x: x.flatten(1), (2, 0, 3)),
    (lambda lib, x: x.flatten(-2), (2, 3, 4)),
    (lambda lib, x: x.flatten(1, 1), (2, 3, 4)),
    (lambda lib, x: x.unsqueeze(-1), ()),
    (lambda lib, x: x.unsqueeze(0), ()),
    (lambda lib, x: x.unsqueeze(-3), (2, 3)),
    (lambda lib, x: x.squeeze((0, 2)), (1, 3, 1)),
    (lambda lib, x: x.squeeze((0, 1)), (1, 3, 1)),
    (lambda lib, x: x.squeeze(-1), (1, 3, 1)),
    (lambda lib, x: x.squeeze(), (1, 3, 1)),
    (lambda lib, x: x.squeeze(0), ()),
    (lambda lib, x: lib.squeeze(x, (-1,)), (2, 1)),
    (lambda lib, x: x.unflatten(1, (2, -1)), (3, 6)),
    (lambda lib, x: x.unflatten(-1, (3, 2)), (3, 6)),
    (lambda lib, x: x.view(-1), ()),
    (lambda lib, x: x.reshape(()), (1, 1)),
]


@pytest.mark.parametrize("case,shape", EDGES, ids=lambda c: str(getattr(
    c, "__code__", None) and c.__code__.co_firstlineno))
def test_shape_edge_cases(case, shape):
    compare(case, [shape])


NON_CONTIGUOUS = [
    (lambda lib, x, i, s: lib.index_add(x.t(), 1, i, s.t(), alpha=0.5),
     [(3, 4), ints(0, 2, 2), (3, 4)]),
    (lambda lib, x, i, s: lib.scatter_reduce(x.t(), 0, i, s.t(), "mean", include_self=False),
     [(3, 4), ints(0, 3, 3, 1, 0, 0).reshape(2, 3), (3, 2)]),
    (lambda lib, x, i, s: lib.scatter_reduce(x[:, ::2], 1, i, s[::2], "prod"),
     [(3, 4), ints(0, 1, 1, 0, 0, 0).reshape(3, 2), (6, 2)]),
    (lambda lib, x, i, s: x.t().index_put((i,), s.t(), accumulate=True),
     [(3, 4), ints(0, 0, 3), (3, 3)]),
    (lambda lib, x, i, s: x.t().index_copy(0, i, s[::2]), [(3, 4), ints(3, 1), (4, 3)]),
    (lambda lib, x, i, s: x.t().unfold(0, 2, 1) * s.sum() + i.sum(),
     [(3, 4), ints(1), (2,)]),
    (lambda lib, x, i, s: x.t().unfold(1, 2, 2).unfold(0, 2, 1) * s.sum() + i.sum(),
     [(3, 4), ints(1), (2,)]),
]


@pytest.mark.parametrize("case,specs", NON_CONTIGUOUS, ids=lambda c: str(getattr(
    c, "__code__", None) and c.__code__.co_firstlineno))
def test_non_contiguous_inputs(case, specs):
    compare(case, specs)


@pytest.mark.parametrize("case", [
    lambda lib, x: lib.index_add(x, 0, lib.tensor([1, 1]), lib.ones(2, 3), alpha=2),
    lambda lib, x: lib.scatter_reduce(x, 1, lib.tensor([[0, 0]] * 2), lib.ones(2, 2), "mean"),
    lambda lib, x: x.index_put((lib.tensor([0, 0]),), lib.ones(3), accumulate=True),
    lambda lib, x: x.unfold(1, 2, 1),
    lambda lib, x: lib.rot90(x),
    lambda lib, x: lib.take(x, lib.tensor([5, 0])),
], ids=lambda c: str(c.__code__.co_firstlineno))
def test_float32_kept(case):
    ours = case(deepgrad, deepgrad.arange(6.0).reshape(2, 3))
    theirs = case(torch, torch.arange(6.0).reshape(2, 3))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.") == "float32"
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_legacy_new_resize_apply_map():
    for lib in (deepgrad, torch):
        x = lib.arange(6.0).reshape(2, 3)
        assert tuple(x.new(2, 2).shape) == (2, 2) and tuple(x.new().shape) == (0,)
        assert tuple(x.new(lib.Size([3])).shape) == (3,)
        assert str(x.new([1, 2]).dtype).endswith("float32") and x.new([1, 2]).tolist() == [1, 2]
        assert tuple(x.new((2,)).shape) == (1,)
        y = lib.arange(6.0)
        y.resize_(2, 2)
        assert y.tolist() == [[0.0, 1.0], [2.0, 3.0]]
        y.resize_as_(lib.zeros(4))
        assert y.tolist() == [0.0, 1.0, 2.0, 3.0]
        z = lib.arange(3.0)
        z.apply_(lambda v: v * 2)
        z.map_(lib.ones(3), lambda a, b: a + b)
        assert z.tolist() == [1.0, 3.0, 5.0]
        b = lib.frombuffer(bytearray(b"\x01\x00\x00\x00\x02\x00\x00\x00"), dtype=lib.int32)
        assert b.tolist() == [1, 2] and str(b.dtype).endswith("int32")
        assert lib.ones(2, 3).dim_order(ambiguity_check=True) == (0, 1)
        with pytest.raises(RuntimeError, match="unique dim order"):
            lib.ones(2, 1).dim_order(ambiguity_check=True)
    grown = deepgrad.arange(4.0).resize_(3, 2)
    assert grown.shape == (3, 2) and grown[:2].tolist() == [[0.0, 1.0], [2.0, 3.0]]
