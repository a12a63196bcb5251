"""``MLP``: the multilayer perceptron of the course -- Linear layers with a nonlinearity between.

    x (flattened) -> Linear(in, h1) -> ReLU -> [Dropout] -> ... -> Linear(h_last, num_classes)

The output is raw scores (logits), to be fed to ``CrossEntropyLoss`` (which applies
log-softmax itself). Inputs of any shape ``(N, ...)`` are flattened to ``(N, in_features)``.
"""

from deepgrad import nn

__all__ = ["MLP", "mlp"]

_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU",
                "leaky_relu": "LeakyReLU", "elu": "ELU"}


class MLP(nn.Module):
    """A fully connected network ``in_features -> hidden_sizes... -> num_classes``.

    Args:
        in_features: size of one flattened input sample (64 for 8x8 digits, 784 for 28x28).
        hidden_sizes: widths of the hidden layers, e.g. ``(256,)`` or ``(256, 128)``.
        num_classes: number of outputs.
        activation: ``'relu'``, ``'tanh'``, ``'sigmoid'``, ``'gelu'``, ``'leaky_relu'``,
            ``'elu'``.
        dropout: dropout probability after each hidden activation (0 = none).
    """

    def __init__(self, in_features=784, hidden_sizes=(256,), num_classes=10, activation="relu",
                 dropout=0.0):
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; choose from "
                             f"{sorted(_ACTIVATIONS)}")
        self.in_features, self.num_classes = in_features, num_classes
        layers, width = [], in_features
        for hidden in hidden_sizes:
            layers += [nn.Linear(width, hidden), getattr(nn, _ACTIVATIONS[activation])()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = hidden
        layers.append(nn.Linear(width, num_classes))
        self.flatten = nn.Flatten()
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(self.flatten(x))


def mlp(in_features=784, hidden_sizes=(256,), num_classes=10, activation="relu", dropout=0.0):
    """Build an :class:`MLP` (the model registry's ``'mlp'``)."""
    return MLP(in_features, tuple(hidden_sizes), num_classes, activation, dropout)


mlp.input_size = lambda in_features=784, **_: (in_features,)
