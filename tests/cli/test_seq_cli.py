"""`deepgrad train` / `deepgrad sample` for the sentiment classifier and the seq2seq model."""

from deepgrad.cli import main
from deepgrad.train import _state


def test_sentiment_train_and_sample(tmp_path, capsys):
    out = tmp_path / "runs"
    code = main(["train", "sentiment_rnn", "--epochs", "1", "--limit", "200",
                 "--steps-per-epoch", "2", "--out", str(out), "-q", "--no-plot",
                 "--arg", "embedding_dim=6", "--arg", "hidden_size=5", "--arg", "cell='gru'"])
    assert code == 0
    text = capsys.readouterr().out
    assert "test accuracy:" in text and "on rotten-tomatoes: 200 train / 1,275 val" in text
    model = out / "sentiment_rnn-rotten-tomatoes" / "model.safetensors"
    _, meta = _state.load_weights(str(model))
    assert meta["task"] == "sentiment" and meta["class_names"] == ["negative", "positive"]
    assert meta["vocab"][:2] == ["<pad>", "<unk>"] and meta["model_kwargs"]["cell"] == "gru"
    assert main(["sample", str(model), "--prompt", "a fine film | zzzz qqqq"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].split()[0] in ("negative", "positive")
    assert main(["sample", str(model)]) == 2
    assert "--prompt" in capsys.readouterr().err
    assert main(["train", "sentiment_rnn", "--dataset", "nope.tsv", "--out", str(out)]) == 2
    assert "rotten-tomatoes" in capsys.readouterr().err


def test_seq2seq_train_and_sample(tmp_path, capsys):
    out = tmp_path / "runs"
    code = main(["train", "seq2seq", "--epochs", "1", "--limit", "100", "--steps-per-epoch",
                 "2", "--out", str(out), "-q", "--arg", "hidden_size=6",
                 "--arg", "embedding_dim=4", "--arg", "attention='dot'"])
    assert code == 0
    text = capsys.readouterr().out
    assert "exact match on 20 unseen dates: greedy" in text
    run = out / "seq2seq-dates"
    assert (run / "attention.png").exists()
    _, meta = _state.load_weights(str(run / "model.safetensors"))
    assert meta["task"] == "seq2seq" and "".join(meta["tgt_vocab"][4:]) == "0123456789-"
    heat = tmp_path / "heat.png"
    assert main(["sample", str(run / "model.safetensors"), "--prompt", "12 March 2021|1/2/2003",
                 "--top-k", "2", "--out", str(heat)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("'12 March 2021' → greedy '") and ", beam 2 '" in lines[0]
    assert heat.exists()
    assert main(["train", "seq2seq", "--dataset", "mnist", "--out", str(out)]) == 2
    assert "'dates' transduction" in capsys.readouterr().err
