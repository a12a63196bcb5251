"""Dataset / DataLoader user programs, run against torch and deepgrad."""

import numpy as np

from _libs import assert_same, run_both


def dataset_program(torch, nn, F, optim, data):
    out = {}

    class Squares(data.Dataset):
        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            return {"x": torch.tensor([float(i), float(i * i)], dtype=torch.float64), "y": i % 3, "name": f"s{i}"}

    ds = Squares(10)
    loader = data.DataLoader(ds, batch_size=4, shuffle=False, drop_last=False, num_workers=0)
    batches = list(loader)
    out["len"] = len(loader)
    out["keys"] = list(batches[0].keys())
    out["x0"] = batches[0]["x"]
    out["y0"] = batches[0]["y"]
    out["name0"] = batches[0]["name"]
    out["last"] = batches[-1]["x"]
    out["drop_last_len"] = len(data.DataLoader(ds, batch_size=4, drop_last=True))

    g = torch.Generator()
    g.manual_seed(0)
    order = [b["y"].tolist() for b in data.DataLoader(ds, batch_size=5, shuffle=True, generator=g)]
    out["shuffled_sizes"] = [len(o) for o in order]

    X = torch.arange(12.0, dtype=torch.float64).view(6, 2)
    Y = torch.tensor([0, 1, 0, 1, 1, 0])
    tds = data.TensorDataset(X, Y)
    out["tds_item"] = tds[2]
    out["tds_len"] = len(tds)
    xb, yb = next(iter(data.DataLoader(tds, batch_size=3)))
    out["tds_batch"] = (xb, yb)

    def collate(batch):
        xs, ys = zip(*batch)
        return torch.stack(xs).sum(0), torch.tensor(ys)

    out["collate_fn"] = next(iter(data.DataLoader(tds, batch_size=2, collate_fn=collate)))
    out["tuple_batches"] = [tuple(b) for b in data.DataLoader(tds, batch_size=4)]

    sub = data.Subset(tds, [4, 0, 2])
    out["subset"] = [sub[i][1].item() for i in range(len(sub))]
    cat = data.ConcatDataset([tds, sub])
    out["concat"] = (len(cat), cat[7][1].item(), cat[6][0])

    train, val = data.random_split(tds, [4, 2], generator=torch.Generator().manual_seed(42))
    out["split_lens"] = (len(train), len(val), type(train).__name__)
    a, b = data.random_split(range(10), [0.7, 0.3], generator=torch.Generator().manual_seed(1))
    out["frac_split"] = (len(a), len(b))

    sampler = data.SequentialSampler(tds)
    out["seq_sampler"] = list(sampler)
    bs = data.BatchSampler(data.SequentialSampler(range(7)), batch_size=3, drop_last=False)
    out["batch_sampler"] = list(bs)
    out["bs_loader"] = [b[1] for b in data.DataLoader(tds, batch_sampler=data.BatchSampler(data.SequentialSampler(tds), 4, True))]
    out["sampler_loader"] = [b[1] for b in data.DataLoader(tds, sampler=[5, 4, 3], batch_size=2)]

    w = data.WeightedRandomSampler([0.0, 0.0, 1.0, 0.0], num_samples=5, replacement=True)
    out["weighted"] = list(w)
    out["weighted_len"] = len(w)
    rs = data.RandomSampler(range(5), generator=torch.Generator().manual_seed(3))
    out["random_sampler_sorted"] = sorted(rs)
    return out


def test_dataset_and_dataloader():
    a, b = run_both(dataset_program)
    assert_same(a, b)




def default_collate_program(torch, nn, F, optim, data):
    dc = data.default_collate
    out = {}
    out["np"] = dc([np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    out["ints"] = dc([1, 2, 3])
    out["floats"] = dc([1.5, 2.5])
    out["strs"] = dc(["a", "b"])
    out["tuple"] = dc([(1, 2.0), (3, 4.0)])
    out["nested"] = dc([{"a": np.int64(1), "b": [np.float32(1.0), 2]}, {"a": np.int64(2), "b": [np.float32(3.0), 4]}])
    out["bools"] = dc([True, False])
    return out


def test_default_collate():
    a, b = run_both(default_collate_program)
    assert_same(a, b)


def stack_program(torch, nn, F, optim, data):
    X = torch.arange(8.0, dtype=torch.float64).view(4, 2)
    Y = torch.tensor([0, 1, 1, 0])
    a, b = data.TensorDataset(X), data.TensorDataset(Y)
    tup = data.StackDataset(a, b)
    dct = data.StackDataset(image=X, label=Y)
    out = {"len": len(tup), "tup": tup[1], "dict": dct[2]}
    out["batch"] = next(iter(data.DataLoader(dct, batch_size=3)))
    for bad in (lambda: data.StackDataset(a, label=Y), lambda: data.StackDataset(X, Y[:2]), lambda: data.StackDataset()):
        try:
            bad()
            out.setdefault("errors", []).append(None)
        except ValueError:
            out.setdefault("errors", []).append("ValueError")
    return out


def test_stack_dataset():
    a, b = run_both(stack_program)
    assert_same(a, b)


def distributed_program(torch, nn, F, optim, data):
    DS = data.distributed.DistributedSampler
    out = {}
    for n, reps, drop in [(10, 3, False), (10, 3, True), (2, 4, False), (8, 2, False)]:
        parts = [list(DS(range(n), num_replicas=reps, rank=r, shuffle=False, drop_last=drop)) for r in range(reps)]
        out[f"{n}-{reps}-{drop}"] = (parts, len(DS(range(n), num_replicas=reps, rank=0, drop_last=drop)))
    shuffled = [DS(range(9), num_replicas=3, rank=r, shuffle=True, seed=5) for r in range(3)]
    for s in shuffled:
        s.set_epoch(2)
    got = [list(s) for s in shuffled]
    out["shuffle_partition"] = sorted(sum(got, []))
    out["shuffle_repeat"] = got == [list(s) for s in shuffled]
    try:
        DS(range(4), num_replicas=2, rank=2)
    except ValueError:
        out["bad_rank"] = "ValueError"
    loader = data.DataLoader(data.TensorDataset(torch.arange(6)), batch_size=2,
                             sampler=DS(range(6), num_replicas=2, rank=1, shuffle=False))
    out["loader"] = [b[0] for b in loader]
    return out


def test_distributed_sampler():
    a, b = run_both(distributed_program)
    assert_same(a, b)
