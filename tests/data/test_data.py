import gzip
import os
import struct

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import deepgrad as dg
from deepgrad.datasets import CIFAR10, MNIST, Digits, FashionMNIST, download_url, read_idx
from deepgrad.transforms import Compose, Lambda, Normalize, ToTensor
from deepgrad.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def test_tensor_dataset_loader_matches_torch_batches_sequential():
    x = np.arange(50, dtype=np.float32).reshape(25, 2)
    y = np.arange(25)
    ours = list(DataLoader(TensorDataset(dg.tensor(x), dg.tensor(y)), batch_size=4))
    theirs = list(tdata.DataLoader(tdata.TensorDataset(torch.tensor(x), torch.tensor(y)),
                                   batch_size=4))
    assert len(ours) == len(theirs) == 7
    for (a, b), (c, d) in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())


def test_shuffle_is_seeded_and_covers_every_sample_once():
    ds = TensorDataset(dg.arange(20))
    dg.manual_seed(3)
    first = np.concatenate([b[0].numpy() for b in DataLoader(ds, batch_size=6, shuffle=True)])
    dg.manual_seed(3)
    again = np.concatenate([b[0].numpy() for b in DataLoader(ds, batch_size=6, shuffle=True)])
    np.testing.assert_array_equal(first, again)
    assert sorted(first.tolist()) == list(range(20)) and first.tolist() != list(range(20))


def test_drop_last_len_and_collate_of_generic_dataset():
    class Squares(Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return {"x": np.full(3, i, np.float32), "y": i * i}

    loader = DataLoader(Squares(), batch_size=4, drop_last=True)
    batches = list(loader)
    assert len(loader) == len(batches) == 2
    assert batches[1]["x"].shape == (4, 3) and batches[1]["y"].tolist() == [16, 25, 36, 49]
    assert batches[0]["y"].dtype == dg.int64


def test_iterable_dataset_and_batch_sampler():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(SequentialSampler(range(5)), 2, False)) == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(SequentialSampler(range(5)), 0, False)


def test_random_split_and_subset():
    ds = TensorDataset(dg.arange(10))
    a, b = random_split(ds, [0.7, 0.3])
    assert (len(a), len(b)) == (7, 3)
    assert sorted([int(a[i][0]) for i in range(7)] + [int(b[i][0]) for i in range(3)]) == list(
        range(10))
    assert int(Subset(ds, [4, 2])[1][0]) == 2
    with pytest.raises(ValueError):
        random_split(ds, [3, 3])


def test_default_collate_tuples():
    batch = default_collate([(np.ones(2), 1), (np.zeros(2), 0)])
    assert batch[0].shape == (2, 2) and batch[1].tolist() == [1, 0]


def test_digits_split_is_fixed_and_disjoint():
    pytest.importorskip("sklearn")
    train, test = Digits(train=True), Digits(train=False)
    assert len(train) + len(test) == 1797 and train.data.shape[1:] == (8, 8)
    assert train.data.dtype == np.uint8 and int(train.data.numpy().max()) == 16
    assert set(test.targets.tolist()) == set(range(10))
    np.testing.assert_array_equal(Digits(train=False).targets.numpy(), test.targets.numpy())


def _write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I",
                                                                      *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_mnist_reads_idx_from_root_and_reports_missing_and_corrupt(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28))
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.arange(5))
    ds = MNIST(root=str(tmp_path), train=False)
    np.testing.assert_array_equal(ds.data.numpy(), images)
    image, label = ds[3]
    assert label == 3
    with pytest.raises(FileNotFoundError, match="download=True"):
        MNIST(root=str(tmp_path), train=True)
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(b"\x00\x00\x08\x01\x00\x00\x00\x09abc")
    with pytest.raises(RuntimeError, match="truncated"):
        MNIST(root=str(tmp_path), train=False)
    assert read_idx(tmp_path / "t10k-images-idx3-ubyte.gz").shape == (5, 28, 28)


def test_download_checks_sha256_and_explains_offline(tmp_path):
    source = tmp_path / "src.bin"
    source.write_bytes(b"hello")
    good = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    target = tmp_path / "out" / "file.bin"
    download_url(source.as_uri(), str(target), good)
    assert target.read_bytes() == b"hello"
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        download_url(source.as_uri(), str(tmp_path / "bad.bin"), "0" * 64)
    assert not (tmp_path / "bad.bin").exists()
    with pytest.raises(RuntimeError, match="could not download"):
        download_url((tmp_path / "missing").as_uri(), str(tmp_path / "x.bin"))


@pytest.mark.skipif(not os.path.isdir("/usr/share/datasets/fashion-mnist"),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_from_debian_package():
    ds = FashionMNIST(root="/nonexistent", train=False)
    assert len(ds) == 10000 and ds.classes[9] == "Ankle boot"
    batch = next(iter(DataLoader(ds, batch_size=32)))
    assert batch[0].shape == (32, 28, 28) and batch[1].dtype == dg.int64


def test_cifar10_binary_reader(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    records = np.zeros((3, 3073), np.uint8)
    records[:, 0] = [2, 7, 1]
    records[1, 1:1025] = 200  # red plane of the second image
    records.tofile(folder / "test_batch.bin")
    ds = CIFAR10(root=str(tmp_path), train=False)
    assert ds.targets.tolist() == [2, 7, 1] and ds.data.shape == (3, 32, 32, 3)
    assert int(ds.data.numpy()[1, 5, 5, 0]) == 200 and int(ds.data.numpy()[1, 5, 5, 1]) == 0
    records[:2].tofile(folder / "test_batch.bin")
    (folder / "test_batch.bin").write_bytes((folder / "test_batch.bin").read_bytes()[:-5])
    with pytest.raises(RuntimeError, match="truncated"):
        CIFAR10(root=str(tmp_path), train=False)


def test_transforms_to_tensor_normalize_compose():
    image = np.full((4, 4), 255, np.uint8)
    out = Compose([ToTensor(), Normalize([0.5], [0.25]), Lambda(lambda t: t * 2)])(image)
    assert out.shape == (1, 4, 4) and out.dtype == dg.float32
    np.testing.assert_allclose(out.numpy(), 4.0)
    rgb = np.zeros((2, 3, 3), np.uint8)
    assert ToTensor()(rgb).shape == (3, 2, 3)
    with pytest.raises(ValueError, match="zero"):
        Normalize([0.0], [0.0])
