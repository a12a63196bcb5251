"""``ChannelShuffle`` (ShuffleNet): interleave the channels of ``groups`` groups."""

from deepgrad.nn.module import Module
from deepgrad.ops.activation_extra import channel_shuffle

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """(N, C, *) → view (N, g, C/g, *) → swap the group axes → (N, C, *)."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        try:
            return channel_shuffle(input, self.groups)
        except RuntimeError as error:
            raise RuntimeError(f"{self._describe()}: {error}") from None

    def extra_repr(self):
        return f"groups={self.groups}"
