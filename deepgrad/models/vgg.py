"""VGG (Simonyan & Zisserman, 2014) with torchvision's layout and state_dict keys.

Stacks of 3×3 convolutions (padding 1, so O = W) with ReLU, a 2×2 max-pool halving the size
after each stack, then three fully connected layers. VGG-16 has 138,357,544 parameters; the
course's table prints 138,423,208 because one row gives the second max-pool 65,664 parameters
(pooling has none).
"""

from deepgrad import nn

__all__ = ["VGG", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn",
           "vgg19_bn"]

CONFIGS = {
    "11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512,
           "M"],
    "19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512,
           512, 512, 512, "M"],
}


def make_features(config, in_channels, batch_norm):
    layers = []
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
            continue
        layers.append(nn.Conv2d(in_channels, item, 3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(item))
        layers.append(nn.ReLU(inplace=True))
        in_channels = item
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """``small_input=True`` (for 28×28 / 32×32 data) pools to 1×1 and uses a 512-512-classes
    head instead of torchvision's 7×7 pool and 25088-4096-4096 head."""

    def __init__(self, features, num_classes=1000, dropout=0.5, small_input=False):
        super().__init__()
        self.features = features
        side, width = (1, 512) if small_input else (7, 4096)
        self.avgpool = nn.AdaptiveAvgPool2d((side, side))
        self.classifier = nn.Sequential(
            nn.Linear(512 * side * side, width), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(width, width), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(width, num_classes))
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0, 0.01)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def _builder(depth, batch_norm):
    def build(num_classes=1000, in_channels=3, dropout=0.5, small_input=False):
        features = make_features(CONFIGS[depth], in_channels, batch_norm)
        return VGG(features, num_classes, dropout, small_input)

    build.__name__ = f"vgg{depth}{'_bn' if batch_norm else ''}"
    build.__doc__ = f"VGG-{depth}{' with batch norm' if batch_norm else ''}."
    build.input_size = lambda in_channels=3, small_input=False, **_: (
        in_channels, 32 if small_input else 224, 32 if small_input else 224)
    return build


vgg11, vgg13, vgg16, vgg19 = (_builder(d, False) for d in ("11", "13", "16", "19"))
vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn = (_builder(d, True) for d in ("11", "13", "16", "19"))
