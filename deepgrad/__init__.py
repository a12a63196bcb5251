"""deepgrad: a deep learning framework you can read end to end, on NumPy, with PyTorch's API.

    import deepgrad as dg
    x = dg.randn(4, 3, requires_grad=True)
    loss = (x @ x.T).relu().mean()
    loss.backward()          # x.grad now holds d(loss)/dx
"""

from deepgrad import ops as _ops  # attaches operators and methods to Tensor
from deepgrad.autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from deepgrad.backend.dtypes import (
    bool_ as bool,
)
from deepgrad.backend.dtypes import (
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
)
from deepgrad.backend.random import (
    Generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from deepgrad.ops.activation import relu, sigmoid, tanh
from deepgrad.ops.creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    zeros,
    zeros_like,
)
from deepgrad.ops.elementwise import (
    abs,
    add,
    allclose,
    ceil,
    clamp,
    clip,
    cos,
    div,
    eq,
    equal,
    erf,
    exp,
    floor,
    floor_divide,
    ge,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    nonzero,
    pow,
    remainder,
    round,
    rsqrt,
    sign,
    sin,
    sqrt,
    square,
    sub,
    trunc,
    where,
)
from deepgrad.ops.index import (
    gather,
    index_select,
    masked_fill,
    masked_select,
    scatter,
    scatter_add,
    take_along_dim,
    tril,
    triu,
)
from deepgrad.ops.linalg import bmm, dot, einsum, matmul, mm, outer
from deepgrad.ops.reduce import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    count_nonzero,
    cumsum,
    log_softmax,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    softmax,
    std,
    std_mean,
    sum,
    var,
    var_mean,
)
from deepgrad.ops.shape import (
    broadcast_to,
    cat,
    chunk,
    clone,
    concat,
    concatenate,
    flatten,
    flip,
    hstack,
    narrow,
    permute,
    repeat_interleave,
    reshape,
    roll,
    select,
    split,
    squeeze,
    stack,
    swapaxes,
    t,
    tile,
    transpose,
    unbind,
    unflatten,
    unsqueeze,
    vstack,
)
from deepgrad.tensor import Tensor, tensor

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16

__version__ = "0.1.0"


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def set_printoptions(precision=None, threshold=None, linewidth=None):
    import numpy

    numpy.set_printoptions(precision=precision, threshold=threshold, linewidth=linewidth)


_SUBPACKAGES = ("nn", "optim", "autograd", "utils", "datasets", "transforms", "models", "io",
                "train", "viz", "metrics", "backend")
_LAZY_NAMES = {"save": "io", "load": "io", "summary": "train", "fit": "train"}


def __getattr__(name):
    # subpackages load on first use (PEP 562), so `import deepgrad` loads NumPy and the ops only
    import importlib

    if name in _SUBPACKAGES:
        return importlib.import_module(f"deepgrad.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(f"deepgrad.{_LAZY_NAMES[name]}"), name)
    raise AttributeError(f"module 'deepgrad' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBPACKAGES) | set(_LAZY_NAMES))
