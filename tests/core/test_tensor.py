"""Tensor attributes, dtypes and promotion, creation functions, bad-input errors."""

import numpy as np
import pytest
import torch
from helpers import compare_raises

import deepgrad as dg


def test_attributes():
    x = dg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.dtype == dg.float32
    assert x.size() == (2, 3) and x.size(-1) == 3 and x.size(0) == 2 and x.numel() == 6
    assert x.is_leaf and x.grad is None and x.grad_fn is None and x.requires_grad
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert x.sum().item() == 21.0 and isinstance(x.sum().item(), float)
    y = x * 2
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad and np.shares_memory(d.numpy(), y._data)
    with pytest.raises(RuntimeError, match="requires grad"):
        x.numpy()
    z = dg.tensor([1.0]).requires_grad_()
    assert z.requires_grad and z.is_leaf
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(2)
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        x.item()


def test_tensor_copies_and_default_dtypes():
    a = np.arange(3.0)
    t = dg.tensor(a)
    a[0] = 7.0
    assert t[0].item() == 0.0 and t.dtype == dg.float64  # NumPy arrays keep their dtype
    assert dg.tensor([1.5, 2]).dtype == dg.float32
    assert dg.tensor(3).dtype == dg.int64 and dg.tensor([True]).dtype == dg.bool
    assert dg.tensor(2.5).shape == () and dg.tensor([1, 2], dtype=dg.float64).dtype == dg.float64
    assert dg.tensor([[1, 2]], dtype=dg.float32).dtype == dg.float32


@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_integer_requires_grad_refused(dtype):
    with pytest.raises(RuntimeError, match="floating point"):
        dg.tensor([1, 0], dtype=getattr(dg, dtype), requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        dg.zeros(2, dtype=getattr(dg, dtype)).requires_grad_()


PROMOTION = [
    ("float32", "float64"), ("float32", "int64"), ("int64", "bool"), ("bool", "bool"),
    ("int64", "int64"), ("float64", "bool"), ("float32", "float32"),
]


@pytest.mark.parametrize("a,b", PROMOTION)
@pytest.mark.parametrize("op", ["add", "mul", "sub", "div", "maximum", "eq", "where"])
def test_promotion_matches_torch(a, b, op):
    if op == "sub" and "bool" in (a, b):
        pytest.skip("torch refuses bool subtraction")
    results = []
    for lib in (dg, torch):
        x = lib.ones(3, dtype=getattr(lib, a))
        y = lib.ones(3, dtype=getattr(lib, b))
        out = lib.where(x > 0, x, y) if op == "where" else getattr(lib, op)(x, y)
        results.append(str(out.dtype).replace("torch.", ""))
    assert results[0] == results[1]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("scalar", [2, 2.5, True])
@pytest.mark.parametrize("op", ["add", "mul", "div", "pow", "rsub", "rdiv", "gt"])
def test_python_scalars_are_weak(dtype, scalar, op):
    if op in ("rsub",) and (dtype == "bool" or isinstance(scalar, bool)):
        pytest.skip("torch refuses bool subtraction")
    if op == "pow" and dtype == "bool" and isinstance(scalar, bool):
        pytest.skip("bool ** bool not defined the same way")
    results = []
    for lib in (dg, torch):
        x = lib.ones(3, dtype=getattr(lib, dtype))
        out = {"add": lambda t: t + scalar, "mul": lambda t: t * scalar,
               "div": lambda t: t / scalar, "pow": lambda t: t ** scalar,
               "rsub": lambda t: scalar - t, "rdiv": lambda t: scalar / t,
               "gt": lambda t: t > scalar}[op](x)
        results.append(str(out.dtype).replace("torch.", ""))
    assert results[0] == results[1]


def test_float32_stays_float32_through_ops():
    x = dg.randn(4, 5, requires_grad=True)
    w = dg.randn(5, 3, requires_grad=True)
    y = ((x @ w).relu() * 0.5 + 1).sigmoid().log_softmax(1).mean() / 3.0
    assert y.dtype == dg.float32
    y.backward()
    assert x.grad.dtype == dg.float32 and w.grad.dtype == dg.float32
    z = (x.exp() ** 2 - np.float32(1.0) + x.var() + x.std(0).sum() + x.norm() + x.prod())
    assert z.dtype == dg.float32
    for unary in ("sqrt", "rsqrt", "tanh", "sin", "cos", "log1p", "abs", "exp", "sigmoid"):
        assert getattr(dg, unary)(x.abs() + 1).dtype == dg.float32, unary
    assert dg.nn.functional.gelu(x).dtype == dg.float32
    assert dg.nn.functional.softplus(x).dtype == dg.float32
    assert dg.nn.functional.elu(x).dtype == dg.float32


# ----- creation ----------------------------------------------------------------------------

CREATION = [
    lambda lib: lib.zeros(2, 3), lambda lib: lib.zeros((2, 3), dtype=lib.int64),
    lambda lib: lib.ones(4), lambda lib: lib.ones([]),
    lambda lib: lib.full((2, 2), 3.5), lambda lib: lib.full((2,), 3),
    lambda lib: lib.full((2,), True), lambda lib: lib.arange(5),
    lambda lib: lib.arange(1, 4, 0.5), lambda lib: lib.arange(5, 1, -1),
    lambda lib: lib.arange(0.0, 1.0, 0.1), lambda lib: lib.linspace(0, 1, 7),
    lambda lib: lib.linspace(-2, 2, 1), lambda lib: lib.eye(3), lambda lib: lib.eye(2, 4),
    lambda lib: lib.zeros_like(lib.ones(2, 3, dtype=lib.float64)),
    lambda lib: lib.ones_like(lib.arange(3)), lambda lib: lib.empty(2, 3).shape,
    lambda lib: lib.full_like(lib.ones(2), 7.0), lambda lib: lib.eye(3, dtype=lib.int64),
]


@pytest.mark.parametrize("make", CREATION, ids=lambda f: str(CREATION.index(f)))
def test_creation_matches_torch(make):
    d, t = make(dg), make(torch)
    if isinstance(t, torch.Size):
        assert tuple(d) == tuple(t)
        return
    assert str(d.dtype) == str(t.dtype).replace("torch.", "") and d.shape == tuple(t.shape)
    np.testing.assert_allclose(d.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)


def test_random_creation_seeded_and_reproducible():
    def draw():
        dg.manual_seed(123)
        return [dg.rand(3, 4), dg.randn(2, 2), dg.randint(0, 10, (5,)), dg.randint(3, (2, 2)),
                dg.randperm(6)]

    first, second = draw(), draw()
    for a, b in zip(first, second):
        assert a.dtype == b.dtype and np.array_equal(a.numpy(), b.numpy())
    rand, randn, randint, randint_high, perm = first
    assert rand.dtype == dg.float32 and randn.dtype == dg.float32 and randint.dtype == dg.int64
    assert rand.shape == (3, 4) and (rand.numpy() >= 0).all() and (rand.numpy() < 1).all()
    assert (randint.numpy() >= 0).all() and (randint.numpy() < 10).all()
    assert (randint_high.numpy() < 3).all() and randint_high.shape == (2, 2)
    assert sorted(perm.tolist()) == list(range(6))
    assert not np.array_equal(dg.rand(3, 4).numpy(), rand.numpy())  # the stream moves on
    big = dg.randn(20000)
    assert abs(big.mean().item()) < 0.05 and abs(big.std().item() - 1) < 0.05
    assert dg.rand(2, dtype=dg.float64).dtype == dg.float64
    assert dg.rand(2, 3, requires_grad=True).requires_grad


def test_random_reproducible_across_processes():
    import subprocess
    import sys

    code = "import deepgrad as dg; dg.manual_seed(7); print(dg.randn(3).tolist(), dg.randperm(5))"
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1] and runs[0]


# ----- bad input -----------------------------------------------------------------------------

def test_shape_errors_name_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        dg.ones(2, 3) @ dg.ones(4, 5)
    with pytest.raises(RuntimeError, match=r"matmul.*\(2, 2, 3\).*\(3, 3, 1\)"):
        dg.ones(2, 2, 3) @ dg.ones(3, 3, 1)
    with pytest.raises(RuntimeError, match=r"cat.*\(2, 3\).*\(2, 4\)"):
        dg.cat([dg.ones(2, 3), dg.ones(2, 4)], 0)
    with pytest.raises(RuntimeError, match=r"add.*\(2, 3\).*\(4,\)"):
        dg.ones(2, 3) + dg.ones(4)
    with pytest.raises(RuntimeError, match=r"mul.*\(2, 3\).*\(2,\)"):
        dg.ones(2, 3) * dg.ones(2)
    with pytest.raises(RuntimeError, match=r"reshape.*\(4, 2\).*size 6"):
        dg.ones(2, 3).reshape(4, 2)
    with pytest.raises(RuntimeError, match=r"view.*size 6"):
        dg.ones(2, 3).view(5, -1)
    with pytest.raises(RuntimeError, match=r"linear.*\(5,\).*\(4, 3\)"):
        dg.nn.functional.linear(dg.ones(2, 3), dg.ones(4, 3), dg.ones(5))
    with pytest.raises(RuntimeError, match=r"linear.*\(2, 5\).*\(4, 3\)"):
        dg.nn.functional.linear(dg.ones(2, 5), dg.ones(4, 3))
    with pytest.raises(RuntimeError, match="stack"):
        dg.stack([dg.ones(2), dg.ones(3)])
    with pytest.raises(IndexError, match="out of range"):
        dg.ones(2, 3).sum(2)
    with pytest.raises(IndexError):
        dg.ones(2, 3)[5]


@pytest.mark.parametrize("case,specs", [
    (lambda lib, x, y: x @ y, [(2, 3), (4, 5)]),
    (lambda lib, x, y: lib.cat([x, y], 1), [(2, 3), (3, 3)]),
    (lambda lib, x, y: x + y, [(2, 3), (3, 2)]),
    (lambda lib, x, y: x.reshape(7), [(2, 3), (1,)]),
    (lambda lib, x, y: x.expand(4, 3), [(2, 3), (1,)]),
    (lambda lib, x, y: lib.where(x > 0, x, y), [(2, 3), (3, 2)]),
    (lambda lib, x, y: x.permute(0, 0), [(2, 3), (1,)]),
    (lambda lib, x, y: x.transpose(0, 2), [(2, 3), (1,)]),
])
def test_both_refuse(case, specs):
    compare_raises(case, specs)


def test_backward_on_non_scalar_raises_like_torch():
    x = dg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        dg.ones(3).sum().backward()
    (x * 2).backward(dg.tensor([1.0, 2.0, 3.0]))
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(dg.ones(2))


def test_setitem_on_graph_tensors_as_torch():
    x = dg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x[0] = 2.0
    assert x.tolist() == [1.0, 1.0, 1.0]  # refused before anything was written
    y = x * 2
    y[0] = 1.0  # recorded (torch's CopySlices): no gradient reaches x through position 0
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 2.0]
    z = x * 2
    with pytest.raises(RuntimeError, match="in-place"):
        z.add_(1)  # other in-place ops on graph tensors stay refused
    with dg.no_grad():
        x[0] = 5.0
    assert x.tolist() == [5.0, 1.0, 1.0]


def test_setitem_written_in_no_grad_then_backward_reports_the_version():
    x = dg.ones(3, requires_grad=True)
    y = x * 2
    total = y.sum()  # recorded y at version 0
    with dg.no_grad():
        y[0] = 0.0  # an unrecorded write: y is now at version 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        total.backward()


def test_inplace_ops():
    x = dg.ones(3)
    x.add_(2).mul_(dg.tensor([1.0, 2.0, 3.0])).sub_(1, alpha=2).div_(2)
    assert x.tolist() == [0.5, 2.0, 3.5]
    x.zero_()
    assert x.tolist() == [0.0, 0.0, 0.0]
    x.fill_(4.0).clamp_(max=3.0)
    assert x.tolist() == [3.0, 3.0, 3.0]
    w = dg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.add_(1)
    with dg.no_grad():
        w.mul_(3)
    assert w.tolist() == [3.0, 3.0, 3.0]
    # a tensor saved by the graph then changed in place: backward refuses (no wrong gradient)
    c = dg.tensor([1.0, 2.0, 3.0])
    y = (w * c).sum()
    c.mul_(10)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    # x += y on a graph tensor rebinds (out of place), as PyTorch's autograd allows
    z = w * 1.0
    z2 = z
    z += 1
    assert z is not z2 and z.grad_fn is not None


def test_dunder_conversions():
    assert float(dg.tensor(2.5)) == 2.5 and int(dg.tensor(3)) == 3 and bool(dg.tensor(1.0))
    assert len(dg.ones(4, 2)) == 4 and [t.shape for t in dg.ones(2, 3)] == [(3,), (3,)]
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(dg.ones(2))
    assert list(range(10))[dg.tensor(3)] == 3
    assert "requires_grad=True" in repr(dg.ones(2, requires_grad=True))
    assert "float64" in repr(dg.ones(2, dtype=dg.float64))
