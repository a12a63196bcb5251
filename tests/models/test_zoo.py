"""The zoo's models against torchvision's layouts (rewritten in torch in torch_reference.py):
parameter counts, state_dict keys and shapes, and outputs/gradients with transferred weights."""

import numpy as np
import pytest
import torch
import torch_reference as ref

import deepgrad as dg
from deepgrad import models, nn


def _count(model):
    return sum(p.numel() for p in model.parameters())


def _shapes(state_dict):
    return [(k, tuple(v.shape)) for k, v in state_dict.items()]


@pytest.mark.parametrize("name, expected, reference", [
    ("resnet18", 11_689_512, lambda: ref.ResNet18()),
    ("resnet50", 25_557_032, lambda: ref.ResNet50()),
    ("alexnet", 61_100_840, lambda: ref.AlexNet()),
    ("vgg16", 138_357_544, lambda: ref.VGG(16)),
    ("vgg11_bn", 132_868_840, lambda: ref.VGG(11, batch_norm=True)),
    ("lenet5", 61_706, lambda: ref.LeNet5()),
    ("resnet34", 21_797_672, None), ("resnet101", 44_549_160, None),
])
def test_parameter_counts_and_state_dict_keys_equal_torchvision(name, expected, reference):
    model = models.get_model(name)  # built once: vgg16 alone is 553 MB of float32
    assert _count(model) == expected
    if reference is None:
        return
    with torch.device("meta"):  # keys and shapes only: no torch weights allocated
        torch_model = reference()
    assert _count(torch_model) == expected
    assert _shapes(model.state_dict()) == _shapes(torch_model.state_dict())
    assert [k for k, _ in model.named_buffers()] == [k for k, _ in torch_model.named_buffers()]


def test_num_classes_in_channels_and_small_input_variants():
    x32 = dg.randn(2, 1, 32, 32)
    resnet = models.resnet18(num_classes=7, in_channels=1, small_input=True)
    assert resnet.conv1.kernel_size == (3, 3) and resnet.conv1.stride == (1, 1)
    assert isinstance(resnet.maxpool, nn.Identity)
    assert resnet(x32).shape == (2, 7)
    assert models.resnet50(num_classes=3, small_input=True)(dg.randn(1, 3, 28, 28)).shape == (1, 3)
    vgg = models.vgg11_bn(num_classes=10, in_channels=1, small_input=True)
    assert vgg.avgpool.output_size in ((1, 1), 1)
    assert [m.out_features for m in vgg.classifier if isinstance(m, nn.Linear)] == [512, 512, 10]
    assert vgg(x32).shape == (2, 10)
    assert models.alexnet(num_classes=5, in_channels=1)(dg.randn(1, 1, 64, 64)).shape == (1, 5)
    assert models.lenet5(num_classes=4, in_channels=3)(dg.randn(3, 3, 28, 28)).shape == (3, 4)
    assert _count(models.lenet5()) == 61_706


def test_lenet5_activations():
    assert sum(isinstance(m, nn.Tanh) for m in models.lenet5(activation="tanh").modules()) == 4
    assert sum(isinstance(m, nn.ReLU) for m in models.lenet5().modules()) == 4
    with pytest.raises(ValueError, match="activation"):
        models.lenet5(activation="sigmoid")


def test_initialisation_like_torchvision():
    dg.manual_seed(0)
    resnet = models.resnet18(num_classes=10)
    weight = resnet.layer3[0].conv1.weight.detach().numpy()  # 256×128×3×3, fan_out = 256·9
    assert abs(weight.std() - np.sqrt(2 / (256 * 9))) < 0.02 * np.sqrt(2 / (256 * 9))
    assert abs(weight.mean()) < 1e-3
    for module in resnet.modules():
        if isinstance(module, nn.BatchNorm2d):
            assert (module.weight.detach().numpy() == 1).all()
            assert (module.bias.detach().numpy() == 0).all()
    zero = models.resnet18(zero_init_residual=True)
    assert (zero.layer1[0].bn2.weight.detach().numpy() == 0).all()
    assert (zero.bn1.weight.detach().numpy() == 1).all()
    assert (models.resnet50(zero_init_residual=True).layer2[1].bn3.weight.detach().numpy()
            == 0).all()
    vgg = models.vgg11(num_classes=10, small_input=True)
    conv = vgg.features[3].weight.detach().numpy()  # 128×64×3×3
    assert abs(conv.std() - np.sqrt(2 / (128 * 9))) < 0.03 * np.sqrt(2 / (128 * 9))
    assert (vgg.features[3].bias.detach().numpy() == 0).all()
    linear = vgg.classifier[0].weight.detach().numpy()
    assert abs(linear.std() - 0.01) < 5e-4 and (vgg.classifier[0].bias.detach().numpy() == 0).all()


def _close(got, expected, tol=1e-4):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=tol, rtol=tol)


@pytest.mark.parametrize("transfer", ["safetensors", "state_dict"])
@pytest.mark.parametrize("train_mode", [False, True])
def test_resnet18_with_torch_weights_matches_torch(tmp_path, transfer, train_mode):
    torch.manual_seed(0)
    reference = ref.randomize_batch_norm(ref.ResNet18(num_classes=10))
    ours = models.resnet18(num_classes=10)
    assert list(ours.state_dict()) == list(reference.state_dict())
    if transfer == "safetensors":
        from safetensors.torch import save_file

        save_file(reference.state_dict(), str(tmp_path / "r18.safetensors"))
        ours.load_state_dict(dg.io.load_torch_state_dict(tmp_path / "r18.safetensors"))
    else:
        ours.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    reference.train(train_mode)
    ours.train(train_mode)
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    expected = reference(torch.tensor(x))
    got = ours(dg.tensor(x))
    _close(got.detach().numpy(), expected.detach().numpy())
    if train_mode:  # running statistics updated alike, and the same gradients
        _close(ours.layer2[0].bn1.running_var.numpy(), reference.layer2[0].bn1.running_var)
        _close(ours.bn1.running_mean.numpy(), reference.bn1.running_mean)
        assert int(ours.bn1.num_batches_tracked.numpy()) == 1
        weights = torch.tensor(np.linspace(-1, 1, 20, dtype=np.float32).reshape(2, 10))
        (expected * weights).sum().backward()
        (got * dg.tensor(weights.numpy())).sum().backward()
        for name in ("conv1.weight", "layer1.0.conv2.weight", "layer3.0.downsample.0.weight",
                     "layer4.1.bn2.bias", "fc.weight"):
            g_ours = ours.get_parameter(name).grad.numpy()
            g_ref = reference.get_parameter(name).grad.numpy()
            assert np.linalg.norm(g_ours - g_ref) <= 1e-4 * np.linalg.norm(g_ref), name


def test_vgg11_bn_with_torch_weights_matches_torch():
    torch.manual_seed(0)
    # dropout 0 so train mode is deterministic; 32×32 input exercises the adaptive 1×1 → 7×7 pool
    reference = ref.randomize_batch_norm(ref.VGG(11, True, num_classes=10, dropout=0.0))
    ours = models.vgg11_bn(num_classes=10, dropout=0.0)
    models.load_pretrained(ours, reference.state_dict())
    x = np.random.default_rng(1).standard_normal((2, 3, 32, 32)).astype(np.float32)
    for train_mode in (False, True):
        reference.train(train_mode)
        ours.train(train_mode)
        with torch.no_grad():
            expected = reference(torch.tensor(x)).numpy()
        with dg.no_grad():
            got = ours(dg.tensor(x)).numpy()
        _close(got, expected)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_lenet5_with_torch_weights_matches_torch(activation):
    torch.manual_seed(0)
    reference = ref.LeNet5(activation={"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[activation])
    ours = models.lenet5(activation=activation)
    models.load_pretrained(ours, reference)
    x = np.random.default_rng(2).standard_normal((4, 1, 28, 28)).astype(np.float32)
    _close(ours(dg.tensor(x)).detach().numpy(), reference(torch.tensor(x)).detach().numpy(),
           1e-5)


def test_resnet_width_keeps_keys_and_scales_channels():
    narrow = models.resnet18(num_classes=10, in_channels=1, small_input=True, width=16)
    assert list(narrow.state_dict()) == list(models.resnet18(small_input=True).state_dict())
    assert narrow.layer4[0].downsample[0].weight.shape == (128, 64, 1, 1)
    assert narrow.fc.in_features == 128 and narrow(dg.randn(2, 1, 28, 28)).shape == (2, 10)
    # convolutions 697,488 + BN γ/β 2·5·(16 + 32 + 64 + 128) = 2,400 + fc 128·10 + 10
    assert _count(narrow) == 701_178
    assert models.resnet50(width=16).fc.in_features == 512


# resnet20, 3 channels: stem 3·16·9 + 32, stage 1: 3·(2·16·16·9 + 64), stage 2: 16·32·9 +
# 32·32·9 + 128 + (16·32 + 64) + 2·(2·32·32·9 + 128), stage 3 likewise with 32 -> 64, fc 64·10
# + 10 = 272,474 (269,722 in the paper's option A, without the two projections)
@pytest.mark.parametrize("depth, in_channels, width, expected", [
    (20, 3, 16, 272_474), (8, 1, 16, 77_754), (14, 1, 8, None)])
@pytest.mark.parametrize("train_mode", [False, True])
def test_cifar_resnet_matches_a_torch_twin(depth, in_channels, width, expected, train_mode):
    torch.manual_seed(depth)
    reference = ref.randomize_batch_norm(
        ref.CifarResNet(depth, 10, in_channels, width)).double().train(train_mode)
    ours = models.get_model(f"resnet{depth}", num_classes=10, in_channels=in_channels,
                            width=width)
    assert _count(ours) == _count(reference) == (expected or _count(reference))
    assert _shapes(ours.state_dict()) == _shapes(reference.state_dict())
    assert "layer4.0.conv1.weight" not in ours.state_dict()
    assert len([m for m in ours.modules() if isinstance(m, models.BasicBlock)]) == (depth - 2) // 2
    ours.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    ours.double().train(train_mode)
    x = np.random.default_rng(depth).standard_normal((2, in_channels, 28, 28))
    expected_out = reference(torch.tensor(x))
    got = ours(dg.tensor(x))
    assert got.shape == (2, 10) and got.dtype == dg.float64
    _close(got.detach().numpy(), expected_out.detach().numpy(), 1e-10)
    if train_mode:
        _close(ours.layer3[0].bn2.running_var.numpy(), reference.layer3[0].bn2.running_var,
               1e-10)
        expected_out.pow(2).sum().backward()
        (got ** 2).sum().backward()
        for name, param in reference.named_parameters():
            _close(ours.get_parameter(name).grad.numpy(), param.grad.numpy(), 1e-9)


def test_cifar_resnet_options_and_errors():
    net = models.resnet20(num_classes=4, in_channels=1, zero_init_residual=True, width=8)
    assert net.fc.in_features == 32 and net.layer3[0].downsample[0].stride == (2, 2)
    assert net.layer1[0].downsample is None and net.layer1[0].conv1.stride == (1, 1)
    assert all((b.bn2.weight.detach().numpy() == 0).all() for b in net.modules()
               if isinstance(b, models.BasicBlock))
    assert net(dg.randn(2, 1, 32, 32)).shape == (2, 4)
    assert models.model_input_size("resnet20", in_channels=1) == (1, 32, 32)
    for name in ("resnet8", "resnet14", "resnet20", "resnet32", "resnet44", "resnet56",
                 "resnet110"):
        assert name in models.MODELS
    with pytest.raises(ValueError, match=r"CifarResNet: depth must be 6n \+ 2.*got 21"):
        models.CifarResNet(21)


@pytest.mark.slow
def test_lenet5_fashion_mnist_reaches_90_percent():
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
    import lenet_fashion_mnist

    accuracy, _ = lenet_fashion_mnist.main(epochs=15, verbose=0)
    assert accuracy >= 0.90
