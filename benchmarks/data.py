"""Data loading: one epoch of Fashion-MNIST-sized data in batches of 128, deepgrad vs torch.

    .venv/bin/python benchmarks/data.py

Data: 60,000 uint8 28×28 images + int64 labels (Fashion-MNIST's training set when Debian's
package is installed, random bytes of the same shape otherwise), wrapped as TensorDataset
(float32 in [0, 1], what a training loop consumes) and as the FashionMNIST dataset (uint8).
Reports microseconds per batch, iterating the loader only (median of 3 alternating rounds
of one full shuffled epoch),
plus the per-batch cost of typical augmentations on an N×1×28×28 batch.
"""

import statistics
import sys
import time

from common import setup_threads

setup_threads(2)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.utils.data as tdata  # noqa: E402

import deepgrad as dg  # noqa: E402
from deepgrad import transforms as T  # noqa: E402
from deepgrad.utils.data import DataLoader, TensorDataset  # noqa: E402

BATCH = 128


def _images():
    try:
        from deepgrad.datasets import FashionMNIST

        ds = FashionMNIST(root="/nonexistent", train=True)
        return ds, ds.data.numpy(), ds.targets.numpy()
    except (FileNotFoundError, RuntimeError):
        rng = np.random.default_rng(0)
        return None, rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8), \
            rng.integers(0, 10, 60000)


def _epoch_us(loader):
    start = time.perf_counter()
    n = 0
    for _ in loader:
        n += 1
    return (time.perf_counter() - start) / n * 1e6


def main():
    fashion, images, labels = _images()
    x = (images.astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    y = labels.astype(np.int64)
    loaders = {
        "deepgrad TensorDataset (float32)": DataLoader(
            TensorDataset(dg.tensor(x), dg.tensor(y)), batch_size=BATCH, shuffle=True),
        "torch TensorDataset (float32)": tdata.DataLoader(
            tdata.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=BATCH,
            shuffle=True),
    }
    if fashion is not None:
        loaders["deepgrad FashionMNIST (uint8)"] = DataLoader(fashion, batch_size=BATCH,
                                                              shuffle=True)
        pipeline = T.Compose([T.ToTensor(), T.Normalize([0.286], [0.353])])
        loaders["deepgrad FashionMNIST + ToTensor,Normalize"] = DataLoader(
            type(fashion)(root="/nonexistent", train=True, transform=pipeline),
            batch_size=BATCH, shuffle=True)
        per_item = T.Compose([T.ToTensor(), T.Lambda(lambda t: t)])  # Lambda: not batchable
        loaders["deepgrad FashionMNIST + Lambda (per item)"] = DataLoader(
            type(fashion)(root="/nonexistent", train=True, transform=per_item),
            batch_size=BATCH, shuffle=True)
        loaders["torch TensorDataset (uint8, per item+stack)"] = tdata.DataLoader(
            tdata.TensorDataset(torch.tensor(images), torch.tensor(y)), batch_size=BATCH,
            shuffle=True)
    results = {name: [] for name in loaders}
    for _ in range(3):
        for name, loader in loaders.items():
            results[name].append(_epoch_us(loader))
    print(f"batch {BATCH}, one shuffled epoch of {len(x)} samples, median of 3 rounds "
          f"(µs per batch):")
    for name, times in results.items():
        print(f"  {name:<45} {statistics.median(times):8.1f}   rounds "
              f"{', '.join(f'{t:.0f}' for t in times)}")
    batch = x[:BATCH]
    augment = {
        "RandomCrop(28, padding=2)": T.RandomCrop(28, padding=2),
        "RandomHorizontalFlip()": T.RandomHorizontalFlip(),
        "RandomRotation(10)": T.RandomRotation(10),
        "RandomAffine(10, (0.1, 0.1), (0.9, 1.1))": T.RandomAffine(10, (0.1, 0.1), (0.9, 1.1)),
        "RandomErasing()": T.RandomErasing(),
        "Normalize": T.Normalize([0.286], [0.353]),
    }
    print(f"augmentation of one {BATCH}×1×28×28 float32 batch (µs, median of 20):")
    for name, transform in augment.items():
        times = []
        for _ in range(20):
            start = time.perf_counter()
            transform(batch)
            times.append(time.perf_counter() - start)
        print(f"  {name:<45} {statistics.median(times) * 1e6:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
