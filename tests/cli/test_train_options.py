"""``deepgrad train --scheduler`` and ``--augment``: learning rates as torch's schedulers give
them, augmented batches that are crops/flips of the images, and clear errors."""

import csv
import os

import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad.cli import build_parser, main
from deepgrad.cli.commands import _augmented
from deepgrad.cli.data import UsageError

pytest.importorskip("sklearn", reason="the digits data set needs scikit-learn")


def _lrs(run):
    with open(run / "history.csv") as f:
        return [float(row["lr"]) for row in csv.DictReader(f)]


def _torch_lrs(make_scheduler, steps_between_logs, logs, lr):
    """torch's lr after each log: History records it at epoch end, before the epoch's own
    scheduler step (so per-epoch schedulers show the lr the epoch used)."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)
    scheduler, lrs = make_scheduler(optimizer), []
    for _ in range(logs):
        for _ in range(steps_between_logs[0]):
            optimizer.step()
            scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
        for _ in range(steps_between_logs[1]):
            optimizer.step()
            scheduler.step()
    return lrs


@pytest.mark.parametrize("scheduler", ["onecycle", "cosine"])
def test_scheduler_lrs_equal_torch(tmp_path, capsys, scheduler):
    # 200 samples, val split 0.1 -> 180 train, batch 64 -> 3 steps per epoch
    assert main(["train", "mlp", "--dataset", "digits", "--limit", "200", "--epochs", "3",
                 "--optimizer", "sgd", "--lr", "0.1", "--batch-size", "64", "--scheduler",
                 scheduler, "--arg", "hidden_sizes=[16]", "--out", str(tmp_path), "--name",
                 "s", "-q", "--no-plot"]) == 0
    assert f"{scheduler} lr" in capsys.readouterr().out
    if scheduler == "onecycle":
        expected = _torch_lrs(lambda o: torch.optim.lr_scheduler.OneCycleLR(
            o, 0.1, epochs=3, steps_per_epoch=3), (3, 0), 3, 0.1)
    else:
        expected = _torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 3),
                              (0, 1), 3, 0.1)
    np.testing.assert_allclose(_lrs(tmp_path / "s"), expected, rtol=1e-6)
    assert build_parser().parse_args(["train", "mlp"]).scheduler == "none"


def _candidates(image, padding, background):
    """Every crop of the padded image and of its mirror image, at the original size."""
    h, w = image.shape[-2:]
    out = []
    for im in (image, image[..., ::-1]):
        padded = np.pad(im, ((0, 0), (padding, padding), (padding, padding)),
                        constant_values=background)
        out += [padded[:, t:t + h, s:s + w] for t in range(2 * padding + 1)
                for s in range(2 * padding + 1)]
    return out


def test_augmented_batches_are_crops_and_flips_padded_with_the_background():
    rng = np.random.default_rng(0)
    x = rng.random((12, 1, 8, 8)).astype(np.float32) + 1.0  # no pixel equals the background
    y = np.arange(12)
    meta = {"mean": 0.5, "std": 2.0}  # background 0 -> (0 - 0.5) / 2 = -0.25
    dg.manual_seed(0)
    data = _augmented((x, y), "crop=3, flip", meta)
    fetch = data._batch_fetcher()
    first, labels = fetch(np.arange(12))
    again, _ = fetch(np.arange(12))
    first, again = first.numpy(), again.numpy()
    assert first.shape == x.shape and (labels.numpy() == y).all()
    assert not np.array_equal(first, again)  # a new draw each fetch
    assert np.isclose(first, -0.25).any()  # some crop reaches into the padding
    for i in range(12):
        assert any(np.array_equal(first[i], c) for c in _candidates(x[i], 3, -0.25)), i
    image, label = data[5]
    assert image.shape == (1, 8, 8) and int(label.numpy()) == 5
    assert any(np.array_equal(image.numpy(), c) for c in _candidates(x[5], 3, -0.25))
    assert _augmented((x, y), None, meta) == (x, y)
    flipped = _augmented((x, y), "flip", meta)._batch_fetcher()(np.arange(12))[0].numpy()
    assert all(np.array_equal(f, a) or np.array_equal(f, a[..., ::-1])
               for f, a in zip(flipped, x))


def test_augment_errors(tmp_path, capsys):
    x, y, meta = np.zeros((2, 1, 8, 8), np.float32), np.zeros(2), {"mean": 0.0, "std": 1.0}
    for spec in ("rotate", "crop=x", "flip=2"):
        with pytest.raises(UsageError, match=f"--augment: unknown augmentation '{spec}'"):
            _augmented((x, y), spec, meta)
    with pytest.raises(UsageError, match=r"--augment needs images.*\[64\]"):
        _augmented((np.zeros((2, 64), np.float32), y), "flip", meta)
    assert main(["train", "char_lstm", "--augment", "flip", "--scheduler", "cosine",
                 "--out", str(tmp_path)]) == 2
    assert "--augment, --scheduler: only for classifiers" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "mlp", "--scheduler", "step"])


def test_train_a_resnet_with_augmentation(tmp_path, capsys):
    assert main(["train", "resnet8", "--dataset", "digits", "--limit", "96", "--epochs", "1",
                 "--optimizer", "sgd", "--scheduler", "onecycle", "--augment", "crop,flip",
                 "--arg", "width=4", "--out", str(tmp_path), "--name", "r", "-q",
                 "--no-plot"]) == 0
    text = capsys.readouterr().out
    assert "resnet8 (" in text and "augment crop,flip" in text and "test accuracy:" in text
    assert (tmp_path / "r" / "model.safetensors").exists()


# issue 4's small-ResNet runs, the commands recorded in benchmarks/RESULTS.md (2026-12-02):
# resnet8 for 8 epochs reaches 91.92% (too few epochs for its 78k parameters: its augmented
# train accuracy, 91.9%, is no higher than the test accuracy); resnet14 for 14 epochs reaches
# 93.60%, issue 4's >= 93% bar
SMALL_RESNET_RECIPE = ["--dataset", "fashion-mnist", "--batch-size", "128", "--optimizer", "sgd",
                       "--lr", "0.2", "--momentum", "0.9", "--weight-decay", "5e-4",
                       "--scheduler", "onecycle", "--augment", "crop,flip", "--val-split", "0"]
RESNET8_FASHION_MNIST = ["train", "resnet8", "--epochs", "8"] + SMALL_RESNET_RECIPE
RESNET14_FASHION_MNIST = ["train", "resnet14", "--epochs", "14"] + SMALL_RESNET_RECIPE


# resnet8: 67 min on one shared core under load 4-9, ~25 min on 2 quiet cores;
# resnet14: 70 min on 2 cores (epochs 2-14 at 250-380 s, under load)
@pytest.mark.slow
@pytest.mark.parametrize("command, at_least", [(RESNET8_FASHION_MNIST, 0.915),  # measured 0.9192
                                               (RESNET14_FASHION_MNIST, 0.93)],  # measured 0.9360
                         ids=["resnet8-8-epochs", "resnet14-14-epochs"])
def test_small_resnet_on_fashion_mnist(command, at_least, tmp_path, capsys):
    if not os.path.isdir("/usr/share/datasets/fashion-mnist"):
        pytest.skip("Fashion-MNIST files not installed")
    assert main(command + ["--out", str(tmp_path), "-q", "--no-plot"]) == 0
    accuracy = float(capsys.readouterr().out.split("test accuracy: ")[1].split()[0])
    assert accuracy >= at_least
