"""MNIST and Fashion-MNIST from their IDX files (torchvision's classes, without PIL)."""

import os

import numpy as np

from deepgrad.datasets._base import ArrayImageDataset
from deepgrad.datasets.download import download_url
from deepgrad.datasets.idx import read_idx
from deepgrad.tensor import Tensor

__all__ = ["MNIST", "FashionMNIST", "DEBIAN_FASHION_MNIST"]

DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


class MNIST(ArrayImageDataset):
    """MNIST handwritten digits: 60,000 train / 10,000 test images, 28×28 uint8, labels 0–9.

    Looks for ``{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (``.gz`` or not) in ``root``,
    in torchvision's ``root/MNIST/raw`` and in ``root/MNIST``. ``download=True`` fetches missing
    files into ``root/MNIST/raw`` from the mirrors torchvision uses, checking SHA-256.

    ``.data``: uint8 N×28×28, ``.targets``: int64 N. A sample is ``(image, label)`` with the
    image a 28×28 uint8 tensor, or ``transform(28×28 uint8 array)`` — use
    ``transforms.ToTensor()`` to get 1×28×28 float32 in [0, 1].
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    # SHA-256 of the canonical .gz files (the same bytes on every mirror; torchvision records
    # their MD5s: f68b3c2d..., d53e105e..., 9fb629c4..., ec29112d...).
    resources = {
        "train-images-idx3-ubyte.gz":
            ("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",),
        "train-labels-idx1-ubyte.gz":
            ("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",),
        "t10k-images-idx3-ubyte.gz":
            ("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",),
        "t10k-labels-idx1-ubyte.gz":
            ("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",),
    }
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    system_dirs = []
    how_to_get = "pass download=True where the network is reachable"
    offline_hint = None  # where else the files can come from, for the offline message

    def __init__(self, root="data", train=True, transform=None, target_transform=None,
                 download=False):
        self.root = os.fspath(os.path.expanduser(root)) if root is not None else "data"
        self.train, self.transform, self.target_transform = train, transform, target_transform
        prefix = "train" if train else "t10k"
        images_path = self._find(f"{prefix}-images-idx3-ubyte", download)
        labels_path = self._find(f"{prefix}-labels-idx1-ubyte", download)
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or labels.ndim != 1:
            raise RuntimeError(f"{type(self).__name__}: {images_path} should hold N×H×W images "
                               f"and {labels_path} N labels, got shapes {images.shape} and "
                               f"{labels.shape}; the files are mixed up.")
        if images.shape[0] != labels.shape[0]:
            raise RuntimeError(f"{type(self).__name__}: {images_path} has {images.shape[0]} "
                               f"images but {labels_path} has {labels.shape[0]} labels; the "
                               f"files don't belong together.")
        self.data = Tensor._from_op(images, None)
        self.targets = Tensor._from_op(labels.astype(np.int64), None)

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    def _folders(self):
        name = type(self).__name__
        return [self.root, self.raw_folder, os.path.join(self.root, name)] + self.system_dirs

    def _find(self, stem, download):
        for folder in self._folders():
            for candidate in (stem, stem + ".gz"):
                path = os.path.join(folder, candidate)
                if os.path.isfile(path):
                    return path
        if download:
            return self._download(stem + ".gz")
        raise FileNotFoundError(
            f"{type(self).__name__}: {stem}(.gz) not found in {', '.join(self._folders())}. "
            f"Copy the IDX files into {self.root}, or {self.how_to_get}.")

    def _download(self, filename):
        target = os.path.join(self.raw_folder, filename)
        errors = []
        for mirror in self.mirrors:
            try:
                return download_url(mirror + filename, target, self.resources.get(filename),
                                    hint=self.offline_hint)
            except RuntimeError as error:
                errors.append(str(error))
        raise RuntimeError("\n".join(errors))


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format and sizes, ten kinds of clothing.

    Besides ``root`` (and ``root/FashionMNIST/raw``), the files of Debian's
    ``dataset-fashion-mnist`` package in ``/usr/share/datasets/fashion-mnist`` are used when
    ``root`` lacks them.
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    # Accepted SHA-256s: first the canonical .gz on Zalando's S3 bucket (torchvision checks
    # their MD5s 8d4fb7e6..., 25c81989..., bef4ecab..., bb300cfd...); second the copy Debian's
    # package ships, which is the same data gzip-compressed again (different bytes).
    resources = {
        "train-images-idx3-ubyte.gz": (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
        "train-labels-idx1-ubyte.gz": (
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
        "t10k-images-idx3-ubyte.gz": (
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
        "t10k-labels-idx1-ubyte.gz": (
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
    }
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    system_dirs = [DEBIAN_FASHION_MNIST]
    how_to_get = ("install Debian's dataset-fashion-mnist (apt-get install "
                  "dataset-fashion-mnist), or pass download=True where the network is reachable")
    offline_hint = ("or install Debian's dataset-fashion-mnist "
                    "(apt-get install dataset-fashion-mnist)")
