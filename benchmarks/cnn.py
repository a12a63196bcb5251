"""CNN benchmarks vs torch in one process (threads=2, warm-up, median of timed steps).

W2: LeNet-5 — conv(1→6, 5×5, pad 2)-ReLU-maxpool 2 → conv(6→16, 5×5)-ReLU-maxpool 2 →
400-120-84-10, input 1×28×28, batch 128, cross-entropy, SGD(lr 0.05, momentum 0.9).
W5: ResNet-18 laid out as torchvision's resnet18(num_classes=10) on 3×32×32, batch 32:
train step (SGD momentum) and inference (eval mode, no grad).

    PYTHONPATH=. .venv/bin/python benchmarks/cnn.py [--steps 50] [--rounds 3] [--only W2|W5]

Threads: 2 (BENCHMARKS.md), or what OMP_NUM_THREADS says (OPENBLAS_NUM_THREADS=1
OMP_NUM_THREADS=1 for a one-thread comparison, which a heavily loaded machine distorts less:
two BLAS threads on an oversubscribed machine spin and stall). Each round prints the median
wall time and the median CPU time of the calling thread (the whole step on one thread).

The models are written here with the layer classes of each framework (the same layout as the
model zoo's); the optimizer is each framework's ``optim.SGD``.
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

torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


def lenet(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def resnet18(lib, num_classes=10):
    nn = lib.nn

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + identity)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            layers, cin = [], 64
            for i, cout in enumerate((64, 128, 256, 512)):
                stride = 1 if i == 0 else 2
                layers.append(nn.Sequential(BasicBlock(cin, cout, stride),
                                            BasicBlock(cout, cout, 1)))
                cin = cout
            self.layer1, self.layer2, self.layer3, self.layer4 = layers
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(lib.flatten(self.avgpool(x), 1))

    return ResNet()


def sgd(lib, params, lr=0.05, momentum=0.9):
    return lib.optim.SGD(params, lr=lr, momentum=momentum)


def _train_step_fn(lib, model, x, y):
    opt = sgd(lib, model.parameters())
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def _infer_fn(lib, model, x):
    model.eval()

    def step():
        with lib.no_grad():
            return model(x)

    return step


def _time(fn, steps, warmup=5):
    """(median wall seconds, median CPU seconds of this thread) per step."""
    for _ in range(warmup):
        fn()
    walls, cpus = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.thread_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def workloads(which):
    rng = np.random.default_rng(0)
    out = {}
    if which in (None, "W2"):
        x2 = rng.standard_normal((128, 1, 28, 28)).astype(np.float32)
        y2 = rng.integers(0, 10, 128)
        out["W2 LeNet-5 train step"] = lambda lib: _train_step_fn(
            lib, lenet(lib), lib.tensor(x2), lib.tensor(y2))
    if which in (None, "W5"):
        x5 = rng.standard_normal((32, 3, 32, 32)).astype(np.float32)
        y5 = rng.integers(0, 10, 32)
        out["W5 ResNet-18 train step"] = lambda lib: _train_step_fn(
            lib, resnet18(lib), lib.tensor(x5), lib.tensor(y5))
        out["W5 ResNet-18 inference"] = lambda lib: _infer_fn(lib, resnet18(lib), lib.tensor(x5))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("W2", "W5"))
    args = parser.parse_args()
    deepgrad.manual_seed(0)
    torch.manual_seed(0)
    for name, make in workloads(args.only).items():
        fns = {"deepgrad": make(deepgrad), "torch": make(torch)}
        for r in range(args.rounds):
            t = {lib: _time(fn, args.steps) for lib, fn in fns.items()}
            (dg, dg_cpu), (th, th_cpu) = t["deepgrad"], t["torch"]
            print(f"{name:28s} round {r + 1}: deepgrad {dg * 1e3:7.2f} ms   torch "
                  f"{th * 1e3:7.2f} ms   ratio {dg / th:.2f}   (thread CPU {dg_cpu * 1e3:.2f} / "
                  f"{th_cpu * 1e3:.2f} ms, ratio {dg_cpu / th_cpu:.2f})", flush=True)


if __name__ == "__main__":
    main()
