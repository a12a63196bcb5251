"""F.interpolate's bicubic and area modes against torch, values and gradients."""

import numpy as np
import pytest

from _libs import assert_same, run_both

CASES = [
    dict(scale_factor=2, mode="bicubic"),
    dict(size=(7, 3), mode="bicubic", align_corners=True),
    dict(size=(3, 6), mode="bicubic", align_corners=False),
    dict(scale_factor=1.7, mode="bicubic"),
    dict(size=(2, 3), mode="area"),
    dict(size=(7, 4), mode="area"),
    dict(scale_factor=0.5, mode="area"),
]


@pytest.mark.parametrize("kw", CASES, ids=[str(i) for i in range(len(CASES))])
def test_interpolate_modes(kw):
    def program(torch, nn, F, optim, data):
        x = torch.tensor(np.sin(np.arange(40.0)).reshape(1, 2, 4, 5), requires_grad=True)
        y = F.interpolate(x, **kw)
        (y * torch.tensor(np.cos(np.arange(y.numel(), dtype=np.float64)).reshape(y.shape))).sum().backward()
        return {"y": y, "grad": x.grad}

    a, b = run_both(program)
    assert_same(a, b, rtol=1e-10, atol=1e-12)


def test_area_1d_and_module():
    def program(torch, nn, F, optim, data):
        x = torch.arange(10.0, dtype=torch.float64).view(1, 1, 10)
        return {"area1d": F.interpolate(x, size=4, mode="area"),
                "module": nn.Upsample(scale_factor=2, mode="bicubic")(x.view(1, 1, 2, 5))}

    a, b = run_both(program)
    assert_same(a, b, rtol=1e-10, atol=1e-12)
