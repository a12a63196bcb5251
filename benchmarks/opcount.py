"""Per-op overhead as instruction counts (deterministic; for a loaded machine).

    nice -n 19 valgrind --tool=callgrind --collect-atstart=no \
        --toggle-collect=deque_extendleft --dump-after=deque_extendleft \
        --callgrind-out-file=/tmp/opcount/cg.out \
        env PYTHONPATH=. .venv/bin/python benchmarks/opcount.py [N] [op ...]
    .venv/bin/python benchmarks/opcount.py --report /tmp/opcount/cg.out [N] [op ...]

Each measured loop runs ``core.OPS[op]`` N times inside ``deque.extendleft`` (a C function
nothing else here calls), so callgrind counts exactly those calls; the loop's own cost (a
lambda that returns its input, measured the same way) is subtracted. The order of the loops
is fixed, and the report reads the numbered dump files in that order. Modes as in core.py:
no grad (inputs without requires_grad), recording (inputs with requires_grad), and
op + sum + backward.
"""

import collections
import glob
import itertools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

MODES = ("no grad", "recording", "op+sum+backward")


def _args():
    argv = sys.argv[1:]
    if "--torch-json" in argv:
        i = argv.index("--torch-json")
        argv = argv[:i] + argv[i + 2:]
    args = [a for a in argv if not a.startswith("--")]
    report = None
    if "--report" in sys.argv:
        report = args.pop(0)
    n = int(args.pop(0)) if args and args[0].isdigit() else 200
    return report, n, args


# ``--deepgrad-only`` skips torch (its import is most of a run under valgrind); the report
# then takes torch's counts from the JSON an earlier full report wrote (``--torch-json F``).
LIBS = ("deepgrad",) if "--deepgrad-only" in sys.argv else ("deepgrad", "torch")


def _plan(names):
    """The measured loops in order: (lib name, op name, mode)."""
    plan = []
    for name in ["<loop>"] + names:
        for mode in MODES:
            for lib in LIBS:
                plan.append((lib, name, mode))
    return plan


def measure(n, names):
    import numpy as np

    import deepgrad as dg

    libs = {"deepgrad": dg}
    if "torch" in LIBS:
        import torch

        torch.set_num_threads(1)
        libs["torch"] = torch
    from core_ops import OPS
    a = np.random.default_rng(0).uniform(0.5, 1.5, (4, 4)).astype(np.float32)
    sink = collections.deque(maxlen=0)
    for lib_name, name, mode in _plan(names):
        lib = libs[lib_name]
        op = (lambda lib, x, y: x) if name == "<loop>" else OPS[name]
        grad = mode != "no grad"
        x, y = lib.tensor(a, requires_grad=grad), lib.tensor(a, requires_grad=grad)
        if mode == "op+sum+backward":
            if name == "<loop>":
                def call(_, x=x, y=y):
                    x.grad = y.grad = None
                    return x
            else:
                def call(_, op=op, lib=lib, x=x, y=y):
                    x.grad = y.grad = None
                    op(lib, x, y).sum().backward()
        else:
            def call(_, op=op, lib=lib, x=x, y=y):
                return op(lib, x, y)
        for _ in range(20):  # warm caches (buffer pools, lazy imports) outside the count
            call(None)
        sink.extendleft(map(call, itertools.repeat(None, n)))


def report(prefix, n, names):
    files = sorted(glob.glob(prefix + ".*"), key=lambda f: int(f.rsplit(".", 1)[1]))
    files = [f for f in files if f.rsplit(".", 1)[1].isdigit()]
    totals = []
    for path in files:
        with open(path) as f:
            for line in f:
                if line.startswith("totals:") or line.startswith("summary:"):
                    totals.append(int(line.split()[1]))
                    break
    plan = _plan(names)
    if len(totals) != len(plan):
        raise SystemExit(f"{len(totals)} dumps for {len(plan)} loops")
    count = {key: t / n for key, t in zip(plan, totals)}
    import json

    if "--torch-json" in sys.argv:
        with open(sys.argv[sys.argv.index("--torch-json") + 1]) as f:
            for key, value in json.load(f).items():
                key = tuple(key.split("|"))
                if key[0] == "torch":
                    count[key] = value
    with open(prefix + ".json", "w") as f:
        json.dump({"|".join(key): value for key, value in count.items()}, f, indent=0)
    print(f"\n## per-op instructions, 4x4 float32 (callgrind, {n} calls each, loop subtracted)\n")
    print("| op | " + " | ".join(f"{m} dg | torch | ratio" for m in MODES) + " |")
    print("|---|" + "---|---|---|" * len(MODES))
    logs = [[] for _ in MODES]
    for name in names:
        cells = []
        for k, mode in enumerate(MODES):
            d = count[("deepgrad", name, mode)] - count[("deepgrad", "<loop>", mode)]
            t = count[("torch", name, mode)] - count[("torch", "<loop>", mode)]
            cells.append(f"{d / 1e3:.1f}k | {t / 1e3:.1f}k | {d / t:.2f}")
            logs[k].append(d / t)
        print(f"| {name} | " + " | ".join(cells) + " |")
    import math

    gm = [math.exp(sum(math.log(r) for r in rs) / len(rs)) for rs in logs]
    print("| geometric mean ratio | " + " | ".join(f"| | {g:.2f}" for g in gm) + " |")


def main():
    prefix, n, names = _args()
    if not names:
        from core_ops import OPS

        names = list(OPS)
    if prefix:
        report(prefix, n, names)
    else:
        measure(n, names)


if __name__ == "__main__":
    main()
