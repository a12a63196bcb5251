"""ResNet (He et al., 2015) with torchvision's layout, so state_dict keys match.

A residual block learns F(x) and outputs relu(F(x) + shortcut(x)); the shortcut is the
identity, or a 1×1 strided convolution + batch norm ("downsample") when the shape changes.
resnet18 has 11,689,512 parameters (the course's table omits the three projection shortcuts
and the BN γ/β and counts conv biases torchvision doesn't have).

``CifarResNet`` (resnet8 ... resnet110) is the paper's smaller family for 32×32 images
(He et al., 2016, section 4.2): 6n + 2 layers in three stages of n BasicBlocks each.
"""

from deepgrad import nn

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50",
           "resnet101", "CifarResNet", "resnet8", "resnet14", "resnet20", "resnet32", "resnet44",
           "resnet56", "resnet110"]


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3×3 convolutions: y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1×1 reduce, 3×3 (stride here, as torchvision's v1.5), 1×1 expand by 4."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """``small_input=True`` (28×28 / 32×32 data) uses a 3×3 stride-1 stem and no max-pool
    (the usual CIFAR variant) instead of the 7×7 stride-2 stem and 3×3 stride-2 max-pool.

    ``width`` (deepgrad's addition; torchvision's is 64) sets the stem's channels; the four
    stages have width·1, 2, 4, 8. ``width=16`` with ``small_input`` is a ResNet a CPU can
    train on Fashion-MNIST in minutes per epoch (1/16 of the multiply-adds of width 64);
    keys stay torchvision's, only shapes shrink."""

    def __init__(self, block, layers, num_classes=1000, in_channels=3, small_input=False,
                 zero_init_residual=False, width=64):
        super().__init__()
        self.inplanes = width
        if small_input:
            self.conv1 = nn.Conv2d(in_channels, width, 3, stride=1, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(block, width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(block, width * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8 * block.expansion, num_classes)
        _init_weights(self, zero_init_residual)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def _init_weights(model, zero_init_residual):
    """torchvision's initialisation: He-normal (fan_out) convolutions, BN γ = 1 and β = 0;
    ``zero_init_residual`` zeroes each block's last BN γ, so every block starts as the
    identity."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    if zero_init_residual:
        for module in model.modules():
            last = getattr(module, "bn3" if isinstance(module, Bottleneck) else "bn2", None)
            if isinstance(module, (BasicBlock, Bottleneck)):
                nn.init.zeros_(last.weight)


class CifarResNet(ResNet):
    """The ResNet of He et al. (2016), section 4.2, for small (32×32, 28×28) images.

    depth = 6n + 2: a 3×3 stem convolution (``width`` channels, stride 1), three stages of n
    BasicBlocks with width·1, 2, 4 channels (the 2nd and 3rd start with stride 2: 28 → 14 →
    7 feature maps), global average pooling and a linear classifier::

        resnet20 = 1 + 3·3·2 + 1 = 20 weighted layers, 272,474 parameters (10 classes)

    Shortcuts are the identity, and a 1×1 strided convolution + BN where the shape changes
    (the paper's option B; its CIFAR numbers use option A, zero-padded identity, which has
    2,752 fewer parameters at width 16). ``width`` is 16 in the paper. The module names are
    torchvision's ResNet's (``conv1``, ``bn1``, ``layer1.0.conv1``, ``layer2.0.downsample.0``,
    ``fc``) without ``layer4`` and the max-pool.
    """

    def __init__(self, depth=20, num_classes=10, in_channels=3, zero_init_residual=False,
                 width=16):
        nn.Module.__init__(self)
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"CifarResNet: depth must be 6n + 2 with n >= 1 (8, 14, 20, ...), "
                             f"got {depth}")
        blocks = (depth - 2) // 6
        self.inplanes = width
        self.conv1 = conv3x3(in_channels, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(BasicBlock, width, blocks)
        self.layer2 = self._make_layer(BasicBlock, width * 2, blocks, stride=2)
        self.layer3 = self._make_layer(BasicBlock, width * 4, blocks, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 4, num_classes)
        _init_weights(self, zero_init_residual)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.relu(self.bn1(self.conv1(x))))))
        return self.fc(self.avgpool(x).flatten(1))


def _cifar_builder(depth):
    def build(num_classes=10, in_channels=3, zero_init_residual=False, width=16):
        return CifarResNet(depth, num_classes, in_channels, zero_init_residual, width)

    build.__name__ = f"resnet{depth}"
    build.__doc__ = (f"resnet{depth}: CIFAR-style ResNet, 3 stages of {(depth - 2) // 6} "
                     f"BasicBlocks (He et al. 2016, section 4.2); see :class:`CifarResNet`.")
    build.input_size = lambda in_channels=3, **_: (in_channels, 32, 32)
    return build


def _builder(name, block, layers):
    def build(num_classes=1000, in_channels=3, small_input=False, zero_init_residual=False,
              width=64):
        return ResNet(block, layers, num_classes, in_channels, small_input, zero_init_residual,
                      width)

    build.__name__ = name
    build.__doc__ = f"{name} (torchvision layout)."
    build.input_size = lambda in_channels=3, small_input=False, **_: (
        in_channels, 32 if small_input else 224, 32 if small_input else 224)
    return build


resnet18 = _builder("resnet18", BasicBlock, [2, 2, 2, 2])
resnet34 = _builder("resnet34", BasicBlock, [3, 4, 6, 3])
resnet50 = _builder("resnet50", Bottleneck, [3, 4, 6, 3])
resnet101 = _builder("resnet101", Bottleneck, [3, 4, 23, 3])
resnet8, resnet14, resnet20, resnet32, resnet44, resnet56, resnet110 = (
    _cifar_builder(depth) for depth in (8, 14, 20, 32, 44, 56, 110))
