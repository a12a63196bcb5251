"""Work arrays kept between calls of the fused sequence ops (LSTM, layer norm, attention).

A freshly allocated multi-megabyte NumPy array is page-faulted in by the OS on first touch,
and on this kind of machine that costs more than the arithmetic done in it (measured: ~40% of
an LSTM training step, 2–3x the cost of a layer norm). An op that saves such an array for its
backward takes it here and gives it back in ``release`` once its backward has run; scratch
arrays used inside one call are taken and given back within that call. Arrays that escape to
the caller (outputs, gradients) are never put in ``POOL``; they come from ``OUTPUTS``, whose
memory is handed out again only once no array refers to it any more.
"""

import sys

import numpy as np

__all__ = ["POOL", "OUTPUTS"]


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


def _refs_with_one_view():
    """sys.getrefcount of a kept base while ``OutputPool.empty`` holds one view of it (measured
    here, in the same loop shape as there, so it holds on any CPython version)."""
    bases = [np.empty(1)]
    for base in bases:
        view = base.reshape(1)  # noqa: F841 (the view is what is being counted)
        return sys.getrefcount(base)


_ONE_VIEW = _refs_with_one_view()


class OutputPool:
    """Arrays that may reach the caller (outputs, gradients), recycled once nothing uses them.

    Each array handed out is a view of a flat base array kept here. Every NumPy array that
    shares its memory (views of views, ``np.frombuffer`` of a memoryview, ...) holds a
    reference to that base, so a base whose reference count is back to the pool's own is
    unused and its pages, already mapped, are handed out again: no page faults on the next
    step. Arrays under ``min_bytes`` (which malloc recycles by itself) are plain ``np.empty``;
    at most ``keep`` bases are kept per (size, dtype) and ``max_bytes`` in all, beyond that
    arrays are plain too."""

    def __init__(self, keep=8, min_bytes=1 << 17, max_bytes=1 << 30):
        self.bases, self.keep, self.min_bytes, self.max_bytes = {}, keep, min_bytes, max_bytes
        self.kept_bytes = 0

    def empty(self, shape, dtype):
        shape = tuple(shape)
        dtype = np.dtype(dtype)
        size = 1
        for s in shape:
            size *= s
        if size * dtype.itemsize < self.min_bytes:
            return np.empty(shape, dtype=dtype)
        bases = self.bases.setdefault((size, dtype), [])
        for base in bases:
            view = base.reshape(shape)
            # reserve first, then count: two threads can never both see a base as free
            if sys.getrefcount(base) <= _ONE_VIEW:
                return view
        base = np.empty(size, dtype=dtype)
        if len(bases) < self.keep and self.kept_bytes + base.nbytes <= self.max_bytes:
            bases.append(base)
            self.kept_bytes += base.nbytes
        return base.reshape(shape)

    def empty_like(self, a, dtype=None):
        """``np.empty_like(a)``: the axes laid out in memory in a's order (a channels-last
        view gets a channels-last array)."""
        dtype = a.dtype if dtype is None else np.dtype(dtype)
        if a.size * dtype.itemsize < self.min_bytes:
            return np.empty_like(a, dtype=dtype)  # small: malloc recycles it (layout kept)
        if a.ndim < 2 or a.flags.c_contiguous:
            return self.empty(a.shape, dtype)
        strides = a.strides
        order = sorted(range(a.ndim), key=lambda i: -abs(strides[i]))
        out = self.empty([a.shape[i] for i in order], dtype)
        inverse = [0] * a.ndim
        for position, axis in enumerate(order):
            inverse[axis] = position
        return out.transpose(inverse)

    def zeros(self, shape, dtype):
        out = self.empty(shape, dtype)
        out.fill(0)
        return out


OUTPUTS = OutputPool()
