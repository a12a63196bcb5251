import numpy as np
import pytest
import torch
from torch_reference import ResNet18

import deepgrad as dg
from deepgrad import models, nn


def _count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name, expected", [
    ("resnet18", 11_689_512), ("resnet50", 25_557_032), ("alexnet", 61_100_840),
    ("vgg16", 138_357_544), ("resnet34", 21_797_672), ("vgg11_bn", 132_868_840),
])
def test_parameter_counts_equal_torchvision(name, expected):
    assert _count(models.get_model(name)) == expected


def test_small_input_variants_and_lenet_shapes():
    assert models.resnet18(num_classes=10, small_input=True)(dg.randn(2, 3, 32, 32)).shape == (
        2, 10)
    assert models.vgg11(num_classes=10, in_channels=1, small_input=True)(
        dg.randn(2, 1, 32, 32)).shape == (2, 10)
    assert models.lenet5()(dg.randn(3, 1, 28, 28)).shape == (3, 10)
    assert _count(models.lenet5()) == 61_706


@pytest.mark.parametrize("train_mode", [False, True])
def test_resnet18_with_torch_weights_matches_torch(tmp_path, train_mode):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    reference = ResNet18(num_classes=10)
    for module in reference.modules():  # non-trivial BN statistics and affine parameters
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.1, 0.1)
    save_file(reference.state_dict(), str(tmp_path / "r18.safetensors"))
    ours = models.resnet18(num_classes=10)
    assert list(ours.state_dict()) == list(reference.state_dict())
    ours.load_state_dict(dg.io.load_torch_state_dict(tmp_path / "r18.safetensors"))
    reference.train(train_mode)
    ours.train(train_mode)
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        expected = reference(torch.tensor(x)).numpy()
    with dg.no_grad():
        got = ours(dg.tensor(x)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


def test_fine_tuning_freeze_replace_head_and_group_lrs():
    model = models.resnet18(num_classes=10, small_input=True)
    model.requires_grad_(False)
    model.fc = nn.Linear(512, 3)
    frozen = model.conv1.weight.detach().numpy().copy()
    opt = dg.optim.SGD([{"params": model.fc.parameters(), "lr": 0.1},
                        {"params": model.layer4.parameters(), "lr": 0.01}], momentum=0.9)
    loss = nn.functional.cross_entropy(model(dg.randn(4, 3, 32, 32)), dg.tensor([0, 1, 2, 0]))
    loss.backward()
    opt.step()
    assert model.conv1.weight.grad is None and model.fc.weight.grad is not None
    np.testing.assert_array_equal(model.conv1.weight.detach().numpy(), frozen)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
