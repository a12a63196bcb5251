"""Small models built from core ops and Module alone, so that these tests exercise the training
machinery rather than the layer library."""

import numpy as np

import deepgrad
from deepgrad.nn import Module, Parameter


class Affine(Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = Parameter(deepgrad.randn(n_out, n_in) * (1 / np.sqrt(n_in)))
        self.bias = Parameter(deepgrad.zeros(n_out))

    def forward(self, x):
        return x @ self.weight.T + self.bias


class FakeConv(Module):
    """Shape-only stand-in exposing a conv layer's attributes to summary()."""

    def __init__(self):
        super().__init__()
        self.kernel_size, self.stride, self.padding = (3, 3), (2, 2), (1, 1)
        self.weight = Parameter(deepgrad.zeros(4, 1, 3, 3))
        self.register_buffer("running_mean", deepgrad.zeros(4))

    def forward(self, x):
        n, _, h, w = x.shape
        return deepgrad.zeros(n, 4, (h + 2 - 3) // 2 + 1, (w + 2 - 3) // 2 + 1)


class TwoLayer(Module):
    def __init__(self, n_in=4, hidden=16, n_out=3):
        super().__init__()
        self.hidden = Affine(n_in, hidden)
        self.out = Affine(hidden, n_out)

    def forward(self, x):
        return self.out(self.hidden(x).relu())


def toy_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5)
    return x, y
