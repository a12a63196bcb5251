"""Data loading as separate pieces (PyTorch's ``torch.utils.data``).

A ``Dataset`` answers ``len`` and ``[i]`` (``dataset.py``); a sampler yields indices
(``sampler.py``); ``default_collate`` turns a list of samples into a batch (``_collate.py``);
``DataLoader`` wires them (``dataloader.py``). Each piece can be replaced on its own.

    loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True)
    for xb, yb in loader:
        ...
"""

from deepgrad.utils.data._collate import default_collate, default_convert
from deepgrad.utils.data.dataloader import DataLoader, get_worker_info
from deepgrad.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from deepgrad.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = ["Dataset", "IterableDataset", "ChainDataset", "TensorDataset", "ConcatDataset", "Subset",
           "StackDataset", "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "BatchSampler", "WeightedRandomSampler", "default_collate",
           "default_convert", "DataLoader", "get_worker_info"]

from deepgrad.utils.data import distributed  # noqa: E402  (torch.utils.data.distributed)
from deepgrad.utils.data.distributed import DistributedSampler  # noqa: E402

__all__ += ["DistributedSampler"]
