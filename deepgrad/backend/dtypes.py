"""dtype policy: PyTorch's names over NumPy dtypes.

float32 is the default for floating data; Python scalars are "weak" (they never upcast a
float32 tensor, as in PyTorch and NumPy >= 2); integer / integer true division and integer
tensors mixed with Python floats give the default float dtype, as PyTorch does.
"""

import numpy as np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

default_float = float32

_ALIASES = {
    "float": float32, "float32": float32, "float64": float64, "double": float64,
    "half": float16, "float16": float16, "long": int64, "int64": int64, "int": int32,
    "int32": int32, "int16": int16, "short": int16, "int8": int8, "uint8": uint8,
    "bool": bool_,
}

bfloat16_unsupported = "bfloat16 is not supported by NumPy; use float32"


def to_dtype(dtype):
    """Turn a dtype-like (deepgrad/NumPy dtype, Python type, name) into a NumPy dtype."""
    if dtype is None:
        return None
    if isinstance(dtype, np.dtype):
        return dtype
    if dtype is float:
        return default_float
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    if isinstance(dtype, str):
        name = dtype.removeprefix("torch.").removeprefix("deepgrad.")
        if name in _ALIASES:
            return _ALIASES[name]
        raise TypeError(f"unknown dtype {dtype!r}")
    return np.dtype(dtype)


def is_floating(dtype):
    return dtype.kind == "f"


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _promote(dtypes_):
    """PyTorch's ``promote_types`` over a list: the highest category wins outright
    (float32 with int64 gives float32, not NumPy's float64); within it NumPy's rule."""
    top = max(_CATEGORY[d.kind] for d in dtypes_)
    return np.result_type(*[d for d in dtypes_ if _CATEGORY[d.kind] == top])


def result_dtype(*operands):
    """The dtype of an op on arrays and Python scalars, following PyTorch's promotion.

    Dimensioned tensors decide; a 0-d tensor only counts when it is of a higher category
    (bool < int < float); a Python float meeting integer or bool tensors gives the default
    float dtype, a Python int meeting bool tensors gives int64 (NumPy would differ on each).
    """
    arrays = [o for o in operands if isinstance(o, np.ndarray)]
    if len(arrays) == 1:
        dtype = arrays[0].dtype
    else:
        dims = [a.dtype for a in arrays if a.ndim]
        zero_d = [a.dtype for a in arrays if not a.ndim]
        dtype = _promote(dims) if dims else None
        if zero_d:
            scalar_dtype = _promote(zero_d)
            if dtype is None or _CATEGORY[scalar_dtype.kind] > _CATEGORY[dtype.kind]:
                dtype = scalar_dtype
    if dtype.kind != "f" and any(isinstance(o, float) for o in operands):
        return default_float
    if dtype.kind == "b" and any(isinstance(o, int) and not isinstance(o, bool) for o in operands):
        return int64
    return dtype
