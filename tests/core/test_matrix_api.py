"""Matrix products, diagonals, distances and matrix builders (deepgrad/ops/matrix.py) and
einsum, against torch in float64: values, dtypes and gradients; a finite-difference check on a
sample; errors naming the op and the shapes."""

import numpy as np
import pytest
import torch
from helpers import compare, compare_raises

import deepgrad
from deepgrad.autograd import gradcheck


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ----- β·input + α·product ------------------------------------------------------------------

SCALED = [
    ("addmm", lambda lib, i, a, b: lib.addmm(i, a, b), [(2, 4), (2, 3), (3, 4)]),
    ("addmm_bcast", lambda lib, i, a, b: lib.addmm(i, a, b, beta=0.5, alpha=2), [(4,), (2, 3),
                                                                               (3, 4)]),
    ("addmm_method", lambda lib, i, a, b: i.addmm(a, b, alpha=-1.5), [(2, 1), (2, 3), (3, 4)]),
    ("addmv", lambda lib, i, a, v: lib.addmv(i, a, v, beta=2, alpha=0.5), [(2,), (2, 3), (3,)]),
    ("addmv_scalar", lambda lib, i, a, v: lib.addmv(i, a, v), [(), (2, 3), (3,)]),
    ("addr", lambda lib, i, a, b: lib.addr(i, a, b, beta=0.3, alpha=3), [(2, 3), (2,), (3,)]),
    ("addbmm", lambda lib, i, a, b: lib.addbmm(i, a, b, beta=1.5, alpha=0.7),
     [(2, 4), (5, 2, 3), (5, 3, 4)]),
    ("baddbmm", lambda lib, i, a, b: lib.baddbmm(i, a, b, beta=-1, alpha=2),
     [(5, 2, 4), (5, 2, 3), (5, 3, 4)]),
    ("baddbmm_bcast", lambda lib, i, a, b: i.baddbmm(a, b), [(1, 4), (5, 2, 3), (5, 3, 4)]),
]


@pytest.mark.parametrize("name,fn,shapes", SCALED, ids=[c[0] for c in SCALED])
def test_scaled_products(name, fn, shapes):
    compare(fn, shapes)


def test_beta_zero_ignores_nan_input():
    x = np.full((2, 4), np.nan)
    compare(lambda lib, i, a, b: lib.addmm(i, a, b, beta=0), [x, (2, 3), (3, 4)])
    out = compare(lambda lib, i, a, v: lib.addmv(i, a, v, beta=0, alpha=2), [np.full(2, np.inf),
                                                                             (2, 3), (3,)])
    assert np.isfinite(out[0].detach().numpy()).all()


# ----- products -----------------------------------------------------------------------------

PRODUCTS = [
    ("mv", lambda lib, a, v: lib.mv(a, v), [(2, 3), (3,)]),
    ("mv_method", lambda lib, a, v: a.mv(v), [(4, 3), (3,)]),
    ("vdot", lambda lib, a, b: lib.vdot(a, b), [(5,), (5,)]),
    ("inner_vec", lambda lib, a, b: lib.inner(a, b), [(3,), (3,)]),
    ("inner_nd", lambda lib, a, b: lib.inner(a, b), [(2, 3, 4), (5, 4)]),
    ("inner_scalar", lambda lib, a, b: lib.inner(a, b), [(), (2, 3)]),
    ("inner_method", lambda lib, a, b: a.inner(b), [(2, 4), (4,)]),
    ("tensordot_2", lambda lib, a, b: lib.tensordot(a, b), [(2, 3, 4), (3, 4, 5)]),
    ("tensordot_1", lambda lib, a, b: lib.tensordot(a, b, dims=1), [(2, 3), (3, 4)]),
    ("tensordot_0", lambda lib, a, b: lib.tensordot(a, b, dims=0), [(2, 3), (4,)]),
    ("tensordot_lists", lambda lib, a, b: lib.tensordot(a, b, dims=([1, 0], [0, 2])),
     [(3, 4, 5), (4, 2, 3)]),
    ("tensordot_ints", lambda lib, a, b: lib.tensordot(a, b, dims=([-1], [0])), [(2, 3), (3,)]),
    ("kron_1d", lambda lib, a, b: lib.kron(a, b), [(3,), (2,)]),
    ("kron_2d", lambda lib, a, b: lib.kron(a, b), [(2, 3), (3, 2)]),
    ("kron_mixed", lambda lib, a, b: a.kron(b), [(2,), (2, 3, 2)]),
    ("chain_matmul", lambda lib, a, b, c: lib.chain_matmul(a, b, c), [(2, 3), (3, 5), (5, 2)]),
    ("multi_dot", lambda lib, a, b, c, d: lib.linalg.multi_dot([a, b, c, d]),
     [(4, 3), (3, 6), (6, 2), (2, 5)]),
    ("multi_dot_vectors", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]),
     [(3,), (3, 4), (4,)]),
    ("multi_dot_first_1d", lambda lib, a, b: lib.linalg.multi_dot([a, b]), [(3,), (3, 4)]),
]


@pytest.mark.parametrize("name,fn,shapes", PRODUCTS, ids=[c[0] for c in PRODUCTS])
def test_products(name, fn, shapes):
    compare(fn, shapes)


def test_kron_dtype_promotion_and_ints():
    compare(lambda lib, a, b: lib.kron(a, b.float()), [(2, 2), (2,)], atol=1e-6, rtol=1e-6)
    a = np.arange(4).reshape(2, 2)
    compare(lambda lib, x: lib.kron(x, x), [a], grad=False)


# ----- einsum -------------------------------------------------------------------------------

EINSUM = [
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("ii->", [(3, 3)]), ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]), ("iij->j", [(3, 3, 2)]), ("iji->j", [(3, 2, 3)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]), ("...i->i", [(2, 3, 4)]),
    ("i...->...", [(2, 3, 4)]), ("bij,bjk", [(2, 3, 3), (2, 3, 5)]), ("ij,jk", [(2, 1), (3, 4)]),
    ("i,j", [(2,), (3,)]), ("ij,ij->", [(2, 3), (2, 3)]), ("ij->ji", [(2, 3)]),
    ("ijk,ikl,lm->jm", [(2, 3, 4), (2, 4, 5), (5, 2)]), ("ab,bc,cd", [(2, 3), (3, 4), (4, 5)]),
    ("Ab,ba", [(2, 3), (3, 2)]), ("i,i->i", [(3,), (1,)]), ("...,...->...", [(2, 3), (3,)]),
    ("b i j , b j k -> b i k", [(2, 3, 4), (2, 4, 5)]), ("ij,kl->ijkl", [(2, 3), (1, 2)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    # large enough for NumPy's optimised path (BLAS, pairwise order)
    ("bij,bjk->bik", [(4, 32, 32), (4, 32, 40)]), ("ij,jk,kl->il", [(40, 30), (30, 50), (50, 8)]),
    ("...ii,...i->...", [(6, 40, 40), (40,)]), ("bqd,bkd->bqk", [(8, 40, 16), (8, 30, 16)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM, ids=[f"{c[0]}-{c[1]}" for c in EINSUM])
def test_einsum(equation, shapes):
    compare(lambda lib, *xs: lib.einsum(equation, *xs), shapes)


def test_einsum_forms():
    compare(lambda lib, x, y: lib.einsum(x, [0, 1], y, [1, 2], [0, 2]), [(2, 3), (3, 4)])
    compare(lambda lib, x, y: lib.einsum(x, [Ellipsis, 1], y, [1, 2]), [(2, 3), (3, 4)])
    compare(lambda lib, x, y: lib.einsum("ij,jk", [x, y]), [(2, 3), (3, 4)])


@pytest.mark.parametrize("equation,shapes,match", [
    ("ij,jk->ik", [(2, 3), (4, 2)], "subscript j has size 4"),
    ("ij,jk->ikl", [(2, 3), (3, 4)], "output subscript l"),
    ("ijk,jk->ik", [(2, 3), (3, 4)], "number of subscripts"),
    ("ij,jk,kl->il", [(2, 3), (3, 4)], "fewer operands"),
])
def test_einsum_errors(equation, shapes, match):
    compare_raises(lambda lib, *xs: lib.einsum(equation, *xs), shapes, RuntimeError, match)


# ----- diagonals ----------------------------------------------------------------------------

DIAGONALS = [
    ("diag_vec", lambda lib, x: lib.diag(x), [(3,)]),
    ("diag_vec_up", lambda lib, x: lib.diag(x, 2), [(3,)]),
    ("diag_vec_down", lambda lib, x: x.diag(-1), [(3,)]),
    ("diag_mat", lambda lib, x: lib.diag(x), [(3, 4)]),
    ("diag_mat_up", lambda lib, x: lib.diag(x, 1), [(3, 4)]),
    ("diag_mat_down", lambda lib, x: lib.diag(x, -2), [(3, 4)]),
    ("diag_mat_outside", lambda lib, x: lib.diag(x, 5), [(3, 4)]),
    ("diagonal", lambda lib, x: lib.diagonal(x), [(3, 4)]),
    ("diagonal_3d", lambda lib, x: lib.diagonal(x, 1, 0, 2), [(3, 2, 4)]),
    ("diagonal_neg", lambda lib, x: x.diagonal(-1, dim1=-1, dim2=-2), [(2, 3, 4)]),
    ("diagonal_swapped", lambda lib, x: lib.diagonal(x, 0, 2, 0), [(3, 2, 4)]),
    ("linalg_diagonal", lambda lib, x: lib.linalg.diagonal(x, offset=1), [(2, 3, 4)]),
    ("diag_embed", lambda lib, x: lib.diag_embed(x), [(2, 3)]),
    ("diag_embed_offset", lambda lib, x: lib.diag_embed(x, 1), [(2, 3)]),
    ("diag_embed_dims", lambda lib, x: lib.diag_embed(x, -2, 0, 2), [(2, 3)]),
    ("diag_embed_swapped", lambda lib, x: x.diag_embed(1, -1, 0), [(2, 3)]),
    ("diagflat", lambda lib, x: lib.diagflat(x), [(2, 2)]),
    ("diagflat_offset", lambda lib, x: x.diagflat(-1), [(3,)]),
    ("trace", lambda lib, x: lib.trace(x), [(3, 4)]),
    ("trace_method", lambda lib, x: x.trace(), [(3, 3)]),
]


@pytest.mark.parametrize("name,fn,shapes", DIAGONALS, ids=[c[0] for c in DIAGONALS])
def test_diagonals(name, fn, shapes):
    compare(fn, shapes)


def test_diagonal_ints():
    a = np.arange(12).reshape(3, 4)
    compare(lambda lib, x: lib.trace(x), [a], grad=False)
    compare(lambda lib, x: lib.diag(x, 1), [a], grad=False)
    compare(lambda lib, x: lib.diag_embed(x), [a], grad=False)


# ----- cross product and distances ---------------------------------------------------------

CROSS_AND_DISTANCE = [
    ("cross", lambda lib, a, b: lib.cross(a, b, dim=1), [(4, 3), (4, 3)]),
    ("cross_dim0", lambda lib, a, b: lib.cross(a, b, dim=0), [(3, 2), (3, 2)]),
    ("cross_default_dim", lambda lib, a, b: a.cross(b), [(2, 3, 3), (2, 3, 3)]),
    ("linalg_cross_bcast", lambda lib, a, b: lib.linalg.cross(a, b), [(2, 1, 3), (1, 4, 3)]),
    ("linalg_cross_dim", lambda lib, a, b: lib.linalg.cross(a, b, dim=0), [(3, 5), (3, 1)]),
    ("cdist", lambda lib, a, b: lib.cdist(a, b), [(4, 3), (5, 3)]),
    ("cdist_batch", lambda lib, a, b: lib.cdist(a, b), [(2, 4, 3), (1, 5, 3)]),
    ("cdist_batch_2d_3d", lambda lib, a, b: lib.cdist(a, b), [(4, 3), (2, 5, 3)]),
    ("cdist_batch_2d_3d_p1", lambda lib, a, b: lib.cdist(a, b, p=1), [(2, 4, 3), (5, 3)]),
    ("cdist_mm", lambda lib, a, b: lib.cdist(a, b), [(30, 3), (27, 3)]),
    ("cdist_mm_forced", lambda lib, a, b: lib.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
     [(3, 2), (4, 2)]),
    ("cdist_p1", lambda lib, a, b: lib.cdist(a, b, p=1), [(4, 3), (5, 3)]),
    ("cdist_p3", lambda lib, a, b: lib.cdist(a, b, p=3), [(2, 4, 3), (2, 5, 3)]),
    ("cdist_p_half", lambda lib, a, b: lib.cdist(a, b, p=0.5), [(4, 3), (5, 3)]),
    ("cdist_inf", lambda lib, a, b: lib.cdist(a, b, p=float("inf")), [(4, 3), (5, 3)]),
    ("dist", lambda lib, a, b: lib.dist(a, b), [(3, 4), (4,)]),
    ("dist_p1", lambda lib, a, b: a.dist(b, 1), [(3, 4), (3, 4)]),
    ("dist_p3", lambda lib, a, b: lib.dist(a, b, p=3), [(2, 3), (2, 3)]),
    ("dist_inf", lambda lib, a, b: lib.dist(a, b, float("inf")), [(2, 3), (2, 3)]),
]


@pytest.mark.parametrize("name,fn,shapes", CROSS_AND_DISTANCE,
                         ids=[c[0] for c in CROSS_AND_DISTANCE])
def test_cross_and_distances(name, fn, shapes):
    compare(fn, shapes)


def test_cdist_zero_distance_gradient_is_zero():
    x = rand(4, 3)
    compare(lambda lib, a, b: lib.cdist(a, b), [x, x.copy()])
    compare(lambda lib, a: lib.cdist(a, a), [x])


def test_cdist_p0_counts_differences():
    x, y = rand(4, 3), rand(5, 3)
    y[0] = x[0]
    compare(lambda lib, a, b: lib.cdist(a, b, p=0), [x, y], grad=False)  # no gradient in torch


# ----- building matrices --------------------------------------------------------------------

BUILDERS = [
    ("block_diag", lambda lib, a, b, c: lib.block_diag(a, b, c), [(2, 3), (1, 2), (3,)]),
    ("block_diag_scalar", lambda lib, a, b: lib.block_diag(a, b), [(), (2, 2)]),
    ("linalg_vander", lambda lib, x: lib.linalg.vander(x), [(2, 4)]),
    ("linalg_vander_N", lambda lib, x: lib.linalg.vander(x, N=5), [(3,)]),
    ("cov", lambda lib, x: lib.cov(x), [(3, 6)]),
    ("cov_vector", lambda lib, x: lib.cov(x), [(6,)]),
    ("cov_correction0", lambda lib, x: x.cov(correction=0), [(2, 5)]),
    ("corrcoef_offdiag", lambda lib, x: (lib.corrcoef(x) * (1 - lib.eye(4, dtype=x.dtype))),
     [(4, 7)]),
]


@pytest.mark.parametrize("name,fn,shapes", BUILDERS, ids=[c[0] for c in BUILDERS])
def test_builders(name, fn, shapes):
    compare(fn, shapes)


@pytest.mark.parametrize("args", [(), (6,), (3, True), (1,), (0,)])
def test_vander(args):
    # torch.vander's backward fails (an in-place cumprod), so: values against torch, gradients
    # by finite differences, also at x = 0 where x**0 and x**1 have no 1/x
    compare(lambda lib, x: lib.vander(x, *args), [(4,)], grad=False)
    x = deepgrad.tensor([0.0, 1.5, -2.0, 0.5], dtype=deepgrad.float64, requires_grad=True)
    if not args or args[0] > 1:  # N = 0, 1: constant columns, no gradient (as in torch)
        assert gradcheck(lambda t: deepgrad.vander(t, *args), [x])


def test_cov_weights():
    fw = np.array([1, 2, 0, 3, 1])
    aw = np.array([0.5, 1.0, 2.0, 0.3, 1.2])
    compare(lambda lib, x, a: lib.cov(x, fweights=lib.tensor([1, 2, 0, 3, 1]), aweights=a),
            [(3, 5), aw])
    compare(lambda lib, x: lib.cov(x, correction=0, fweights=lib.tensor(fw)), [(3, 5)])
    compare(lambda lib, x, a: lib.cov(x, correction=2, aweights=a), [(2, 5), aw])


def test_corrcoef_values():
    compare(lambda lib, x: lib.corrcoef(x), [(3, 8)], grad=False)
    compare(lambda lib, x: x.corrcoef(), [(6,)], grad=False)


def test_block_diag_ints_and_promotion():
    a, b = np.arange(4).reshape(2, 2), np.arange(3.0)
    compare(lambda lib, x, y: lib.block_diag(x, y), [a, b], grad=False)
    compare(lambda lib, x: lib.block_diag(x, x), [a], grad=False)


@pytest.mark.parametrize("args", [(3, 3), (4, 3, 1), (3, 5, -1), (4, 2, -5), (0, 3), (3, 4, 2)])
def test_triangle_indices(args):
    for name in ("tril_indices", "triu_indices"):
        ours = getattr(deepgrad, name)(*args)
        theirs = getattr(torch, name)(*args)
        assert ours.dtype == deepgrad.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert deepgrad.tril_indices(3, 3, dtype=deepgrad.int32).dtype == deepgrad.int32


def test_vander_ints():
    compare(lambda lib, x: lib.vander(x, 4), [np.array([1, 2, 3])], grad=False)


# ----- errors -------------------------------------------------------------------------------

ERRORS = [
    (lambda lib, i, a, b: lib.addmm(i, a, b), [(2, 2), (2, 3), (4, 2)], r"addmm.*\(2x3 and 4x2\)"),
    (lambda lib, i, a, b: lib.addmm(i, a, b), [(3, 3), (2, 3), (3, 2)], r"addmm.*\(3, 3\)"),
    (lambda lib, i, a, b: lib.addmm(i, a, b), [(2, 2), (3,), (3, 2)], "addmm: mat1 must be"),
    (lambda lib, i, a, b: lib.baddbmm(i, a, b), [(2, 2), (2, 2, 3), (3, 3, 2)], "baddbmm"),
    (lambda lib, i, a, b: lib.addbmm(i, a, b), [(2, 2), (2, 3), (2, 3, 2)], "addbmm"),
    (lambda lib, i, a, b: lib.addmv(i, a, b), [(2,), (2, 3), (4,)], r"addmv.*\(2x3\).*\(4\)"),
    (lambda lib, i, a, b: lib.addr(i, a, b), [(2, 3), (2, 1), (3,)], "addr"),
    (lambda lib, a, b: lib.mv(a, b), [(2, 3), (4,)], r"mv: size mismatch"),
    (lambda lib, a, b: lib.inner(a, b), [(2, 3), (4,)], r"inner\(\).*\[2, 3\] and \[4\]"),
    (lambda lib, a, b: lib.tensordot(a, b, dims=1), [(2, 3), (4, 2)], "tensordot: contracted"),
    (lambda lib, a, b: lib.tensordot(a, b, dims=([0], [0, 1])), [(2, 3), (2, 3)],
     "same length"),
    (lambda lib, a, b: lib.chain_matmul(a, b), [(2, 3), (4, 2)], r"multi_dot.*\[2, 3\]"),
    (lambda lib, a: lib.linalg.multi_dot([a]), [(2, 3)], "at least 2 tensors"),
    (lambda lib, a: lib.diag(a), [(2, 2, 2)], r"diag\(\): Supports 1D or 2D"),
    (lambda lib, a: lib.diagonal(a, 0, 1, 1), [(3, 3)], "diagonal dimensions cannot be"),
    (lambda lib, a: lib.trace(a), [(3,)], "trace: expected a matrix"),
    (lambda lib, a, b: lib.cross(a, b, dim=1), [(3, 2), (3, 2)], "cross: inputs dimension 1"),
    (lambda lib, a, b: lib.linalg.cross(a, b), [(2, 3), (3, 3)], "linalg.cross"),
    (lambda lib, a, b: lib.cdist(a, b), [(3, 2), (3, 4)], "X1: 2 X2: 4"),
    (lambda lib, a, b: lib.cdist(a, b), [(3,), (3, 4)], "at least 2D"),
    (lambda lib, a, b: lib.cdist(a, b, p=-1), [(3, 2), (3, 2)], "non-negative"),
    (lambda lib, a: lib.block_diag(a), [(2, 2, 2)], "Input 0 has 3 dimensions"),
    (lambda lib, a: lib.vander(a), [(2, 2)], "one-dimensional"),
    (lambda lib, a: lib.cov(a), [(2, 2, 2)], "two or fewer dimensions"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors(case):
    fn, shapes, match = ERRORS[case]
    compare_raises(fn, shapes, RuntimeError, match)


def test_dim_out_of_range():
    compare_raises(lambda lib, a: lib.diagonal(a, 0, 0, 3), [(3, 3)], IndexError,
                   "diagonal: Dimension out of range")


def test_dtype_mismatch_errors():
    a64 = deepgrad.randn(2, 3, dtype=deepgrad.float64)
    b32 = deepgrad.randn(3, 2)
    with pytest.raises(RuntimeError, match="addmm.*same dtype"):
        deepgrad.addmm(deepgrad.zeros(2, 2, dtype=deepgrad.float64), a64, b32)
    with pytest.raises(RuntimeError, match="einsum.*same dtype"):
        deepgrad.einsum("ij,jk", a64, b32)


# ----- finite differences (the second witness) ---------------------------------------------

def _leaf(*shape, seed=0):
    return deepgrad.tensor(rand(*shape, seed=seed), requires_grad=True)


@pytest.mark.parametrize("fn,shapes", [
    (lambda i, a, b: deepgrad.addmm(i, a, b, beta=0.5, alpha=2), [(3,), (2, 2), (2, 3)]),
    (lambda x: deepgrad.diag_embed(x, 1, 0, 2), [(2, 3)]),
    (lambda x: deepgrad.diagonal(x, -1, 2, 0).exp(), [(3, 2, 3)]),
    (lambda a, b: deepgrad.cross(a, b, dim=0), [(3, 2), (3, 1)]),
    (lambda a, b: deepgrad.cdist(a, b), [(3, 2), (4, 2)]),
    (lambda a, b: deepgrad.cdist(a, b, p=1.5), [(3, 2), (2, 2)]),
    (lambda a, b: deepgrad.einsum("...ii,...i->...", a, b), [(2, 3, 3), (3,)]),
    (lambda a, b: deepgrad.tensordot(a, b, ([0, 2], [1, 0])), [(2, 3, 4), (4, 2)]),
    (lambda a, b: deepgrad.kron(a, b), [(2, 2), (2,)]),
    (lambda x: deepgrad.cov(x), [(2, 4)]),
])
def test_gradcheck(fn, shapes):
    inputs = [_leaf(*s, seed=k) for k, s in enumerate(shapes)]
    assert gradcheck(fn, inputs)


def test_ger():
    compare(lambda lib, a, b: lib.ger(a, b), [(3,), (4,)])
    compare(lambda lib, a, b: a.ger(b), [(2,), (3,)])


@pytest.mark.parametrize("name,shapes,kwargs", [
    ("addmm_", [(2, 4), (2, 3), (3, 4)], {"beta": 0.5, "alpha": 2}),
    ("addmv_", [(2,), (2, 3), (3,)], {"alpha": -1}),
    ("addr_", [(2, 3), (2,), (3,)], {}),
    ("addbmm_", [(2, 4), (5, 2, 3), (5, 3, 4)], {"beta": 0}),
    ("baddbmm_", [(5, 2, 4), (5, 2, 3), (5, 3, 4)], {"beta": 2, "alpha": 0.5}),
])
def test_in_place(name, shapes, kwargs):
    arrays = [rand(*s, seed=k) for k, s in enumerate(shapes)]
    ours = deepgrad.tensor(arrays[0])
    theirs = torch.tensor(arrays[0])
    out = getattr(ours, name)(*[deepgrad.tensor(a) for a in arrays[1:]], **kwargs)
    getattr(theirs, name)(*[torch.tensor(a) for a in arrays[1:]], **kwargs)
    assert out is ours
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-12)
    leaf = deepgrad.tensor(arrays[0], requires_grad=True)
    with pytest.raises(RuntimeError, match=name):
        getattr(leaf, name)(*[deepgrad.tensor(a) for a in arrays[1:]], **kwargs)


def test_outer_promotes_and_checks_dims():
    compare(lambda lib, a, b: lib.outer(a, b.float()), [(3,), (2,)], atol=1e-6, rtol=1e-6)
    compare(lambda lib, a, b: lib.ger(a, b), [np.arange(3), (2,)])
    compare_raises(lambda lib, a, b: lib.outer(a, b), [(2, 2), (2,)], RuntimeError,
                   "outer: Expected 1-D argument self, but got 2-D")
    compare_raises(lambda lib, a, b: lib.ger(a, b), [(2,), ()], RuntimeError,
                   "outer: Expected 1-D argument vec2, but got 0-D")


def test_public_names_are_torch_names():
    from deepgrad.ops import matrix

    for name in matrix.__all__:
        assert hasattr(torch, name), name
        assert getattr(deepgrad, name) is getattr(matrix, name), name
    for name in matrix.TENSOR_METHODS:
        assert hasattr(torch.Tensor, name), name
        assert hasattr(deepgrad.Tensor, name), name
