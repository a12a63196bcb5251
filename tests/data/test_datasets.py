"""Data set readers: IDX (MNIST, Fashion-MNIST), Digits, CIFAR-10 binary, downloads."""

import gzip
import hashlib
import importlib.util
import os
import urllib.error

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.datasets.download as download_module
from deepgrad.datasets import (
    CIFAR10,
    DEBIAN_FASHION_MNIST,
    MNIST,
    Digits,
    FashionMNIST,
    available,
    download_url,
    read_idx,
    write_idx,
)
from deepgrad.transforms import Compose, Normalize, ToTensor
from deepgrad.utils.data import DataLoader

HAVE_DEBIAN = os.path.isfile(os.path.join(DEBIAN_FASHION_MNIST, "t10k-labels-idx1-ubyte.gz"))


def _mnist_files(folder, n=5, prefix="t10k", gz=True, seed=0):
    images = np.random.default_rng(seed).integers(0, 256, (n, 28, 28)).astype(np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    suffix = ".gz" if gz else ""
    os.makedirs(folder, exist_ok=True)
    write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte{suffix}"), images)
    write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte{suffix}"), labels)
    return images, labels


def test_idx_round_trip_and_damaged_files(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    for name in ("a.gz", "a"):
        write_idx(tmp_path / name, array)
        back = read_idx(tmp_path / name)
        np.testing.assert_array_equal(back, array)
        assert back.dtype == np.uint8
    raw = (tmp_path / "a").read_bytes()
    assert raw[:4] == b"\x00\x00\x08\x03" and raw[4:8] == (2).to_bytes(4, "big")
    (tmp_path / "short").write_bytes(raw[:-3])
    with pytest.raises(RuntimeError, match="truncated.*download or copy it again"):
        read_idx(tmp_path / "short")
    (tmp_path / "magic").write_bytes(b"\x01\x02" + raw[2:])
    with pytest.raises(RuntimeError, match="bad magic number"):
        read_idx(tmp_path / "magic")
    (tmp_path / "cut.gz").write_bytes(gzip.compress(raw)[:-10])
    with pytest.raises(RuntimeError, match="corrupt or truncated"):
        read_idx(tmp_path / "cut.gz")


def test_mnist_from_root_and_torchvision_layout(tmp_path):
    images, labels = _mnist_files(tmp_path / "flat")
    ds = MNIST(root=tmp_path / "flat", train=False)
    assert len(ds) == 5 and ds.data.dtype == np.uint8 and ds.targets.dtype == np.int64
    np.testing.assert_array_equal(ds.data.numpy(), images)
    image, label = ds[3]
    assert label == 3 and image.shape == (28, 28) and image.dtype == np.uint8
    images, _ = _mnist_files(tmp_path / "tv" / "MNIST" / "raw", n=7, prefix="train", gz=False)
    train = MNIST(root=str(tmp_path / "tv"), train=True)
    np.testing.assert_array_equal(train.data.numpy(), images)
    assert train.classes[0] == "0 - zero" and train.class_to_idx["9 - nine"] == 9
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*download=True"):
        MNIST(root=tmp_path / "flat", train=True)
    write_idx(tmp_path / "flat" / "t10k-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(RuntimeError, match="don't belong together"):
        MNIST(root=tmp_path / "flat", train=False)


def test_mnist_samples_with_transforms_and_loader(tmp_path):
    images, labels = _mnist_files(tmp_path, n=10)
    tf = Compose([ToTensor(), Normalize([0.5], [0.5])])
    ds = MNIST(root=tmp_path, train=False, transform=tf, target_transform=lambda t: t + 1)
    image, label = ds[2]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32 and label == 3
    np.testing.assert_allclose(image.numpy()[0], images[2] / 255 * 2 - 1, atol=1e-6)
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.shape == (4, 1, 28, 28) and yb.tolist() == [1, 2, 3, 4]
    raw = MNIST(root=tmp_path, train=False)
    xb, yb = next(iter(DataLoader(raw, batch_size=4, shuffle=True)))  # vectorised path
    assert xb.shape == (4, 28, 28) and xb.dtype == np.uint8 and yb.dtype == np.int64
    for image, label in zip(xb.numpy(), yb.tolist()):
        index = int(np.flatnonzero((images == image).all(axis=(1, 2)))[0])
        assert labels[index] == label


@pytest.mark.skipif(not HAVE_DEBIAN, reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_from_debian_package_matches_an_independent_parse(tmp_path):
    ds = FashionMNIST(root=tmp_path, train=False)
    assert len(ds) == 10000 and ds.data.shape == (10000, 28, 28)
    assert ds.classes[9] == "Ankle boot" and ds.targets[0].item() == 9  # first: ankle boot
    with gzip.open(os.path.join(DEBIAN_FASHION_MNIST, "t10k-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read()[8:], np.uint8)
    np.testing.assert_array_equal(ds.targets.numpy(), labels)
    assert np.bincount(labels).tolist() == [1000] * 10
    batch = next(iter(DataLoader(ds, batch_size=32)))
    assert batch[0].shape == (32, 28, 28) and batch[1].dtype == dg.int64


def _serve(tmp_path, monkeypatch, cls, payloads):
    """A file:// mirror holding ``payloads`` (name -> bytes) with their sha256 registered."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    resources = {}
    for name, payload in payloads.items():
        (mirror / name).write_bytes(payload)
        resources[name] = (hashlib.sha256(payload).hexdigest(),)
    monkeypatch.setattr(cls, "mirrors", [mirror.as_uri() + "/"])
    monkeypatch.setattr(cls, "resources", resources)
    return mirror


def test_download_true_fetches_checks_and_reads(tmp_path, monkeypatch):
    source = tmp_path / "src"
    images, labels = _mnist_files(source, n=6)
    payloads = {p: (source / p).read_bytes() for p in os.listdir(source)}
    _serve(tmp_path, monkeypatch, FashionMNIST, payloads)
    monkeypatch.setattr(FashionMNIST, "system_dirs", [])
    root = tmp_path / "root"
    ds = FashionMNIST(root=root, train=False, download=True)
    np.testing.assert_array_equal(ds.data.numpy(), images)
    raw = root / "FashionMNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(payloads)  # no temporary files left behind
    monkeypatch.setattr(FashionMNIST, "resources", {n: ("0" * 64,) for n in payloads})
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        FashionMNIST(root=tmp_path / "other", train=False, download=True)
    assert not any(f for _, _, f in os.walk(tmp_path / "other"))


def test_download_offline_message_and_published_checksums(tmp_path, monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(download_module, "urlopen", offline)
    monkeypatch.setattr(FashionMNIST, "system_dirs", [])
    with pytest.raises(RuntimeError) as info:
        FashionMNIST(root=tmp_path, train=False, download=True)
    message = str(info.value)
    assert "could not download http://fashion-mnist" in message
    assert str(tmp_path / "FashionMNIST" / "raw") in message
    assert "dataset-fashion-mnist" in message
    with pytest.raises(RuntimeError, match="could not download https://ossci-datasets"):
        MNIST(root=tmp_path, train=False, download=True)
    assert not any(f for _, _, f in os.walk(tmp_path))
    for cls in (MNIST, FashionMNIST):
        assert len(cls.resources) == 4
        assert all(len(d) == 64 for digests in cls.resources.values() for d in digests)


@pytest.mark.skipif(not HAVE_DEBIAN, reason="Debian's dataset-fashion-mnist is not installed")
def test_debian_files_are_accepted_checksums():
    from deepgrad.datasets import sha256sum

    name = "t10k-labels-idx1-ubyte.gz"
    assert sha256sum(os.path.join(DEBIAN_FASHION_MNIST, name)) in FashionMNIST.resources[name]


def test_download_url_file_scheme(tmp_path):
    source = tmp_path / "src.bin"
    source.write_bytes(b"hello")
    good = hashlib.sha256(b"hello").hexdigest()
    download_url(source.as_uri(), tmp_path / "out" / "file.bin", good)
    assert (tmp_path / "out" / "file.bin").read_bytes() == b"hello"
    with pytest.raises(RuntimeError, match="could not download"):
        download_url((tmp_path / "missing").as_uri(), tmp_path / "x.bin")
    assert sorted(os.listdir(tmp_path)) == ["out", "src.bin"]


def test_digits_split_scaling_and_agreement_with_sklearn():
    train, test = Digits(train=True), Digits(train=False)
    assert (len(train), len(test)) == (1438, 359)
    assert train.data.dtype == np.uint8 and train.data.shape[1:] == (8, 8)
    assert int(train.data.numpy().max()) == 16
    image, label = train[0]
    assert image.dtype == np.float32 and image.shape == (8, 8)
    assert 0.0 <= image.numpy().min() and image.numpy().max() <= 1.0
    np.testing.assert_allclose(image.numpy(), train.data.numpy()[0] / 16, rtol=1e-6)
    # stratified: each class contributes round(20%) of its samples to the test set
    counts_all = np.bincount(np.concatenate([train.targets.numpy(), test.targets.numpy()]))
    assert np.bincount(test.targets.numpy()).tolist() == [int(round(c * 0.2))
                                                          for c in counts_all]
    np.testing.assert_array_equal(Digits(train=False).data.numpy(), test.data.numpy())
    xb, yb = next(iter(DataLoader(test, batch_size=16)))
    assert xb.dtype == np.float32 and xb.shape == (16, 8, 8) and float(xb.max()) <= 1.0
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    reference = sklearn_datasets.load_digits()
    ours = np.concatenate([train.data.numpy(), test.data.numpy()]).reshape(-1, 64)
    order = np.lexsort(ours.T)
    ref_order = np.lexsort(reference.data.T)
    np.testing.assert_array_equal(ours[order], reference.data[ref_order])


def test_digits_without_sklearn_says_what_to_install(monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sklearn" else real(name, *a))
    with pytest.raises(FileNotFoundError, match=r"pip install deepgrad\[digits\]"):
        Digits()
    rows = dict((name, found) for name, found, _ in available(tmp_path))
    assert rows["Digits"] is False
    (tmp_path / "digits.csv.gz").write_bytes(gzip.compress(b"1,2,3\n"))
    with pytest.raises(RuntimeError, match="65"):
        Digits(root=tmp_path)


def _cifar_records(n, seed):
    rng = np.random.default_rng(seed)
    records = rng.integers(0, 256, (n, 3073)).astype(np.uint8)
    records[:, 0] = rng.integers(0, 10, n)
    return records


def test_cifar10_binary_reader(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    records = np.zeros((3, 3073), np.uint8)
    records[:, 0] = [2, 7, 1]
    records[1, 1:1025] = 200  # red plane of the second image
    records[1, 1025 + 5 * 32 + 6] = 17  # green value at row 5, column 6
    records.tofile(folder / "test_batch.bin")
    ds = CIFAR10(root=str(tmp_path), train=False)
    assert ds.targets.tolist() == [2, 7, 1] and ds.data.shape == (3, 32, 32, 3)
    assert ds.data.numpy()[1, 5, 5].tolist() == [200, 0, 0]
    assert ds.data.numpy()[1, 5, 6].tolist() == [200, 17, 0]
    image, label = CIFAR10(root=tmp_path, train=False, transform=ToTensor())[1]
    assert image.shape == (3, 32, 32) and label == 7
    np.testing.assert_allclose(image.numpy()[1, 5, 6], 17 / 255, rtol=1e-6)
    parts = [_cifar_records(4, i) for i in range(5)]
    for i, part in enumerate(parts, 1):
        part.tofile(folder / f"data_batch_{i}.bin")
    train = CIFAR10(root=tmp_path, train=True)
    assert len(train) == 20
    np.testing.assert_array_equal(train.targets.numpy(), np.concatenate(parts)[:, 0])
    (folder / "test_batch.bin").write_bytes(records.tobytes()[:-5])
    with pytest.raises(RuntimeError, match="truncated.*extract"):
        CIFAR10(root=tmp_path, train=False)
    records[0, 0] = 50
    records.tofile(folder / "test_batch.bin")
    with pytest.raises(RuntimeError, match="labels above 9"):
        CIFAR10(root=tmp_path, train=False)
    with pytest.raises(FileNotFoundError, match="cifar-10-binary.tar.gz"):
        CIFAR10(root=tmp_path / "none", train=False)


def test_available_reports_found_and_missing(tmp_path):
    _mnist_files(tmp_path / "MNIST" / "raw", prefix="train")
    _mnist_files(tmp_path / "MNIST" / "raw", prefix="t10k")
    rows = {name: (found, detail) for name, found, detail in available(tmp_path)}
    assert rows["MNIST"][0] is True and "MNIST" in rows["MNIST"][1]
    assert rows["CIFAR10"][0] is False and "cifar-10-binary" in rows["CIFAR10"][1]
    assert rows["FashionMNIST"][0] is HAVE_DEBIAN
    if not HAVE_DEBIAN:
        assert "dataset-fashion-mnist" in rows["FashionMNIST"][1]


def test_batchable_transforms_run_on_whole_batches_with_the_same_result(tmp_path):
    _mnist_files(tmp_path, n=10)
    tf = Compose([ToTensor(), Normalize([0.5], [0.25])])
    ds = MNIST(root=tmp_path, train=False, transform=tf)
    assert ds._batch_fetcher() is not None
    fast = list(DataLoader(ds, batch_size=4))
    slow = list(DataLoader(ds, batch_size=4, collate_fn=lambda b: [
        dg.stack([x for x, _ in b]), dg.tensor([y for _, y in b])]))
    for (a, b), (c, d) in zip(fast, slow):
        assert a.shape == c.shape == (a.shape[0], 1, 28, 28) and a.dtype == c.dtype
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-6)
        assert b.tolist() == d.tolist()
    from deepgrad.transforms import Lambda

    assert MNIST(root=tmp_path, train=False, transform=Lambda(lambda x: x))._batch_fetcher() \
        is None
    from deepgrad.transforms import RandomCrop, RandomHorizontalFlip

    # raw N×28×28 pixels are not N×C×H×W: augmentations before ToTensor stay per image
    assert MNIST(root=tmp_path, train=False,
                 transform=RandomHorizontalFlip())._batch_fetcher() is None
    augmented = MNIST(root=tmp_path, train=False,
                      transform=Compose([ToTensor(), RandomCrop(28, padding=2)]))
    assert augmented._batch_fetcher() is not None
    assert next(iter(DataLoader(augmented, batch_size=4)))[0].shape == (4, 1, 28, 28)
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    _cifar_records(3, 0).tofile(folder / "test_batch.bin")
    cifar = CIFAR10(root=tmp_path, train=False, transform=ToTensor())
    batch = next(iter(DataLoader(cifar, batch_size=3)))[0]
    np.testing.assert_array_equal(batch.numpy()[2], cifar[2][0].numpy())
