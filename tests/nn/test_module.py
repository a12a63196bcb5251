"""Module, containers, state_dict, hooks and printing, compared with torch where it has them."""

import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import nn


def mlp(lib):
    m = lib.nn
    return m.Sequential(OrderedDict([
        ("features", m.Sequential(m.Flatten(), m.Linear(12, 8), m.ReLU(), m.Dropout(0.1))),
        ("blocks", m.ModuleList([m.Linear(8, 8), m.Linear(8, 8), m.Tanh()])),
        ("heads", m.ModuleDict({"cls": m.Linear(8, 3), "reg": m.Linear(8, 1)})),
    ]))


def test_repr_matches_torch():
    assert repr(mlp(deepgrad)) == repr(mlp(torch))
    empty = repr(nn.Sequential()), repr(nn.ModuleList())
    assert empty == (repr(torch.nn.Sequential()), repr(torch.nn.ModuleList()))


def test_names_and_counts_match_torch():
    dg, th = mlp(deepgrad), mlp(torch)
    assert list(dg.state_dict()) == list(th.state_dict())
    assert [n for n, _ in dg.named_parameters()] == [n for n, _ in th.named_parameters()]
    assert [n for n, _ in dg.named_modules()] == [n for n, _ in th.named_modules()]
    assert [n for n, _ in dg.named_children()] == [n for n, _ in th.named_children()]
    assert sum(p.numel() for p in dg.parameters()) == sum(p.numel() for p in th.parameters())
    assert len(list(dg.modules())) == len(list(th.modules()))
    assert len(list(dg.children())) == 3


def test_shared_parameters_are_counted_once():
    layer = nn.Linear(3, 3)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_sequential_indexing_slicing_append():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and seq[1] is list(seq)[1]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    assert head(deepgrad.randn(4, 2)).shape == (4, 3)
    seq.append(nn.Sigmoid())
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert isinstance(seq[3], nn.Sigmoid)
    del seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "Linear", "Sigmoid"]
    assert list(seq._modules) == ["0", "1", "2"]  # renumbered like torch
    seq[2] = nn.Tanh()
    assert isinstance(seq[2], nn.Tanh)
    with pytest.raises(IndexError):
        seq.__getitem__(5)
    seq.insert(0, nn.Identity())
    assert isinstance(seq[0], nn.Identity) and len(seq) == 4
    assert len(seq + nn.Sequential(nn.ReLU())) == 5


def test_module_list_and_dict():
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    blocks.append(nn.ReLU())
    blocks.extend([nn.Tanh()])
    assert len(blocks) == 5 and isinstance(blocks[-1], nn.Tanh)
    assert isinstance(blocks[1:3], nn.ModuleList) and len(blocks[1:3]) == 2
    th = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)] + [torch.nn.ReLU(),
                                                                         torch.nn.Tanh()])
    assert repr(blocks) == repr(th)  # "(0-2): 3 x Linear(...)"
    heads = nn.ModuleDict({"a": nn.Linear(2, 1)})
    heads["b"] = nn.Linear(2, 2)
    assert list(heads.keys()) == ["a", "b"] and "b" in heads and len(heads) == 2
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    heads.pop("a")
    assert list(heads) == ["b"]


def test_parameter_list_and_dict():
    plist = nn.ParameterList([nn.Parameter(deepgrad.randn(2)), deepgrad.randn(3)])
    assert len(plist) == 2 and isinstance(plist[1], nn.Parameter)
    assert list(plist.state_dict()) == ["0", "1"]
    pdict = nn.ParameterDict({"alpha": nn.Parameter(deepgrad.ones(1))})
    assert list(pdict.state_dict()) == ["alpha"] and "alpha" in pdict


def test_state_dict_roundtrip_strict_and_errors():
    a, b = mlp(deepgrad), mlp(deepgrad)
    weight = b.heads["cls"].weight
    result = b.load_state_dict(a.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert b.heads["cls"].weight is weight  # same Parameter object, values copied in place
    np.testing.assert_array_equal(weight.detach().numpy(), a.heads["cls"].weight.detach().numpy())
    state = a.state_dict()
    state.pop("heads.reg.bias")
    state["extra"] = deepgrad.zeros(1)
    with pytest.raises(RuntimeError, match=r'Missing key\(s\).*"heads.reg.bias"[\s\S]*'
                                           r'Unexpected key\(s\).*"extra"'):
        b.load_state_dict(state)
    missing, unexpected = b.load_state_dict(state, strict=False)
    assert missing == ["heads.reg.bias"] and unexpected == ["extra"]
    bad = a.state_dict()
    bad["heads.cls.weight"] = deepgrad.zeros(2, 8)
    with pytest.raises(RuntimeError, match=r"size mismatch for heads.cls.weight.*\(2, 8\).*"
                                           r"\(3, 8\)"):
        b.load_state_dict(bad)


def test_state_dict_loads_into_torch_and_back():
    dg, th = mlp(deepgrad), mlp(torch)
    th.load_state_dict({k: torch.tensor(v.numpy()) for k, v in dg.state_dict().items()})
    dg2 = mlp(deepgrad)
    dg2.load_state_dict({k: v.numpy() for k, v in th.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    dg2.eval()
    th.eval()
    feats = dg2.features(deepgrad.tensor(x))
    np.testing.assert_allclose(dg2.heads["cls"](feats).detach().numpy(),
                               th.heads["cls"](th.features(torch.tensor(x))).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_buffers_persistent_and_not():
    m = nn.Module()
    m.register_buffer("running", deepgrad.zeros(3))
    m.register_buffer("scratch", deepgrad.ones(2), persistent=False)
    assert list(m.state_dict()) == ["running"]
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert list(m.parameters()) == []
    with pytest.raises(KeyError, match="buffer name"):
        m.register_buffer("a.b", deepgrad.zeros(1))
    with pytest.raises(TypeError, match="buffer"):
        m.register_buffer("bad", [1, 2])


def test_train_eval_and_custom_train_override():
    calls = []

    class Tracking(nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(Tracking(), nn.Dropout()))
    model.eval()
    assert not any(m.training for m in model.modules()) and calls == [False]
    model.train()
    assert all(m.training for m in model.modules()) and calls == [False, True]


def test_zero_grad_apply_and_requires_grad():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    model(deepgrad.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all((p.grad.numpy() == 0).all() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Linear", "Sequential"]  # children first, like torch

    def reinit(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)

    model.apply(reinit)
    assert all((m.weight.detach().numpy() == 0).all() for m in model if isinstance(m, nn.Linear))
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_to_dtype_and_double():
    model = nn.Sequential(nn.Linear(3, 2))
    model.register_buffer("count", deepgrad.tensor([1]))
    model.to(deepgrad.float64)
    assert model[0].weight.dtype == np.float64 and model.count.dtype == np.int64
    assert model(deepgrad.randn(2, 3).double()).dtype == np.float64
    model.float()
    assert model[0].weight.dtype == np.float32 and isinstance(model[0].weight, nn.Parameter)
    assert model.to("cpu") is model
    with pytest.raises(TypeError, match="floating point"):
        model.to(deepgrad.int64)


def test_forward_hooks_and_pre_hooks():
    layer = nn.Linear(2, 2)
    seen = []
    handle = layer.register_forward_hook(lambda m, inp, out: seen.append(out.shape))
    pre = layer.register_forward_pre_hook(lambda m, inp: (inp[0] * 0,))
    out = layer(deepgrad.randn(3, 2))
    assert seen == [(3, 2)]
    np.testing.assert_allclose(out.detach().numpy(),
                               np.broadcast_to(layer.bias.detach().numpy(), (3, 2)))
    replaced = layer.register_forward_hook(lambda m, inp, out: out * 0 + 1)
    assert (layer(deepgrad.randn(1, 2)).detach().numpy() == 1).all()
    for h in (handle, pre, replaced):
        h.remove()
    layer(deepgrad.randn(1, 2))
    assert len(seen) == 2


def test_registration_errors_and_attribute_access():
    class Net(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super"):
        Net()
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="Parameter"):
        m.weight = deepgrad.randn(2, 2)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        _ = m.nope
    m.weight = nn.Parameter(deepgrad.ones(2, 2))
    assert (m.weight.detach().numpy() == 1).all()
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_module_paths_follow_nesting():
    model = mlp(deepgrad)
    assert model.heads["cls"]._describe() == "Linear at 'heads.cls'"
    assert model.features[1].path == "features.1"
    assert nn.Linear(1, 1)._describe() == "Linear"


def test_deepcopy_is_independent():
    model = mlp(deepgrad)
    clone = copy.deepcopy(model)
    with deepgrad.no_grad():
        clone.heads["cls"].weight.fill_(0)
    assert not (model.heads["cls"].weight.detach().numpy() == 0).all()
    assert list(clone.state_dict()) == list(model.state_dict())


def test_parameter_repr_and_type():
    p = nn.Parameter(deepgrad.ones(2))
    assert p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor([1., 1.]")
