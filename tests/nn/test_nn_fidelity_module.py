"""Module API details against torch: traversal flags, lookup errors, registration errors,
state_dict / load_state_dict results and messages, hooks (forward, kwargs, backward), casts,
and the default dtype at construction."""

import copy

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import nn


def shared(lib):
    layer = lib.nn.Linear(2, 2)
    return lib.nn.Sequential(layer, lib.nn.ReLU(), layer,
                             lib.nn.Sequential(lib.nn.BatchNorm1d(2), layer))


def test_duplicates_kept_when_asked():
    dg, th = shared(deepgrad), shared(torch)
    for kw in ({}, {"remove_duplicate": False}):
        assert [n for n, _ in dg.named_modules(**kw)] == [n for n, _ in th.named_modules(**kw)]
        assert ([n for n, _ in dg.named_parameters(**kw)]
                == [n for n, _ in th.named_parameters(**kw)])
        assert [n for n, _ in dg.named_buffers(**kw)] == [n for n, _ in th.named_buffers(**kw)]
    assert ([n for n, _ in dg.named_parameters(prefix="m", recurse=False)]
            == [n for n, _ in th.named_parameters(prefix="m", recurse=False)])
    assert ([n for n, _ in dg.named_modules(prefix="root")]
            == [n for n, _ in th.named_modules(prefix="root")])


def test_get_submodule_parameter_buffer_and_errors():
    dg, th = shared(deepgrad), shared(torch)
    assert dg.get_submodule("3.0") is dg[3][0]
    assert dg.get_submodule("") is dg
    assert dg.get_parameter("3.1.weight") is dg[0].weight
    assert dg.get_buffer("3.0.running_mean") is dg[3][0].running_mean
    for target, method in (("9", "get_submodule"), ("0.nope", "get_parameter"),
                           ("3.0.weight", "get_buffer"), ("0.in_features", "get_parameter"),
                           ("0.weight.x", "get_submodule")):
        with pytest.raises(AttributeError) as e_th:
            getattr(th, method)(target)
        with pytest.raises(AttributeError) as e_dg:
            getattr(dg, method)(target)
        assert str(e_dg.value) == str(e_th.value)


def test_registration_errors_match_torch():
    for call, exc in ((lambda lib, m: m.add_module("a.b", lib.nn.ReLU()), KeyError),
                      (lambda lib, m: m.add_module("", lib.nn.ReLU()), KeyError),
                      (lambda lib, m: m.add_module("training", lib.nn.ReLU()), KeyError),
                      (lambda lib, m: m.add_module("x", 3), TypeError),
                      (lambda lib, m: m.register_parameter("weight", None) or
                       m.register_buffer("weight", None), KeyError),
                      (lambda lib, m: m.register_buffer("b", 3), TypeError),
                      (lambda lib, m: m.register_parameter("a.b", None), KeyError),
                      (lambda lib, m: m.register_parameter(1, None), TypeError)):
        for lib in (torch, deepgrad):
            with pytest.raises(exc):
                call(lib, lib.nn.Module())
    m = nn.Module()
    w = nn.Parameter(deepgrad.ones(2))
    with pytest.raises(ValueError, match="non-leaf"):
        m.register_parameter("p", _nonleaf(w))
    m.register_module("child", nn.ReLU())
    assert m.child.__class__ is nn.ReLU


def _nonleaf(w):
    """A Parameter carrying a graph node (PyTorch refuses to register those)."""
    p = nn.Parameter(deepgrad.ones(2))
    p.grad_fn = (w * 2).grad_fn
    return p


def test_module_init_rejects_arguments():
    with pytest.raises(TypeError):
        nn.Module(3)
    with pytest.raises(TypeError):
        nn.Module(foo=1)


def test_train_eval_zero_grad_requires_grad():
    m = nn.Linear(2, 2)
    assert m.train() is m and m.eval() is m and not m.training
    with pytest.raises(ValueError, match="boolean"):
        m.train(1)
    m(deepgrad.ones(1, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert float(m.weight.grad.abs().sum()) == 0.0
    m.zero_grad()
    assert m.weight.grad is None
    assert m.requires_grad_(False) is m and not m.weight.requires_grad


def test_state_dict_prefix_keep_vars_and_persistence():
    m = nn.Linear(2, 2)
    m.register_buffer("tmp", deepgrad.zeros(2), persistent=False)
    m.register_buffer("kept", deepgrad.zeros(2))
    sd = m.state_dict(prefix="p.", keep_vars=True)
    assert list(sd) == ["p.weight", "p.bias", "p.kept"]
    assert sd["p.weight"] is m.weight
    assert m.state_dict()["weight"] is not m.weight
    assert [n for n, _ in m.named_buffers()] == ["tmp", "kept"]
    m.b = nn.Buffer(deepgrad.ones(1), persistent=False)
    assert "b" not in m.state_dict() and "b" in dict(m.named_buffers())


def test_load_state_dict_result_and_message_match_torch():
    dg, th = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    state = {"weight": np.ones((2, 3)), "extra": np.zeros(1)}
    r_dg = dg.load_state_dict({k: deepgrad.tensor(v) for k, v in state.items()}, strict=False)
    r_th = th.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert r_dg.missing_keys == r_th.missing_keys and r_dg.unexpected_keys == r_th.unexpected_keys
    assert repr(r_dg) == repr(r_th)
    missing, unexpected = r_dg
    assert missing == ["bias"] and unexpected == ["extra"]
    ok = dg.load_state_dict(dg.state_dict())
    assert repr(ok) == repr(th.load_state_dict(th.state_dict()))
    assert repr(ok) == "<All keys matched successfully>"
    with pytest.raises(RuntimeError) as e_th:
        th.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    with pytest.raises(RuntimeError) as e_dg:
        dg.load_state_dict({k: deepgrad.tensor(v) for k, v in state.items()})
    assert str(e_dg.value) == str(e_th.value)
    with pytest.raises(TypeError, match="dict-like"):
        dg.load_state_dict([1, 2])


def test_load_state_dict_hooks():
    m = nn.Sequential(nn.Linear(2, 2))
    seen = []
    m[0]._register_load_state_dict_pre_hook(
        lambda sd, prefix, *rest: sd.__setitem__(prefix + "weight", sd.pop(prefix + "w")))
    m.register_load_state_dict_post_hook(lambda mod, keys: seen.append(list(keys.missing_keys)))
    m.load_state_dict({"0.w": deepgrad.ones(2, 2), "0.bias": deepgrad.zeros(2)})
    assert float(m[0].weight.sum()) == 4.0 and seen == [[]]


def run_hooks(lib):
    lib.manual_seed(0)
    m = lib.nn.Linear(3, 2).double()
    log = []
    m.register_forward_pre_hook(lambda mod, args: log.append("pre"))
    m.register_forward_pre_hook(lambda mod, args: log.append("pre-first"), prepend=True)
    m.register_forward_pre_hook(lambda mod, args, kwargs: (tuple(a * 2 for a in args), kwargs),
                                with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: out + 1)
    m.register_forward_hook(lambda mod, args, kwargs, out: log.append(("kw", sorted(kwargs))),
                            with_kwargs=True)
    h = m.register_forward_hook(lambda mod, args, out: log.append("removed"))
    h.remove()
    out = m(lib.ones(1, 3, dtype=lib.float64))
    return out.detach().numpy(), log


def test_forward_hooks_order_kwargs_prepend_remove():
    (o_dg, l_dg), (o_th, l_th) = run_hooks(deepgrad), run_hooks(torch)
    assert l_dg == l_th
    assert o_dg.shape == o_th.shape


def test_forward_hook_always_call_and_handle_context():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")
    m, log = Boom(), []
    m.register_forward_hook(lambda mod, a, o: log.append("always"), always_call=True)
    m.register_forward_hook(lambda mod, a, o: log.append("normal"))
    with pytest.raises(ValueError):
        m(deepgrad.ones(1))
    assert log == ["always"]
    with nn.Linear(1, 1).register_forward_hook(lambda *a: None) as handle:
        assert handle.id >= 0


class TwoIn:
    @staticmethod
    def make(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(3, 3).double()

            def forward(self, x, y):
                return self.lin(x) * y, x.sum()
        return M()


def backward_hooks(lib, replace):
    m = TwoIn.make(lib)
    with lib.no_grad():
        m.lin.weight.copy_(lib.tensor(np.arange(9.0).reshape(3, 3) / 9 - 0.4))
        m.lin.bias.copy_(lib.tensor([0.1, -0.2, 0.3]))
    rec = {}

    def hook(mod, grad_input, grad_output):
        rec["gi"] = [None if g is None else g.detach().numpy().copy() for g in grad_input]
        rec["go"] = [None if g is None else g.detach().numpy().copy() for g in grad_output]
        if replace:
            return tuple(None if g is None else g * 3 for g in grad_input)

    def pre_hook(mod, grad_output):
        rec["pre"] = [g.detach().numpy().copy() for g in grad_output]
    m.register_full_backward_hook(hook)
    m.register_full_backward_pre_hook(pre_hook)
    rng = np.random.default_rng(0)
    xa, ya = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    x = lib.tensor(xa, requires_grad=True)
    y = lib.tensor(ya, requires_grad=True)
    a, b = m(x, y)
    (a * lib.tensor(xa)).sum().add(b * 2).backward()
    return rec, x.grad.numpy(), y.grad.numpy(), m.lin.weight.grad.numpy()


@pytest.mark.parametrize("replace", [False, True])
def test_full_backward_hook_matches_torch(replace):
    r_dg, *g_dg = backward_hooks(deepgrad, replace)
    r_th, *g_th = backward_hooks(torch, replace)
    for key in ("gi", "go", "pre"):
        assert len(r_dg[key]) == len(r_th[key])
        for a, b in zip(r_dg[key], r_th[key]):
            np.testing.assert_allclose(a, b, atol=1e-12)
    for a, b in zip(g_dg, g_th):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_backward_hook_when_input_needs_no_grad():
    for lib in (deepgrad, torch):
        m, rec = lib.nn.Linear(2, 2), []
        m.register_full_backward_hook(lambda mod, gi, go, rec=rec: rec.append((gi, len(go))))
        m(lib.ones(1, 2)).sum().backward()
        assert rec[0][0] == (None,) and rec[0][1] == 1


def test_casts():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    assert m.double() is m and m[0].weight.dtype == deepgrad.float64
    assert m[1].num_batches_tracked.dtype == deepgrad.int64
    assert m.float()[0].weight.dtype == deepgrad.float32
    assert m.to(deepgrad.float64)[1].running_mean.dtype == deepgrad.float64
    assert m.to("cpu", deepgrad.float32)[0].bias.dtype == deepgrad.float32
    assert m.half()[0].weight.dtype == deepgrad.float16
    assert m.to(deepgrad.ones(1, dtype=deepgrad.float64))[0].weight.dtype == deepgrad.float64
    assert m.cpu() is m
    with pytest.raises(TypeError, match="floating point"):
        m.to(deepgrad.int64)
    m.type(deepgrad.float32)
    assert m[1].num_batches_tracked.dtype == deepgrad.float32  # type() casts every tensor
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in m.parameters())


def test_deepcopy_of_parametrized_and_plain_modules():
    m = nn.Linear(2, 2)
    deepgrad.nn.utils.parametrizations.weight_norm(m)
    c = copy.deepcopy(m)
    np.testing.assert_allclose(c.weight.detach().numpy(), m.weight.detach().numpy())
    assert type(c).__name__ == "ParametrizedLinear"


LAYERS = [("Linear", (3, 4)), ("Bilinear", (2, 3, 4)), ("Conv1d", (2, 3, 3)),
          ("Conv2d", (2, 3, 3)), ("ConvTranspose2d", (2, 3, 3)), ("BatchNorm1d", (3,)),
          ("BatchNorm2d", (3,)), ("LayerNorm", (3,)), ("GroupNorm", (1, 3)), ("RMSNorm", (3,)),
          ("Embedding", (5, 3)), ("EmbeddingBag", (5, 3)), ("PReLU", ()), ("LazyLinear", (3,)),
          ("InstanceNorm1d", (3,), ), ("AdaptiveLogSoftmaxWithLoss", (8, 10, [4]))]


@pytest.mark.parametrize("name,args", LAYERS)
def test_default_dtype_is_read_at_construction(name, args):
    old = deepgrad.get_default_dtype()
    try:
        deepgrad.set_default_dtype(deepgrad.float64)
        m = getattr(nn, name)(*args)
        for t in list(m.parameters()) + list(m.buffers()):
            assert t.dtype in (deepgrad.float64, deepgrad.int64), (name, t.dtype)
        m32 = getattr(nn, name)(*args, dtype=deepgrad.float32)
        for t in list(m32.parameters()) + list(m32.buffers()):
            assert t.dtype in (deepgrad.float32, deepgrad.int64)
    finally:
        deepgrad.set_default_dtype(old)
    for t in getattr(nn, name)(*args).parameters():
        assert t.dtype == deepgrad.float32


def test_parameter_defaults():
    p = nn.Parameter(deepgrad.ones(2))
    assert p.requires_grad and repr(p).startswith("Parameter containing:")
    assert not nn.Parameter(deepgrad.ones(2), requires_grad=False).requires_grad
    old = deepgrad.get_default_dtype()
    try:
        deepgrad.set_default_dtype(deepgrad.float64)
        assert nn.Parameter().dtype == deepgrad.float64
    finally:
        deepgrad.set_default_dtype(old)
