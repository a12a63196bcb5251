"""Standard data sets read from their published file formats (no pickle).

* ``Digits``: scikit-learn's 8×8 handwritten digits (1,797 images, 10 classes), read directly
  from the ``digits.csv.gz`` file scikit-learn ships — the zero-setup default of the main job.
  Split: a fixed seeded shuffle, first 80% train, last 20% test (the file's own order puts
  harder writers at the end, so an unshuffled split would not be representative).
* ``MNIST`` / ``FashionMNIST``: the IDX files (.gz or raw), from ``root``, torchvision's
  ``root/<Name>/raw`` layout, or Debian's ``dataset-fashion-mnist`` package.
* ``CIFAR10``: the binary version (``cifar-10-batches-bin``).
"""

import gzip
import hashlib
import os
import shutil
import struct
import tempfile
import urllib.request

import numpy as np

from deepgrad.tensor import Tensor

__all__ = ["Digits", "MNIST", "FashionMNIST", "CIFAR10", "read_idx", "available", "download_url"]

DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    """Read an IDX file (.gz or raw) into a NumPy array, checking its header and size."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as error:
        raise RuntimeError(f"cannot read IDX file {path}: {error}. The file is corrupt or "
                           f"truncated; delete it and download it again.") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise RuntimeError(f"{path} is not an IDX file of unsigned bytes (bad magic number); "
                           f"delete it and download it again.")
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise RuntimeError(f"{path} is truncated: header promises shape {shape} "
                           f"({int(np.prod(shape))} bytes) but {data.size} bytes follow; delete "
                           f"it and download it again.")
    return data.reshape(shape)


def download_url(url, path, sha256=None):
    """Fetch ``url`` to ``path`` atomically, checking its SHA-256; a clear error when offline."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=30) as response:
            shutil.copyfileobj(response, out)
        if sha256 is not None:
            with open(tmp, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            if digest != sha256:
                raise RuntimeError(f"checksum mismatch for {url}: expected sha256 {sha256}, got "
                                   f"{digest}; the download is corrupt, try again.")
        os.replace(tmp, path)
    except OSError as error:
        raise RuntimeError(f"could not download {url} ({error}). Without network access, copy "
                           f"the file to {path} yourself (for Fashion-MNIST: apt-get install "
                           f"dataset-fashion-mnist).") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


class _ArrayDataset:
    """Images in ``.data`` (uint8), labels in ``.targets`` (int64), torchvision-style."""

    classes = []

    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, index):
        image = self.data[index]
        target = int(self.targets._data[index])
        if self.transform is not None:
            image = self.transform(image._data if isinstance(image, Tensor) else image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def _batch(self, indices):
        if self.transform is not None or self.target_transform is not None:
            from deepgrad.utils.data import default_collate

            return default_collate([self[int(i)] for i in indices])
        return [Tensor._from_op(self.data._data[indices], None),
                Tensor._from_op(self.targets._data[indices], None)]


class MNIST(_ArrayDataset):
    """MNIST handwritten digits (60,000 train / 10,000 test, 28×28, uint8)."""

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/"]
    resources = {  # file -> sha256 (None: published checksums are MD5; checked via md5 below)
        "train-images-idx3-ubyte.gz": None, "train-labels-idx1-ubyte.gz": None,
        "t10k-images-idx3-ubyte.gz": None, "t10k-labels-idx1-ubyte.gz": None,
    }
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    system_dirs = []

    def __init__(self, root="data", train=True, transform=None, target_transform=None,
                 download=False):
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        prefix = "train" if train else "t10k"
        images = self._find(f"{prefix}-images-idx3-ubyte", download)
        labels = self._find(f"{prefix}-labels-idx1-ubyte", download)
        data, targets = read_idx(images), read_idx(labels)
        if data.shape[0] != targets.shape[0]:
            raise RuntimeError(f"{images} has {data.shape[0]} images but {labels} has "
                               f"{targets.shape[0]} labels; the files don't belong together.")
        self.data = Tensor._from_op(np.ascontiguousarray(data), None)
        self.targets = Tensor._from_op(targets.astype(np.int64), None)

    def _folders(self):
        name = type(self).__name__
        return [self.root, os.path.join(self.root, name, "raw"), os.path.join(self.root, name)] \
            + self.system_dirs

    def _find(self, stem, download):
        for folder in self._folders():
            for candidate in (stem, stem + ".gz"):
                path = os.path.join(folder, candidate)
                if os.path.exists(path):
                    return path
        if download:
            target = os.path.join(self.root, type(self).__name__, "raw", stem + ".gz")
            errors = []
            for mirror in self.mirrors:
                try:
                    return download_url(mirror + stem + ".gz", target,
                                        self.resources.get(stem + ".gz"))
                except RuntimeError as error:
                    errors.append(str(error))
            raise RuntimeError("\n".join(errors))
        raise FileNotFoundError(
            f"{type(self).__name__}: {stem}(.gz) not found in {', '.join(self._folders())}. "
            f"Pass download=True, or copy the IDX files there"
            + (" (or apt-get install dataset-fashion-mnist)." if self.system_dirs else "."))


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (same format as MNIST): ten kinds of clothing."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = {  # SHA-256 of the canonical files (those Debian's package ships)
        "train-images-idx3-ubyte.gz":
            "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        "train-labels-idx1-ubyte.gz":
            "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        "t10k-images-idx3-ubyte.gz":
            "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        "t10k-labels-idx1-ubyte.gz":
            "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    }
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    system_dirs = [DEBIAN_FASHION_MNIST]


def _digits_file():
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the digits data set is read from scikit-learn's bundled file; "
                                "install it with `pip install deepgrad[digits]` (or scikit-learn)")
    return os.path.join(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz")


class Digits(_ArrayDataset):
    """scikit-learn's 8×8 handwritten digits: pixel values 0–16 (uint8), labels 0–9.

    1,797 images; a fixed shuffle (seed 0) puts 1,438 in train and 359 in test.
    """

    classes = [str(i) for i in range(10)]
    split_seed, test_fraction = 0, 0.2

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False):
        self.train, self.transform, self.target_transform = train, transform, target_transform
        path = _digits_file() if root is None or not os.path.isfile(str(root)) else root
        try:
            table = np.loadtxt(path, delimiter=",", dtype=np.float64)
        except (OSError, ValueError, EOFError) as error:
            raise RuntimeError(f"cannot read the digits file {path}: {error}; reinstall "
                               f"scikit-learn.") from None
        if table.ndim != 2 or table.shape[1] != 65:
            raise RuntimeError(f"{path} doesn't look like the digits table (expected 65 columns, "
                               f"got shape {table.shape})")
        order = np.random.default_rng(self.split_seed).permutation(table.shape[0])
        n_test = int(round(table.shape[0] * self.test_fraction))
        chosen = order[n_test:] if train else order[:n_test]
        self.data = Tensor._from_op(table[chosen, :64].astype(np.uint8).reshape(-1, 8, 8), None)
        self.targets = Tensor._from_op(table[chosen, 64].astype(np.int64), None)


class CIFAR10(_ArrayDataset):
    """CIFAR-10 from its binary batches: records of 1 label byte + 3,072 pixel bytes (CHW)."""

    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]
    record = 1 + 3 * 32 * 32

    def __init__(self, root="data", train=True, transform=None, target_transform=None,
                 download=False):
        self.train, self.transform, self.target_transform = train, transform, target_transform
        folder = root
        if os.path.isdir(os.path.join(root, "cifar-10-batches-bin")):
            folder = os.path.join(root, "cifar-10-batches-bin")
        names = [f"data_batch_{i}.bin" for i in range(1, 6)] if train else ["test_batch.bin"]
        chunks = []
        for name in names:
            path = os.path.join(folder, name)
            if not os.path.exists(path):
                raise FileNotFoundError(
                    f"CIFAR10: {path} not found. Download the binary version "
                    f"(https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz) and extract it "
                    f"under {root}.")
            raw = np.fromfile(path, dtype=np.uint8)
            if raw.size % self.record:
                raise RuntimeError(f"{path} is truncated ({raw.size} bytes is not a multiple of "
                                   f"{self.record}); extract the archive again.")
            chunks.append(raw.reshape(-1, self.record))
        table = np.concatenate(chunks)
        # torchvision keeps CIFAR as HWC uint8 in .data
        images = table[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        self.data = Tensor._from_op(np.ascontiguousarray(images), None)
        self.targets = Tensor._from_op(table[:, 0].astype(np.int64), None)


def available(root="data"):
    """(name, found?, where / how to get it) for each data set."""
    rows = []
    try:
        rows.append(("digits", os.path.exists(_digits_file()), "bundled with scikit-learn"))
    except FileNotFoundError as error:
        rows.append(("digits", False, str(error)))
    for cls in (FashionMNIST, MNIST):
        try:
            cls(root=root, train=False)
            rows.append((cls.__name__, True, "IDX files found"))
        except (FileNotFoundError, RuntimeError) as error:
            rows.append((cls.__name__, False, str(error)))
    try:
        CIFAR10(root=root, train=False)
        rows.append(("CIFAR10", True, "binary batches found"))
    except (FileNotFoundError, RuntimeError) as error:
        rows.append(("CIFAR10", False, str(error)))
    return rows
