"""A multilayer perceptron on Fashion-MNIST: 784 -> 256 -> 10, ReLU, cross-entropy, Adam.

Each 28x28 image is flattened to 784 numbers in [0, 1] and standardized; the network outputs
10 scores (logits) and ``CrossEntropyLoss`` applies the softmax itself. Expect about 88% test
accuracy after 10 epochs. Also writes the learning curves and the confusion matrix as PNGs.

Run:  python examples/mlp_fashion_mnist.py [--epochs 10] [--out runs/example-fmnist]
(The same as:  deepgrad train mlp --dataset fashion-mnist --epochs 10)
"""

import argparse
import os

import numpy as np

import deepgrad as dg
from deepgrad import nn, optim
from deepgrad.datasets import FashionMNIST
from deepgrad.models import MLP
from deepgrad.train import EarlyStopping, evaluate, fit, summary


def arrays(dataset):
    x = np.asarray(dataset.data, dtype=np.float32).reshape(len(dataset.data), -1) / 255.0
    return x, np.asarray(dataset.targets, dtype=np.int64)


def main(epochs=10, out="runs/example-fmnist", limit=None, verbose=1):
    dg.manual_seed(0)
    train_set, test_set = FashionMNIST(train=True), FashionMNIST(train=False)
    x_train, y_train = arrays(train_set)
    x_test, y_test = arrays(test_set)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    mean, std = x_train.mean(), x_train.std()
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    x_val, y_val = x_train[-5000:], y_train[-5000:]  # hold out the last 5,000 for validation
    x_train, y_train = x_train[:-5000], y_train[:-5000]

    model = MLP(784, (256,), 10)
    summary(model, (784,))
    history = fit(model, (x_train, y_train), val_data=(x_val, y_val),
                  loss=nn.CrossEntropyLoss(), optimizer=optim.Adam(model.parameters(), lr=1e-3),
                  epochs=epochs, batch_size=128, metrics=["accuracy"], verbose=verbose,
                  callbacks=[EarlyStopping(patience=3, restore_best_weights=True)])
    result = evaluate(model, (x_test, y_test), loss=nn.CrossEntropyLoss(),
                      metrics=["accuracy", "confusion_matrix"])
    print(f"test accuracy: {result['accuracy']:.4f}")
    try:
        from deepgrad import viz

        os.makedirs(out, exist_ok=True)
        history.plot(os.path.join(out, "curves.png"))
        viz.plot_confusion_matrix(result["confusion_matrix"], train_set.classes,
                                  path=os.path.join(out, "confusion_matrix.png"))
        print(f"plots written to {out}/")
    except ImportError:
        pass
    return result["accuracy"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", default="runs/example-fmnist")
    args = parser.parse_args()
    main(args.epochs, args.out)
