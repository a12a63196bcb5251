"""Attention heat map: which source position each output step looked at."""

import numpy as np

from deepgrad.viz._common import figure, finish, to_numpy

__all__ = ["plot_attention"]


def plot_attention(weights, source_tokens=None, target_tokens=None, path=None, title=None,
                   cmap="viridis"):
    """Heat map of attention weights α (T output steps × S source positions): row t is the
    distribution the decoder used to produce output token t (each row sums to 1).

    ``source_tokens`` / ``target_tokens`` label the columns / rows (lists of strings, of
    lengths S and T); missing labels are the positions. Returns the Figure; saves a PNG at
    ``path`` if given.
    """
    a = to_numpy(weights).astype(np.float64)
    if a.ndim != 2:
        raise ValueError(f"plot_attention: expected a (target, source) matrix of weights, got "
                         f"shape {a.shape}")
    T, S = a.shape
    src = [str(s) for s in source_tokens] if source_tokens is not None else [str(i)
                                                                             for i in range(S)]
    tgt = [str(t) for t in target_tokens] if target_tokens is not None else [str(i)
                                                                             for i in range(T)]
    if len(src) != S or len(tgt) != T:
        raise ValueError(f"plot_attention: {len(tgt)} target and {len(src)} source labels for "
                         f"weights of shape {a.shape} (target, source)")
    fig = figure((max(4.0, 0.32 * S + 2), max(3.0, 0.32 * T + 1.5)))
    ax = fig.subplots()
    image = ax.imshow(a, cmap=cmap, vmin=0.0, vmax=max(1e-12, float(a.max())), aspect="auto")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(S), [s if s.strip() else "␣" for s in src], fontsize=8)
    ax.set_yticks(range(T), [t if t.strip() else "␣" for t in tgt], fontsize=8)
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    ax.set_title(title or "attention weights")
    return finish(fig, path)
