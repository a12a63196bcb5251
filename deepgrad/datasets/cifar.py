"""CIFAR-10 from its binary version (``cifar-10-binary.tar.gz``), no pickle.

Each file of ``cifar-10-batches-bin`` is a sequence of 3,073-byte records: 1 label byte
(0–9), then 3,072 pixel bytes — the 1,024 red values of the 32×32 image row by row, then
green, then blue. ``data_batch_1.bin`` ... ``data_batch_5.bin`` hold the 50,000 training
images, ``test_batch.bin`` the 10,000 test images.
"""

import os

import numpy as np

from deepgrad.datasets._base import ArrayImageDataset
from deepgrad.tensor import Tensor

__all__ = ["CIFAR10"]

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"


class CIFAR10(ArrayImageDataset):
    """CIFAR-10: 32×32 colour images of ten classes.

    Reads ``root/cifar-10-batches-bin/*.bin`` (or the ``.bin`` files directly in ``root``).
    ``.data`` is uint8 N×32×32×3 (HWC, as torchvision keeps it), ``.targets`` int64. A sample's
    image is the 32×32×3 uint8 array (``transforms.ToTensor()`` makes it 3×32×32 float32).
    """

    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]
    record_bytes = 1 + 3 * 32 * 32
    base_folder = "cifar-10-batches-bin"

    def __init__(self, root="data", train=True, transform=None, target_transform=None,
                 download=False):
        self.root = os.fspath(os.path.expanduser(root))
        self.train, self.transform, self.target_transform = train, transform, target_transform
        folder = os.path.join(self.root, self.base_folder)
        if not os.path.isdir(folder):
            folder = self.root
        names = [f"data_batch_{i}.bin" for i in range(1, 6)] if train else ["test_batch.bin"]
        missing = [n for n in names if not os.path.isfile(os.path.join(folder, n))]
        if missing:
            why = "downloading is not built in for CIFAR-10; " if download else ""
            raise FileNotFoundError(
                f"CIFAR10: {', '.join(missing)} not found in {folder}; {why}download the binary "
                f"version ({URL}) and extract it under {self.root} "
                f"(tar xzf cifar-10-binary.tar.gz -C {self.root}).")
        records = np.concatenate([self._read(os.path.join(folder, n)) for n in names])
        images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        self.data = Tensor._from_op(np.ascontiguousarray(images), None)
        self.targets = Tensor._from_op(records[:, 0].astype(np.int64), None)

    def _read(self, path):
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size == 0 or raw.size % self.record_bytes:
            raise RuntimeError(f"CIFAR10: {path} is truncated or corrupt ({raw.size} bytes is "
                               f"not a positive multiple of the {self.record_bytes}-byte "
                               f"record); extract cifar-10-binary.tar.gz again.")
        records = raw.reshape(-1, self.record_bytes)
        if records[:, 0].max() > 9:
            raise RuntimeError(f"CIFAR10: {path} has labels above 9, so it is not a CIFAR-10 "
                               f"binary batch (CIFAR-100's records have 2 label bytes); extract "
                               f"cifar-10-binary.tar.gz again.")
        return records
