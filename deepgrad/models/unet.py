"""A small U-Net for diffusion models (Ho et al., 2020, Appendix B, scaled down).

    x ─ conv_in ─ [ResBlock]×r ─ down ─ [ResBlock]×r ─ down ─ ... ─ mid: ResBlock, ResBlock
                      │ skip                │ skip                          │
    ε̂ ─ conv_out ─ [ResBlock]×(r+1) ─ up ─ [ResBlock]×(r+1) ─ up ─ ... ────┘

Every block sees the timestep t through an embedding: the sinusoidal code of t (as the
Transformer's positional encoding)

    e(t)_i = sin(t · ω_i),  e(t)_{h+i} = cos(t · ω_i),  ω_i = 10000^(−i/h),  i = 0..h−1, h = d/2

goes through an MLP (Linear–SiLU–Linear) to ``time_embed_dim``; with ``num_classes`` a learned
label embedding is added to it (emb = MLP(e(t)) + E[y]; row ``num_classes`` of E is the "no
label" token used by classifier-free guidance). A residual block is

    h = conv₁(SiLU(GN(x))) + Linear(SiLU(emb))       (the embedding added per channel)
    out = conv₂(Dropout(SiLU(GN(h)))) + skip(x)      (skip: 1×1 conv when channels change)

Downsampling is a 3×3 convolution with stride 2, upsampling nearest-neighbour ×2 then a 3×3
convolution; each decoder block takes the concatenation of the previous output and the matching
encoder activation (the skip connection). The spatial size must be divisible by 2^(levels − 1)
(28 → 14 → 7 and 32 → 16 → 8 with the default three levels).
"""

import math

import numpy as np

from deepgrad import nn
from deepgrad.nn import functional as F
from deepgrad.ops.shape import cat
from deepgrad.tensor import Tensor

__all__ = ["UNet", "ResBlock", "timestep_embedding"]


def timestep_embedding(t, dim, max_period=10000.0, dtype=np.float32):
    """Sinusoidal codes of integer timesteps t (N,) -> (N, dim): [sin(t·ω), cos(t·ω)] with
    ω_i = max_period^(−i/(dim/2)). No parameters and no gradient (t is an index)."""
    if dim % 2:
        raise ValueError(f"timestep_embedding: dim must be even, got {dim}")
    t = np.asarray(t.numpy() if isinstance(t, Tensor) else t, dtype=np.float64).reshape(-1)
    half = dim // 2
    freqs = np.exp(-math.log(max_period) * np.arange(half, dtype=np.float64) / half)
    args = t[:, None] * freqs[None, :]
    return Tensor(np.concatenate([np.sin(args), np.cos(args)], axis=1).astype(dtype))


def _groups(channels, num_groups):
    """The largest group count ≤ num_groups that divides channels."""
    g = min(num_groups, channels)
    while channels % g:
        g -= 1
    return g


class ResBlock(nn.Module):
    """GN–SiLU–conv, + Linear(SiLU(emb)) per channel, GN–SiLU–Dropout–conv, + skip(x)."""

    def __init__(self, in_channels, out_channels, emb_dim, dropout=0.0, num_groups=8):
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(in_channels, num_groups), in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.emb_proj = nn.Linear(emb_dim, out_channels)
        self.norm2 = nn.GroupNorm(_groups(out_channels, num_groups), out_channels)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.skip = (nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels
                     else nn.Identity())

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb_proj(F.silu(emb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return h + self.skip(x)


class Downsample(nn.Module):
    """3×3 convolution with stride 2 (H×W -> H/2×W/2)."""

    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample(nn.Module):
    """Nearest-neighbour ×2, then a 3×3 convolution (H×W -> 2H×2W)."""

    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


class UNet(nn.Module):
    """Predicts the noise ε̂ = UNet(x_t, t[, y]) with the shape of x_t (see the module doc).

    Args:
        in_channels: image channels (the output has as many unless ``out_channels``).
        base_channels: channels at full resolution; level i has base·channel_mults[i].
        channel_mults: one entry per resolution level (3 levels: 28 -> 14 -> 7).
        num_res_blocks: residual blocks per level in the encoder (the decoder has one more).
        time_embed_dim: size of the timestep embedding (default 4·base_channels).
        num_classes: add a label embedding (class-conditional model), with one extra "no label"
            row (index ``num_classes``) for classifier-free guidance.
        dropout, num_groups: dropout inside the residual blocks; GroupNorm groups (capped to
            divide the channels).
    """

    def __init__(self, in_channels=1, base_channels=32, channel_mults=(1, 2, 2), num_res_blocks=1,
                 time_embed_dim=None, num_classes=None, dropout=0.0, num_groups=8,
                 out_channels=None):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels or in_channels
        self.base_channels = base_channels
        self.channel_mults = tuple(channel_mults)
        self.num_classes = num_classes
        emb_dim = time_embed_dim or 4 * base_channels
        self.time_embed_dim = emb_dim
        self.time_mlp = nn.Sequential(nn.Linear(base_channels, emb_dim), nn.SiLU(),
                                      nn.Linear(emb_dim, emb_dim))
        if num_classes is not None:
            self.label_emb = nn.Embedding(num_classes + 1, emb_dim)
        self.conv_in = nn.Conv2d(in_channels, base_channels, 3, padding=1)

        block = dict(emb_dim=emb_dim, dropout=dropout, num_groups=num_groups)
        self.down = nn.ModuleList()
        skips, ch = [base_channels], base_channels
        for level, mult in enumerate(self.channel_mults):
            for _ in range(num_res_blocks):
                self.down.append(ResBlock(ch, base_channels * mult, **block))
                ch = base_channels * mult
                skips.append(ch)
            if level != len(self.channel_mults) - 1:
                self.down.append(Downsample(ch))
                skips.append(ch)
        self.mid = nn.ModuleList([ResBlock(ch, ch, **block), ResBlock(ch, ch, **block)])
        self.up = nn.ModuleList()
        for level, mult in reversed(list(enumerate(self.channel_mults))):
            for _ in range(num_res_blocks + 1):
                self.up.append(ResBlock(ch + skips.pop(), base_channels * mult, **block))
                ch = base_channels * mult
            if level != 0:
                self.up.append(Upsample(ch))
        self.norm_out = nn.GroupNorm(_groups(ch, num_groups), ch)
        self.conv_out = nn.Conv2d(ch, self.out_channels, 3, padding=1)

    def _check(self, x, t, y):
        name = type(self).__name__
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{name}: expected input of shape (N, {self.in_channels}, H, W), got "
                             f"{tuple(x.shape)}")
        factor = 2 ** (len(self.channel_mults) - 1)
        if x.shape[2] % factor or x.shape[3] % factor:
            raise ValueError(f"{name}: image size {tuple(x.shape[2:])} must be divisible by "
                             f"{factor} ({len(self.channel_mults)} resolution levels)")
        if tuple(np.shape(t.numpy() if isinstance(t, Tensor) else t)) != (x.shape[0],):
            raise ValueError(f"{name}: expected one timestep per sample, shape ({x.shape[0]},), "
                             f"got t of shape {tuple(np.shape(t))}")
        if y is not None and self.num_classes is None:
            raise ValueError(f"{name}: labels given to an unconditional model (build it with "
                             f"num_classes to condition on a label)")

    def embed(self, t, y=None, dtype=np.float32):
        """emb = MLP(sinusoidal(t)) [+ E[y]]; y=None on a conditional model means "no label"."""
        emb = self.time_mlp(timestep_embedding(t, self.base_channels, dtype=dtype))
        if self.num_classes is not None:
            if y is None:
                y = np.full(emb.shape[0], self.num_classes, dtype=np.int64)
            y = y if isinstance(y, Tensor) else Tensor(np.asarray(y, dtype=np.int64))
            emb = emb + self.label_emb(y)
        return emb

    def forward(self, x, t, y=None):
        self._check(x, t, y)
        emb = self.embed(t, y, dtype=x.dtype)
        h = self.conv_in(x)
        hs = [h]
        for layer in self.down:
            h = layer(h, emb) if isinstance(layer, ResBlock) else layer(h)
            hs.append(h)
        for layer in self.mid:
            h = layer(h, emb)
        for layer in self.up:
            if isinstance(layer, ResBlock):
                h = layer(cat([h, hs.pop()], dim=1), emb)
            else:
                h = layer(h)
        return self.conv_out(F.silu(self.norm_out(h)))

    def extra_repr(self):
        return (f"in_channels={self.in_channels}, base_channels={self.base_channels}, "
                f"channel_mults={self.channel_mults}, num_classes={self.num_classes}")
