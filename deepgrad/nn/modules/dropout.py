"""Dropout layers: random zeroing during training only (``model.eval()`` turns them off)."""

from deepgrad.nn.module import Module
from deepgrad.ops import dropout as D
from deepgrad.ops.activation_extra import feature_alpha_dropout

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability p while training and scale the rest by 1/(1 − p)
    (inverted dropout), so evaluation uses the layer unchanged."""

    def forward(self, input):
        return D.dropout(input, self.p, self.training)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) inputs."""

    def forward(self, input):
        return D.dropout1d(input, self.p, self.training)


class Dropout2d(_DropoutNd):
    """Zero whole feature maps of (N, C, H, W) inputs."""

    def forward(self, input):
        return D.dropout2d(input, self.p, self.training)


class Dropout3d(_DropoutNd):
    """Zero whole volumes of (N, C, D, H, W) inputs."""

    def forward(self, input):
        return D.dropout3d(input, self.p, self.training)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks: keeps zero mean and unit variance."""

    def forward(self, input):
        return D.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels of (N, C, *) inputs (SELU networks with convolutions)."""

    def forward(self, input):
        return feature_alpha_dropout(input, self.p, self.training)
