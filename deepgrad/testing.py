"""``deepgrad.testing``: PyTorch's ``torch.testing`` (``assert_close``, ``make_tensor``).

``assert_close(actual, expected)`` passes when ``|actual - expected| <= atol + rtol·|expected|``
everywhere, with torch's default tolerances per dtype (float32: rtol 1.3e-6, atol 1e-5;
float64: 1e-7 and 1e-7; integers and bools must be equal), after checking that shapes and
dtypes agree. It accepts tensors, NumPy arrays, Python numbers and (nested) sequences or
mappings of them, and fails with torch's messages.
"""

import collections.abc
import math
import numbers

import numpy as np

__all__ = ["assert_close", "make_tensor", "assert_allclose"]

_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7)}


def _dtype_name(dtype):
    return "deepgrad.bool" if dtype == np.bool_ else f"deepgrad.{np.dtype(dtype).name}"


def _tolerances(dtype, rtol, atol):
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {missing}.")
    if rtol is not None:
        return float(rtol), float(atol)
    return _TOLERANCES.get(np.dtype(dtype), (0.0, 0.0))


def _fail(message, msg, path):
    if msg is not None:
        raise AssertionError(msg(message) if callable(msg) else msg)
    if path:
        message += "\n\nThe failure occurred for item " + "".join(f"[{p!r}]" for p in path)
    raise AssertionError(message)


def _compare_arrays(actual, expected, rtol, atol, equal_nan, check_dtype, msg, path):
    if actual.shape != expected.shape:
        from deepgrad import Size

        _fail(f"The values for attribute 'shape' do not match: {Size(actual.shape)} != "
              f"{Size(expected.shape)}.", msg, path)
    if check_dtype and actual.dtype != expected.dtype:
        _fail(f"The values for attribute 'dtype' do not match: {_dtype_name(actual.dtype)} != "
              f"{_dtype_name(expected.dtype)}.", msg, path)
    rtol, atol = _tolerances(expected.dtype, rtol, atol)
    # torch measures differences in the inputs' floating dtype (float32 for integers)
    work = np.result_type(actual.dtype, expected.dtype)
    if work.kind not in "fc":
        work = np.dtype(np.float32)
    a, e = actual.astype(work), expected.astype(work)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        diff = np.abs(a - e)
        close = diff <= atol + rtol * np.abs(e)
        close |= a == e  # equal infinities
        if equal_nan:
            close |= np.isnan(a) & np.isnan(e)
        if close.all():
            return
        exact = rtol == 0 and atol == 0
        rel = diff / np.abs(e)
    total = close.size
    bad = int(total - close.sum())
    flat_bad = np.flatnonzero(~close.reshape(-1))
    abs_bad, rel_bad = diff.reshape(-1)[flat_bad], rel.reshape(-1)[flat_bad]
    i_abs = flat_bad[np.nanargmax(abs_bad)] if not np.isnan(abs_bad).all() else flat_bad[0]
    i_rel = flat_bad[np.nanargmax(rel_bad)] if not np.isnan(rel_bad).all() else flat_bad[0]

    def where(i):
        return tuple(int(k) for k in np.unravel_index(i, close.shape)) if close.ndim else ()

    def number(x):
        value = float(x)
        return str(int(value)) if exact and value.is_integer() else repr(value)

    kind = "equal" if exact else "close"
    lines = [f"Tensor-likes are not {kind}!", "",
             f"Mismatched elements: {bad} / {total} ({100 * bad / total:.1f}%)"]
    abs_value = diff.reshape(-1)[i_abs]
    rel_value = rel.reshape(-1)[i_rel]
    if exact:
        lines.append(f"Greatest absolute difference: {number(abs_value)} at index {where(i_abs)}")
        lines.append(f"Greatest relative difference: {number(rel_value)} at index {where(i_rel)}")
    else:
        lines.append(f"Greatest absolute difference: {number(abs_value)} at index "
                     f"{where(i_abs)} (up to {atol} allowed)")
        lines.append(f"Greatest relative difference: {number(rel_value)} at index "
                     f"{where(i_rel)} (up to {rtol} allowed)")
    _fail("\n".join(lines), msg, path)


def _compare_scalars(actual, expected, rtol, atol, equal_nan, msg, path):
    if rtol is None and atol is None:
        rtol, atol = (1e-7, 1e-7) if isinstance(expected, float) or isinstance(actual, float) \
            else (0.0, 0.0)
    rtol, atol = _tolerances(None, rtol, atol) if (rtol is None) != (atol is None) else \
        (rtol, atol)
    if actual == expected or (equal_nan and math.isnan(actual) and math.isnan(expected)):
        return
    diff = abs(actual - expected)
    if diff <= atol + rtol * abs(expected):
        return
    rel = diff / abs(expected) if expected != 0 else math.inf
    _fail(f"Scalars are not close!\n\nExpected {expected} but got {actual}.\n"
          f"Absolute difference: {diff} (up to {atol} allowed)\n"
          f"Relative difference: {rel} (up to {rtol} allowed)", msg, path)


def _as_array(value):
    from deepgrad.tensor import Tensor

    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray):
        return value
    return None


def _compare(actual, expected, rtol, atol, equal_nan, check_dtype, msg, path):
    a, e = _as_array(actual), _as_array(expected)
    if a is not None and e is not None:
        return _compare_arrays(a, e, rtol, atol, equal_nan, check_dtype, msg, path)
    if isinstance(actual, numbers.Number) and isinstance(expected, numbers.Number):
        if check_dtype and type(actual) is not type(expected) and not (
                isinstance(actual, bool) == isinstance(expected, bool)
                and isinstance(actual, numbers.Integral) == isinstance(expected,
                                                                       numbers.Integral)):
            _fail(f"The values for attribute 'dtype' do not match: {type(actual).__name__} != "
                  f"{type(expected).__name__}.", msg, path)
        return _compare_scalars(actual, expected, rtol, atol, equal_nan, msg, path)
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected,
                                                                  collections.abc.Mapping):
        if set(actual) != set(expected):
            missing = sorted(set(expected) - set(actual), key=repr)
            extra = sorted(set(actual) - set(expected), key=repr)
            _fail(f"The keys of the mappings do not match:\nMissing keys in the actual "
                  f"mapping: {missing}\nAdditional keys in the actual mapping: {extra}",
                  msg, path)
        for key in expected:
            _compare(actual[key], expected[key], rtol, atol, equal_nan, check_dtype, msg,
                     path + (key,))
        return
    sequence = collections.abc.Sequence
    if isinstance(actual, sequence) and isinstance(expected, sequence) and not isinstance(
            actual, str) and not isinstance(expected, str):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                  msg, path)
        for i, (x, y) in enumerate(zip(actual, expected)):
            _compare(x, y, rtol, atol, equal_nan, check_dtype, msg, path + (i,))
        return
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                    f"{type(expected)}.")


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless ``actual`` and ``expected`` are close (module docstring)."""
    _tolerances(None, rtol, atol)  # both or neither
    _compare(actual, expected, rtol, atol, equal_nan, check_dtype, msg, ())


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """The deprecated form of ``assert_close`` (dtypes not checked, NaNs equal)."""
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_dtype=False, msg=msg or None)


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A random tensor of ``shape`` and ``dtype``, uniform in [low, high) (torch's defaults:
    [-9, 9) for floats and signed integers, [0, 10) for unsigned, {0, 1} for bool), drawn
    from deepgrad's generator."""
    import deepgrad
    from deepgrad.backend import dtypes
    from deepgrad.backend.random import generator

    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dtype = dtypes.to_dtype(dtype)
    rng = generator()
    if dtype == np.bool_:
        array = rng.integers(0, 2, size=shape).astype(bool)
    elif dtype.kind in "iu":
        lo = (0 if dtype.kind == "u" else -9) if low is None else math.ceil(low)
        hi = 10 if high is None else math.ceil(high)
        array = rng.integers(lo, hi, size=shape).astype(dtype)
    else:
        lo = -9.0 if low is None else low
        hi = 9.0 if high is None else high
        array = rng.uniform(lo, hi, size=shape).astype(dtype)
    if exclude_zero:
        array[array == 0] = 1 if dtype.kind in "iub" else np.finfo(dtype).tiny
    return deepgrad.tensor(array, requires_grad=requires_grad)
