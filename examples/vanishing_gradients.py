"""Vanishing gradients: how much of a last-step loss's gradient reaches earlier time steps?

For a loss L on the output at the last step T, backpropagation through time multiplies one
Jacobian per step::

    ∂L/∂h_t = ∂L/∂h_T · Π_{τ=t+1..T} ∂h_τ/∂h_{τ−1}

Vanilla RNN: ∂h_τ/∂h_{τ−1} = diag(1 − h_τ²) W_hh, norm < 1 with the usual initialization, so
the gradient shrinks geometrically with the distance T − t. LSTM: the cell state adds
instead of multiplying, c_τ = f_τ ⊙ c_{τ−1} + i_τ ⊙ g_τ, and ∂c_τ/∂c_{τ−1} = diag(f_τ): the
gradient survives as long as the forget gates stay open. With PyTorch's initialization the
forget gate starts at σ(≈0) ≈ 0.5 — gradients still halve per step; the usual remedy (Gers et
al. 2000; Jozefowicz et al. 2015) sets the forget-gate bias to 1, so f ≈ σ(1) ≈ 0.73 and far
more gradient reaches the start.

This script measures ‖∂L/∂h_t‖ (``deepgrad.nn.utils.gradient_flow.gradient_norms_through_time``,
L = sum of the last hidden state, random N(0, 1) inputs, geometric mean over seeds) for a tanh
RNN, an LSTM as initialized, an LSTM with forget-gate bias 1 and a GRU, prints the ratios
‖∂L/∂h_t‖ / ‖∂L/∂h_T‖ and plots them on a log scale (PNG).

Run:  python examples/vanishing_gradients.py [--steps 100] [--hidden 64] [--out runs/...]
"""

import argparse
import os

import numpy as np

import deepgrad as dg
from deepgrad import nn
from deepgrad.nn.utils.gradient_flow import gradient_norms_through_time


def lstm_with_forget_bias(input_size, hidden_size, value=1.0):
    """An LSTM whose forget-gate bias (rows H..2H of b_ih; b_hh's set to 0) is ``value``."""
    lstm = nn.LSTM(input_size, hidden_size)
    with dg.no_grad():
        lstm.bias_ih_l0[hidden_size:2 * hidden_size] = value
        lstm.bias_hh_l0[hidden_size:2 * hidden_size] = 0.0
    return lstm


MODELS = {
    "RNN (tanh)": lambda i, h: nn.RNN(i, h),
    "LSTM": lambda i, h: nn.LSTM(i, h),
    "LSTM, forget bias 1": lstm_with_forget_bias,
    "GRU": lambda i, h: nn.GRU(i, h),
}


def measure(steps=100, input_size=16, hidden=64, batch=8, seeds=3, wrt="hidden"):
    """{name: relative norms (T,)} — ‖∂L/∂h_t‖ / ‖∂L/∂h_T‖, geometric mean over ``seeds``."""
    results = {}
    for name, build in MODELS.items():
        logs = []
        for seed in range(seeds):
            dg.manual_seed(seed)
            x = np.random.default_rng(seed).standard_normal((steps, batch, input_size))
            norms = gradient_norms_through_time(build(input_size, hidden).double(), x, wrt=wrt)
            logs.append(np.log(norms / norms[-1]))
        results[name] = np.exp(np.mean(logs, axis=0))
    return results


def plot(results, path, wrt="hidden"):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    for name, rel in results.items():
        back = np.arange(len(rel))[::-1]  # steps between t and T
        ax.semilogy(back, rel, label=name)
    ax.set_xlabel("steps back from the loss (T − t)")
    what = "h_t" if wrt == "hidden" else "x_t"
    ax.set_ylabel(f"‖∂L/∂{what}‖ / ‖∂L/∂{what.replace('t', 'T')}‖")
    ax.set_title("gradient reaching earlier time steps (loss at the last step)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def main(steps=100, hidden=64, out="runs/vanishing_gradients.png", seeds=3):
    results = measure(steps=steps, hidden=hidden, seeds=seeds)
    marks = [k for k in (10, 25, 50, steps - 1) if k < steps]
    print(f"‖∂L/∂h_t‖ / ‖∂L/∂h_T‖ at T − t steps back (T = {steps}, hidden {hidden}, "
          f"geometric mean of {seeds} seeds):")
    print(f"{'':22}" + "".join(f"{k:>11}" for k in marks))
    for name, rel in results.items():
        print(f"{name:22}" + "".join(f"{rel[-1 - k]:11.2e}" for k in marks))
    rnn, lstm = results["RNN (tanh)"], results["LSTM, forget bias 1"]
    print(f"at {marks[-1]} steps back, the LSTM with forget bias 1 keeps "
          f"{lstm[0] / rnn[0]:.1e} times the RNN's share of the gradient")
    print(f"plot: {plot(results, out)}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default="runs/vanishing_gradients.png")
    args = parser.parse_args()
    main(args.steps, args.hidden, args.out, args.seeds)
