"""``DataParallel`` and ``SyncBatchNorm`` for programs written for several GPUs.

deepgrad runs on one CPU process, so ``DataParallel`` calls its module directly (PyTorch does
the same when no GPU is present) and ``SyncBatchNorm`` is batch norm over the local batch (as
PyTorch's outside a distributed process group). State-dict keys match PyTorch's
(``module.`` prefix), so checkpoints move between the two.
"""

from deepgrad.nn.module import Module
from deepgrad.nn.modules.batchnorm import _BatchNorm
from deepgrad.tensor import _check_device

__all__ = ["DataParallel", "SyncBatchNorm"]


class DataParallel(Module):
    """Wraps ``module``; ``forward`` runs it on the whole batch (``device_ids`` stays empty on
    a CPU)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        for device in device_ids or ():
            _check_device(device if isinstance(device, str) else f"cuda:{device}")
        self.module = module
        self.device_ids = []
        self.output_device, self.dim = None, dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


class SyncBatchNorm(_BatchNorm):
    """Batch norm whose statistics would be shared across processes; in one process it is
    ``BatchNorm`` over any (N, C, *) input."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None, *,
                 bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.ndim < 2:
            raise ValueError(f"{self._describe()}: expected at least 2D input (got {input.ndim}D "
                             f"input)")

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm*d replaced by a SyncBatchNorm holding the same
        parameters and running statistics (the tensors themselves, not copies)."""
        converted = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group)
            for name in ("weight", "bias"):
                if module.affine:
                    setattr(converted, name, getattr(module, name))
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                converted._buffers[name] = module._buffers[name]
            converted.training = module.training
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted
