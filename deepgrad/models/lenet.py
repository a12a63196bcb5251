"""LeNet-5 (LeCun et al., 1998) for 1×28×28 inputs: padding 2 on the first convolution makes
28×28 behave like the original 32×32 (O = (W − K + 2P)/S + 1 = (28 − 5 + 4)/1 + 1 = 28)."""

from deepgrad import nn

__all__ = ["LeNet5", "lenet5"]


class LeNet5(nn.Module):
    """conv(1→6, 5×5, pad 2)-act-pool2 → conv(6→16, 5×5)-act-pool2 → 400-120-84-classes."""

    def __init__(self, num_classes=10, in_channels=1, activation="relu"):
        super().__init__()
        activations = {"relu": nn.ReLU, "tanh": nn.Tanh}
        if activation not in activations:
            raise ValueError(f"LeNet5: activation must be 'relu' or 'tanh' (LeCun's original "
                             f"used tanh), got {activation!r}")
        act = activations[activation]
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2), act(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), act(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), act(), nn.Linear(120, 84), act(),
            nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def lenet5(num_classes=10, in_channels=1, activation="relu"):
    """LeNet-5 for 1×28×28 inputs (61,706 parameters with 10 classes); ``activation`` is
    ``'relu'`` (default, trains faster) or ``'tanh'`` (the 1998 paper's choice)."""
    return LeNet5(num_classes, in_channels, activation)


lenet5.input_size = lambda in_channels=1, **_: (in_channels, 28, 28)
