""""Will I pass this class?" -- the course's first neural network, trained with ``fit``.

Two inputs, x1 = hours studied and x2 = hours slept, go through a hidden layer to one output,
the probability of passing:

    h     = ReLU(W1 x + b1)                 (hidden layer, 8 units)
    y_hat = sigmoid(w2 . h + b2)            (pass probability)
    loss  = -[y log y_hat + (1 - y) log(1 - y_hat)]    (binary cross-entropy)

The data are synthetic: a student passes when 0.8 * studied + 0.5 * slept plus some noise
exceeds 7 (the network does not know this rule; it learns it from examples).

Run:  python examples/pass_class.py [--epochs 60]
"""

import argparse

import numpy as np

import deepgrad as dg
from deepgrad import nn, optim
from deepgrad.train import fit
from deepgrad.train.metrics import Accuracy


def make_students(n, rng):
    studied = rng.uniform(0, 10, n)
    slept = rng.uniform(0, 10, n)
    score = 0.8 * studied + 0.5 * slept + rng.normal(0, 0.7, n)
    x = np.stack([studied, slept], axis=1).astype(np.float32)
    y = (score > 7).astype(np.float32)[:, None]
    return x, y


def main(epochs=60, verbose=2):
    dg.manual_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_students(400, rng)
    x_test, y_test = make_students(200, rng)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)  # inputs on a common scale
    scale = lambda x: ((x - mean) / std).astype(np.float32)  # noqa: E731

    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    history = fit(model, (scale(x_train), y_train), val_data=(scale(x_test), y_test),
                  loss=nn.BCELoss(), optimizer=optim.Adam(model.parameters(), lr=0.02),
                  epochs=epochs, batch_size=32, metrics=[Accuracy(threshold=0.5)],
                  verbose=verbose)
    accuracy = history.history["val_accuracy"][-1]
    print(f"test accuracy: {accuracy:.3f}")

    students = np.array([[4.0, 5.0], [8.0, 7.0], [2.0, 9.0], [10.0, 2.0]], np.float32)
    with dg.no_grad():
        probs = model(dg.from_numpy(scale(students))).numpy()[:, 0]
    for (studied, slept), p in zip(students, probs):
        print(f"studied {studied:4.1f} h, slept {slept:4.1f} h -> P(pass) = {p:.2f}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    main(parser.parse_args().epochs)
