"""Standard data sets read from their published file formats (no pickle, no PIL).

* ``Digits`` (``digits.py``): scikit-learn's 8×8 handwritten digits, read directly from the file
  scikit-learn ships — the zero-setup default. Fixed stratified 80/20 split, images in [0, 1].
* ``MNIST`` / ``FashionMNIST`` (``mnist.py``): IDX files (``idx.py``) from ``root``,
  torchvision's ``root/<Name>/raw`` layout, or Debian's ``dataset-fashion-mnist`` package;
  ``download=True`` fetches them with SHA-256 checks (``download.py``).
* ``CIFAR10`` (``cifar.py``): the binary batches of ``cifar-10-batches-bin``.
* ``RottenTomatoes`` (``sentiment.py``): 12,751 movie-review sentences, positive/negative,
  shipped in ``datasets/data/`` (source and licence in its README); with ``tokenize``,
  ``Vocab`` and ``pad_ids`` for text.
* ``date_pairs`` (``dates.py``): generated (human date, ISO date) pairs for sequence-to-sequence
  models, with ``date_vocabs`` and ``encode_pairs``.
* ``CharCorpus`` / ``load_text`` / ``words`` (``text.py``): English text available offline for
  language models and word embeddings -- CPython's documentation topics (``python-docs``) or
  Debian's licence texts (``licenses``) -- split train/val/test, vocabulary from train.

``available()`` says which are present here and how to get the others.
"""

import os

from deepgrad.datasets.cifar import CIFAR10
from deepgrad.datasets.dates import date_pairs, date_vocabs, encode_pairs
from deepgrad.datasets.digits import Digits, digits_file
from deepgrad.datasets.download import download_url, sha256sum
from deepgrad.datasets.idx import read_idx, write_idx
from deepgrad.datasets.mnist import DEBIAN_FASHION_MNIST, MNIST, FashionMNIST
from deepgrad.datasets.sentiment import (
    ROTTEN_TOMATOES_FILE,
    RottenTomatoes,
    Vocab,
    pad_ids,
    tokenize,
)
from deepgrad.datasets.text import CharCorpus, load_text, words

__all__ = ["Digits", "MNIST", "FashionMNIST", "CIFAR10", "read_idx", "write_idx",
           "download_url", "sha256sum", "available", "DEBIAN_FASHION_MNIST", "RottenTomatoes",
           "Vocab", "tokenize", "pad_ids", "date_pairs", "date_vocabs", "encode_pairs",
           "CharCorpus", "load_text", "words"]


def _idx_status(cls, root):
    probe = cls.__new__(cls)
    probe.root = os.fspath(root)
    try:
        found = [probe._find(f"{split}-{kind}-ubyte", download=False)
                 for split in ("train", "t10k") for kind in ("images-idx3", "labels-idx1")]
    except FileNotFoundError:
        return False, f"IDX files not found under {probe.root}; {cls.how_to_get}"
    return True, f"IDX files in {os.path.dirname(found[0])}"


def available(root="data"):
    """``[(name, found, detail), ...]`` for each data set: where it was found, or how to get it.

    ``deepgrad datasets`` prints this table.
    """
    rows = []
    try:
        rows.append(("Digits", True, f"scikit-learn's bundled file {digits_file()}"))
    except FileNotFoundError as error:
        rows.append(("Digits", False, str(error)))
    for cls in (FashionMNIST, MNIST):
        found, detail = _idx_status(cls, root)
        rows.append((cls.__name__, found, detail))
    folder = os.path.join(os.fspath(root), CIFAR10.base_folder)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    if all(os.path.isfile(os.path.join(folder, n)) for n in names):
        rows.append(("CIFAR10", True, f"binary batches in {folder}"))
    else:
        rows.append(("CIFAR10", False, f"download the binary version from "
                                       f"https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz "
                                       f"and extract it under {os.fspath(root)}"))
    if os.path.isfile(ROTTEN_TOMATOES_FILE):
        rows.append(("RottenTomatoes", True, f"shipped with deepgrad: {ROTTEN_TOMATOES_FILE}"))
    else:
        rows.append(("RottenTomatoes", False, f"{ROTTEN_TOMATOES_FILE} is missing; reinstall "
                                              f"deepgrad (it is package data)"))
    return rows
