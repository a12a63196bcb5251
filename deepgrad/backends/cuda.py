"""CUDA math flags (``torch.backends.cuda``): settable, no effect in deepgrad."""


class _MatmulFlags:
    """``torch.backends.cuda.matmul``: TF32 and reduced-precision reduction switches."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built():
    """False: deepgrad is not built with CUDA."""
    return False
