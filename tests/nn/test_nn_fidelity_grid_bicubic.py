"""grid_sample(mode='bicubic') against torch in float64: output and the gradients with respect
to input and grid, for every padding mode and both align_corners."""

import numpy as np
import pytest
import torch

import deepgrad


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_bicubic_matches_torch(padding_mode, align_corners):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 6))
    g = rng.uniform(-1.3, 1.3, (2, 4, 3, 2))  # some positions outside the image
    xd, gd = deepgrad.tensor(x, requires_grad=True), deepgrad.tensor(g, requires_grad=True)
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
    kw = {"mode": "bicubic", "padding_mode": padding_mode, "align_corners": align_corners}
    yd = deepgrad.nn.functional.grid_sample(xd, gd, **kw)
    yt = torch.nn.functional.grid_sample(xt, gt, **kw)
    np.testing.assert_allclose(yd.detach().numpy(), yt.detach().numpy(), atol=1e-12)
    r = rng.standard_normal(tuple(yt.shape))
    (yd * deepgrad.tensor(r)).sum().backward()
    (yt * torch.tensor(r)).sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(gd.grad.numpy(), gt.grad.numpy(), atol=1e-11)


def test_bicubic_identity_grid_reproduces_input():
    x = deepgrad.tensor(np.random.default_rng(1).standard_normal((1, 2, 4, 5)))
    theta = deepgrad.tensor(np.array([[[1.0, 0, 0], [0, 1.0, 0]]]))
    grid = deepgrad.nn.functional.affine_grid(theta, (1, 2, 4, 5), align_corners=False)
    y = deepgrad.nn.functional.grid_sample(x, grid, mode="bicubic", align_corners=False)
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-12)
