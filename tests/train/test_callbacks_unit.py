"""Callbacks driven directly with a stand-in trainer: Keras' early-stopping semantics, CSV
and TensorBoard output, checkpoint naming, scheduler stepping."""

import csv
import math

import numpy as np
import pytest
from train_toys import TwoLayer

from deepgrad.train import (
    CSVLogger,
    EarlyStopping,
    History,
    LRSchedulerCallback,
    TensorBoardLogger,
    TerminateOnNaN,
)
from deepgrad.train.callbacks import CallbackList


class StandIn:
    def __init__(self, model=None):
        self.model = model or TwoLayer()
        self.stop_training = False
        self.history = History()
        self.epoch = 0
        self.global_step = 0
        self.scheduler = None
        self.metadata = {}


def _run_early_stopping(values, **kwargs):
    trainer = StandIn()
    cb = EarlyStopping(**kwargs)
    cb.set_trainer(trainer)
    cb.on_train_begin()
    stopped_after = None
    for epoch, value in enumerate(values):
        cb.on_epoch_end(epoch, {"val_loss": value, "val_accuracy": -value})
        if trainer.stop_training:
            stopped_after = epoch
            break
    cb.on_train_end()
    return cb, stopped_after


def test_early_stopping_patience_counts_epochs_without_improvement():
    # improves at 0,1; epochs 2,3 don't -> patience 2 stops after epoch 3
    cb, stopped = _run_early_stopping([1.0, 0.8, 0.9, 0.85, 0.7], patience=2)
    assert stopped == 3 and cb.best == 0.8 and cb.best_epoch == 1
    _, stopped = _run_early_stopping([1.0, 0.8, 0.9, 0.85, 0.7], patience=3)
    assert stopped is None


def test_early_stopping_min_delta_and_mode():
    # 0.8 -> 0.79 is not an improvement with min_delta 0.05
    cb, stopped = _run_early_stopping([1.0, 0.8, 0.79, 0.78], patience=2, min_delta=0.05)
    assert stopped == 3 and cb.best == 0.8
    cb, stopped = _run_early_stopping([1.0, 0.8, 0.9, 0.95], monitor="val_accuracy", patience=1)
    assert cb.mode == "max" and stopped == 2 and cb.best == -0.8
    assert EarlyStopping(monitor="val_loss").mode == "min"
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")


def test_early_stopping_baseline():
    _, stopped = _run_early_stopping([0.9, 0.8, 0.7], patience=2, baseline=0.5)
    assert stopped == 1


def test_early_stopping_restores_best_weights():
    trainer = StandIn()
    cb = EarlyStopping(patience=1, restore_best_weights=True)
    cb.set_trainer(trainer)
    cb.on_train_begin()
    weight = trainer.model.hidden.weight
    cb.on_epoch_end(0, {"val_loss": 1.0})
    best = weight._data.copy()
    weight._data = weight._data + 1
    cb.on_epoch_end(1, {"val_loss": 2.0})
    assert trainer.stop_training
    cb.on_train_end()
    np.testing.assert_array_equal(trainer.model.hidden.weight._data, best)


def test_early_stopping_warns_on_missing_monitor():
    trainer = StandIn()
    cb = EarlyStopping(monitor="val_f1")
    cb.set_trainer(trainer)
    cb.on_train_begin()
    with pytest.warns(RuntimeWarning, match="val_f1"):
        cb.on_epoch_end(0, {"loss": 1.0})


def test_terminate_on_nan():
    trainer = StandIn()
    cb = TerminateOnNaN()
    cb.set_trainer(trainer)
    cb.on_epoch_begin(2)
    cb.on_batch_end(0, {"loss": 0.5})
    assert not trainer.stop_training
    with pytest.warns(RuntimeWarning, match="epoch 3, batch 5"):
        cb.on_batch_end(4, {"loss": math.nan})
    assert trainer.stop_training
    with pytest.raises(FloatingPointError):
        TerminateOnNaN(raise_error=True).on_batch_end(0, {"loss": math.inf})


def test_history_and_csv_logger(tmp_path):
    trainer = StandIn()
    path = tmp_path / "logs" / "h.csv"
    cbs = CallbackList([trainer.history, CSVLogger(path)], trainer)
    cbs.on_train_begin()
    cbs.on_epoch_end(0, {"loss": 1.5, "accuracy": 0.5, "lr": 0.1})
    cbs.on_epoch_end(1, {"loss": 1.0, "accuracy": 0.7, "lr": 0.1, "val_loss": 1.2})
    cbs.on_train_end()
    assert trainer.history.history["loss"] == [1.5, 1.0]
    assert math.isnan(trainer.history["val_loss"][0]) and trainer.history["val_loss"][1] == 1.2
    assert trainer.history.epoch == [0, 1]
    rows = list(csv.reader(open(path)))
    assert rows[0] == ["epoch", "loss", "accuracy", "lr"]
    assert rows[1:] == [["0", "1.5", "0.5", "0.1"], ["1", "1.0", "0.7", "0.1"]]
    # a resumed run appends below the existing header
    trainer.epoch = 2
    cbs = CallbackList([CSVLogger(path)], trainer)
    cbs.on_train_begin()
    cbs.on_epoch_end(2, {"accuracy": 0.8, "loss": 0.9, "lr": 0.05})
    cbs.on_train_end()
    rows = list(csv.reader(open(path)))
    assert rows[-1] == ["2", "0.9", "0.8", "0.05"] and len(rows) == 4


def _read_events(folder):
    """Parse TensorBoard event files the way TensorBoard does: TFRecord framing with masked
    CRC32C checksums around serialized Event protos."""
    import struct

    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.record_writer import masked_crc32c

    events = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        data = path.read_bytes()
        pos = 0
        while pos < len(data):
            header = data[pos:pos + 8]
            (length,) = struct.unpack("Q", header)
            assert struct.unpack("I", data[pos + 8:pos + 12])[0] == masked_crc32c(header)
            body = data[pos + 12:pos + 12 + length]
            assert struct.unpack("I", data[pos + 12 + length:pos + 16 + length])[0] == \
                masked_crc32c(body)
            events.append(Event.FromString(body))
            pos += 16 + length
    return events


def test_tensorboard_event_files_are_readable(tmp_path):
    trainer = StandIn()
    cb = TensorBoardLogger(tmp_path / "tb", update_freq="batch")
    cbs = CallbackList([cb], trainer)
    cbs.on_train_begin()
    for epoch in range(2):
        for batch in range(3):
            trainer.global_step += 1
            cbs.on_batch_end(batch, {"loss": 1.0 / trainer.global_step})
        cbs.on_epoch_end(epoch, {"loss": 1.0 - epoch / 10, "val_loss": 2.0, "lr": 0.1})
    cbs.on_train_end()
    scalars = {}
    for event in _read_events(tmp_path / "tb"):
        for value in event.summary.value:
            scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
    assert {"loss/train", "loss/val", "lr", "batch/loss"} <= set(scalars)
    assert scalars["loss/train"] == [(1, 1.0), (2, pytest.approx(0.9))]
    assert [step for step, _ in scalars["batch/loss"]] == list(range(1, 7))


class _CountingScheduler:
    def __init__(self):
        self.calls = []

    def step(self, *args):
        self.calls.append(args)


class ReduceLROnPlateau(_CountingScheduler):  # named like the real one, detected by name
    pass


def test_lr_scheduler_callback_epoch_batch_plateau():
    trainer = StandIn()
    sched = _CountingScheduler()
    cb = LRSchedulerCallback(sched, step_per="batch")
    cb.set_trainer(trainer)
    assert trainer.scheduler is sched
    for b in range(4):
        cb.on_batch_end(b, {"loss": 1.0})
    cb.on_epoch_end(0, {"loss": 1.0})
    assert len(sched.calls) == 4
    plateau = ReduceLROnPlateau()
    cb = LRSchedulerCallback(plateau)
    cb.set_trainer(StandIn())
    cb.on_epoch_end(0, {"loss": 1.0, "val_loss": 0.7})
    cb.on_epoch_end(1, {"loss": 0.9})
    assert plateau.calls == [(0.7,), (0.9,)]
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        LRSchedulerCallback(ReduceLROnPlateau(), step_per="batch")
