"""FractionalMaxPool2d / F.fractional_max_pool2d against torch with the same _random_samples
(float64): values, indices and gradients."""

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad import nn


@pytest.mark.parametrize("shape,kernel,kw", [((2, 3, 9, 11), 2, {"output_size": (4, 5)}),
                                             ((1, 2, 10, 10), (3, 2), {"output_ratio": 0.5}),
                                             ((3, 7, 8), 2, {"output_size": 3}),
                                             ((1, 1, 5, 5), 2, {"output_size": 4})])
def test_matches_torch_with_fixed_samples(shape, kernel, kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    batch = shape[0] if len(shape) == 4 else 1
    samples = rng.random((batch, shape[-3], 2))
    xd, xt = deepgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    md = nn.FractionalMaxPool2d(kernel, return_indices=True,
                                _random_samples=deepgrad.tensor(samples), **kw)
    mt = torch.nn.FractionalMaxPool2d(kernel, return_indices=True,
                                      _random_samples=torch.tensor(samples), **kw)
    (yd, id_), (yt, it) = md(xd), mt(xt)
    np.testing.assert_allclose(yd.detach().numpy(), yt.detach().numpy(), atol=0)
    np.testing.assert_array_equal(id_.numpy(), it.numpy())
    r = rng.standard_normal(tuple(yt.shape))
    (yd * deepgrad.tensor(r)).sum().backward()
    (yt * torch.tensor(r)).sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    out = deepgrad.nn.functional.fractional_max_pool2d(
        xd, kernel, _random_samples=deepgrad.tensor(samples), **kw)
    np.testing.assert_allclose(out.detach().numpy(), yt.detach().numpy())


def test_random_windows_and_errors():
    y = nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.5))(deepgrad.randn(2, 3, 12, 12))
    assert tuple(y.shape) == (2, 3, 6, 6)
    assert repr(nn.FractionalMaxPool2d(2, output_size=3)) == "FractionalMaxPool2d()"
    for kwargs in ({}, {"output_ratio": 1.5}):
        with pytest.raises(ValueError):
            torch.nn.FractionalMaxPool2d(2, **kwargs)
        with pytest.raises(ValueError):
            nn.FractionalMaxPool2d(2, **kwargs)
