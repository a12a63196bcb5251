"""Training curves of an adversarial game: both players' losses on one panel, per batch."""

import numpy as np

from deepgrad.viz._common import figure, finish

__all__ = ["plot_gan_losses"]


def _moving_average(values, window):
    values = np.asarray(values, dtype=np.float64)
    if window <= 1 or len(values) < window:
        return values
    kernel = np.ones(window) / window
    head = np.cumsum(values[:window - 1]) / np.arange(1, window)  # the first points: running mean
    return np.concatenate([head, np.convolve(values, kernel, mode="valid")])


def plot_gan_losses(logs, path=None, players=("d_loss", "g_loss"),
                    probabilities=("d_real", "d_fake"), smooth=None, xlabel="batch",
                    title=None):
    """Both players' losses on one panel (a GAN is a game: one player's loss going down pushes
    the other's up), and, when logged, D(x) and D(G(z)) on a second panel -- around 0.5 when
    neither player wins, D(x) -> 1 and D(G(z)) -> 0 when the discriminator does.

    ``logs``: a dict name -> list of values (e.g. recorded after every batch) or a
    :class:`~deepgrad.train.History` (per epoch). ``smooth``: a moving-average window drawn over
    the raw curves (default: about 2% of the points). Saves a PNG to ``path``; returns the
    Figure.
    """
    logs = getattr(logs, "history", logs)
    names = [k for k in players if k in logs and len(logs[k])]
    if not names:
        raise ValueError(f"plot_gan_losses: none of {list(players)} in the logs {sorted(logs)}")
    probs = [k for k in probabilities if k in logs and len(logs[k])]
    fig = figure((5.0 * (1 + bool(probs)), 3.5))
    axes = fig.subplots(1, 1 + bool(probs), squeeze=False)[0]
    n = max(len(logs[k]) for k in names)
    window = smooth if smooth is not None else max(1, n // 50)
    for ax, keys, ylabel in ((axes[0], names, "loss"), (axes[-1], probs, "D output")):
        if not keys:
            continue
        for key in keys:
            values = np.asarray(logs[key], dtype=np.float64)
            xs = np.arange(1, len(values) + 1)
            line, = ax.plot(xs, values, alpha=0.3 if window > 1 else 1.0, linewidth=0.8)
            if window > 1:
                ax.plot(xs, _moving_average(values, window), color=line.get_color(),
                        label=key)
            else:
                line.set_label(key)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        ax.legend()
    if probs:
        axes[-1].axhline(0.5, color="gray", linewidth=0.8, linestyle="--")
        axes[-1].set_ylim(-0.02, 1.02)
        axes[-1].set_title("D(x) = P(real)")
    axes[0].set_title("both players' losses")
    if title:
        fig.suptitle(title)
    return finish(fig, path)
