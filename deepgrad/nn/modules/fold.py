"""``Unfold`` (image → sliding blocks, im2col) and ``Fold`` (blocks → image, summing overlaps):
thin modules around ``F.unfold`` / ``F.fold``.

Unfold: (N, C, H, W) → (N, C·∏k, L), L = ∏_d ⌊(size_d + 2p_d − dil_d (k_d − 1) − 1)/s_d⌋ + 1.
"""

from deepgrad.nn.module import Module
from deepgrad.ops.conv import fold, unfold

__all__ = ["Fold", "Unfold"]


class Fold(Module):
    """Sum sliding local blocks (N, C·∏k, L) into an (N, C, *output_size) image."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        try:
            return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                        self.stride)
        except RuntimeError as error:
            raise RuntimeError(f"{self._describe()}: {error}") from None

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


class Unfold(Module):
    """Extract sliding local blocks of (N, C, H, W) as columns (N, C·∏k, L)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        try:
            return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)
        except RuntimeError as error:
            raise RuntimeError(f"{self._describe()}: {error}") from None

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
