"""summary(): rows from forward hooks, totals split into trainable / non-trainable / buffers."""

from train_toys import Affine, FakeConv, TwoLayer

import deepgrad
from deepgrad.nn import Module, Parameter
from deepgrad.train import summary


def test_rows_shapes_and_totals():
    model = TwoLayer(4, 16, 3)
    text = summary(model, (4,), print_fn=None)
    assert [r["name"] for r in text.rows] == ["hidden", "out"]
    assert [r["output_shape"] for r in text.rows] == [(1, 16), (1, 3)]
    assert [r["params"] for r in text.rows] == [80, 51]
    assert text.total_params == 131 == text.trainable_params
    assert text.non_trainable_params == 0 and text.buffer_elements == 0
    assert "Total params: 131" in text and "hidden" in text and "(1, 16)" in text


def test_frozen_params_buffers_and_kernel_column():
    class Net(Module):
        def __init__(self):
            super().__init__()
            self.conv = FakeConv()
            self.head = Affine(4 * 2 * 2, 2)
            self.scale = Parameter(deepgrad.ones(2))  # owned by a non-leaf module

        def forward(self, x):
            return self.head(self.conv(x).reshape(x.shape[0], -1)) * self.scale

    model = Net()
    model.head.requires_grad_(False)
    model.train()
    text = summary(model, (1, 4, 4), batch_size=2, print_fn=None)
    assert text.total_params == 36 + 34 + 2
    assert text.trainable_params == 36 + 2
    assert text.non_trainable_params == 34
    assert text.buffer_elements == 4
    assert "3x3 / 2 / 1" in text and "Kernel / Stride / Pad" in text
    assert "(2, 4, 2, 2)" in text
    assert {r["name"] for r in text.rows} == {"conv", "head", "(model)"}
    assert model.training and model.conv.training  # modes restored
    assert not model.conv._forward_hooks  # hooks removed


def test_summary_prints_and_leaves_rng_alone(capsys):
    model = TwoLayer()
    state = deepgrad.get_rng_state()
    summary(model, (4,))
    assert "Trainable params" in capsys.readouterr().out
    assert deepgrad.get_rng_state() == state


def test_shared_module_counted_once():
    class Shared(Module):
        def __init__(self):
            super().__init__()
            self.layer = Affine(3, 3)

        def forward(self, x):
            return self.layer(self.layer(x))

    text = summary(Shared(), (3,), print_fn=None)
    assert [r["params"] for r in text.rows] == [12, 0]
    assert text.total_params == 12
    assert "(shared)" in text


def test_available_from_top_level():
    assert deepgrad.summary is summary
