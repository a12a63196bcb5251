"""load_pretrained's checks, and the fine-tuning mechanics: freezing, a new head, parameter
groups with their own learning rates, and the transfer-learning experiment on tiny data."""

import numpy as np
import pytest
import torch
import torch_reference as ref

import deepgrad as dg
from deepgrad import models, nn, optim
from deepgrad.models import load_pretrained


def _lenet_state():
    torch.manual_seed(0)
    return ref.LeNet5().state_dict()


def _numpy(tensor):
    return tensor.detach().numpy().copy()


def test_load_pretrained_sources_prefix_and_dtype(tmp_path):
    from safetensors.torch import save_file

    state = _lenet_state()
    for source in (state, {f"module.{k}": v for k, v in state.items()},  # DataParallel prefix
                   {k: v.double().numpy() for k, v in state.items()}, ref.LeNet5()):
        model = models.lenet5()
        result = load_pretrained(model, source)
        assert result == ([], [], [])
        expected = (source if isinstance(source, torch.nn.Module) else ref.LeNet5())
        if not isinstance(source, torch.nn.Module):
            expected.load_state_dict(state)
        np.testing.assert_allclose(_numpy(model.features[0].weight),
                                   expected.features[0].weight.detach().numpy(), rtol=1e-7)
        assert model.features[0].weight.dtype == np.float32
    save_file(state, str(tmp_path / "lenet.safetensors"))
    model = models.lenet5()
    load_pretrained(model, tmp_path / "lenet.safetensors")
    np.testing.assert_array_equal(_numpy(model.classifier[5].bias),
                                  state["classifier.5.bias"].numpy())


def test_load_pretrained_names_every_problem_and_copies_nothing():
    state = dict(_lenet_state())
    del state["features.3.bias"]
    state["features.9.weight"] = torch.zeros(3)
    model = models.lenet5(num_classes=5)
    before = _numpy(model.features[0].weight)
    with pytest.raises(RuntimeError) as info:
        load_pretrained(model, state)
    message = str(info.value)
    assert "LeNet5" in message
    assert "missing key(s) in the checkpoint (1): features.3.bias" in message
    assert "unexpected key(s) in the checkpoint (1): features.9.weight" in message
    assert ("size mismatch for classifier.5.weight: checkpoint has shape (10, 84), LeNet5 has "
            "(5, 84)") in message
    assert "exclude=" in message  # the hint for a different head
    np.testing.assert_array_equal(_numpy(model.features[0].weight), before)


def test_load_pretrained_exclude_and_non_strict():
    state = _lenet_state()
    model = models.lenet5(num_classes=3)
    head = _numpy(model.classifier[5].weight)
    result = load_pretrained(model, state, exclude=("classifier.5.",))
    assert result.skipped_keys == ["classifier.5.weight", "classifier.5.bias"]
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(_numpy(model.classifier[5].weight), head)  # fresh head kept
    np.testing.assert_array_equal(_numpy(model.classifier[3].weight),
                                  state["classifier.3.weight"].numpy())

    partial = {k: v for k, v in state.items() if k.startswith("features.")}
    partial["extra"] = torch.ones(1)
    model = models.lenet5()
    result = load_pretrained(model, partial, strict=False)
    assert result.missing_keys == [k for k in state if k.startswith("classifier.")]
    assert result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(_numpy(model.features[3].weight),
                                  state["features.3.weight"].numpy())
    with pytest.raises(TypeError, match="load_pretrained"):
        load_pretrained(model, 42)
    with pytest.raises(TypeError, match="features.0.weight"):
        load_pretrained(model, {"features.0.weight": [1.0]}, strict=False)


def _step(model, optimizer, steps=3, classes=3, size=32):
    for step in range(steps):
        optimizer.zero_grad()
        x = dg.randn(4, 3, size, size)
        loss = nn.functional.cross_entropy(model(x), dg.tensor([0, 1, 2, step % classes]))
        loss.backward()
        optimizer.step()


def test_freeze_body_and_replace_head():
    dg.manual_seed(0)
    model = models.resnet18(num_classes=10, small_input=True)
    model.requires_grad_(False)
    model.fc = nn.Linear(512, 3)  # a new module: trainable although the body is frozen
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["fc.weight", "fc.bias"]
    frozen = {n: _numpy(p) for n, p in model.named_parameters() if not n.startswith("fc.")}
    head = _numpy(model.fc.weight)
    _step(model, optim.SGD(model.fc.parameters(), lr=0.1, momentum=0.9))
    for name, value in frozen.items():
        parameter = model.get_parameter(name)
        assert parameter.grad is None, name
        np.testing.assert_array_equal(_numpy(parameter), value, err_msg=name)
    assert model.fc.weight.grad is not None
    assert not np.array_equal(_numpy(model.fc.weight), head)


def test_freeze_single_parameters_and_optimizer_over_all_parameters():
    dg.manual_seed(1)
    model = models.lenet5(num_classes=3, in_channels=3)
    model.features[0].weight.requires_grad = False
    model.features[3].requires_grad_(False)
    frozen = [model.features[0].weight, model.features[3].weight, model.features[3].bias]
    before = [_numpy(p) for p in frozen]
    trainable = _numpy(model.features[0].bias)
    # an optimizer over every parameter: frozen ones have no grad, so SGD skips them
    _step(model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3),
          size=28)
    for parameter, value in zip(frozen, before):
        assert parameter.grad is None
        np.testing.assert_array_equal(_numpy(parameter), value)
    assert not np.array_equal(_numpy(model.features[0].bias), trainable)


def test_parameter_groups_get_their_own_learning_rates():
    dg.manual_seed(2)
    model = models.lenet5(num_classes=3, in_channels=3)
    body = list(model.features.parameters())
    head = list(model.classifier.parameters())
    optimizer = optim.SGD([{"params": body, "lr": 1e-3}, {"params": head}], lr=0.1)
    assert [g["lr"] for g in optimizer.param_groups] == [1e-3, 0.1]
    before = [_numpy(p) for p in body + head]
    _step(model, optimizer, steps=1, size=28)
    for parameter, value, lr in zip(body + head, before, [1e-3] * len(body) + [0.1] * len(head)):
        np.testing.assert_allclose(_numpy(parameter), value - lr * parameter.grad.numpy(),
                                   rtol=1e-6, atol=1e-8)


def test_finetune_experiment_on_tiny_data():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 20)
    x = (rng.standard_normal((80, 1, 28, 28)) + y[:, None, None, None]).astype(np.float32)
    results = models.finetune_experiment(
        pretrain_classes=(0, 1), target_classes=(2, 3), per_class=5, pretrain_epochs=1,
        finetune_epochs=2, batch_size=5, data=(x, y, x, y), verbose=False)
    for key in ("pretrain_accuracy", "scratch", "linear_probe", "finetune", "conv_transfer"):
        assert 0.0 <= results[key] <= 1.0
    assert results["per_class"] == 5 and results["model"] == "lenet5"
    with pytest.raises(ValueError, match="finetune_experiment"):
        models.finetune_experiment(model="alexnet", data=(x, y, x, y))
