"""deepgrad.autograd.functional against torch.autograd.functional (float64): values and the
tuple structure of the results."""

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import deepgrad
import deepgrad.autograd.functional as F

RNG = np.random.default_rng(0)


def _tensors(arrays, lib):
    return tuple(lib.tensor(a) for a in arrays)


def _same(d, t, atol=1e-8):
    """Compare nested tuples of tensors: same nesting, shapes and values."""
    if isinstance(t, (tuple, list)):  # torch's forward-mode jacobian gives lists
        assert isinstance(d, tuple) and len(d) == len(t), f"structure {type(d)} vs {len(t)}-tuple"
        for a, b in zip(d, t):
            _same(a, b, atol)
        return
    assert isinstance(d, deepgrad.Tensor), f"expected a Tensor, got {type(d)}"
    assert tuple(d.shape) == tuple(t.shape), f"shape {tuple(d.shape)} != {tuple(t.shape)}"
    assert str(d.dtype) == str(t.dtype).replace("torch.", "")
    assert not d.requires_grad
    np.testing.assert_allclose(d.numpy(), t.detach().numpy(), atol=atol, rtol=1e-7)


def f_single(lib):
    return lambda x: (x.sin() * x.exp()).reshape(2, 3)


def f_two_in(lib):
    return lambda x, y: (x.unsqueeze(0) * y).tanh()


def f_two_out(lib):
    return lambda x: (x.exp(), (x * x).sum())


def f_two_in_two_out(lib):
    return lambda x, y: (x.sin().sum() * y, x * y.sum())


def scalar_single(lib):
    return lambda x: (x.exp() * x.sin()).sum() + (x[0] * x[1] * x[2]) ** 2


def scalar_two_in(lib):
    return lambda x, y: ((x.exp() @ y) ** 2).sum() + (x ** 3).sum()


CASES = {
    "single": (f_single, [(6,)], False),
    "two_in": (f_two_in, [(3,), (2, 3)], True),
    "two_out": (f_two_out, [(4,)], False),
    "two_in_two_out": (f_two_in_two_out, [(3,), (2,)], True),
}


def _inputs(shapes, as_tuple):
    arrays = [RNG.standard_normal(s) for s in shapes]
    if as_tuple:
        return _tensors(arrays, deepgrad), _tensors(arrays, torch)
    return deepgrad.tensor(arrays[0]), torch.tensor(arrays[0])


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_jacobian(case, strategy):
    make, shapes, as_tuple = CASES[case]
    d_in, t_in = _inputs(shapes, as_tuple)
    _same(F.jacobian(make(deepgrad), d_in, strategy=strategy, vectorize=True),
          TF.jacobian(make(torch), t_in, strategy=strategy, vectorize=True))


def test_jacobian_tuple_of_one_input_keeps_tuple():
    d, t = _inputs([(3,)], True)
    _same(F.jacobian(lambda x: x * 2, d), TF.jacobian(lambda x: x * 2, t))


@pytest.mark.parametrize("case", sorted(CASES))
def test_vjp_and_jvp(case):
    make, shapes, as_tuple = CASES[case]
    d_in, t_in = _inputs(shapes, as_tuple)
    t_out = make(torch)(*(t_in if as_tuple else (t_in,)))
    t_outs = t_out if isinstance(t_out, tuple) else (t_out,)
    v_out = [RNG.standard_normal(tuple(o.shape)) for o in t_outs]
    pack_out = tuple if isinstance(t_out, tuple) else (lambda xs: xs[0])
    _same(F.vjp(make(deepgrad), d_in, pack_out(_tensors(v_out, deepgrad))),
          TF.vjp(make(torch), t_in, pack_out(_tensors(v_out, torch))))
    t_ins = t_in if as_tuple else (t_in,)
    v_in = [RNG.standard_normal(tuple(x.shape)) for x in t_ins]
    pack_in = tuple if as_tuple else (lambda xs: xs[0])
    _same(F.jvp(make(deepgrad), d_in, pack_in(_tensors(v_in, deepgrad))),
          TF.jvp(make(torch), t_in, pack_in(_tensors(v_in, torch))))


SCALARS = {"single": (scalar_single, [(3,)], False), "two_in": (scalar_two_in, [(2, 3), (3,)],
                                                                   True)}


@pytest.mark.parametrize("case", sorted(SCALARS))
def test_hessian(case):
    make, shapes, as_tuple = SCALARS[case]
    d_in, t_in = _inputs(shapes, as_tuple)
    _same(F.hessian(make(deepgrad), d_in), TF.hessian(make(torch), t_in), atol=1e-7)


@pytest.mark.parametrize("case", sorted(SCALARS))
@pytest.mark.parametrize("which", ["hvp", "vhp"])
def test_hvp_vhp(case, which):
    make, shapes, as_tuple = SCALARS[case]
    d_in, t_in = _inputs(shapes, as_tuple)
    v = [RNG.standard_normal(s) for s in shapes]
    pack = tuple if as_tuple else (lambda xs: xs[0])
    _same(getattr(F, which)(make(deepgrad), d_in, pack(_tensors(v, deepgrad))),
          getattr(TF, which)(make(torch), t_in, pack(_tensors(v, torch))), atol=1e-7)


def test_hessian_float32_is_close():
    x = RNG.standard_normal(4).astype(np.float32)
    h = F.hessian(lambda t: (t.exp() * t).sum(), deepgrad.tensor(x))
    assert h.dtype == np.float32
    expected = TF.hessian(lambda t: (t.exp() * t).sum(), torch.tensor(x)).numpy()
    np.testing.assert_allclose(h.numpy(), expected, atol=1e-4, rtol=1e-4)


def test_default_v_for_single_element():
    _same(F.vjp(lambda x: (x ** 2).sum(), deepgrad.tensor([1.0, 2.0], dtype=deepgrad.float64)),
          TF.vjp(lambda x: (x ** 2).sum(), torch.tensor([1.0, 2.0], dtype=torch.float64)))
    _same(F.jvp(lambda x: x ** 3, deepgrad.tensor([2.0], dtype=deepgrad.float64)),
          TF.jvp(lambda x: x ** 3, torch.tensor([2.0], dtype=torch.float64)))


def test_independent_input_zero_or_strict_error():
    def g(lib):
        return lambda x, y: x * 2

    d, t = _inputs([(2,), (3,)], True)
    _same(F.jacobian(g(deepgrad), d), TF.jacobian(g(torch), t))
    for fn, tfn in ((F.jacobian, TF.jacobian),):
        with pytest.raises(RuntimeError) as th_error:
            tfn(g(torch), t, strict=True)
        with pytest.raises(RuntimeError) as dg_error:
            fn(g(deepgrad), d, strict=True)
        assert str(dg_error.value) == str(th_error.value)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        F.vjp(g(deepgrad), d, deepgrad.ones(2, dtype=deepgrad.float64), strict=True)


def test_errors():
    x = deepgrad.tensor([1.0, 2.0], dtype=deepgrad.float64)
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        F.jacobian(lambda a: a, [x, 3.0])
    with pytest.raises(TypeError, match="outputs of the user-provided function"):
        F.jacobian(lambda a: 3, x)
    with pytest.raises(RuntimeError, match="single element"):
        F.vjp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match="should contain a single element"):
        F.hessian(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match="invalid size"):
        F.vjp(lambda a: a * 2, x, deepgrad.ones(3, dtype=deepgrad.float64))
    with pytest.warns(UserWarning, match="create_graph=True"):
        h = F.hessian(lambda a: (a * a).sum(), x, create_graph=True)
    np.testing.assert_allclose(h.numpy(), 2 * np.eye(2), atol=1e-8)
    assert not h.requires_grad  # values without a graph: a backward through them fails loudly
    with pytest.raises(AssertionError, match="Expected strategy"):
        F.jacobian(lambda a: a, x, strategy="sideways")


def test_inputs_untouched_and_module_reachable():
    x = deepgrad.tensor([1.0, 2.0], dtype=deepgrad.float64)
    F.hessian(lambda a: (a ** 3).sum(), x)
    assert x.tolist() == [1.0, 2.0] and not x.requires_grad and x.grad is None
    assert deepgrad.autograd.functional.jacobian is F.jacobian
