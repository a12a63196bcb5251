"""Every plot renders to a PNG; make_grid tiles exactly."""

import numpy as np
import pytest
from train_toys import FakeConv, TwoLayer

import deepgrad
from deepgrad import viz
from deepgrad.train import History

PNG = b"\x89PNG\r\n\x1a\n"


def _is_png(path):
    return path.exists() and path.read_bytes()[:8] == PNG


def test_plot_history(tmp_path):
    h = History()
    for epoch, (loss, acc) in enumerate([(1.0, 0.5), (0.6, 0.7), (0.4, 0.8)]):
        h.on_epoch_end(epoch, {"loss": loss, "accuracy": acc, "val_loss": loss + 0.1,
                               "val_accuracy": acc - 0.05, "lr": 0.1})
    fig = h.plot(tmp_path / "curves.png")
    assert _is_png(tmp_path / "curves.png")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert len(fig.axes[0].lines) == 2  # train and validation
    with pytest.raises(ValueError, match="nothing to plot"):
        viz.plot_history({})


def test_plot_confusion_matrix(tmp_path):
    cm = np.array([[5, 1], [2, 7]])
    viz.plot_confusion_matrix(cm, ["cat", "dog"], normalize=True, path=tmp_path / "cm.png")
    assert _is_png(tmp_path / "cm.png")
    with pytest.raises(ValueError, match="square"):
        viz.plot_confusion_matrix(np.zeros((2, 3)))


def test_make_grid():
    images = np.arange(2 * 1 * 2 * 3, dtype=np.float32).reshape(2, 1, 2, 3)
    grid = viz.make_grid(images, nrow=2, padding=1)
    assert grid.shape == (1 + 2 + 1, 1 + 2 * (3 + 1))
    np.testing.assert_array_equal(grid[1:3, 1:4], images[0, 0])
    np.testing.assert_array_equal(grid[1:3, 5:8], images[1, 0])
    rgb = viz.make_grid(np.zeros((5, 3, 4, 4)), nrow=4, padding=0)
    assert rgb.shape == (8, 16, 3)


def test_samples_misclassified_filters(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.random((10, 64)).astype(np.float32)
    labels = np.arange(10) % 3
    scores = np.eye(3)[(labels + (np.arange(10) % 2)) % 3]
    viz.plot_samples(deepgrad.tensor(images), labels, ["a", "b", "c"], predictions=scores,
                     path=tmp_path / "s.png")
    viz.plot_misclassified(images, labels, scores, path=tmp_path / "m.png")
    viz.plot_filters(TwoLayer(n_in=16).hidden, path=tmp_path / "f_linear.png")
    viz.plot_filters(rng.standard_normal((6, 3, 5, 5)), path=tmp_path / "f_rgb.png")
    for name in ("s", "m", "f_linear", "f_rgb"):
        assert _is_png(tmp_path / f"{name}.png")
    with pytest.raises(ValueError, match="correctly"):
        viz.plot_misclassified(images, labels, labels)
    with pytest.raises(ValueError, match="image_shape"):
        viz.plot_samples(np.zeros((2, 10)))


def test_plot_feature_maps(tmp_path):
    from deepgrad.nn import Module

    class Net(Module):
        def __init__(self):
            super().__init__()
            self.conv = FakeConv()

        def forward(self, x):
            return self.conv(x) + 1.0

    fig = viz.plot_feature_maps(Net(), np.zeros((1, 1, 8, 8), np.float32), "conv",
                                path=tmp_path / "fm.png")
    assert _is_png(tmp_path / "fm.png")
    assert "(4, 4, 4)" in fig._suptitle.get_text()


def _tiny_cnn():
    from deepgrad import nn

    deepgrad.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(6 * 4 * 4, 3))


def test_plot_what_it_learned_writes_every_plot(tmp_path):
    model = _tiny_cnn()
    x = np.random.default_rng(0).standard_normal((12, 1, 8, 8)).astype(np.float32)
    y_true = np.arange(12) % 3
    y_pred = y_true.copy()
    y_pred[:4] = (y_pred[:4] + 1) % 3
    written = viz.plot_what_it_learned(model, x, y_true, y_pred, tmp_path / "plots",
                                       class_names=["a", "b", "c"])
    names = sorted(p.rsplit("/", 1)[-1] for p in written)
    assert names == ["confusion_matrix.png", "feature_maps_0.png", "feature_maps_3.png",
                     "filters.png", "misclassified.png"]
    for p in written:
        assert _is_png(tmp_path / "plots" / p.rsplit("/", 1)[-1])
    # all correct: no misclassified plot; an MLP's filters are its first Linear's rows
    from deepgrad import nn

    mlp = nn.Sequential(nn.Flatten(), nn.Linear(64, 5), nn.ReLU(), nn.Linear(5, 3))
    written = viz.plot_what_it_learned(mlp, x[:, 0], y_true, y_true, tmp_path / "mlp",
                                       image_shape=(8, 8))
    assert sorted(p.rsplit("/", 1)[-1] for p in written) == ["confusion_matrix.png",
                                                             "filters.png"]
    with pytest.raises(ValueError, match="one entry per sample"):
        viz.plot_what_it_learned(model, x, y_true[:3], y_pred, tmp_path / "bad")
