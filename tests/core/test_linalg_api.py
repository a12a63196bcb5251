"""deepgrad.linalg (and the torch-level aliases inverse/det/logdet/cholesky/pinverse/...)
against torch.linalg in float64: values, dtypes and gradients, batched inputs, errors.

Eigenvectors and singular vectors are defined up to sign, so those are compared through
sign-invariant quantities (|V|, V f(Λ) Vᵀ, U diag(S) Vh); everything else directly.
"""

import numpy as np
import pytest
import torch
from helpers import compare, compare_raises

import deepgrad
from deepgrad.autograd import gradcheck


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def well_conditioned(*shape, seed=0):
    """Random square matrices plus 3·I: comfortably invertible."""
    return rand(*shape, seed=seed) + 3 * np.eye(shape[-1])


def spd(*shape, seed=0):
    """Symmetric positive-definite matrices X Xᵀ + I."""
    x = rand(*shape, seed=seed)
    return x @ np.swapaxes(x, -1, -2) + np.eye(shape[-1])


def sym(lib, x):
    return x + x.mT


# ----- inverses, determinants, solves ------------------------------------------------------

INVERSES = [
    ("inv", lambda lib, a: lib.linalg.inv(a), [well_conditioned(3, 3)]),
    ("inv_batched", lambda lib, a: lib.linalg.inv(a), [well_conditioned(2, 4, 3, 3)]),
    ("inverse", lambda lib, a: lib.inverse(a), [well_conditioned(4, 4)]),
    ("inverse_method", lambda lib, a: a.inverse(), [well_conditioned(2, 2, 2)]),
    ("det", lambda lib, a: lib.linalg.det(a), [rand(3, 3)]),
    ("det_batched", lambda lib, a: lib.det(a), [rand(2, 3, 4, 4)]),
    ("det_method", lambda lib, a: a.det(), [rand(2, 2)]),
    ("det_1x1", lambda lib, a: lib.linalg.det(a), [rand(3, 1, 1)]),
    ("slogdet", lambda lib, a: lib.linalg.slogdet(a), [rand(2, 3, 3)]),
    ("slogdet_top", lambda lib, a: tuple(lib.slogdet(a)), [rand(4, 4, seed=3)]),
    ("logdet", lambda lib, a: lib.logdet(a), [spd(2, 3, 3)]),
    ("logdet_method", lambda lib, a: a.logdet(), [spd(3, 3)]),
    ("solve", lambda lib, a, b: lib.linalg.solve(a, b), [well_conditioned(3, 3), (3, 2)]),
    ("solve_vector", lambda lib, a, b: lib.linalg.solve(a, b), [well_conditioned(3, 3), (3,)]),
    ("solve_batched_vectors", lambda lib, a, b: lib.linalg.solve(a, b),
     [well_conditioned(2, 3, 3), (2, 3)]),
    ("solve_broadcast_B", lambda lib, a, b: lib.linalg.solve(a, b),
     [well_conditioned(2, 3, 3), (3, 4)]),
    ("solve_broadcast_A", lambda lib, a, b: lib.linalg.solve(a, b),
     [well_conditioned(3, 3), (2, 3, 4)]),
    ("solve_right", lambda lib, a, b: lib.linalg.solve(a, b, left=False),
     [well_conditioned(3, 3), (4, 3)]),
    ("solve_triangular_upper", lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=True),
     [well_conditioned(3, 3), (3, 2)]),
    ("solve_triangular_lower_unit", lambda lib, a, b: lib.linalg.solve_triangular(
        a, b, upper=False, unitriangular=True), [rand(2, 3, 3), (2, 3, 2)]),
    ("solve_triangular_right", lambda lib, a, b: lib.linalg.solve_triangular(
        a, b, upper=False, left=False), [well_conditioned(3, 3), (4, 3)]),
    ("lstsq_tall", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, [(5, 3), (5, 2)]),
    ("lstsq_wide", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, [(2, 4), (2, 3)]),
    ("lstsq_vector", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, [(5, 3), (5,)]),
    ("lstsq_batched", lambda lib, a, b: lib.linalg.lstsq(a, b).solution,
     [(2, 5, 3), (2, 5, 2)]),
    ("lstsq_gelsd", lambda lib, a, b: tuple(lib.linalg.lstsq(a, b, driver="gelsd")),
     [(5, 3), (5, 2)]),
    ("pinv_tall", lambda lib, a: lib.linalg.pinv(a), [(5, 3)]),
    ("pinv_wide", lambda lib, a: lib.linalg.pinv(a), [(2, 4)]),
    ("pinv_batched", lambda lib, a: lib.linalg.pinv(a), [(2, 3, 3)]),
    ("pinv_hermitian", lambda lib, a: lib.linalg.pinv(sym(lib, a), hermitian=True), [(3, 3)]),
    ("pinverse", lambda lib, a: lib.pinverse(a), [(4, 3)]),
    ("pinverse_method", lambda lib, a: a.pinverse(), [(3, 4)]),
    ("cholesky_solve", lambda lib, b, x: lib.cholesky_solve(b, lib.linalg.cholesky(
        x @ x.mT + lib.eye(3, dtype=x.dtype))), [(3, 2), (3, 3)]),
    ("cholesky_solve_upper", lambda lib, b, x: lib.cholesky_solve(b, lib.linalg.cholesky(
        x @ x.mT + lib.eye(3, dtype=x.dtype), upper=True), upper=True), [(3, 2), (3, 3)]),
    ("cholesky_inverse", lambda lib, x: lib.cholesky_inverse(lib.linalg.cholesky(
        x @ x.mT + lib.eye(3, dtype=x.dtype))), [(3, 3)]),
]


@pytest.mark.parametrize("name,fn,specs", INVERSES, ids=[c[0] for c in INVERSES])
def test_inverses(name, fn, specs):
    compare(fn, specs)


def test_logdet_negative_and_singular():
    a = np.diag([1.0, -2.0, 3.0])
    compare(lambda lib, x: lib.logdet(x), [a], grad=False)
    compare(lambda lib, x: lib.logdet(x), [np.diag([1.0, 0.0, 3.0])], grad=False)
    compare(lambda lib, x: lib.linalg.slogdet(x), [np.diag([1.0, 0.0, 3.0])], grad=False)


def test_det_gradient_of_singular_matrix():
    """Rank n − 1: the cofactor matrix is nonzero and finite (PyTorch gets it too)."""
    a = rand(3, 3)
    a[2] = a[0] + 2 * a[1]
    compare(lambda lib, x: lib.linalg.det(x), [a], atol=1e-8)


def test_lstsq_fields():
    a, b = rand(2, 5, 3), rand(2, 5, 2, seed=1)
    for driver in (None, "gelsy", "gelsd", "gelss"):
        ours = deepgrad.linalg.lstsq(deepgrad.tensor(a), deepgrad.tensor(b), driver=driver)
        theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
        for field in ("solution", "residuals", "rank", "singular_values"):
            o, t = getattr(ours, field), getattr(theirs, field)
            assert tuple(o.shape) == tuple(t.shape), (driver, field)
            assert str(o.numpy().dtype) == str(t.numpy().dtype), (driver, field)
            np.testing.assert_allclose(o.numpy(), t.numpy(), atol=1e-10, err_msg=field)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -3])
def test_matrix_power(n):
    compare(lambda lib, a: lib.linalg.matrix_power(a, n), [well_conditioned(2, 3, 3) / 3])
    compare(lambda lib, a: a.matrix_power(n), [well_conditioned(3, 3) / 3])


def test_matrix_power_ints():
    a = np.arange(4).reshape(2, 2)
    compare(lambda lib, x: lib.matrix_power(x, 3), [a], grad=False)


@pytest.mark.parametrize("scale", [0.1, 1.0, 4.0])
def test_matrix_exp(scale):
    compare(lambda lib, a: lib.linalg.matrix_exp(a), [scale * rand(2, 3, 3)], atol=1e-8,
            rtol=1e-8)
    compare(lambda lib, a: lib.matrix_exp(a), [scale * rand(4, 4)], atol=1e-8, rtol=1e-8)


def test_matrix_rank():
    low = rand(2, 5, 2) @ rand(2, 2, 4, seed=1)  # rank 2
    for kwargs in ({}, {"atol": 1.0}, {"rtol": 0.5}, {"atol": 0.1, "rtol": 0.01}):
        ours = deepgrad.linalg.matrix_rank(deepgrad.tensor(low), **kwargs)
        theirs = torch.linalg.matrix_rank(torch.tensor(low), **kwargs)
        assert ours.dtype == deepgrad.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    s = spd(4, 4)
    assert deepgrad.linalg.matrix_rank(deepgrad.tensor(s), hermitian=True).item() == 4


def test_inv_ex_and_cholesky_ex():
    batch = np.stack([well_conditioned(3, 3), np.zeros((3, 3))])
    ours = deepgrad.linalg.inv_ex(deepgrad.tensor(batch))
    theirs = torch.linalg.inv_ex(torch.tensor(batch))
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
    good = deepgrad.linalg.inv_ex(deepgrad.tensor(batch[0]))
    np.testing.assert_allclose(good.inverse.numpy(), np.linalg.inv(batch[0]))
    assert good.info.item() == 0
    bad = np.stack([spd(3, 3), np.diag([1.0, -1.0, 2.0])])
    ours = deepgrad.linalg.cholesky_ex(deepgrad.tensor(bad))
    theirs = torch.linalg.cholesky_ex(torch.tensor(bad))
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())


# ----- decompositions ----------------------------------------------------------------------

def _eigh_invariants(lib, a):
    vals, vecs = lib.linalg.eigh(a)
    # |V| and V exp(Λ) Vᵀ do not depend on the eigenvectors' signs
    return vals, vecs.abs(), (vecs * vals.exp().unsqueeze(-2)) @ vecs.mT


def _svd_invariants(lib, a, full):
    u, s, vh = lib.linalg.svd(a, full_matrices=full)
    k = s.shape[-1]
    u, vh = u[..., :k], vh[..., :k, :]
    return s, u.abs(), vh.abs(), (u * s.unsqueeze(-2)) @ vh, u @ vh


DECOMPOSITIONS = [
    ("cholesky", lambda lib, a: lib.linalg.cholesky(a), [spd(3, 3)]),
    ("cholesky_batched", lambda lib, a: lib.linalg.cholesky(a), [spd(2, 4, 4)]),
    ("cholesky_upper", lambda lib, a: lib.linalg.cholesky(a, upper=True), [spd(3, 3)]),
    ("cholesky_top", lambda lib, a: lib.cholesky(a), [spd(3, 3)]),
    ("cholesky_method_upper", lambda lib, a: a.cholesky(upper=True), [spd(2, 3, 3)]),
    ("cholesky_composed", lambda lib, x: lib.linalg.cholesky(x @ x.mT + lib.eye(3, dtype=x.dtype)),
     [(3, 3)]),
    ("qr_tall", lambda lib, a: tuple(lib.linalg.qr(a)), [(5, 3)]),
    ("qr_square_batched", lambda lib, a: tuple(lib.linalg.qr(a)), [(2, 3, 3)]),
    ("qr_wide", lambda lib, a: tuple(lib.linalg.qr(a)), [(3, 5)]),
    ("qr_complete_wide", lambda lib, a: tuple(lib.linalg.qr(a, mode="complete")), [(2, 4)]),
    ("qr_complete_square", lambda lib, a: tuple(lib.linalg.qr(a, mode="complete")), [(3, 3)]),
    ("qr_Q_only", lambda lib, a: lib.linalg.qr(a).Q, [(4, 3)]),
    ("qr_R_only", lambda lib, a: lib.linalg.qr(a).R, [(4, 3)]),
    ("qr_legacy", lambda lib, a: tuple(lib.qr(a)), [(4, 3)]),
    ("qr_method", lambda lib, a: tuple(a.qr()), [(3, 4)]),
    ("eigh", lambda lib, a: _eigh_invariants(lib, a), [rand(4, 4) + rand(4, 4).T]),
    ("eigh_composed", lambda lib, x: _eigh_invariants(lib, sym(lib, x)), [(2, 3, 3)]),
    ("eigh_values_only", lambda lib, x: lib.linalg.eigh(sym(lib, x)).eigenvalues, [(3, 3)]),
    ("eigh_upper", lambda lib, x: _eigh_invariants(lib, sym(lib, x))[0], [(3, 3)]),
    ("eigvalsh", lambda lib, x: lib.linalg.eigvalsh(sym(lib, x)), [(2, 4, 4)]),
    ("eigvalsh_U", lambda lib, x: lib.linalg.eigvalsh(x, UPLO="U"), [(3, 3)]),
    ("svd_square", lambda lib, a: _svd_invariants(lib, a, False), [(3, 3)]),
    ("svd_tall", lambda lib, a: _svd_invariants(lib, a, False), [(5, 3)]),
    ("svd_wide_batched", lambda lib, a: _svd_invariants(lib, a, False), [(2, 3, 5)]),
    ("svd_full_tall", lambda lib, a: _svd_invariants(lib, a, True), [(5, 3)]),
    ("svd_full_wide", lambda lib, a: _svd_invariants(lib, a, True), [(2, 4)]),
    ("svd_values_only", lambda lib, a: lib.linalg.svd(a).S, [(4, 3)]),
    ("svdvals", lambda lib, a: lib.linalg.svdvals(a), [(2, 3, 5)]),
    ("svd_legacy", lambda lib, a: (lambda r: (r.U.abs(), r.S, r.V.abs()))(lib.svd(a)), [(4, 3)]),
    ("svd_legacy_method", lambda lib, a: (lambda r: (r[0] * r[1]) @ r[2].mT)(a.svd()), [(3, 4)]),
]


@pytest.mark.parametrize("name,fn,specs", DECOMPOSITIONS, ids=[c[0] for c in DECOMPOSITIONS])
def test_decompositions(name, fn, specs):
    compare(fn, specs, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_reads_one_triangle(uplo):
    a = rand(3, 3)  # not symmetric: only the chosen triangle is read
    compare(lambda lib, x: lib.linalg.eigh(x, UPLO=uplo).eigenvalues, [a], grad=False)


def test_qr_mode_r():
    a = rand(4, 3)
    ours = deepgrad.linalg.qr(deepgrad.tensor(a), mode="r")
    theirs = torch.linalg.qr(torch.tensor(a), mode="r")
    assert tuple(ours.Q.shape) == tuple(theirs.Q.shape) == (0,)
    np.testing.assert_allclose(np.abs(ours.R.numpy()), np.abs(theirs.R.numpy()), atol=1e-12)


def test_eigh_gradient_with_repeated_eigenvalues_through_values_only():
    """Only the eigenvalues used: the gradient is V diag(dλ) Vᵀ, finite even for λ1 = λ2."""
    a = deepgrad.tensor(np.eye(3), requires_grad=True)
    deepgrad.linalg.eigvalsh(a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.eye(3), atol=1e-12)
    b = deepgrad.tensor(np.eye(3), requires_grad=True)
    deepgrad.linalg.svd(b).S.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.eye(3), atol=1e-12)


# ----- norms --------------------------------------------------------------------------------

def away_from_zero(*shape, seed=4):
    x = np.random.default_rng(seed).uniform(0.3, 2.0, size=shape)
    return x * np.where(np.random.default_rng(seed + 1).random(shape) < 0.5, -1.0, 1.0)


VECTOR_NORMS = [(2, None, False), (1, None, False), (3, -1, True), (0.5, (0, 2), False),
                (float("inf"), 1, False), (-float("inf"), (1, 2), True), (-1, -1, False),
                (0, 1, False), (2, (), False), (1.5, [0, 1, 2], True)]


@pytest.mark.parametrize("ord,dim,keepdim", VECTOR_NORMS, ids=str)
def test_vector_norm(ord, dim, keepdim):
    compare(lambda lib, x: lib.linalg.vector_norm(x, ord, dim, keepdim),
            [away_from_zero(2, 3, 4)], grad=ord != 0)


def test_vector_norm_dtype_and_zero_gradient():
    compare(lambda lib, x: lib.linalg.vector_norm(x, dtype=lib.float64), [np.zeros((2, 3),
                                                                                   np.float32)])
    compare(lambda lib, x: lib.linalg.vector_norm(x, dim=1), [np.zeros((2, 3))])


MATRIX_NORMS = ["fro", "nuc", 2, -2, 1, -1, float("inf"), -float("inf")]


@pytest.mark.parametrize("ord", MATRIX_NORMS, ids=str)
@pytest.mark.parametrize("dim,keepdim", [((-2, -1), False), ((0, 2), True), ((2, 0), False)],
                         ids=str)
def test_matrix_norm(ord, dim, keepdim):
    compare(lambda lib, x: lib.linalg.matrix_norm(x, ord, dim, keepdim), [away_from_zero(3, 2, 4)])


NORMS = [
    ("flat", lambda lib, x: lib.linalg.norm(x), [(2, 3, 4)]),
    ("vector", lambda lib, x: lib.linalg.norm(x, 3), [(5,)]),
    ("matrix_default", lambda lib, x: lib.linalg.norm(x, "nuc"), [(3, 4)]),
    ("matrix_inf", lambda lib, x: lib.linalg.norm(x, float("inf")), [(3, 4)]),
    ("dim_int", lambda lib, x: lib.linalg.norm(x, dim=1, keepdim=True), [(2, 3, 4)]),
    ("dim_pair", lambda lib, x: lib.linalg.norm(x, 2, dim=(0, 1)), [(2, 3, 4)]),
    ("dim_pair_default", lambda lib, x: lib.linalg.norm(x, dim=(2, 1)), [(2, 3, 4)]),
    ("cond", lambda lib, x: lib.linalg.cond(x), [well_conditioned(2, 3, 3)]),
    ("vecdot", lambda lib, x, y: lib.linalg.vecdot(x, y), [(2, 3, 4), (3, 4)]),
    ("vecdot_dim", lambda lib, x, y: lib.linalg.vecdot(x, y, dim=0), [(3, 4), (3, 1)]),
    ("linalg_matmul", lambda lib, x, y: lib.linalg.matmul(x, y), [(2, 3, 4), (4, 2)]),
]


@pytest.mark.parametrize("name,fn,specs", NORMS, ids=[c[0] for c in NORMS])
def test_norms(name, fn, specs):
    compare(fn, [away_from_zero(*s) if isinstance(s, tuple) else s for s in specs])


@pytest.mark.parametrize("p", ["fro", "nuc", 1, -1, float("inf")], ids=str)
def test_cond_other_orders(p):
    # torch's backward through cond(A, p) fails (an in-place inv_ex): values only here, and
    # the gradient by finite differences
    compare(lambda lib, x: lib.linalg.cond(x, p), [well_conditioned(2, 3, 3)], grad=False)
    assert gradcheck(lambda x: deepgrad.linalg.cond(x, p), [_leaf(well_conditioned(3, 3))])


# ----- errors -------------------------------------------------------------------------------

def test_singular_inv_raises_like_torch():
    zero = np.zeros((3, 3))
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.inv(torch.tensor(zero))
    with pytest.raises(deepgrad.linalg.LinAlgError, match="linalg.inv: The diagonal element 1 "
                       "is zero, the inversion could not be completed because the input matrix "
                       "is singular"):
        deepgrad.linalg.inv(deepgrad.tensor(zero))
    batch = np.stack([np.eye(3), np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])])
    theirs = pytest.raises(torch.linalg.LinAlgError, torch.linalg.inv, torch.tensor(batch))
    with pytest.raises(RuntimeError) as ours:  # LinAlgError is a RuntimeError, as in torch
        deepgrad.inverse(deepgrad.tensor(batch))
    assert str(ours.value) == str(theirs.value).split("\n")[0]


def test_not_positive_definite_raises_like_torch():
    a = np.stack([spd(3, 3), np.diag([1.0, 2.0, -1.0])])
    theirs = pytest.raises(torch.linalg.LinAlgError, torch.linalg.cholesky, torch.tensor(a))
    with pytest.raises(deepgrad.linalg.LinAlgError) as ours:
        deepgrad.linalg.cholesky(deepgrad.tensor(a))
    assert str(ours.value) == str(theirs.value).split("\n")[0]
    with pytest.raises(deepgrad.linalg.LinAlgError, match="solver failed"):
        deepgrad.linalg.solve(deepgrad.zeros(2, 2), deepgrad.ones(2))


ERRORS = [
    (lambda lib, a: lib.linalg.inv(a), [(2, 3)], "linalg.inv: A must be batches of square "
     "matrices, but they are 2 by 3 matrices"),
    (lambda lib, a: lib.linalg.inv(a), [(3,)], "linalg.inv: The input tensor A must have at "
     "least 2 dimensions"),
    (lambda lib, a: lib.linalg.det(a), [(2, 3)], "linalg.det: A must be batches of square"),
    (lambda lib, a: lib.linalg.eigh(a), [(2, 3)], "linalg.eigh: A must be batches of square"),
    (lambda lib, a: lib.linalg.cholesky(a), [(4, 2, 3)], "linalg.cholesky: A must be"),
    (lambda lib, a, b: lib.linalg.solve(a, b), [(3, 3), (4, 2)], r"linalg.solve: Incompatible "
     r"shapes of A and B for the equation AX = B \(3x3 and 4x2\)"),
    (lambda lib, a, b: lib.linalg.solve(a, b), [(2, 3, 3), (4, 3, 1)], "linalg.solve"),
    (lambda lib, a: lib.linalg.qr(a, mode="x"), [(3, 2)], "unrecognized mode 'x'"),
    (lambda lib, a: lib.linalg.matrix_norm(a), [(3,)], "linalg.matrix_norm: The input tensor A "
     "must have at least 2 dimensions"),
    (lambda lib, a: lib.linalg.matrix_norm(a, 3), [(3, 3)], "linalg.matrix_norm"),
    (lambda lib, a: lib.linalg.norm(a, ord=2), [(2, 2, 2)], "linalg.norm: If dim is not "
     "specified but ord is, the input must be 1D or 2D. Got 3D"),
    (lambda lib, a: lib.linalg.matrix_power(a, 2), [(2, 3)], "linalg.matrix_power"),
    (lambda lib, a, b: lib.linalg.lstsq(a, b), [(4, 3), (3, 2)], "lstsq"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors(case):
    fn, specs, match = ERRORS[case]
    compare_raises(fn, specs, RuntimeError, match)


@pytest.mark.parametrize("fn,name", [
    (lambda lib, a: lib.linalg.inv(a), "linalg.inv: Expected a floating point or complex tensor "
     "as input. Got Long"),
    (lambda lib, a: lib.linalg.vector_norm(a), "linalg.vector_norm: Expected a floating point"),
    (lambda lib, a: lib.linalg.det(a), "linalg.det: Expected a floating point"),
])
def test_integer_inputs_rejected(fn, name):
    compare_raises(fn, [np.arange(9).reshape(3, 3)], RuntimeError, name)


def test_public_names_match_torch_linalg():
    for name in deepgrad.linalg.__all__:
        assert hasattr(torch.linalg, name), name
    for name in ("inverse", "det", "logdet", "slogdet", "cholesky", "pinverse", "matrix_power",
                 "cholesky_solve", "cholesky_inverse", "matrix_exp", "qr", "svd", "lu", "lu_solve",
                 "triangular_solve", "ger"):
        assert hasattr(deepgrad, name) and hasattr(deepgrad.Tensor, name), name


# ----- finite differences (the second witness) ---------------------------------------------

def _leaf(array):
    return deepgrad.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def _sym_t(x):
    return x + x.mT


@pytest.mark.parametrize("fn,arrays", [
    (lambda a: deepgrad.linalg.inv(a), [well_conditioned(2, 2, 2)]),
    (lambda a: deepgrad.linalg.det(a), [rand(3, 3)]),
    (lambda a: deepgrad.linalg.slogdet(a).logabsdet, [rand(3, 3)]),
    (lambda a, b: deepgrad.linalg.solve(a, b), [well_conditioned(3, 3), rand(3, 2, seed=1)]),
    (lambda x: deepgrad.linalg.cholesky(x @ x.mT + deepgrad.eye(3, dtype=x.dtype)),
     [rand(3, 3)]),
    (lambda x: deepgrad.linalg.qr(x).Q.sum(-1) + deepgrad.linalg.qr(x).R.sum(), [rand(4, 3)]),
    (lambda x: deepgrad.linalg.qr(x).R, [rand(2, 4)]),
    (lambda x: deepgrad.linalg.eigh(_sym_t(x)).eigenvectors.abs(), [rand(3, 3)]),
    (lambda x: deepgrad.linalg.svd(x, full_matrices=False).U.abs(), [rand(4, 3)]),
    (lambda x: deepgrad.linalg.svd(x, full_matrices=False).Vh.abs(), [rand(2, 3)]),
    (lambda x: deepgrad.linalg.pinv(x), [rand(4, 2)]),
    (lambda x: deepgrad.linalg.matrix_norm(x, "nuc"), [rand(3, 2)]),
    (lambda x: deepgrad.linalg.matrix_exp(x), [rand(2, 2)]),
    (lambda x: deepgrad.linalg.lu_factor(x).LU, [rand(3, 3)]),
    (lambda x: deepgrad.linalg.lu(x).L, [rand(4, 2)]),
    (lambda x: deepgrad.linalg.lu(x).U, [rand(2, 4)]),
])
def test_gradcheck(fn, arrays):
    assert gradcheck(fn, [_leaf(a) for a in arrays])


# ----- LU -----------------------------------------------------------------------------------

LU_CASES = [
    ("lu_factor", lambda lib, a: tuple(lib.linalg.lu_factor(a)), [(3, 3)]),
    ("lu_factor_batched", lambda lib, a: lib.linalg.lu_factor(a).LU, [(2, 4, 4)]),
    ("lu_factor_wide", lambda lib, a: lib.linalg.lu_factor(a).LU, [(3, 5)]),
    ("lu_factor_tall", lambda lib, a: lib.linalg.lu_factor(a).LU, [(5, 3)]),
    ("lu", lambda lib, a: tuple(lib.linalg.lu(a)), [(2, 4, 4)]),
    ("lu_wide", lambda lib, a: tuple(lib.linalg.lu(a)), [(3, 5)]),
    ("lu_tall", lambda lib, a: tuple(lib.linalg.lu(a)), [(5, 3)]),
    ("lu_L_only", lambda lib, a: lib.linalg.lu(a).L, [(5, 3)]),
    ("lu_U_only", lambda lib, a: lib.linalg.lu(a).U, [(3, 5)]),
    ("lu_unpack", lambda lib, a: tuple(lib.lu_unpack(*lib.linalg.lu_factor(a))), [(4, 4)]),
    ("lu_unpack_wide", lambda lib, a: tuple(lib.lu_unpack(*lib.linalg.lu_factor(a))), [(2, 4)]),
    ("lu_solve", lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b),
     [well_conditioned(3, 3), (3, 2)]),
    ("lu_solve_adjoint", lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b,
                                                               adjoint=True),
     [well_conditioned(2, 3, 3), (2, 3, 2)]),
    ("lu_solve_right", lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b,
                                                             left=False),
     [well_conditioned(3, 3), (4, 3)]),
    ("lu_solve_right_adjoint", lambda lib, a, b: lib.linalg.lu_solve(
        *lib.linalg.lu_factor(a), b, left=False, adjoint=True), [well_conditioned(3, 3), (2, 3)]),
    ("lu_legacy", lambda lib, a, b: lib.lu_solve(b, *lib.lu(a)), [well_conditioned(3, 3), (3, 1)]),
    ("lu_method", lambda lib, a: a.lu()[0], [(3, 3)]),
]


@pytest.mark.parametrize("name,fn,specs", LU_CASES, ids=[c[0] for c in LU_CASES])
def test_lu(name, fn, specs):
    compare(fn, specs)


def test_lu_pivots_and_infos():
    a = rand(2, 4, 4)
    a[1, :, 0] = 0  # a zero column: the first pivot is zero
    ours = deepgrad.lu(deepgrad.tensor(a), get_infos=True)
    theirs = torch.lu(torch.tensor(a), get_infos=True)
    for o, t in zip(ours, theirs):
        assert str(o.numpy().dtype) == str(t.numpy().dtype)
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())
    np.testing.assert_array_equal(ours[2].numpy(), theirs[2].numpy())


# ----- more of torch.linalg ----------------------------------------------------------------

MORE = [
    ("solve_ex", lambda lib, a, b: tuple(lib.linalg.solve_ex(a, b)), [well_conditioned(3, 3),
                                                                      (3, 2)]),
    ("tensorinv", lambda lib, a: lib.linalg.tensorinv(a, ind=2),
     [well_conditioned(6, 6).reshape(2, 3, 6)]),
    ("tensorinv_1", lambda lib, a: lib.linalg.tensorinv(a, ind=1),
     [well_conditioned(4, 4).reshape(4, 2, 2)]),
    ("tensorsolve", lambda lib, a, b: lib.linalg.tensorsolve(a, b),
     [well_conditioned(6, 6).reshape(2, 3, 6), (2, 3)]),
    ("tensorsolve_dims", lambda lib, a, b: lib.linalg.tensorsolve(a, b, dims=(0,)),
     [well_conditioned(6, 6).reshape(6, 2, 3), (2, 3)]),
    ("triangular_solve", lambda lib, b, a: tuple(lib.triangular_solve(b, a)),
     [(3, 2), well_conditioned(3, 3)]),
    ("triangular_solve_lower_t", lambda lib, b, a: lib.triangular_solve(
        b, a, upper=False, transpose=True).solution, [(2, 3, 2), well_conditioned(2, 3, 3)]),
    ("triangular_solve_method", lambda lib, b, a: b.triangular_solve(
        a, unitriangular=True)[0], [(3, 2), (3, 3)]),
    ("nuclear_norm", lambda lib, a: lib.nuclear_norm(a), [(3, 4)]),
    ("nuclear_norm_dim", lambda lib, a: lib.nuclear_norm(a, dim=(0, 2), keepdim=True),
     [(3, 2, 4)]),
    ("frobenius_norm", lambda lib, a: lib.frobenius_norm(a, dim=(0, 1)), [(3, 2, 4)]),
]


@pytest.mark.parametrize("name,fn,specs", MORE, ids=[c[0] for c in MORE])
def test_more_linalg(name, fn, specs):
    compare(fn, specs)


def test_solve_ex_singular_info():
    a = np.stack([np.eye(2), np.zeros((2, 2))])
    ours = deepgrad.linalg.solve_ex(deepgrad.tensor(a), deepgrad.ones(2, 2, dtype=deepgrad.float64))
    theirs = torch.linalg.solve_ex(torch.tensor(a), torch.ones(2, 2, dtype=torch.float64))
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
    assert ours.result.shape == tuple(theirs.result.shape)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_reads_one_triangle(upper):
    a = spd(3, 3) + np.triu(rand(3, 3, seed=5), 1)  # the upper triangle disagrees
    compare(lambda lib, x: lib.linalg.cholesky(x, upper=upper), [a], grad=False)


def test_rank_deficient_pinv_and_lstsq():
    a = rand(4, 2) @ rand(2, 3, seed=1)  # rank 2
    compare(lambda lib, x: lib.linalg.pinv(x), [a])
    compare(lambda lib, x, b: lib.linalg.lstsq(x, b, driver="gelsd").solution, [a, (4, 2)])
