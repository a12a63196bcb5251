import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad import nn
from deepgrad.io import load_torch_state_dict
from deepgrad.io.checkpoint import load_training_state, save_training_state


def test_save_load_nested_structures_round_trip(tmp_path):
    obj = {"w": dg.randn(3, 2), "n": 3, "f": 0.5, "s": "x", "none": None, "flag": True,
           "nested": [dg.arange(4), (1, 2.0)], 7: {"inf": float("inf")},
           "a64": dg.tensor([1.0, 2.0], dtype=dg.float64)}
    dg.save(obj, tmp_path / "c.safetensors")
    back = dg.load(tmp_path / "c.safetensors")
    np.testing.assert_array_equal(back["w"].numpy(), obj["w"].numpy())
    assert back["nested"][0].dtype == dg.int64 and back["nested"][1] == (1, 2.0)
    assert back["a64"].dtype == dg.float64 and back[7]["inf"] == float("inf")
    assert (back["n"], back["f"], back["s"], back["none"], back["flag"]) == (3, 0.5, "x", None,
                                                                            True)


def test_save_is_atomic_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    dg.save({"a": dg.ones(2)}, path)
    import os

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        dg.save({"a": dg.zeros(2)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(dg.load(path)["a"].numpy(), [1, 1])
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_load_refuses_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        dg.load(tmp_path / "none.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x80\x04pickle-bytes")
    with pytest.raises(RuntimeError, match="not a readable safetensors"):
        dg.load(bad)
    with pytest.raises(TypeError, match="cannot store"):
        dg.save({"f": lambda: 0}, tmp_path / "x.safetensors")


def test_training_state_restores_model_optimizer_and_rng(tmp_path):
    model = nn.Linear(3, 2)
    opt = dg.optim.Adam(model.parameters(), lr=0.1)
    model(dg.randn(4, 3)).sum().backward()
    opt.step()
    save_training_state(tmp_path / "t.safetensors", model, opt, epoch=3, step=9,
                        extra={"best": 0.5})
    expected_draw = dg.rand(3).numpy()
    model2 = nn.Linear(3, 2)
    opt2 = dg.optim.Adam(model2.parameters(), lr=0.1)
    state = load_training_state(tmp_path / "t.safetensors", model2, opt2)
    assert (state["epoch"], state["step"], state["extra"]) == (3, 9, {"best": 0.5})
    np.testing.assert_array_equal(dg.rand(3).numpy(), expected_draw)
    np.testing.assert_array_equal(model2.weight.detach().numpy(), model.weight.detach().numpy())
    for p, q in zip(model.parameters(), model2.parameters()):
        p.grad = dg.ones_like(p)
        q.grad = dg.ones_like(q)
    opt.step()
    opt2.step()
    np.testing.assert_array_equal(model2.weight.detach().numpy(), model.weight.detach().numpy())


def test_torch_state_dict_from_safetensors_and_pth(tmp_path):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    save_file(reference.state_dict(), str(tmp_path / "w.safetensors"))
    torch.save(reference.state_dict(), tmp_path / "w.pth")
    ours = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    for name in ("w.safetensors", "w.pth"):
        ours.load_state_dict(load_torch_state_dict(tmp_path / name))
        np.testing.assert_allclose(ours(dg.tensor(x)).detach().numpy(),
                                   reference(torch.tensor(x)).detach().numpy(), atol=1e-6)
