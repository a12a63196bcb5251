"""LeNet-5 on Fashion-MNIST: two 5×5 conv + max-pool stages, then 400-120-84-10.

The first convolution pads by 2, so the 28×28 images keep their size
(O = (W − K + 2P)/S + 1 = (28 − 5 + 4)/1 + 1 = 28): 6×28×28 → pool → 6×14×14 → conv 5×5 →
16×10×10 → pool → 16×5×5 = 400 features. 61,706 parameters. Pixels are scaled to [0, 1] and
standardized with the training set's mean and std; SGD with momentum 0.9, a cosine learning
rate, batch 128, and random horizontal flips (a shirt mirrored is still a shirt). The last
5,000 training images are held out for validation; the test set is used once, at the end.

Measured (2 shared CPU cores): 15 epochs, about 91% test accuracy -- see benchmarks/RESULTS.md.

Run:  python examples/lenet_fashion_mnist.py [--epochs 15] [--activation relu|tanh]
      python examples/lenet_fashion_mnist.py --model resnet18 --width 16 --epochs 4 --lr 0.1
(any zoo model with ``small_input``: 3×3 stride-1 stem, no max-pool; slow on a CPU, see
RESULTS.md for a measured epoch time)
"""

import argparse
import inspect
import time

import numpy as np

import deepgrad as dg
from deepgrad import nn, optim
from deepgrad.datasets import FashionMNIST
from deepgrad.models import MODELS, get_model, lenet5
from deepgrad.train import Callback, evaluate, fit


def load_fashion_mnist():
    """(x_train, y_train, x_test, y_test): float32 N×1×28×28 standardized images, int64 labels."""
    train_set, test_set = FashionMNIST(train=True), FashionMNIST(train=False)
    x_train = np.asarray(train_set.data, dtype=np.float32)[:, None] / 255.0
    x_test = np.asarray(test_set.data, dtype=np.float32)[:, None] / 255.0
    mean, std = x_train.mean(), x_train.std()
    return ((x_train - mean) / std, np.asarray(train_set.targets, dtype=np.int64),
            (x_test - mean) / std, np.asarray(test_set.targets, dtype=np.int64))


class RandomHorizontalFlip(Callback):
    """Before each epoch, mirror a random half of the training images in place (the arrays
    are re-flipped from a pristine copy, so an image is never flipped twice)."""

    def __init__(self, images, seed=0):
        self.images, self.pristine = images, images.copy()
        self.rng = np.random.default_rng(seed)

    def on_epoch_begin(self, epoch, logs=None):
        flip = self.rng.random(len(self.images)) < 0.5
        self.images[...] = self.pristine
        self.images[flip] = self.pristine[flip, ..., ::-1]


def main(epochs=15, activation="relu", lr=0.05, batch_size=128, limit=None, verbose=1,
         model_name="lenet5", steps_per_epoch=None, width=None):
    dg.manual_seed(0)
    x_train, y_train, x_test, y_test = load_fashion_mnist()
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    x_val, y_val = x_train[-5000:], y_train[-5000:]
    x_train, y_train = x_train[:-5000].copy(), y_train[:-5000]

    if model_name == "lenet5":
        model = lenet5(num_classes=10, activation=activation)
    else:
        # the ImageNet-style zoo models need small_input for 28×28; the CIFAR-style ResNets
        # (resnet8/20/...) are small-input by design and take no such flag
        builder = MODELS.get(model_name)
        accepted = inspect.signature(builder).parameters if builder else {}
        extra = {key: value for key, value in (("small_input", True), ("width", width))
                 if key in accepted and value is not None}
        model = get_model(model_name, num_classes=10, in_channels=1, **extra)
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    start = time.perf_counter()
    fit(model, (x_train, y_train), val_data=(x_val, y_val), loss=nn.CrossEntropyLoss(),
        optimizer=optimizer, scheduler=scheduler, epochs=epochs, batch_size=batch_size,
        metrics=["accuracy"], verbose=verbose, callbacks=[RandomHorizontalFlip(x_train)],
        steps_per_epoch=steps_per_epoch)
    seconds = time.perf_counter() - start
    steps = steps_per_epoch or -(-len(x_train) // batch_size)
    print(f"{model_name}: {epochs} epoch(s) of {steps} steps in {seconds:.0f} s "
          f"({seconds / epochs:.1f} s/epoch, {1000 * seconds / epochs / steps:.0f} ms/step)")
    accuracy = evaluate(model, (x_test, y_test))["accuracy"]
    print(f"{model_name} ({activation if model_name == 'lenet5' else 'relu'}): "
          f"test accuracy {accuracy:.4f}")
    return accuracy, seconds


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--activation", default="relu", choices=["relu", "tanh"])
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--model", default="lenet5")
    parser.add_argument("--width", type=int, default=None,
                        help="ResNet stem channels (default: the model's own)")
    parser.add_argument("--steps-per-epoch", type=int, default=None,
                        help="stop each epoch early (to time a model)")
    args = parser.parse_args()
    main(args.epochs, args.activation, args.lr, model_name=args.model,
         steps_per_epoch=args.steps_per_epoch, width=args.width)
