"""Model-zoo benchmarks vs torch in one process (threads=2, warm-up, median of timed steps).

W5 with the zoo's own model: ``deepgrad.models.resnet18(num_classes=10)`` against the same
torchvision layout written in torch (tests/models/torch_reference.py), 3×32×32, batch 32,
train step (cross-entropy, SGD lr 0.05 momentum 0.9) and inference (eval, no grad). The timing
and step functions are benchmarks/cnn.py's (whose W5 builds the same network from layer
classes), so the two scripts measure the same thing and differ only in where the model comes
from. F1 is the small-input ResNet-18 on Fashion-MNIST-shaped data (1×28×28, 3×3 stem, no
max-pool, batch 128): the step time behind the epoch estimate in RESULTS.md.

    PYTHONPATH=. .venv/bin/python benchmarks/models.py [--steps 20] [--rounds 2] [--only W5|F1]
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "tests", "models")]

import cnn  # noqa: E402  (sets the thread counts before NumPy/torch load)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch_reference  # noqa: E402

import deepgrad  # noqa: E402
from deepgrad import models  # noqa: E402


def _small_resnet18_torch(in_channels=1, num_classes=10):
    model = torch_reference.ResNet18(num_classes)
    model.conv1 = torch.nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
    model.maxpool = torch.nn.Identity()
    return model


def build(which):
    rng = np.random.default_rng(0)
    out = {}
    if which in (None, "W5"):
        x = rng.standard_normal((32, 3, 32, 32)).astype(np.float32)
        y = rng.integers(0, 10, 32)
        nets = {deepgrad: lambda: models.resnet18(num_classes=10),
                torch: lambda: torch_reference.ResNet18(num_classes=10)}
        out["W5 zoo ResNet-18 train step"] = lambda lib: cnn._train_step_fn(
            lib, nets[lib](), lib.tensor(x), lib.tensor(y))
        out["W5 zoo ResNet-18 inference"] = lambda lib: cnn._infer_fn(
            lib, nets[lib](), lib.tensor(x))
    if which in (None, "F1"):
        x = rng.standard_normal((128, 1, 28, 28)).astype(np.float32)
        y = rng.integers(0, 10, 128)
        small = {deepgrad: lambda: models.resnet18(num_classes=10, in_channels=1,
                                                   small_input=True),
                 torch: _small_resnet18_torch}
        out["F1 small ResNet-18 train step (b128)"] = lambda lib: cnn._train_step_fn(
            lib, small[lib](), lib.tensor(x), lib.tensor(y))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", choices=("W5", "F1"))
    args = parser.parse_args()
    deepgrad.manual_seed(0)
    torch.manual_seed(0)
    assert list(models.resnet18().state_dict()) == list(torch_reference.ResNet18().state_dict())
    for name, make in build(args.only).items():
        fns = {"deepgrad": make(deepgrad), "torch": make(torch)}
        for r in range(args.rounds):
            t = {lib: cnn._time(fn, args.steps, warmup=3) for lib, fn in fns.items()}
            print(f"{name:38s} round {r + 1}: deepgrad {t['deepgrad'] * 1e3:8.1f} ms   torch "
                  f"{t['torch'] * 1e3:8.1f} ms   ratio {t['deepgrad'] / t['torch']:.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
