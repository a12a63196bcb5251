"""conv1d / conv2d / conv_transpose / unfold / fold and their layers vs torch (float64)."""

import numpy as np
import pytest
import torch
from helpers import compare

import deepgrad
import deepgrad.nn as nn
import deepgrad.nn.functional as F
from deepgrad.ops import conv as conv_ops


def _F(lib):
    return F if lib is deepgrad else torch.nn.functional


CONV2D = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(0, 2)),
    dict(padding="same"),
    dict(padding="same", dilation=(2, 1)),
    dict(padding="valid", dilation=2),
    dict(stride=3, padding=2, dilation=2),
    dict(groups=2, padding=1),
    dict(groups=4, stride=2),  # depthwise
]


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
@pytest.mark.parametrize("cfg", CONV2D)
@pytest.mark.parametrize("channels", [2, 4, 40])
@pytest.mark.parametrize("kernel", [(3, 3), (1, 1), (2, 3)])
@pytest.mark.parametrize("pixels_inner", [True, False])
def test_conv2d_grid(cfg, channels, kernel, pixels_inner, monkeypatch):
    monkeypatch.setattr(conv_ops, "SPATIAL_INNER_MAX_CHANNELS", 1000 if pixels_inner else 0)
    groups = cfg.get("groups", 1)
    if groups == 4 and channels == 2:
        groups_cfg = dict(cfg, groups=2)
    else:
        groups_cfg = cfg
    g = groups_cfg.get("groups", 1)
    out = 4 if g != 4 else channels
    compare(lambda lib, x, w, b: _F(lib).conv2d(x, w, b, **groups_cfg),
            [(2, channels, 9, 10), (out, channels // g) + kernel, (out,)])


def test_conv2d_no_bias_unbatched_and_input_without_grad():
    compare(lambda lib, x, w: _F(lib).conv2d(x, w, stride=2, padding=1), [(3, 8, 8), (5, 3, 3, 3)])
    w = np.random.default_rng(1).standard_normal((4, 3, 3, 3))
    compare(lambda lib, x: _F(lib).conv2d(x, lib.tensor(w), padding=1), [(2, 3, 6, 6)])


def test_conv2d_noncontiguous_input():
    compare(lambda lib, x, w: _F(lib).conv2d(x.transpose(2, 3), w, padding=1),
            [(2, 3, 7, 5), (4, 3, 3, 3)])


DEAD_TAPS = [((1, 1), (3, 3), dict(padding=1)),  # ResNet-18's last stage on 32×32
             ((2, 2), (3, 3), dict(stride=2, padding=1)),
             ((1, 4), (3, 3), dict(stride=3, padding=2)),
             ((2, 3), (3, 3), dict(padding=2, dilation=(2, 1))),
             ((3, 1), (3, 2), dict(stride=(2, 1), padding=(3, 1))),
             ((2, 2), (3, 3), dict(padding=1, groups=2))]


@pytest.mark.parametrize("hw, kernel, cfg", DEAD_TAPS)
@pytest.mark.parametrize("pixels_inner", [True, False])
def test_conv2d_taps_that_only_see_padding(hw, kernel, cfg, pixels_inner, monkeypatch):
    monkeypatch.setattr(conv_ops, "SPATIAL_INNER_MAX_CHANNELS", 1000 if pixels_inner else 0)
    g = cfg.get("groups", 1)
    compare(lambda lib, x, w, b: _F(lib).conv2d(x, w, b, **cfg),
            [(3, 4) + hw, (6, 4 // g) + kernel, (6,)])


def test_conv2d_dropped_taps_still_propagate_inf_and_nan():
    # 0·inf = NaN in the full computation: a non-finite weight on a tap that only sees padding
    # makes its output channel NaN, and a non-finite upstream gradient makes dW NaN there
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 1, 1)), rng.standard_normal((4, 3, 3, 3))
    w[1, 2, 0, 0], w[3, 0, 2, 1] = np.inf, np.nan
    up = rng.standard_normal((2, 4, 1, 1))
    up[0, 2, 0, 0] = np.inf
    results = []
    for lib in (deepgrad, torch):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        wt_finite = lib.tensor(np.nan_to_num(w, posinf=1.0, nan=1.0), requires_grad=True)
        out = _F(lib).conv2d(xt, wt, padding=1)
        (_F(lib).conv2d(xt, wt_finite, padding=1) * lib.tensor(up)).sum().backward()
        results.append((out.detach().numpy(), wt_finite.grad.numpy(), xt.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)
    assert np.isnan(results[0][0][:, [1, 3]]).all() and not np.isfinite(results[0][1][2]).any()


@pytest.mark.parametrize("pixels_inner", [True, False])
def test_conv2d_input_gradient_with_non_finite_weights(pixels_inner, monkeypatch):
    # 8×9 outputs: enough pixels for the channels-outer path, whose stride-1 col2im pads dY
    # with zero columns; their 0·w lands where torch has no term, so inf/NaN weights must not
    # add NaN there
    monkeypatch.setattr(conv_ops, "SPATIAL_INNER_MAX_CHANNELS", 1000 if pixels_inner else 0)
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3, 8, 9)), rng.standard_normal((4, 3, 3, 3))
    w[1, 2, 0, 2], w[2, 0, 2, 0] = np.inf, np.nan
    up = rng.standard_normal((2, 4, 8, 9))
    grads = []
    for lib in (deepgrad, torch):
        xt = lib.tensor(x, requires_grad=True)
        (_F(lib).conv2d(xt, lib.tensor(w), padding=1) * lib.tensor(up)).sum().backward()
        grads.append(xt.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)
    assert np.isfinite(grads[1]).any() and not np.isfinite(grads[1]).all()


@pytest.mark.parametrize("cfg", [dict(), dict(stride=2, padding=1), dict(padding="same",
                                 dilation=3), dict(groups=3, stride=3), dict(padding="valid")])
def test_conv1d(cfg):
    g = cfg.get("groups", 1)
    compare(lambda lib, x, w, b: _F(lib).conv1d(x, w, b, **cfg),
            [(2, 6, 17), (6, 6 // g, 3), (6,)])
    compare(lambda lib, x, w: _F(lib).conv1d(x, w, **cfg), [(6, 11), (3, 6 // g, 2)])


CONV_T = [
    dict(),
    dict(stride=2),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(3, 2), padding=(1, 0), output_padding=(2, 1)),
    dict(dilation=2, padding=2),
    dict(groups=2, stride=2, dilation=(1, 2), output_padding=(1, 0)),
]


@pytest.mark.parametrize("cfg", CONV_T)
def test_conv_transpose2d(cfg):
    g = cfg.get("groups", 1)
    compare(lambda lib, x, w, b: _F(lib).conv_transpose2d(x, w, b, **cfg),
            [(2, 4, 5, 4), (4, 3, 3, 3), (3 * g,)])


def test_conv_transpose1d():
    compare(lambda lib, x, w, b: _F(lib).conv_transpose1d(x, w, b, stride=3, padding=1,
                                                          output_padding=2, dilation=1),
            [(2, 4, 6), (4, 5, 3), (5,)])


@pytest.mark.parametrize("cfg", [dict(kernel_size=3), dict(kernel_size=(2, 3), dilation=(1, 2),
                                 padding=1, stride=(2, 1)), dict(kernel_size=2, stride=2)])
def test_unfold_fold(cfg):
    compare(lambda lib, x: _F(lib).unfold(x, **cfg), [(2, 3, 6, 7)])
    blocks = torch.nn.functional.unfold(torch.zeros(1, 3, 6, 7), **cfg).shape
    compare(lambda lib, x: _F(lib).fold(x, (6, 7), **cfg), [(2,) + tuple(blocks[1:])])


def test_course_worked_example():
    """The course's 5×5 binary image ⊛ 3×3 "X" kernel gives 4 3 4 / 2 4 3 / 2 3 4."""
    image = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
    kernel = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    x = deepgrad.tensor(image, dtype=deepgrad.float32).reshape(1, 1, 5, 5)
    w = deepgrad.tensor(kernel, dtype=deepgrad.float32).reshape(1, 1, 3, 3)
    out = F.conv2d(x, w)
    assert out.dtype == deepgrad.float32
    np.testing.assert_array_equal(out.numpy()[0, 0], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    # output size O = (W − K + 2P)/S + 1 = (5 − 3 + 2)/1 + 1 = 5 with "same" padding
    assert F.conv2d(x, w, padding=1).shape == (1, 1, 5, 5)


def _copy_params(dst, src):
    for name, p in src.named_parameters():
        dst.get_parameter(name)._data[...] = p.detach().numpy()


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_conv2d_module_padding_modes(mode, padding):
    torch.manual_seed(0)
    ref = torch.nn.Conv2d(3, 4, (3, 4), padding=padding, padding_mode=mode).double()
    mine = nn.Conv2d(3, 4, (3, 4), padding=padding, padding_mode=mode).double()
    _copy_params(mine, ref)
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 7))
    xt, xd = torch.tensor(x, requires_grad=True), deepgrad.tensor(x, requires_grad=True)
    yt, yd = ref(xt), mine(xd)
    np.testing.assert_allclose(yd.detach().numpy(), yt.detach().numpy(), atol=1e-10)
    yt.square().sum().backward()
    yd.square().sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), atol=1e-9)
    np.testing.assert_allclose(mine.weight.grad.numpy(), ref.weight.grad.numpy(), atol=1e-9)
    assert repr(mine) == repr(ref).replace("torch.", "")


def test_conv1d_module_padding_mode():
    ref = torch.nn.Conv1d(2, 3, 3, padding=2, padding_mode="reflect").double()
    mine = nn.Conv1d(2, 3, 3, padding=2, padding_mode="reflect").double()
    _copy_params(mine, ref)
    x = np.random.default_rng(0).standard_normal((2, 2, 9))
    np.testing.assert_allclose(mine(deepgrad.tensor(x)).detach().numpy(),
                               ref(torch.tensor(x)).detach().numpy(), atol=1e-10)


def test_conv_transpose2d_module_output_size():
    ref = torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1).double()
    mine = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1).double()
    _copy_params(mine, ref)
    x = np.random.default_rng(0).standard_normal((1, 4, 5, 5))
    for size in (None, (10, 10), (9, 10)):
        yt = ref(torch.tensor(x), output_size=size)
        yd = mine(deepgrad.tensor(x), output_size=size)
        np.testing.assert_allclose(yd.detach().numpy(), yt.detach().numpy(), atol=1e-10)
    with pytest.raises(ValueError, match="valid sizes"):
        mine(deepgrad.tensor(x), output_size=(12, 12))


@pytest.mark.parametrize("cls, args", [("Conv2d", (6, 8, 3)), ("Conv1d", (4, 6, 5)),
                                       ("ConvTranspose2d", (6, 4, (2, 3))),
                                       ("Conv2d", (6, 6, 3, 1, 1, 1, 3))])
def test_conv_module_init_keys_repr(cls, args):
    mine, ref = getattr(nn, cls)(*args), getattr(torch.nn, cls)(*args)
    assert list(mine.state_dict()) == list(ref.state_dict())
    for (_name, p), (_, q) in zip(mine.named_parameters(), ref.named_parameters()):
        assert p.shape == tuple(q.shape) and p.dtype == deepgrad.float32
    fan_in = np.prod(ref.weight.shape[1:])
    bound = 1 / np.sqrt(fan_in)
    assert np.abs(mine.weight.detach().numpy()).max() <= bound + 1e-7
    assert np.abs(mine.weight.detach().numpy()).max() > 0.8 * bound
    assert np.abs(mine.bias.detach().numpy()).max() <= bound + 1e-7
    assert repr(mine) == repr(ref)


def test_conv_init_uses_deepgrad_generator():
    deepgrad.manual_seed(3)
    a = nn.Conv2d(3, 4, 3).weight.detach().numpy().copy()
    deepgrad.manual_seed(3)
    b = nn.Conv2d(3, 4, 3).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_conv_float32_end_to_end():
    conv = nn.Conv2d(3, 4, 3, padding=1)
    x = deepgrad.randn(2, 3, 5, 5, requires_grad=True)
    y = conv(x)
    assert y.dtype == deepgrad.float32
    y.sum().backward()
    assert x.grad.dtype == conv.weight.grad.dtype == conv.bias.grad.dtype == deepgrad.float32


# ----- bad input -------------------------------------------------------------------------------

def test_channel_mismatch_names_layer_path_and_shapes():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(4, 8, 3))
    with pytest.raises(RuntimeError, match=r"Conv2d at '2'.*4 channels.*\(1, 8, 8, 8\) with 8"):
        model(deepgrad.randn(1, 3, 10, 10))
    with pytest.raises(RuntimeError, match=r"expected input.*to have 3 channels, but got 2"):
        F.conv2d(deepgrad.randn(1, 2, 5, 5), deepgrad.randn(4, 3, 3, 3))


def test_kernel_larger_than_padded_input():
    with pytest.raises(RuntimeError, match=r"padded input size per channel: \(4 x 4\).*"
                                           r"Kernel size: \(5 x 5\)"):
        F.conv2d(deepgrad.randn(1, 1, 4, 4), deepgrad.randn(1, 1, 5, 5))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        nn.Conv1d(1, 1, 7)(deepgrad.randn(1, 1, 3))


def test_bad_stride_rank_and_arguments():
    x, w = deepgrad.randn(1, 1, 5, 5), deepgrad.randn(1, 1, 3, 3)
    with pytest.raises(RuntimeError, match="stride should be greater than zero"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(RuntimeError, match="stride should be greater than zero"):
        F.conv2d(x, w, stride=(1, -1))
    with pytest.raises(RuntimeError, match=r"3-D \(unbatched\) or 4-D.*\(5, 5\)"):
        F.conv2d(deepgrad.randn(5, 5), w)
    with pytest.raises(RuntimeError, match=r"Conv2d: expected 3-D \(unbatched\) or 4-D"):
        nn.Conv2d(1, 1, 3)(deepgrad.randn(2, 1, 1, 5, 5))
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="kernel_size, stride and dilation must be positive"):
        nn.Conv2d(3, 4, 3, stride=0)
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose2d(x, w, stride=2, output_padding=2)


@pytest.mark.parametrize("kernel, padding, channels", [(3, 1, 8), (1, 1, 8), (1, 0, 8), (3, 0, 2),
                                                       (5, 2, 40)])
def test_conv2d_pooled_work_arrays_never_leak_between_graphs(kernel, padding, channels):
    # conv2d keeps its padded input and im2col columns in reused work arrays: a graph kept
    # alive while other convolutions of the same shapes run (with and without grad, and
    # with backward releasing theirs) must still get torch's gradients
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((2, 2, channels, 6, 7))
    w = rng.standard_normal((4, channels, kernel, kernel))
    up = rng.standard_normal((2, 4, 6 + 2 * padding - kernel + 1, 7 + 2 * padding - kernel + 1))
    xt, wt = torch.tensor(x1, requires_grad=True), torch.tensor(w, requires_grad=True)
    (torch.nn.functional.conv2d(xt, wt, padding=padding) * torch.tensor(up)).sum().backward()
    xd, wd = deepgrad.tensor(x1, requires_grad=True), deepgrad.tensor(w, requires_grad=True)
    kept = F.conv2d(xd, wd, padding=padding)
    first = kept.detach().numpy().copy()
    other_w = deepgrad.tensor(w * 3, requires_grad=True)
    for _ in range(2):
        with deepgrad.no_grad():
            F.conv2d(deepgrad.tensor(x2), other_w, padding=padding)
        F.conv2d(deepgrad.tensor(x2 * 5), other_w, padding=padding).sum().backward()
    F.conv2d(deepgrad.tensor(x2 - 1), other_w, padding=padding)
    np.testing.assert_array_equal(kept.detach().numpy(), first)
    (kept * deepgrad.tensor(up)).sum().backward()
    np.testing.assert_allclose(wd.grad.numpy(), wt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), atol=1e-10)
