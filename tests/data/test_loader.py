"""deepgrad.utils.data against torch.utils.data: datasets, samplers, collate, DataLoader."""

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import deepgrad as dg
from deepgrad.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    get_worker_info,
    random_split,
)


def _np(x):
    return x.numpy() if isinstance(x, (dg.Tensor, torch.Tensor)) else np.asarray(x)


def _same_structure(ours, theirs):
    """Equal values, dtypes and container kinds (deepgrad tensor ↔ torch tensor)."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, dg.Tensor), type(ours)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype,
                                                                           theirs.dtype)
        np.testing.assert_array_equal(_np(ours), _np(theirs))
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for k in theirs:
            _same_structure(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), (type(ours),
                                                                         type(theirs))
        for a, b in zip(ours, theirs):
            _same_structure(a, b)
    else:
        assert ours == theirs


def _xy(n=25):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    return x, np.arange(n)


@pytest.mark.parametrize("n,batch_size,drop_last", [(25, 4, False), (25, 4, True), (8, 8, True),
                                                    (7, 10, False), (7, 10, True)])
def test_sequential_batches_and_len_match_torch(n, batch_size, drop_last):
    x, y = _xy(n)
    ours = DataLoader(TensorDataset(dg.tensor(x), dg.tensor(y)), batch_size=batch_size,
                      drop_last=drop_last)
    theirs = tdata.DataLoader(tdata.TensorDataset(torch.tensor(x), torch.tensor(y)),
                              batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    batches = list(ours)
    assert len(batches) == len(theirs)
    for a, b in zip(batches, theirs):
        _same_structure(a, b)


def _collate_cases():
    Point = collections.namedtuple("Point", "x y")
    return [
        [np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)],
        [1, 2, 3],
        [0.5, 1.5],
        [True, False],
        [np.int32(3), np.int32(4)],
        [np.float32(1.5), np.float32(2.5)],
        ["a", "b"],
        [(np.ones(2), 1), (np.zeros(2), 0)],
        [[1, 2.0], [3, 4.0]],
        [{"img": np.ones(2, np.uint8), "label": 1, "name": "x"},
         {"img": np.zeros(2, np.uint8), "label": 2, "name": "y"}],
        [Point(1, 2.0), Point(3, 4.0)],
        [{"nested": (np.arange(2), {"k": 1.0})}, {"nested": (np.arange(2), {"k": 2.0})}],
    ]


@pytest.mark.parametrize("batch", _collate_cases())
def test_default_collate_matches_torch(batch):
    _same_structure(default_collate(batch), tdata.default_collate(batch))


def test_default_collate_of_tensors_and_errors():
    out = default_collate([dg.ones(2, 3), dg.zeros(2, 3)])
    assert out.shape == (2, 2, 3)
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([dg.ones(2), dg.ones(3)])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object(), object()])


def test_batch_size_none_converts_samples_like_torch():
    class Items(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.full(2, i, np.float32), i

    ours = list(DataLoader(Items(), batch_size=None))
    theirs = list(tdata.DataLoader(Items(), batch_size=None))
    for a, b in zip(ours, theirs):
        _same_structure(a, b)


def test_shuffle_is_seeded_covers_every_sample_and_changes_per_epoch():
    ds = TensorDataset(dg.arange(50))

    def epoch(loader):
        return np.concatenate([b[0].numpy() for b in loader]).tolist()

    dg.manual_seed(3)
    loader = DataLoader(ds, batch_size=8, shuffle=True)
    first, second = epoch(loader), epoch(loader)
    dg.manual_seed(3)
    again = DataLoader(ds, batch_size=8, shuffle=True)
    assert epoch(again) == first and epoch(again) == second
    assert sorted(first) == list(range(50)) and first != list(range(50)) and first != second
    g1, g2 = dg.Generator().manual_seed(7), dg.Generator().manual_seed(7)
    assert epoch(DataLoader(ds, batch_size=8, shuffle=True, generator=g1)) == \
        epoch(DataLoader(ds, batch_size=8, shuffle=True, generator=g2))


def test_vectorised_fast_path_equals_per_item_path():
    x, y = _xy(40)
    base = TensorDataset(dg.tensor(x), dg.tensor(y))
    for ds in (base, Subset(base, [5, 3, 30, 7, 1, 2, 9]),
               ConcatDataset([base, TensorDataset(dg.tensor(x * 2), dg.tensor(y + 100))])):
        assert ds._batch_fetcher() is not None
        dg.manual_seed(1)
        fast = list(DataLoader(ds, batch_size=6, shuffle=True))
        dg.manual_seed(1)
        slow = list(DataLoader(ds, batch_size=6, shuffle=True, collate_fn=default_collate))
        assert len(fast) == len(slow)
        for a, b in zip(fast, slow):
            assert [t.dtype for t in a] == [t.dtype for t in b]
            for s, t in zip(a, b):
                np.testing.assert_array_equal(s.numpy(), t.numpy())


def test_subset_and_concat_of_plain_datasets_and_getitems():
    class Plain(Dataset):
        calls = 0

        def __len__(self):
            return 10

        def __getitem__(self, i):
            return i * 10

    plain = Plain()
    assert Subset(plain, [1, 2])._batch_fetcher() is None
    assert [b.tolist() for b in DataLoader(Subset(plain, [4, 2, 9]), batch_size=2)] == \
        [[40, 20], [90]]
    both = ConcatDataset([plain, Plain()])
    assert len(both) == 20 and both[12] == 20 and both[-1] == 90
    assert len(plain + plain) == 20
    tboth = tdata.ConcatDataset([list(range(10)), list(range(5))])
    ours = ConcatDataset([list(range(10)), list(range(5))])
    assert [ours[i] for i in range(15)] == [tboth[i] for i in range(15)]

    class Batched(Plain):
        def __getitems__(self, indices):
            Batched.calls += 1
            return [i * 10 for i in indices]

    assert [b.tolist() for b in DataLoader(Batched(), batch_size=4)][0] == [0, 10, 20, 30]
    assert Batched.calls == 3


@pytest.mark.parametrize("n", [10, 7, 101])
def test_random_split_lengths_match_torch(n):
    fractions = [0.5, 0.3, 0.2]
    ours = random_split(TensorDataset(dg.arange(n)), fractions)
    theirs = tdata.random_split(range(n), fractions)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    values = sorted(int(s[i][0]) for s in ours for i in range(len(s)))
    assert values == list(range(n))


def test_random_split_generator_and_errors():
    ds = TensorDataset(dg.arange(10))
    a = random_split(ds, [4, 6], generator=dg.Generator().manual_seed(1))
    b = random_split(ds, [4, 6], generator=dg.Generator().manual_seed(1))
    assert a[0].indices == b[0].indices
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [3, 3])
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(dg.zeros(3), dg.zeros(4))


def test_samplers():
    data = range(6)
    assert list(SequentialSampler(data)) == list(tdata.SequentialSampler(data))
    dg.manual_seed(0)
    order = list(RandomSampler(data))
    assert sorted(order) == list(range(6))
    draws = list(RandomSampler(data, replacement=True, num_samples=50))
    assert len(draws) == 50 and set(draws) <= set(range(6))
    twice = list(RandomSampler(data, num_samples=12))
    assert sorted(twice) == sorted(list(range(6)) * 2)
    assert len(RandomSampler(data, num_samples=12)) == 12
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler(data, num_samples=0)
    with pytest.raises(TypeError, match="replacement"):
        RandomSampler(data, replacement=1)
    assert sorted(SubsetRandomSampler([7, 3, 5])) == [3, 5, 7]
    weighted = list(WeightedRandomSampler([0.0, 1.0, 3.0], 400))
    assert 0 not in weighted and 200 < weighted.count(2) < 360
    unique = list(WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False))
    assert sorted(unique) == [0, 1, 2, 3]
    with pytest.raises(RuntimeError):
        WeightedRandomSampler([1, 0], 2, replacement=False)
    for drop_last in (False, True):
        ours = BatchSampler(SequentialSampler(range(10)), 3, drop_last)
        theirs = tdata.BatchSampler(tdata.SequentialSampler(range(10)), 3, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(SequentialSampler(data), 0, False)


def test_loader_with_sampler_batch_sampler_and_argument_errors():
    x, y = _xy(10)
    ds = TensorDataset(dg.tensor(x), dg.tensor(y))
    batches = list(DataLoader(ds, batch_size=2, sampler=[9, 8, 7]))
    assert [b[1].tolist() for b in batches] == [[9, 8], [7]]
    batches = list(DataLoader(ds, batch_sampler=[[1, 2, 3], [0]]))
    assert [b[1].tolist() for b in batches] == [[1, 2, 3], [0]]
    assert len(DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 4, False))) == 3
    assert len(list(DataLoader(ds, batch_size=3, num_workers=4, pin_memory=True))) == 4
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    w = WeightedRandomSampler([1.0] * 10, 20)
    assert sum(len(b[0]) for b in DataLoader(ds, batch_size=4, sampler=w)) == 20


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5],
                                                                        [6]]
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3, drop_last=True)] == \
        [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(TypeError):
        len(DataLoader(Stream(), batch_size=3))
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(), shuffle=True)

    class Sized(Stream):
        def __len__(self):
            return 7

    assert len(DataLoader(Sized(), batch_size=3)) == len(tdata.DataLoader(Sized(), batch_size=3))
    chained = Stream() + Sized()
    assert list(chained) == list(range(7)) * 2 and len(ChainDataset([Sized(), Sized()])) == 14
    assert get_worker_info() is None and tdata.get_worker_info() is None
