"""Sequence-model benchmarks vs torch in one process (threads=2, warm-up, medians, rounds).

W3: LSTM language model — vocab 100, embedding 64, 1-layer LSTM hidden 128, seq 35, batch 32,
linear to vocab, cross-entropy over all positions, Adam(lr=1e-3); one training step.
G3: W3 with a GRU in place of the LSTM (same sizes, data and optimizer).
T2: 2-layer Transformer encoder — d_model 128, 4 heads, feed-forward 512 (ReLU), dropout 0.1,
post-norm, batch_first, input (32, 35, 128), mean-squared loss against a fixed target,
Adam(lr=1e-3); one training step.

A step = zero_grad + forward + loss + backward + Adam step + ``loss.item()``. The two
frameworks alternate over ``--rounds`` rounds (the machine is shared and noisy); each round
reports the median of ``--steps`` timed steps after 5 untimed warm-up steps, both in wall time
(the figure BENCHMARKS.md asks for) and in process CPU time (less sensitive to other jobs
taking the cores away).

    PYTHONPATH=. .venv/bin/python benchmarks/seq.py [--steps 30] [--rounds 3] [--only W3|G3|T2]
        [--threads 2]
"""

import argparse
import statistics
import sys
import time

from common import setup_threads

# the BLAS thread count must be fixed before NumPy loads: --threads N (default 2) read here
setup_threads(int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import deepgrad  # noqa: E402

VOCAB, EMB, HIDDEN, SEQ, BATCH = 100, 64, 128, 35, 32
D_MODEL, HEADS, FF, LAYERS = 128, 4, 512, 2


def lstm_lm(lib, cell="LSTM"):
    nn = lib.nn

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(VOCAB, EMB)
            self.rnn = getattr(nn, cell)(EMB, HIDDEN, batch_first=True)
            self.out = nn.Linear(HIDDEN, VOCAB)

        def forward(self, x):
            h, _ = self.rnn(self.emb(x))
            return self.out(h)

    lib.manual_seed(0)
    model = LM()
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.integers(0, VOCAB, (BATCH, SEQ)))
    y = lib.tensor(rng.integers(0, VOCAB, (BATCH * SEQ,)))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x).reshape(-1, VOCAB), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def gru_lm(lib):
    return lstm_lm(lib, cell="GRU")


def transformer(lib):
    nn = lib.nn
    lib.manual_seed(0)
    layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, dim_feedforward=FF, dropout=0.1,
                                       batch_first=True)
    model = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((BATCH, SEQ, D_MODEL)).astype(np.float32))
    target = lib.tensor(rng.standard_normal((BATCH, SEQ, D_MODEL)).astype(np.float32))

    def step():
        opt.zero_grad()
        loss = ((model(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def measure(step, steps, warmup=5):
    """(median wall ms, median CPU ms) of ``steps`` timed calls after ``warmup`` untimed."""
    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(steps):
        w, c = time.perf_counter(), time.process_time()
        step()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(wall) * 1e3, statistics.median(cpu) * 1e3


def _range(values, fmt="{:.2f}"):
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}–" \
           f"{fmt.format(max(values))}]"


WORKLOADS = {"W3": ("W3 LSTM LM step", lstm_lm), "G3": ("G3 GRU LM step", gru_lm),
             "T2": ("T2 Transformer encoder step", transformer)}


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=sorted(WORKLOADS))
    parser.add_argument("--threads", type=int, default=2, help="BLAS and torch threads")
    args = parser.parse_args(argv)
    summary = {}
    for key, (name, build) in WORKLOADS.items():
        if args.only and key != args.only:
            continue
        steps = {"deepgrad": build(deepgrad), "torch": build(torch)}
        rows = []
        for r in range(args.rounds):
            got = {lib: measure(fn, args.steps) for lib, fn in steps.items()}
            (dw, dc), (tw, tc) = got["deepgrad"], got["torch"]
            rows.append((dw, tw, dw / tw, dc, tc, dc / tc))
            print(f"{name} round {r + 1}: wall deepgrad {dw:7.2f} ms  torch {tw:7.2f} ms  "
                  f"ratio {dw / tw:4.2f}x   | cpu deepgrad {dc:7.2f} ms  torch {tc:7.2f} ms  "
                  f"ratio {dc / tc:4.2f}x", flush=True)
        cols = list(zip(*rows))
        summary[key] = cols
        print(f"{name}: wall ratio {_range(cols[2])}x (deepgrad {_range(cols[0])} ms, torch "
              f"{_range(cols[1])} ms); cpu ratio {_range(cols[5])}x (deepgrad "
              f"{_range(cols[3])} ms, torch {_range(cols[4])} ms)", flush=True)
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
