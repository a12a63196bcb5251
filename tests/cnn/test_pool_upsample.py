"""Pooling, interpolate and pixel shuffle (functional and layers) vs torch (float64)."""

import numpy as np
import pytest
import torch
from helpers import compare

import deepgrad
import deepgrad.nn as nn
import deepgrad.nn.functional as F


def _F(lib):
    return F if lib is deepgrad else torch.nn.functional


MAX = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
       dict(kernel_size=3, stride=2, ceil_mode=True), dict(kernel_size=2, stride=1),
       dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1), padding=(1, 1)),
       dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)]
AVG = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
       dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
       dict(kernel_size=3, stride=2, ceil_mode=True),
       dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
       dict(kernel_size=(2, 3), divisor_override=4)]


@pytest.mark.parametrize("cfg", MAX)
def test_max_pool2d(cfg):
    compare(lambda lib, x: _F(lib).max_pool2d(x, **cfg), [(2, 3, 7, 8)])
    compare(lambda lib, x: _F(lib).max_pool2d(x, return_indices=True, **cfg)[1], [(2, 3, 7, 8)],
            grad=False)


def test_max_pool2d_ties_go_to_first_element():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = -1
    compare(lambda lib, x: _F(lib).max_pool2d(x, 2), [x])
    compare(lambda lib, x: _F(lib).max_pool2d(x, 3, 1), [x])


@pytest.mark.parametrize("cfg", [dict(kernel_size=2), dict(kernel_size=(2, 3)),
                                 dict(kernel_size=3, stride=2, padding=1),
                                 dict(kernel_size=3, stride=2, ceil_mode=True)])
@pytest.mark.parametrize("layout", ["channels_last", "transposed"])
def test_max_pool2d_strided_inputs_with_ties(cfg, layout):
    # ReLU zeros tie within windows; tiled (2×2 on 8×12) and overlapping windows; inputs
    # whose memory is channels-last (as convolutions hand them on) or transposed
    x = np.maximum(np.random.default_rng(3).standard_normal((2, 8, 12, 5)), 0)
    x[0, :4, :4, 0] = 0.5  # a plateau tied everywhere

    def fn(lib, x):
        x = x.permute(0, 3, 1, 2) if layout == "channels_last" else x.transpose(1, 3)
        out, idx = _F(lib).max_pool2d(x, return_indices=True, **cfg)
        return out, idx.to(x.dtype)

    compare(fn, [x])


@pytest.mark.parametrize("cfg", [dict(kernel_size=2), dict(kernel_size=2, stride=1)])
def test_max_pool2d_nan_windows_as_torch(cfg):
    # a window holding NaN gives NaN, and its *last* NaN gets the gradient and the index
    x = np.arange(40, dtype=np.float64).reshape(1, 2, 4, 5) % 7
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = x[0, 1, 2, 2] = np.nan

    def fn(lib, x):
        out, idx = _F(lib).max_pool2d(x, return_indices=True, **cfg)
        return out, idx.to(x.dtype)

    compare(fn, [x])


@pytest.mark.parametrize("cfg", AVG)
def test_avg_pool2d(cfg):
    compare(lambda lib, x: _F(lib).avg_pool2d(x, **cfg), [(2, 3, 7, 8)])


@pytest.mark.parametrize("size", [(3, 4), 1, (7, 5), (None, 3), (4, 2)])
def test_adaptive_pools(size):
    compare(lambda lib, x: _F(lib).adaptive_avg_pool2d(x, size), [(2, 3, 7, 8)])
    compare(lambda lib, x: _F(lib).adaptive_max_pool2d(x, size), [(2, 3, 7, 8)])
    compare(lambda lib, x: _F(lib).adaptive_max_pool2d(x, size, return_indices=True)[1],
            [(2, 3, 7, 8)], grad=False)


def test_pool1d_variants_and_unbatched():
    compare(lambda lib, x: _F(lib).max_pool1d(x, 3, 2, 1, ceil_mode=True), [(2, 3, 10)])
    compare(lambda lib, x: _F(lib).avg_pool1d(x, 3, 2, 1, count_include_pad=False), [(2, 3, 10)])
    compare(lambda lib, x: _F(lib).adaptive_avg_pool1d(x, 4), [(2, 3, 10)])
    compare(lambda lib, x: _F(lib).adaptive_max_pool1d(x, 4), [(2, 3, 10)])
    compare(lambda lib, x: _F(lib).max_pool2d(x, 2), [(3, 6, 8)])


def test_max_unpool2d():
    def fn(lib, x):
        out, idx = _F(lib).max_pool2d(x, 2, return_indices=True)
        return _F(lib).max_unpool2d(out, idx, 2)
    compare(fn, [(2, 3, 6, 8)])


@pytest.mark.parametrize("cls, args", [("MaxPool2d", (3, 2, 1)), ("AvgPool2d", (3, 2, 1)),
                                       ("MaxPool1d", (3,)), ("AvgPool1d", (2,)),
                                       ("AdaptiveAvgPool2d", ((1, 1),)),
                                       ("AdaptiveMaxPool2d", (2,)), ("Upsample", (None, 2)),
                                       ("PixelShuffle", (2,))])
def test_layer_repr(cls, args):
    assert repr(getattr(nn, cls)(*args)) == repr(getattr(torch.nn, cls)(*args))


def test_pool_layers_match_torch():
    x = np.random.default_rng(0).standard_normal((2, 4, 9, 9))
    for cls, args in [("MaxPool2d", (3, 2, 1)), ("AvgPool2d", (3, 2, 1, True)),
                      ("AdaptiveAvgPool2d", ((2, 3),)), ("AdaptiveMaxPool2d", (3,))]:
        mine = getattr(nn, cls)(*args)(deepgrad.tensor(x)).numpy()
        ref = getattr(torch.nn, cls)(*args)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(mine, ref, atol=1e-12)


def test_pool_errors():
    with pytest.raises(RuntimeError, match="stride should be greater than zero"):
        F.max_pool2d(deepgrad.randn(1, 1, 4, 4), 2, stride=0)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(deepgrad.randn(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match="output size .* is too small"):
        F.max_pool2d(deepgrad.randn(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match=r"3-D \(unbatched\) or 4-D"):
        F.avg_pool2d(deepgrad.randn(4, 4), 2)


INTERP = [dict(scale_factor=2), dict(size=(5, 9)), dict(scale_factor=(1.5, 0.7)),
          dict(scale_factor=2, mode="bilinear"),
          dict(scale_factor=2, mode="bilinear", align_corners=True),
          dict(size=(3, 11), mode="bilinear"),
          dict(size=(3, 11), mode="bilinear", align_corners=True),
          dict(scale_factor=1.7, mode="bilinear"), dict(scale_factor=1.7, mode="nearest-exact"),
          dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)]


@pytest.mark.parametrize("cfg", INTERP)
def test_interpolate(cfg):
    compare(lambda lib, x: _F(lib).interpolate(x, **cfg), [(2, 3, 4, 6)])


def test_interpolate_1d_and_layers():
    compare(lambda lib, x: _F(lib).interpolate(x, scale_factor=2.5, mode="linear"), [(2, 3, 5)])
    compare(lambda lib, x: _F(lib).interpolate(x, size=7), [(2, 3, 5)])
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 4))
    for args in [dict(scale_factor=2, mode="bilinear"), dict(size=(5, 5))]:
        np.testing.assert_allclose(nn.Upsample(**args)(deepgrad.tensor(x)).numpy(),
                                   torch.nn.Upsample(**args)(torch.tensor(x)).numpy())
    np.testing.assert_allclose(nn.UpsamplingBilinear2d(scale_factor=2)(deepgrad.tensor(x)).numpy(),
                               torch.nn.UpsamplingBilinear2d(scale_factor=2)(
                                   torch.tensor(x)).numpy())
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(deepgrad.randn(1, 1, 2, 2), scale_factor=2, align_corners=True)


def test_pixel_shuffle():
    compare(lambda lib, x: _F(lib).pixel_shuffle(x, 2), [(2, 8, 3, 4)])
    compare(lambda lib, x: _F(lib).pixel_unshuffle(x, 2), [(2, 2, 4, 6)])
    compare(lambda lib, x: _F(lib).pixel_shuffle(x, 3), [(9, 3, 4)])
    with pytest.raises(RuntimeError, match="divisible by the square"):
        nn.PixelShuffle(2)(deepgrad.randn(1, 3, 2, 2))


def test_max_pool2d_padded_work_arrays_never_leak_between_graphs():
    # the padded input of a max pool is a pooled work array: a graph kept alive while other
    # pools of the same shapes run (with and without grad) still gets torch's gradient
    rng = np.random.default_rng(0)
    x, other = rng.standard_normal((2, 2, 3, 9, 9))
    cfg = dict(kernel_size=3, stride=2, padding=1)
    xt = torch.tensor(x, requires_grad=True)
    out_t, idx_t = torch.nn.functional.max_pool2d(xt, return_indices=True, **cfg)
    up = rng.standard_normal(out_t.shape)
    (out_t * torch.tensor(up)).sum().backward()
    xd = deepgrad.tensor(x, requires_grad=True)
    kept = F.max_pool2d(xd, **cfg)
    for _ in range(2):
        o = deepgrad.tensor(other, requires_grad=True)
        F.max_pool2d(o, **cfg).sum().backward()
        with deepgrad.no_grad():
            _, idx = F.max_pool2d(deepgrad.tensor(x), return_indices=True, **cfg)
            F.max_pool2d(deepgrad.tensor(other * 3), **cfg)
        np.testing.assert_array_equal(idx.numpy(), idx_t.numpy())
    (kept * deepgrad.tensor(up)).sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), atol=1e-12)
