"""Optimizer step time, deepgrad vs torch (see ../shared/BENCHMARKS.md).

* W1 parameter set (784*256+256 + 256*256+256 + 256*10+10 float32, six tensors): the time of
  ``optimizer.step()`` alone for SGD(lr 0.05, momentum 0.9) and Adam(1e-3), gradients fixed.
* W4 parameter set (2->3->1 perceptron, four tiny tensors): plain SGD(0.1) step, i.e. the
  optimizer's per-step overhead.
* The full W1 and W4 training steps (zero_grad + forward + loss + backward + step + item).

Frameworks alternate over rounds in one process; medians of the timed steps.

Run:  python benchmarks/optim.py [--rounds 3] [--steps 200]   (sets 2 threads itself)
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

W1_SHAPES = [(256, 784), (256,), (256, 256), (256,), (10, 256), (10,)]
W4_SHAPES = [(3, 2), (3,), (1, 3), (1,)]


def make_step(lib, name, kwargs, shapes):
    rng = np.random.default_rng(0)
    params = []
    for shape in shapes:
        p = lib.nn.Parameter(lib.tensor(rng.standard_normal(shape).astype(np.float32)))
        p.grad = lib.tensor(rng.standard_normal(shape).astype(np.float32) * 1e-3)
        params.append(p)
    opt = getattr(lib.optim, name)(params, **kwargs)
    return opt.step


def make_train_step(lib, workload):
    """A full W1 or W4 training step with ``lib.optim``, to see the optimizer's share."""
    nn = lib.nn
    lib.manual_seed(0)
    rng = np.random.default_rng(0)
    if workload == "W1":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                              nn.Linear(256, 10))
        opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()
        x = lib.tensor(rng.standard_normal((128, 784)).astype(np.float32))
        y = lib.tensor(rng.integers(0, 10, 128))
    else:
        model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1), nn.Sigmoid())
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        loss_fn = nn.BCELoss()
        x = lib.tensor(rng.standard_normal((1, 2)).astype(np.float32))
        y = lib.tensor(np.ones((1, 1), np.float32))

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def time_steps(step, warmup, steps):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()

    import torch

    import deepgrad

    torch.set_num_threads(2)
    cases = [
        ("W1 SGD momentum 0.9", "SGD", {"lr": 0.05, "momentum": 0.9}, W1_SHAPES, 1e3, "ms"),
        ("W1 Adam", "Adam", {"lr": 1e-3}, W1_SHAPES, 1e3, "ms"),
        ("W1 AdamW", "AdamW", {"lr": 1e-3}, W1_SHAPES, 1e3, "ms"),
        ("W4 SGD", "SGD", {"lr": 0.1}, W4_SHAPES, 1e6, "us"),
        ("W4 Adam", "Adam", {"lr": 0.1}, W4_SHAPES, 1e6, "us"),
    ]
    print(f"{'case':<24} {'round':>5} {'deepgrad':>10} {'torch':>10} {'ratio':>6}")

    def report(label, r, dg, th, scale, unit):
        print(f"{label:<24} {r + 1:>5} {dg * scale:>8.3f}{unit} {th * scale:>8.3f}{unit} "
              f"{dg / th:>6.2f}")

    for label, name, kwargs, shapes, scale, unit in cases:
        for r in range(args.rounds):
            dg = time_steps(make_step(deepgrad, name, kwargs, shapes), 20, args.steps)
            th = time_steps(make_step(torch, name, kwargs, shapes), 20, args.steps)
            report(label, r, dg, th, scale, unit)
    for workload, scale, unit in (("W1", 1e3, "ms"), ("W4", 1e6, "us")):
        for r in range(args.rounds):
            dg = time_steps(make_train_step(deepgrad, workload), 5, args.steps)
            th = time_steps(make_train_step(torch, workload), 5, args.steps)
            report(f"{workload} full train step", r, dg, th, scale, unit)


if __name__ == "__main__":
    main()
