"""`deepgrad sample` and the task dispatch: classifiers refuse to sample, generators to eval."""

import numpy as np

from deepgrad import nn
from deepgrad.cli import build_parser, main
from deepgrad.train import _state


def _write(path, meta):
    model = nn.Linear(3, 2)
    _state.save_weights(str(path), model, meta)
    return str(path)


def test_sample_parser_defaults():
    args = build_parser().parse_args(["sample", "m.safetensors"])
    assert args.n == 64 and args.out == "samples.png" and args.temperature == 1.0
    assert args.label is None and args.prompt == ""
    args = build_parser().parse_args(["sample", "m.safetensors", "--label", "3", "--label", "5"])
    assert args.label == [3, 5]


def test_sample_refuses_a_classifier(tmp_path, capsys):
    path = _write(tmp_path / "clf.safetensors", {"model": "mlp", "model_kwargs": {}})
    assert main(["sample", path]) == 2
    err = capsys.readouterr().err
    assert "holds a classifier (mlp)" in err and "deepgrad predict" in err


def test_unknown_task_and_bad_files(tmp_path, capsys):
    path = _write(tmp_path / "x.safetensors", {"model": "mlp", "model_kwargs": {},
                                               "task": "nosuchtask"})
    assert main(["sample", path]) == 2
    assert "no command support for models of task 'nosuchtask'" in capsys.readouterr().err
    assert main(["sample", str(tmp_path / "missing.safetensors")]) == 2
    assert "no such file" in capsys.readouterr().err
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(np.arange(40, dtype=np.uint8).tobytes())
    assert main(["sample", str(junk)]) == 2
    assert "not a readable deepgrad model file" in capsys.readouterr().err


def test_eval_and_predict_refuse_a_generator(tmp_path, capsys):
    path = _write(tmp_path / "gen.safetensors", {"model": "mlp", "model_kwargs": {},
                                                 "task": "generative"})
    for command in (["eval", path], ["predict", path, "x.png"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "holds a generative model (mlp)" in err and "deepgrad sample" in err


def test_train_writes_what_it_learned(tmp_path, capsys):
    plots = tmp_path / "plots"
    code = main(["train", "mlp", "--dataset", "digits", "--epochs", "1", "--out",
                 str(tmp_path / "runs"), "-q", "--arg", "hidden_sizes=[16]", "--limit", "300",
                 "--plots", str(plots)])
    assert code == 0
    assert "what it learned:" in capsys.readouterr().out
    for name in ("filters.png", "confusion_matrix.png", "misclassified.png"):
        assert (plots / name).read_bytes()[:4] == b"\x89PNG"


def test_summary_of_token_models(capsys):
    assert main(["summary", "char_lstm"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 370,816" in out and "(1, 64, 128)" in out  # logits of 64 tokens


def test_model_files_keep_0d_buffers(tmp_path):
    """BatchNorm's num_batches_tracked is 0-d: a model file must give it back 0-d."""
    import deepgrad

    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    model(deepgrad.randn(2, 1, 5, 5))
    _state.save_weights(str(tmp_path / "bn.safetensors"), model, {"model": "x"})
    state, meta = _state.load_weights(str(tmp_path / "bn.safetensors"))
    assert state["1.num_batches_tracked"].shape == () and int(state["1.num_batches_tracked"]) == 1
    fresh = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh[1].running_var.numpy(), model[1].running_var.numpy())
