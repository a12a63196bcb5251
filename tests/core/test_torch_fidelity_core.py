"""Core Tensor API against PyTorch: keyword spellings, Size, device, type(), narrow,
contiguous, scatter(reduce=), take_along_dim, tensor() dtype inference (float64 compares)."""

import numpy as np
import pytest
import torch

import deepgrad as dg


def _pair(shape=(3, 4), seed=0):
    data = np.random.default_rng(seed).standard_normal(shape)
    return dg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)


def _close(ours, ref):
    np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert tuple(ours.shape) == tuple(ref.shape)


@pytest.mark.parametrize("start,length", [(-2, 2), (-4, 1), (0, 4), (1, 2), (4, 0), (-1, 1)])
def test_narrow_wraps_negative_start(start, length):
    x, tx = _pair()
    out, ref = x.narrow(1, start, length), tx.narrow(1, start, length)
    _close(out, ref)
    if length:
        out.sum().backward(), ref.sum().backward()
        _close(x.grad, tx.grad)


@pytest.mark.parametrize("start,length", [(5, 0), (-5, 1), (3, 2)])
def test_narrow_out_of_range_raises(start, length):
    with pytest.raises((IndexError, RuntimeError)):
        torch.zeros(3, 4).narrow(1, start, length)
    with pytest.raises((IndexError, RuntimeError)):
        dg.zeros(3, 4).narrow(1, start, length)


def test_contiguous_copies_when_needed_and_is_differentiable():
    x, tx = _pair()
    assert x.contiguous() is x and tx.contiguous() is tx
    y, ty = x.t().contiguous(), tx.t().contiguous()
    assert y.is_contiguous() == ty.is_contiguous() is True
    assert y.stride() == ty.stride()
    (y * dg.arange(12.).reshape(4, 3)).sum().backward()
    (ty * torch.arange(12.).reshape(4, 3)).sum().backward()
    _close(x.grad, tx.grad)
    z, tz = dg.zeros(2, 3, 4, 5), torch.zeros(2, 3, 4, 5)
    cl = z.contiguous(memory_format=dg.channels_last)
    assert cl.is_contiguous(memory_format=dg.channels_last)
    assert cl.stride() == tz.contiguous(memory_format=torch.channels_last).stride()


def test_keyword_spellings_match_torch():
    x, tx = _pair((2, 3, 4))
    calls = [
        lambda m, t: t.flip(dims=(0, 2)), lambda m, t: t.flip(1), lambda m, t: t.flip((0, 1)),
        lambda m, t: t.permute(dims=(2, 0, 1)), lambda m, t: t.permute(2, 0, 1),
        lambda m, t: t.reshape(shape=(4, 6)), lambda m, t: t.reshape((4, -1)),
        lambda m, t: t.view(size=(6, 4)), lambda m, t: t.view(-1), lambda m, t: t.view((3, 8)),
        lambda m, t: t.transpose(dim0=0, dim1=2), lambda m, t: t.sum(dim=1, keepdim=True),
        lambda m, t: t.mean(dim=(0, 2), keepdim=True), lambda m, t: t.amax(dim=-1, keepdim=True),
        lambda m, t: m.cat(tensors=[t, t], dim=1), lambda m, t: t.unsqueeze(dim=1),
        lambda m, t: t.reshape(1, 2, 1, 3, 4).squeeze(dim=(0, 2)),
        lambda m, t: t.repeat(2, 1, 1), lambda m, t: t.repeat((1, 2, 1)),
        lambda m, t: t[:1].expand(3, 3, 4), lambda m, t: t[:1].expand((2, 3, 4)),
        lambda m, t: t.max(dim=1, keepdim=True).values,
    ]
    for call in calls:
        _close(call(dg, x), call(torch, tx))
    ours, ref = x.max(dim=2), tx.max(dim=2)
    np.testing.assert_array_equal(ours.indices.numpy(), ref.indices.numpy())


def test_hstack_vstack_0d_and_1d():
    for fn in ("hstack", "vstack"):
        for parts in ([1.0, 2.0], [[1.0, 2.0], [3.0, 4.0]]):
            ours = getattr(dg, fn)([dg.tensor(p, dtype=dg.float64) for p in parts])
            ref = getattr(torch, fn)([torch.tensor(p, dtype=torch.float64) for p in parts])
            _close(ours, ref)
    assert not hasattr(dg.ops.shape, "hstack")  # one implementation (shape_extra)


@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_reduce_keyword(reduce):
    base = np.random.default_rng(1).standard_normal((3, 4))
    src = np.random.default_rng(2).standard_normal((2, 4))
    idx = np.array([[0, 1, 2, 0], [0, 2, 2, 1]])
    ours = dg.tensor(base).scatter(0, dg.tensor(idx), dg.tensor(src), reduce=reduce)
    ref = torch.tensor(base).scatter(0, torch.tensor(idx), torch.tensor(src), reduce=reduce)
    _close(ours, ref)
    ours_s = dg.tensor(base).scatter(1, dg.tensor(idx), 1.5, reduce=reduce)
    ref_s = torch.tensor(base).scatter(1, torch.tensor(idx), 1.5, reduce=reduce)
    _close(ours_s, ref_s)
    ours_i, ref_i = dg.tensor(base), torch.tensor(base)
    ours_i.scatter_(0, dg.tensor(idx), dg.tensor(src), reduce=reduce)
    ref_i.scatter_(0, torch.tensor(idx), torch.tensor(src), reduce=reduce)
    _close(ours_i, ref_i)
    with pytest.raises(RuntimeError):
        dg.tensor(base).scatter(0, dg.tensor(idx), dg.tensor(src), reduce="max")


def test_take_along_dim_flat_and_broadcast():
    x, tx = _pair((3, 4))
    flat = np.array([0, 11, 5, 5])
    _close(dg.take_along_dim(x, dg.tensor(flat)), torch.take_along_dim(tx, torch.tensor(flat)))
    col = np.array([[0], [3], [1]])
    row = np.array([[2, 0, 1, 1]])
    for idx, dim in ((col, 1), (row, 0), (np.array([[1, 2]]), 1)):
        ours = dg.take_along_dim(x, dg.tensor(idx), dim=dim)
        ref = torch.take_along_dim(tx, torch.tensor(idx), dim=dim)
        _close(ours, ref)
        (ours * 2).sum().backward(), (ref * 2).sum().backward()
    _close(x.grad, tx.grad)
    _close(x.take_along_dim(dg.tensor(col), 1), tx.take_along_dim(torch.tensor(col), 1))


def test_gather_and_index_select_backward_accumulate():
    x, tx = _pair((5, 3))
    idx = np.array([[0, 4, 4], [4, 4, 0], [2, 2, 2]])
    dg.gather(x, 0, dg.tensor(idx)).pow(2).sum().backward()
    torch.gather(tx, 0, torch.tensor(idx)).pow(2).sum().backward()
    _close(x.grad, tx.grad)
    y, ty = _pair((5, 2, 3), seed=3)
    sel = np.array([1, 1, 4, 0, 1])
    for dim in (0, 2):
        s = sel % y.shape[dim]
        (dg.index_select(y, dim, dg.tensor(s)) ** 3).sum().backward()
        (torch.index_select(ty, dim, torch.tensor(s)) ** 3).sum().backward()
    _close(y.grad, ty.grad)


def test_tensor_dtype_inference():
    a64 = [dg.tensor(1.0, dtype=dg.float64), dg.tensor(2.0, dtype=dg.float64)]
    t64 = [torch.tensor(1.0, dtype=torch.float64), torch.tensor(2.0, dtype=torch.float64)]
    cases = [
        (a64, t64), (a64[:1] + [3.0], t64[:1] + [3.0]), ([[a64[0]], [a64[1]]], [[t64[0]], [t64[1]]]),
        ([dg.tensor(1), 2.5], [torch.tensor(1), 2.5]), ([1, 2], [1, 2]), ([True], [True]),
        (3.0, 3.0), ([dg.tensor(1), dg.tensor(2)], [torch.tensor(1), torch.tensor(2)]),
    ]
    for ours, ref in cases:
        assert str(dg.tensor(ours).dtype) == str(torch.tensor(ref).dtype).removeprefix("torch.")
    assert dg.tensor(np.zeros(2)).dtype == dg.float64


def test_size_type():
    x, tx = dg.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    assert isinstance(x.shape, dg.Size) and isinstance(x.size(), dg.Size)
    assert x.shape == (2, 3, 4) == tx.shape and x.shape.numel() == tx.shape.numel() == 24
    assert x.size(-1) == tx.size(-1) == 4 and type(x.size(0)) is int
    assert isinstance(x.shape[1:], dg.Size) and x.shape[1:] == tx.shape[1:]
    assert isinstance(x.shape + (5,), dg.Size) and tuple((1,) + x.shape) == (1,) + tx.shape
    assert repr(x.shape) == "deepgrad.Size([2, 3, 4])"
    assert dg.zeros(x.shape).shape == x.shape
    with pytest.raises(IndexError):
        x.size(3)


def test_type_strings_and_casts():
    for name in ("float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
                 "bool"):
        assert dg.zeros(2, dtype=getattr(dg, name)).type() == \
            torch.zeros(2, dtype=getattr(torch, name)).type()
    x = dg.zeros(2)
    assert x.type("torch.DoubleTensor").dtype == dg.float64
    assert x.type(dg.int64).type() == "torch.LongTensor"
    with pytest.raises(RuntimeError):
        x.type("torch.cuda.FloatTensor")


def test_device():
    for args, kwargs in ((("cpu",), {}), (("cpu:0",), {}), (("cpu", 0), {}),
                         ((), {"type": "cpu", "index": 0}), (("cuda",), {}), (("cuda:1",), {})):
        ours, ref = dg.device(*args, **kwargs), torch.device(*args, **kwargs)
        assert (repr(ours), str(ours), ours.type, ours.index) == \
            (repr(ref), str(ref), ref.type, ref.index)
    x = dg.zeros(2)
    assert x.device == dg.device("cpu") and repr(x.device) == repr(torch.zeros(2).device)
    assert (x.device == "cpu") == (torch.zeros(2).device == "cpu")
    assert str(x.device) == "cpu" and x.device.type == "cpu"
    assert x.to(dg.device("cpu")) is x and x.to("cpu") is x and x.cpu() is x
    assert x.to(dg.float64).dtype == dg.float64 and x.to("cpu", dg.int64).dtype == dg.int64
    assert x.to(dg.zeros(1, dtype=dg.int32)).dtype == dg.int32
    assert x.to(dtype=dg.float64, device="cpu").dtype == dg.float64
    assert x.to(copy=True) is not x
    assert dg.zeros(2, device=dg.device("cpu")).device == dg.device("cpu")
    with pytest.raises(RuntimeError, match="CPU only"):
        x.cuda()
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        dg.zeros(2, device=dg.device("cuda"))
    with pytest.raises(RuntimeError):
        dg.device("gpu")


def test_default_dtype_creation_ops():
    previous = dg.get_default_dtype()
    dg.set_default_dtype(dg.float64)
    try:
        made = [dg.zeros(2), dg.ones(2), dg.rand(2), dg.randn(2), dg.empty(2),
                dg.full((2,), 1.0), dg.arange(0.0, 2.0), dg.linspace(0, 1, 3), dg.tensor([1.0]),
                dg.tensor(3.0), dg.eye(2), dg.zeros_like(dg.tensor([1, 2]), dtype=float)]
        assert all(t.dtype == dg.float64 for t in made)
        assert dg.arange(3).dtype == dg.int64 and dg.tensor([1]).dtype == dg.int64
    finally:
        dg.set_default_dtype(previous)
    assert dg.zeros(2).dtype == previous


@pytest.mark.parametrize("make", [
    lambda rng: np.array([1.0, 2.5]), lambda rng: np.array([1.0, 2.0]), lambda rng: np.array(2.5),
    lambda rng: np.array([True, False]), lambda rng: np.arange(12.0).reshape(3, 4),
    lambda rng: rng.standard_normal((2, 3, 4)), lambda rng: np.array([1e-5, 1.0]),
    lambda rng: np.array([1e9, 1.0]), lambda rng: np.array([np.nan, 1.0, np.inf]),
    lambda rng: rng.standard_normal(30), lambda rng: rng.standard_normal((40, 40)),
    lambda rng: np.arange(2000), lambda rng: np.zeros((0, 3)), lambda rng: np.array([1, -20, 300]),
    lambda rng: np.array([-0.0001, 2.0]), lambda rng: np.zeros(0, dtype=np.int64),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_repr_matches_torch_layout(make, dtype):
    data = make(np.random.default_rng(0))
    if data.dtype.kind == "f":
        data = data.astype(dtype)
    assert repr(dg.tensor(data)).replace("deepgrad.", "torch.") == repr(torch.tensor(data))


def test_repr_autograd_suffixes_and_printoptions():
    for ours, ref in ((dg.tensor([1.0, 2.0], requires_grad=True),
                       torch.tensor([1.0, 2.0], requires_grad=True)),
                      (dg.ones(2, requires_grad=True) * 2, torch.ones(2, requires_grad=True) * 2)):
        assert repr(ours) == repr(ref)
    try:
        dg.set_printoptions(precision=2)
        torch.set_printoptions(precision=2)
        assert repr(dg.tensor([1.2345, 2.0])) == repr(torch.tensor([1.2345, 2.0]))
    finally:
        dg.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_input_keyword_and_integer_rounding():
    data = np.array([[0.5, 1.5], [2.25, 4.0]])
    for name in ("neg", "abs", "exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "square",
                 "sign", "floor", "ceil", "round", "trunc", "erf"):
        _close(getattr(dg, name)(input=dg.tensor(data)), getattr(torch, name)(input=torch.tensor(data)))
    ints = np.array([-7, 3, 8])
    for name in ("floor", "ceil", "trunc", "round"):
        ours, ref = getattr(dg, name)(dg.tensor(ints)), getattr(torch, name)(torch.tensor(ints))
        assert str(ours.dtype) == str(ref.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    for name in ("floor_divide", "remainder"):
        ours = getattr(dg, name)(input=dg.tensor(ints), other=3)
        ref = getattr(torch, name)(input=torch.tensor(ints), other=3)
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    ours = dg.randn_like(dg.zeros(2, 3, dtype=dg.float64), requires_grad=True)
    assert ours.requires_grad and ours.dtype == dg.float64 and ours.shape == (2, 3)
    assert dg.rand_like(dg.zeros(2), device="cpu").shape == (2,)
    _close(dg.gather(dg.tensor(data), 1, dg.tensor([[1], [0]]), sparse_grad=False),
           torch.gather(torch.tensor(data), 1, torch.tensor([[1], [0]]), sparse_grad=False))


def test_cat_promotion_copies_and_scalar_views():
    for parts in ([np.zeros(2, dtype=np.int64), np.ones(2, dtype=np.float32)],
                  [np.zeros(0, dtype=np.float32), np.ones(2, dtype=np.int64)],
                  [np.ones(2, dtype=np.int32), np.ones(2, dtype=np.int64)]):
        ours = dg.cat([dg.tensor(p) for p in parts])
        ref = torch.cat([torch.tensor(p) for p in parts])
        assert str(ours.dtype) == str(ref.dtype).removeprefix("torch.")
    x = dg.zeros(2)
    dg.cat([x]).fill_(3.0)
    assert x.tolist() == [0.0, 0.0]
    y, ty = dg.zeros(2, 2), torch.zeros(2, 2)
    y.view(4)[0].fill_(5.0), ty.view(4)[0].fill_(5.0)
    y[1, 1].add_(2.0), ty[1, 1].add_(2.0)
    assert y.tolist() == ty.tolist()


def test_bool_negation_and_subtraction_raise_runtime_error():
    for lib in (torch, dg):
        flags = lib.tensor([True, False])
        with pytest.raises(RuntimeError, match="Negation"):
            -flags
        with pytest.raises(RuntimeError, match="Subtraction"):
            flags - lib.tensor([False, False])


def test_values_indices_return_types_match_torch():
    data = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, 4.5]])
    x, tx = dg.tensor(data, dtype=dg.float32), torch.tensor(data, dtype=torch.float32)
    for call in (lambda t: t.max(dim=1), lambda t: t.min(0), lambda t: t.sort(), lambda t: t.topk(2),
                 lambda t: t.kthvalue(2), lambda t: t.median(1), lambda t: t.nanmedian(1),
                 lambda t: t.mode(), lambda t: t.cummax(1), lambda t: t.cummin(0)):
        ours, ref = call(x), call(tx)
        assert type(ours).__name__ == type(ref).__name__
        assert repr(ours).replace("deepgrad.", "torch.") == repr(ref)
        values, indices = ours
        assert values is ours.values and indices is ours[1]


def test_legacy_tensor_types():
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor",
                 "ByteTensor"):
        ours, ref = getattr(dg, name)([1, 0, 2]), getattr(torch, name)([1, 0, 2])
        assert ours.type() == ref.type() and ours.tolist() == ref.tolist()
        assert isinstance(ours, getattr(dg, name)) and not isinstance(ours.to(dg.int8),
                                                                     getattr(dg, name))
        assert getattr(dg, name)(2, 3).shape == getattr(torch, name)(2, 3).shape
        assert dg.zeros(2).type(getattr(dg, name)).type() == ref.type()


def test_setitem_of_grad_values_records_the_graph():
    def program(lib):
        h = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        buf = lib.zeros(3, 3, dtype=lib.float64)
        buf[0] = h[0] * 2
        buf[2] = h[1] ** 2
        buf[1, 1] = h[0, 0] * 5
        buf[2, :2] = 1.0  # overwrites part of h[1] ** 2: no gradient flows there
        (buf * lib.arange(9.0, dtype=lib.float64).reshape(3, 3)).sum().backward()
        return h.grad, buf.grad_fn is not None, buf.requires_grad

    (ours, *flags), (ref, *ref_flags) = program(dg), program(torch)
    _close(ours, ref)
    assert flags == ref_flags == [True, True]
    leaf = dg.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError):
        leaf[0] = 1.0
