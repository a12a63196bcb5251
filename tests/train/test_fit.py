"""fit / Trainer / evaluate / predict end to end, against a hand-written loop and against torch."""

import math

import numpy as np
import pytest
import torch

import deepgrad

pytest.importorskip("deepgrad.optim", reason="needs deepgrad.optim")
pytest.importorskip("deepgrad.utils.data", reason="needs deepgrad.utils.data")

from deepgrad import nn, optim  # noqa: E402, I001
from deepgrad.train import (  # noqa: E402
    EarlyStopping,
    LRSchedulerCallback,
    ModelCheckpoint,
    Trainer,
    TrainingInterrupted,
    evaluate,
    fit,
    predict,
)
from deepgrad.utils.data import DataLoader, TensorDataset  # noqa: E402
from train_toys import toy_data  # noqa: E402


def _mlp(dtype=deepgrad.float32):
    deepgrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    return model.to(dtype)


def _torch_twin(model):
    twin = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    twin = twin.double()
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    return twin


def test_fit_matches_torch_training_loop():
    x, y = toy_data()
    x = x.astype(np.float64)
    model = _mlp(deepgrad.float64)
    twin = _torch_twin(model)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, (x, y), loss=nn.CrossEntropyLoss(), optimizer=opt, epochs=3,
                  batch_size=32, shuffle=False, metrics=["accuracy"], verbose=0)
    topt = torch.optim.SGD(twin.parameters(), lr=0.1, momentum=0.9)
    xt, yt = torch.tensor(x), torch.tensor(y)
    epoch_losses = []
    for _ in range(3):
        total = 0.0
        for i in range(0, len(x), 32):
            twin.train()
            topt.zero_grad()
            loss = torch.nn.functional.cross_entropy(twin(xt[i:i + 32]), yt[i:i + 32])
            loss.backward()
            topt.step()
            total += loss.item() * len(yt[i:i + 32])
        epoch_losses.append(total / len(x))
    for key, value in twin.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[key].numpy(), value.numpy(), rtol=1e-10,
                                   atol=1e-12)
    np.testing.assert_allclose(history.history["loss"], epoch_losses, rtol=1e-10)
    assert history.epoch == [0, 1, 2] and len(history["accuracy"]) == 3


def test_data_forms_give_identical_runs():
    x, y = toy_data()
    results = []
    for make_data in (lambda: (x, y),
                      lambda: TensorDataset(deepgrad.tensor(x), deepgrad.tensor(y)),
                      lambda: DataLoader(TensorDataset(deepgrad.tensor(x), deepgrad.tensor(y)),
                                         batch_size=64, shuffle=False)):
        model = _mlp()
        fit(model, make_data(), optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=2,
            batch_size=64, shuffle=False, verbose=0)
        results.append(model.state_dict()["2.weight"].numpy())
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])
    assert results[0].dtype == np.float32


def test_validation_evaluate_predict():
    x, y = toy_data()
    model = _mlp()
    history = fit(model, (x[:200], y[:200]), val_data=(x[200:], y[200:]),
                  optimizer=optim.Adam(model.parameters(), lr=0.01), epochs=3,
                  metrics=["accuracy", "f1"], verbose=0)
    assert set(history.history) == {"loss", "accuracy", "f1", "val_loss", "val_accuracy",
                                    "val_f1", "lr"}
    result = evaluate(model, (x[200:], y[200:]), loss=nn.CrossEntropyLoss(),
                      metrics=["accuracy"])
    assert result["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-6)
    assert result["accuracy"] == pytest.approx(history["val_accuracy"][-1])
    model.train()
    scores = predict(model, x[200:], batch_size=10)
    assert scores.shape == (56, 3) and not scores.requires_grad
    assert model.training  # mode restored
    with deepgrad.no_grad():
        direct = model(deepgrad.tensor(x[200:]))
    np.testing.assert_allclose(scores.numpy(), direct.numpy(), rtol=1e-6)
    expected = (direct.numpy().argmax(1) == y[200:]).mean()
    assert result["accuracy"] == pytest.approx(expected)


def test_nan_loss_stops_with_clear_message():
    x, y = toy_data()
    x = x.copy()
    x[70] = np.nan  # batch 3 of 32 samples
    model = _mlp()
    with pytest.warns(RuntimeWarning, match=r"loss is nan at epoch 1/2, batch 3/8"):
        history = fit(model, (x, y), optimizer=optim.SGD(model.parameters(), lr=0.1),
                      epochs=2, batch_size=32, shuffle=False, verbose=0)
    assert "batch 3" in history.stop_reason
    assert all(np.isfinite(p.detach().numpy()).all() for p in model.parameters())
    with pytest.raises(TrainingInterrupted, match="epoch 1/2, batch 3"):
        fit(_mlp(), (x, y), epochs=2, batch_size=32, shuffle=False, verbose=0, on_nan="raise")


def test_early_stopping_in_fit_restores_best():
    x, y = toy_data()
    model = _mlp()
    stopper = EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    # a far too large learning rate makes validation loss go up quickly
    history = fit(model, (x[:200], y[:200]), val_data=(x[200:], y[200:]),
                  optimizer=optim.SGD(model.parameters(), lr=3.0), epochs=30, verbose=0,
                  callbacks=[stopper])
    assert len(history.epoch) < 30 and history.stop_reason.startswith("EarlyStopping")
    best = min(history["val_loss"])
    assert evaluate(model, (x[200:], y[200:]), loss="cross_entropy",
                    metrics=[])["loss"] == pytest.approx(best, rel=1e-5)


def test_lr_scheduler_matches_torch():
    x, y = toy_data()
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    history = fit(model, (x, y), optimizer=opt, epochs=5, verbose=0,
                  callbacks=[LRSchedulerCallback(sched)])
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=2, gamma=0.5)
    expected = []
    for _ in range(5):
        expected.append(topt.param_groups[0]["lr"])
        topt.step()
        tsched.step()
    assert history["lr"] == pytest.approx(expected)


def test_model_checkpoint_best_only_and_weights(tmp_path):
    x, y = toy_data()
    model = _mlp()
    ckpt = ModelCheckpoint(tmp_path / "best.safetensors", monitor="val_accuracy",
                           save_best_only=True, save_weights_only=True)
    every = ModelCheckpoint(tmp_path / "e{epoch:02d}.safetensors", save_weights_only=True)
    fit(model, (x[:200], y[:200]), val_data=(x[200:], y[200:]), metrics=["accuracy"],
        optimizer=optim.Adam(model.parameters(), lr=0.01), epochs=3, verbose=0,
        callbacks=[ckpt, every])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "best.safetensors", "e01.safetensors", "e02.safetensors", "e03.safetensors"]
    from safetensors.numpy import load_file  # a standard safetensors file of the state_dict

    last = load_file(tmp_path / "e03.safetensors")
    assert sorted(last) == sorted(model.state_dict())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(last[key], value.numpy())


def test_trainer_progress_output(capsys):
    x, y = toy_data()
    model = _mlp()
    Trainer(model, optimizer="sgd", metrics=["accuracy"], verbose=2).fit((x, y), epochs=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "accuracy:" in out
    assert math.isfinite(float(out.split("loss: ")[1].split()[0]))
