"""``deepgrad.special``: PyTorch's ``torch.special`` names over deepgrad's ops.

The math lives in ``deepgrad/ops`` (mostly ``pointwise.py``); this module only gives it the
names users of ``torch.special`` know (``expit`` for sigmoid, ``gammaln`` for lgamma...).
"""

from deepgrad.ops.activation import sigmoid as expit
from deepgrad.ops.elementwise import erf, log1p, round
from deepgrad.ops.pointwise import (
    digamma,
    entr,
    erfc,
    erfcx,
    erfinv,
    exp2,
    expm1,
    i0,
    i0e,
    i1,
    i1e,
    log_ndtr,
    logit,
    ndtr,
    ndtri,
    polygamma,
    sinc,
    xlog1py,
    xlogy,
    zeta,
)
from deepgrad.ops.pointwise import digamma as psi
from deepgrad.ops.pointwise import lgamma as gammaln
from deepgrad.ops.pointwise import mvlgamma as multigammaln
from deepgrad.ops.reduce import log_softmax, logsumexp, softmax

__all__ = ["digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1",
           "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit",
           "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc",
           "softmax", "xlog1py", "xlogy", "zeta"]
