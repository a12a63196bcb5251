"""A small timing helper shared by the benchmarks (see ../shared/BENCHMARKS.md).

Import it before NumPy or torch is imported elsewhere, so the BLAS thread count applies:

    from common import compare_rounds, setup_threads
    setup_threads(2)
    medians = compare_rounds({"deepgrad": dg_step, "torch": th_step}, steps=50, warmup=5)

Each callable runs one step. The frameworks alternate over ``rounds`` (the machine is noisy);
each round reports the median of ``steps`` individually timed calls after ``warmup`` untimed
ones.
"""

import os
import statistics
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")


def setup_threads(n=2):
    """Pin BLAS/OpenMP (env, read when NumPy loads) and torch (if imported) to ``n`` threads."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(n)


def time_steps(fn, steps=50, warmup=5):
    """Median seconds of ``steps`` timed calls of ``fn`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_loop(fn, calls=1000, repeats=7):
    """Seconds per call for cheap ``fn``: median over ``repeats`` loops of ``calls`` calls
    (timing each call alone would measure perf_counter more than the call)."""
    fn()
    results = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        results.append((time.perf_counter() - start) / calls)
    return statistics.median(results)


def compare_rounds(fns, rounds=3, timer=time_steps, **timer_args):
    """``{name: [median per round]}``, the callables alternating round by round."""
    results = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            results[name].append(timer(fn, **timer_args))
    return results


def interleaved(fns, steps=50, warmup=5):
    """``{name: [seconds per step]}`` with the callables taking turns step by step, so that a
    neighbour's burst of load hits all of them alike (for long steps such as a big GEMM)."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    results = {name: [] for name in fns}
    for _ in range(steps):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            results[name].append(time.perf_counter() - start)
    return results


def fmt_time(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"
