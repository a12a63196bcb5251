"""``DataLoader``: wires a data set, a sampler and a collate function into batches."""

import numpy as np

from deepgrad.utils.data._collate import default_collate, default_convert
from deepgrad.utils.data.dataset import Dataset, IterableDataset
from deepgrad.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


def get_worker_info():
    """Always None: deepgrad loads in the calling process (as torch does with num_workers=0),
    so code written for torch's worker processes takes its single-process branch."""
    return None


class DataLoader:
    """Iterate over a data set in mini-batches (PyTorch's ``DataLoader``).

    Args:
        dataset: a map-style ``Dataset`` (``len`` and ``[i]``) or an ``IterableDataset``.
        batch_size: samples per batch (default 1); ``None`` turns automatic batching off.
        shuffle: a new random order every epoch, drawn from ``generator`` or deepgrad's global
            generator — so ``deepgrad.manual_seed(s)`` makes the order reproducible.
        sampler / batch_sampler: custom index order / custom batches of indices.
        collate_fn: list of samples → batch (default ``default_collate``).
        drop_last: drop the last, incomplete batch.
        num_workers, pin_memory, timeout, worker_init_fn, prefetch_factor, persistent_workers:
            accepted for compatibility and ignored: loading runs in the calling process.

    Speed: with the default ``collate_fn``, a data set that offers ``_batch_fetcher()``
    (``TensorDataset``, the image data sets without a transform, ``Subset``/``ConcatDataset``
    of those) is read with one fancy-indexing call per array per batch, and the built-in
    samplers hand over each epoch's order as one array, so no Python loop runs per sample.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        self.dataset, self.num_workers, self.generator = dataset, num_workers, generator
        self.pin_memory, self.timeout, self.worker_init_fn = pin_memory, timeout, worker_init_fn
        self.prefetch_factor, self.persistent_workers = prefetch_factor, persistent_workers
        self._auto_collate_fn = collate_fn is None
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            if sampler is not None and shuffle:
                raise ValueError("sampler option is mutually exclusive with shuffle")
            if batch_sampler is not None:
                if batch_size != 1 or shuffle or sampler is not None or drop_last:
                    raise ValueError("batch_sampler option is mutually exclusive with "
                                     "batch_size, shuffle, sampler, and drop_last")
                batch_size, drop_last = None, False
            elif batch_size is None and drop_last:
                raise ValueError("batch_size=None option disables auto-batching and is mutually "
                                 "exclusive with drop_last")
            if sampler is None:
                sampler = RandomSampler(dataset, generator=generator) if shuffle \
                    else SequentialSampler(dataset)
            if batch_size is not None and batch_sampler is None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        if collate_fn is None:
            auto_batch = batch_size is not None or batch_sampler is not None
            collate_fn = default_collate if auto_batch else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    def __len__(self):
        if self._iterable:
            length = len(self.dataset)  # TypeError when the stream has no length, as in torch
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last \
                    else -(-length // self.batch_size)
            return length
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self):
        if self._iterable:
            return self._iter_stream()
        if self.batch_sampler is None:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        return self._iter_batches()

    def _iter_stream(self):
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def _iter_batches(self):
        fetch = None
        if self._auto_collate_fn and isinstance(self.dataset, Dataset):
            fetch = self.dataset._batch_fetcher()
        if fetch is not None:
            batches = None
            if type(self.batch_sampler) is BatchSampler:
                batches = self.batch_sampler._index_batches()
            if batches is None:
                batches = (np.asarray(b, dtype=np.int64) for b in self.batch_sampler)
            for indices in batches:
                yield fetch(indices)
            return
        getitems = getattr(self.dataset, "__getitems__", None)
        for indices in self.batch_sampler:
            if callable(getitems):
                samples = getitems(indices)
            else:
                samples = [self.dataset[i] for i in indices]
            yield self.collate_fn(samples)
