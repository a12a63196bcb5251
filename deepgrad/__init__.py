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
from deepgrad.ops.matrix import (  # linalg-api
    addbmm,
    addmm,
    addmv,
    addr,
    baddbmm,
    block_diag,
    cdist,
    chain_matmul,
    cholesky,
    cholesky_inverse,
    cholesky_solve,
    corrcoef,
    cov,
    cross,
    det,
    diag,
    diag_embed,
    diagflat,
    diagonal,
    dist,
    frobenius_norm,
    ger,
    inner,
    inverse,
    kron,
    logdet,
    lu,
    lu_solve,
    lu_unpack,
    matrix_exp,
    matrix_power,
    mv,
    nuclear_norm,
    pinverse,
    qr,
    slogdet,
    svd,
    tensordot,
    trace,
    triangular_solve,
    tril_indices,
    triu_indices,
    vander,
    vdot,
)
from deepgrad.ops.pointwise import (
    absolute,
    acos,
    acosh,
    addcdiv,
    addcmul,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    clamp_max,
    clamp_min,
    copysign,
    cosh,
    deg2rad,
    digamma,
    divide,
    erfc,
    erfinv,
    exp2,
    expm1,
    fix,
    float_power,
    fmax,
    fmin,
    fmod,
    frac,
    frexp,
    gcd,
    greater,
    greater_equal,
    heaviside,
    hypot,
    i0,
    isneginf,
    isposinf,
    isreal,
    lcm,
    ldexp,
    lerp,
    less,
    less_equal,
    lgamma,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    logit,
    multiply,
    mvlgamma,
    nan_to_num,
    negative,
    nextafter,
    not_equal,
    polygamma,
    positive,
    rad2deg,
    reciprocal,
    rsub,
    sgn,
    signbit,
    sinc,
    sinh,
    subtract,
    tan,
    true_divide,
    xlogy,
)
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
)
from deepgrad.ops.shape_extra import (
    Size,
    adjoint,
    alias_copy,
    argwhere,
    as_strided,
    as_strided_copy,
    as_strided_scatter,
    asarray,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_shapes,
    broadcast_tensors,
    can_cast,
    cartesian_prod,
    channels_last,
    channels_last_3d,
    column_stack,
    combinations,
    contiguous_format,
    detach,
    detach_copy,
    diagonal_scatter,
    dsplit,
    dstack,
    dtype,
    e,
    expand_copy,
    finfo,
    fliplr,
    flipud,
    frombuffer,
    get_default_dtype,
    hsplit,
    hstack,
    iinfo,
    index_add,
    index_copy,
    index_fill,
    index_put,
    index_put_,
    index_reduce,
    inf,
    is_complex,
    is_floating_point,
    is_inference,
    is_nonzero,
    is_same_size,
    is_signed,
    isin,
    layout,
    masked_scatter,
    memory_format,
    meshgrid,
    moveaxis,
    movedim,
    nan,
    narrow_copy,
    newaxis,
    nonzero_static,
    permute_copy,
    pi,
    preserve_format,
    promote_types,
    put,
    randint_like,
    ravel,
    result_type,
    rot90,
    row_stack,
    scalar_tensor,
    scatter_reduce,
    select_copy,
    select_scatter,
    set_default_dtype,
    slice_scatter,
    split_copy,
    split_with_sizes,
    split_with_sizes_copy,
    squeeze_copy,
    strided,
    swapdims,
    t_copy,
    take,
    tensor_split,
    transpose_copy,
    unbind_copy,
    unfold_copy,
    unravel_index,
    unsafe_chunk,
    unsafe_split,
    unsafe_split_with_sizes,
    unsqueeze_copy,
    view_copy,
    vsplit,
    vstack,
)
from deepgrad.ops.shape_extra import range_ as range
from deepgrad.ops.sorting import (
    aminmax,
    argsort,
    bincount,
    bucketize,
    cummax,
    cummin,
    cumprod,
    diff,
    histc,
    kthvalue,
    logcumsumexp,
    median,
    mode,
    msort,
    nanmean,
    nanmedian,
    nanquantile,
    nansum,
    quantile,
    searchsorted,
    sort,
    topk,
    unique,
    unique_consecutive,
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
                "linalg", "train", "viz", "metrics", "backend")
_LAZY_NAMES = {"save": "io", "load": "io", "summary": "train", "fit": "train"}
_SUBPACKAGES += ("special",)  # pointwise-api: deepgrad.special (torch.special's names), lazy


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


_SUBPACKAGES += ("distributions",)  # missing-api: deepgrad.distributions (torch's names), lazy
_LAZY_NAMES.update({name: "backend.threads" for name in (  # missing-api: BLAS threads, lazy
    "set_num_threads", "get_num_threads", "set_num_interop_threads", "get_num_interop_threads")})
_SUBPACKAGES += ("cuda", "backends")  # missing-api: torch.cuda / torch.backends stand-ins, lazy
_LAZY_NAMES.update({name: "backends._runtime" for name in (  # missing-api: no-op runtime flags
    "compile", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision",
    "get_float32_matmul_precision")})
_SUBPACKAGES += ("amp",)  # missing-api: torch.amp (autocast is a no-op; GradScaler scales)
_LAZY_NAMES.update({"autocast": "amp", "is_autocast_enabled": "amp"})
_SUBPACKAGES += ("func",)  # missing-api: torch.func transforms (grad, vmap, functional_call)
_LAZY_NAMES.update({"vmap": "func"})
_SUBPACKAGES += ("testing",)  # missing-api: torch.testing (assert_close, make_tensor)
_LAZY_NAMES.update({"is_anomaly_enabled": "autograd", "set_anomaly_enabled": "autograd",
                    "is_anomaly_check_nan_enabled": "autograd"})
_SUBPACKAGES += ("jit", "compiler", "random", "profiler")  # missing-api: runtime stand-ins
_SUBPACKAGES += ("cpu", "accelerator", "mps")  # missing-api: device queries, no accelerator
_LAZY_NAMES.update({"poisson": "distributions.sampling", "binomial": "distributions.sampling"})
from deepgrad.tensor import device  # noqa: E402  core-bugs: torch.device (cpu only)
from deepgrad.tensor import set_printoptions  # noqa: E402,F811  core-bugs: torch print layout
from deepgrad.ops.shape_extra import LEGACY_TENSOR_TYPES as _LEGACY  # noqa: E402  core-bugs: torch.FloatTensor...
globals().update(_LEGACY)
