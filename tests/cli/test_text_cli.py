"""`deepgrad train char_lstm|char_transformer` and `deepgrad sample CKPT --prompt ...`, end to end
on a tiny budget."""

import json
import math

import pytest

from deepgrad.cli import main
from deepgrad.train import _state


def _train(tmp_path, model, *extra):
    out = tmp_path / "runs"
    code = main(["train", model, "--text", "python-docs", "--limit", "6000", "--epochs", "2",
                 "--batch-size", "8", "--seq-len", "24", "--lr", "0.01", "--out", str(out),
                 "--name", model, "-q", "--no-plot", *extra])
    assert code == 0
    return out / model


def test_train_and_sample_char_lstm(tmp_path, capsys):
    run = _train(tmp_path, "char_lstm", "--arg", "hidden_size=32", "--arg", "embedding_dim=16",
                 "--clip", "0.5")
    text = capsys.readouterr().out
    assert "truncated BPTT" in text and "clip 0.5" in text
    assert "epoch 2: train perplexity" in text and "val perplexity" in text
    test_ppl = float(text.split("test perplexity: ")[1].split()[0])
    assert 1 < test_ppl < 100                      # vocab ~80: better than uniform
    for name in ("model.safetensors", "checkpoint.safetensors", "history.csv"):
        assert (run / name).exists(), name
    rows = (run / "history.csv").read_text().strip().splitlines()
    assert len(rows) == 3 and "val_perplexity" in rows[0]
    _, meta = _state.load_weights(run / "model.safetensors")
    assert meta["task"] == "text" and meta["model"] == "char_lstm"
    assert meta["model_kwargs"]["hidden_size"] == 32
    assert meta["model_kwargs"]["vocab_size"] == len(meta["vocab"])
    assert math.isclose(meta["test_perplexity"], test_ppl, rel_tol=1e-3)

    ckpt = str(run / "model.safetensors")
    assert main(["sample", ckpt, "--prompt", "the ", "--length", "40", "--seed", "3"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("the ") and len(first.rstrip("\n")) >= 44
    assert main(["sample", ckpt, "--prompt", "the ", "--length", "40", "--seed", "3"]) == 0
    assert capsys.readouterr().out == first        # seeded
    assert main(["sample", ckpt, "--prompt", "the ", "--length", "40", "--temperature", "0",
                 "--top-k", "3", "--out", str(tmp_path / "s.txt")]) == 0
    greedy = capsys.readouterr().out
    assert (tmp_path / "s.txt").read_text(encoding="utf-8") in greedy
    assert main(["sample", ckpt, "--prompt", "\u263a", "--length", "5"]) == 0
    assert "not in the model's vocabulary" in capsys.readouterr().out
    assert main(["sample", ckpt, "--temperature", "-1"]) == 2
    assert "--temperature must be >= 0" in capsys.readouterr().err


def test_train_char_transformer_and_errors(tmp_path, capsys):
    run = _train(tmp_path, "char_transformer", "--arg", "d_model=16", "--arg", "nhead=2",
                 "--arg", "num_layers=1", "--arg", "dim_feedforward=32")
    text = capsys.readouterr().out
    assert "test perplexity:" in text
    _, meta = _state.load_weights(run / "model.safetensors")
    assert meta["model_kwargs"]["max_len"] >= 24
    json.dumps(meta)
    assert main(["sample", str(run / "model.safetensors"), "--prompt", "def ",
                 "--length", "10"]) == 0
    assert capsys.readouterr().out.startswith("def ")
    assert main(["train", "char_lstm", "--text", str(tmp_path / "nope.txt"), "--out",
                 str(tmp_path)]) == 2
    assert "neither a known corpus" in capsys.readouterr().err
    assert main(["train", "char_lstm", "--arg", "vocab_size=3", "--limit", "2000",
                 "--out", str(tmp_path)]) == 2
    assert "vocab_size is set by the text" in capsys.readouterr().err


@pytest.mark.parametrize("flag", [["--seq-len", "0"]])
def test_bad_flags(tmp_path, capsys, flag):
    assert main(["train", "char_lstm", "--limit", "2000", "--out", str(tmp_path), *flag]) == 2
    assert "--seq-len must be at least 1" in capsys.readouterr().err
