"""deepgrad.save / load (safetensors + JSON structure), atomic writes, torch import, checkpoints."""

import json
import os
import sys

import numpy as np
import pytest
import torch

import deepgrad as dg
import deepgrad.io.safetensors as st_module
from deepgrad import nn
from deepgrad.io import load_torch_state_dict, load_training_state, save_training_state


def _same(a, b):
    if isinstance(b, (dg.Tensor, np.ndarray)):
        assert type(a) is type(b) or (isinstance(a, dg.Tensor) and isinstance(b, dg.Tensor))
        assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(np.asarray(a.numpy() if isinstance(a, dg.Tensor) else a),
                                      np.asarray(b.numpy() if isinstance(b, dg.Tensor) else b))
    elif isinstance(b, dict):
        assert list(a) == list(b) and all(type(x) is type(y) for x, y in zip(a, b))
        for k in b:
            _same(a[k], b[k])
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(b, float) and np.isnan(b):
        assert np.isnan(a)
    else:
        assert type(a) is type(b) and a == b


def test_save_load_nested_structures_round_trip_exactly(tmp_path):
    w = dg.randn(3, 2)
    obj = {"w": w, "n": 3, "f": 0.5, "s": "x", "none": None, "flag": True,
           "nested": [dg.arange(4), (1, 2.0, [None])], 7: {"inf": float("inf"),
                                                           "nan": float("nan")},
           "a64": dg.tensor([1.0, 2.0], dtype=dg.float64), "half": dg.ones(2, dtype=dg.float16),
           "mask": dg.tensor([True, False]), "scalar": dg.tensor(3.5), "u8": dg.zeros(2, 2,
                                                                                    dtype=dg.uint8),
           "np": np.arange(3, dtype=np.int32), (1, "k"): "tuple key", "empty": dg.zeros(0, 3),
           "same": w, "npscalar": np.float32(1.5), "big": 2**70}
    dg.save(obj, tmp_path / "c.safetensors")
    back = dg.load(tmp_path / "c.safetensors")
    expected = dict(obj, npscalar=1.5)
    _same(back, expected)
    assert isinstance(back["np"], np.ndarray) and back["scalar"].shape == ()
    assert back["same"] is back["w"]  # the same tensor is stored once


def test_optimizer_and_model_state_dicts_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = dg.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    model(dg.randn(5, 3)).sum().backward()
    opt.step()
    dg.save({"model": model.state_dict(), "opt": opt.state_dict()}, tmp_path / "s.safetensors")
    back = dg.load(tmp_path / "s.safetensors")
    _same(back["opt"], opt.state_dict())
    assert back["opt"]["param_groups"][0]["betas"] == (0.8, 0.9)
    assert list(back["opt"]["state"]) == [0, 1, 2, 3]
    model2 = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model2.load_state_dict(back["model"])
    for p, q in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_file_is_plain_safetensors_with_json_structure(tmp_path):
    from safetensors import safe_open
    from safetensors.numpy import save_file

    dg.save({"a": dg.ones(2)}, tmp_path / "x.safetensors")
    with safe_open(str(tmp_path / "x.safetensors"), framework="np") as f:
        meta = f.metadata()
        assert list(f.keys()) == ["a"]
    assert meta["format"] == "deepgrad/1"
    assert json.loads(meta["structure"])["__dict__"][0][0] == "a"
    save_file({"weight": np.eye(2, dtype=np.float32)}, str(tmp_path / "plain.safetensors"))
    plain = dg.load(tmp_path / "plain.safetensors")
    assert list(plain) == ["weight"] and plain["weight"].dtype == np.float32


def test_save_is_atomic_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    dg.save({"a": dg.ones(2)}, path)

    def half_then_crash(f, payload):
        f.write(payload[:len(payload) // 2])
        raise OSError("No space left on device")

    monkeypatch.setattr(st_module, "_write_all", half_then_crash)
    with pytest.raises(OSError, match="No space"):
        dg.save({"a": dg.zeros(1000)}, path)
    monkeypatch.undo()

    def broken_replace(src, dst):
        raise OSError("killed before rename")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="killed"):
        dg.save({"a": dg.zeros(2)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(dg.load(path)["a"].numpy(), [1, 1])
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]  # no temporary files


def test_load_errors_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at"):
        dg.load(tmp_path / "none.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x80\x04pickle-bytes")
    with pytest.raises(RuntimeError, match="not a readable safetensors.*pickle"):
        dg.load(bad)
    torch.save({"w": torch.ones(2)}, tmp_path / "w.pth")
    with pytest.raises(RuntimeError, match="load_torch_state_dict"):
        dg.load(tmp_path / "w.pth")
    dg.save({"a": dg.ones(100)}, tmp_path / "good.safetensors")
    raw = (tmp_path / "good.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(raw[:-50])
    with pytest.raises(RuntimeError, match="save.* again"):
        dg.load(tmp_path / "cut.safetensors")
    with pytest.raises(TypeError, match="cannot store an object of type function"):
        dg.save({"f": lambda: 0}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="dtype"):
        dg.save(np.array(["a"]), tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()


def test_torch_state_dict_from_safetensors_and_pth(tmp_path):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    save_file(reference.state_dict(), str(tmp_path / "w.safetensors"))
    torch.save(reference.state_dict(), tmp_path / "w.pth")
    torch.save({"epoch": 3, "state_dict": reference.state_dict()}, tmp_path / "ckpt.pt")
    ours = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    for name in ("w.safetensors", "w.pth", "ckpt.pt"):
        state = load_torch_state_dict(tmp_path / name)
        assert sorted(state) == sorted(reference.state_dict())  # safetensors sorts its keys
        ours.load_state_dict(state)
        np.testing.assert_allclose(ours(dg.tensor(x)).detach().numpy(),
                                   reference(torch.tensor(x)).detach().numpy(), atol=1e-6)
    with pytest.raises(KeyError, match="no entry 'model'"):
        load_torch_state_dict(tmp_path / "ckpt.pt", key="model")


def test_torch_bfloat16_safetensors_are_widened_exactly(tmp_path):
    from safetensors.torch import save_file

    weights = torch.randn(3, 4).to(torch.bfloat16)
    save_file({"w": weights, "i": torch.arange(3)}, str(tmp_path / "bf16.safetensors"))
    state = load_torch_state_dict(tmp_path / "bf16.safetensors")
    assert state["w"].dtype == np.float32 and state["i"].dtype == np.int64
    np.testing.assert_array_equal(state["w"].numpy(), weights.float().numpy())


def test_pth_without_torch_gives_a_clear_error(tmp_path, monkeypatch):
    torch.save({"w": torch.ones(2)}, tmp_path / "w.pth")
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    with pytest.raises(RuntimeError, match="only through torch.*not installed"):
        load_torch_state_dict(tmp_path / "w.pth")


def _trained(seed):
    dg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5))
    opt = dg.optim.Adam(model.parameters(), lr=0.1)
    sched = dg.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    return model, opt, sched


def _step(model, opt, sched):
    model(dg.randn(4, 3)).sum().backward()
    opt.step()
    opt.zero_grad()
    sched.step()


def test_training_state_resume_continues_exactly(tmp_path):
    model, opt, sched = _trained(0)
    _step(model, opt, sched)
    save_training_state(tmp_path / "t.safetensors", model, opt, sched, epoch=3, step=9,
                        extra={"best": 0.5, "history": [1.0, 0.5]})
    _step(model, opt, sched)  # the uninterrupted run goes on
    model2, opt2, sched2 = _trained(123)  # a fresh process with other weights and seed
    state = load_training_state(tmp_path / "t.safetensors", model2, opt2, sched2)
    assert (state["epoch"], state["step"]) == (3, 9)
    assert state["extra"] == {"best": 0.5, "history": [1.0, 0.5]}
    _step(model2, opt2, sched2)  # same batch, same dropout mask, same Adam moments
    for p, q in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    assert opt.param_groups[0]["lr"] == opt2.param_groups[0]["lr"]


def test_training_state_errors(tmp_path):
    model, opt, _ = _trained(0)
    save_training_state(tmp_path / "t.safetensors", model)
    with pytest.raises(RuntimeError, match="no optimizer state"):
        load_training_state(tmp_path / "t.safetensors", model, opt)
    dg.save({"weight": dg.ones(2)}, tmp_path / "w.safetensors")
    with pytest.raises(RuntimeError, match="not a deepgrad training checkpoint"):
        load_training_state(tmp_path / "w.safetensors", model)
    with pytest.raises(FileNotFoundError):
        load_training_state(tmp_path / "missing.safetensors", model)


def test_save_load_through_file_objects():
    import io

    buffer = io.BytesIO()
    dg.save({"w": dg.arange(3), "t": (1, "a")}, buffer)
    buffer.seek(0)
    back = dg.load(buffer)
    assert back["t"] == (1, "a") and back["w"].tolist() == [0, 1, 2]
    with pytest.raises(RuntimeError, match="not a readable safetensors"):
        dg.load(io.BytesIO(b"\x80\x04junk"))


def test_saved_state_dict_loads_in_torch_under_its_names(tmp_path):
    from safetensors.torch import load_file

    ours = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    dg.save(ours.state_dict(), tmp_path / "m.safetensors")
    reference = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    reference.load_state_dict(load_file(str(tmp_path / "m.safetensors")))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(reference(torch.tensor(x)).detach().numpy(),
                               ours(dg.tensor(x)).detach().numpy(), atol=1e-6)
    dg.save({"a.b": dg.ones(1), "a": {"b": dg.zeros(1)}}, tmp_path / "clash.safetensors")
    back = dg.load(tmp_path / "clash.safetensors")
    assert back["a.b"].tolist() == [1.0] and back["a"]["b"].tolist() == [0.0]


def _structures():
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    dtypes = st.sampled_from([np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_,
                              np.float16])
    arrays = dtypes.flatmap(lambda d: hnp.arrays(d, hnp.array_shapes(min_dims=0, max_dims=3,
                                                                     min_side=0, max_side=3)))
    leaves = st.one_of(st.none(), st.booleans(), st.integers(-2**80, 2**80),
                       st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5),
                       arrays.map(dg.tensor), arrays)
    keys = st.one_of(st.text(max_size=4), st.integers(-5, 5))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(keys, inner, max_size=3)), max_leaves=8)


def test_round_trip_property(tmp_path):
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_structures())
    def check(obj):
        path = tmp_path / "h.safetensors"
        dg.save(obj, path)
        _same(dg.load(path), obj)

    check()
