"""Data sets (PyTorch's ``torch.utils.data.dataset``).

A map-style ``Dataset`` answers ``len(ds)`` and ``ds[i]``; an ``IterableDataset`` is a stream.
Data sets whose samples are rows of arrays (``TensorDataset``, and ``Subset`` of one) also
offer ``_batch_fetcher()``: a function that fetches a whole batch with one fancy-indexing call
per array, which the ``DataLoader`` uses instead of ``len(batch)`` calls of ``__getitem__``
followed by a stack.
"""

import bisect
import math
import warnings

import numpy as np

from deepgrad.backend.random import generator as _rng
from deepgrad.tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "ChainDataset", "TensorDataset", "ConcatDataset",
           "StackDataset", "Subset", "random_split"]


class Dataset:
    """Map-style data set: subclasses define ``__getitem__`` (and usually ``__len__``).

    A subclass may also define ``__getitems__(indices)`` returning the list of samples for a
    whole batch (PyTorch's protocol); the loader then calls it once per batch.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])

    def _batch_fetcher(self):
        """A function ``indices (int64 array) -> collated batch``, or None when samples must be
        fetched one by one. Only used when the loader's ``collate_fn`` is the default one."""
        return None


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__``."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several iterable data sets one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, got "
                                f"{type(d).__name__}")

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def _array(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


class TensorDataset(Dataset):
    """Sample ``i`` is ``tuple(t[i] for t in tensors)``; all tensors share their first size.

    Batches are fetched as ``[t[indices] for t in tensors]``: one NumPy fancy index per tensor.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if None in sizes or any(s != sizes[0] for s in sizes):
            raise ValueError(f"Size mismatch between tensors: TensorDataset needs tensors with "
                             f"the same first dimension, got shapes "
                             f"{[tuple(t.shape) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def _batch_fetcher(self):
        arrays = [t._data for t in self.tensors]

        def fetch(indices):
            return [Tensor._from_op(a[indices], None) for a in arrays]

        return fetch


class ConcatDataset(Dataset):
    """The concatenation of several map-style data sets."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise ValueError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = 0 if which == 0 else self.cumulative_sizes[which - 1]
        return self.datasets[which][index - start]

    def _batch_fetcher(self):
        fetchers = [d._batch_fetcher() if isinstance(d, Dataset) else None
                    for d in self.datasets]
        if any(f is None for f in fetchers):
            return None
        bounds = np.asarray([0] + self.cumulative_sizes)

        def fetch(indices):
            # fetch each part's rows in one call, then put them back in the sampled order
            which = np.searchsorted(bounds, indices, side="right") - 1
            parts, order = [], []
            for k in np.unique(which):
                mask = which == k
                parts.append(fetchers[k](indices[mask] - bounds[k]))
                order.append(np.flatnonzero(mask))
            if len(parts) == 1:
                return parts[0]
            inverse = np.argsort(np.concatenate(order), kind="stable")
            return [Tensor._from_op(np.concatenate([p[j]._data for p in parts])[inverse], None)
                    for j in range(len(parts[0]))]

        return fetch


class StackDataset(Dataset):
    """Datasets side by side: sample ``i`` is ``(d0[i], d1[i], ...)`` for positional datasets,
    or ``{name: d[i]}`` for keyword ones. All must have the same length."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) "
                             "like input/output, but both types are given.")
        datasets = args or tuple(kwargs.values())
        if not datasets:
            raise ValueError("At least one dataset should be passed")
        self._length = len(datasets[0])
        if any(len(d) != self._length for d in datasets):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self):
        return self._length


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices):
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)

    def _batch_fetcher(self):
        inner = self.dataset._batch_fetcher() if isinstance(self.dataset, Dataset) else None
        if inner is None:
            return None
        table = np.asarray(self.indices, dtype=np.int64)
        return lambda indices: inner(table[indices])


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random ``Subset``s.

    ``lengths`` are sizes summing to ``len(dataset)``, or fractions summing to 1: then each
    part gets ``floor(n * fraction)`` samples and the remainder is dealt one by one, round
    robin, from the first part on (PyTorch's rule).
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(n * frac)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, length in enumerate(counts):
            if length == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                              f"empty dataset.", stacklevel=2)
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths ({sum(lengths)}) does not equal the length of "
                         f"the input dataset ({n})!")
    order = _rng(generator).permutation(n).tolist()
    subsets, offset = [], 0
    for length in lengths:
        subsets.append(Subset(dataset, order[offset:offset + length]))
        offset += length
    return subsets
