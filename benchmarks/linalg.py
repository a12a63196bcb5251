"""deepgrad vs torch on matrix/linalg ops, forward + backward, float32, in one process.

    OMP_NUM_THREADS=1 python benchmarks/linalg.py [--rounds 7]

Each case runs in deepgrad and torch alternately (interleaved rounds, so a busy machine slows
both alike); the figure is the median time per call and the ratio deepgrad / torch.
"""

import argparse
import statistics
import time

import numpy as np
import torch

import deepgrad


def _cases():
    rng = np.random.default_rng(0)

    def arr(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    spd = arr(16, 32, 32)
    spd = spd @ spd.transpose(0, 2, 1) + 32 * np.eye(32, dtype=np.float32)
    return [
        ("einsum bij,bjk->bik (32x64x64)", lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b),
         [arr(32, 64, 64), arr(32, 64, 64)]),
        ("einsum bhqd,bhkd->bhqk (8x4x64x32)",
         lambda lib, a, b: lib.einsum("bhqd,bhkd->bhqk", a, b), [arr(8, 4, 64, 32),
                                                                  arr(8, 4, 64, 32)]),
        ("addmm 256x256", lambda lib, i, a, b: lib.addmm(i, a, b, beta=0.5, alpha=2),
         [arr(256), arr(256, 256), arr(256, 256)]),
        ("cdist p=2 (500x64, 400x64)", lambda lib, a, b: lib.cdist(a, b),
         [arr(500, 64), arr(400, 64)]),
        ("cdist p=1 (100x16, 80x16)", lambda lib, a, b: lib.cdist(a, b, p=1),
         [arr(100, 16), arr(80, 16)]),
        ("linalg.inv (64 x 32x32)", lambda lib, a: lib.linalg.inv(a),
         [arr(64, 32, 32) + 8 * np.eye(32, dtype=np.float32)]),
        ("linalg.solve (64 x 32x32, 32x4)", lambda lib, a, b: lib.linalg.solve(a, b),
         [arr(64, 32, 32) + 8 * np.eye(32, dtype=np.float32), arr(64, 32, 4)]),
        ("linalg.cholesky (16 x 32x32)", lambda lib, a: lib.linalg.cholesky(a), [spd]),
        ("linalg.svdvals (16 x 64x32)", lambda lib, a: lib.linalg.svdvals(a), [arr(16, 64, 32)]),
        ("linalg.eigh (16 x 32x32)", lambda lib, a: lib.linalg.eigh(a + a.mT).eigenvalues,
         [arr(16, 32, 32)]),
        ("linalg.slogdet (64 x 32x32)", lambda lib, a: lib.linalg.slogdet(a).logabsdet,
         [arr(64, 32, 32)]),
        ("diagonal+trace (64 x 128x128)", lambda lib, a: lib.diagonal(a, 0, -2, -1).sum(-1),
         [arr(64, 128, 128)]),
    ]


def _step(lib, fn, arrays):
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *inputs)
    out.sum().backward()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'case':40s} {'deepgrad ms':>12s} {'torch ms':>10s} {'ratio':>7s}")
    for name, fn, arrays in _cases():
        times = {deepgrad: [], torch: []}
        for lib in (deepgrad, torch):  # warm-up
            _step(lib, fn, arrays)
        for _ in range(args.rounds):
            for lib in (deepgrad, torch):
                start = time.perf_counter()
                _step(lib, fn, arrays)
                times[lib].append(time.perf_counter() - start)
        ours, theirs = (statistics.median(times[lib]) * 1e3 for lib in (deepgrad, torch))
        print(f"{name:40s} {ours:12.3f} {theirs:10.3f} {ours / theirs:7.2f}")


if __name__ == "__main__":
    main()
