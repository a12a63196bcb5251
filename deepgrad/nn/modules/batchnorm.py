"""Batch normalisation layers: ``BatchNorm1d``, ``BatchNorm2d`` (math in ``ops.norm``).

Training: normalise with the batch's mean and biased variance, and move the running
statistics r ← (1 − momentum)·r + momentum·s (s the unbiased variance for ``running_var``);
``momentum=None`` makes them a cumulative average (factor 1/num_batches_tracked).
Evaluation: normalise with the running statistics.
"""

import numpy as np

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter, factory_dtype
from deepgrad.ops.norm import batch_norm, instance_norm
from deepgrad.tensor import Tensor, _check_device

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d"]


class _NormBase(Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        _check_device(device)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _dtype = factory_dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=_dtype))
            if bias:
                self.bias = Parameter(np.zeros(num_features, dtype=_dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=_dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=_dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    @no_grad()
    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0
            for t in (self.running_mean, self.running_var, self.num_batches_tracked):
                t._bump_version()

    @no_grad()
    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            self.weight._data[...] = 1
            self.weight._bump_version()
            if self.bias is not None:
                self.bias._data[...] = 0
                self.bias._bump_version()

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _check_channels(self, input, channel_dim):
        c = input.shape[channel_dim]
        if c != self.num_features:
            raise RuntimeError(
                f"{self._describe()}: expected input with {self.num_features} channels "
                f"(num_features) in dimension {channel_dim}, but got input of shape "
                f"{tuple(input.shape)} with {c}")


class _BatchNorm(_NormBase):
    def forward(self, input):
        self._check_input_dim(input)
        self._check_channels(input, 1)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            self.num_batches_tracked._bump_version()
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked._data)
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        use_stats = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if use_stats else None,
                          self.running_var if use_stats else None, self.weight, self.bias,
                          bn_training, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L): statistics per channel over N (and L).

    y = γ·(x − μ)/√(σ² + ε) + β, μ and biased σ² from the batch in training."""

    def _check_input_dim(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"{self._describe()}: expected 2D or 3D input (got {input.ndim}D "
                             f"input of shape {tuple(input.shape)})")


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W): statistics per channel over (N, H, W).

    y = γ·(x − μ)/√(σ² + ε) + β, μ and biased σ² from the batch in training."""

    def _check_input_dim(self, input):
        if input.ndim != 4:
            raise ValueError(f"{self._describe()}: expected 4D input (got {input.ndim}D input "
                             f"of shape {tuple(input.shape)})")


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W): statistics per channel over (N, D, H, W)."""

    def _check_input_dim(self, input):
        if input.ndim != 5:
            raise ValueError(f"{self._describe()}: expected 5D input (got {input.ndim}D input "
                             f"of shape {tuple(input.shape)})")


class _InstanceNorm(_NormBase):
    _dims = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input):
        n = self._dims
        if input.ndim not in (n + 1, n + 2):
            raise ValueError(f"{self._describe()}: expected {n + 1}D or {n + 2}D input (got "
                             f"{input.ndim}D input of shape {tuple(input.shape)})")
        unbatched = input.ndim == n + 1
        if unbatched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.num_features and self.affine:
            self._check_channels(input, 1)
        out = instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            self.momentum if self.momentum is not None else 0.0, self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over (N, C, L): each sample and channel over L."""

    _dims = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over (N, C, H, W): each sample and channel over (H, W)."""

    _dims = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over (N, C, D, H, W): each sample and channel over (D, H, W)."""

    _dims = 3
