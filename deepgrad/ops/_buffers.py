"""Work arrays kept between calls of the fused sequence ops (LSTM, layer norm, attention).

A freshly allocated multi-megabyte NumPy array is page-faulted in by the OS on first touch,
and on this kind of machine that costs more than the arithmetic done in it (measured: ~40% of
an LSTM training step, 2–3x the cost of a layer norm). An op that saves such an array for its
backward takes it here and gives it back in ``release`` once its backward has run; scratch
arrays used inside one call are taken and given back within that call. Arrays that escape to
the caller (outputs, gradients) are never pooled.
"""

import numpy as np

__all__ = ["POOL"]


class BufferPool:
    """Free C-contiguous arrays by (size, dtype), at most ``keep`` of each."""

    def __init__(self, keep=6):
        self.free, self.keep = {}, keep

    def take(self, shape, dtype, zero=False):
        shape = tuple(shape)
        size = 1
        for s in shape:
            size *= s
        stack = self.free.get((size, np.dtype(dtype)))
        array = stack.pop().reshape(shape) if stack else np.empty(shape, dtype=dtype)
        if zero:
            array.fill(0)
        return array

    def give(self, *arrays):
        for a in arrays:
            if a is not None and a.flags.c_contiguous:
                stack = self.free.setdefault((a.size, a.dtype), [])
                if len(stack) < self.keep:
                    stack.append(a.reshape(-1))


POOL = BufferPool()
