"""fit_generative: the epoch loop over a model's own train_step (averaging, validation, NaN and
check_health stops, callbacks, checkpoints) with tiny toy models."""

import math
import warnings

import numpy as np
import pytest

import deepgrad
from deepgrad import nn, optim
from deepgrad.train import (
    Callback,
    CSVLogger,
    GenerativeTrainer,
    ModelCheckpoint,
    TrainingInterrupted,
    fit_generative,
)


class ToyAE(nn.Module):
    """A linear autoencoder over 1×2×2 images: enough to see a loss go down."""

    task = "generative"

    def __init__(self, nan_at=None, health_at=None):
        super().__init__()
        self.enc, self.dec = nn.Linear(4, 2), nn.Linear(2, 4)
        self.nan_at, self.health_at = nan_at, health_at
        self.steps = 0
        self.health_calls = []

    def configure_optimizers(self, lr=None):
        return {"model": optim.Adam(self.parameters(), lr=0.01 if lr is None else lr)}

    def _loss(self, x):
        flat = x.reshape(x.shape[0], -1)
        return nn.functional.mse_loss(self.dec(self.enc(flat)), flat)

    def train_step(self, x, y, optimizers):
        opt = optimizers["model"]
        opt.zero_grad()
        loss = self._loss(x)
        loss.backward()
        opt.step()
        self.steps += 1
        value = loss.item()
        if self.nan_at is not None and self.steps >= self.nan_at:
            value = math.nan
        logs = {"loss": value, "batch_n": x.shape[0]}
        if x.shape[0] == 2:
            logs["only_small"] = 7.0
        return logs

    def evaluate_step(self, x, y):
        return {"loss": self._loss(x).item()}

    def check_health(self, logs):
        self.health_calls.append(dict(logs))
        if self.health_at is not None and self.steps >= self.health_at:
            return "the toy has collapsed"
        return None


def _data(n=50):
    rng = np.random.default_rng(0)
    basis = rng.standard_normal((2, 4))
    x = (rng.standard_normal((n, 2)) @ basis).reshape(n, 1, 2, 2) * 0.3 + 0.5
    y = rng.integers(0, 3, size=n)
    return x.astype(np.float32), y


def test_losses_are_averaged_per_epoch_weighted_by_batch_size():
    x, y = _data(50)
    model = ToyAE()
    history = fit_generative(model, (x, y), epochs=2, batch_size=16, verbose=0)
    assert history.epoch == [0, 1]
    # batches of 16, 16, 16, 2: the size-weighted mean of the batch sizes
    expected = (3 * 16 * 16 + 2 * 2) / 50
    assert history["batch_n"] == pytest.approx([expected, expected])
    assert history["only_small"] == [7.0, 7.0]  # averaged over the batches that returned it
    assert history["lr"] == [0.01, 0.01]
    assert history.stop_reason is None
    assert model.steps == 8
    assert model.training


def test_loss_goes_down_and_val_uses_evaluate_step():
    x, y = _data(64)
    model = ToyAE()
    history = fit_generative(model, (x[:48], y[:48]), val_data=(x[48:], y[48:]), epochs=6,
                             batch_size=8, verbose=0, lr=0.05)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert "val_loss" in history and "val_batch_n" not in history
    flat = x[48:].reshape(16, -1)
    with deepgrad.no_grad():
        rec = model.dec(model.enc(deepgrad.tensor(flat))).numpy()
    assert history["val_loss"][-1] == pytest.approx(float(((rec - flat) ** 2).mean()), rel=1e-5)


def test_given_optimizers_and_lr_and_steps_per_epoch():
    x, y = _data(40)
    model = ToyAE()
    opt = optim.SGD(model.parameters(), lr=0.123)
    history = fit_generative(model, (x, y), epochs=2, batch_size=4, optimizers=opt, verbose=0,
                             steps_per_epoch=3)
    assert model.steps == 6
    assert history["lr"] == [0.123, 0.123]
    trainer = GenerativeTrainer(ToyAE(), lr=0.5, verbose=0)
    assert trainer.optimizers["model"].param_groups[0]["lr"] == 0.5


def test_bare_image_array_and_dataset_and_loader():
    from deepgrad.utils.data import DataLoader, TensorDataset

    x, y = _data(20)
    seen = []

    class Spy(ToyAE):
        def train_step(self, x, y, optimizers):
            seen.append((tuple(x.shape), None if y is None else (y.dtype, tuple(y.shape))))
            return super().train_step(x, y, optimizers)

    fit_generative(Spy(), x, epochs=1, batch_size=10, verbose=0)
    assert seen == [((10, 1, 2, 2), None)] * 2
    seen.clear()
    fit_generative(Spy(), (x, y), epochs=1, batch_size=10, verbose=0)
    assert seen[0] == ((10, 1, 2, 2), (deepgrad.int64, (10,)))
    seen.clear()
    ds = TensorDataset(deepgrad.tensor(x), deepgrad.tensor(y))
    fit_generative(Spy(), DataLoader(ds, batch_size=5), epochs=1, verbose=0)
    assert len(seen) == 4


def test_nan_stops_with_a_message_naming_the_value_epoch_and_batch():
    x, y = _data(40)
    model = ToyAE(nan_at=7)
    with pytest.warns(RuntimeWarning, match="loss=nan at epoch 2/5, batch 2/5"):
        history = fit_generative(model, (x, y), epochs=5, batch_size=8, verbose=0)
    assert model.steps == 7
    assert "loss=nan" in history.stop_reason and "epoch 2/5" in history.stop_reason
    assert len(history.epoch) == 2  # the stopped epoch is still recorded
    assert math.isfinite(history["loss"][1])  # its mean covers the good batches only


def test_nan_raise_and_ignore():
    x, y = _data(40)
    with pytest.raises(TrainingInterrupted, match="loss=nan at epoch 1/2, batch 3"):
        fit_generative(ToyAE(nan_at=3), (x, y), epochs=2, batch_size=8, verbose=0,
                       on_nan="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = fit_generative(ToyAE(nan_at=3), (x, y), epochs=2, batch_size=8, verbose=0,
                                 on_nan="ignore")
    assert history.stop_reason is None and math.isnan(history["loss"][0])
    with pytest.raises(ValueError, match="on_nan"):
        fit_generative(ToyAE(), (x, y), on_nan="skip")


def test_check_health_message_stops_training():
    x, y = _data(40)
    model = ToyAE(health_at=4)
    with pytest.warns(RuntimeWarning, match="ToyAE.check_health at epoch 1/3, batch 4/5"):
        history = fit_generative(model, (x, y), epochs=3, batch_size=8, verbose=0)
    assert "the toy has collapsed" in history.stop_reason
    assert model.steps == 4
    assert set(model.health_calls[0]) == {"loss", "batch_n"}
    with pytest.raises(TrainingInterrupted, match="collapsed"):
        fit_generative(ToyAE(health_at=1), (x, y), verbose=0, on_nan="raise")


def test_callbacks_see_batches_and_epochs(tmp_path):
    x, y = _data(24)
    events = []

    class Spy(Callback):
        def on_batch_end(self, batch, logs=None):
            events.append(("batch", batch, sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch", epoch, self.trainer.running_logs()["loss"]))
            if epoch == 1:
                self.trainer.stop_training = True

    csv_path = tmp_path / "log.csv"
    history = fit_generative(ToyAE(), (x, y), epochs=4, batch_size=12,
                             callbacks=[Spy(), CSVLogger(csv_path)], verbose=0)
    assert len(history.epoch) == 2
    assert events[0] == ("batch", 0, ["batch", "batch_n", "loss", "size"])
    assert [e[0] for e in events] == ["batch", "batch", "epoch"] * 2
    assert events[2][2] == pytest.approx(history["loss"][0])
    rows = csv_path.read_text().splitlines()
    assert rows[0] == "epoch,loss,batch_n,lr" and len(rows) == 3


def test_progress_output(capsys):
    x, y = _data(16)
    fit_generative(ToyAE(), (x, y), epochs=2, batch_size=8, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss:" in out


def test_model_checkpoint_saves_every_optimizer(tmp_path):
    from deepgrad.io import checkpoint

    class TwoOpt(ToyAE):
        def configure_optimizers(self, lr=None):
            return {"enc": optim.Adam(self.enc.parameters(), lr=0.01),
                    "dec": optim.SGD(self.dec.parameters(), lr=0.02, momentum=0.9)}

        def train_step(self, x, y, optimizers):
            for opt in optimizers.values():
                opt.zero_grad()
            loss = self._loss(x)
            loss.backward()
            for opt in optimizers.values():
                opt.step()
            return {"loss": loss.item()}

    x, y = _data(16)
    model = TwoOpt()
    path = tmp_path / "ckpt.safetensors"
    history = fit_generative(model, (x, y), epochs=2, batch_size=8, verbose=0,
                             callbacks=[ModelCheckpoint(path)])
    assert history["lr_enc"] == [0.01, 0.01] and history["lr_dec"] == [0.02, 0.02]
    fresh = TwoOpt()
    trainer = GenerativeTrainer(fresh, verbose=0)
    state = checkpoint.load_training_state(path, fresh, optimizer=trainer.optimizer)
    assert state["epoch"] == 2 and state["step"] == 4
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[k].numpy(), v.numpy())
    adam_state = trainer.optimizers["enc"].state_dict()["state"]
    assert adam_state and all(int(np.asarray(s["step"])) == 4 for s in adam_state.values())


def test_bad_models_and_returns_are_clear_errors():
    x, y = _data(8)
    with pytest.raises(TypeError, match="has no train_step"):
        fit_generative(nn.Linear(4, 4), (x, y))

    class NoEval(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def configure_optimizers(self, lr=None):
            return {"model": optim.SGD(self.parameters(), lr=0.1)}

        def train_step(self, x, y, optimizers):
            return {"loss": 0.0}

    with pytest.raises(TypeError, match="has no evaluate_step"):
        fit_generative(NoEval(), (x, y), val_data=(x, y), verbose=0)

    class NoOpt(nn.Module):
        def train_step(self, x, y, optimizers):
            return {}

    with pytest.raises(TypeError, match="configure_optimizers"):
        fit_generative(NoOpt(), (x, y))

    class BadReturn(ToyAE):
        def train_step(self, x, y, optimizers):
            return 1.0

    with pytest.raises(TypeError, match="train_step must return a dict"):
        fit_generative(BadReturn(), (x, y), verbose=0)
    with pytest.raises(TypeError, match="optimizers must be a non-empty dict"):
        fit_generative(ToyAE(), (x, y), optimizers={}, verbose=0)
