"""Training benchmarks (see ../shared/BENCHMARKS.md): W1 and W4 in deepgrad and torch in one
process, the same steps driven by deepgrad's ``fit`` (the loop's own overhead), one full
Fashion-MNIST epoch, and ``python -c "import deepgrad"`` wall time.

Run:  python benchmarks/train.py [--rounds 3] [--skip-fmnist]   (sets 2 BLAS threads itself)
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402


def _time_steps(step, warmup, steps):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def w1_step(lib, x, y):
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x, y = lib.from_numpy(x), lib.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        loss.item()

    return step, model, opt, loss_fn, x, y


def w4_step(lib, x, y):
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1), nn.Sigmoid())
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.BCELoss()
    x, y = lib.from_numpy(x), lib.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        loss.item()

    return step, model, opt, loss_fn, x, y


def fit_per_step(make, x, y, warmup, steps):
    """Median seconds per batch when deepgrad's Trainer drives the same step."""
    import deepgrad
    from deepgrad.train import Trainer

    _, model, opt, loss_fn, xt, yt = make(deepgrad, x, y)
    trainer = Trainer(model, loss=loss_fn, optimizer=opt, verbose=0)
    batches = [(xt, yt)] * (warmup + steps)
    trainer.fit(batches[:warmup], epochs=1)
    times = []
    for _ in range(5):  # 5 epochs of `steps` batches; per-batch time of each epoch
        t0 = time.perf_counter()
        trainer.fit(batches[:steps], epochs=1)
        times.append((time.perf_counter() - t0) / steps)
    return statistics.median(times)


def run_workload(name, make, x, y, warmup, steps, rounds):
    import torch

    import deepgrad

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))  # the same threads as NumPy
    results = {"deepgrad": [], "torch": [], "fit": []}
    for _ in range(rounds):  # alternate the frameworks: the machine is noisy
        results["deepgrad"].append(_time_steps(make(deepgrad, x, y)[0], warmup, steps))
        results["torch"].append(_time_steps(make(torch, x, y)[0], warmup, steps))
        results["fit"].append(fit_per_step(make, x, y, warmup, steps))
    med = {k: statistics.median(v) for k, v in results.items()}
    unit, factor = ("us", 1e6) if med["torch"] < 1e-3 else ("ms", 1e3)
    print(f"{name}: deepgrad {med['deepgrad'] * factor:.3f} {unit}, torch "
          f"{med['torch'] * factor:.3f} {unit}, ratio {med['deepgrad'] / med['torch']:.2f}; "
          f"via fit {med['fit'] * factor:.3f} {unit} "
          f"(ratio to torch {med['fit'] / med['torch']:.2f})", flush=True)
    return med


def fmnist_epoch():
    """One epoch of MLP 784-256-10 (Adam, batch 128) on all 60,000 images: deepgrad's fit vs
    a plain torch loop over the same arrays."""
    import torch

    import deepgrad
    from deepgrad.datasets import FashionMNIST
    from deepgrad.models import MLP
    from deepgrad.train import fit

    train = FashionMNIST(train=True)
    x = (np.asarray(train.data, np.float32).reshape(-1, 784) / 255.0 - 0.286) / 0.353
    y = np.asarray(train.targets, np.int64)
    deepgrad.manual_seed(0)
    model = MLP(784, (256,), 10)
    t0 = time.perf_counter()
    fit(model, (x, y), loss="cross_entropy", optimizer=deepgrad.optim.Adam(model.parameters()),
        epochs=1, batch_size=128, metrics=["accuracy"], verbose=0)
    ours = time.perf_counter() - t0

    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                 torch.nn.Linear(256, 10))
    opt = torch.optim.Adam(tmodel.parameters())
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    t0 = time.perf_counter()
    perm = torch.randperm(len(xt))
    for i in range(0, len(xt), 128):
        idx = perm[i:i + 128]
        opt.zero_grad()
        out = tmodel(xt[idx])
        loss = torch.nn.functional.cross_entropy(out, yt[idx])
        loss.backward()
        opt.step()
        loss.item()
        (out.argmax(1) == yt[idx]).sum().item()
    theirs = time.perf_counter() - t0
    print(f"Fashion-MNIST epoch (60,000 images, MLP 784-256-10, Adam, batch 128): deepgrad fit "
          f"{ours:.2f} s, torch loop {theirs:.2f} s, ratio {ours / theirs:.2f}", flush=True)
    return ours, theirs


def import_time(repeats=5):
    """Median wall time of ``python -c "import deepgrad"`` (and of ``import numpy`` alone).

    Measured with bytecode caches, as an installed package has them (pip compiles on install):
    one untimed run writes them, and PYTHONDONTWRITEBYTECODE is dropped for the subprocesses
    (with it set, every run recompiled deepgrad's sources: ~0.13 s of the 0.35 s once measured).
    """
    import resource

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    wall = {"deepgrad": [], "numpy": []}
    cpu = {"deepgrad": [], "numpy": []}
    for module in wall:
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=env)
    for _ in range(repeats):  # alternating, so a neighbour's burst hits both alike
        for module in wall:
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=env)
            wall[module].append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[module].append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
    med = {name: {m: statistics.median(v) for m, v in d.items()}
           for name, d in (("wall", wall), ("cpu", cpu))}
    print(f'python -c "import deepgrad": median {med["wall"]["deepgrad"]:.3f} s wall, '
          f'{med["cpu"]["deepgrad"]:.3f} s CPU (python -c "import numpy": '
          f'{med["wall"]["numpy"]:.3f} s wall, {med["cpu"]["numpy"]:.3f} s CPU; deepgrad\'s own '
          f'share {med["cpu"]["deepgrad"] - med["cpu"]["numpy"]:.3f} s CPU)', flush=True)
    return med["wall"]["deepgrad"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-fmnist", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x1 = rng.standard_normal((128, 784)).astype(np.float32)
    y1 = rng.integers(0, 10, 128).astype(np.int64)
    x4 = rng.standard_normal((1, 2)).astype(np.float32)
    y4 = np.ones((1, 1), np.float32)
    import_time()
    run_workload("W1 MLP 784-256-256-10 batch 128 SGD momentum", w1_step, x1, y1, 5, 50,
                 args.rounds)
    run_workload("W4 perceptron 2-3-1 batch 1 SGD", w4_step, x4, y4, 200, 2000, args.rounds)
    if not args.skip_fmnist:
        fmnist_epoch()


if __name__ == "__main__":
    main()
