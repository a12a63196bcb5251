"""scikit-learn's 8×8 handwritten digits: the data set that needs no download.

1,797 images of 8×8 pixels with values 0–16 (counts of set pixels in 4×4 blocks of the
original 32×32 bitmaps), ten classes — the UCI "Optical Recognition of Handwritten Digits" test
set. scikit-learn ships it as ``sklearn/datasets/data/digits.csv.gz`` (64 pixel columns, then
the label); deepgrad reads that file directly, without importing scikit-learn.
"""

import gzip
import importlib.util
import os
import zlib

import numpy as np

from deepgrad.datasets._base import ArrayImageDataset
from deepgrad.tensor import Tensor

__all__ = ["Digits", "digits_file"]

_INSTALL = "pip install deepgrad[digits]"


def digits_file():
    """Where scikit-learn's bundled ``digits.csv.gz`` is (found without importing sklearn)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"Digits: the 8x8 digits are read from the file scikit-learn ships, and "
            f"scikit-learn is not installed; install it with `{_INSTALL}` (or pass root= a "
            f"folder holding digits.csv.gz).")
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, "datasets", "data", "digits.csv.gz")
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"Digits: scikit-learn is installed but its digits.csv.gz is "
                            f"missing; reinstall it (`{_INSTALL}`).")


def _read_table(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        rows = raw.strip().split(b"\n")
        table = np.array(b",".join(rows).split(b","), dtype=np.float64)
    except (OSError, EOFError, zlib.error, ValueError) as error:
        raise RuntimeError(f"Digits: cannot read {path} ({error}); the file is corrupt, "
                           f"reinstall scikit-learn (`{_INSTALL}`).") from None
    if table.size != len(rows) * 65:
        raise RuntimeError(f"Digits: {path} doesn't look like the digits table (expected 65 "
                           f"comma-separated columns per row); reinstall scikit-learn.")
    table = table.reshape(len(rows), 65)
    if table.min() < 0 or table[:, :64].max() > 16 or table[:, 64].max() > 9:
        raise RuntimeError(f"Digits: {path} holds values outside 0–16 / labels outside 0–9")
    return table


class Digits(ArrayImageDataset):
    """The 8×8 digits with a fixed train/test split.

    Split: stratified 80/20 — within each class, the samples are shuffled with
    ``numpy.random.default_rng(0)`` and the first ``round(0.2 · class size)`` go to the test
    set. That gives 1,438 train and 359 test images, the same on every machine and independent
    of ``deepgrad.manual_seed``; each split keeps the file's order.

    ``.data`` holds the raw pixels (uint8, 0–16, N×8×8) and ``.targets`` the labels (int64),
    like torchvision's data sets. A sample ``ds[i]`` is ``(image, label)`` with the image
    scaled to [0, 1]: an 8×8 float32 tensor (or ``transform`` of that 8×8 float32 array).

    Args:
        root: None (scikit-learn's file), a folder holding ``digits.csv.gz``, or that file.
    """

    classes = [str(i) for i in range(10)]
    split_seed, test_fraction = 0, 0.2
    max_value = 16

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False):
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        path = self._path(root)
        table = _read_table(path)
        labels = table[:, 64].astype(np.int64)
        chosen = self.split_indices(labels, train)
        self.data = Tensor._from_op(table[chosen, :64].astype(np.uint8).reshape(-1, 8, 8), None)
        self.targets = Tensor._from_op(labels[chosen], None)

    @staticmethod
    def _path(root):
        if root is None:
            return digits_file()
        root = os.fspath(root)
        if os.path.isfile(root):
            return root
        path = os.path.join(root, "digits.csv.gz")
        if os.path.isfile(path):
            return path
        return digits_file()

    @classmethod
    def split_indices(cls, labels, train):
        """Indices (ascending) of the train or test part of the stratified split."""
        rng = np.random.default_rng(cls.split_seed)
        test = []
        for c in np.unique(labels):
            members = np.flatnonzero(labels == c)
            n_test = int(round(len(members) * cls.test_fraction))
            test.append(members[rng.permutation(len(members))[:n_test]])
        is_test = np.zeros(len(labels), dtype=bool)
        is_test[np.concatenate(test)] = True
        return np.flatnonzero(~is_test if train else is_test)

    def _sample_array(self, array):
        return array.astype(np.float32) * np.float32(1 / self.max_value)
