"""`deepgrad train` / `deepgrad sample` for generative models, with a toy model that follows the
protocol of deepgrad.train.generative (registered for the test only)."""

import numpy as np
import pytest

import deepgrad
from deepgrad import nn, optim
from deepgrad.cli import main
from deepgrad.cli.image_io import read_png, write_png
from deepgrad.models import MODELS


class ToyGenerator(nn.Module):
    """x̂ = sigmoid(W z + b) from a latent z (and a class embedding when conditional)."""

    task = "generative"

    def __init__(self, in_channels=1, image_size=8, num_classes=None, latent_dim=3):
        super().__init__()
        self.shape = (in_channels, image_size, image_size)
        self.latent_dim = latent_dim
        self.embed = nn.Embedding(num_classes, latent_dim) if num_classes else None
        self.decode = nn.Linear(latent_dim, int(np.prod(self.shape)))
        self.seen_labels = None

    def configure_optimizers(self, lr=None):
        return {"model": optim.Adam(self.parameters(), lr=lr or 1e-2)}

    def _generate(self, n, labels=None):
        z = deepgrad.randn(n, self.latent_dim)
        if self.embed is not None:
            z = z + self.embed(deepgrad.tensor(np.asarray(labels, dtype=np.int64)))
        return self.decode(z).sigmoid().reshape((n,) + self.shape)

    def train_step(self, x, y, optimizers):
        opt = optimizers["model"]
        opt.zero_grad()
        loss = ((self._generate(len(x), y.numpy() if self.embed else None) - x) ** 2).mean()
        loss.backward()
        opt.step()
        return {"loss": loss.item()}

    def evaluate_step(self, x, y):
        with deepgrad.no_grad():
            out = self._generate(len(x), y.numpy() if self.embed else None)
            return {"mse": ((out - x) ** 2).mean().item()}

    def sample(self, n, labels=None):
        self.seen_labels = None if labels is None else list(labels)
        with deepgrad.no_grad():
            return self._generate(n, labels)


def toy_gen(in_channels=1, image_size=8, latent_dim=3):
    return ToyGenerator(in_channels, image_size, None, latent_dim)


def toy_cgen(in_channels=1, image_size=8, num_classes=10, latent_dim=3):
    return ToyGenerator(in_channels, image_size, num_classes, latent_dim)


toy_gen.task = toy_cgen.task = "generative"


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(MODELS, "toy_gen", toy_gen)
    monkeypatch.setitem(MODELS, "toy_cgen", toy_cgen)


def _train(tmp_path, model, *extra):
    out = tmp_path / "runs"
    code = main(["train", model, "--dataset", "digits", "--epochs", "2", "--limit", "300",
                 "--out", str(out), "--name", model, "-q", *extra])
    assert code == 0
    return out / model


def test_train_then_sample(tmp_path, capsys, registered):
    run = _train(tmp_path, "toy_gen")
    text = capsys.readouterr().out
    assert "training toy_gen" in text and "test: mse" in text and "1x8x8" in text
    for name in ("model.safetensors", "history.csv", "samples.png", "curves.png"):
        assert (run / name).exists(), name
    assert len((run / "history.csv").read_text().strip().splitlines()) == 3
    grid = tmp_path / "grid.png"
    assert main(["sample", str(run / "model.safetensors"), "--n", "9", "--out", str(grid)]) == 0
    assert "wrote 9 samples from toy_gen" in capsys.readouterr().out
    image = read_png(grid, use_matplotlib=False)
    assert image.shape == (3 * 10 + 2, 3 * 10 + 2, 1)  # 3×3 tiles of 8 px, padding 2
    # the same seed gives the same grid, another seed another
    again = tmp_path / "again.png"
    main(["sample", str(run / "model.safetensors"), "--n", "9", "--out", str(again)])
    assert again.read_bytes() == grid.read_bytes()
    main(["sample", str(run / "model.safetensors"), "--n", "9", "--out", str(again),
          "--seed", "1"])
    assert again.read_bytes() != grid.read_bytes()
    capsys.readouterr()
    assert main(["sample", str(run / "model.safetensors"), "--label", "3"]) == 2
    assert "not class-conditional" in capsys.readouterr().err
    assert main(["sample", str(run / "model.safetensors"), "--steps", "5"]) == 2
    assert "--steps does not apply to ToyGenerator" in capsys.readouterr().err
    assert main(["eval", str(run / "model.safetensors")]) == 2
    assert "deepgrad sample" in capsys.readouterr().err


def test_conditional_labels(tmp_path, capsys, registered, monkeypatch):
    run = _train(tmp_path, "toy_cgen")
    seen = []
    original = ToyGenerator.sample
    monkeypatch.setattr(ToyGenerator, "sample",
                        lambda self, n, labels=None: seen.append(labels) or original(self, n,
                                                                                     labels))
    path = str(run / "model.safetensors")
    assert main(["sample", path, "--n", "4", "--label", "7", "--out",
                 str(tmp_path / "s.png")]) == 0
    assert seen[-1] == [7, 7, 7, 7]
    assert "of classes [7]" in capsys.readouterr().out
    assert main(["sample", path, "--n", "5", "--label", "1", "--label", "2", "--out",
                 str(tmp_path / "s.png")]) == 0
    assert seen[-1] == [1, 2, 1, 2, 1]
    assert main(["sample", path, "--n", "3", "--out", str(tmp_path / "s.png")]) == 0
    assert seen[-1] == [0, 1, 2]
    assert main(["sample", path, "--label", "10"]) == 2
    assert "out of range: this model has 10 classes" in capsys.readouterr().err


def test_unknown_model_argument(tmp_path, capsys, registered):
    code = main(["train", "toy_gen", "--dataset", "digits", "--epochs", "1", "--limit", "50",
                 "--out", str(tmp_path), "--arg", "depth=3", "-q"])
    assert code == 2 and "takes no argument(s) ['depth']" in capsys.readouterr().err


def test_write_png_round_trip(tmp_path):
    gray = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    write_png(tmp_path / "g.png", gray)
    back = read_png(tmp_path / "g.png", use_matplotlib=False)
    np.testing.assert_allclose(back[..., 0], np.round(gray * 255) / 255, atol=1e-6)
    rgb = np.random.default_rng(0).random((5, 6, 3))
    write_png(tmp_path / "c.png", rgb)
    np.testing.assert_allclose(read_png(tmp_path / "c.png"), np.round(rgb * 255) / 255,
                               atol=1e-6)
    with pytest.raises(ValueError, match=r"write_png: expected an \(H, W\) or \(H, W, 3\)"):
        write_png(tmp_path / "bad.png", np.zeros((2, 3, 4)))


class ToySampler(ToyGenerator):
    """Records the sampler options the command passes (as DDPM's sample takes them)."""

    sample_defaults = {"sampler": "fast", "steps": 5}
    calls = []

    def sample(self, n, labels=None, sampler="slow", steps=None):
        ToySampler.calls.append((sampler, steps))
        return super().sample(n, labels)


def toy_sampler(in_channels=1, image_size=8):
    return ToySampler(in_channels, image_size)


toy_sampler.task = "generative"


def test_model_sample_defaults_and_overrides(tmp_path, monkeypatch):
    monkeypatch.setitem(MODELS, "toy_sampler", toy_sampler)
    run = _train(tmp_path, "toy_sampler")
    assert ToySampler.calls[-1] == ("fast", 5)  # the grid written after training
    path, out = str(run / "model.safetensors"), str(tmp_path / "s.png")
    for extra, expected in (([], ("fast", 5)), (["--steps", "9"], ("fast", 9)),
                            (["--sampler", "slow"], ("slow", None)),
                            (["--sampler", "ddpm"], ("ddpm", None)),
                            (["--sampler", "slow", "--steps", "3"], ("slow", 3))):
        assert main(["sample", path, "--n", "2", "--out", out, *extra]) == 0
        assert ToySampler.calls[-1] == expected, extra


def test_flags_generative_training_does_not_take(tmp_path, capsys, registered):
    code = main(["train", "toy_gen", "--dataset", "digits", "--epochs", "1", "--limit", "50",
                 "--out", str(tmp_path), "-q", "--plots", str(tmp_path / "p")])
    assert code == 2
    assert "--plots is for classifiers" in capsys.readouterr().err
    code = main(["train", "gan", "--dataset", "digits", "--epochs", "1", "--limit", "50",
                 "--out", str(tmp_path), "-q", "--patience", "2"])
    assert code == 2
    assert "--patience does not apply to GAN" in capsys.readouterr().err


def test_resume_continues_a_generative_run(tmp_path, capsys, registered):
    """3 epochs in one go, or 2 then --resume to 3: the same weights and history."""
    import numpy as np

    from deepgrad.train import _state

    whole = _train(tmp_path / "a", "toy_gen", "--epochs", "3", "--no-plot")
    _train(tmp_path / "b", "toy_gen", "--epochs", "2", "--no-plot")
    capsys.readouterr()
    parts = _train(tmp_path / "b", "toy_gen", "--epochs", "3", "--no-plot", "--resume")
    assert "resuming from" in capsys.readouterr().out
    a, _ = _state.load_weights(whole / "model.safetensors")
    b, _ = _state.load_weights(parts / "model.safetensors")
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert (whole / "history.csv").read_text() == (parts / "history.csv").read_text()


def test_patience_stops_on_the_monitored_loss(tmp_path, capsys, registered, monkeypatch):
    # a frozen model: its validation error never improves for long
    monkeypatch.setattr(ToyGenerator, "configure_optimizers",
                        lambda self, lr=None: {"model": optim.SGD(self.parameters(), lr=0.0)})
    monkeypatch.setattr(ToyGenerator, "monitor", "mse", raising=False)
    run = _train(tmp_path, "toy_gen", "--epochs", "8", "--patience", "1", "--no-plot",
                 "--val-split", "0.2")
    assert "EarlyStopping: val_mse did not improve for 1 epochs" in capsys.readouterr().out
    assert len((run / "history.csv").read_text().strip().splitlines()) < 9
