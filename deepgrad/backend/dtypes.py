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


def result_dtype(*operands):
    """The dtype of a binary op on arrays and Python scalars, following PyTorch's promotion.

    Tensors of one category (bool < int < float) promote as NumPy does; a Python float meeting
    an integer or bool tensor gives the default float dtype (NumPy would give float64).
    """
    arrays = [o for o in operands if isinstance(o, np.ndarray)]
    dtype = np.result_type(*arrays) if len(arrays) > 1 else arrays[0].dtype
    if dtype.kind != "f" and any(isinstance(o, float) for o in operands):
        return default_float
    if dtype.kind == "b" and any(isinstance(o, int) and not isinstance(o, bool) for o in operands):
        return int64
    return dtype
