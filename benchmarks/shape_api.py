"""deepgrad vs torch on the scatter/gather-style ops of ops/shape_extra.py: forward + backward,
same inputs, interleaved rounds, median seconds (1 thread each).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/shape_api.py
"""

import time

import numpy as np
import torch

import deepgrad

torch.set_num_threads(1)
rng = np.random.default_rng(0)
N, E, F = 10_000, 50_000, 64
x_np = rng.standard_normal((N, F)).astype(np.float32)
src_np = rng.standard_normal((E, F)).astype(np.float32)
idx_np = rng.integers(0, N, E)
img_np = rng.standard_normal((32, 3, 64, 64)).astype(np.float32)

CASES = {
    "index_add (10k x 64, 50k rows)": (
        lambda lib, x, s: lib.index_add(x, 0, lib.tensor(idx_np), s), [x_np, src_np]),
    "scatter_reduce amax (same, expanded index)": (
        lambda lib, x, s: lib.scatter_reduce(
            x, 0, lib.tensor(np.broadcast_to(idx_np[:, None], (E, F)).copy()), s, "amax"),
        [x_np, src_np]),
    "index_put accumulate (same)": (
        lambda lib, x, s: x.index_put((lib.tensor(idx_np),), s, accumulate=True),
        [x_np, src_np]),
    "unfold patches 8x8 of (32, 3, 64, 64)": (
        lambda lib, x: x.unfold(2, 8, 8).unfold(3, 8, 8), [img_np]),
    "unfold overlapping 8 step 2 (same)": (
        lambda lib, x: x.unfold(3, 8, 2), [img_np]),
}


def step(lib, fn, arrays):
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    start = time.perf_counter()
    fn(lib, *inputs).sum().backward()
    return time.perf_counter() - start


def main(rounds=5):
    print(f"{'op (fwd+bwd)':45s} {'deepgrad ms':>11s} {'torch ms':>9s} {'ratio':>6s}")
    for name, (fn, arrays) in CASES.items():
        ours, theirs = [], []
        for _ in range(rounds):
            ours.append(step(deepgrad, fn, arrays))
            theirs.append(step(torch, fn, arrays))
        a, b = np.median(ours) * 1e3, np.median(theirs) * 1e3
        print(f"{name:45s} {a:11.1f} {b:9.1f} {a / b:6.2f}")


if __name__ == "__main__":
    main()
