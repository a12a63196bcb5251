"""``deepgrad.nn.functional``: the functional ops (math lives in ``deepgrad.ops``)."""

from deepgrad.ops.activation import (  # noqa: F401
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    relu,
    relu6,
    sigmoid,
    silu,
    softplus,
    tanh,
)
from deepgrad.ops.linalg import linear  # noqa: F401
from deepgrad.ops.reduce import log_softmax, softmax  # noqa: F401
from deepgrad.ops.shape import pad  # noqa: F401
