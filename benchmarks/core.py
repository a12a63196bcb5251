"""Core benchmarks: per-op overhead on tiny tensors, large matmul vs NumPy, MLP fwd+bwd vs torch.

    PYTHONPATH=. .venv/bin/python benchmarks/core.py [--quick] [--per-op] [--threads N]

Per-op figures are µs per call, the best of several loops of many calls (the least disturbed by
neighbours on a shared machine); the matmul and MLP figures are medians of individually timed
steps, deepgrad and the reference alternating over rounds (see ../shared/BENCHMARKS.md).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    compare_rounds,
    fmt_time,
    interleaved,
    setup_threads,
    time_loop,
)
from core_ops import OPS  # noqa: E402

# --threads N (default 2): BLAS and torch threads; --per-op: only the per-op table
_THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
setup_threads(_THREADS)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import deepgrad as dg  # noqa: E402


def per_op(repeats):
    """µs per op on 4x4 float32 tensors: without grad, recording the graph, and fwd+bwd."""
    a = np.random.default_rng(0).uniform(0.5, 1.5, (4, 4)).astype(np.float32)
    rows = []
    for name, op in OPS.items():
        row = [name]
        for grad in (False, True):
            times = []
            for lib in (dg, torch):
                x, y = lib.tensor(a, requires_grad=grad), lib.tensor(a, requires_grad=grad)
                def call(op=op, lib=lib, x=x, y=y):
                    return op(lib, x, y)

                times.append(min(time_loop(call, calls=2000, repeats=repeats) for _ in range(2)))
            row += times
        times = []
        for lib in (dg, torch):
            x, y = lib.tensor(a, requires_grad=True), lib.tensor(a, requires_grad=True)

            def step(op=op, lib=lib, x=x, y=y):
                x.grad = y.grad = None
                op(lib, x, y).sum().backward()

            times.append(min(time_loop(step, calls=500, repeats=repeats) for _ in range(2)))
        rows.append(row + times)
    print("\n## per-op overhead, 4x4 float32 (µs per call; ratio deepgrad / torch)\n")
    print("| op | no grad dg | torch | ratio | recording dg | torch | ratio "
          "| op+sum+backward dg | torch | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    ratios = [[], [], []]
    for name, d0, t0, d1, t1, d2, t2 in rows:
        cells = []
        for k, (d, t) in enumerate(((d0, t0), (d1, t1), (d2, t2))):
            cells.append(f"{d * 1e6:.2f} | {t * 1e6:.2f} | {d / t:.2f}")
            ratios[k].append(d / t)
        print(f"| {name} | " + " | ".join(cells) + " |")
    gm = [float(np.exp(np.mean(np.log(r)))) for r in ratios]
    print(f"| geometric mean ratio | | | {gm[0]:.2f} | | | {gm[1]:.2f} | | | {gm[2]:.2f} |")


def big_matmul(steps):
    n = 2048
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    x, y = dg.tensor(a), dg.tensor(b)
    xg, yg = dg.tensor(a, requires_grad=True), dg.tensor(b, requires_grad=True)
    result = interleaved({"deepgrad": lambda: x @ y, "deepgrad recording": lambda: xg @ yg,
                          "numpy": lambda: a @ b}, steps=steps, warmup=2)
    numpy_times = np.array(result["numpy"])
    print(f"\n## float32 {n}³ matmul ({steps} steps, the three taking turns step by step)\n")
    print("| | median | GFLOP/s | median of per-step ratios to numpy |")
    print("|---|---|---|---|")
    for name, times in result.items():
        median = float(np.median(times))
        ratio = float(np.median(np.array(times) / numpy_times))
        print(f"| {name} | {fmt_time(median)} | {2 * n ** 3 / median / 1e9:.0f} | {ratio:.3f} |")


def mlp_step(lib, rng):
    """W1's forward + backward: 784-256-256-10 MLP, ReLU, batch 128, cross-entropy."""
    functional = lib.nn.functional
    x = lib.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 128))

    def param(*shape):
        return lib.tensor((rng.standard_normal(shape) * 0.05).astype(np.float32),
                          requires_grad=True)

    params = [param(256, 784), param(256), param(256, 256), param(256), param(10, 256),
              param(10)]
    w1, b1, w2, b2, w3, b3 = params

    def step():
        for p in params:
            p.grad = None
        h = functional.relu(functional.linear(x, w1, b1))
        h = functional.relu(functional.linear(h, w2, b2))
        loss = functional.cross_entropy(functional.linear(h, w3, b3), y)
        loss.backward()
        return loss.item()

    return step


def mlp(steps, rounds):
    fns = {"deepgrad": mlp_step(dg, np.random.default_rng(0)),
           "torch": mlp_step(torch, np.random.default_rng(0))}
    result = compare_rounds(fns, rounds=rounds, steps=steps, warmup=5)
    print(f"\n## MLP 784-256-256-10, batch 128, forward + backward (median of {steps})\n")
    print("| round | deepgrad | torch | ratio |")
    print("|---|---|---|---|")
    for i, (d, t) in enumerate(zip(result["deepgrad"], result["torch"])):
        print(f"| {i + 1} | {fmt_time(d)} | {fmt_time(t)} | {d / t:.2f} |")
    ratio = np.median(result["deepgrad"]) / np.median(result["torch"])
    print(f"| median | {fmt_time(np.median(result['deepgrad']))} | "
          f"{fmt_time(np.median(result['torch']))} | {ratio:.2f} |")


def main():
    quick = "--quick" in sys.argv
    per_op(repeats=3 if quick else 7)
    if "--per-op" in sys.argv:
        return
    big_matmul(steps=5 if quick else 15)
    mlp(steps=20 if quick else 50, rounds=3 if quick else 5)


if __name__ == "__main__":
    main()
