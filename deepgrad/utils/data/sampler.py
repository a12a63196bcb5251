"""Samplers: which indices, in which order (PyTorch's ``torch.utils.data.sampler``).

Random samplers draw from deepgrad's seeded generator (or the ``generator`` given), so
``deepgrad.manual_seed`` makes every epoch's order reproducible. The built-in samplers also
offer ``_index_array()``: the epoch's whole order as one int64 array, which lets the loader
slice batches without building Python lists.
"""

import numpy as np

from deepgrad.backend.random import generator as _rng
from deepgrad.tensor import Tensor

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and usually ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError

    def _index_array(self):
        return None


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) − 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def _index_array(self):
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation; or ``num_samples`` draws, with replacement if asked.

    Without replacement and ``num_samples > len(data_source)``, whole permutations are
    concatenated (PyTorch's rule).
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        self.data_source, self.replacement, self.generator = data_source, replacement, generator
        self._num_samples = num_samples
        n = self.num_samples
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={n}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_array(self):
        n, rng = len(self.data_source), _rng(self.generator)
        if self.replacement:
            return rng.integers(0, n, self.num_samples, dtype=np.int64)
        rounds = -(-self.num_samples // n)
        if rounds == 1:
            return rng.permutation(n)[:self.num_samples]
        return np.concatenate([rng.permutation(n) for _ in range(rounds)])[:self.num_samples]

    def __iter__(self):
        return iter(self._index_array().tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order each epoch."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, generator

    def _index_array(self):
        table = np.asarray(self.indices, dtype=np.int64)
        return table[_rng(self.generator).permutation(len(table))]

    def __iter__(self):
        order = _rng(self.generator).permutation(len(self.indices)).tolist()
        return iter([self.indices[i] for i in order])

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability ∝ ``weights`` (with replacement by
    default) — the usual way to balance rare classes."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        w = np.asarray(weights._data if isinstance(weights, Tensor) else weights, np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(w.shape)}")
        if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise RuntimeError("WeightedRandomSampler: weights must be finite, non-negative "
                               "and not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise RuntimeError(f"WeightedRandomSampler: cannot draw {num_samples} samples "
                               f"without replacement from {np.count_nonzero(w)} nonzero weights")
        self.weights = Tensor._from_op(w, None)
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator

    def _index_array(self):
        w = self.weights._data
        return _rng(self.generator).choice(len(w), self.num_samples, replace=self.replacement,
                                           p=w / w.sum()).astype(np.int64)

    def __iter__(self):
        return iter(self._index_array().tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group another sampler's indices into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``)."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def _index_batches(self):
        """The epoch's batches as int64 arrays, or None if the sampler can't give an array."""
        # only for the built-in samplers: a subclass may override __iter__
        if type(self.sampler) not in _ARRAY_SAMPLERS:
            return None
        order = self.sampler._index_array()
        if order is None:
            return None
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        return (order[i:i + self.batch_size] for i in range(0, stop, self.batch_size))

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


_ARRAY_SAMPLERS = (SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler)
