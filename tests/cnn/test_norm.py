"""batch_norm / layer_norm / group_norm / instance_norm and their layers vs torch (float64)."""

import numpy as np
import pytest
import torch
from helpers import compare

import deepgrad
import deepgrad.nn as nn
import deepgrad.nn.functional as F


def _F(lib):
    return F if lib is deepgrad else torch.nn.functional


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (2, 3, 4, 5)])
@pytest.mark.parametrize("momentum", [0.1, 0.3])
def test_batch_norm_train_updates_running_stats(shape, momentum):
    def fn(lib, x, w, b, rm, rv):
        rm, rv = rm.detach(), rv.detach() + 3
        y = _F(lib).batch_norm(x, rm, rv, w, b, training=True, momentum=momentum)
        return y, rm, rv
    compare(fn, [shape, (3,), (3,), (3,), (3,)])


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4, 5)])
def test_batch_norm_eval_and_no_affine(shape):
    compare(lambda lib, x, w, b, rm, rv: _F(lib).batch_norm(
        x, rm.detach(), rv.detach() + 3, w, b, training=False, eps=1e-3),
        [shape, (3,), (3,), (3,), (3,)])
    compare(lambda lib, x: _F(lib).batch_norm(x, None, None, training=True), [shape])


def test_layer_group_instance_norm():
    compare(lambda lib, x, w, b: _F(lib).layer_norm(x, (4, 5), w, b, eps=1e-3),
            [(2, 3, 4, 5), (4, 5), (4, 5)])
    compare(lambda lib, x: _F(lib).layer_norm(x, (5,)), [(2, 3, 4, 5)])
    compare(lambda lib, x, w, b: _F(lib).group_norm(x, 3, w, b), [(2, 6, 4, 5), (6,), (6,)])
    compare(lambda lib, x, w: _F(lib).group_norm(x, 2, w), [(2, 6, 7), (6,)])

    def inst(lib, x, w, b, rm, rv):
        rm, rv = rm.detach(), rv.detach() + 3
        return _F(lib).instance_norm(x, rm, rv, w, b, momentum=0.3), rm, rv
    compare(inst, [(2, 3, 4, 5), (3,), (3,), (3,), (3,)])
    compare(lambda lib, x: _F(lib).instance_norm(x), [(2, 3, 4, 5)])


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("cls, shape", [("BatchNorm2d", (4, 3, 5, 5)), ("BatchNorm1d", (6, 3)),
                                        ("BatchNorm1d", (4, 3, 7))])
def test_batchnorm_module_steps_vs_torch(cls, shape, momentum):
    mine = getattr(nn, cls)(3, momentum=momentum).double()
    ref = getattr(torch.nn, cls)(3, momentum=momentum).double()
    rng = np.random.default_rng(0)
    for step in range(4):
        x = rng.standard_normal(shape) * 2 + step
        xd, xt = deepgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yd, yt = mine(xd), ref(xt)
        np.testing.assert_allclose(yd.detach().numpy(), yt.detach().numpy(), atol=1e-10)
        (yd * yd).sum().backward()
        (yt * yt).sum().backward()
        np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), atol=1e-9)
    np.testing.assert_allclose(mine.weight.grad.numpy(), ref.weight.grad.numpy(), atol=1e-9)
    np.testing.assert_allclose(mine.bias.grad.numpy(), ref.bias.grad.numpy(), atol=1e-9)
    for key, value in ref.state_dict().items():
        np.testing.assert_allclose(mine.state_dict()[key].numpy(), value.numpy(), atol=1e-12,
                                   err_msg=key)
    assert list(mine.state_dict()) == list(ref.state_dict())
    assert mine.num_batches_tracked.dtype == deepgrad.int64
    mine.eval()
    ref.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(mine(deepgrad.tensor(x)).detach().numpy(),
                               ref(torch.tensor(x)).detach().numpy(), atol=1e-10)


def test_batchnorm_variants_and_repr():
    for kwargs in [dict(), dict(affine=False), dict(track_running_stats=False),
                   dict(bias=False), dict(eps=1e-3, momentum=None)]:
        mine, ref = nn.BatchNorm2d(4, **kwargs), torch.nn.BatchNorm2d(4, **kwargs)
        assert repr(mine) == repr(ref)
        assert list(mine.state_dict()) == list(ref.state_dict())
        x = np.random.default_rng(1).standard_normal((3, 4, 2, 2)).astype(np.float32)
        np.testing.assert_allclose(mine(deepgrad.tensor(x)).detach().numpy(),
                                   ref(torch.tensor(x)).detach().numpy(), atol=1e-5)


def test_norm_layers_vs_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 4, 5))
    for cls, args, kwargs in [("LayerNorm", ((4, 5),), {}), ("LayerNorm", (5,), {"bias": False}),
                              ("GroupNorm", (3, 6), {}), ("GroupNorm", (2, 6), {"affine": False}),
                              ("InstanceNorm2d", (6,), {}),
                              ("InstanceNorm2d", (6,), {"affine": True,
                                                        "track_running_stats": True})]:
        mine, ref = getattr(nn, cls)(*args, **kwargs).double(), getattr(torch.nn, cls)(
            *args, **kwargs).double()
        assert repr(mine) == repr(ref)
        assert list(mine.state_dict()) == list(ref.state_dict())
        for p in mine.parameters():
            p._data[...] = rng.standard_normal(p.shape)
        for (_, p), (_, q) in zip(mine.named_parameters(), ref.named_parameters()):
            q.data.copy_(torch.tensor(p.detach().numpy()))
        xd, xt = deepgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yd, yt = mine(xd), ref(xt)
        np.testing.assert_allclose(yd.detach().numpy(), yt.detach().numpy(), atol=1e-10)
        (yd * yd).sum().backward()
        (yt * yt).sum().backward()
        np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), atol=1e-8)
        for key, value in ref.state_dict().items():
            np.testing.assert_allclose(mine.state_dict()[key].numpy(), value.numpy(), atol=1e-10)


def test_norm_errors():
    bn = nn.Sequential(nn.Conv2d(1, 4, 1), nn.BatchNorm2d(3))
    with pytest.raises(RuntimeError, match=r"BatchNorm2d at '1'.*3 channels.*\(2, 4, 3, 3\)"):
        bn(deepgrad.randn(2, 1, 3, 3))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(deepgrad.randn(2, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(deepgrad.randn(1, 3))
    with pytest.raises(ValueError, match="divisible by num_groups"):
        nn.GroupNorm(4, 6)
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[5\]"):
        nn.LayerNorm(5)(deepgrad.randn(2, 4))


@pytest.mark.parametrize("layout", ["channels_last", "transposed", "sliced"])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_strided_inputs_and_pooled_work_arrays(layout, training):
    # x − μ lives in a pooled work array laid out like x; a graph kept alive while other batch
    # norms of the same shape run (and release theirs) still gets torch's gradients
    rng = np.random.default_rng(0)
    base = rng.standard_normal((4, 5, 6, 3))
    others = rng.standard_normal((3, 4, 5, 6, 3))
    stats = [rng.standard_normal(3), rng.uniform(0.5, 2, 3)]
    w, b = rng.standard_normal(3), rng.standard_normal(3)

    def view(lib, x):
        if layout == "channels_last":
            return x.permute(0, 3, 1, 2)
        if layout == "transposed":
            return x.transpose(1, 3)
        return x[:, :, ::2].permute(0, 3, 1, 2)

    def fn(lib, x, w, b):
        mean, var = lib.tensor(stats[0]), lib.tensor(stats[1])
        out = _bn(lib)(view(lib, x), mean, var, w, b, training=training)
        if lib is deepgrad:
            for o in others:
                t = deepgrad.tensor(o, requires_grad=True)
                _bn(lib)(view(lib, t), mean, var, w.detach() * 2, b.detach(),
                         training=training).sum().backward()
                with deepgrad.no_grad():
                    _bn(lib)(view(lib, t), mean, var, w, b, training=training)
        return out

    compare(fn, [base, w, b])


def _bn(lib):
    return F.batch_norm if lib is deepgrad else torch.nn.functional.batch_norm
