"""The one door to the array module.

Every array call in deepgrad goes through ``xp`` (NumPy today). A GPU array library with
NumPy's interface (CuPy) could replace it here, in one place, as Chainer's
``get_array_module`` does.
"""

import numpy as np

from deepgrad.backend.dtypes import (
    bfloat16_unsupported,
    bool_,
    default_float,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    is_floating,
    result_dtype,
    to_dtype,
    uint8,
)
from deepgrad.backend.random import (
    generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

xp = np

__all__ = [
    "xp", "np", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
    "bool_", "default_float", "is_floating", "result_dtype", "to_dtype", "bfloat16_unsupported",
    "generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
]
