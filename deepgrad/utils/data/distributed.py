"""``DistributedSampler``: each of ``num_replicas`` processes reads its own slice of the data.

deepgrad runs in one process, so ``num_replicas`` and ``rank`` must be given (torch takes
them from an initialised process group otherwise).
"""

import math

from deepgrad.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Indices ``rank, rank + num_replicas, ...`` of the (optionally shuffled, padded or
    trimmed) index list, so the replicas' shares are disjoint and equally long. With
    ``shuffle`` the permutation is drawn from a generator seeded ``seed + epoch``: call
    ``set_epoch`` each epoch for a new order that all replicas agree on."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            raise RuntimeError("DistributedSampler: deepgrad has no distributed process group; "
                               "pass num_replicas and rank explicitly")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            import deepgrad

            g = deepgrad.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = deepgrad.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Reseed the shuffle for ``epoch`` (same order on every replica)."""
        self.epoch = epoch
