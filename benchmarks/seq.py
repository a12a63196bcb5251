"""Sequence-model benchmarks vs torch in one process (threads=2, warm-up, median).

W3: LSTM language model — vocab 100, embedding 64, 1-layer LSTM hidden 128, seq 35, batch 32,
linear to vocab, cross-entropy over all positions, Adam(lr=1e-3); one training step.
T2: 2-layer Transformer encoder (d_model 128, 4 heads, feed-forward 512, dropout 0.1,
batch_first) on (32, 35, 128), mean-squared loss, Adam; one training step.

    .venv/bin/python benchmarks/seq.py [--steps 30]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import deepgrad  # noqa: E402

torch.set_num_threads(2)
VOCAB, EMB, HIDDEN, SEQ, BATCH = 100, 64, 128, 35, 32


class _StandInAdam:
    """Adam's update in NumPy, used only while deepgrad.optim has not landed (reported)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps, self.t = list(params), lr, betas, eps, 0
        self.m = [np.zeros_like(p._data) for p in self.params]
        self.v = [np.zeros_like(p._data) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        self.t += 1
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad._data
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            denom = np.sqrt(v / (1 - b2 ** self.t)) + self.eps
            p._data -= (self.lr / (1 - b1 ** self.t)) * m / denom


def _adam(lib, params):
    if lib is torch:
        return torch.optim.Adam(params, lr=1e-3)
    try:
        from deepgrad.optim import Adam
    except ImportError:
        print("  (deepgrad.optim not available: stand-in NumPy Adam)")
        return _StandInAdam(params)
    return Adam(params, lr=1e-3)


def lstm_lm(lib):
    nn = lib.nn

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(VOCAB, EMB)
            self.lstm = nn.LSTM(EMB, HIDDEN, batch_first=True)
            self.out = nn.Linear(HIDDEN, VOCAB)

        def forward(self, x):
            h, _ = self.lstm(self.emb(x))
            return self.out(h)

    lib.manual_seed(0)
    model = LM()
    opt = _adam(lib, model.parameters())
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.integers(0, VOCAB, (BATCH, SEQ)))
    y = lib.tensor(rng.integers(0, VOCAB, (BATCH * SEQ,)))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x).reshape(-1, VOCAB), y)
        loss.backward()
        opt.step()
        return loss

    return step


def transformer(lib):
    nn = lib.nn
    lib.manual_seed(0)
    layer = nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=0.1,
                                       batch_first=True)
    model = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    opt = _adam(lib, model.parameters())
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((BATCH, SEQ, 128)).astype(np.float32))
    target = lib.tensor(rng.standard_normal((BATCH, SEQ, 128)).astype(np.float32))

    def step():
        opt.zero_grad()
        loss = ((model(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    return step


def measure(step, steps, warmup=5):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--only", choices=["W3", "T2"])
    args = parser.parse_args()
    rows = []
    for name, build in (("W3 LSTM LM step", lstm_lm), ("T2 Transformer encoder step",
                                                       transformer)):
        if args.only and not name.startswith(args.only):
            continue
        try:
            build(deepgrad)
        except (AttributeError, ImportError) as error:
            print(f"{name:32s} skipped: {error}")
            continue
        dg_ms = measure(build(deepgrad), args.steps)
        th_ms = measure(build(torch), args.steps)
        rows.append((name, dg_ms, th_ms))
        print(f"{name:32s} deepgrad {dg_ms:8.2f} ms   torch {th_ms:8.2f} ms   "
              f"ratio {dg_ms / th_ms:5.2f}x", flush=True)
    return rows


if __name__ == "__main__":
    main()
